import type { Node } from 'web-tree-sitter';
import type { CallSite, FileModel } from './model';
import { allowListCheck, isConstantLookup } from './allowLists';
import { dominatedExtent, isDeadCode } from './branches';
import { evaluate, truthy } from './constants';
import { isConfigParser, listValues, valuesAtKey } from './containers';
import type { ContainerView } from './containers';
import { lookupScope } from './scopes';
import type { Binding, Scope } from './scopes';
import type { ViewParameter } from './requestArguments';
import { dottedName, lastSegment } from './syntax';

/**
 * Intra-procedural taint: does an expression carry data an HTTP client controls? Sources are Flask's
 * `request` attributes and methods, and URL converter parameters of views; values are followed through
 * assignments, formatting, concatenation, containers, attribute/subscript access, method calls on tainted
 * values, calls with tainted arguments, and helpers in the same file that return request data. Parameters
 * of same-file functions carry what their callers pass (a class's constructor calls fill its `__init__`),
 * and `self.x` read in one method carries what the class's other methods store in it.
 */

/** The kind of sink a sanitizer makes a value safe for. */
export type SinkKind =
  | 'sql'
  | 'command'
  | 'path'
  | 'html'
  | 'url'
  | 'code'
  | 'header'
  | 'ldap'
  | 'xpath'
  /** A regular-expression pattern (`re.escape` makes a value match itself literally). */
  | 'regex'
  /** A log message: only a value without line breaks cannot forge a record (`repr()`, `json.dumps()`). */
  | 'log'
  /**
   * Request text used as a value that no escaping function repairs (parsed by float(), written to a
   * spreadsheet cell): only numeric conversions and typed URL converters clean it; rules check their guards.
   */
  | 'value';

export interface Taint {
  /** The expression where the untrusted data enters (e.g. `request.args.get("q")`). */
  source: Node;
  /** A short human label of the source ("request.args", "URL parameter `name`"). */
  label: string;
  /** Sinks this value has been made safe for on the way. */
  sanitized: ReadonlySet<SinkKind>;
}

/** `flask.request.<attr>` that carry client data. `method`, `endpoint`, `is_json`... do not. */
const REQUEST_SOURCES = new Set([
  'args',
  'form',
  'values',
  'json',
  'data',
  'files',
  'cookies',
  'headers',
  'environ',
  'stream',
  'view_args',
  'path',
  'full_path',
  'url',
  'base_url',
  'url_root',
  'host_url',
  'host',
  'query_string',
  'referrer',
  'user_agent',
  'authorization',
  'get_json',
  'get_data',
  'input_stream',
  'origin',
  'access_route',
]);

const REQUEST_OBJECTS = ['flask.request', 'werkzeug.local.request', 'quart.request'];

/** Flask-RESTful's (and its forks') request parser: `parser.parse_args()` returns the request's values. */
const REQUEST_PARSERS = new Set([
  'flask_restful.reqparse.RequestParser',
  'flask_restx.reqparse.RequestParser',
  'flask_restplus.reqparse.RequestParser',
]);

/**
 * Text that every file with request data in it contains, for rules' triggers (`Rule.triggers`). Taint
 * starts at one of these sources only: the request object (`REQUEST_OBJECTS`: an import or the code spells
 * out its last name, `request`, even under an alias), a view's URL parameter (`urlParameters` in
 * flask.ts reads a literal route rule: `<name>`, `<int:id>`, `<path(...):p>`, or `"<" "name>"` split
 * across literals), Flask-RESTful's `parse_args()`, or the parameters request-parsing decorators pass
 * (engine/requestArguments.ts: `@use_args`, `@use_kwargs`, `@blp.arguments`, flask-pydantic's `@validate`).
 * Everything else only passes taint on. A new kind of source must widen this.
 */
