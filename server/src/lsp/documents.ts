import { TextDocuments } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { Edit } from 'web-tree-sitter';

/**
 * Open documents, with every content change also turned into a tree-sitter `Edit` so that the document's
 * tree can be re-parsed incrementally. Each change of an event is measured against the text as it was just
 * before that change (changes apply in order), then applied before the next one is measured.
 */
export interface EditListener {
  /** Only documents with a tree need edits (computing one costs a scan of the text). */
  hasTree(uri: string): boolean;
  edited(uri: string, edit: Edit): void;
  /** A full-text change: the old tree is useless. */
  replaced(uri: string): void;
}

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
  const startPosition = pointAt(text, start);
  return new Edit({
    startIndex: start,
    oldEndIndex: end,
    newEndIndex: start + inserted.length,
    startPosition,
    oldEndPosition: pointAt(text, end),
    newEndPosition: advance(startPosition, inserted),
  });
}

export function createDocuments(listener: EditListener): TextDocuments<TextDocument> {
  return new TextDocuments<TextDocument>({
    create: (uri, languageId, version, content) => TextDocument.create(uri, languageId, version, content),
    update: (document, changes, version) => applyChanges(document, changes, version, listener),
  });
}

export function applyChanges(
  document: TextDocument,
  changes: readonly TextDocumentContentChangeEvent[],
  version: number,
  listener: EditListener,
): TextDocument {
  for (const change of changes) {
    if ('range' in change && change.range) {
      if (listener.hasTree(document.uri)) {
        const text = document.getText();
        let start = document.offsetAt(change.range.start);
        let end = document.offsetAt(change.range.end);
        if (end < start) [start, end] = [end, start];
        listener.edited(document.uri, treeSitterEdit(text, start, end, change.text));
      }
    } else {
      listener.replaced(document.uri);
    }
    TextDocument.update(document, [change], version);
  }
  return document;
}
