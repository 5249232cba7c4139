import type { Rule } from '../rule';
import FS201 from './FS201-sql-built-from-strings';

export const INJECTION_RULES: readonly Rule[] = [FS201];
