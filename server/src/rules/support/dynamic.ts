import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { isFString, literalValue, stringValue } from '../../engine/syntax';
import { enclosingFunction } from './access';
import { walkValue } from './files';
import { stringShape } from './strings';
import type { ShapeOptions } from './strings';

/**
 * Shared by the code-running sinks (shell commands, eval/exec, template sources): which parts of a string are
 * not constants, and whether request data was validated before it got there.
 */

/** Calls whose result is a number or a flag: it cannot change how a command, expression or template parses. */
const NUMERIC_CALLS = new Set(['int', 'float', 'len', 'abs', 'round', 'bool', 'ord', 'hash', 'id']);

/** Methods that assemble a string from the receiver and the arguments (`"{}".format(x)`, `" ".join(xs)`). */
const COMBINING = new Set(['format', 'format_map', 'join', 'replace']);
/** Methods that transform the receiver's text without adding to it. */
const TRANSFORMING = new Set([
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
  'title',
  'capitalize',
  'encode',
  'decode',
]);

/**
 * The non-constant pieces a string value is assembled from: interpolated values of f-strings, operands of
 * `+`/`%`, arguments of `.format()`/`.join()`, followed through the names they were assigned to. A piece for
 * which `isSafe` holds (a `shlex.quote(...)` call for a shell, say, or a value the taint analysis
 * knows was sanitized for the sink) and numeric conversions are left out.
 */
export function runtimeParts(
  ctx: RuleContext,
  node: Node | null,
  isSafe: (node: Node) => boolean = () => false,
  depth = 0,
  seen: Set<number> = new Set(),
): Node[] {
  if (!node) return [];
  if (depth > 10 || seen.has(node.id)) return [node];
  seen.add(node.id);
  if (literalValue(node) !== undefined || isSafe(node)) return [];
  const recurse = (n: Node | null): Node[] => runtimeParts(ctx, n, isSafe, depth + 1, seen);
  const all = (nodes: readonly (Node | null)[]): Node[] => nodes.flatMap((n) => recurse(n));
  switch (node.type) {
    case 'string':
      return all(
        node.namedChildren.filter((c) => c?.type === 'interpolation').map((c) => c?.namedChildren[0] ?? null),
      );
    case 'concatenated_string':
    case 'parenthesized_expression':
    case 'tuple':
    case 'list':
    case 'set':
    case 'expression_list':
      return all(node.namedChildren.filter((c) => c?.type !== 'comment'));
    case 'dictionary':
      return all(node.namedChildren.map((p) => (p?.type === 'pair' ? p.childForFieldName('value') : p)));
    case 'binary_operator':
      return all([node.childForFieldName('left'), node.childForFieldName('right')]);
    case 'keyword_argument':
      return recurse(node.childForFieldName('value'));
    case 'list_comprehension':
    case 'generator_expression':
    case 'set_comprehension':
      // `" ".join(shlex.quote(a) for a in args)`: what each element is made of.
      return recurse(node.childForFieldName('body'));
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return [node];
      if (site.callee !== null && NUMERIC_CALLS.has(site.callee)) return [];
      const method = node.childForFieldName('function')?.type === 'attribute';
      if (method && COMBINING.has(site.name))
        return all([site.receiver, ...site.args.positional, ...site.args.keywords.values()]);
      if (method && TRANSFORMING.has(site.name)) return recurse(site.receiver);
      if (site.callee === 'str') return all(site.args.positional);
      return [node];
    }
    case 'identifier': {
      const bindings = ctx.file.reaching(node.text, node, ctx.file.scopeAt(node));
      if (bindings.length === 0) return [node];
      const out: Node[] = [];
      for (const binding of bindings) {
        if (['assign', 'augassign', 'walrus', 'mutate'].includes(binding.kind) && binding.value)
          out.push(...recurse(binding.value));
        else return [node];
      }
      return out;
    }
    default:
      return [node];
  }
}

/**
 * When `node` is a string put together at run time from something other than constants (and values `isSafe`
 * accepts), the first such piece; null for constants and for values whose origin cannot be seen (a parameter
 * passed through unchanged, a call result).
 */
export function builtAtRunTime(
  ctx: RuleContext,
  node: Node,
  isSafe: (node: Node) => boolean = () => false,
  options: ShapeOptions = {},
): Node | null {
  if (stringShape(ctx, node, options) !== 'dynamic') return null;
  return runtimeParts(ctx, node, isSafe)[0] ?? null;
}

