import type { Edit, Parser, Tree } from 'web-tree-sitter';
import { reparse } from '../engine/parser';
import type { EditListener } from './documents';

interface Entry {
  tree: Tree;
  /** The document version the tree was parsed from; edits received since make it stale. */
  version: number;
  stale: boolean;
}

/**
 * One tree per open document. Edits are applied to the tree as they arrive, so a re-parse always starts from
 * an edited old tree (never an unedited one); trees are re-parsed lazily, and every replaced or closed tree
 * is deleted (they live in wasm memory, which the garbage collector does not see).
 */
export class TreeStore implements EditListener {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly parser: Parser) {}

  hasTree(uri: string): boolean {
    return this.entries.has(uri);
  }

  edited(uri: string, edit: Edit): void {
    const entry = this.entries.get(uri);
    if (!entry) return;
    entry.tree.edit(edit);
    entry.stale = true;
  }

  replaced(uri: string): void {
    this.close(uri);
  }

  /** The tree of `text` at `version`, re-parsed incrementally if the document changed since. */
  get(uri: string, text: string, version: number): Tree | null {
    const entry = this.entries.get(uri);
    if (entry && !entry.stale && entry.version === version) return entry.tree;
    let tree: Tree | null;
    try {
      tree = reparse(this.parser, text, entry?.tree ?? null);
    } finally {
      this.parser.reset();
    }
    entry?.tree.delete();
    this.entries.delete(uri);
    if (!tree) return null;
    this.entries.set(uri, { tree, version, stale: false });
    return tree;
  }

  close(uri: string): void {
    this.entries.get(uri)?.tree.delete();
    this.entries.delete(uri);
  }

  get size(): number {
    return this.entries.size;
  }

  dispose(): void {
    for (const uri of [...this.entries.keys()]) this.close(uri);
  }
}
