import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { leavesOrRebinds } from '../../engine/branches';
import type { CallSite } from '../../engine/model';
import type { Binding, Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { literalValue, stringValue } from '../../engine/syntax';
import { endsAtBoundary } from './access';
import { returnedByCall } from './values';
import { isDeadCode, moduleFunction, unwrap } from './xss';

/**
 * Shared by the open-redirect and SSRF rules: does client data decide the *host* a URL points to, and was
 * the URL checked against an allow-list before use?
 *
 * A URL expression is flattened into the sequence of parts it is built from (f-string pieces, `+` operands,
 * `%` and `.format()` fields, `join` items, `+=` steps, through names assigned once). Walking the parts left
 * to right, the first tainted part decides: if the constant text before it already ends the authority
 * (`https://api.example.com/`, `/users/`, `?next=`), the client only controls the path or query; otherwise
 * (`https://` + host, `"" + url`, `"/" + x`, which may become `//evil.com`) it controls the host.
 */

export type TaintOf = (node: Node) => Taint | null;

interface Part {
  node: Node;
  /** Constant text of the part; null when unknown (and not tainted). */
  text: string | null;
  taint: Taint | null;
}

/** Placeholder for text that is neither constant nor client data (a base URL from configuration, say). */
export const UNKNOWN = '\uE000';
const MAX_DEPTH = 12;

const URLJOIN = new Set([
  'urllib.parse.urljoin',
  'urlparse.urljoin',
  'urllib.urljoin',
  'requests.compat.urljoin',
  'werkzeug.urls.url_join',
  'six.moves.urllib.parse.urljoin',
]);

/** The taint of the part of `url` that decides its host, or null when the host is fixed or untainted. */
export function hostTaint(ctx: RuleContext, url: Node, taintOf: TaintOf, depth = 0): Taint | null {
  const node = unwrap(url);
  if (depth > MAX_DEPTH) return taintOf(node);
  // Alternatives: each one is a URL of its own.
  if (node.type === 'boolean_operator') {
    return (
      hostTaint(ctx, node.childForFieldName('left') ?? node, taintOf, depth + 1) ??
      hostTaint(ctx, node.childForFieldName('right') ?? node, taintOf, depth + 1)
    );
  }
  if (node.type === 'conditional_expression') {
    const [whenTrue, , whenFalse] = node.namedChildren;
    return (
      (whenTrue ? hostTaint(ctx, whenTrue, taintOf, depth + 1) : null) ??
      (whenFalse ? hostTaint(ctx, whenFalse, taintOf, depth + 1) : null)
    );
  }
  if (node.type === 'identifier') {
    const bindings = ctx.file
      .reaching(node.text, node, ctx.file.scopeAt(node))
      .filter((b) => !isDeadCode(ctx, b.node));
    if (bindings.length === 1 && bindings[0]?.kind === 'param') {
      const atCalls = hostTaintAtCalls(ctx, node, taintOf, depth);
      if (atCalls !== undefined) return atCalls;
    }
    const strong = bindings.filter((b) => !b.weak);
    if (strong.length > 1 && bindings.every((b) => !b.weak)) {
      for (const binding of bindings) {
        const found =
          (binding.kind === 'assign' || binding.kind === 'walrus') && binding.value
            ? hostTaint(ctx, binding.value, taintOf, depth + 1)
            : taintOf(node);
        if (found) return found;
      }
      return null;
    }
  }
  return firstHostPart(flatten(ctx, node, taintOf, depth));
}

/**
 * A parameter of a module-level function of this file, judged at each of its calls with the argument the
 * caller passes: `def api_get(url): return requests.get(url)` called as `api_get(f"{API}/items/{q}")` fixes
 * the host, `api_get(request.args["url"])` does not. The taint engine's view of a parameter is one taint
 * merged over every caller, which loses the constant prefix each caller puts before the client's part.
 * Undefined when the calls cannot tell: none in this file, or one passing `*args`/`**kwargs`.
 */
function hostTaintAtCalls(
  ctx: RuleContext,
  param: Node,
  taintOf: TaintOf,
  depth: number,
): Taint | null | undefined {
  let fn: Scope | null = ctx.file.scopeAt(param);
  while (fn && !(fn.kind === 'function' && fn.params.includes(param.text))) fn = fn.parent;
  if (!fn || fn.parent !== ctx.file.module) return undefined;
  const index = fn.params.indexOf(param.text);
  const calls = ctx.file.callsNamed(fn.name).filter((site) => site.callee === fn.name);
  if (calls.length === 0) return undefined;
  let found: Taint | null = null;
  for (const site of calls) {
    const spread = site.args.list?.namedChildren.some(
      (arg) => arg?.type === 'list_splat' || arg?.type === 'dictionary_splat',
    );
    if (spread) return undefined;
    const argument = site.args.positional[index] ?? site.args.keywords.get(param.text);
    found ??= argument ? hostTaint(ctx, argument, taintOf, depth + 1) : null;
  }
  return found && { ...found, label: `${found.label} (passed to ${fn.name}())` };
}

/**
 * `hostTaint` read from the URL's text alone: the taint of the first part that comes before the host is
 * fixed. A parameter is taken as it is (not judged at each call), so a function that sends its parameter
 * somewhere is seen to let its caller decide the host.
 */
export function urlTextHostTaint(ctx: RuleContext, url: Node, taintOf: TaintOf): Taint | null {
  return firstHostPart(flatten(ctx, unwrap(url), taintOf, 0));
}

function firstHostPart(parts: Part[]): Taint | null {
  let prefix = '';
  for (const part of parts) {
    if (part.taint) return fixesHost(prefix) ? null : part.taint;
    prefix += part.text ?? UNKNOWN;
  }
  return null;
}

/**
 * Whether constant text at the start of a URL leaves no room to choose the host: a complete authority
 * (`scheme://host/`), a path-absolute reference (`/x`, but not `/` alone, as `//evil.com` is another host),
 * a query or fragment (`?`, `#`), a relative path (`users/`), or an opaque scheme (`mailto:`). A prefix
 * that starts with a non-constant, non-client value is taken to be a base URL.
 */
export function fixesHost(prefix: string): boolean {
  if (prefix === '') return false;
  const authority = prefix.indexOf('://');
  if (authority >= 0) return /[/?#]/.test(prefix.slice(authority + 3));
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(prefix);
  if (scheme) {
    const rest = prefix.slice(scheme[0].length);
    return rest !== '' && !rest.startsWith('/') && !rest.startsWith('\\');
  }
  if (prefix.startsWith(UNKNOWN)) return true;
  if (prefix.startsWith('/')) {
    const second = prefix.charAt(1);
    return second !== '' && second !== '/' && second !== '\\';
  }
  if (prefix.startsWith('\\')) return false;
  return /[/?#]/.test(prefix);
}

/**
 * The text a URL expression is built of, as the host checks read it (f-strings, `+`, `%`, `.format()`,
 * `join`, names assigned once), with `UNKNOWN` standing for each part that is not constant.
 */
export function urlTextOf(ctx: RuleContext, url: Node): string {
  return textParts(ctx, url)
    .map((part) => part.text ?? UNKNOWN)
    .join('');
}

/**
 * The parts a string expression is built of, in order (f-strings, `+`, `%`, `.format()`, `join`, names
 * assigned once): each with its constant text, or null text (and the node) where it is not constant.
 */
export function textParts(ctx: RuleContext, node: Node): { node: Node; text: string | null }[] {
  return flatten(ctx, node, () => null, 0);
}

function leaf(node: Node, taintOf: TaintOf): Part {
  const value = literalValue(node);
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  return { node, text, taint: text === null ? taintOf(node) : null };
}

function flatten(ctx: RuleContext, raw: Node, taintOf: TaintOf, depth: number): Part[] {
  const node = unwrap(raw);
  if (depth > MAX_DEPTH) return [leaf(node, taintOf)];
  const next = (n: Node) => flatten(ctx, n, taintOf, depth + 1);
  switch (node.type) {
    case 'concatenated_string':
      return node.namedChildren.flatMap((c) => (c ? next(c) : []));
    case 'string':
      return flattenString(node, next, taintOf);
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (!left || !right) return [leaf(node, taintOf)];
      if (operator === '+') return [...next(left), ...next(right)];
      if (operator === '%')
        return percentParts(ctx, node, left, right, next, taintOf) ?? [leaf(node, taintOf)];
      return [leaf(node, taintOf)];
    }
    case 'call':
      return callParts(ctx, node, next, taintOf) ?? [leaf(node, taintOf)];
    case 'identifier':
      return nameParts(ctx, node, next, taintOf) ?? [leaf(node, taintOf)];
    default:
      return [leaf(node, taintOf)];
  }
}

function flattenString(node: Node, next: (n: Node) => Part[], taintOf: TaintOf): Part[] {
  const out: Part[] = [];
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'string_content' || child.type === 'escape_sequence') {
      out.push({ node: child, text: child.text, taint: null });
    } else if (child.type === 'interpolation') {
      const expression = child.namedChildren[0];
      if (!expression) continue;
      // `{x!r}`, `{x:>10}`: the value is still spliced, but keep it as one opaque part.
      out.push(...(child.namedChildren.length > 1 ? [leaf(expression, taintOf)] : next(expression)));
    }
  }
  return out;
}

