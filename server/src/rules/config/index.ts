import type { Rule } from '../rule';
import FS101 from './FS101-debug-mode-enabled';

export const CONFIG_RULES: readonly Rule[] = [FS101];
