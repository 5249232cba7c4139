import { Edit } from 'web-tree-sitter';

/**
 * Tree-sitter edits from text offsets: the language server's documents and the keystroke path's reduced
 * file both describe their changes this way before re-parsing incrementally.
 */
export interface Point {
  row: number;
  column: number;
}

/** A tree-sitter point: rows count `\n` only (as tree-sitter does), columns are UTF-16 code units. */
export function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** Where a point ends up after `inserted` is written at it. */
export function advance(point: Point, inserted: string): Point {
  const last = inserted.lastIndexOf('\n');
  if (last === -1) return { row: point.row, column: point.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf('\n'); i !== -1; i = inserted.indexOf('\n', i + 1)) rows++;
  return { row: point.row + rows, column: inserted.length - last - 1 };
}

/** The edit replacing text[start, end) with `inserted`. */
export function treeSitterEdit(text: string, start: number, end: number, inserted: string): Edit {
  return editFrom(pointAt(text, start), start, text.slice(start, end), inserted);
}

/** The edit replacing `removed`, which starts at offset `start` and point `startPosition`, with `inserted`. */
export function editFrom(startPosition: Point, start: number, removed: string, inserted: string): Edit {
  return new Edit({
    startIndex: start,
    oldEndIndex: start + removed.length,
    newEndIndex: start + inserted.length,
    startPosition,
    oldEndPosition: advance(startPosition, removed),
    newEndPosition: advance(startPosition, inserted),
  });
}
