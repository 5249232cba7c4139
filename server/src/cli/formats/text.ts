import type { Rule } from '../../rules/rule';
import { ruleDocUrl } from '../../rules/docs';
import type { ScanResult } from '../scan';

export interface TextOptions {
  color: boolean;
}

const paint = (on: boolean, code: number, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/**
 * Human output, grouped by file: `path:line:col  ID  severity  message`, then the rules that fired with
 * their docs links, skipped files with reasons, and a one-line summary.
 */
export function formatText(result: ScanResult, rules: readonly Rule[], { color }: TextOptions): string {
  const out: string[] = [];
  const fired = new Map<string, number>();
  const severityColor = { error: 31, warning: 33, info: 36 } as const;
  for (const file of result.files) {
    if (file.findings.length === 0 && file.notes.length === 0) continue;
    out.push(paint(color, 1, file.path));
    for (const finding of file.findings) {
      fired.set(finding.ruleId, (fired.get(finding.ruleId) ?? 0) + 1);
      const where = `${file.path}:${finding.range.start.line + 1}:${finding.range.start.character + 1}`;
      const severity = paint(color, severityColor[finding.severity], finding.severity.padEnd(7));
      const fixable = finding.fix ? paint(color, 2, ' [fix available]') : '';
      out.push(`  ${where}  ${paint(color, 1, finding.ruleId)}  ${severity} ${finding.message}${fixable}`);
      for (const related of finding.related ?? []) {
        out.push(
          paint(
            color,
            2,
            `      ↳ ${file.path}:${related.range.start.line + 1}:${related.range.start.character + 1}  ${related.message}`,
          ),
        );
      }
    }
    for (const note of file.notes) {
      const line = note.range ? `:${note.range.start.line + 1}:${note.range.start.character + 1}` : '';
      out.push(paint(color, 2, `  ${file.path}${line}  note: ${note.message}`));
    }
    out.push('');
  }
  if (fired.size > 0) {
    out.push(paint(color, 1, 'Rules'));
    for (const rule of rules) {
      const count = fired.get(rule.meta.id);
      if (!count) continue;
      out.push(
        `  ${rule.meta.id}  ${rule.meta.name.padEnd(36)} ${String(count).padStart(4)}  ${ruleDocUrl(rule.meta)}`,
      );
    }
    out.push('');
  }
  if (result.skipped.length > 0) {
    out.push(paint(color, 1, 'Skipped'));
    for (const skipped of result.skipped) out.push(`  ${skipped.path}: ${skipped.reason}`);
    out.push('');
  }
  out.push(summaryLine(result));
  return out.join('\n') + '\n';
}

export function summaryLine(result: ScanResult): string {
  const counts = { error: 0, warning: 0, info: 0 };
  let total = 0;
  for (const file of result.files) {
    for (const finding of file.findings) {
      counts[finding.severity]++;
      total++;
    }
  }
  const files = `${result.fileCount} file${result.fileCount === 1 ? '' : 's'} scanned`;
  if (total === 0) return `No findings (${files}).`;
  return `${total} finding${total === 1 ? '' : 's'} (${counts.error} error, ${counts.warning} warning, ${counts.info} info) in ${files}.`;
}
