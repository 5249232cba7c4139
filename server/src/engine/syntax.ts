import type { Node } from 'web-tree-sitter';

/** Small, allocation-light helpers over tree-sitter-python nodes. Everything here is purely syntactic. */

export interface CallArguments {
  positional: readonly Node[];
  keywords: ReadonlyMap<string, Node>;
  /** `*args` or `**kwargs` present: the call may pass anything we cannot see. */
  hasSplat: boolean;
  /** The `argument_list` node (or generator expression), for inserting keyword arguments. */
  list: Node | null;
}

/**
 * Shared by the calls that pass no keyword argument (most of them). The model of a file keeps every call's
 * arguments while its rules run, so they outlive young-generation collections and are copied by each: a
 * Map per call was 5% of what survived them in a 50k-line scan.
 */
const NO_KEYWORDS: ReadonlyMap<string, Node> = new Map();
const NO_ARGUMENTS: readonly Node[] = Object.freeze([]);

function isPositional(type: string): boolean {
  return (
    type !== 'keyword_argument' && type !== 'list_splat' && type !== 'dictionary_splat' && type !== 'comment'
  );
}

export function callArguments(call: Node): CallArguments {
  const list = call.childForFieldName('arguments');
  if (list?.type !== 'argument_list') {
    return { positional: list ? [list] : NO_ARGUMENTS, keywords: NO_KEYWORDS, hasSplat: false, list };
  }
  const children = list.namedChildren;
  // Calls that pass only positional arguments (most) keep the children array as their list; the first
  // other child starts a copy of the positional ones before it.
  let positional: Node[] | null = null;
  let keywords: Map<string, Node> | null = null;
  let hasSplat = false;
  for (let i = 0; i < children.length; i++) {
    const arg = children[i];
    if (!arg) {
      positional ??= children.slice(0, i);
      continue;
    }
    const type = arg.type;
    if (isPositional(type)) {
      positional?.push(arg);
      continue;
    }
    positional ??= children.slice(0, i);
    if (type === 'keyword_argument') {
      const name = arg.childForFieldName('name');
      const value = arg.childForFieldName('value');
      if (name && value) (keywords ??= new Map()).set(name.text, value);
    } else if (type === 'list_splat' || type === 'dictionary_splat') hasSplat = true;
  }
  return {
    // No child was anything but a positional argument (or there were none).
    positional: positional ?? children,
    keywords: keywords ?? NO_KEYWORDS,
    hasSplat,
    list,
  };
}

/** `a`, `a.b.c` → the dotted text; anything else (calls, subscripts) → null. */
export function dottedName(node: Node | null): string | null {
  if (!node) return null;
  const type = node.type;
  if (type === 'identifier') return node.text;
  if (type !== 'attribute') return null;
  // Most attribute chains are written `a.b.c`: their text is the answer, and reading it is one call into
  // WASM where walking the chain is three per dot.
  const text = node.text;
  if (PLAIN_DOTTED_NAME.test(text)) return text;
  const object = dottedName(node.childForFieldName('object'));
  const attribute = node.childForFieldName('attribute');
  return object && attribute ? `${object}.${attribute.text}` : null;
}

/**
 * Text that can only be a chain of identifiers: no space, comment, bracket or call between the names, and
 * not headed by a constant (`None.x`, whose object is not an identifier).
 */
const PLAIN_DOTTED_NAME = /^(?!(?:True|False|None)\.)[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

const STRING_PREFIX = /^[rRbBuUfF]*/;

/**
 * The value of a string literal without interpolation (implicit concatenation included), else undefined.
 * Escape sequences are kept as written: callers compare against keys and identifiers, not arbitrary text.
 */
export function stringValue(node: Node | null): string | undefined {
  if (!node) return undefined;
  const type = node.type;
  if (type === 'string') {
    // A string that is not an f-string has no interpolation: its value is the text between its quotes,
    // read with one call into WASM instead of a walk over its parts.
    const plain = plainStringValue(node.text);
    if (plain !== undefined) return plain;
  } else if (type === 'concatenated_string') {
    let value = '';
    for (const part of node.namedChildren) {
      const text = part ? stringValue(part) : undefined;
      if (text === undefined) return undefined;
      value += text;
    }
    return value;
  }
  if (type !== 'string') return undefined;
  let value = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') return undefined;
    if (child.type === 'string_content' || child.type === 'escape_sequence') value += child.text;
  }
  return value;
}

/**
 * The value of a string literal's text when it has no `f` prefix and is closed by the quotes that open it,
 * else undefined (ask the tree). Like the walk over its parts, escapes are kept as written. A t-string's
 * `t` is not in STRING_PREFIX, so its text does not start with a quote here: it is walked too.
 */
