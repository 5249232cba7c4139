import type { Parser, Tree } from 'web-tree-sitter';
import { recover } from '../engine/recovery';
import type { ParsedText, Recovered } from '../engine/recovery';

/**
 * Per open document, the text its last analysis read (engine/recovery.ts: the text with a statement whose
 * bracket is never closed blanked out, or the text as written) and a tree of it. When a keystroke leaves a
 * bracket open, the recovered text differs from the last one only around that statement, so its parse
 * starts from this tree and costs what an ordinary keystroke's parse costs; a parse from the written tree
 * would have to redo everything the error had swallowed.
 */
export class RecoveredTrees {
  private readonly last = new Map<string, ParsedText>();

  constructor(private readonly parser: Parser) {}

  /**
   * What to analyse for a document's written tree. A tree in the answer other than `written` belongs to
   * this store: it stays valid until the next call for the same document, or `close`.
   */
  of(uri: string, written: Tree, text: string): Recovered {
    const previous = this.last.get(uri);
    this.last.delete(uri);
    const recovered = recover(this.parser, written, text, previous);
    // A copy of a tree is cheap (it shares every node) and unaffected by the edits made to the original.
    this.last.set(
      uri,
      recovered.blanks.length > 0
        ? { text: recovered.text, tree: recovered.tree }
        : { text, tree: written.copy() },
    );
    return recovered;
  }

  close(uri: string): void {
    this.last.get(uri)?.tree.delete();
    this.last.delete(uri);
  }

  dispose(): void {
    for (const uri of [...this.last.keys()]) this.close(uri);
  }
}