/** `x` in messages: the source text of a node, shortened to one line. */
export function shortText(node: Node, max = 40): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const CHECKING_METHODS = new Set(['isdigit', 'isdecimal', 'isnumeric', 'isalnum', 'isalpha', 'isidentifier']);

/**
 * Was one of the names `node` is built from checked before `node` in the same function by a full
 * regular-expression match (`re.fullmatch(r"[\w.-]+", host)`) or an `.isalnum()`-style test? Allow-lists
 * and comparisons with constants (`if host not in ALLOWED_HOSTS: abort(400)`) are the taint engine's
 * (engine/allowLists.ts), which also checks that the test guards the use: `if tool in ("rm", "dd"):
 * abort(403)` is a deny-list, and `if host in ALLOWED: log(...)` guards nothing.
 */
export function validatedBefore(ctx: RuleContext, node: Node): boolean {
  const names = new Set<string>();
  walkValue(ctx, node, (n) => {
    if (n.type === 'identifier') names.add(n.text);
  });
  if (names.size === 0) return false;
  const fn = enclosingFunction(ctx, node);
  const region = fn?.node ?? ctx.file.tree.rootNode;
  const isName = (n: Node | null | undefined): boolean => !!n && n.type === 'identifier' && names.has(n.text);
  for (const call of region.descendantsOfType('call')) {
    if (!call || call.startIndex >= node.startIndex) continue;
    const site = ctx.file.callAt(call);
    if (!site) continue;
    if (CHECKING_METHODS.has(site.name) && isName(site.receiver)) return true;
    if (!['fullmatch', 'match', 'search'].includes(site.name)) continue;
    const module = site.callee?.startsWith('re.') || site.callee?.startsWith('regex.');
    const subject = module ? site.args.positional[1] : site.args.positional[0];
    if (!isName(subject)) continue;
    if (site.name === 'fullmatch') return true;
    // `re.match(r"^[a-z]+$", x)`: anchored at the end too; a compiled pattern we cannot read is trusted for match().
    const pattern = module ? stringValue(ctx.file.resolveValue(site.args.positional[0] as Node)) : undefined;
    if (pattern === undefined ? site.name === 'match' && !module : /(\$|\\Z)$/.test(pattern)) return true;
  }
  return false;
}

/**
 * The constant text a string value starts with (`"ping -c 1 "` of `f"ping -c 1 {host}"`), and whether that
 * is the whole value. Names assigned once are followed.
 */
export function leadingText(
  ctx: RuleContext,
  node: Node | null,
  depth = 0,
): { text: string; complete: boolean } {
  const none = { text: '', complete: false };
  if (!node || depth > 8) return none;
  const literal = stringValue(node);
  if (literal !== undefined) return { text: literal, complete: true };
  switch (node.type) {
    case 'parenthesized_expression':
      return leadingText(ctx, node.namedChildren[0] ?? null, depth + 1);
    case 'string': {
      if (!isFString(node)) return none;
      let text = '';
      for (const child of node.namedChildren) {
        if (child?.type === 'interpolation') return { text, complete: false };
        if (child?.type === 'string_content') text += child.text;
      }
      return { text, complete: false };
    }
    case 'concatenated_string':
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      if (node.type === 'binary_operator' && operator === '%') {
        const format = stringValue(node.childForFieldName('left'));
        if (format === undefined) return none;
        const at = format.replace(/%%/g, '\0\0').indexOf('%');
        return { text: (at < 0 ? format : format.slice(0, at)).replace(/%%/g, '%'), complete: false };
      }
      if (node.type === 'binary_operator' && operator !== '+') return none;
      const parts =
        node.type === 'binary_operator'
          ? [node.childForFieldName('left'), node.childForFieldName('right')]
          : node.namedChildren;
      let text = '';
      for (const part of parts) {
        const lead = leadingText(ctx, part ?? null, depth + 1);
        text += lead.text;
        if (!lead.complete) return { text, complete: false };
      }
      return { text, complete: true };
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'format') return none;
      const format = stringValue(fn.childForFieldName('object'));
      if (format === undefined) return none;
      const at = format.replace(/\{\{/g, '\0\0').indexOf('{');
      return { text: (at < 0 ? format : format.slice(0, at)).replace(/\{\{/g, '{'), complete: false };
    }
    case 'identifier': {
      const value = ctx.file.resolveValue(node);
      return value.id === node.id ? none : leadingText(ctx, value, depth + 1);
    }
    default:
      return none;
  }
}
