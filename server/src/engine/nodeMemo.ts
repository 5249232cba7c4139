import { Node, Tree } from 'web-tree-sitter';

/**
 * Memoizes the node questions the analysis asks most, per tree.
 *
 * web-tree-sitter answers each of `node.type`, `node.endIndex` (and so `node.text`), `node.parent` and
 * `node.childForFieldName()` with a call into WASM: the node is written into WASM memory, the C function
 * runs, and a child or parent comes back as a new Node object. The rules and the file model ask the same
 * questions of the same nodes over and over (on a 5,000-line file: ~160k type reads, ~70k field reads, ~60k
 * texts, ~25k parents; a quarter of them distinct), from different Node objects of the same node. The
 * answers cannot change while a tree lives, so they are kept per tree and per node id (unique within a
 * tree): a 5,000-line file analyses ~35% faster. Of files under 32 KiB only the parents are kept
 * (`parentInSmallTree`). Nothing is stored on the Node objects of those files: a property added to some
 * Node objects and not others makes web-tree-sitter's own accesses to them slower, and caching their field
 * children or types on the object cost more instructions than it saved (measured with
 * bench/instructions.sh).
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

/**
 * Trees of less text than this are not memoized: their questions are few and cheap (the cost of parent()
 * grows with the file), and a CLI scan of many small files would only carry the memo's memory.
 */
export const MEMO_MIN_BYTES = 32 * 1024;

/** Per tree: its memo, or null for a tree too small to memoize. */
const memos = new WeakMap<Tree, Map<number, Entry> | null>();

/** The last tree asked about and its memo: questions come in long runs about one tree. */
let lastTree: Tree | undefined;
let lastMemo: Map<number, Entry> | null = null;

/** A Node object remembers its entry: the same object is often asked several questions in a row. */
type MemoNode = Node & { memoEntry?: Entry };

/** Set by `installNodeMemo`: web-tree-sitter's own endIndex getter. */
let rawEndIndex: ((this: Node) => number) | undefined;

function memoOf(tree: Tree): Map<number, Entry> | null {
  if (tree === lastTree) return lastMemo;
  let memo = memos.get(tree);
  if (memo === undefined) {
    const size = rawEndIndex?.call(tree.rootNode) ?? 0;
    memo = size >= MEMO_MIN_BYTES ? new Map() : null;
    memos.set(tree, memo);
  }
  lastTree = tree;
  lastMemo = memo;
  return memo;
}

/** The node's entry, or null when its tree is not memoized. */
function entryOf(node: MemoNode): Entry | null {
  const own = node.memoEntry;
  if (own !== undefined) return own;
  const memo = memoOf(node.tree);
  if (!memo) return null;
  let entry = memo.get(node.id);
  if (!entry) {
    entry = new Entry();
    memo.set(node.id, entry);
  }
  node.memoEntry = entry;
  return entry;
}

/**
 * Parents in trees too small for the memo, by node id. `parent` is the costliest question: tree-sitter
 * finds a parent by walking down from the root, so walking up from a node costs depth² steps, and the
 * analysis walks up from many nodes of the same few blocks (is this branch dead, which block holds this
 * assignment, is this use inside a loop). On the 50k-line bench code base, two-thirds of the parents
 * asked for had been asked for before.
 */
const smallTreeParents = new WeakMap<Tree, Map<number, Node | null>>();

function parentInSmallTree(node: Node, parent: (this: Node) => Node | null): Node | null {
  let parents = smallTreeParents.get(node.tree);
  if (!parents) smallTreeParents.set(node.tree, (parents = new Map<number, Node | null>()));
  let found = parents.get(node.id);
  if (found === undefined) {
    found = parent.call(node);
    parents.set(node.id, found);
  }
  return found;
}

/** Frees what was memoized for `tree` (it is rebuilt on the next question). */
export function releaseNodeMemo(tree: Tree): void {
  memos.delete(tree);
  smallTreeParents.delete(tree);
  if (lastTree === tree) {
    lastTree = undefined;
    lastMemo = null;
  }
}

/** Number of nodes memoized for `tree` (tests). */
export function nodeMemoSize(tree: Tree): number {
  return memos.get(tree)?.size ?? 0;
}

let installed = false;

function getter(prototype: object, name: string): (this: Node) => unknown {
  // Always called as get.call(node).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const get: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.get;
  if (typeof get !== 'function')
    throw new Error(`web-tree-sitter's Node has no ${name} getter: update nodeMemo`);
  return get as (this: Node) => unknown;
}

/** Installs the memo on web-tree-sitter's Node and Tree (once per process or worker). */
export function installNodeMemo(): void {
  if (installed) return;
  installed = true;
  const node = Node.prototype as unknown as Record<string, unknown>;
  const typeId = getter(node, 'typeId') as (this: Node) => number;
  const endIndex = getter(node, 'endIndex') as (this: Node) => number;
  rawEndIndex = endIndex;
  const parent = getter(node, 'parent') as (this: Node) => Node | null;
  const childForFieldId = node.childForFieldId as (this: Node, id: number) => Node | null;
  const editNode = node.edit as (this: Node, ...args: unknown[]) => void;
  /** Replaces a getter by one that asks web-tree-sitter once per node of a memoized tree. */
  const memoize = <K extends 'typeId' | 'type' | 'endIndex' | 'parent'>(
    key: K,
    ask: (this: Node) => NonNullable<Entry[K]> | null,
  ) => {
    Object.defineProperty(node, key, {
      configurable: true,
      get(this: Node) {
        const entry = entryOf(this);
        if (!entry) return ask.call(this);
        let value = entry[key];
        if (value === undefined) {
          value = ask.call(this) as Entry[K];
          entry[key] = value;
        }
        return value;
      },
    });
  };
  memoize('typeId', typeId);
  memoize('type', function (this: Node) {
    return this.tree.language.types[this.typeId] || 'ERROR';
  });
  memoize('endIndex', endIndex);
  Object.defineProperty(node, 'parent', {
    configurable: true,
    get(this: Node) {
      const entry = entryOf(this);
      if (!entry) return parentInSmallTree(this, parent);
      if (entry.parent === undefined) entry.parent = parent.call(this);
      return entry.parent;
    },
  });
  node.childForFieldName = function (this: Node, field: string): Node | null {
    const id = fieldIdOf(this, field);
    if (id < 0) return null;
    const entry = entryOf(this);
    if (!entry) return childForFieldId.call(this, id);
    entry.fields ??= [];
    let child = entry.fields[id];
    if (child === undefined) {
      child = childForFieldId.call(this, id);
      entry.fields[id] = child;
    }
    return child;
  };
  // Node.edit moves one node object's start: what was memoized for its tree may no longer hold.
  node.edit = function (this: MemoNode, ...args: unknown[]): void {
    releaseNodeMemo(this.tree);
    this.memoEntry = undefined;
    editNode.apply(this, args);
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
