import type { Blank } from '../engine/recovery';
import type { AnalysisNote, Range } from '../engine/types';

/** A content change as the document saw it: the range it replaced (positions before it) and the texts. */
export interface TextChange {
  range: Range;
  removed: string;
  inserted: string;
}

/** Line breaks and continuations: typing or deleting one moves lines, which a blank is made of. */
const LINE_SHAPING = /[\\\r\n]/;

/**
 * The blank (engine/recovery.ts: a statement whose bracket is never closed, left out of the analysis)
 * whose line a change edits after the open bracket, without typing or deleting a line break; -1 for none.
 * Only one-line blanks count. Whether the blank then still stands (the bracket still open at the end of
 * the line) is for the text after the change to say: see `QuietEdits.quietSince`.
 */
export function blankEdited(blanks: readonly Blank[], change: TextChange): number {
  if (LINE_SHAPING.test(change.removed) || LINE_SHAPING.test(change.inserted)) return -1;
  const { start, end } = change.range;
  if (start.line !== end.line) return -1;
  return blanks.findIndex(
    (blank) =>
      blank.range.start.line === start.line &&
      blank.range.end.line === start.line + 1 &&
      blank.range.end.character === 0 &&
      blank.bracket.line === start.line &&
      start.character > blank.bracket.character,
  );
}

/** What the last analysis of a document saw, and what changed since. */
interface Record {
  version: number;
  blanks: readonly Blank[];
  notes: readonly AnalysisNote[];
  /** False once a change did more than edit the line of a blank after its bracket. */
  quiet: boolean;
  /** The blanks whose lines were edited. */
  touched: Set<number>;
}

/**
 * Per open document, whether every change since its last analysis was typed inside a statement whose
 * bracket stays open. Then the text the analysis reads is what it was (the statement is cut at the same
 * bracket, or blanked to the same `pass`, and keeps its line break), and so are the results: the language
 * server answers with that analysis instead of parsing the file again. This is the commonest keystroke
 * while a call is typed (`rows = db.execute(text(f"SELECT ...`), and on a large file each such key made
 * tree-sitter's error recovery re-read the rest of the file (0.3 s at 20k lines) to produce the same
 * recovered text.
 */
export class QuietEdits {
  private readonly records = new Map<string, Record>();

  /** After an analysis of `version` (the document's current version) with these blanks and notes. */
  analysed(uri: string, version: number, blanks: readonly Blank[], notes: readonly AnalysisNote[]): void {
    if (blanks.length === 0) this.records.delete(uri);
    else this.records.set(uri, { version, blanks, notes, quiet: true, touched: new Set() });
  }

  changed(uri: string, change: TextChange): void {
    const record = this.records.get(uri);
    if (!record?.quiet) return;
    const index = blankEdited(record.blanks, change);
    if (index < 0) record.quiet = false;
    else record.touched.add(index);
  }

  forget(uri: string): void {
    this.records.delete(uri);
  }

  /**
   * The notes of the analysis of `version`, when every change since was quiet and every blank they edited
   * still stands in the text as it is now (`stands`, asked of the document's current text); else undefined.
   */
  quietSince(
    uri: string,
    version: number,
    stands: (blank: Blank) => boolean,
  ): readonly AnalysisNote[] | undefined {
    const record = this.records.get(uri);
    if (!record?.quiet || record.version !== version) return undefined;
    for (const index of record.touched) {
      if (!stands(record.blanks[index] as Blank)) return undefined;
    }
    return record.notes;
  }

  /** That analysis now stands for `version` too. */
  reused(uri: string, version: number): void {
    const record = this.records.get(uri);
    if (!record) return;
    record.version = version;
  }
}
