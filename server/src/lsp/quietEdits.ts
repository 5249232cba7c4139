import type { Blank } from '../engine/recovery';
import type { AnalysisNote, Range } from '../engine/types';

/** A content change as the document saw it: the range it replaced (positions before it) and the texts. */
export interface TextChange {
  range: Range;
  removed: string;
  inserted: string;
}

/**
 * Characters that can change how Python's tokenizer reads a line inside open brackets: brackets, quotes,
 * comments, line continuations and line breaks. Typing anything else cannot close a bracket, open or close
 * a string, or start a statement on a new line.
 */
const TOKEN_SHAPING = /[()[\]{}'"#\\\r\n]/;

/**
 * Whether a change leaves the analysed text as it was: a change on the line of a one-line statement that
 * recovery blanked out (its bracket is never closed, engine/recovery.ts), after that bracket, that neither
 * removes nor types a character that shapes tokens. The bracket stays open, the next statement still ends
 * it, and the blank is `pass` plus the same line break: every finding, fix and note stays where it was.
 *
 * This is the commonest keystroke while a call is typed (`rows = db.execute(text(f"SELECT ...`), and on a
 * large file each such key made tree-sitter's error recovery re-read the rest of the file (0.3 s at 20k
 * lines) to produce a recovered text identical to the last one.
 */
export function isQuietChange(blanks: readonly Blank[], change: TextChange): boolean {
  if (TOKEN_SHAPING.test(change.removed) || TOKEN_SHAPING.test(change.inserted)) return false;
  const { start, end } = change.range;
  if (start.line !== end.line) return false;
  return blanks.some(
    (blank) =>
      blank.range.start.line === start.line &&
      blank.range.end.line === start.line + 1 &&
      blank.range.end.character === 0 &&
      blank.bracket.line === start.line &&
      start.character > blank.bracket.character,
  );
}

/** What the last analysis of a document saw, and whether every change since is quiet. */
interface Record {
  version: number;
  blanks: readonly Blank[];
  notes: readonly AnalysisNote[];
  quiet: boolean;
}

/**
 * Per open document: the versions since its last analysis whose changes were all quiet (`isQuietChange`),
 * so the language server can answer with that analysis instead of parsing and analysing again.
 */
export class QuietEdits {
  private readonly records = new Map<string, Record>();

  /** After an analysis of `version` (the document's current version) with these blanks and notes. */
  analysed(uri: string, version: number, blanks: readonly Blank[], notes: readonly AnalysisNote[]): void {
    if (blanks.length === 0) this.records.delete(uri);
    else this.records.set(uri, { version, blanks, notes, quiet: true });
  }

  changed(uri: string, change: TextChange): void {
    const record = this.records.get(uri);
    if (record?.quiet && !isQuietChange(record.blanks, change)) record.quiet = false;
  }

  forget(uri: string): void {
    this.records.delete(uri);
  }

  /** The notes of the analysis of `version`, when every change since was quiet; undefined otherwise. */
  quietSince(uri: string, version: number): readonly AnalysisNote[] | undefined {
    const record = this.records.get(uri);
    return record?.quiet && record.version === version ? record.notes : undefined;
  }

  /** That analysis now stands for `version` too (the quiet changes up to it are accounted for). */
  reused(uri: string, version: number): void {
    const record = this.records.get(uri);
    if (record) record.version = version;
  }
}