export const REQUEST_DATA_TEXT =
  /\brequest\b|<\w*[(:>"']|parse_args|use_args|use_kwargs|\.arguments\(|flask_pydantic/;

/** Attributes that hold a number on the objects that have them (processes, HTTP responses, os.stat results). */
const NUMBER_ATTRIBUTES = new Set(['returncode', 'status_code', 'pid', 'st_size', 'st_mtime', 'st_mode']);

/** Calls whose result carries nothing of their arguments. */
const CLEANING_CALLS = new Set([
  'int',
  'float',
  'bool',
  'len',
  'abs',
  'round',
  'complex',
  'isinstance',
  'hasattr',
  'callable',
  'id',
  'hash',
  'type',
  'uuid.UUID',
  'decimal.Decimal',
  'ord',
  'any',
  'all',
  'datetime.date.fromisoformat',
  'datetime.datetime.fromisoformat',
  'ipaddress.ip_address',
  'flask.url_for',
]);

/** Sanitizers that make a value safe for particular sinks only. */
/** pathlib's path classes: `.name` of one is the last component. */
const PATH_CLASSES = /^pathlib\.(Pure)?(Posix|Windows)?Path$/;
const PATH_ONLY: readonly SinkKind[] = ['path'];

const SANITIZERS = new Map<string, SinkKind[]>(
  Object.entries({
    'markupsafe.escape': ['html'],
    'flask.escape': ['html'],
    'jinja2.escape': ['html'],
    'html.escape': ['html'],
    'cgi.escape': ['html'],
    'bleach.clean': ['html'],
    'bleach.linkify': ['html'],
    'werkzeug.utils.escape': ['html'],
    'markupsafe.escape_silent': ['html'],
    'markupsafe.Markup.escape': ['html'],
    'flask.Markup.escape': ['html'],
    'jinja2.Markup.escape': ['html'],
    'xml.sax.saxutils.escape': ['html'],
    'nh3.clean': ['html'],
    // psycopg's SQL composition: an identifier or literal is quoted for the statement it is put into.
    'psycopg2.sql.Identifier': ['sql'],
    'psycopg2.sql.Literal': ['sql'],
    'psycopg.sql.Identifier': ['sql'],
    'psycopg.sql.Literal': ['sql'],
    'shlex.quote': ['command'],
    'pipes.quote': ['command'],
    'shlex.join': ['command'],
    // Letters, digits, `_`, `-` and `.` only: no separator, no line break.
    'werkzeug.utils.secure_filename': ['path', 'log'],
    'werkzeug.secure_filename': ['path', 'log'],
    'werkzeug.utils.safe_join': ['path'],
    'werkzeug.security.safe_join': ['path'],
    'flask.safe_join': ['path'],
    'flask.helpers.safe_join': ['path'],
    'os.path.basename': ['path'],
    'posixpath.basename': ['path'],
    'urllib.parse.quote': ['path', 'command', 'html', 'header', 'log'],
    'urllib.parse.quote_plus': ['path', 'command', 'html', 'header', 'log'],
    // LDAP filter/DN escaping (python-ldap, ldap3): `filter_format` escapes the values it fills in.
    'ldap.filter.escape_filter_chars': ['ldap'],
    'ldap.filter.filter_format': ['ldap'],
    'ldap.dn.escape_dn_chars': ['ldap'],
    'ldap3.utils.conv.escape_filter_chars': ['ldap'],
    'ldap3.utils.dn.escape_rdn': ['ldap'],
    // A pattern made of escaped text matches that text literally: no metacharacters, no catastrophic backtracking.
    're.escape': ['regex'],
    'regex.escape': ['regex'],
    // Line breaks come out escaped: one log record stays one line.
    repr: ['log'],
    'json.dumps': ['log'],
    'flask.json.dumps': ['log'],
    'simplejson.dumps': ['log'],
  }),
);

const NOTHING: ReadonlySet<SinkKind> = new Set();

/** markupsafe's Markup under the names it is imported by. */
export const MARKUP_CLASSES = new Set([
  'markupsafe.Markup',
  'flask.Markup',
  'jinja2.Markup',
  'jinja2.utils.Markup',
  'jinja2.runtime.Markup',
  'flask.helpers.Markup',
]);

function escapedForHtml(taint: Taint | null): Taint | null {
  return taint ? { ...taint, sanitized: union(taint.sanitized, ['html']) } : null;
}

const EVERY_SINK: readonly SinkKind[] = [
  'sql',
  'command',
  'path',
  'html',
  'url',
  'code',
  'header',
  'ldap',
  'xpath',
  'regex',
  'log',
  'value',
];

/** Text of digits only: harmless everywhere but as a host (`http://2130706433/` is 127.0.0.1). */
const DIGITS_ARE_SAFE = EVERY_SINK.filter((kind) => kind !== 'url');

/**
 * Letters, digits and `_` only: no quote, space, dash, dot, slash, bracket or line break. Still a name that
 * evaluated code, a host or float() (`nan`) can take for something else.
 */
const WORDS_ARE_SAFE: SinkKind[] = ['sql', 'command', 'path', 'html', 'ldap', 'xpath', 'regex', 'log'];

export class TaintAnalyzer {
  private readonly memo = new Map<number, Taint | null>();
  private readonly inProgress = new Set<number>();

  /** Per same-file function: which parameters flow into its return value (computed on demand). */
  private readonly summaries = new Map<Scope, FunctionSummary>();
  /** Per function parameter: the taint its same-file callers pass. */
  private readonly parameterMemo = new Map<string, Taint | null>();
  private readonly attributeMemo = new Map<string, Taint | null>();
  private readonly requestParameterMemo = new Map<string, boolean>();

  /**
   * Whether a call sends an HTTP request to a host none of the tainted values decides (`taintOf` is this
   * analyzer's). The response of such a call is the remote service's answer, not the client's text: a
   * fixed API asked for `f"{API}/items/{item_id}"` answers with its own data. Set by the analysis (the
   * URL tables and host test live with the request rules, rules/support/outbound.ts).
   */
  fixedHostRequest: ((site: CallSite, taintOf: (node: Node) => Taint | null) => boolean) | null = null;

  constructor(
    private readonly model: FileModel,
    /**
     * Parameters of these function scopes carry request data: Flask's URL converters (true when the value
     * is free text) or what a request-parsing decorator passes (engine/requestArguments.ts).
     */
    private readonly urlParameters: (scope: Scope) => ReadonlyMap<string, boolean | ViewParameter>,
    /** Off when computing function summaries: only the parameter under study is a source then. */
    private readonly requestSources = true,
    /** Off when computing summaries: a parameter must not carry what some caller passed. */
    private readonly callerParameters = true,
    /**
     * The functions whose summaries are being computed, by this analyzer or the ones above it: a summary
     * is computed by new analyzers, whose own `summaries` start empty, so without this a recursive
     * function (`return walk(node.parent)`) was summarised again inside its own summary, without end,
     * until the stack ran out and the rule was skipped on the whole file.
     */
    private readonly summarising: Set<Scope> = new Set(),
  ) {}

  /** The taint of an expression, or null when nothing client-controlled can reach it. */
  taintOf(node: Node | null, scope?: Scope): Taint | null {
    if (!node) return null;
    const cached = this.memo.get(node.id);
    if (cached !== undefined) return cached;
    if (this.inProgress.has(node.id)) return null;
    this.inProgress.add(node.id);
    const result = this.compute(node, scope ?? this.model.scopeAt(node));
    this.inProgress.delete(node.id);
    this.memo.set(node.id, result);
    return result;
  }

  /** Tainted and not sanitized for `sink`. */
  reaches(node: Node | null, sink: SinkKind, scope?: Scope): Taint | null {
    const taint = this.taintOf(node, scope);
    return taint && !taint.sanitized.has(sink) ? taint : null;
  }

  /** A `Markup(...)` built from a constant (or a name assigned one): its `%`, format() and join() escape. */
  private isMarkup(node: Node | null, scope: Scope): boolean {
    if (!node) return false;
    const value = this.model.resolveValue(node, scope);
    if (value.type !== 'call') return false;
    const site = this.model.callAt(value);
    if (!site?.callee || !MARKUP_CLASSES.has(site.callee)) return false;
    const text = site.args.positional[0];
    return !text || this.taintOf(text, scope) === null;
  }

  /**
   * Is this expression (a name or dotted name) rooted at Flask's `request` object? Also a parameter a
   * same-file caller fills with it: `def filters_of(req): return req.args.get("q")` called as
   * `filters_of(request)`, or a constructor's `req` in `Thumbnail(request)`.
   */
  isRequestObject(node: Node): boolean {
    const qualified = this.model.imports.resolve(node);
    if (qualified !== null && REQUEST_OBJECTS.includes(qualified)) return true;
    return node.type === 'identifier' && qualified === node.text && this.isRequestParameter(node);
  }

  private isRequestParameter(node: Node): boolean {
    const scope = this.model.scopeAt(node);
    const owner = this.functionScopeOf(scope, node.text);
    if (!owner) return false;
    // Rebound in the function (`req = req or request`): not followed.
    if (!this.model.reaching(node.text, node, scope).every((b) => b.kind === 'param')) return false;
    const key = `${owner.node.id}:${node.text}`;
    const known = this.requestParameterMemo.get(key);
    if (known !== undefined) return known;
    this.requestParameterMemo.set(key, false); // recursion guard
    // As parameters carry taint (`fromCallers`): one caller passing the request is enough.
    const index = owner.params.indexOf(node.text);
    const answer = this.callersOf(owner).some((site) => {
      const argument = this.argumentFor(owner, index, site);
      return !!argument && this.isRequestObject(argument);
    });
    this.requestParameterMemo.set(key, answer);
    return answer;
  }

  private compute(node: Node, scope: Scope): Taint | null {
    switch (node.type) {
      case 'identifier':
        return this.ofName(node, node.text, scope);
      case 'attribute':
        return this.ofAttribute(node, scope);
      case 'subscript':
        return this.ofSubscript(node, scope);
      case 'slice':
        return this.taintOf(node.childForFieldName('value') ?? node.namedChildren[0] ?? null, scope);
      case 'call':
        return this.ofCall(node, scope);
      case 'string':
        return this.firstOf(
          node.namedChildren
            .filter((c) => c?.type === 'interpolation')
            .map((c) => c?.namedChildren[0] ?? null),
          scope,
        );
      case 'comparison_operator':
      case 'not_operator':
      case 'lambda':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
        return null;
      case 'binary_operator': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        // `Markup("<b>%s</b>") % name` escapes what it fills in.
        if (node.childForFieldName('operator')?.text === '%' && this.isMarkup(left, scope))
          return escapedForHtml(this.taintOf(right, scope));
        return this.firstOf([left, right], scope);
      }
      case 'conditional_expression': {
        // `a if cond else b`: the condition is not part of the value; a constant condition picks one side.
        const condition = evaluate(this.model, node.namedChildren[1] ?? null, scope);
        if (condition !== undefined)
          return this.taintOf(node.namedChildren[truthy(condition) ? 0 : 2] ?? null, scope);
        return this.firstOf([node.namedChildren[0] ?? null, node.namedChildren[2] ?? null], scope);
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        // The elements are the body's values; the body reads the iterables through the loop variables.
        return this.taintOf(node.childForFieldName('body'), scope);
      default:
        // Containers, `or`/`and`, parentheses, `await`, unary operators, keyword arguments, f-string parts.
        return this.firstOf(node.namedChildren, scope);
    }
  }

  private firstOf(nodes: readonly (Node | null)[], scope: Scope): Taint | null {
    let best: Taint | null = null;
    for (const child of nodes) {
      const taint = this.taintOf(child, scope);
      if (!taint) continue;
      if (taint.sanitized.size === 0) return taint;
      best = combine(best, taint);
    }
    return best;
  }

  /**
   * The bindings that may reach a use, without those in branches that never run, and stopping at one
   * that runs on every path (an `if` whose condition is always true dominates what follows it).
   */
  private liveBindings(name: string, use: Node, scope: Scope): Binding[] {
    const home = lookupScope(scope, name) ?? scope;
    const live: Binding[] = [];
    for (const binding of this.model.reaching(name, use, scope)) {
      if (binding.kind === 'param' || binding.kind === 'def') {
        live.push(binding);
        continue;
      }
      if (isDeadCode(this.model, binding.node, home)) continue;
      live.push(binding);
      if (!binding.weak && this.dominates(binding, use, home)) break;
    }
    return live;
  }

  private dominates(binding: Binding, use: Node, home: Scope): boolean {
    if (binding.kind === 'param') return true;
    const extent = dominatedExtent(this.model, binding.node, home);
    return extent.start <= use.startIndex && use.startIndex <= extent.end && binding.at <= use.startIndex;
  }

  /** `d["k"]`, `lst[0]`: the value stored at a constant key when the container's history is clear. */
  private ofSubscript(node: Node, scope: Scope): Taint | null {
    if (isConstantLookup(this.model, node)) return null;
    const values = this.storedValues(node, scope);
    if (values !== undefined) return this.firstOf(values, scope);
    const container = node.childForFieldName('value');
    return this.taintOf(container ?? node.namedChildren[0] ?? null, scope);
  }

  /**
   * The values a read of a local container may give: `d["k"]`, `lst[1]`, `d.get("k", default)`,
   * `conf.get("section", "option")`, `conf["section"]["option"]`. Undefined when the read is not one of
   * these or the container's history cannot be followed (containers.ts).
   */
  storedValues(node: Node, scope: Scope = this.model.scopeAt(node)): Node[] | undefined {
    if (node.type === 'call') {
      const site = this.model.callAt(node);
      return site ? this.keyedGetValues(site, scope) : undefined;
    }
    if (node.type !== 'subscript') return undefined;
    const container = node.childForFieldName('value');
    const key = evaluate(this.model, node.childForFieldName('subscript'), scope);
    if (!container || key === undefined) return undefined;
    // `conf["section"]["option"]` on a local ConfigParser: the option's value, as `conf.get(...)` reads it.
    const parser = container.type === 'subscript' ? container.childForFieldName('value') : null;
    if (parser?.type === 'identifier' && typeof key === 'string') {
      const view = this.containerView(parser, scope);
      const section = evaluate(this.model, container.childForFieldName('subscript'), scope);
      if (!isConfigParser(view) || typeof section !== 'string') return undefined;
      return valuesAtKey(view, [section, key]);
    }
    if (container.type !== 'identifier') return undefined;
    return valuesAtKey(this.containerView(container, scope), key);
  }

  /** Every value the local list `name` may hold (containers.ts `listValues`), or undefined. */
  listValues(name: Node, scope: Scope = this.model.scopeAt(name)): Node[] | undefined {
    return name.type === 'identifier' ? listValues(this.containerView(name, scope)) : undefined;
  }

  private containerView(name: Node, scope: Scope): ContainerView {
    const home = lookupScope(scope, name.text) ?? scope;
    return {
      model: this.model,
      scope,
      bindings: this.liveBindings(name.text, name, scope),
      dominates: (binding) => this.dominates(binding, name, home),
    };
  }

  /** `d.get("k")`, `conf.get("section", "option")` on a local dict or ConfigParser. */
  private ofKeyedGet(site: CallSite, scope: Scope): Taint | null | undefined {
    const values = this.keyedGetValues(site, scope);
    return values === undefined ? undefined : this.firstOf(values, scope);
  }

  /** The values `d.get("k", default)` or `conf.get("section", "option", fallback=...)` may give. */
  private keyedGetValues(site: CallSite, scope: Scope): Node[] | undefined {
    const receiver = site.receiver;
    if (receiver?.type !== 'identifier' || !GETTERS.has(site.name)) return undefined;
    const view = this.containerView(receiver, scope);
    const args = site.args.positional;
    const constant = (i: number) => evaluate(this.model, args[i] ?? null, scope);
    const present = (nodes: (Node | null | undefined)[]) => nodes.filter((n): n is Node => !!n);
    if (isConfigParser(view)) {
      const section = constant(0);
      const option = constant(1);
      if (section === undefined || option === undefined) return undefined;
      const values = valuesAtKey(view, [section, option]);
      return values === undefined ? undefined : present([...values, site.args.keywords.get('fallback')]);
    }
    if (site.name !== 'get') return undefined;
    const key = constant(0);
    if (key === undefined) return undefined;
    const values = valuesAtKey(view, key);
    return values === undefined ? undefined : present([...values, args[1]]);
  }

  private ofName(node: Node, name: string, scope: Scope): Taint | null {
    const bindings = this.liveBindings(name, node, scope);
    let best: Taint | null = null;
    for (const binding of bindings) {
      let taint: Taint | null;
      if (binding.kind === 'param') {
        taint = this.ofParameter(binding.name, binding.node, scope);
      } else if (binding.kind === 'def') {
        taint = null;
      } else {
        taint = this.taintOf(binding.value, scope);
      }
      // `if sort not in SORTABLE: abort(400)` between the binding and this use: one of SORTABLE's values.
      const checked = taint ? allowListCheck(this.model, node, name, binding.at) : null;
      if (checked === 'members') continue;
      const safeFor = checked === 'digits' ? DIGITS_ARE_SAFE : checked === 'word' ? WORDS_ARE_SAFE : null;
      if (taint && safeFor) taint = { ...taint, sanitized: union(taint.sanitized, safeFor) };
      if (taint && taint.sanitized.size === 0) return taint;
      if (taint) best = combine(best, taint);
    }
    return best;
  }

  private ofParameter(name: string, node: Node, scope: Scope): Taint | null {
    const owner = this.functionScopeOf(scope, name);
    if (!owner) return null;
    const parameter = this.urlParameters(owner).get(name);
    if (parameter === undefined) return this.callerParameters ? this.fromCallers(owner, name) : null;
    const { text, label } =
      typeof parameter === 'boolean' ? { text: parameter, label: `URL parameter \`${name}\`` } : parameter;
    return { source: node, label, sanitized: text ? NOTHING : new Set(EVERY_SINK) };
  }

  /**
   * `self.x` read in a method that does not assign it, and assigned in other methods of its class: what
   * they store (`__init__` keeping a constructor argument, whose callers then count: `fromCallers`).
   * Context-insensitive, as parameters are: any instance's tainted value taints every read.
   */
  private ofSelfAttribute(node: Node, dotted: string, scope: Scope): Taint | null {
    if (dotted.split('.').length !== 2 || this.model.reaching(dotted, node, scope).length > 0) return null;
    let method: Scope | null = scope;
    while (method && method.kind !== 'function') method = method.parent;
    const owner = method?.ownerClass;
    if (!method || !owner) return null;
    const key = `${owner.node.id}:${dotted}`;
    if (this.attributeMemo.has(key)) return this.attributeMemo.get(key) ?? null;
    this.attributeMemo.set(key, null); // recursion guard
    let best: Taint | null = null;
    for (const other of this.model.scopesBinding(dotted)) {
      if (other === method || other.ownerClass !== owner) continue;
      for (const binding of other.bindings.get(dotted) ?? []) {
        const taint = binding.value ? this.taintOf(binding.value, other) : null;
        if (taint) best = combine(best, taint);
      }
    }
    this.attributeMemo.set(key, best);
    return best;
  }

  /**
   * A parameter of a same-file function carries what its callers in this file pass: `lookup(conn,
   * request.args["q"])` taints `q` inside `lookup`, so a sink there is found. Context-insensitive (any
   * tainted caller taints the parameter), which is right for sinks; return values use summaries instead.
   */
  private fromCallers(owner: Scope, name: string): Taint | null {
    const key = `${owner.node.id}:${name}`;
    if (this.parameterMemo.has(key)) return this.parameterMemo.get(key) ?? null;
    this.parameterMemo.set(key, null); // recursion guard
    const index = owner.params.indexOf(name);
    let best: Taint | null = null;
    for (const site of this.callersOf(owner)) {
      const argument = this.argumentFor(owner, index, site);
      const taint = argument ? this.taintOf(argument, site.scope) : null;
      if (!taint) continue;
      const callee = owner.name === '__init__' && owner.ownerClass ? owner.ownerClass.name : owner.name;
      const passed = { ...taint, label: `${taint.label} (passed to ${callee}())` };
      best = combine(best, passed);
      if (passed.sanitized.size === 0) break;
    }
    this.parameterMemo.set(key, best);
    return best;
  }

  private functionScopeOf(scope: Scope, name: string): Scope | null {
    for (let current: Scope | null = scope; current; current = current.parent) {
      if (current.kind === 'function' && current.params.includes(name)) return current;
    }
    return null;
  }

  private ofAttribute(node: Node, scope: Scope): Taint | null {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute')?.text ?? '';
    if (object && this.isRequestObject(object)) {
      return this.requestSources && REQUEST_SOURCES.has(attribute)
        ? { source: node, label: `request.${attribute}`, sanitized: NOTHING }
        : null;
    }
    // `proc.returncode`, `resp.status_code`: numbers, whatever the object was made from.
    if (NUMBER_ATTRIBUTES.has(attribute)) return null;
    const dotted = dottedName(node);
    if (dotted !== null && dotted.startsWith('self.')) {
      const viaSelf = this.ofName(node, dotted, scope);
      if (viaSelf) return viaSelf;
      const viaClass = this.ofSelfAttribute(node, dotted, scope);
      if (viaClass) return viaClass;
    }
    // `Path(name).name` is os.path.basename(name): the last component, no directory left in it.
    if ((attribute === 'name' || attribute === 'stem') && object && this.isPathObject(object, scope)) {
      const inner = this.taintOf(object, scope);
      return inner ? { ...inner, sanitized: union(inner.sanitized, PATH_ONLY) } : null;
    }
    return this.taintOf(object, scope);
  }

  /** `Path(x)`, `pathlib.PurePath(x)`, or a name assigned one. */
  private isPathObject(node: Node, scope: Scope): boolean {
    const value = node.type === 'call' ? node : this.model.resolveValue(node, scope);
    const callee = value.type === 'call' ? this.model.callAt(value)?.callee : undefined;
    return !!callee && PATH_CLASSES.test(callee);
  }

  private ofCall(node: Node, scope: Scope): Taint | null {
    if (isConstantLookup(this.model, node)) return null;
    const site = this.model.callAt(node);
    if (this.requestSources && site?.name === 'parse_args' && site.receiver) {
      const parser = this.model.constructorOf(site.receiver, scope);
      if (parser !== null && REQUEST_PARSERS.has(parser))
        return { source: node, label: 'parse_args()', sanitized: NOTHING };
    }
    const fn = node.childForFieldName('function');
    const callee = site?.callee ?? null;
    if (callee !== null) {
      if (CLEANING_CALLS.has(callee)) return null;
      const sanitizes = SANITIZERS.get(callee) ?? SANITIZERS.get(lastSegment(callee));
      if (sanitizes) {
        const inner = this.firstOf(site?.args.positional ?? [], scope);
        return inner ? { ...inner, sanitized: union(inner.sanitized, sanitizes) } : null;
      }
    }
    if (site && this.fixedHostRequest?.(site, (n) => this.taintOf(n, scope))) return null;
    if (site) {
      const keyed = this.ofKeyedGet(site, scope);
      if (keyed !== undefined) return keyed;
      const summarized = this.ofSameFileCall(site, scope);
      if (summarized !== undefined) return summarized;
    }
    if (site && isNumericGet(site)) return null;
    // `Markup("<b>{}</b>").format(name)`, `Markup(", ").join(names)` escape their arguments.
    if (site && (site.name === 'format' || site.name === 'join') && this.isMarkup(site.receiver, scope)) {
      const args = node.childForFieldName('arguments');
      return escapedForHtml(args ? this.taintOf(args, scope) : null);
    }
    // `request.args.get("q")`, `tainted.strip()`: a method of a tainted value returns tainted data...
    if (fn?.type === 'attribute') {
      const method = fn.childForFieldName('attribute')?.text ?? '';
      const object = fn.childForFieldName('object');
      if (object && !SAFE_METHODS.has(method)) {
        const fromReceiver = this.ofAttribute(fn, scope);
        if (fromReceiver) return fromReceiver;
      }
    }
    // ...and so does an unknown call given tainted arguments (`"{}".format(q)`, `helper(q)`).
    const args = node.childForFieldName('arguments');
    return args ? this.taintOf(args, scope) : null;
  }

  /**
   * A call of a function or method defined in this file: its return value carries request data it reads
   * itself, and the taint of the arguments whose parameters flow into what it returns, nothing else. So
   * `do_something(param)` that returns a constant is clean, and `Test().do_something(param)` that returns
   * `param` is tainted. `undefined` when the callee is not a same-file function this can summarise.
   */
  private ofSameFileCall(site: CallSite, scope: Scope): Taint | null | undefined {
    const target = this.calledFunction(site, scope);
    if (!target) return undefined;
    const summary = this.summaryOf(target.fn);
    if (!summary) return undefined;
    if (summary.request) {
      return {
        ...summary.request,
        source: site.node,
        label: `${summary.request.label} (via ${target.fn.name}())`,
      };
    }
    let best: Taint | null = null;
    const { positional, keywords } = site.args;
    for (const [index, flow] of summary.params) {
      const name = target.fn.params[index];
      const argument = index - target.offset >= 0 ? positional[index - target.offset] : undefined;
      const node = argument ?? (name ? keywords.get(name) : undefined);
      const taint = node ? this.taintOf(node, scope) : null;
      if (!taint) continue;
      const passed = { ...taint, sanitized: unionSets(taint.sanitized, flow.sanitized) };
      if (passed.sanitized.size === 0) return passed;
      best = combine(best, passed);
    }
    return best;
  }

  /** Does this call run a function or method defined in this file (whose result is summarised precisely)? */
  callsSameFileFunction(site: CallSite): boolean {
    return this.calledFunction(site, site.scope) !== null;
  }

  /** The function or method defined in this file that this call runs, as the summaries resolve it. */
  sameFileCallee(site: CallSite): Scope | null {
    return this.calledFunction(site, site.scope)?.fn ?? null;
  }

  /**
   * What `site` passes for the parameter at `index` of `fn`: null when it passes nothing there, undefined
   * when the call does not run `fn`.
   */
  private argumentFor(fn: Scope, index: number, site: CallSite): Node | null | undefined {
    // By name; a Celery task queued with `task.delay(...)`; a constructor call filling `__init__` after self.
    const target: { fn: Scope; offset: number } | null =
      site.name === fn.name
        ? this.calledFunction(site, site.scope)
        : { fn, offset: site.name === 'delay' ? 0 : 1 };
    if (target?.fn !== fn) return undefined;
    const positional = index - target.offset >= 0 ? site.args.positional[index - target.offset] : undefined;
    return positional ?? site.args.keywords.get(fn.params[index] ?? '') ?? null;
  }

  /**
   * Calls that run `fn`: by its name; for a module-level function, `fn.delay(...)` (a Celery task run by a
   * worker with the arguments given here); for an `__init__`, its class's constructor calls (`Rule(x)`).
   */
  private callersOf(fn: Scope): CallSite[] {
    const byName = this.model.callsNamed(fn.name);
    if (fn.parent?.kind === 'module') {
      const queued = this.model
        .callsNamed('delay')
        .filter((site) => site.receiver?.type === 'identifier' && site.receiver.text === fn.name);
      return queued.length > 0 ? [...byName, ...queued] : byName;
    }
    const owner = fn.ownerClass;
    if (fn.name !== '__init__' || !owner || this.model.classesNamed(owner.name)[0] !== owner) return byName;
    const constructions = this.model
      .callsNamed(owner.name)
      .filter((site) => site.node.childForFieldName('function')?.type === 'identifier');
    return [...byName, ...constructions];
  }

  /** The same-file function a call runs, and how many leading parameters (`self`) the call does not fill. */
  private calledFunction(site: CallSite, scope: Scope): { fn: Scope; offset: number } | null {
    const fn = site.node.childForFieldName('function');
    if (fn?.type === 'identifier') {
      const defs = this.model.functionsNamed(fn.text).filter((f) => f.parent?.kind !== 'class');
      return defs.length === 1 && defs[0] ? { fn: defs[0], offset: 0 } : null;
    }
    if (fn?.type !== 'attribute') return null;
    const receiver = fn.childForFieldName('object');
    if (!receiver) return null;
    let owner: Scope | null = null;
    if (receiver.type === 'identifier' && receiver.text === 'self') {
      for (let s: Scope | null = scope; s && !owner; s = s.parent) owner = s.ownerClass;
    } else {
      // `Test().method(...)`, `helper = Test(); helper.method(...)`
      const built = this.model.resolveValue(receiver, scope);
      const className = built.type === 'call' ? built.childForFieldName('function') : null;
      if (className?.type === 'identifier') owner = this.model.classesNamed(className.text)[0] ?? null;
    }
    if (!owner) return null;
    const methods = this.model.functionsNamed(site.name).filter((f) => f.parent === owner);
    const method = methods.length === 1 ? methods[0] : undefined;
    if (!method) return null;
    const isStatic = method.decorators.some((d) => d.text === 'staticmethod');
    return { fn: method, offset: isStatic ? 0 : 1 };
  }

  private summaryOf(fn: Scope): FunctionSummary | null {
    const known = this.summaries.get(fn);
    if (known) return known;
    if (this.summarising.has(fn)) return null; // recursion: fall back to the generic rule
    // `*args`/`**kwargs` make argument-to-parameter mapping uncertain.
    const parameters = fn.node.childForFieldName('parameters')?.namedChildren ?? [];
    if (parameters.some((p) => p?.type === 'list_splat_pattern' || p?.type === 'dictionary_splat_pattern'))
      return null;
    this.summarising.add(fn);
    let summary: FunctionSummary;
    try {
      // What it returns of the request by itself, with its parameters as blank values.
      const own = new TaintAnalyzer(
        this.model,
        this.urlParameters,
        this.requestSources,
        false,
        this.summarising,
      );
      own.fixedHostRequest = this.fixedHostRequest;
      const request = own.firstOf(fn.returns, fn);
      const params = new Map<number, { sanitized: ReadonlySet<SinkKind> }>();
      fn.params.forEach((name, index) => {
        const probe = new TaintAnalyzer(
          this.model,
          (scope) => (scope === fn ? new Map([[name, true]]) : new Map()),
          false,
          false,
          this.summarising,
        );
        probe.fixedHostRequest = this.fixedHostRequest;
        const flow = probe.firstOf(fn.returns, fn);
        if (flow) params.set(index, { sanitized: flow.sanitized });
      });
      summary = { request: request ?? undefined, params };
    } finally {
      this.summarising.delete(fn);
    }
    this.summaries.set(fn, summary);
    return summary;
  }
}

/** What a same-file function returns: request data it reads itself, and which parameters flow out. */
interface FunctionSummary {
  request: Taint | undefined;
  params: Map<number, { sanitized: ReadonlySet<SinkKind> }>;
}

/** Getter methods of dicts and ConfigParsers whose key can be followed. */
const GETTERS = new Set(['get', 'getint', 'getfloat', 'getboolean']);

/** `type=` converters of Werkzeug's `MultiDict.get` whose result carries no text. */
const NUMERIC_TYPES = new Set(['int', 'float', 'bool']);

/** `request.args.get("page", type=int)`: Werkzeug converts the value; a number carries no text. */
export function isNumericGet(site: CallSite): boolean {
  const converter = site.args.keywords.get('type')?.text;
  return (
    (site.name === 'get' || site.name === 'getlist') &&
    converter !== undefined &&
    NUMERIC_TYPES.has(converter)
  );
}

/** Methods whose result carries no client data even when called on it. */
const SAFE_METHODS = new Set([
  'isdigit',
  'isalnum',
  'isalpha',
  'isnumeric',
  'isdecimal',
  'startswith',
  'endswith',
  'count',
  'find',
  'index',
  'rfind',
  '__len__',
  'is_json',
  'isidentifier',
  'islower',
  'isupper',
]);

/** Several tainted parts: the value is only as clean as the least sanitized part. */
function combine(best: Taint | null, next: Taint): Taint {
  return best
    ? { source: best.source, label: best.label, sanitized: intersect(best.sanitized, next.sanitized) }
    : next;
}

function unionSets(a: ReadonlySet<SinkKind>, b: ReadonlySet<SinkKind>): ReadonlySet<SinkKind> {
  return union(a, [...b]);
}

function union(a: ReadonlySet<SinkKind>, b: readonly SinkKind[]): ReadonlySet<SinkKind> {
  const out = new Set(a);
  for (const kind of b) out.add(kind);
  return out;
}

function intersect(a: ReadonlySet<SinkKind>, b: ReadonlySet<SinkKind>): ReadonlySet<SinkKind> {
  const out = new Set<SinkKind>();
  for (const kind of a) if (b.has(kind)) out.add(kind);
  return out;
}
