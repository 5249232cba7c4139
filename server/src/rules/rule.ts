import type * as z from 'zod';
import type { RuleContext } from '../engine/context';
import type { RuleMetaSchema } from './ruleMetaSchema';

/**
 * One rule = one file: metadata (the single source of its docs page, SARIF entry and diagnostics),
 * detection, and the fix. The metadata's shape is `RuleMetaSchema` (ruleMetaSchema.ts), which a test checks
 * every rule against: it is static, so it is not validated again in every thread of every scan (zod was
 * 43% of the scan worker's bundle, parsed by each worker as it starts).
 */
export const OWASP_2021 = {
  'A01:2021': 'Broken Access Control',
  'A02:2021': 'Cryptographic Failures',
  'A03:2021': 'Injection',
  'A04:2021': 'Insecure Design',
  'A05:2021': 'Security Misconfiguration',
  'A06:2021': 'Vulnerable and Outdated Components',
  'A07:2021': 'Identification and Authentication Failures',
  'A08:2021': 'Software and Data Integrity Failures',
  'A09:2021': 'Security Logging and Monitoring Failures',
  'A10:2021': 'Server-Side Request Forgery',
} as const;

export type OwaspCategory = keyof typeof OWASP_2021;

export type RuleMeta = z.infer<typeof RuleMetaSchema>;

export interface Rule {
  readonly meta: RuleMeta;
  /**
   * Text that every file the rule can report in contains: a module, function, header or setting name
   * that each of the rule's paths to a report needs, in each of its spellings; when there are several,
   * each one is needed (request data, and a sink's name). A file where one has no match is not checked
   * by the rule, as semgrep prefilters its rules by the text they need. A trigger must be necessary,
   * never merely likely: one that misses a spelling hides findings. `test/rules/triggers.test.ts` checks
   * every fixture with and without triggers, and the re-analysis tests check each statement of every
   * fixture on its reduced file's text. Empty: the rule is checked on every file.
   */
  readonly triggers: readonly RegExp[];
  check(ctx: RuleContext): void;
}

export function defineRule(rule: {
  meta: RuleMeta;
  trigger?: RegExp | readonly RegExp[];
  check(ctx: RuleContext): void;
}): Rule {
  const { trigger } = rule;
  return Object.freeze({
    meta: Object.freeze(rule.meta),
    triggers: Object.freeze(
      trigger === undefined ? [] : trigger instanceof RegExp ? [trigger] : [...trigger],
    ),
    check: (ctx: RuleContext) => rule.check(ctx),
  });
}
