import type { Rule } from '../rule';

export const XSS_RULES: readonly Rule[] = [];
