import type {
  Position,
  Range,
  TextDocument,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-textdocument';
import { pointAt } from '../engine/treeEdits';
import type { Point } from '../engine/treeEdits';
import { utf8Length } from './tick';

/** Chunk length aimed at: an edit copies about this much, and a 1 MB file is a few hundred chunks. */
const CHUNK = 4096;

const LF = 10;
const CR = 13;

/**
 * An open document whose text is kept in chunks of about 4 KiB, with the same positions, line offsets and
 * answers as `vscode-languageserver-textdocument`'s TextDocument (a property test checks it edit by edit).
 *
 * Why not that TextDocument: it keeps the text as one string and splices each change into it
 * (`text.substring(0, start) + inserted + text.substring(end)`). V8 then copies the whole text on the next
 * read or splice, and a string over 128 KiB is allocated in V8's large-object space: 0.15-0.3 ms per
 * keystroke on a 200 KB file, more than the rest of a keystroke that reuses the last analysis (typing inside
 * an open bracket, lsp/quietEdits.ts) costs in the server. Here an edit copies one chunk, and the whole text
 * is joined only when it is asked for (a parse), once per version.
 *
 * It also keeps, edit by edit, what the analysis asks of every version before it reads the text: its
 * UTF-8 size, whether it holds a NUL, and whether a lone `\r` breaks a line (tree-sitter then counts rows
 * differently from LSP lines).
 */
export class ChunkedDocument implements TextDocument {
  private chunks: string[];
  /** Offset of each chunk's first character. */
  private starts: number[];
  private textLength: number;
  /** The whole text, once joined for this version. */
  private joined: string | undefined;
  /** Offsets where lines start, as TextDocument counts them (`\r\n`, `\r` or `\n` end a line). */
  private lineOffsets: number[] | undefined;
  private bytes: number;
  private nuls: number;
  private loneCarriageReturns: number;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    private currentVersion: number,
    content: string,
  ) {
    this.chunks = [];
    this.starts = [];
    this.textLength = 0;
    this.bytes = 0;
    this.nuls = 0;
    this.loneCarriageReturns = 0;
    this.setText(content);
  }

  get version(): number {
    return this.currentVersion;
  }

  get lineCount(): number {
    return this.getLineOffsets().length;
  }

  /** The text's length in UTF-16 code units. */
  get length(): number {
    return this.textLength;
  }

  /** The text's length in UTF-8 bytes (as `Buffer.byteLength` counts it). */
  get utf8Length(): number {
    return this.bytes;
  }

  get hasNul(): boolean {
    return this.nuls > 0;
  }

  /** Whether tree-sitter's rows (`\n` only) are the lines here: no `\r` ends a line on its own. */
  get rowsAreLines(): boolean {
    return this.loneCarriageReturns === 0;
  }

  getText(range?: Range): string {
    if (range) return this.slice(this.offsetAt(range.start), this.offsetAt(range.end));
    this.joined ??= this.chunks.length === 1 ? (this.chunks[0] ?? '') : this.chunks.join('');
    return this.joined;
  }

  /** text[start, end), without joining the whole text. */
  slice(start: number, end: number): string {
    start = Math.max(0, Math.min(start, this.textLength));
    end = Math.max(start, Math.min(end, this.textLength));
    if (this.joined !== undefined) return this.joined.substring(start, end);
    let i = this.chunkAt(start);
    let out = '';
    while (i < this.chunks.length && (this.starts[i] as number) < end) {
      const from = this.starts[i] as number;
      out += (this.chunks[i] as string).substring(Math.max(0, start - from), end - from);
      i++;
    }
    return out;
  }

  /** The UTF-16 code unit at `offset` (NaN outside the text), as `String.prototype.charCodeAt`. */
  charCodeAt(offset: number): number {
    if (offset < 0 || offset >= this.textLength) return NaN;
    if (this.joined !== undefined) return this.joined.charCodeAt(offset);
    const i = this.chunkAt(offset);
    return (this.chunks[i] as string).charCodeAt(offset - (this.starts[i] as number));
  }

  positionAt(offset: number): Position {
    offset = Math.max(Math.min(offset, this.textLength), 0);
    const lineOffsets = this.getLineOffsets();
    const line = lineOf(lineOffsets, offset);
    offset = this.ensureBeforeEOL(offset, lineOffsets[line] as number);
    return { line, character: offset - (lineOffsets[line] as number) };
  }

  offsetAt(position: Position): number {
    const lineOffsets = this.getLineOffsets();
    if (position.line >= lineOffsets.length) return this.textLength;
    if (position.line < 0) return 0;
    const lineOffset = lineOffsets[position.line] as number;
    if (position.character <= 0) return lineOffset;
    const nextLineOffset =
      position.line + 1 < lineOffsets.length ? (lineOffsets[position.line + 1] as number) : this.textLength;
    const offset = Math.min(lineOffset + position.character, nextLineOffset);
    return this.ensureBeforeEOL(offset, lineOffset);
  }

  getLineRange(line: number): Range {
    const lineOffsets = this.getLineOffsets();
    if (line >= lineOffsets.length) {
      const lastLine = lineOffsets.length - 1;
      return {
        start: { line: lastLine, character: 0 },
        end: { line: lastLine, character: this.textLength - (lineOffsets[lastLine] as number) },
      };
    }
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const startOffset = lineOffsets[line] as number;
    const nextLineOffset =
      line + 1 < lineOffsets.length ? (lineOffsets[line + 1] as number) : this.textLength;
    const endOffset = this.ensureBeforeEOL(nextLineOffset, startOffset);
    return { start: { line, character: 0 }, end: { line, character: endOffset - startOffset } };
  }

  getEOLCharacters(line: number): string {
    const lineOffsets = this.getLineOffsets();
    if (line >= lineOffsets.length || line < 0) return '';
    const nextLineOffset =
      line + 1 < lineOffsets.length ? (lineOffsets[line + 1] as number) : this.textLength;
    return this.slice(this.ensureBeforeEOL(nextLineOffset, lineOffsets[line] as number), nextLineOffset);
  }

  /**
   * Row and column of `offset` as tree-sitter counts them: rows by `\n` only, columns in UTF-16 code units
   * from the last `\n` (even between a `\r` and its `\n`, where `positionAt` moves back).
   */
  treePointAt(offset: number): Point {
    offset = Math.max(Math.min(offset, this.textLength), 0);
    if (!this.rowsAreLines) return pointAt(this.getText(), offset);
    const lineOffsets = this.getLineOffsets();
    const row = lineOf(lineOffsets, offset);
    return { row, column: offset - (lineOffsets[row] as number) };
  }

  /** Applies changes in order, each measured against the text as the previous one left it. */
  update(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if ('range' in change && change.range) this.replaceRange(change.range, change.text);
      else this.setText(change.text);
    }
    this.currentVersion = version;
  }

  private setText(content: string): void {
    this.chunks = [];
    this.starts = [];
    for (let at = 0; at < content.length || this.chunks.length === 0;) {
      const end = chunkEnd(content, at, content.length);
      this.starts.push(at);
      this.chunks.push(content.substring(at, end));
      at = end;
    }
    this.textLength = content.length;
    this.joined = content;
    this.lineOffsets = undefined;
    this.bytes = utf8Length(content);
    this.nuls = count(content, '\0');
    this.loneCarriageReturns = countLoneCarriageReturns(content, 0, content.length);
  }

  private replaceRange(range: Range, inserted: string): void {
    let start = this.offsetAt(range.start);
    let end = this.offsetAt(range.end);
    if (end < start) [start, end] = [end, start];
    // Range ends given backwards are taken in order, as TextDocument's getWellformedRange does.
    const [first, last] = isBefore(range.end, range.start)
      ? [range.end, range.start]
      : [range.start, range.end];

    // What the counters see of the old text: the removed part, one character before it and one after
    // (a `\r` before the change may gain or lose its `\n`; a surrogate pair may be cut or rejoined).
    const windowStart = Math.max(0, start - 1);
    const oldWindow = this.slice(windowStart, end + 1);
    const removed = oldWindow.substring(start - windowStart, end - windowStart);

    this.splice(start, end, inserted);

    const newWindow = this.slice(windowStart, start + inserted.length + 1);
    this.bytes += utf8Length(newWindow) - utf8Length(oldWindow);
    this.nuls += count(inserted, '\0') - count(removed, '\0');
    this.loneCarriageReturns +=
      countLoneCarriageReturns(newWindow, 0, start + inserted.length - windowStart) -
      countLoneCarriageReturns(oldWindow, 0, end - windowStart);
    this.updateLineOffsets(first, last, start, end, inserted);
  }

  /** TextDocument's own bookkeeping of line offsets for one incremental change. */
  private updateLineOffsets(first: Position, last: Position, start: number, end: number, inserted: string) {
    const lineOffsets = this.lineOffsets;
    if (!lineOffsets) return;
    const insertedEnd = start + inserted.length;
    const crlfAtStart = this.charCodeAt(start - 1) === CR && this.charCodeAt(start) === LF;
    const crlfAtEnd = this.charCodeAt(insertedEnd - 1) === CR && this.charCodeAt(insertedEnd) === LF;
    if (crlfAtStart || crlfAtEnd) {
      this.lineOffsets = undefined;
      return;
    }
    const startLine = Math.max(first.line, 0);
    const endLine = Math.max(last.line, 0);
    const added = computeLineOffsets(inserted, false, start);
    if (endLine - startLine === added.length) {
      for (let i = 0; i < added.length; i++) lineOffsets[i + startLine + 1] = added[i] as number;
    } else if (added.length < 10_000) {
      lineOffsets.splice(startLine + 1, endLine - startLine, ...added);
    } else {
      this.lineOffsets = [
        ...lineOffsets.slice(0, startLine + 1),
        ...added,
        ...lineOffsets.slice(endLine + 1),
      ];
    }
    const diff = inserted.length - (end - start);
    if (diff !== 0) {
      const offsets = this.lineOffsets as number[];
      for (let i = startLine + 1 + added.length; i < offsets.length; i++) {
        offsets[i] = (offsets[i] as number) + diff;
      }
    }
  }

  /** Replaces text[start, end) in the chunks that hold it; the chunks stay between CHUNK/8 and 2 CHUNK long. */
  private splice(start: number, end: number, inserted: string): void {
    const i = this.chunkAt(start);
    let j = this.chunkAt(end);
    // An end at a chunk's first character belongs to the chunk before (no need to touch the next one).
    if (j > i && this.starts[j] === end) j--;
    const head = (this.chunks[i] as string).substring(0, start - (this.starts[i] as number));
    const tail = (this.chunks[j] as string).substring(end - (this.starts[j] as number));
    let text = head + inserted + tail;
    let from = i;
    let to = j + 1;
    // A chunk grown small is merged with its neighbour, so that deleting does not leave thousands of chunks.
    if (text.length < CHUNK / 8 && this.chunks.length > to - from) {
      if (to < this.chunks.length) text += this.chunks[to++] as string;
      else text = (this.chunks[--from] as string) + text;
    }
    const pieces: string[] = [];
    for (let at = 0; at < text.length || pieces.length === 0;) {
      const stop = text.length <= 2 * CHUNK ? text.length : chunkEnd(text, at, text.length);
      pieces.push(text.substring(at, stop));
      at = stop;
    }
    this.chunks.splice(from, to - from, ...pieces);
    this.textLength += inserted.length - (end - start);
    this.starts.length = this.chunks.length;
    let offset =
      from === 0 ? 0 : (this.starts[from - 1] as number) + (this.chunks[from - 1] as string).length;
    for (let k = from; k < this.chunks.length; k++) {
      this.starts[k] = offset;
      offset += (this.chunks[k] as string).length;
    }
    this.joined = undefined;
  }

  /** The chunk holding `offset`; the last chunk for the text's end. */
  private chunkAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private getLineOffsets(): number[] {
    this.lineOffsets ??= computeLineOffsets(this.getText(), true);
    return this.lineOffsets;
  }

  /** An offset between a `\r` and its `\n` counts as before the `\r` (TextDocument does the same). */
  private ensureBeforeEOL(offset: number, lineOffset: number): number {
    while (offset > lineOffset && isEOL(this.charCodeAt(offset - 1))) offset--;
    return offset;
  }
}

