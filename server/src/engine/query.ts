import { Query } from 'web-tree-sitter';
import type { Language, Node, Tree } from 'web-tree-sitter';

/**
 * The one query the engine runs per file. Every rule works from the indexes built over its captures, so a
 * file costs one parse and one query pass however many rules are enabled (a separate query per rule would
 * cost 0.2–0.4× a parse each).
 */
const FILE_QUERY = `
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
(function_definition) @function
(class_definition) @class
(call) @call
(assignment) @assign
(augmented_assignment) @augassign
(named_expression) @walrus
(for_statement) @for
(for_in_clause) @for
(with_item) @with
(return_statement) @return
(comment) @comment
(pair) @node.pair
(comparison_operator) @node.comparison_operator
(default_parameter) @node.default_parameter
(typed_default_parameter) @node.typed_default_parameter
(keyword_argument) @node.keyword_argument
(except_clause) @node.except_clause
`;

/**
 * Node types captured as \`@node.TYPE\` above: \`FileModel.nodesOfType\` answers these from the one query
 * pass instead of walking the tree again, and the capture's name gives the type, which the node would have
 * to ask WASM for (the other types rules ask for are either captured under their own kind, like
 * \`assignment\`, or too numerous to capture for every file, like \`identifier\`).
 */
export const INDEXED_TYPES: ReadonlySet<string> = new Set([
  'assignment',
  'pair',
  'comparison_operator',
  'default_parameter',
  'typed_default_parameter',
  'keyword_argument',
  'except_clause',
]);

export type CaptureKind =
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

const compiled = new WeakMap<Language, Query>();

function fileQuery(language: Language): Query {
  let query = compiled.get(language);
  if (!query) {
    query = new Query(language, FILE_QUERY);
    compiled.set(language, query);
  }
  return query;
}

export interface Capture {
  kind: CaptureKind;
  node: Node;
  /** The node's type when it is one of INDEXED_TYPES (known from the capture's name), else null. */
  indexedType: string | null;
}

interface CaptureMeaning {
  kind: CaptureKind;
  indexedType: string | null;
}

/** What each capture name of FILE_QUERY says: its kind, and the node's type for the indexed ones. */
const CAPTURE_NAMES = new Map<string, CaptureMeaning>(
  [...FILE_QUERY.matchAll(/@([\w.]+)/g)].map(([, name = '']) => {
    const [kind, type] = name.split('.') as [CaptureKind, string | undefined];
    return [name, { kind, indexedType: type ?? (kind === 'assign' ? 'assignment' : null) }];
  }),
);

/** All captures of the file query, in document order (outer nodes before the nodes they contain). */
export function captureFile(tree: Tree): Capture[] {
  const captures = fileQuery(tree.language).captures(tree.rootNode);
  return captures.map((c) => {
    const { kind, indexedType } = CAPTURE_NAMES.get(c.name) as CaptureMeaning;
    return { kind, node: c.node, indexedType };
  });
}
