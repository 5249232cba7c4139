import * as z from 'zod';
import { OWASP_2021 } from './rule';
import type { OwaspCategory } from './rule';

/** What every rule's metadata must hold: checked for every rule by test/rules/meta.test.ts. */
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
