import { OWASP_2021 } from './rule';
import type { RuleMeta } from './rule';

/** Where the generated rule pages are published; every link to a rule's docs is built here. */
export const DOCS_BASE_URL = 'https://github.com/flask-sentinel/flask-sentinel/blob/main/docs/rules/';

export function ruleDocFileName(meta: Pick<RuleMeta, 'id' | 'name'>): string {
  return `${meta.id}-${meta.name}.md`;
}

export function ruleDocUrl(meta: Pick<RuleMeta, 'id' | 'name'>): string {
  return DOCS_BASE_URL + ruleDocFileName(meta);
}

export function cweUrl(cwe: string): string {
  return `https://cwe.mitre.org/data/definitions/${cwe.replace(/^CWE-/, '')}.html`;
}

/** The rule's documentation page, in Markdown: the same text for docs/, SARIF `help` and editor hovers. */
export function renderRuleDoc(meta: RuleMeta): string {
  const owasp = meta.owasp.map((c) => `${c} ${OWASP_2021[c]}`).join('; ');
  const lines = [
    `# ${meta.id} ${meta.name}`,
    '',
    `**${meta.title}**`,
    '',
    `| | |`,
    `|---|---|`,
    `| Severity | ${meta.severity} |`,
    `| Confidence | ${meta.confidence} |`,
    `| CWE | ${meta.cwe.map((c) => `[${c}](${cweUrl(c)})`).join(', ')} |`,
    `| OWASP Top 10 | ${owasp} |`,
    `| Fix | ${meta.fix ? `${meta.fix.title} (${meta.fix.safety})` : 'none; see below'} |`,
    '',
    '## What it finds',
    '',
    meta.docs.summary,
    '',
    '## Why it matters',
    '',
    meta.docs.why,
    '',
    '## Example',
    '',
    '```python',
    meta.docs.example,
    '```',
    '',
    '## Use instead',
    '',
    '```python',
    meta.docs.fix,
    '```',
    '',
    '## Suppressing',
    '',
    `Add \`# nosec ${meta.id}\` at the end of the line, or turn the rule off with \`ignore = ["${meta.id}"]\` under \`[tool.flask-sentinel]\` in \`pyproject.toml\`.`,
    '',
    '## References',
    '',
    ...meta.references.map((r) => `- ${r}`),
    '',
  ];
  return lines.join('\n');
}
