import type { Node } from 'web-tree-sitter';
import { isDeadCode as isDeadBranch } from '../../engine/branches';
import { evaluate, truthy } from '../../engine/constants';
import { decoratorName } from '../../engine/flask';
import { taintThroughBindings } from './flows';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { MARKUP_CLASSES } from '../../engine/taint';
import type { SinkKind, Taint } from '../../engine/taint';
import type { OffsetEdit } from '../../engine/types';
import { dottedName, lastSegment, stringValue } from '../../engine/syntax';

/** What the XSS rules share: Flask response bodies and their content types, views, and escaping fixes. */

export const RESPONSE_CLASSES = new Set([
  'flask.Response',
  'flask.wrappers.Response',
  'werkzeug.Response',
  'werkzeug.wrappers.Response',
  'werkzeug.wrappers.response.Response',
  'werkzeug.sansio.response.Response',
  'quart.Response',
  'quart.wrappers.Response',
]);
export const MAKE_RESPONSE = new Set([
  'flask.make_response',
  'flask.helpers.make_response',
  'quart.make_response',
]);

/** Calls whose result is not an HTML body built from their arguments. */
const NON_HTML_CALLEES = new Set([
  'flask.jsonify',
  'flask.json.jsonify',
  'flask.redirect',
  'werkzeug.utils.redirect',
  'flask.render_template',
  'flask.render_template_string', // server-side template injection: another rule
  'flask.stream_template',
  'flask.stream_template_string',
  'flask.send_file',
  'flask.send_from_directory',
  'flask.abort',
  'flask.url_for',
  'flask.Response', // checked as a response of its own
  'flask.make_response',
]);
const NON_HTML_NAMES = new Set([
  'jsonify',
  'redirect',
  'render_template',
  'render_template_string',
  'send_file',
  'send_from_directory',
  'abort',
  'url_for',
  'to_dict',
  'to_json',
  'get_json',
  'make_response',
  'response_class',
  'Response',
  'JSONResponse',
  'marshal',
  'dump', // marshmallow schema.dump(): a dict
  'model_dump',
  'dict',
]);

/** The module-level function of this file called `name` (not a method of that name). */
/** The module-level function of this file named `name` (the first, if it is defined more than once). */
export function moduleFunction(ctx: RuleContext, name: string): Scope | undefined {
  return ctx.file.functionsNamed(name).find((f) => f.parent === ctx.file.module);
}

/** The body of a returned `(body, status[, headers])` tuple; the value itself otherwise. */
function responseBodyOf(returned: Node): Node {
  const value = unwrap(returned);
  if (value.type !== 'expression_list' && value.type !== 'tuple') return value;
  return value.namedChildren.find((c): c is Node => !!c && c.type !== 'comment') ?? value;
}

/** Is the value surely not an HTML string: a JSON-serialized container, a response, a redirect... */
export function isNonHtmlValue(ctx: RuleContext, node: Node, depth = 0): boolean {
  const value = unwrap(node);
  if (['dictionary', 'list', 'dictionary_comprehension', 'list_comprehension', 'set'].includes(value.type))
    return true;
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if (!site) return false;
    if (site.callee && (NON_HTML_CALLEES.has(site.callee) || RESPONSE_CLASSES.has(site.callee))) return true;
    if (NON_HTML_NAMES.has(site.name)) return true;
    // `return json_error(msg)` where `def json_error(m): return jsonify(error=m), 400`: a helper of this
    // file whose every return is not HTML (its body, for a `(body, status)` tuple).
    if (depth >= 4 || !site.callee || site.callee.includes('.')) return false;
    const helper = moduleFunction(ctx, site.callee);
    return (
      !!helper &&
      helper.returns.length > 0 &&
      helper.returns.every((r) => isNonHtmlValue(ctx, responseBodyOf(r), depth + 1))
    );
  }
  // `request.json` / `request.get_json()` returned whole is a dict: Flask serializes it as JSON.
  if (value.type === 'attribute' && ctx.taint.isRequestObject(value.childForFieldName('object') ?? value)) {
    return ['json', 'args', 'form', 'values', 'headers', 'cookies', 'files', 'view_args'].includes(
      value.childForFieldName('attribute')?.text ?? '',
    );
  }
  if (value.type === 'identifier' && depth < 4) {
    const bindings = ctx.file.reaching(value.text, value, ctx.file.scopeAt(value));
    const strong = bindings.filter((b) => (b.kind === 'assign' || b.kind === 'walrus') && b.value);
    return (
      strong.length > 0 &&
      strong.length === bindings.length &&
      strong.every((b) => isNonHtmlValue(ctx, b.value as Node, depth + 1))
    );
  }
  return false;
}