function plainStringValue(text: string): string | undefined {
  const prefix = STRING_PREFIX.exec(text)?.[0] ?? '';
  if (/[fF]/.test(prefix)) return undefined;
  const quoteChar = text[prefix.length];
  if (quoteChar !== '"' && quoteChar !== "'") return undefined;
  const quote = text.startsWith(quoteChar.repeat(3), prefix.length) ? quoteChar.repeat(3) : quoteChar;
  const end = text.length - quote.length;
  if (end < prefix.length + quote.length || !text.endsWith(quote)) return undefined;
  // A quote after an odd run of backslashes is content, so the string is not closed. tree-sitter-python
  // makes an unclosed string an ERROR rather than a string node; this keeps the answer exact if one came.
  let backslashes = 0;
  while (text[end - 1 - backslashes] === '\\') backslashes++;
  if (backslashes % 2 === 1) return undefined;
  return text.slice(prefix.length + quote.length, end);
}

export function isStringLiteral(node: Node | null): boolean {
  return stringValue(node) !== undefined;
}

/** The literal prefix letters of a string node (`f`, `rb`, ...), lower-cased. */
export function stringPrefix(node: Node): string {
  const start = node.type === 'string' ? node.firstChild : null;
  return (start?.text.match(STRING_PREFIX)?.[0] ?? '').toLowerCase();
}

export function isFString(node: Node): boolean {
  return node.type === 'string' && node.namedChildren.some((c) => c?.type === 'interpolation');
}

export type Literal = string | number | boolean | null;

/** A constant scalar: strings, numbers, True/False/None (with unary minus). Containers are not scalars. */
export function literalValue(node: Node | null): Literal | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'none':
      return null;
    case 'integer':
    case 'float': {
      const n = Number(node.text.replace(/_/g, ''));
      return Number.isNaN(n) ? undefined : n;
    }
    case 'unary_operator': {
      const operand = literalValue(node.childForFieldName('argument'));
      return typeof operand === 'number' && node.text.trimStart().startsWith('-') ? -operand : undefined;
    }
    case 'parenthesized_expression':
      return literalValue(node.namedChildren[0] ?? null);
    default:
      return stringValue(node);
  }
}

/** True when the expression contains no names or calls at all (literals and containers of literals). */
export function isConstantExpression(node: Node | null): boolean {
  if (!node) return false;
  if (literalValue(node) !== undefined) return true;
  switch (node.type) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'dictionary':
    case 'pair':
    case 'parenthesized_expression':
    case 'expression_list':
      return node.namedChildren.every((c) => !c || c.type === 'comment' || isConstantExpression(c));
    case 'binary_operator':
      return (
        isConstantExpression(node.childForFieldName('left')) &&
        isConstantExpression(node.childForFieldName('right'))
      );
    default:
      return false;
  }
}

export function isTruthyLiteral(node: Node | null): boolean {
  const value = literalValue(node);
  return (
    value === true ||
    (typeof value === 'number' && value !== 0) ||
    (typeof value === 'string' && value !== '')
  );
}

export function isFalsyLiteral(node: Node | null): boolean {
  const value = literalValue(node);
  return value === false || value === null || value === 0 || value === '';
}

/** Nearest enclosing node of one of `types` (not the node itself). */
export function ancestor(node: Node, types: ReadonlySet<string>): Node | null {
  for (let current = node.parent; current; current = current.parent) {
    if (types.has(current.type)) return current;
  }
  return null;
}

/**
 * Whether a node holds a syntax error: an ERROR node anywhere in it, or it is itself a MISSING node. The
 * syntax note searches down the nodes this says yes to, and the keystroke path records it per top-level
 * statement (`Segment.hasError`), so both must ask the same question.
 */
export function holdsSyntaxError(node: Node): boolean {
  return node.hasError || node.isMissing;
}

/** The top-level statement (a child of the module) that holds `node`; the module itself for the root. */
export function topLevelStatement(node: Node): Node {
  let current = node;
  for (let parent = node.parent; parent && parent.parent; parent = parent.parent) current = parent;
  return node.parent ? current : node;
}

export function contains(outer: Node, inner: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** Names bound by an assignment target: `a`, `a, b`, `[a, *b]`, `(a, b)`; subscripts/attributes bind their base. */
export function boundNames(target: Node | null, out: string[] = []): string[] {
  if (!target) return out;
  switch (target.type) {
    case 'identifier':
      out.push(target.text);
      break;
    case 'pattern_list':
    case 'tuple_pattern':
    case 'list_pattern':
    case 'tuple':
    case 'list':
    case 'expression_list':
    case 'parenthesized_expression':
      for (const child of target.namedChildren) boundNames(child, out);
      break;
    case 'list_splat_pattern':
    case 'list_splat':
      boundNames(target.namedChildren[0] ?? null, out);
      break;
    case 'attribute': {
      const dotted = dottedName(target);
      if (dotted) out.push(dotted);
      break;
    }
    case 'subscript': {
      // `d['k'] = v` writes into `d`: a weak update of the container.
      const base = dottedName(target.childForFieldName('value'));
      if (base) out.push(base);
      break;
    }
    default:
      break;
  }
  return out;
}

/** The last segment of a dotted name. */
export function lastSegment(dotted: string): string {
  const dot = dotted.lastIndexOf('.');
  return dot < 0 ? dotted : dotted.slice(dot + 1);
}
