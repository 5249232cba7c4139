import type { ScanResult } from '../scan';
import { summaryLine } from './text';

/**
 * GitHub Actions workflow commands: each finding becomes an annotation on the pull request's diff without
 * needing code scanning. Values are escaped as the runner requires (`%`, CR, LF; plus `:` and `,` in properties).
 */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * `repositoryPath` maps a report path (relative to the scan root) to the path GitHub expects, relative to
 * the repository's top folder; without it report paths are used as they are.
 */
export function formatGithub(result: ScanResult, repositoryPath?: (relative: string) => string): string {
  const level = { error: 'error', warning: 'warning', info: 'notice' } as const;
  const out: string[] = [];
  for (const file of result.files) {
    for (const f of file.findings) {
      const properties = [
        `file=${escapeProperty(repositoryPath ? repositoryPath(file.path) : file.path)}`,
        `line=${f.range.start.line + 1}`,
        `col=${f.range.start.character + 1}`,
        `endLine=${f.range.end.line + 1}`,
        `title=${escapeProperty(`${f.ruleId} ${f.ruleName}`)}`,
      ].join(',');
      out.push(`::${level[f.severity]} ${properties}::${escapeData(f.message)}`);
    }
  }
  out.push(summaryLine(result));
  return out.join('\n') + '\n';
}
