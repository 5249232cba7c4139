import { z } from 'zod';
import type { RuleContext } from '../engine/context';

/**
 * One rule = one file: metadata (the single source of its docs page, SARIF entry and diagnostics),
 * detection, and the fix. Metadata is validated when the rule module loads, so a malformed rule fails the
 * test suite rather than a user's scan.
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

export const RuleMetaSchema = z
  .object({
    id: z.string().regex(/^FS\d{3}$/),
    name: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/),
    title: z.string().min(10),
    severity: z.enum(['error', 'warning', 'info']),
    confidence: z.enum(['high', 'medium', 'low']),
    cwe: z.array(z.string().regex(/^CWE-\d+$/)).min(1),
    owasp: z.array(z.enum(Object.keys(OWASP_2021) as [OwaspCategory, ...OwaspCategory[]])).min(1),
    fix: z
      .object({ title: z.string().min(3), safety: z.enum(['safe', 'unsafe']) })
      .strict()
      .optional(),
    docs: z
      .object({
        /** What the rule finds, one paragraph. */
        summary: z.string().min(20),
        /** Why it matters: the attack. */
        why: z.string().min(20),
        /** Python that the rule flags. */
        example: z.string().min(10),
        /** Python written the safe way. */
        fix: z.string().min(10),
      })
      .strict(),
    references: z.array(z.url()).min(1),
  })
  .strict();

export type RuleMeta = z.infer<typeof RuleMetaSchema>;

export interface Rule {
  readonly meta: RuleMeta;
  check(ctx: RuleContext): void;
}

export function defineRule(rule: { meta: RuleMeta; check(ctx: RuleContext): void }): Rule {
  const meta = RuleMetaSchema.parse(rule.meta);
  return Object.freeze({ meta: Object.freeze(meta), check: (ctx: RuleContext) => rule.check(ctx) });
}
