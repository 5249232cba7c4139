import type { Rule } from '../rule';
import FS401 from './FS401-weak-password-hash';
import FS402 from './FS402-hardcoded-signing-key';
import FS403 from './FS403-hardcoded-credential';
import FS404 from './FS404-insecure-randomness';
import FS405 from './FS405-tls-verification-disabled';
import FS406 from './FS406-weak-hash-algorithm';
import FS407 from './FS407-weak-cipher';
import FS408 from './FS408-cleartext-protocol';
import FS409 from './FS409-plaintext-password-storage';
import FS410 from './FS410-sensitive-data-logged';
import FS411 from './FS411-timing-unsafe-comparison';

export const CRYPTO_RULES: readonly Rule[] = [
  FS401,
  FS402,
  FS403,
  FS404,
  FS405,
  FS406,
  FS407,
  FS408,
  FS409,
  FS410,
  FS411,
];
