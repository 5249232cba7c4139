import { Rng } from './prng';

/** One keystroke: replace text[start, end) with `text` (one character typed, one deleted, or Enter + indent). */
export interface KeyEdit {
  start: number;
  end: number;
  text: string;
}

/** Statements typed inside `if` blocks, character by character: most are half-typed for a while. */
const IF_BODY_STATEMENTS = [
  'next_url = request.args.get("next")',
  'rows = db.session.execute(text(f"SELECT * FROM items WHERE name = \'{term}\'")).fetchall()',
  'return redirect(request.args.get("next", "/"))',
  'log.warning("unexpected state for %s", request.remote_addr)',
  'subprocess.call("convert " + request.args["file"], shell=True)',
  'abort(403)',
  'flash("Please check the form.", "danger")',
];

const TOP_LEVEL_LINES = ['def normalise_term(value):', '    return (value or "").strip().lower()[:100]'];

/** Offsets at the end of every line matching `pattern` (multi-line regex over the whole text). */
function lineEnds(text: string, pattern: RegExp): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(pattern)) out.push((m.index ?? 0) + m[0].length);
  return out;
}

/**
 * A deterministic typing session over `initial`: `count` keystrokes in short bursts at different places,
 * the way people edit. Bursts:
 * - Enter at the end of an `if ...:` line (a new line inside the block, auto-indented), then a statement
 *   typed one character at a time, so the file spends most of the burst with an unclosed `(` or string;
 * - typos: a few characters typed, deleted with backspace, typed again;
 * - backspace over the end of an existing line (eating its closing `)`), then the characters typed back;
 * - a new top-level function typed between two definitions.
 * Every edit is expressed against the text as it is just before it (as an editor sends them).
 */
export function keystrokeScript(initial: string, count: number, seed: number): KeyEdit[] {
  const rng = new Rng(seed);
  const edits: KeyEdit[] = [];
  let text = initial;
  const push = (edit: KeyEdit) => {
    if (edits.length >= count) return;
    edits.push(edit);
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  };
  const typeAt = (offset: number, chars: string): number => {
    let at = offset;
    for (const ch of chars) {
      push({ start: at, end: at, text: ch });
      at += ch.length;
    }
    return at;
  };
  const backspace = (offset: number, n: number): number => {
    let at = offset;
    for (let i = 0; i < n && at > 0; i++) {
      push({ start: at - 1, end: at, text: '' });
      at--;
    }
    return at;
  };

  while (edits.length < count) {
    const burst = rng.next();
    if (burst < 0.5) {
      const ifs = lineEnds(text, /^( +)if [^\n]*:$/gm);
      if (ifs.length === 0) break;
      const at = rng.pick(ifs);
      const indent = /^( *)/.exec(text.slice(text.lastIndexOf('\n', at - 1) + 1))?.[1] ?? '';
      push({ start: at, end: at, text: `\n${indent}    ` });
      const statement = rng.pick(IF_BODY_STATEMENTS);
      let cursor = at + indent.length + 5;
      if (rng.chance(0.4)) {
        // A typo halfway: three characters too many, deleted, then the rest.
        const half = Math.floor(statement.length / 2);
        cursor = typeAt(cursor, statement.slice(0, half));
        cursor = typeAt(cursor, 'xqz');
        cursor = backspace(cursor, 3);
        typeAt(cursor, statement.slice(half));
      } else {
        typeAt(cursor, statement);
      }
    } else if (burst < 0.8) {
      const calls = lineEnds(text, /^ +[^\n#]*\)$/gm);
      if (calls.length === 0) break;
      const at = rng.pick(calls);
      const n = rng.int(1, 6);
      const removed = text.slice(at - n, at);
      typeAt(backspace(at, n), removed);
    } else {
      const gaps = lineEnds(text, /\n\n\n(?=def |class |@)/g);
      if (gaps.length === 0) break;
      const at = rng.pick(gaps) - 1;
      let cursor = at;
      for (const line of TOP_LEVEL_LINES) {
        push({ start: cursor, end: cursor, text: '\n' });
        cursor = typeAt(cursor + 1, line);
      }
      push({ start: cursor, end: cursor, text: '\n\n' });
    }
  }
  return edits;
}

/** The text after all the edits. */
export function applyScript(text: string, edits: readonly KeyEdit[]): string {
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
