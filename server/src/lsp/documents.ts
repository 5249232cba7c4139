import { TextDocuments } from 'vscode-languageserver';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { Edit } from 'web-tree-sitter';
import { editFrom } from '../engine/treeEdits';
import { ChunkedDocument } from './chunkedDocument';
import type { TextChange } from './quietEdits';

/**
 * Open documents, with every content change also turned into a tree-sitter `Edit` so that the document's
 * tree can be re-parsed incrementally. Each change of an event is measured against the text as it was just
 * before that change (changes apply in order), then applied before the next one is measured.
 */
export interface EditListener {
  /** Only documents with a tree need edits. */
  hasTree(uri: string): boolean;
  edited(uri: string, edit: Edit): void;
  /** Every ranged change, with the text it removed. */
  changed?(uri: string, change: TextChange): void;
  /** A full-text change: the old tree is useless. */
  replaced(uri: string): void;
}

export function createDocuments(listener: EditListener): TextDocuments<ChunkedDocument> {
  return new TextDocuments<ChunkedDocument>({
    create: (uri, languageId, version, content) => new ChunkedDocument(uri, languageId, version, content),
    update: (document, changes, version) => applyChanges(document, changes, version, listener),
  });
}

/** Applies changes to the document; none of this joins its text (chunkedDocument.ts says why). */
export function applyChanges(
  document: ChunkedDocument,
  changes: readonly TextDocumentContentChangeEvent[],
  version: number,
  listener: EditListener,
): ChunkedDocument {
  for (const change of changes) {
    if ('range' in change && change.range) {
      let start = document.offsetAt(change.range.start);
      let end = document.offsetAt(change.range.end);
      if (end < start) [start, end] = [end, start];
      const removed = document.slice(start, end);
      if (listener.hasTree(document.uri)) {
        listener.edited(document.uri, editFrom(document.treePointAt(start), start, removed, change.text));
      }
      listener.changed?.(document.uri, {
        range: { start: document.positionAt(start), end: document.positionAt(end) },
        removed,
        inserted: change.text,
      });
    } else {
      listener.replaced(document.uri);
    }
    document.update([change], version);
  }
  return document;
}