/** The string a node is, directly or through a name assigned once. */
function constantString(ctx: RuleContext, node: Node): string | undefined {
  return stringValue(ctx.file.resolveValue(unwrap(node)));
}

const PERCENT_FIELD = /%(?:\(([^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

function percentParts(
  ctx: RuleContext,
  node: Node,
  left: Node,
  right: Node,
  next: (n: Node) => Part[],
  taintOf: TaintOf,
): Part[] | null {
  const format = constantString(ctx, left);
  if (format === undefined) return null;
  const value = unwrap(right);
  const positional = value.type === 'tuple' ? value.namedChildren.filter((c): c is Node => !!c) : [value];
  const named = new Map<string, Node>();
  if (value.type === 'dictionary') {
    for (const pair of value.namedChildren) {
      const key = stringValue(pair?.childForFieldName('key') ?? null);
      const v = pair?.childForFieldName('value');
      if (key !== undefined && v) named.set(key, v);
    }
  }
  const out: Part[] = [];
  let last = 0;
  let index = 0;
  for (const match of format.matchAll(PERCENT_FIELD)) {
    out.push({ node, text: format.slice(last, match.index), taint: null });
    last = match.index + match[0].length;
    if (match[2] === '%') {
      out.push({ node, text: '%', taint: null });
      continue;
    }
    const arg = match[1] !== undefined ? named.get(match[1]) : positional[index++];
    if (!arg) return null;
    out.push(...next(arg));
  }
  out.push({ node, text: format.slice(last), taint: null });
  // A value that is not a tuple may be a tuple at run time: only one field can be followed reliably.
  if (value.type !== 'tuple' && value.type !== 'dictionary' && index > 1) return [leaf(node, taintOf)];
  return out;
}

function callParts(ctx: RuleContext, node: Node, next: (n: Node) => Part[], taintOf: TaintOf): Part[] | null {
  const site = ctx.file.callAt(node);
  if (!site || site.args.hasSplat) return null;
  if (site.callee && URLJOIN.has(site.callee)) {
    const [base, reference] = site.args.positional;
    if (!base || !reference) return null;
    // `urljoin(BASE, "//evil.com")` or an absolute reference replaces the host of the base.
    const referenceTaint = taintOf(reference);
    if (referenceTaint) return [{ node: reference, text: null, taint: referenceTaint }];
    return [...next(base), { node: reference, text: null, taint: null }];
  }
  const fn = node.childForFieldName('function');
  // `item_url(i)` with `def item_url(i): return f"{API}/items/{i}"`: the helper fixes the host. Only trusted
  // to clear a call: when its returned expression leaves the host open, the taint engine judges the call
  // with what it knows of the helper (a check before its `return`, as in Flask's get_redirect_target).
  const helper = returnedByCall(ctx, node);
  if (helper) {
    const parts = next(helper);
    if (firstHostPart(parts) === null) return parts;
  }
  if (fn?.type !== 'attribute' || !site.receiver) return null;
  if (site.name === 'format') {
    const format = constantString(ctx, site.receiver);
    if (format === undefined) return null;
    return formatParts(node, format, site.args.positional, site.args.keywords, next);
  }
  if (site.name === 'join') {
    const separator = constantString(ctx, site.receiver);
    const items = site.args.positional[0] ? unwrap(site.args.positional[0]) : null;
    if (separator === undefined || !items || !['list', 'tuple'].includes(items.type)) return null;
    const out: Part[] = [];
    items.namedChildren.forEach((item, i) => {
      if (!item) return;
      if (i > 0) out.push({ node, text: separator, taint: null });
      out.push(...next(item));
    });
    return out;
  }
  if (site.name === 'strip' || site.name === 'rstrip' || site.name === 'lstrip') {
    return [leaf(node, taintOf)];
  }
  return null;
}

function formatParts(
  node: Node,
  format: string,
  positional: readonly Node[],
  keywords: ReadonlyMap<string, Node>,
  next: (n: Node) => Part[],
): Part[] | null {
  const out: Part[] = [];
  let text = '';
  let auto = 0;
  for (let i = 0; i < format.length; i++) {
    const char = format.charAt(i);
    if ((char === '{' || char === '}') && format.charAt(i + 1) === char) {
      text += char;
      i++;
      continue;
    }
    if (char !== '{') {
      text += char;
      continue;
    }
    const close = format.indexOf('}', i);
    if (close < 0) return null;
    const field = format.slice(i + 1, close);
    i = close;
    const name = (/^[^.[!:]*/.exec(field)?.[0] ?? '').trim();
    const arg =
      name === '' ? positional[auto++] : /^\d+$/.test(name) ? positional[Number(name)] : keywords.get(name);
    if (!arg) return null;
    out.push({ node, text, taint: null });
    text = '';
    out.push(...next(arg));
  }
  out.push({ node, text, taint: null });
  return out;
}

/** A name assigned once (and perhaps extended with `+=`) stands for the parts of its value. */
function nameParts(ctx: RuleContext, node: Node, next: (n: Node) => Part[], taintOf: TaintOf): Part[] | null {
  const bindings = ctx.file
    .reaching(node.text, node, ctx.file.scopeAt(node))
    .filter((b) => !isDeadCode(ctx, b.node));
  if (bindings.length === 0) return null;
  const first = bindings[bindings.length - 1] as Binding;
  const steps = bindings.slice(0, -1).reverse();
  if ((first.kind !== 'assign' && first.kind !== 'walrus') || first.weak || !first.value) return null;
  if (!steps.every((b) => b.kind === 'augassign' && b.value)) return null;
  // Assignments by tuple unpacking bind parts of the value, not the value.
  const target = first.node.childForFieldName('left') ?? first.node.childForFieldName('name');
  if (target && target.type !== 'identifier') return null;
  const parts = next(first.value);
  for (const step of steps) {
    const op = step.node.childForFieldName('operator')?.text;
    if (op !== '+=') return [leaf(node, taintOf)];
    parts.push(...next(step.value as Node));
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// Allow-list checks before the use

export type GuardStrength = 'strong' | 'weak' | null;

/** Calls that validate a URL or host by their name: `is_safe_url`, `url_has_allowed_host_and_scheme`... */
const VALIDATOR_CALL =
  /safe|allowed|allow_?list|white_?list|trusted|valid|permitted|whitelisted|same_?(origin|host|site)|is_local|is_internal_url|check_(url|host|redirect)/i;
const HOST_ATTRIBUTES = new Set(['netloc', 'hostname', 'host', 'host_url', 'origin']);
const CONDITION_TYPES = new Set([
  'if_statement',
  'elif_clause',
  'while_statement',
  'assert_statement',
  'conditional_expression',
]);

/**
 * The strongest check of `url` made in the function before `sink`: `strong` for an allow-list (a validator
 * call, a comparison of `urlparse(url).netloc`/`.hostname`, membership in a collection, equality with a
 * constant, `startswith` a complete origin or a path prefix, a regular expression match); `weak` for checks
 * with a known bypass (`startswith("/")` alone accepts `//evil.com`, a scheme-only check leaves the host free,
 * `startswith("https://example.com")` accepts `https://example.com.evil.com`).
 */
export function urlGuard(
  ctx: RuleContext,
  sink: Node,
  url: Node,
  scope: Scope,
  /** A browser follows the URL (a redirect): it reads `///evil.example` as a host, which urlparse does not. */
  browser = false,
): GuardStrength {
  const fn = functionScope(scope);
  if (!fn) return null;
  const names = relatedNames(ctx, url, fn);
  if (names.size === 0) return null;
  // Checks that guard the use, and inside the URL itself (`redirect(url if is_safe_url(url) else "/")`).
  const conditions = [
    ...guardingConditions(ctx, fn.node, sink, names),
    ...conditionsBefore(url, url.endIndex),
  ];
  const mentions = (n: Node) => mentionsAny(n, names);
  const relevant = conditions.filter(mentions);
  let best: GuardStrength = null;
  // `//evil.example` and `/\evil.example` (browsers read a backslash as a slash): both must be rejected.
  const slashDoubleChecked =
    conditions.some((c) => checksDoubleSlash(c)) && conditions.some((c) => checksBackslash(c));
  for (const condition of relevant) {
    // `if url != "/": return redirect(url)`: in the branch a condition lets through, an inequality with a
    // constant constrains nothing.
    const consequence = condition.parent?.childForFieldName('consequence');
    const letsThrough =
      !!consequence && consequence.startIndex <= sink.startIndex && sink.endIndex <= consequence.endIndex;
    const strength = conditionStrength(ctx, condition, names, slashDoubleChecked, letsThrough, browser);
    if (strength === 'strong') return 'strong';
    if (strength === 'weak') best = 'weak';
  }
  return best;
}

/** Whether a same-file helper (`get_redirect_target()`) validates what it returns. */
export function helperValidates(ctx: RuleContext, name: string): boolean {
  const helper = moduleFunction(ctx, name);
  if (!helper) return false;
  const conditions = conditionsBefore(helper.node, helper.node.endIndex);
  return conditions.some((c) => conditionStrength(ctx, c, null, true) === 'strong');
}

function functionScope(scope: Scope): Scope | null {
  for (let current: Scope | null = scope; current; current = current.parent) {
    if (current.kind === 'function') return current;
  }
  return null;
}

/**
 * Names that hold the URL or something derived from it: the names in the expression, what they were
 * assigned from (`url = next_url`), and what was computed from them (`parsed = urlparse(url)`).
 */
function relatedNames(ctx: RuleContext, url: Node, fn: Scope): Set<string> {
  const names = new Set<string>();
  const addFrom = (node: Node, depth: number) => {
    for (const id of identifiersIn(node)) {
      if (names.has(id.text) || ctx.file.imports.isImportedName(id.text)) continue;
      names.add(id.text);
      if (depth >= 3) continue;
      for (const binding of fn.bindings.get(id.text) ?? []) {
        if (binding.value && binding.kind !== 'param') addFrom(binding.value, depth + 1);
      }
    }
  };
  addFrom(url, 0);
  for (let round = 0; round < 2; round++) {
    for (const [name, bindings] of fn.bindings) {
      if (names.has(name)) continue;
      if (bindings.some((b) => b.kind === 'assign' && b.value && mentionsAny(b.value, names)))
        names.add(name);
    }
  }
  return names;
}

function identifiersIn(node: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    if (n.type === 'identifier') {
      const parent = n.parent;
      // `obj.attr`: only the object is a value; `f(k=v)`: `k` is not.
      if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === n.id) return;
      if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === n.id) return;
      if (parent?.type === 'call' && parent.childForFieldName('function')?.id === n.id) return;
      out.push(n);
      return;
    }
    if (n.type === 'lambda' || n.type === 'function_definition') return;
    for (const child of n.namedChildren) if (child) visit(child);
  };
  visit(node);
  return out;
}

function mentionsAny(node: Node, names: ReadonlySet<string>): boolean {
  return identifiersIn(node).some((id) => names.has(id.text));
}

/**
 * The conditions before `sink` that can keep a bad URL from it: conditional expressions and loops anywhere
 * before it (`target = url if is_safe(url) else "/"`), the `if`/`elif` branches it sits in, and earlier
 * `if` statements of the blocks holding it with a branch that leaves (return, raise, abort) or replaces
 * the URL (`if not is_safe(url): url = "/"`), and asserts. An `if` that only logs guards nothing, however
 * strong its check.
 */
function guardingConditions(ctx: RuleContext, body: Node, sink: Node, names: ReadonlySet<string>): Node[] {
  const out = conditionsBefore(body, sink.startIndex, LOOSE_CONDITION_TYPES);
  const conditionOf = (branch: Node | null) =>
    branch && branch.type !== 'else_clause' ? branch.childForFieldName('condition') : null;
  let child: Node = sink;
  for (let parent = sink.parent; parent && parent.id !== body.id; child = parent, parent = parent.parent) {
    if (parent.type === 'if_statement' || parent.type === 'elif_clause' || parent.type === 'else_clause') {
      // Inside a branch: its condition and those of the branches before it decided that it runs.
      const ifStatement = parent.type === 'if_statement' ? parent : parent.parent;
      for (const branch of ifStatement ? [ifStatement, ...ifStatement.namedChildren] : []) {
        const condition = conditionOf(branch);
        if (condition) out.push(condition);
        if (branch?.id === parent.id) break;
      }
    }
    if (parent.type !== 'block' && parent.type !== 'module') continue;
    for (const statement of parent.namedChildren) {
      if (!statement || statement.startIndex >= child.startIndex) break;
      if (statement.type === 'assert_statement' && statement.namedChildren[0])
        out.push(statement.namedChildren[0]);
      if (statement.type !== 'if_statement') continue;
      const branches = [
        statement,
        ...statement.namedChildren.filter((c) => c?.type === 'elif_clause' || c?.type === 'else_clause'),
      ];
      const blocks = branches.map((b) =>
        b?.type === 'else_clause'
          ? b.childForFieldName('body')
          : (b?.childForFieldName('consequence') ?? null),
      );
      if (!blocks.some((block) => leavesOrRebinds(ctx.file, block, names))) continue;
      for (const branch of branches) {
        const condition = conditionOf(branch ?? null);
        if (condition) out.push(condition);
      }
    }
  }
  return out;
}

/** Value-level checks and loops: they count wherever they are before the use. */
const LOOSE_CONDITION_TYPES = new Set(['while_statement', 'conditional_expression']);

function conditionsBefore(body: Node, before: number, types: ReadonlySet<string> = CONDITION_TYPES): Node[] {
  const out: Node[] = [];
  const visit = (n: Node) => {
    if (n.startIndex >= before) return;
    if (n.type === 'function_definition' && n.id !== body.id) return;
    if (types.has(n.type)) {
      const condition =
        n.type === 'conditional_expression'
          ? n.namedChildren[1]
          : n.type === 'assert_statement'
            ? n.namedChildren[0]
            : n.childForFieldName('condition');
      if (condition) out.push(condition);
    }
    for (const child of n.namedChildren) if (child) visit(child);
  };
  visit(body);
  return out;
}

function conditionStrength(
  ctx: RuleContext,
  condition: Node,
  names: ReadonlySet<string> | null,
  slashDoubleChecked: boolean,
  letsThrough = false,
  browser = false,
): GuardStrength {
  let best: GuardStrength = null;
  const mentions = (n: Node | null) => !!n && (names === null || mentionsAny(n, names));
  const visit = (n: Node, through: boolean) => {
    if (best === 'strong') return;
    const strength = nodeStrength(ctx, n, mentions, slashDoubleChecked, through, browser);
    if (strength === 'strong') best = 'strong';
    else if (strength === 'weak') best = 'weak';
    // Under `not`, the branch runs when the inner test fails: the polarity flips.
    const inner = n.type === 'not_operator' ? !through : through;
    for (const child of n.namedChildren) if (child) visit(child, inner);
  };
  visit(condition, letsThrough);
  return best;
}

/**
 * A test of the host that other hosts pass: `host.endswith("example.com")` (`evilexample.com`), any
 * `host.startswith(...)` (`api.example.com.evil.net`), `"example.com" in host`. `.endswith(".example.com")`
 * is a real suffix check.
 */
function isLooseHostTest(host: Node): boolean {
  const parent = host.parent;
  const method = parent?.type === 'attribute' ? parent.childForFieldName('attribute')?.text : undefined;
  if (method === 'startswith') return true;
  if (method === 'endswith') {
    return !endsAtBoundary(parent?.parent?.childForFieldName('arguments')?.namedChildren[0] ?? null);
  }
  if (parent?.type === 'comparison_operator' && parent.namedChildren[1]?.id === host.id) {
    const left = parent.namedChildren[0] ?? null;
    const operators = parent.children.filter((c) => c && !c.isNamed).map((c) => c?.text ?? '');
    const membership = operators.some((o) => o === 'in' || o.replace(/\s+/g, ' ') === 'not in');
    return membership && stringValue(left) !== undefined;
  }
  return false;
}

/** `x.netloc` tested for being empty (truthiness, `== ""`), not compared with a host. */
function testsEmptiness(attribute: Node): boolean {
  const parent = attribute.parent;
  if (parent?.type !== 'comparison_operator') return true;
  return parent.namedChildren.some((operand) => operand !== null && stringValue(operand) === '');
}

function nodeStrength(
  ctx: RuleContext,
  n: Node,
  mentions: (n: Node | null) => boolean,
  slashDoubleChecked: boolean,
  letsThrough = false,
  browser = false,
): GuardStrength {
  if (n.type === 'call') {
    const site = ctx.file.callAt(n);
    const name = site?.name ?? '';
    const args = n.childForFieldName('arguments');
    if (name === 'startswith' && site?.receiver && mentions(site.receiver)) {
      return startswithStrength(ctx, site.args.positional[0] ?? null, slashDoubleChecked);
    }
    if (['match', 'fullmatch', 'search'].includes(name) && mentions(args))
      return regexStrength(ctx, site, name);
    if (VALIDATOR_CALL.test(name) && (mentions(args) || mentions(site?.receiver ?? null))) return 'strong';
    return null;
  }
  if (n.type === 'attribute') {
    const attribute = n.childForFieldName('attribute')?.text ?? '';
    if (HOST_ATTRIBUTES.has(attribute) && mentions(n.childForFieldName('object'))) {
      if (isLooseHostTest(n)) return null;
      // `if urlparse(target).netloc: abort(400)`: "///evil.example" and "/\\evil.example" have no netloc for
      // urlparse, and a browser sent there goes to evil.example.
      if (browser && attribute === 'netloc' && testsEmptiness(n) && !slashDoubleChecked) return 'weak';
      return 'strong';
    }
    if (attribute === 'scheme' && mentions(n.childForFieldName('object'))) return 'weak';
    return null;
  }
  if (n.type === 'comparison_operator') {
    const operators = n.children.filter((c) => c && !c.isNamed).map((c) => c?.text ?? '');
    const [left, right] = n.namedChildren;
    if (!left || !right) return null;
    if (operators.some((o) => o === 'in' || o.replace(/\s+/g, ' ') === 'not in')) {
      // `url in ALLOWED`: an allow-list; `"//" in url` is a substring test, which encodings can dodge.
      if (mentions(left) && stringValue(right) === undefined) return 'strong';
      return mentions(right) && /[/:\\]/.test(stringValue(left) ?? '') ? 'weak' : null;
    }
    if (operators.some((o) => o === '==' || (o === '!=' && !letsThrough))) {
      if ((mentions(left) && isConstant(ctx, right)) || (mentions(right) && isConstant(ctx, left)))
        return 'strong';
    }
  }
  return null;
}

/**
 * A regular-expression check of a URL: weak when the host part has an unescaped dot
 * (`https?://www.example.com/` also matches `wwwXexample.com`) or when `search` is not anchored at the
 * start (`evil.example/?https://example.com/` contains the allowed URL). Patterns not known here: strong.
 */
function regexStrength(ctx: RuleContext, site: CallSite | undefined, name: string): GuardStrength {
  if (!site) return 'strong';
  let patternNode: Node | undefined;
  if (/^(re|regex)\.(match|fullmatch|search)$/.test(site.callee ?? '')) patternNode = site.args.positional[0];
  else if (site.receiver) {
    const compiled = ctx.file.resolveValue(site.receiver);
    const compile = compiled.type === 'call' ? ctx.file.callAt(compiled) : undefined;
    if (/^(re|regex)\.compile$/.test(compile?.callee ?? '')) patternNode = compile?.args.positional[0];
  }
  const pattern = patternNode ? stringValue(ctx.file.resolveValue(patternNode)) : undefined;
  if (pattern === undefined) return 'strong';
  if (name === 'search' && !/^(\^|\\A)/.test(pattern)) return 'weak';
  const host = /:\/\/([^/]*)/.exec(pattern)?.[1] ?? '';
  return /(^|[^\\])\.[A-Za-z]/.test(host.replace(/\[[^\]]*\]/g, 'x')) ? 'weak' : 'strong';
}

function isConstant(ctx: RuleContext, node: Node): boolean {
  return stringValue(ctx.file.resolveValue(node)) !== undefined;
}

function startswithStrength(ctx: RuleContext, arg: Node | null, slashDoubleChecked: boolean): GuardStrength {
  if (!arg) return null;
  const value = ctx.file.resolveValue(unwrap(arg));
  const prefixes =
    value.type === 'tuple' || value.type === 'list'
      ? value.namedChildren.map((c) => stringValue(c ?? null))
      : [stringValue(value)];
  if (prefixes.length === 0) return null;
  // Not a literal (a configured origin, say): trust it.
  if (prefixes.some((p) => p === undefined)) return 'strong';
  let strength: GuardStrength = 'strong';
  for (const prefix of prefixes as string[]) {
    if (prefix === '/' || prefix === '\\') {
      if (!slashDoubleChecked) strength = 'weak';
    } else if (prefix.startsWith('//')) {
      return null; // `startswith("//")` rejects, it does not validate
    } else if (!fixesHost(prefix)) {
      strength = 'weak';
    }
  }
  return strength;
}

/**
 * `"\\" in url`, `url.startswith("/\\")`, `url.replace("\\", "/")`, or a parse that normalises it: the
 * backslash that browsers turn into a slash (`/\evil.example` is `//evil.example` to them).
 */
function checksBackslash(condition: Node): boolean {
  return /\\\\|\\x5c|\\u005c|url_has_allowed_host_and_scheme|is_safe_url/i.test(condition.text);
}

/** `url.startswith("//")`, `"//" in url`, `url[1] == "/"`... somewhere in the checks. */
function checksDoubleSlash(condition: Node): boolean {
  return /startswith\(\s*(\(\s*)?['"](\/\/|\\\\)|['"]\/\/['"]\s+(not\s+)?in\b|\[1\]\s*(==|!=|in|not in)/.test(
    condition.text,
  );
}
