import { AgentFindingSchema, type AgentFinding } from './protocol';
import { FINDINGS_FENCE } from './checklist';

/**
 * The machine-readable findings block an agent ends its answer with:
 *
 *     ```flask-sentinel-findings
 *     [{"severity": "high", "title": "…", "cwe": "CWE-89", "line": 14, "explanation": "…"}]
 *     ```
 *
 * Decision: a block that parses is REMOVED from the answer that is displayed and stored — its findings are
 * shown as cards (the same content, with Show diff / Apply), so showing the JSON as well would only repeat
 * it. A block that does not parse as JSON stays in the answer as it was (so nothing the model said is lost)
 * and `parseError` says why there are no cards. Items that fail AgentFindingSchema are dropped and counted.
 *
 * While the answer streams, `FindingsBlockFilter` holds back everything from the opening fence on, so the
 * webview never flashes raw JSON; the final answer comes with `turnEnd`.
 */

export interface ExtractedFindings {
  /** The answer to display: the block removed when it parsed. */
  display: string;
  findings: AgentFinding[];
  /** Items that were in the block but failed validation. */
  dropped: number;
  /** A block was present. */
  found: boolean;
  parseError?: string;
}

const MAX_FINDINGS = 100;

/** Matches ```flask-sentinel-findings … ``` (or ~~~), also an unterminated last block. */
const BLOCK = new RegExp(
  String.raw`(^|\n)([ \t]*)(\x60{3,}|~{3,})[ \t]*${FINDINGS_FENCE}[ \t]*\n([\s\S]*?)(?:\n[ \t]*\3[ \t]*(?=\n|$)|$(?![\s\S]))`,
  'g',
);

/** Strips `14 | ` prefixes a model copied from the numbered listing into a replacement. */
function stripLineNumbers(replacement: string): string {
  const lines = replacement.split('\n');
  const numbered = /^\s*\d+ \| ?/;
  if (lines.length > 0 && lines.every((l) => numbered.test(l) || l.trim() === '')) {
    return lines.map((l) => l.replace(numbered, '')).join('\n');
  }
  return replacement;
}

/** Strips a Markdown fence a model wrapped a replacement in. */
function stripFence(replacement: string): string {
  const m = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\s*\1\s*$/.exec(replacement);
  return m ? (m[2] ?? '') : replacement;
}

export function validateFindings(items: unknown[]): { findings: AgentFinding[]; dropped: number } {
  const findings: AgentFinding[] = [];
  let dropped = 0;
  for (const item of items) {
    const r = AgentFindingSchema.safeParse(item);
    if (!r.success || findings.length >= MAX_FINDINGS) {
      dropped++;
      continue;
    }
    const f = { ...r.data };
    if (f.endLine !== undefined && (f.line === undefined || f.endLine < f.line)) delete f.endLine;
    if (f.replacement !== undefined) {
      f.replacement = stripLineNumbers(stripFence(f.replacement));
      if (f.line === undefined) delete f.replacement; // a replacement must say which lines it replaces
    }
    findings.push(f);
  }
  return { findings, dropped };
}

export function extractFindings(answer: string): ExtractedFindings {
  const blocks = [...answer.matchAll(BLOCK)];
  if (blocks.length === 0) return { display: answer, findings: [], dropped: 0, found: false };
  const items: unknown[] = [];
  const errors: string[] = [];
  const parsedRanges: [number, number][] = [];
  for (const m of blocks) {
    const body = (m[4] ?? '').trim();
    let data: unknown;
    try {
      data = JSON.parse(body === '' ? '[]' : body);
    } catch (err) {
      errors.push(err instanceof SyntaxError ? err.message : 'invalid JSON');
      continue;
    }
    const list = Array.isArray(data)
      ? data
      : typeof data === 'object' && data !== null && Array.isArray((data as { findings?: unknown }).findings)
        ? (data as { findings: unknown[] }).findings
        : undefined;
    if (!list) {
      errors.push('the block is not a JSON array of findings');
      continue;
    }
    items.push(...(list as unknown[]));
    const start = m.index + (m[1] ?? '').length;
    parsedRanges.push([start, m.index + m[0].length]);
  }
  let display = answer;
  for (const [start, end] of parsedRanges.reverse()) display = display.slice(0, start) + display.slice(end);
  display = display.replace(/\n{3,}/g, '\n\n').trimEnd();
  const { findings, dropped } = validateFindings(items);
  return {
    display,
    findings,
    dropped,
    found: true,
    ...(errors.length > 0 ? { parseError: `The findings block could not be read: ${errors[0]}` } : {}),
  };
}

/**
 * Passes streamed text through until the opening fence of a findings block, and holds back the block
 * itself. Text that might be the start of the fence (a partial ``` line) is held until it is decided.
 */
export class FindingsBlockFilter {
  private pending = '';
  private inBlock = false;

  /** Returns the text that can be shown now. */
  push(delta: string): string {
    if (this.inBlock) return '';
    this.pending += delta;
    const open = new RegExp(String.raw`(^|\n)[ \t]*(\x60{3,}|~{3,})[ \t]*${FINDINGS_FENCE}`).exec(
      this.pending,
    );
    if (open) {
      this.inBlock = true;
      const out = this.pending.slice(0, open.index + (open[1] ?? '').length);
      this.pending = '';
      return out;
    }
    // Hold back a trailing partial line that could still become the fence.
    const lastNl = this.pending.lastIndexOf('\n');
    const tail = this.pending.slice(lastNl + 1);
    const candidate = tail.trimStart();
    const fencePrefix = /^(\x60{1,}|~{1,})[ \t]*[a-z-]*$/.test(candidate) || candidate === '';
    const couldBeFence =
      fencePrefix &&
      (candidate === '' || FINDINGS_FENCE.startsWith(candidate.replace(/^(\x60+|~+)[ \t]*/, '')));
    if (couldBeFence && tail.length > 0) {
      const out = this.pending.slice(0, lastNl + 1);
      this.pending = tail;
      return out;
    }
    const out = this.pending;
    this.pending = '';
    return out;
  }

  /** Whatever is still held back when the stream ends outside a block. */
  flush(): string {
    if (this.inBlock) return '';
    const out = this.pending;
    this.pending = '';
    return out;
  }
}
