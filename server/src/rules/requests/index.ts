import type { Rule } from '../rule';

export const REQUESTS_RULES: readonly Rule[] = [];
