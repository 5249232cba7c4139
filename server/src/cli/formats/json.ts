import { OWASP_2021 } from '../../rules/rule';
import type { Rule } from '../../rules/rule';
import { ruleDocUrl } from '../../rules/docs';
import type { ScanResult } from '../scan';

export const JSON_REPORT_VERSION = 1;

/** Machine output: one object, findings with 1-based lines/columns (as editors show them) and fingerprints. */
export function formatJson(result: ScanResult, rules: readonly Rule[], toolVersion: string): string {
  const byId = new Map(rules.map((r) => [r.meta.id, r]));
  const findings = result.files.flatMap((file) =>
    file.findings.map((finding, index) => {
      const meta = byId.get(finding.ruleId)?.meta;
      return {
        path: file.path,
        ruleId: finding.ruleId,
        ruleName: finding.ruleName,
        severity: finding.severity,
        confidence: finding.confidence,
        message: finding.message,
        line: finding.range.start.line + 1,
        column: finding.range.start.character + 1,
        endLine: finding.range.end.line + 1,
        endColumn: finding.range.end.character + 1,
        cwe: finding.cwe,
        owasp: meta?.owasp.map((c) => `${c} ${OWASP_2021[c]}`) ?? [],
        docs: meta ? ruleDocUrl(meta) : undefined,
        fingerprint: file.fingerprints[index],
        fix: finding.fix,
        related: finding.related,
      };
    }),
  );
  const notes = result.files.flatMap((file) => file.notes.map((note) => ({ path: file.path, ...note })));
  const report = {
    version: JSON_REPORT_VERSION,
    tool: { name: 'flask-sentinel', version: toolVersion },
    summary: {
      files: result.fileCount,
      findings: findings.length,
      error: findings.filter((f) => f.severity === 'error').length,
      warning: findings.filter((f) => f.severity === 'warning').length,
      info: findings.filter((f) => f.severity === 'info').length,
    },
    findings,
    notes,
    skipped: result.skipped,
  };
  return JSON.stringify(report, null, 2) + '\n';
}
