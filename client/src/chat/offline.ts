import { checklistItemsForRule, FINDINGS_FENCE, SECURITY_CHECKLIST, type ChecklistItem } from './checklist';
import type { AgentFinding } from './protocol';
import { SET_KEY_COMMAND_TITLE, type ChatContext, type LocalFinding, type RuleDoc } from './types';

/**
 * The answer the panel gives without an API key: composed from the local analysis only — the linter's
 * findings in the selected range, each rule's documentation (what it finds, why it matters, the safe
 * pattern), and the checklist items that apply — laid out in the chosen persona's section structure, and
 * ending with the same `flask-sentinel-findings` block a model would return, so the cards work the same.
 *
 * Rule metadata is a parameter (`RuleDoc[]`, i.e. `RuleSummary` from the `flaskSentinel/rules` request plus
 * the docs text), so the client bundle does not pull in the rule modules.
 */

type SectionKind = 'summary' | 'findings' | 'fixes' | 'checklist' | 'tests' | 'next';

/** Each built-in persona's sections (the headings its prompt file defines) and what offline fills in. */
export const OFFLINE_SECTIONS: Readonly<Record<string, readonly [string, SectionKind][]>> = {
  'flask-security-architect': [
    ['Verdict', 'summary'],
    ['Security', 'findings'],
    ['Reliability and tests', 'tests'],
    ['Next steps', 'next'],
  ],
  'backend-security-expert': [
    ['Risk summary', 'summary'],
    ['Attack paths', 'findings'],
    ['Fixes', 'fixes'],
    ['How to test it', 'tests'],
  ],
  'backend-python-expert': [
    ['Summary', 'summary'],
    ['Security checklist', 'checklist'],
    ['Issues', 'findings'],
    ['Tests to add', 'tests'],
  ],
  'backend-security-architect': [
    ['Threat model', 'summary'],
    ['Layers of defence', 'checklist'],
    ['Findings', 'findings'],
    ['Options', 'next'],
  ],
};

const GENERIC_SECTIONS: readonly [string, SectionKind][] = [
  ['Summary', 'summary'],
  ['Findings', 'findings'],
  ['Fixes', 'fixes'],
  ['Checklist', 'checklist'],
];

export interface OfflineAnswer {
  /** Markdown including the findings block (run it through extractFindings like a model's answer). */
  answer: string;
  findings: AgentFinding[];
}

const SEVERITY: Record<LocalFinding['severity'], AgentFinding['severity']> = {
  error: 'high',
  warning: 'medium',
  info: 'low',
};

function inRange(f: LocalFinding, ctx: ChatContext): boolean {
  if (!ctx.selection) return true;
  const end = f.endLine ?? f.line;
  return end >= ctx.selection.startLine && f.line <= ctx.selection.endLine;
}

