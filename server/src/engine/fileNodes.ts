import type { Node, Tree } from 'web-tree-sitter';

/**
 * The nodes the engine models, collected from a file in one pass. Every rule works from the indexes the
 * file model builds over them (`model.ts`), so a file costs one parse and one pass however many rules are
 * enabled.
 *
 * The pass is web-tree-sitter's `descendantsOfType`: one walk of the tree inside WASM that returns the
 * nodes of the listed types in document order (outer nodes before the nodes they contain). It used to be
 * one combined query (`(call) @call`, ... a pattern per type), which returns the same nodes in the same
 * order (test/engine/fileNodes.test.ts compares them) but costs more: on the 50k-line bench code base the
 * query's captures took 170 ms against 118 ms for the walk plus 17 ms for asking each node its type, and
 * compiling the query took 10-16 ms in every thread, while V8 spent about 80 ms of a core optimizing that
 * compilation's WASM code, run once per thread. A two-thread scan went from 1.01 to 0.94 s (15 alternated
 * runs). `bench/fileQuery.ts` writes the equivalent query, for the bench's floor and that test.
 */

/** What the model does with a node: the kinds it builds scopes, bindings, calls and comments from. */
export type NodeKind =
  | 'import'
  | 'function'
  | 'class'
  | 'call'
  | 'assign'
  | 'augassign'
  | 'walrus'
  | 'for'
  | 'with'
  | 'return'
  | 'comment'
  | 'node';

/** The node types collected, and their kind (`node`: only indexed by type, see INDEXED_TYPES). */
export const NODE_KINDS: ReadonlyMap<string, NodeKind> = new Map<string, NodeKind>([
  ['import_statement', 'import'],
  ['import_from_statement', 'import'],
  ['future_import_statement', 'import'],
  ['function_definition', 'function'],
  ['class_definition', 'class'],
  ['call', 'call'],
  ['assignment', 'assign'],
  ['augmented_assignment', 'augassign'],
  ['named_expression', 'walrus'],
  ['for_statement', 'for'],
  ['for_in_clause', 'for'],
  ['with_item', 'with'],
  ['return_statement', 'return'],
  ['comment', 'comment'],
  ['pair', 'node'],
  ['comparison_operator', 'node'],
  ['default_parameter', 'node'],
  ['typed_default_parameter', 'node'],
  ['keyword_argument', 'node'],
  ['except_clause', 'node'],
]);

const COLLECTED_TYPES = [...NODE_KINDS.keys()];

/**
 * Node types `FileModel.nodesOfType` answers from this pass instead of walking the tree again: those of
 * kind `node`, and assignments (the other types rules ask for are either collected under their own kind or
 * too numerous to collect for every file, like `identifier`).
 */
export const INDEXED_TYPES: ReadonlySet<string> = new Set([
  'assignment',
  ...COLLECTED_TYPES.filter((type) => NODE_KINDS.get(type) === 'node'),
]);

export interface FileNode {
  kind: NodeKind;
  node: Node;
  /** One of the keys of NODE_KINDS. */
  type: string;
}

/** The file's nodes of the collected types, in document order (outer nodes before the nodes they contain). */
export function fileNodes(tree: Tree): FileNode[] {
  const nodes = tree.rootNode.descendantsOfType(COLLECTED_TYPES);
  const collected: FileNode[] = [];
  for (const node of nodes) {
    if (!node) continue;
    const type = node.type;
    const kind = NODE_KINDS.get(type);
    // Every node the walk returns has one of the listed types.
    if (kind === undefined) throw new Error(`descendantsOfType returned a node of type ${type}`);
    collected.push({ kind, node, type });
  }
  return collected;
}
