import { Node, Parser, Tree } from 'web-tree-sitter';

/**
 * Memoizes the node questions the analysis asks most, for the trees of large files.
 *
 * web-tree-sitter answers each of `node.type`, `node.endIndex` (and so `node.text`), `node.parent` and
 * `node.childForFieldName()` with a call into WASM: the node is written into WASM memory, the C function
 * runs, and a child or parent comes back as a new Node object. The rules and the file model ask the same
 * questions of the same nodes over and over (on a 5,000-line file: ~160k type reads, ~70k field reads, ~60k
 * texts, ~25k parents; a quarter of them distinct), from different Node objects of the same node. The
 * answers cannot change while a tree lives, so they are kept per tree and per node id (unique within a
 * tree): a 5,000-line file analyses ~35% faster.
 *
 * Only trees of at least `MEMO_MIN_BYTES` are memoized, and only their nodes pay for it: right after a
 * parse, such a tree is told to hand out `MemoizedNode`s (web-tree-sitter is patched to let a tree choose
 * the class of its nodes: patches/README.md), whose getters answer from the memo; the nodes of every other
 * tree are web-tree-sitter's own. A small file's questions are few and cheap, and keeping them cost more
 * than it saved, even its parents' (on the 50k-line bench code base, where every file is small, the scan
 * took 3-4% less CPU once small trees' nodes no longer went through the memo's getters). Nothing is stored
 * on the Node objects of memoized trees but their entry: a property added to some Node objects and not
 * others makes web-tree-sitter's own accesses to them slower, and caching their field children or types
 * on the object cost more instructions than it saved (measured with bench/instructions.sh).
 *
 * A tree's memo is dropped when the tree is edited or deleted (positions move; the memory is freed), and
 * by `releaseNodeMemo` when an analysis that keeps its tree is done (the memo of a large file holds tens
 * of MiB of Node objects). Everything else in web-tree-sitter is untouched.
 */
class Entry {
  typeId: number | undefined = undefined;
  type: string | undefined = undefined;
  endIndex: number | undefined = undefined;
  parent: Node | null | undefined = undefined;
  /** Field children by field id (`Language.fields`): undefined until asked. */
  fields: (Node | null | undefined)[] | undefined = undefined;
}

/** Trees of less text than this are not memoized (see above). */
export const MEMO_MIN_BYTES = 32 * 1024;

/** Per memoized tree: its memo (created on the first question, dropped by `releaseNodeMemo`). */
const memos = new WeakMap<Tree, Map<number, Entry>>();

/** The last tree asked about and its memo: questions come in long runs about one tree. */
let lastTree: Tree | undefined;
let lastMemo: Map<number, Entry> | undefined;

function memoOf(tree: Tree): Map<number, Entry> {
  if (tree === lastTree && lastMemo) return lastMemo;
  let memo = memos.get(tree);
  if (!memo) memos.set(tree, (memo = new Map<number, Entry>()));
  lastTree = tree;
  lastMemo = memo;
  return memo;
}

/** Field ids by name, per language (web-tree-sitter searches the list of names on every call). */
const fieldIds = new WeakMap<object, Map<string, number>>();

function fieldIdOf(node: Node, field: string): number {
  const language = node.tree.language;
  let ids = fieldIds.get(language);
  if (!ids) {
    ids = new Map();
    language.fields.forEach((name, id) => {
      if (name !== null) ids?.set(name, id);
    });
    fieldIds.set(language, ids);
  }
  return ids.get(field) ?? -1;
}

/** The node of a memoized tree: web-tree-sitter's answers, asked once per node. */
class MemoizedNode extends Node {
  /** The node's entry, once asked: the same object is often asked several questions in a row. */
  declare memoEntry?: Entry;

  private entry(): Entry {
    let entry = this.memoEntry;
    if (entry !== undefined) return entry;
    const memo = memoOf(this.tree);
    entry = memo.get(this.id);
    if (!entry) memo.set(this.id, (entry = new Entry()));
    this.memoEntry = entry;
    return entry;
  }

  override get typeId(): number {
    const entry = this.entry();
    return (entry.typeId ??= super.typeId);
  }

  override get type(): string {
    const entry = this.entry();
    return (entry.type ??= super.type);
  }

  override get endIndex(): number {
    const entry = this.entry();
    return (entry.endIndex ??= super.endIndex);
  }

  override get parent(): Node | null {
    const entry = this.entry();
    if (entry.parent === undefined) entry.parent = super.parent;
    return entry.parent;
  }

  override childForFieldName(field: string): Node | null {
    const id = fieldIdOf(this, field);
    if (id < 0) return null;
    const fields = (this.entry().fields ??= []);
    let child = fields[id];
    if (child === undefined) fields[id] = child = this.childForFieldId(id);
    return child;
  }

  // Moves this node object's start: what was memoized for its tree may no longer hold.
  override edit(...args: Parameters<Node['edit']>): void {
    releaseNodeMemo(this.tree);
    this.memoEntry = undefined;
    super.edit(...args);
  }
}

/** Frees what was memoized for `tree` (it is rebuilt on the next question). */
export function releaseNodeMemo(tree: Tree): void {
  memos.delete(tree);
  if (lastTree === tree) {
    lastTree = undefined;
    lastMemo = undefined;
  }
}

/** Number of nodes memoized for `tree` (tests). */
export function nodeMemoSize(tree: Tree): number {
  return memos.get(tree)?.size ?? 0;
}

/** Whether the nodes of `tree` are memoized (tests). */
export function isMemoized(tree: Tree): boolean {
  return tree.nodeClass === MemoizedNode;
}

let installed = false;

/**
 * Installs the memo (once per process or worker): every tree a parser returns that holds enough text
 * hands out memoized nodes, and a tree's memo goes when the tree is edited or deleted.
 */
export function installNodeMemo(): void {
  if (installed) return;
  installed = true;
  const parser = Parser.prototype as unknown as Record<string, unknown>;
  const parse = parser.parse as (this: Parser, ...args: unknown[]) => Tree | null;
  parser.parse = function (this: Parser, ...args: unknown[]): Tree | null {
    const tree = parse.apply(this, args);
    if (tree && tree.rootNode.endIndex >= MEMO_MIN_BYTES) tree.nodeClass = MemoizedNode;
    return tree;
  };
  const tree = Tree.prototype as unknown as Record<string, unknown>;
  const editTree = tree.edit as (this: Tree, ...args: unknown[]) => void;
  const deleteTree = tree.delete as (this: Tree) => void;
  tree.edit = function (this: Tree, ...args: unknown[]): void {
    releaseNodeMemo(this);
    editTree.apply(this, args);
  };
  tree.delete = function (this: Tree): void {
    releaseNodeMemo(this);
    deleteTree.call(this);
  };
}
