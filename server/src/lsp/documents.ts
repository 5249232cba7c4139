import { TextDocuments } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { Edit } from 'web-tree-sitter';
import { treeSitterEdit } from '../engine/treeEdits';
import type { TextChange } from './quietEdits';

/**
 * Open documents, with every content change also turned into a tree-sitter `Edit` so that the document's
 * tree can be re-parsed incrementally. Each change of an event is measured against the text as it was just
 * before that change (changes apply in order), then applied before the next one is measured.
 */
export interface EditListener {
  /** Only documents with a tree need edits (computing one costs a scan of the text). */
  hasTree(uri: string): boolean;
  edited(uri: string, edit: Edit): void;
  /** Every ranged change, with the text it removed (cheap: no scan of the text). */
  changed?(uri: string, change: TextChange): void;
  /** A full-text change: the old tree is useless. */
  replaced(uri: string): void;
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
      const text = document.getText();
      let start = document.offsetAt(change.range.start);
      let end = document.offsetAt(change.range.end);
      if (end < start) [start, end] = [end, start];
      if (listener.hasTree(document.uri)) {
        listener.edited(document.uri, treeSitterEdit(text, start, end, change.text));
      }
      listener.changed?.(document.uri, {
        range: { start: document.positionAt(start), end: document.positionAt(end) },
        removed: text.slice(start, end),
        inserted: change.text,
      });
    } else {
      listener.replaced(document.uri);
    }
    TextDocument.update(document, [change], version);
  }
  return document;
}
