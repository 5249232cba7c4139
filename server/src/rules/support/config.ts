import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { ConfigWrite } from '../../engine/flask';
import { evaluate, truthy } from '../../engine/constants';
import type { Constant } from '../../engine/constants';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { dottedName, lastSegment, literalValue, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';

/**
 * Helpers of the configuration family (debugger, bind address, cookies, Talisman, error details): call
 * arguments by keyword or position, configuration writes in every spelling, test/development configuration,
 * edit merging, and the flow of caught exceptions into responses.
 */

/** The argument passed as keyword `name`, or else at `position` (when the call has that many positionals). */
export function argumentOf(site: CallSite, name: string, position?: number): Node | null {
  const keyword = site.args.keywords.get(name);
  if (keyword) return keyword;
  if (position === undefined) return null;
  return site.args.positional[position] ?? null;
}

/** The called function's own name, through import aliases (`from x import run_simple as serve` → `run_simple`). */
/** The default of `os.environ.get(name, default)` / `os.getenv(name, default)` when `node` is one. */
export function environmentDefault(ctx: RuleContext, node: Node): Node | null {
  if (node.type !== 'call') return null;
  const site = ctx.file.callAt(node);
  if (!site || !/^os\.(environ\.get|getenv)$/.test(site.callee ?? '')) return null;
  return site.args.positional[1] ?? site.args.keywords.get('default') ?? null;
}

/**
 * The value of a setting built from the environment when the variable is not set:
 * `os.environ.get("SESSION_COOKIE_SECURE", "false").lower() == "true"` is False, `os.getenv("VERIFY", "1")
 * != "0"` is True. The engine's constant folder does the work, with each lookup read as the default written
 * in the code and a few string calls of its result (lower/strip, bool/int). Undefined when the expression
 * reads no environment variable, reads one without a written default (`os.environ.get("APP_ENV") ==
 * "production"` picks an environment rather than the setting), or is not constant otherwise.
 */
export function valueWhenUnset(ctx: RuleContext, node: Node): Constant | undefined {
  let fromEnvironment = false;
  const value = evaluate(ctx.file, node, ctx.file.scopeAt(node), 0, (call, next) => {
    const site = ctx.file.callAt(call);
    if (!site) return undefined;
    if (/^os\.(environ\.get|getenv)$/.test(site.callee ?? '')) {
      const fallback = environmentDefault(ctx, call);
      const written = fallback ? literalValue(ctx.file.resolveValue(fallback)) : undefined;
      if (written !== undefined) fromEnvironment = true;
      return written;
    }
    const argument = site.receiver ?? site.args.positional[0] ?? null;
    const folded = argument ? next(argument) : undefined;
    if (typeof folded !== 'string')
      return folded === undefined || site.callee !== 'bool' ? undefined : truthy(folded);
    if (site.receiver) return STRING_METHODS[site.name]?.(folded);
    if (site.callee === 'bool') return folded !== '';
    if (site.callee === 'int' && /^\s*[+-]?\d+\s*$/.test(folded)) return Number(folded);
    return undefined;
  });
  return fromEnvironment ? value : undefined;
}

const STRING_METHODS: Record<string, ((text: string) => string) | undefined> = {
  lower: (text) => text.toLowerCase(),
  casefold: (text) => text.toLowerCase(),
  upper: (text) => text.toUpperCase(),
  strip: (text) => text.trim(),
};

export function calledName(site: CallSite): string {
  return site.callee && site.receiver === null ? lastSegment(site.callee) : site.name;
}

/** Where a finding about a call is reported: its callee, so the finding starts on the call's first line. */
export function calleeNode(site: CallSite): Node {
  return site.node.childForFieldName('function') ?? site.node;
}

/** `text` as a string literal quoted like `like` (single or double quotes). */
export function quotedLike(like: Node | null, text: string): string {
  const raw = like?.text ?? '';
  const quote = /^[rRbBuUfF]*'/.test(raw) ? "'" : '"';
  return `${quote}${text}${quote}`;
}

/** Merges edits whose ranges overlap or touch (several arguments removed from one call). */
export function mergeEdits(edits: OffsetEdit[]): OffsetEdit[] {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: OffsetEdit[] = [];
  for (const edit of sorted) {
    const last = out[out.length - 1];
    if (last && edit.start <= last.end) {
      last.end = Math.max(last.end, edit.end);
      last.newText += edit.newText;
    } else {
      out.push({ ...edit });
    }
  }
  return out;
}

/**
 * Writes of configuration keys: what the Flask model knows (`app.config[...] =`, `.update(...)`,
 * `from_mapping`, config classes and config modules) plus `KEY = value` at module or class level anywhere
 * (the keys asked for are distinctive) and `config.update(dict(KEY=value))`.
 */
export function configWritesOfKeys(ctx: RuleContext, keys: readonly string[]): ConfigWrite[] {
  const out = [...ctx.flask.configWritesOf(...keys)];
  const seen = new Set(out.map((w) => w.node.id));
  const add = (write: ConfigWrite) => {
    if (seen.has(write.node.id)) return;
    seen.add(write.node.id);
    out.push(write);
  };
  for (const scope of ctx.file.scopes) {
    if (scope.kind === 'function') continue;
    for (const key of keys) {
      for (const binding of scope.bindings.get(key) ?? []) {
        if (binding.kind !== 'assign' || !binding.value) continue;
        if (binding.node.childForFieldName('left')?.type !== 'identifier') continue;
        add({
          key,
          value: binding.value,
          node: binding.node,
          via: scope.kind === 'class' ? 'class' : 'module',
          target: '',
        });
      }
    }
  }
  for (const site of ctx.file.callsNamed('update', 'from_mapping')) {
    const receiver = site.receiver;
    if (receiver?.type !== 'attribute' || receiver.childForFieldName('attribute')?.text !== 'config')
      continue;
    for (const arg of site.args.positional) {
      if (arg.type !== 'call' || ctx.file.callAt(arg)?.callee !== 'dict') continue;
      for (const [key, value] of ctx.file.callAt(arg)?.args.keywords ?? []) {
        if (!keys.includes(key) || !value.parent) continue;
        add({ key, value, node: value.parent, via: 'update', target: dottedName(receiver) ?? '' });
      }
    }
  }
  return out.sort((a, b) => a.node.startIndex - b.node.startIndex);
}

const TEST_NAME = /^tests?(_|$)|(^|_)(tests?|testing)(_|$)|^test|Test(s|ing)?([A-Z_0-9]|$)/;
const DEVELOPMENT_NAME = /dev(elop(ment)?)?([A-Z_0-9]|$)|^dev|Dev|local|Local|debug|Debug/;

/** The names of the classes and functions around `node`, innermost first. */
function enclosingDefinitionNames(node: Node): string[] {
  const out: string[] = [];
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'class_definition' || current.type === 'function_definition') {
      out.push(current.childForFieldName('name')?.text ?? '');
    }
  }
  return out;
}

