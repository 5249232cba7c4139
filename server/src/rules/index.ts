import type { Rule } from './rule';
import { ACCESS_RULES } from './access/index';
import { CONFIG_RULES } from './config/index';
import { CRYPTO_RULES } from './crypto/index';
import { FILES_RULES } from './files/index';
import { INJECTION_RULES } from './injection/index';
import { REQUESTS_RULES } from './requests/index';
import { XSS_RULES } from './xss/index';
import { compareCodeUnits } from '../engine/compareCodeUnits';

/**
 * Every rule, in id order. Families keep their own registry (`<family>/index.ts`) so rules can be added in
 * one place per family; ids and names are checked for uniqueness when this module loads.
 */
export const ALL_RULES: readonly Rule[] = [
  ...CONFIG_RULES,
  ...INJECTION_RULES,
  ...XSS_RULES,
  ...CRYPTO_RULES,
  ...ACCESS_RULES,
  ...FILES_RULES,
  ...REQUESTS_RULES,
].sort((a, b) => compareCodeUnits(a.meta.id, b.meta.id));

const ids = new Set<string>();
const names = new Set<string>();
for (const rule of ALL_RULES) {
  if (ids.has(rule.meta.id)) throw new Error(`Duplicate rule id ${rule.meta.id}`);
  if (names.has(rule.meta.name)) throw new Error(`Duplicate rule name ${rule.meta.name}`);
  ids.add(rule.meta.id);
  names.add(rule.meta.name);
}
