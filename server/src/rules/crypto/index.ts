import type { Rule } from '../rule';

export const CRYPTO_RULES: readonly Rule[] = [];
