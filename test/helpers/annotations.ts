/**
 * Inline expectations in fixture files, one per line above the line they describe (semgrep's grammar):
 * `# ruleid: FS201` must fire, `# ok: FS201` must not, `# todoruleid:` / `# todook:` record known gaps.
 * An annotation binds to the next line that is neither blank nor a comment.
 */
export type AnnotationKind = 'ruleid' | 'ok' | 'todoruleid' | 'todook';

export interface Annotation {
  kind: AnnotationKind;
  ruleId: string;
  /** 0-based line the annotation describes. */
  line: number;
  /** 0-based line of the annotation comment itself. */
  commentLine: number;
}

const ANNOTATION = /^\s*#\s*(ruleid|ok|todoruleid|todook)\s*:\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)/;

export function parseAnnotations(text: string): Annotation[] {
  const lines = text.split(/\r?\n/);
  const out: Annotation[] = [];
  lines.forEach((line, index) => {
    const match = ANNOTATION.exec(line);
    if (!match) return;
    let target = index + 1;
    while (target < lines.length && /^\s*(#.*)?$/.test(lines[target] ?? '')) target++;
    for (const ruleId of (match[2] ?? '').split(',')) {
      out.push({ kind: match[1] as AnnotationKind, ruleId: ruleId.trim(), line: target, commentLine: index });
    }
  });
  return out;
}
