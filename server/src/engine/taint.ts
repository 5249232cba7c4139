import type { Node } from 'web-tree-sitter';
import type { FileModel } from './model';
import type { Scope } from './scopes';
import { dottedName, lastSegment } from './syntax';

/**
 * Intra-procedural taint: does an expression carry data an HTTP client controls? Sources are Flask's
 * `request` attributes and methods, and URL converter parameters of views; values are followed through
 * assignments, formatting, concatenation, containers, attribute/subscript access, method calls on tainted
 * values, calls with tainted arguments, and helpers in the same file that return request data.
 */

/** The kind of sink a sanitizer makes a value safe for. */
export type SinkKind = 'sql' | 'command' | 'path' | 'html' | 'url' | 'code' | 'header';

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
const SANITIZERS: Record<string, SinkKind[]> = {
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
  'shlex.quote': ['command'],
  'pipes.quote': ['command'],
  'werkzeug.utils.secure_filename': ['path'],
  'werkzeug.secure_filename': ['path'],
  'werkzeug.utils.safe_join': ['path'],
  'werkzeug.security.safe_join': ['path'],
  'flask.safe_join': ['path'],
  'flask.helpers.safe_join': ['path'],
  'os.path.basename': ['path'],
  'posixpath.basename': ['path'],
  'urllib.parse.quote': ['path', 'command', 'html', 'header'],
  'urllib.parse.quote_plus': ['path', 'command', 'html', 'header'],
};

const NOTHING: ReadonlySet<SinkKind> = new Set();

export class TaintAnalyzer {
  private readonly memo = new Map<number, Taint | null>();
  private readonly returning = new Map<Scope, Taint | null>();
  private readonly inProgress = new Set<number>();

  constructor(
    private readonly model: FileModel,
    /** Parameters of these function scopes carry URL data (Flask view converters). */
    private readonly urlParameters: (scope: Scope) => ReadonlyMap<string, boolean>,
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

  /** Is this expression (a name or dotted name) rooted at Flask's `request` object? */
  isRequestObject(node: Node): boolean {
    const qualified = this.model.imports.resolve(node);
    return qualified !== null && REQUEST_OBJECTS.includes(qualified);
  }

  private compute(node: Node, scope: Scope): Taint | null {
    switch (node.type) {
      case 'identifier':
        return this.ofName(node, node.text, scope);
      case 'attribute':
        return this.ofAttribute(node, scope);
      case 'subscript':
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
      case 'binary_operator':
        return this.firstOf([node.childForFieldName('left'), node.childForFieldName('right')], scope);
      case 'conditional_expression':
        // `a if cond else b`: the condition is not part of the value.
        return this.firstOf([node.namedChildren[0] ?? null, node.namedChildren[2] ?? null], scope);
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return this.firstOf([node.childForFieldName('body'), ...this.comprehensionIterables(node)], scope);
      default:
        // Containers, `or`/`and`, parentheses, `await`, unary operators, keyword arguments, f-string parts.
        return this.firstOf(node.namedChildren, scope);
    }
  }

  private comprehensionIterables(node: Node): (Node | null)[] {
    return node.namedChildren
      .filter((c) => c?.type === 'for_in_clause')
      .map((c) => c?.childForFieldName('right') ?? null);
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

  private ofName(node: Node, name: string, scope: Scope): Taint | null {
    const bindings = this.model.reaching(name, node, scope);
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
      if (taint && taint.sanitized.size === 0) return taint;
      if (taint) best = combine(best, taint);
    }
    return best;
  }

  private ofParameter(name: string, node: Node, scope: Scope): Taint | null {
    const owner = this.functionScopeOf(scope, name);
    if (!owner) return null;
    const parameters = this.urlParameters(owner);
    const isString = parameters.get(name);
    if (isString === undefined) return null;
    return {
      source: node,
      label: `URL parameter \`${name}\``,
      sanitized: isString
        ? NOTHING
        : new Set<SinkKind>(['sql', 'command', 'path', 'html', 'url', 'code', 'header']),
    };
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
      return REQUEST_SOURCES.has(attribute)
        ? { source: node, label: `request.${attribute}`, sanitized: NOTHING }
        : null;
    }
    const dotted = dottedName(node);
    if (dotted !== null && dotted.startsWith('self.')) {
      const viaSelf = this.ofName(node, dotted, scope);
      if (viaSelf) return viaSelf;
    }
    return this.taintOf(object, scope);
  }

  private ofCall(node: Node, scope: Scope): Taint | null {
    const site = this.model.callAt(node);
    const fn = node.childForFieldName('function');
    const callee = site?.callee ?? null;
    if (callee !== null) {
      if (CLEANING_CALLS.has(callee)) return null;
      const sanitizes = SANITIZERS[callee] ?? SANITIZERS[`${lastSegment(callee)}`];
      if (sanitizes) {
        const inner = this.firstOf(site?.args.positional ?? [], scope);
        return inner ? { ...inner, sanitized: union(inner.sanitized, sanitizes) } : null;
      }
      const helper = this.helperReturn(callee, node);
      if (helper) return helper;
    }
    // `request.args.get("page", type=int)`: Werkzeug converts the value; a number carries no text.
    const converter = site?.args.keywords.get('type')?.text;
    if (site && ['get', 'getlist'].includes(site.name) && converter && NUMERIC_TYPES.has(converter))
      return null;
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

  /** A same-file function whose return value is built from request data acts as a source. */
  private helperReturn(callee: string, call: Node): Taint | null {
    if (callee.includes('.')) return null;
    const helper = this.model.functionsNamed(callee).find((f) => f.parent === this.model.module);
    if (!helper) return null;
    if (!this.returning.has(helper)) {
      this.returning.set(helper, null);
      this.returning.set(helper, this.firstOf(helper.returns, helper));
    }
    const returned = this.returning.get(helper) ?? null;
    return returned ? { ...returned, source: call, label: `${returned.label} (via ${callee}())` } : null;
  }
}

/** `type=` converters of Werkzeug's `MultiDict.get` whose result carries no text. */
const NUMERIC_TYPES = new Set(['int', 'float', 'bool']);

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