/** Configuration meant for tests: a `TestingConfig` class, a test function, `conftest.py`, `if app.testing:`. */
export function isTestConfiguration(ctx: RuleContext, node: Node): boolean {
  if (/(^|[\\/])(conftest|test_[^\\/]*|[^\\/]*_test)\.py$/.test(ctx.file.path)) return true;
  // Anything under a tests/ folder (pytest's layout): fixtures, factories, helpers of the test suite.
  if (/(^|[\\/])tests[\\/]/.test(ctx.file.path)) return true;
  if (enclosingDefinitionNames(node).some((name) => TEST_NAME.test(name))) return true;
  for (let current = node.parent; current; current = current.parent) {
    if (current.type !== 'if_statement') continue;
    const consequence = current.childForFieldName('consequence');
    const condition = current.childForFieldName('condition')?.text ?? '';
    if (
      consequence &&
      consequence.startIndex <= node.startIndex &&
      node.endIndex <= consequence.endIndex &&
      /test/i.test(condition) &&
      !/\bnot\b|!=/.test(condition)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Configuration meant for a developer machine: a `DevelopmentConfig` / `LocalSettings` class, or the branch
 * of `if app.debug:` / `if env == "development":`.
 */
export function isDevelopmentConfiguration(node: Node): boolean {
  if (enclosingDefinitionNames(node).some((name) => DEVELOPMENT_NAME.test(name))) return true;
  for (let current = node.parent; current; current = current.parent) {
    if (current.type !== 'if_statement') continue;
    const consequence = current.childForFieldName('consequence');
    const condition = current.childForFieldName('condition')?.text ?? '';
    if (
      consequence &&
      consequence.startIndex <= node.startIndex &&
      node.endIndex <= consequence.endIndex &&
      /debug|dev|local/i.test(condition) &&
      !/\bnot\b|!=/.test(condition)
    ) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Caught exceptions flowing into responses (FS107).
// ---------------------------------------------------------------------------------------------------------

/** How strongly an expression carries exception details: from a broad catch / a traceback, or a narrow one. */
export type Leak = 'broad' | 'narrow';

interface CaughtName {
  name: string;
  /** The `except` clause (or error handler function) the name is visible in. */
  region: Node;
  leak: Leak;
  /** Error handlers for HTTP errors: only `e.original_exception` carries details. */
  originalOnly: boolean;
}

/** Exception types whose message is meant for the client (validation and HTTP errors). */
const USER_FACING =
  /^(HTTPException|\w*Validation(Error|Exception|Failure)|Invalid\w*|BadRequest\w*|NotFound|Forbidden|Unauthorized|Conflict|MethodNotAllowed|UnprocessableEntity|TooManyRequests|\w*UserError|\w*(Api|API|App|Application|Business|Domain|Public)(Error|Exception)|Abort|FormError|SchemaError|JSONDecodeError|NoAuthorizationError|\w*Jwt\w*|\w*JWT\w*|ExpiredSignatureError|\w*TokenError)$/;
const BROAD = /^(Exception|BaseException|StandardError)$/;
/** Errors from databases, the OS and libraries: their messages describe the server's internals. */
const INTERNAL =
  /^(\w*SQLAlchemyError|\w*(Database|Operational|Integrity|Programming|DBAPI|Interface|Internal|Data)Error|Error|OSError|IOError|EnvironmentError|CalledProcessError|RuntimeError|TypeError|AttributeError|IndexError|NameError|ImportError|FileNotFoundError|PermissionError|ConnectionError|RequestException|TimeoutError|ClientError|BotoCoreError|PyMongoError|RedisError)$/;

/** Attributes of an exception that are codes or names rather than details. */
const HARMLESS_ATTRIBUTES = new Set([
  'code',
  'status',
  'status_code',
  'errno',
  'name',
  'description',
  '__name__',
  '__class__',
  'retry_after',
]);

/** Calls that put their arguments into the response: the exception text then reaches the client. */
const RESPONSE_BUILDERS = new Set([
  'flask.jsonify',
  'flask.json.jsonify',
  'flask.make_response',
  'flask.Response',
  'flask.wrappers.Response',
  'werkzeug.Response',
  'werkzeug.wrappers.Response',
  'flask.render_template',
  'flask.render_template_string',
  'flask.abort',
  'werkzeug.exceptions.abort',
  'flask.flash',
  'flask_restful.abort',
  'flask_restx.abort',
  'flask_smorest.abort',
  'django.http.HttpResponse',
  'django.http.JsonResponse',
]);
const BUILDER_NAMES = new Set([
  'jsonify',
  'make_response',
  'Response',
  'render_template',
  'render_template_string',
  'abort',
  'flash',
  'HttpResponse',
  'JsonResponse',
]);

/** Calls whose result is a stack trace or the exception being handled. */
const TRACE_FUNCTIONS =
  /^(traceback\.(format_\w+|extract_\w+|TracebackException\.\w+)|sys\.exc_info|sys\.exception)$/;

/** Calls that carry their arguments' text into their result. */
const TEXT_FUNCTIONS = new Set(['str', 'repr', 'format', 'unicode', 'dict', 'list', 'tuple', 'json.dumps']);

/** How an expression carries exception details: not at all, as raw data, or already inside a response. */
export interface Carry {
  /** The outermost sub-expressions holding raw exception details (not yet inside a response builder). */
  raw: Node[];
  /** The details are (also) inside a response builder call, which is reported on its own. */
  built: boolean;
  leak: Leak | null;
}

const NONE: Carry = { raw: [], built: false, leak: null };
/** The locals of a function without sources: none carry anything (never written to). */
const NO_LOCALS: ReadonlyMap<string, Carry> = new Map();

function strongest(a: Leak | null, b: Leak | null): Leak | null {
  if (a === 'broad' || b === 'broad') return 'broad';
  return a ?? b;
}

/**
 * Follows caught exceptions (`except Exception as e`, error handler parameters) and stack traces
 * (`traceback.format_exc()`) through local variables into response builders and view return values.
 */
export class ExceptionFlow {
  private readonly caught: CaughtName[] = [];
  /** Per function: locals that hold exception details. */
  private readonly locals = new Map<Scope, Map<string, Carry>>();
  /** Per local helper function: the parameters whose value reaches what it returns (see summaryOf). */
  private readonly summaries = new Map<Scope, Set<string>>();
  /** The helpers being summarised: a call back into one of them (recursion) carries nothing. */
  private readonly summarising = new Set<Scope>();
  /** Summaries that a cut recursion shaped, asked for from outside any summary: by where they started. */
  private readonly cyclicSummaries = new Map<Scope, Set<string>>();
  /** Summaries and locals that a cut recursion shaped inside the outermost summary: kept while it runs. */
  private readonly provisionalSummaries = new Map<Scope, Set<string>>();
  private readonly provisionalLocals = new Map<Scope, Map<string, Carry>>();
  /** Per function: whether exception details can start in it at all (see hasSources). */
  private readonly sources = new Map<Scope, boolean>();
  private traceCalls: CallSite[] | undefined;
  /** Whether what is being computed went through a cut recursion (and so depends on where it started). */
  private cutRecursion = false;
  /** While summarising a helper: the function and the parameter treated as carrying details. */
  private summary: { fn: Scope; param: string; locals: Map<string, Carry> | null } | null = null;
  readonly handlers = new Set<Scope>();

  constructor(private readonly ctx: RuleContext) {
    this.findExceptClauses();
    this.findErrorHandlers();
  }

  /** Response builders (`jsonify`, `make_response`, `abort`, `flash`, ...) and werkzeug HTTP exceptions. */
  isResponseBuilder(site: CallSite): boolean {
    const callee = site.callee ?? '';
    if (RESPONSE_BUILDERS.has(callee)) return true;
    if (callee.startsWith('werkzeug.exceptions.') && /^[A-Z]/.test(site.name)) return true;
    // An unimported name (snippets, star imports) is taken at face value.
    return (
      site.calleeText !== null &&
      !site.calleeText.includes('.') &&
      BUILDER_NAMES.has(site.calleeText) &&
      !this.ctx.file.imports.isImportedName(site.calleeText) &&
      this.ctx.file.functionsNamed(site.calleeText).length === 0
    );
  }

  /** Does the function answer HTTP requests (a route view, class-based view method or error handler)? */
  isResponder(scope: Scope): boolean {
    if (this.handlers.has(scope)) return true;
    if (this.ctx.flask.routesOf(scope).length > 0) return true;
    const owner = scope.ownerClass;
    return (
      owner !== null &&
      /^(get|post|put|patch|delete|dispatch_request)$/.test(scope.name) &&
      this.ctx.flask.isClassView(owner)
    );
  }

  /** Is there anything to follow in this file at all? */
  get active(): boolean {
    return this.caught.length > 0 || this.traces().length > 0;
  }

  private traces(): CallSite[] {
    this.traceCalls ??= this.ctx.file.calls.filter((site) => TRACE_FUNCTIONS.test(site.callee ?? ''));
    return this.traceCalls;
  }

  /**
   * Whether anything in a function can be exception details. Details start only at a caught name (inside
   * its clause or handler), at a traceback call, or at the parameter a helper summary follows: outside a
   * summary, a function that overlaps no clause or handler and makes no traceback call carries nothing,
   * and neither does any code nested in it. Most functions are like that; this spares following their
   * locals and the helpers they call.
   */
  hasSources(scope: Scope): boolean {
    let known = this.sources.get(scope);
    if (known === undefined) {
      const { startIndex: start, endIndex: end } = scope.node;
      known =
        this.caught.some(({ region }) => region.startIndex < end && start < region.endIndex) ||
        this.traces().some(({ node }) => node.startIndex >= start && node.endIndex <= end);
      this.sources.set(scope, known);
    }
    return known;
  }

  carry(node: Node | null, depth = 0): Carry {
    if (!node || depth > 30) return NONE;
    switch (node.type) {
      case 'identifier':
        return this.carryOfName(node);
      case 'attribute':
        return this.carryOfAttribute(
          node,
          node.childForFieldName('object'),
          node.childForFieldName('attribute')?.text ?? '',
          depth,
        );
      case 'call':
        return this.carryOfCall(node, depth);
      case 'string':
      case 'concatenated_string':
      case 'binary_operator':
      case 'subscript':
      case 'parenthesized_expression':
      case 'conditional_expression':
      case 'boolean_operator': {
        const inner = this.carryOfChildren(node, depth);
        return inner.raw.length > 0 ? { raw: [node], built: inner.built, leak: inner.leak } : inner;
      }
      case 'interpolation':
      case 'dictionary':
      case 'pair':
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'keyword_argument':
      case 'argument_list':
        return this.carryOfChildren(node, depth);
      default:
        return NONE;
    }
  }

  /** `e.args`, `error.original_exception`, and `getattr(e, "message")` (whose whole call is `node`). */
  private carryOfAttribute(node: Node, object: Node | null, attribute: string, depth: number): Carry {
    if (object?.type === 'identifier') {
      const caught = this.caughtAt(object);
      if (caught) {
        if (caught.originalOnly) {
          return attribute === 'original_exception' ? { raw: [node], built: false, leak: 'broad' } : NONE;
        }
        return HARMLESS_ATTRIBUTES.has(attribute) ? NONE : { raw: [node], built: false, leak: caught.leak };
      }
    }
    const inner = this.carry(object, depth + 1);
    return inner.raw.length > 0 ? { raw: [node], built: inner.built, leak: inner.leak } : inner;
  }

  private carryOfChildren(node: Node, depth: number): Carry {
    let raw: Node[] = [];
    let built = false;
    let leak: Leak | null = null;
    for (const child of node.namedChildren) {
      if (!child || child.type === 'comment') continue;
      // `{"error": ...}` / `error=...`: the key names the value; only the value can carry.
      const part =
        child.type === 'pair' || child.type === 'keyword_argument' ? child.childForFieldName('value') : child;
      if (node.type === 'subscript' && child.id === node.childForFieldName('subscript')?.id) continue;
      const inner = this.carry(part, depth + 1);
      raw = raw.concat(inner.raw);
      built ||= inner.built;
      leak = strongest(leak, inner.leak);
    }
    return { raw, built, leak };
  }

  private carryOfCall(node: Node, depth: number): Carry {
    const site = this.ctx.file.callAt(node);
    if (!site) return NONE;
    const callee = site.callee ?? '';
    if (TRACE_FUNCTIONS.test(callee)) return { raw: [node], built: false, leak: 'broad' };
    // getattr(e, "message", str(e)), getattr(e, "original_exception", None): the attribute, or the default.
    if (callee === 'getattr' && !this.ctx.file.imports.isImportedName('getattr')) {
      const [object, name, fallback] = site.args.positional;
      const attribute = stringValue(name ?? null);
      const read =
        object && attribute !== undefined ? this.carryOfAttribute(node, object, attribute, depth) : NONE;
      const other = fallback ? this.carry(fallback, depth + 1) : NONE;
      if (read.raw.length === 0 && other.raw.length === 0)
        return read.built || other.built ? { ...NONE, built: true } : NONE;
      return { raw: [node], built: read.built || other.built, leak: strongest(read.leak, other.leak) };
    }
    if (this.isResponseBuilder(site)) {
      const inner = this.carryOfChildren(site.args.list ?? node, depth);
      return inner.raw.length > 0 || inner.built ? { raw: [], built: true, leak: inner.leak } : NONE;
    }
    const helper = this.helperOf(site);
    if (helper) {
      // The arguments that reach the helper's result are what carries (and what a fix replaces).
      return this.passedThrough(site, helper, depth);
    }
    // `str(e)`, `repr(e)`, `"...".format(e)`, `", ".join(errors)`, `str(e).strip()`, `json.dumps({...})`.
    const fn = node.childForFieldName('function');
    const method = fn?.type === 'attribute';
    const textual =
      TEXT_FUNCTIONS.has(callee) ||
      (method && ['format', 'join', 'format_map', '__str__', '__repr__'].includes(site.name)) ||
      (site.calleeText === null && method);
    let inner: Carry = NONE;
    if (textual) inner = this.carryOfChildren(site.args.list ?? node, depth);
    if (method && site.receiver) {
      // A method of a value that carries details returns details: `str(e).split(":")[0]`, `e.args[0].strip()`.
      const receiver = this.carry(site.receiver, depth + 1);
      if (receiver.raw.length > 0 && !['with_traceback', 'add_note'].includes(site.name)) {
        inner = {
          raw: inner.raw.concat(receiver.raw),
          built: inner.built || receiver.built,
          leak: strongest(inner.leak, receiver.leak),
        };
      }
    }
    return inner.raw.length > 0 ? { raw: [node], built: inner.built, leak: inner.leak } : inner;
  }

  /** A function defined in this file and called by its name (`error_response(str(e), 500)`). */
  private helperOf(site: CallSite): Scope | null {
    if (site.receiver !== null || site.calleeText === null || site.calleeText.includes('.')) return null;
    if (this.ctx.file.imports.isImportedName(site.calleeText)) return null;
    const candidates = this.ctx.file
      .functionsNamed(site.calleeText)
      .filter((f) => f.parent?.kind !== 'class');
    return candidates.length === 1 ? (candidates[0] ?? null) : null;
  }

  /** What the arguments of a call to a local helper carry into its result. */
  private passedThrough(site: CallSite, helper: Scope, depth: number): Carry {
    const reaching = this.summaryOf(helper);
    if (reaching.size === 0) return NONE;
    let raw: Node[] = [];
    let built = false;
    let leak: Leak | null = null;
    helper.params.forEach((param, index) => {
      if (!reaching.has(param)) return;
      const argument = site.args.keywords.get(param) ?? site.args.positional[index] ?? null;
      const inner = this.carry(argument, depth + 1);
      raw = raw.concat(inner.raw);
      built ||= inner.built;
      leak = strongest(leak, inner.leak);
    });
    return { raw, built, leak };
  }

  /**
   * The parameters of a helper whose value reaches what it returns. Nothing flows through a call back into a
   * helper still being summarised (recursion), so what such a cut shaped depends on which helper the
   * summary started from: it is kept by that helper (or, inside another summary, only while the outermost
   * one runs), never as the helper's own answer. Every answer is then the same whichever sites were looked
   * at before, as a rule skipping the sites outside the focus needs.
   */
  private summaryOf(fn: Scope): Set<string> {
    const known = this.summaries.get(fn);
    if (known) return known;
    if (this.summarising.has(fn)) {
      this.cutRecursion = true;
      return new Set();
    }
    const outermost = this.summarising.size === 0;
    const shaped = outermost ? this.cyclicSummaries.get(fn) : this.provisionalSummaries.get(fn);
    if (shaped) {
      if (!outermost) this.cutRecursion = true;
      return shaped;
    }
    const outerCut = this.cutRecursion;
    this.cutRecursion = false;
    this.summarising.add(fn);
    const outer = this.summary;
    const reaching = new Set<string>();
    for (const param of fn.params) {
      this.summary = { fn, param, locals: null };
      if (
        fn.returns.some((value) => {
          const carry = this.carry(value);
          return carry.raw.length > 0 || carry.built;
        })
      ) {
        reaching.add(param);
      }
    }
    this.summary = outer;
    this.summarising.delete(fn);
    const cut = this.cutRecursion;
    // The outermost summary's answer depends only on the helper it started from.
    this.cutRecursion = outerCut || (cut && !outermost);
    if (!cut) this.summaries.set(fn, reaching);
    else if (outermost) this.cyclicSummaries.set(fn, reaching);
    else this.provisionalSummaries.set(fn, reaching);
    if (outermost) {
      this.provisionalSummaries.clear();
      this.provisionalLocals.clear();
    }
    return reaching;
  }

  private carryOfName(node: Node): Carry {
    const caught = this.caughtAt(node);
    if (caught) return caught.originalOnly ? NONE : { raw: [node], built: false, leak: caught.leak };
    const scope = this.ctx.file.scopeAt(node);
    if (scope.kind !== 'function') return NONE;
    if (this.summary?.fn === scope && this.summary.param === node.text) {
      return { raw: [node], built: false, leak: 'broad' };
    }
    const local = this.localsOf(scope).get(node.text);
    return local ? { raw: local.raw.length > 0 ? [node] : [], built: local.built, leak: local.leak } : NONE;
  }

  /** The caught exception `node` names, if it is used inside the clause (or handler) that binds it. */
  private caughtAt(node: Node): CaughtName | undefined {
    if (node.type !== 'identifier') return undefined;
    let best: CaughtName | undefined;
    for (const caught of this.caught) {
      if (caught.name !== node.text) continue;
      if (node.startIndex < caught.region.startIndex || node.endIndex > caught.region.endIndex) continue;
      if (!best || caught.region.startIndex >= best.region.startIndex) best = caught;
    }
    return best;
  }

  /** Locals of a function that hold exception details, to a fixed point (`msg = str(e)`, `errors.append(e)`). */
  private localsOf(scope: Scope): ReadonlyMap<string, Carry> {
    const summarising = this.summary?.fn === scope ? this.summary : null;
    if (!summarising && !this.hasSources(scope)) return NO_LOCALS;
    const known = summarising ? summarising.locals : this.locals.get(scope);
    if (known) return known;
    const provisional = summarising ? undefined : this.provisionalLocals.get(scope);
    if (provisional) {
      this.cutRecursion = true;
      return provisional;
    }
    const map = new Map<string, Carry>();
    if (summarising) summarising.locals = map;
    else this.locals.set(scope, map);
    const outerCut = this.cutRecursion;
    this.cutRecursion = false;
    for (let round = 0; round < 4; round++) {
      let changed = false;
      for (const [name, bindings] of scope.bindings) {
        if (name.includes('.')) continue;
        for (const binding of bindings) {
          if (!['assign', 'augassign', 'walrus', 'mutate'].includes(binding.kind) || !binding.value) continue;
          const value = binding.value;
          // `e = ...` does not rebind through itself.
          const result = this.carry(value);
          if (result.raw.length === 0 && !result.built) continue;
          const before = map.get(name);
          const merged: Carry = {
            raw: before?.raw.length || result.raw.length ? [value] : [],
            built: (before?.built ?? false) || result.built,
            leak: strongest(before?.leak ?? null, result.leak),
          };
          if (
            !before ||
            before.raw.length !== merged.raw.length ||
            before.built !== merged.built ||
            before.leak !== merged.leak
          ) {
            map.set(name, merged);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    const cut = this.cutRecursion;
    this.cutRecursion = outerCut || cut;
    if (cut && !summarising) {
      // Shaped by a recursion cut inside the summary running now: not this function's own answer.
      this.locals.delete(scope);
      this.provisionalLocals.set(scope, map);
    }
    return map;
  }

  private findExceptClauses(): void {
    const definedClasses = new Set(this.ctx.file.classes.map((c) => c.name));
    for (const clause of this.ctx.file.nodesOfType('except_clause')) {
      if (!clause) continue;
      const pattern = clause.namedChildren.find((c) => c?.type === 'as_pattern');
      if (!pattern) continue;
      const alias = pattern.childForFieldName('alias');
      const target = alias?.type === 'as_pattern_target' ? alias.namedChildren[0] : alias;
      if (target?.type !== 'identifier') continue;
      const types = exceptionTypes(pattern.namedChildren[0] ?? null);
      const leak = this.leakOf(types, definedClasses);
      if (!leak) continue;
      this.caught.push({ name: target.text, region: clause, leak, originalOnly: false });
    }
  }

  /** `@app.errorhandler(Exception)`, `@bp.app_errorhandler(500)`, `app.register_error_handler(Exception, f)`. */
  private findErrorHandlers(): void {
    const definedClasses = new Set(this.ctx.file.classes.map((c) => c.name));
    const register = (fn: Scope, registered: Node | null) => {
      this.handlers.add(fn);
      const param = fn.params.find((p) => p !== 'self');
      if (!param) return;
      const literal = literalValue(registered);
      const types = typeof literal === 'number' ? [] : exceptionTypes(registered);
      const leak = types.length > 0 ? this.leakOf(types, definedClasses) : null;
      const httpError = typeof literal === 'number' || types.some((t) => this.isHttpError(t));
      if (!leak && !httpError) return;
      this.caught.push({ name: param, region: fn.node, leak: leak ?? 'broad', originalOnly: !leak });
    };
    for (const fn of this.ctx.file.functions) {
      for (const decorator of fn.decorators) {
        if (decorator.type !== 'call') continue;
        const callee = decorator.childForFieldName('function');
        const name =
          callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
        if (name !== 'errorhandler' && name !== 'app_errorhandler') continue;
        const site = this.ctx.file.callAt(decorator);
        register(fn, site?.args.positional[0] ?? null);
      }
    }
    for (const site of this.ctx.file.callsNamed('register_error_handler')) {
      const name = dottedName(site.args.positional[1] ?? null);
      const fn = name ? this.ctx.file.functionsNamed(lastSegment(name))[0] : undefined;
      if (fn) register(fn, site.args.positional[0] ?? null);
    }
  }

  /** werkzeug's HTTP errors: their text is a fixed status description. */
  private isHttpError(type: string): boolean {
    return (
      this.ctx.file.imports.qualify(type).startsWith('werkzeug.exceptions.') ||
      /^(HTTPException|InternalServerError)$/.test(lastSegment(type))
    );
  }

  private leakOf(types: string[], definedClasses: ReadonlySet<string>): Leak | null {
    if (types.length === 0) return 'broad'; // `except:` has no name; kept for completeness
    let leak: Leak | null = null;
    for (const type of types) {
      const name = lastSegment(type);
      if (BROAD.test(name) || INTERNAL.test(name)) return 'broad';
      // Exceptions the application defines, and validation/HTTP errors, carry messages meant for the client.
      if (USER_FACING.test(name) || definedClasses.has(name) || this.isHttpError(type)) continue;
      leak = 'narrow';
    }
    return leak;
  }
}

/** `Exception` → ['Exception']; `(ValueError, db.Error)` → ['ValueError', 'db.Error']. */
function exceptionTypes(node: Node | null): string[] {
  if (!node) return [];
  if (node.type === 'tuple' || node.type === 'parenthesized_expression' || node.type === 'expression_list') {
    return node.namedChildren.flatMap((c) => exceptionTypes(c ?? null));
  }
  const name = dottedName(node);
  return name ? [name] : [];
}

/** A string literal's value through one assignment (`HOST = "0.0.0.0"`). */
export function constantString(ctx: RuleContext, node: Node | null): string | undefined {
  if (!node) return undefined;
  return stringValue(ctx.file.resolveValue(node));
}