function isEOL(code: number): boolean {
  return code === CR || code === LF;
}

function isBefore(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** The line holding `offset`: the last line starting at or before it. */
function lineOf(lineOffsets: readonly number[], offset: number): number {
  let low = 0;
  let high = lineOffsets.length;
  if (high === 0) return 0;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((lineOffsets[mid] as number) > offset) high = mid;
    else low = mid + 1;
  }
  return low - 1;
}

/** Where a chunk starting at `at` ends: CHUNK characters on, never between the halves of a surrogate pair. */
function chunkEnd(text: string, at: number, length: number): number {
  let end = Math.min(at + CHUNK, length);
  const code = text.charCodeAt(end - 1);
  if (end < length && code >= 0xd800 && code <= 0xdbff) end++;
  return end;
}

/** TextDocument's line starts: after `\r\n`, `\r` or `\n`. */
function computeLineOffsets(text: string, isAtLineStart: boolean, textOffset = 0): number[] {
  const result: number[] = isAtLineStart ? [textOffset] : [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (isEOL(ch)) {
      if (ch === CR && i + 1 < text.length && text.charCodeAt(i + 1) === LF) i++;
      result.push(textOffset + i + 1);
    }
  }
  return result;
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** `\r`s in text[from, to) not followed by `\n` (the character after `to - 1` may be read). */
function countLoneCarriageReturns(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\r', from); i !== -1 && i < to; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}
