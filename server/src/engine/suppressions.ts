import type { Node } from 'web-tree-sitter';

/**
 * `# nosec` comments, bandit-compatible: bare `# nosec` silences every rule on its line, `# nosec FS201,
 * FS202` only those (bandit's own ids like B602 are accepted and ignored). Comments come from the parse
 * tree, so `"# nosec"` inside a string does nothing.
 */
const NOSEC = /#\s*nosec\b:?\s*([^#]*)/i;

export interface Suppressions {
  /** Lines (0-based) → suppressed rule ids, or 'all'. */
  readonly byLine: ReadonlyMap<number, ReadonlySet<string> | 'all'>;
}

export function collectSuppressions(comments: readonly Node[]): Suppressions {
  const byLine = new Map<number, Set<string> | 'all'>();
  for (const comment of comments) {
    const match = NOSEC.exec(comment.text);
    if (!match) continue;
    const ids = (match[1] ?? '')
      .split(/[\s,]+/)
      .map((s) => s.trim().toUpperCase())
      .filter((s) => /^[A-Z]+\d+$/.test(s));
    const line = comment.startPosition.row;
    const existing = byLine.get(line);
    if (ids.length === 0 || existing === 'all') {
      byLine.set(line, 'all');
    } else {
      const set = existing ?? new Set<string>();
      for (const id of ids) set.add(id);
      byLine.set(line, set);
    }
  }
  return { byLine };
}

/** A finding is suppressed by a `# nosec` on its first line or its last line (multi-line calls). */
export function isSuppressed(s: Suppressions, ruleId: string, startLine: number, endLine: number): boolean {
  for (const line of startLine === endLine ? [startLine] : [startLine, endLine]) {
    const entry = s.byLine.get(line);
    if (entry === 'all' || entry?.has(ruleId)) return true;
  }
  return false;
}