function lines(f: LocalFinding): string {
  return f.endLine && f.endLine !== f.line ? `lines ${f.line}–${f.endLine}` : `line ${f.line}`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function offlineAnswer(
  persona: { id: string; name: string },
  ctx: ChatContext,
  rules: readonly RuleDoc[],
  /** Said instead of "add an Anthropic API key" where no key can be used (the web extension). */
  noKeyNote?: string,
): OfflineAnswer {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const findings = (ctx.findings ?? []).filter((f) => inRange(f, ctx)).sort((a, b) => a.line - b.line);
  const where = [
    ctx.path ? `\`${ctx.path}\`` : 'the selection',
    ctx.selection
      ? ctx.selection.startLine === ctx.selection.endLine
        ? `line ${ctx.selection.startLine}`
        : `lines ${ctx.selection.startLine}–${ctx.selection.endLine}`
      : ctx.diff
        ? 'the diff'
        : '',
  ]
    .filter(Boolean)
    .join(', ');
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const ruleIds = [...new Set(findings.map((f) => f.ruleId))];
  const items: ChecklistItem[] = SECURITY_CHECKLIST.filter((item) =>
    ruleIds.some((id) => checklistItemsForRule(id).includes(item)),
  );

  const render: Record<SectionKind, () => string> = {
    summary: () => {
      if (findings.length === 0) {
        return `Flask Sentinel's rules found no issues in ${where}. That does not make the code safe: the rules look for known patterns (injection, XSS, secrets, weak crypto, missing auth, unsafe files and redirects) and cannot judge business logic, authorisation rules or the code around the selection. Go through the checklist below by hand, or add a key for a model's review.`;
      }
      const parts = (['error', 'warning', 'info'] as const)
        .filter((s) => counts[s] > 0)
        .map((s) => `${counts[s]} ${s}${counts[s] === 1 ? '' : 's'}`);
      const top = findings.find((f) => f.severity === 'error') ?? findings[0];
      return `The local analysis found ${findings.length} issue${findings.length === 1 ? '' : 's'} in ${where} (${parts.join(', ')}). The most serious: **${top?.ruleId}** at ${top ? lines(top) : ''} — ${oneLine(top?.message ?? '')}`;
    },
    findings: () => {
      if (findings.length === 0) return 'No findings in this range.';
      return findings
        .map((f) => {
          const rule = byId.get(f.ruleId);
          const cwe = (f.cwe?.length ? f.cwe : (rule?.cwe ?? [])).join(', ');
          const out = [
            `#### ${f.ruleId}${rule ? ` ${rule.name}` : ''} — ${lines(f)}${cwe ? ` (${cwe})` : ''}`,
            '',
            `${oneLine(f.message)} _(${f.severity})_`,
          ];
          if (rule) {
            out.push('', `**What it is:** ${oneLine(rule.summary)}`);
            if (rule.why) out.push('', `**Why it matters:** ${oneLine(rule.why)}`);
            if (rule.hasFix)
              out.push('', 'A quick fix is available on the line (the light bulb, or Ctrl+.).');
            if (rule.docsUrl) out.push('', `Rule documentation: ${rule.docsUrl}`);
          }
          return out.join('\n');
        })
        .join('\n\n');
    },
    fixes: () => {
      const withFix = ruleIds.map((id) => byId.get(id)).filter((r): r is RuleDoc => !!r?.fix);
      if (withFix.length === 0) {
        return findings.length === 0 ? 'Nothing to fix from the local analysis.' : 'See each finding above.';
      }
      return withFix
        .map((r) => `**${r.id}** — the safe pattern:\n\n\`\`\`python\n${r.fix?.trim() ?? ''}\n\`\`\``)
        .join('\n\n');
    },
    checklist: () => {
      const failing = items.map((i) => `- **fail** — ${i.title}: ${i.text}`);
      const rest = SECURITY_CHECKLIST.filter((i) => !items.includes(i)).map(
        (i) => `- **unknown** — ${i.title}: ${i.text}`,
      );
      return [...failing, ...rest].join('\n');
    },
    tests: () => {
      if (findings.length === 0) {
        return '- Add pytest cases that send hostile input (quotes, `../`, `<script>`, very long values) to the routes in this code and assert it is rejected or neutralised.';
      }
      return findings
        .map(
          (f) =>
            `- A pytest case for ${lines(f)} (${f.ruleId}) that sends the hostile input the rule describes and asserts it is rejected or made harmless.`,
        )
        .concat(
          '- Run `flask-sentinel scan . --format sarif` in CI so these findings cannot come back unnoticed.',
        )
        .join('\n');
    },
    next: () => {
      if (findings.length === 0)
        return '1. Review the checklist by hand.\n2. Add an API key for a model’s review.';
      const ordered = [...findings].sort(
        (a, b) =>
          ['error', 'warning', 'info'].indexOf(a.severity) - ['error', 'warning', 'info'].indexOf(b.severity),
      );
      return ordered
        .slice(0, 10)
        .map(
          (f, i) =>
            `${i + 1}. Fix ${f.ruleId} at ${lines(f)}: ${byId.get(f.ruleId)?.title ?? oneLine(f.message)}.`,
        )
        .join('\n');
    },
  };

  const sections = OFFLINE_SECTIONS[persona.id] ?? GENERIC_SECTIONS;
  const agentFindings: AgentFinding[] = findings.slice(0, 100).map((f) => {
    const rule = byId.get(f.ruleId);
    const cwe = (f.cwe?.[0] ?? rule?.cwe[0])?.match(/^CWE-\d{1,5}$/)?.[0];
    const explanation = [oneLine(f.message), rule?.why ? oneLine(rule.why) : ''].filter(Boolean).join(' ');
    return {
      severity: SEVERITY[f.severity],
      title: `${f.ruleId}: ${rule?.title ?? oneLine(f.message)}`.slice(0, 300),
      ...(cwe ? { cwe } : {}),
      line: Math.max(1, f.line),
      ...(f.endLine && f.endLine > f.line ? { endLine: f.endLine } : {}),
      explanation: explanation.slice(0, 5000),
    };
  });

  const answer = [
    `> **Offline answer** from Flask Sentinel's local analysis, in the format of ${persona.name} — no model was called. ${noKeyNote ?? `For a model's review, add an Anthropic API key with the command **${SET_KEY_COMMAND_TITLE}**.`}`,
    '',
    ...sections.flatMap(([heading, kind]) => [`### ${heading}`, '', render[kind](), '']),
    `\`\`\`${FINDINGS_FENCE}`,
    JSON.stringify(agentFindings, null, 2),
    '```',
  ].join('\n');
  return { answer, findings: agentFindings };
}