export function isMarkupCall(ctx: RuleContext, node: Node): boolean {
  const value = unwrap(node);
  return value.type === 'call' && MARKUP_CLASSES.has(ctx.file.callAt(value)?.callee ?? '');
}

export function unwrap(node: Node): Node {
  let current = node;
  while (current.type === 'parenthesized_expression' && current.namedChildren.length === 1) {
    current = current.namedChildren[0] as Node;
  }
  return current;
}

/** Is this call a response object being built (`make_response`, `Response`, `app.response_class`)? */
export function responseKind(ctx: RuleContext, site: CallSite): 'make_response' | 'Response' | null {
  const callee = site.callee ?? '';
  if (MAKE_RESPONSE.has(callee)) return 'make_response';
  if (RESPONSE_CLASSES.has(callee) || site.name === 'response_class') return 'Response';
  // `from flask import *`
  if (ctx.flask.usesFlask && !ctx.file.imports.isImportedName(callee) && !callee.includes('.')) {
    if (callee === 'make_response') return 'make_response';
    if (callee === 'Response' && !ctx.file.classes.some((c) => c.name === 'Response')) return 'Response';
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Content types

/** A content type a browser renders as a document that can run script. */
export function isHtmlType(value: string): boolean {
  return /html|xml|svg/i.test(value);
}

/** 'html' / 'other' for a content-type value, 'unknown' when it is not a constant. */
export function contentTypeValue(
  ctx: RuleContext,
  node: Node | null | undefined,
): 'html' | 'other' | 'unknown' {
  if (!node) return 'unknown';
  const value = stringValue(ctx.file.resolveValue(unwrap(node)));
  if (value === undefined) return 'unknown';
  return isHtmlType(value) ? 'html' : 'other';
}

/** The Content-Type in a headers argument (`{"Content-Type": ...}`, `[("Content-Type", ...)]`), if any. */
export function contentTypeInHeaders(ctx: RuleContext, headers: Node | null | undefined): Node | null {
  if (!headers) return null;
  const value = ctx.file.resolveValue(unwrap(headers));
  if (value.type === 'dictionary') {
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      if (stringValue(pair.childForFieldName('key'))?.toLowerCase() === 'content-type')
        return pair.childForFieldName('value');
    }
  }
  if (value.type === 'list' || value.type === 'tuple') {
    for (const item of value.namedChildren) {
      if (item?.type !== 'tuple') continue;
      const [key, v] = item.namedChildren;
      if (stringValue(key ?? null)?.toLowerCase() === 'content-type' && v) return v;
    }
  }
  return null;
}

/**
 * The declared content type of a response built by `site`, counting later writes to the object it was
 * assigned to (`resp.mimetype = ...`, `resp.headers["Content-Type"] = ...`): 'html' when it is HTML or
 * left to the default (text/html), 'other' for JSON/plain text/..., 'unknown' when not a constant.
 */
export function responseContentType(
  ctx: RuleContext,
  site: CallSite,
  kind: 'make_response' | 'Response',
): 'html' | 'other' | 'unknown' {
  const { positional, keywords } = site.args;
  let declared: Node | null;
  if (kind === 'Response') {
    declared =
      keywords.get('content_type') ??
      keywords.get('mimetype') ??
      positional[4] ??
      positional[3] ??
      contentTypeInHeaders(ctx, keywords.get('headers') ?? positional[2]);
  } else {
    const headers = positional.slice(1).find((p) => ['dictionary', 'list'].includes(unwrap(p).type));
    declared = contentTypeInHeaders(ctx, headers);
    const body = positional[0] ? unwrap(positional[0]) : null;
    if (!declared && body?.type === 'tuple') {
      const items = body.namedChildren.filter((c): c is Node => !!c);
      declared = contentTypeInHeaders(
        ctx,
        items.slice(1).find((p) => ['dictionary', 'list'].includes(unwrap(p).type)),
      );
    }
  }
  if (declared) {
    const type = contentTypeValue(ctx, declared);
    if (type !== 'html') return type;
  }
  const later = laterContentType(ctx, site);
  if (later) return contentTypeValue(ctx, later);
  return 'html';
}

/** `resp = make_response(x)` followed by `resp.mimetype = ...` / `resp.headers["Content-Type"] = ...`. */
function laterContentType(ctx: RuleContext, site: CallSite): Node | null {
  const statement = site.node.parent;
  if (statement?.type !== 'assignment') return null;
  const target = dottedName(statement.childForFieldName('left'));
  if (!target) return null;
  const scope = site.scope;
  let found: Node | null = null;
  for (const [name, bindings] of scope.bindings) {
    for (const binding of bindings) {
      if (binding.node.startIndex < site.node.endIndex || !binding.value) continue;
      const left = binding.node.childForFieldName('left');
      if (
        (name === `${target}.mimetype` || name === `${target}.content_type`) &&
        left?.type === 'attribute'
      ) {
        found = binding.value;
      } else if (name === `${target}.headers` && left?.type === 'subscript') {
        const key = stringValue(left.childForFieldName('subscript'));
        if (key?.toLowerCase() === 'content-type') found = binding.value;
      }
    }
  }
  if (found) return found;
  for (const call of ctx.file.callsNamed('set', 'add', '__setitem__', 'setdefault')) {
    if (call.node.startIndex < site.node.endIndex || call.scope !== scope) continue;
    if (dottedName(call.receiver) !== `${target}.headers`) continue;
    if (stringValue(call.args.positional[0] ?? null)?.toLowerCase() === 'content-type')
      return call.args.positional[1] ?? null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Views

const ERROR_HANDLER_DECORATORS = new Set(['errorhandler', 'app_errorhandler']);
const RESOURCE_BASES = /^(flask_restful|flask_restx|flask_restplus)\.|(^|\.)Resource$/;
/** Route decorators that serialize the return value (flask-smorest, flask-restx, flask-apispec...). */
const SERIALIZING_DECORATORS = new Set([
  'response',
  'marshal_with',
  'marshal_list_with',
  'marshal_with_field',
  'marshal',
  'jsonify',
  'json_response',
  'returns_json',
  'as_json',
  'use_kwargs_and_response',
  'paginate',
]);

/**
 * Functions whose returned string Flask sends as a text/html body: views (not flask-restful/restx resources,
 * which serialize to JSON, nor views behind a serializing decorator) and error handlers.
 */
export function isHtmlView(ctx: RuleContext, fn: Scope): boolean {
  if (fn.kind !== 'function') return false;
  if (isErrorHandler(ctx, fn)) return true;
  const routes = ctx.flask.routesOf(fn);
  if (routes.length === 0) return false;
  return routes.some((route) => {
    if (
      route.classView &&
      route.classView.bases.some((b) => RESOURCE_BASES.test(ctx.file.imports.resolve(b) ?? b.text))
    )
      return false;
    return !route.decorators.some((d) => SERIALIZING_DECORATORS.has(decoratorName(d)));
  });
}

function isErrorHandler(ctx: RuleContext, fn: Scope): boolean {
  if (fn.decorators.some((d) => d.type === 'call' && ERROR_HANDLER_DECORATORS.has(decoratorName(d))))
    return true;
  return ctx.file
    .callsNamed('register_error_handler')
    .some((site) => dottedName(site.args.positional[1] ?? null) === fn.name);
}

// ---------------------------------------------------------------------------------------------------------
// Escaping fix

const ESCAPERS = new Set([
  'markupsafe.escape',
  'flask.escape',
  'jinja2.escape',
  'html.escape',
  'werkzeug.utils.escape',
]);

/**
 * How to call an HTML escaper in this file, with the import to add when none is available: `escape` when
 * an escaper is imported under that name, `markupsafe.escape`/`html.escape` when the module is imported,
 * else `escape` plus `from markupsafe import escape` (markupsafe is a dependency of Flask).
 */
export function escaper(ctx: RuleContext): { name: string; edits: OffsetEdit[] } | null {
  const imports = ctx.file.imports;
  if (ESCAPERS.has(imports.qualify('escape'))) return { name: 'escape', edits: [] };
  if (imports.qualify('markupsafe') === 'markupsafe' && imports.isImportedName('markupsafe'))
    return { name: 'markupsafe.escape', edits: [] };
  if (imports.qualify('html') === 'html' && imports.isImportedName('html'))
    return { name: 'html.escape', edits: [] };
  if (imports.isImportedName('escape') || ctx.file.module.bindings.has('escape')) return null;
  return { name: 'escape', edits: [importEdit(ctx, 'from markupsafe import escape')] };
}

function importEdit(ctx: RuleContext, line: string): OffsetEdit {
  const root = ctx.file.tree.rootNode;
  let last: Node | null = null;
  for (const child of root.namedChildren) {
    if (!child) continue;
    if (['import_statement', 'import_from_statement', 'future_import_statement'].includes(child.type))
      last = child;
  }
  const newline = ctx.file.text.includes('\r\n') ? '\r\n' : '\n';
  if (last) return { start: last.endIndex, end: last.endIndex, newText: `${newline}${line}` };
  return { start: 0, end: 0, newText: `${line}${newline}` };
}

/**
 * Edits wrapping the tainted pieces of an HTML string in `escape(...)`: interpolated values of f-strings,
 * operands of `+`, arguments of `%` and `.format()`/`.replace()`, through a name assigned once; the value
 * itself when it is a plain tainted value. Null when no clean edit exists.
 */
export function escapeEdits(
  ctx: RuleContext,
  node: Node,
  tainted: (n: Node) => boolean,
  escape: string,
  depth = 0,
): OffsetEdit[] | null {
  const value = unwrap(node);
  if (depth > 6) return null;
  const wrap = (n: Node): OffsetEdit => ({
    start: n.startIndex,
    end: n.endIndex,
    newText: `${escape}(${n.text})`,
  });
  const parts = (nodes: Node[]): OffsetEdit[] | null => {
    const out: OffsetEdit[] = [];
    for (const n of nodes) {
      if (!tainted(n)) continue;
      const inner = escapeEdits(ctx, n, tainted, escape, depth + 1);
      if (!inner) return null;
      out.push(...inner);
    }
    return out.length > 0 ? out : null;
  };
  switch (value.type) {
    case 'string': {
      const interpolations = value.namedChildren.filter((c): c is Node => c?.type === 'interpolation');
      if (interpolations.length === 0) return null;
      // `{x!r}` / `{x:>10}` would format the Markup object differently.
      if (interpolations.some((i) => i.namedChildren.length > 1)) return null;
      return parts(interpolations.map((i) => i.namedChildren[0] as Node));
    }
    case 'concatenated_string':
      return parts(value.namedChildren.filter((c): c is Node => !!c));
    case 'binary_operator': {
      const operator = value.childForFieldName('operator')?.text;
      const left = value.childForFieldName('left');
      const right = value.childForFieldName('right');
      if (!left || !right) return null;
      if (operator === '+') return parts([left, right]);
      if (operator === '%') {
        if (tainted(left)) return null;
        const args = unwrap(right);
        if (args.type === 'tuple') return parts(args.namedChildren.filter((c): c is Node => !!c));
        if (args.type === 'dictionary') {
          return parts(
            args.namedChildren
              .map((p) => p?.childForFieldName('value') ?? null)
              .filter((c): c is Node => !!c),
          );
        }
        return [wrap(right)];
      }
      return null;
    }
    case 'call': {
      const site = ctx.file.callAt(value);
      if (!site || site.args.hasSplat) return null;
      if (['format', 'replace', 'join'].includes(site.name) && site.receiver && !tainted(site.receiver)) {
        if (site.name === 'join') {
          return null;
        }
        return parts([...site.args.positional, ...site.args.keywords.values()]);
      }
      // `row(name)` with `def row(n): return f"<td>{n}</td>"`: escape what goes in, not the markup out.
      if (site.callee && !site.callee.includes('.') && helperReturnsInput(ctx, site.callee))
        return parts([...site.args.positional, ...site.args.keywords.values()]);
      return [wrap(value)];
    }
    case 'identifier': {
      // A name holding a string built from pieces (`html = "<p>" + x`, `html += ...`): escape the pieces where
      // they are spliced in, not the finished markup.
      const scope = ctx.file.scopeAt(value);
      const bindings = ctx.file.reaching(value.text, value, scope);
      const built = bindings.filter(
        (b) => b.kind === 'augassign' || (b.value && isBuiltString(unwrap(b.value))),
      );
      if (built.length === 0) return [wrap(value)];
      if (bindings.some((b) => b.kind !== 'assign' && b.kind !== 'augassign')) return null;
      const out: OffsetEdit[] = [];
      for (const binding of bindings) {
        if (!binding.value || !tainted(binding.value)) continue;
        if (ctx.file.scopeAt(binding.node) !== scope) return null;
        const inner = escapeEdits(ctx, binding.value, tainted, escape, depth + 1);
        if (!inner) return null;
        out.push(...inner);
      }
      return out.length > 0 ? out : null;
    }
    case 'subscript':
    case 'attribute':
      return [wrap(value)];
    default:
      return null;
  }
}

function isBuiltString(node: Node): boolean {
  if (node.type === 'string' || node.type === 'concatenated_string') return true;
  if (node.type === 'binary_operator')
    return ['+', '%'].includes(node.childForFieldName('operator')?.text ?? '');
  if (node.type === 'call') {
    const fn = node.childForFieldName('function');
    return (
      fn?.type === 'attribute' &&
      ['format', 'replace'].includes(fn.childForFieldName('attribute')?.text ?? '')
    );
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Precise taint

/** Methods that return (part of) the text they are called on, or of their arguments. */
const TEXT_METHODS = new Set([
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
  'title',
  'capitalize',
  'casefold',
  'swapcase',
  'replace',
  'format',
  'format_map',
  'join',
  'decode',
  'encode',
  'ljust',
  'rjust',
  'center',
  'zfill',
  'expandtabs',
  'removeprefix',
  'removesuffix',
  'split',
  'rsplit',
  'splitlines',
  'partition',
  'rpartition',
  'translate',
  'get',
  'getlist',
  'pop',
  'setdefault',
  'values',
  'items',
  'keys',
  'copy',
  'read',
  'to_dict',
  'get_data',
  'get_json',
]);
/** Of those, the ones whose arguments flow into the result too. */
const COMBINING_METHODS = new Set(['format', 'format_map', 'join', 'replace']);
/**
 * Functions that return their argument's text, transformed but not neutralized. `json.dumps` is one: it
 * escapes quotes, not `<`, so `f"<script>var q = {json.dumps(q)}</script>"` can close the script (Jinja's
 * `tojson` filter escapes it).
 */
const TEXT_FUNCTIONS =
  /^(str|repr|format|ascii|bytes|list|tuple|dict|set|sorted|reversed|next|iter|textwrap\.(dedent|indent|fill|shorten)|urllib\.parse\.(unquote|unquote_plus)|urllib\.(unquote|unquote_plus)|base64\.(b64decode|b64encode|urlsafe_b64decode|urlsafe_b64encode|b32decode|b32encode|b16decode|b16encode|decodebytes|encodebytes|standard_b64decode|standard_b64encode)|codecs\.(decode|encode)|html\.unescape|markupsafe\.Markup|flask\.Markup|jinja2\.Markup|json\.loads|flask\.json\.loads|json\.dumps|flask\.json\.dumps|simplejson\.dumps|ujson\.dumps|unicodedata\.normalize|copy\.(copy|deepcopy))$/;
/**
 * Functions that return their input's text edited: HTML escaping leaves `*)(uid=*`, `1 or 1=1` and `; rm`
 * as they were, so for any sink but HTML the request text goes on; `re.sub` edits what it is given.
 */
const TEXT_OUTSIDE_HTML =
  /^(html\.escape|cgi\.escape|markupsafe\.escape|flask\.escape|jinja2\.escape|xml\.sax\.saxutils\.escape|re\.sub|re\.subn)$/;
/** Project helpers that escape for HTML by their name (`escape_for_html`, `html_escape`, `sanitize_html`). */
const ESCAPER_NAME =
  /^(escape|escape_?for_?html|escape_?html|html_?escape|sanitize_?html|clean_?html|escape_?xml|xml_?escape|htmlspecialchars|encode_?for_?html)$/i;

export interface PreciseTaintOptions {
  sink: SinkKind;
  /**
   * Follow calls the general analysis follows (any call given tainted arguments, any method of a tainted
   * value). Off, only text-preserving operations carry the data: a value looked up or computed from request
   * data by another function is not the request data.
   */
  followCalls: boolean;
}

/**
 * The general taint analysis, made more precise along the path: branches that constant conditions rule out
 * (`if 7 * 18 + num > 200`, `guess = "B"; if guess == "A": ...`) are skipped, a dictionary read with a
 * constant key follows only what was stored under that key, a list read with a constant index follows the
 * element there after `append`/`insert`/`pop`, and helpers named like HTML escapers clean. The result is
 * never tainted where the general analysis says clean.
 */
export function preciseTaint(
  ctx: RuleContext,
  node: Node | null,
  options: PreciseTaintOptions,
  depth = 0,
): Taint | null {
  if (!node) return null;
  let memo = PRECISE_MEMO.get(ctx.file);
  if (!memo) {
    memo = new Map();
    PRECISE_MEMO.set(ctx.file, memo);
  }
  const key = `${node.id}:${options.sink}:${options.followCalls ? 1 : 0}`;
  const cached = memo.get(key);
  if (cached !== undefined) return cached;
  memo.set(key, null); // a cycle reads as clean
  const result = computePrecise(ctx, node, options, depth);
  memo.set(key, result);
  return result;
}

const PRECISE_MEMO = new WeakMap<object, Map<string, Taint | null>>();

function computePrecise(
  ctx: RuleContext,
  node: Node,
  options: PreciseTaintOptions,
  depth: number,
): Taint | null {
  const taint = ctx.taint.reaches(node, options.sink);
  if (!taint || depth > 24) return taint;
  const next = (n: Node | null) => preciseTaint(ctx, n, options, depth + 1);
  const firstOf = (nodes: (Node | null)[]) => {
    for (const n of nodes) {
      const found = next(n);
      if (found) return found;
    }
    return null;
  };
  switch (node.type) {
    case 'identifier':
      return taintThroughBindings(ctx, node, options.sink, next).found;
    case 'attribute': {
      const object = node.childForFieldName('object');
      if (object && ctx.taint.isRequestObject(object)) return taint;
      if (dottedName(node)?.startsWith('self.')) return taint;
      return next(object);
    }
    case 'subscript': {
      const container = node.childForFieldName('value');
      const element = container
        ? elementAt(ctx, container, node.childForFieldName('subscript'), node)
        : undefined;
      return element === undefined ? next(container) : next(element);
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return null;
      if (ESCAPER_NAME.test(site.name) && options.sink === 'html') return null;
      if (site.receiver && ctx.taint.isRequestObject(site.receiver)) return taint;
      // A source of its own: Flask-RESTful's `parser.parse_args()`.
      if (taint.source.id === node.id) return taint;
      if (taint.label.includes('(via ') && site.callee && !site.callee.includes('.')) return taint;
      // A function or method of this file: the engine's summary says exactly which arguments flow out.
      if (ctx.taint.callsSameFileFunction(site)) return taint;
      const args = [...site.args.positional, ...site.args.keywords.values()];
      const method = node.childForFieldName('function')?.type === 'attribute';
      if (options.followCalls) return firstOf(method ? [site.receiver, ...args] : args);
      if (method && TEXT_METHODS.has(site.name)) {
        return COMBINING_METHODS.has(site.name) ? firstOf([site.receiver, ...args]) : next(site.receiver);
      }
      if (site.callee && TEXT_FUNCTIONS.test(site.callee)) return firstOf(args);
      if (options.sink !== 'html' && site.callee && TEXT_OUTSIDE_HTML.test(site.callee)) return firstOf(args);
      // `Form(request.form).name.data`, `Comment(body=...)`: an object built to hold the data.
      if (/^[A-Z]/.test(lastSegment(site.callee ?? site.name))) return firstOf(args);
      // `row(name)` where `def row(n): return f"<td>{n}</td>"`: a helper in this file that returns its input.
      if (site.callee && !site.callee.includes('.') && helperReturnsInput(ctx, site.callee))
        return firstOf(args);
      return null;
    }
    case 'conditional_expression': {
      const [whenTrue, condition, whenFalse] = node.namedChildren;
      const known = condition ? truthiness(constantValue(ctx, condition)) : undefined;
      if (known === true) return next(whenTrue ?? null);
      if (known === false) return next(whenFalse ?? null);
      return firstOf([whenTrue ?? null, whenFalse ?? null]);
    }
    case 'lambda':
      return null;
    default:
      return firstOf(node.namedChildren);
  }
}

/** A module-level function of this file whose return value is built from its parameters. */
function helperReturnsInput(ctx: RuleContext, name: string, seen: Set<string> = new Set()): boolean {
  if (seen.has(name)) return false;
  seen.add(name);
  const helper = moduleFunction(ctx, name);
  if (!helper || helper.params.length === 0) return false;
  const params = new Set(helper.params);
  const fromParams = (node: Node, depth: number): boolean => {
    if (depth > 3) return false;
    if (node.type === 'identifier') {
      if (params.has(node.text)) return true;
      return ctx.file
        .reaching(node.text, node, helper)
        .some((b) => b.kind !== 'param' && b.value !== null && fromParams(b.value, depth + 1));
    }
    if (node.type === 'call') {
      const site = ctx.file.callAt(node);
      const textual =
        site !== undefined &&
        ((node.childForFieldName('function')?.type === 'attribute' && TEXT_METHODS.has(site.name)) ||
          TEXT_FUNCTIONS.test(site.callee ?? '') ||
          (!!site.callee && !site.callee.includes('.') && helperReturnsInput(ctx, site.callee, seen)));
      if (!textual) return false;
    }
    if (node.type === 'lambda' || node.type === 'comparison_operator') return false;
    return node.namedChildren.some((c) => c !== null && fromParams(c, depth));
  };
  return helper.returns.some((r) => fromParams(r, 0));
}

/**
 * The expression stored at a constant key/index of a dictionary or list held by a name, when the writes to
 * it can be replayed; null when nothing is stored there; undefined when it cannot be told.
 */
function elementAt(
  ctx: RuleContext,
  container: Node,
  keyNode: Node | null,
  use: Node,
): Node | null | undefined {
  const key = keyNode ? constantValue(ctx, keyNode) : undefined;
  if (container.type !== 'identifier' || (typeof key !== 'string' && typeof key !== 'number'))
    return undefined;
  const scope = ctx.file.scopeAt(container);
  const bindings = ctx.file
    .reaching(container.text, container, scope)
    .filter((b) => !isDeadCode(ctx, b.node));
  const origin = bindings[bindings.length - 1];
  if (!origin || origin.weak || origin.kind !== 'assign' || !origin.value) return undefined;
  const initial = unwrap(origin.value);
  if (initial.type === 'dictionary') {
    // Latest write first: `m["k"] = v` assignments, then the literal.
    for (const binding of bindings.slice(0, -1)) {
      const left = binding.node.childForFieldName('left');
      if (binding.kind !== 'assign' || left?.type !== 'subscript') return undefined;
      const written = constantValue(ctx, left.childForFieldName('subscript') ?? left);
      if (written === undefined) return undefined;
      if (written === key) return binding.value;
    }
    for (const pair of initial.namedChildren) {
      if (pair?.type !== 'pair') {
        if (pair?.type === 'dictionary_splat') return undefined;
        continue;
      }
      const k = pair.childForFieldName('key');
      if (k && constantValue(ctx, k) === key) return pair.childForFieldName('value');
    }
    return null;
  }
  if (initial.type === 'list' && typeof key === 'number') {
    if (bindings.slice(0, -1).some((b) => b.kind !== 'mutate')) return undefined;
    const elements = replayList(ctx, container.text, initial, origin.node.endIndex, use.startIndex, scope);
    if (!elements) return undefined;
    const index = key < 0 ? elements.length + key : key;
    return elements[index] ?? null;
  }
  return undefined;
}

/** The elements of a list literal after the `append`/`insert`/`extend`/`pop`/`remove` calls made on it. */
function replayList(
  ctx: RuleContext,
  name: string,
  initial: Node,
  from: number,
  to: number,
  scope: Scope,
): Node[] | null {
  const elements: Node[] = initial.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
  if (elements.some((e) => e.type === 'list_splat')) return null;
  const calls = ctx.file.calls
    .filter((c) => c.scope === scope && dottedName(c.receiver) === name)
    .filter((c) => c.node.startIndex >= from && c.node.startIndex < to && !isDeadCode(ctx, c.node))
    .sort((a, b) => a.node.startIndex - b.node.startIndex);
  for (const call of calls) {
    const [first, second] = call.args.positional;
    if (call.args.hasSplat || call.args.keywords.size > 0) return null;
    switch (call.name) {
      case 'append':
        if (!first) return null;
        elements.push(first);
        break;
      case 'extend': {
        const items = first ? unwrap(first) : null;
        if (!items || !['list', 'tuple'].includes(items.type)) return null;
        elements.push(...items.namedChildren.filter((c): c is Node => !!c));
        break;
      }
      case 'insert': {
        const at = first ? constantValue(ctx, first) : undefined;
        if (typeof at !== 'number' || !second) return null;
        elements.splice(at < 0 ? Math.max(0, elements.length + at) : at, 0, second);
        break;
      }
      case 'pop': {
        const at = first ? constantValue(ctx, first) : -1;
        if (typeof at !== 'number') return null;
        elements.splice(at < 0 ? elements.length + at : at, 1);
        break;
      }
      case 'remove': {
        const value = first ? constantValue(ctx, first) : undefined;
        if (value === undefined) return null;
        const index = elements.findIndex((e) => constantValue(ctx, e) === value);
        if (index < 0) return null;
        elements.splice(index, 1);
        break;
      }
      case 'reverse':
        elements.reverse();
        break;
      case 'copy':
      case 'count':
      case 'index':
        break;
      default:
        return null;
    }
  }
  return elements;
}

// ---------------------------------------------------------------------------------------------------------
// Constant conditions: the engine's folding (engine/constants.ts, engine/branches.ts), scalars only here.

type Constant = string | number | boolean | null;

/** The value of an expression when it folds to a scalar constant, or undefined. */
export function constantValue(ctx: RuleContext, node: Node): Constant | undefined {
  const value = evaluate(ctx.file, node);
  return Array.isArray(value) ? undefined : (value as Constant | undefined);
}

function truthiness(value: Constant | undefined): boolean | undefined {
  return value === undefined ? undefined : truthy(value);
}

/** Is the statement in a branch that constant conditions rule out (`if 7 * 42 - num > 200:` ... `else:`)? */
export function isDeadCode(ctx: RuleContext, node: Node): boolean {
  return isDeadBranch(ctx.file, node, ctx.file.scopeAt(node));
}
