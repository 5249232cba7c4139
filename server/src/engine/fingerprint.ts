import { createHash } from 'node:crypto';
import type { Finding } from './types';

/**
 * Stable fingerprints for baselines and SARIF `partialFingerprints`: the rule, the file, the text of the
 * finding's line with whitespace folded, and which occurrence of that same (rule, line text) pair it is.
 * Line numbers are left out on purpose, so a finding keeps its fingerprint when code above it moves.
 */
export function fingerprintFindings(
  relativePath: string,
  findings: readonly Finding[],
  lineText: (line: number) => string,
): string[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const normalized = lineText(finding.range.start.line).trim().replace(/\s+/g, ' ');
    const key = `${finding.ruleId}\u0000${relativePath}\u0000${normalized}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return createHash('sha256').update(`${key}\u0000${occurrence}`).digest('hex').slice(0, 32);
  });
}
