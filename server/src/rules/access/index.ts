import type { Rule } from '../rule';
import FS501 from './FS501-route-without-auth';

export const ACCESS_RULES: readonly Rule[] = [FS501];
