import type { Node } from 'web-tree-sitter';
import type { CallSite, FileModel } from './model';
import type { Scope } from './scopes';
import { isAuthDecoratorName } from './authNames';
import { selectAutoescapeOf } from './selectAutoescape';
import { callArguments, dottedName, isFalsyLiteral, lastSegment, literalValue, stringValue } from './syntax';

/**
 * What Flask sees in one file: app and blueprint objects, routes with their methods, URL parameters and
 * decorators, `before_request` guards, and configuration writes in all their spellings.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
const STATE_CHANGING = new Set<HttpMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);
// Maps, not object literals: the keys come from the code analysed, and `constructor` or `toString` must not
// find Object.prototype's members.
const METHOD_DECORATORS = new Map<string, HttpMethod>([
  ['get', 'GET'],
  ['post', 'POST'],
  ['put', 'PUT'],
  ['patch', 'PATCH'],
  ['delete', 'DELETE'],
]);
const VIEW_METHOD_NAMES = new Map<string, HttpMethod>([
  ...METHOD_DECORATORS,
  ['head', 'HEAD'],
  ['options', 'OPTIONS'],
]);

/**
 * The methods of a class-based view that become routes (`get`, `post`, ..., `dispatch_request`): Flask
 * calls them without their name being written anywhere, from wherever the class is registered.
 */
export function isClassViewMethod(name: string): boolean {
  return VIEW_METHOD_NAMES.has(name) || name === 'dispatch_request';
}

const APP_CONSTRUCTORS = new Set(['flask.Flask', 'quart.Quart', 'flask.app.Flask']);
const BLUEPRINT_CONSTRUCTORS = new Set([
  'flask.Blueprint',
  'flask.blueprints.Blueprint',
  'quart.Blueprint',
  'flask_smorest.Blueprint',
  'flask_restx.Namespace',
  'flask_restx.Api',
  'flask_restful.Api',
  'flask_restplus.Namespace',
  'flask_restplus.Api',
]);
const CLASS_VIEW_BASES = [
  'flask.views.MethodView',
  'flask.views.View',
  'flask_restful.Resource',
  'flask_restx.Resource',
  'flask_restplus.Resource',
];

export interface Route {
  /** The view function (or the class-based view's method). */
  view: Scope;
  /** The route decorator or `add_url_rule` call. */
  registration: Node;
  /** The object the route is registered on (`app`, `bp`), as written. */
  owner: string;
  rule: string | null;
  methods: HttpMethod[];
  /** URL parameter names → whether the value is free text (`<name>`, `<path:p>`) rather than `<int:id>`. */
  urlParameters: Map<string, boolean>;
  /** Decorator expressions on the view (and `decorators = [...]` of class-based views). */
  decorators: Node[];
  classView: Scope | null;
}

/** `autoescape:<ext>`: autoescaping covers templates with that extension too (a select_autoescape list). */
export type AppSetting =
  | 'SERVER_NAME'
  | 'TRUSTED_HOSTS'
  | 'autoescape'
  | `autoescape:${string}`
  /** flask-cors is given origins somewhere: `cors.init_app(app, origins=...)`/`resources=`, `CORS_ORIGINS`. */
  | 'CORS_ORIGINS'
  /** Flask-Mail is told to use TLS or SSL somewhere (`MAIL_USE_TLS`/`MAIL_USE_SSL` not literally false). */
  | 'MAIL_TLS'
  /**
   * `setter:<attribute>`: assigning a password-named model attribute runs code (a property setter, an
   * SQLAlchemy `@validates`, a `PasswordType` column), which usually hashes what it is given.
   */
  | `setter:${string}`;

export interface ConfigWrite {
  key: string;
  value: Node;
  /** Where to report: the assignment, keyword or dictionary pair. */
  node: Node;
  via: 'subscript' | 'update' | 'attribute' | 'class' | 'module';
  /** The app/config object written to, as written (`app`, `self`); '' for config classes and modules. */
  target: string;
}

const CONFIG_ATTRIBUTES = new Map([
  ['secret_key', 'SECRET_KEY'],
  ['debug', 'DEBUG'],
  ['testing', 'TESTING'],
  ['permanent_session_lifetime', 'PERMANENT_SESSION_LIFETIME'],
  ['session_cookie_name', 'SESSION_COOKIE_NAME'],
]);
/** `autoescape` given a true value or a selector in Jinja options. */
/** Binding names that can carry an app-wide setting (see findAppSettings). */
const APP_SETTING_NAMES =
  /^(SERVER_NAME|TRUSTED_HOSTS|MAIL_USE_TLS|MAIL_USE_SSL)$|trusted_hosts$|jinja_env\.autoescape$|jinja_options$/;
const ESCAPING_OPTIONS =
  /["']?autoescape["']?\s*[:=]\s*(True\b|select_autoescape\b|lambda\b|jinja2\.select_autoescape\b)/;
const CONFIG_FILE =
  /(^|[\\/])(config|configs|settings|default_settings|default_config|conf|instance[\\/]\w+)\.py$/i;
const CONFIG_CLASS = /(config|settings|conf)$/i;
const UPPER_KEY = /^[A-Z][A-Z0-9_]*$/;

/** Calls that check the caller themselves: a hook making one guards its routes. */
const VERIFIES_CALLER =
  /(^|\.)(verify_jwt_in_request|verify_token|authenticate|login_required|check_auth|require_login|require_auth)$/;
/** Calls that stop a request. */
const REFUSES = /(^|\.)(abort|redirect|unauthorized|unauthorised)$/;
/** Text of a condition about who the caller is. */
/** Status codes that refuse a caller for who they are (in `abort(...)` or a returned response). */
const DENIES_ACCESS = /\b(401|403)\b|\b(Unauthorized|Forbidden)\b/;
/**
 * Words of CSRF and rate-limit checks, which also read tokens and the session but do not say who is calling:
 * `request.form["csrf_token"] != session["csrf_token"]`, `bucket.consume_token(request.remote_addr)`.
 */
const NOT_IDENTITY =
  /session\s*(?:\.\s*get\s*\(|\[)\s*["'][^"']*(?:csrf|xsrf)[^"']*["']\s*[\])]?|\w*(?:csrf|xsrf|bucket|throttl|rate_?limit|consume_token)\w*/gi;
const IDENTITY_TEXT =
  /current_user|is_authenticated|is_anonymous|\bg\.(?:get\(\s*["'])?user\b|getattr\(\s*g\s*,\s*["']user\b|\bsession\b|authori[sz]|\bauth|token|jwt|api_?key|user_?id|logged_?in|login|identity|permission|\brole|is_admin|is_staff|signature/i;

function isAboutIdentity(condition: string): boolean {
  return IDENTITY_TEXT.test(condition.replace(NOT_IDENTITY, ''));
}

/** Whether `node` runs only under a condition of `within`: in an if, a loop test, a try or an except. */
function isConditional(node: Node, within: Node): boolean {
  for (let at = node.parent; at && at.id !== within.id; at = at.parent) {
    if (CONDITIONAL_PARENTS.has(at.type)) return true;
  }
  return false;
}
const CONDITIONAL_PARENTS = new Set([
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'try_statement',
  'except_clause',
  'conditional_expression',
  'boolean_operator',
]);

export class FlaskModel {
  private ownModuleConfig: boolean | undefined;
  readonly appNames = new Set<string>();
  readonly blueprintNames = new Set<string>();
  /** The name each blueprint of this file is created with: `bp = Blueprint("admin", __name__)`. */
  private readonly blueprintLabels = new Map<string, string>();
  readonly routes: Route[] = [];
  readonly configWrites: ConfigWrite[] = [];
  /** Owners (`app`, `bp`) with a `before_request` hook that can refuse a request. */
  readonly guardedOwners = new Set<string>();
  /** Functions in this file that work as auth decorators (they check the user and refuse). */
  readonly authDecoratorDefinitions = new Set<string>();
  /**
   * App-wide settings this file makes, which hold for every file of the app: `SERVER_NAME`, `TRUSTED_HOSTS`
   * (also Werkzeug's `trusted_hosts`, `host_is_trusted` and Flask-Allowed-Hosts), and `autoescape` (an
   * override of `select_jinja_autoescape`, or autoescaping forced on through `jinja_env`/`jinja_options`).
   */
  readonly appSettings = new Set<AppSetting>();
  readonly usesFlask: boolean;
  private readonly routesByView = new Map<Scope, Route[]>();

  constructor(private readonly file: FileModel) {
    this.usesFlask = file.imports.imports('flask') || file.imports.imports('quart');
    this.findAppsAndBlueprints();
    this.findRoutes();
    this.findGuards();
    this.findConfigWrites();
    this.findAuthDecoratorDefinitions();
    this.findAppSettings();
  }

  routesOf(view: Scope): Route[] {
    return this.routesByView.get(view) ?? [];
  }

  /** Whether an expression names a Flask app object (`app`, `current_app`, `self.app`, `create_app()`). */
  isApp(node: Node | null): boolean {
    if (!node) return false;
    const qualified = this.file.imports.resolve(node);
    if (qualified === 'flask.current_app') return true;
    const text = dottedName(node);
    if (text !== null && this.appNames.has(text)) return true;
    if (node.type === 'call') {
      const callee = this.file.callAt(node)?.callee ?? '';
      return APP_CONSTRUCTORS.has(callee) || /(^|\.)(create|make|get|build)_app$/.test(callee);
    }
    const constructed = this.file.constructorOf(node);
    return constructed !== null && APP_CONSTRUCTORS.has(constructed);
  }

  isBlueprint(node: Node | null): boolean {
    const text = dottedName(node);
    return text !== null && this.blueprintNames.has(text);
  }

  private findAppsAndBlueprints(): void {
    for (const site of this.file.calls) {
      const callee = site.callee ?? '';
      const isApp =
        APP_CONSTRUCTORS.has(callee) || (callee === 'Flask' && !this.file.imports.isImportedName('Flask'));
      const isBlueprint = BLUEPRINT_CONSTRUCTORS.has(callee);
      if (!isApp && !isBlueprint) continue;
      const parent = site.node.parent;
      if (parent?.type !== 'assignment') continue;
      const target = dottedName(parent.childForFieldName('left'));
      if (!target) continue;
      (isApp ? this.appNames : this.blueprintNames).add(target);
      const label = isBlueprint
        ? stringValue(site.args.positional[0] ?? site.args.keywords.get('name') ?? null)
        : null;
      if (label) this.blueprintLabels.set(target, label);
    }
    // `app = create_app()` at module level: the factory's product is an app.
    for (const site of this.file.calls) {
      if (!/(^|\.)(create|make|build)_app$/.test(site.callee ?? '')) continue;
      const parent = site.node.parent;
      const target = parent?.type === 'assignment' ? dottedName(parent.childForFieldName('left')) : null;
      if (target) this.appNames.add(target);
    }
  }

  /** Is `owner` (the receiver of `.route`) something routes are registered on? */
  private isRouteOwner(owner: Node | null): boolean {
    if (!owner) return false;
    if (this.isApp(owner) || this.isBlueprint(owner)) return true;
    const text = dottedName(owner) ?? '';
    return /(^|\.|_)(app|application|bp|blueprint|api|ns|namespace|router|web|views?)$/i.test(text);
  }

  private findRoutes(): void {
    for (const view of this.file.functions) {
      for (const decorator of view.decorators) {
        const route = this.routeFromDecorator(view, decorator);
        if (route) this.addRoute(route);
      }
    }
    for (const site of this.file.callsNamed('add_url_rule')) this.routesFromAddUrlRule(site);
    for (const cls of this.file.classes) this.routesFromResourceDecorators(cls);
  }

  private addRoute(route: Route): void {
    this.routes.push(route);
    const list = this.routesByView.get(route.view);
    if (list) list.push(route);
    else this.routesByView.set(route.view, [route]);
  }

  private routeFromDecorator(view: Scope, decorator: Node): Route | null {
    if (decorator.type !== 'call') return null;
    const fn = decorator.childForFieldName('function');
    if (fn?.type !== 'attribute') return null;
    const owner = fn.childForFieldName('object');
    const verb = fn.childForFieldName('attribute')?.text ?? '';
    if (!this.isRouteOwner(owner)) return null;
    const args = callArguments(decorator);
    let methods: HttpMethod[];
    if (verb === 'route') methods = methodsFrom(args.keywords.get('methods')) ?? ['GET'];
    else {
      const method = METHOD_DECORATORS.get(verb);
      if (!method) return null;
      methods = [method];
    }
    const rule = stringValue(args.positional[0] ?? null) ?? null;
    return {
      view,
      registration: decorator,
      owner: dottedName(owner) ?? '',
      rule,
      methods,
      urlParameters: urlParameters(rule),
      // Decorators apply bottom-up: the route registers what those below it made; those above it wrap a
      // function nobody calls through the route (`@login_required` over `@app.route` protects nothing).
      decorators: view.decorators.filter((d) => d.startIndex > decorator.startIndex),
      classView: null,
    };
  }

  private routesFromAddUrlRule(site: CallSite): void {
    if (!this.isRouteOwner(site.receiver)) return;
    const rule = stringValue(site.args.positional[0] ?? null) ?? null;
    const written = site.args.keywords.get('view_func') ?? site.args.positional[2] ?? null;
    if (!written) return;
    // `item = ItemAPI.as_view("item"); app.add_url_rule(..., view_func=item)` (the docs' register_api).
    const viewNode = written.type === 'identifier' ? this.file.resolveValue(written) : written;
    const explicit = methodsFrom(site.args.keywords.get('methods'));
    const owner = dottedName(site.receiver) ?? '';
    // `view_func=Items.as_view("items")`: a class-based view.
    if (viewNode.type === 'call') {
      const fn = viewNode.childForFieldName('function');
      const className = fn?.type === 'attribute' ? dottedName(fn.childForFieldName('object')) : null;
      const cls = className === null ? undefined : this.file.classesNamed(className)[0];
      if (cls)
        this.addClassViewRoutes(cls, viewNode === written ? viewNode : site.node, owner, rule, explicit);
      return;
    }
    const name = dottedName(viewNode);
    const view =
      name === null ? undefined : this.file.functionsNamed(name).find((f) => f.parent?.kind !== 'class');
    if (!view) return;
    this.addRoute({
      view,
      registration: site.node,
      owner,
      rule,
      methods: explicit ?? ['GET'],
      urlParameters: urlParameters(rule),
      decorators: view.decorators,
      classView: null,
    });
  }

  /** flask-restx/flask-restful: `@ns.route("/x")` on a Resource class, or `api.add_resource(Cls, "/x")`. */
  private routesFromResourceDecorators(cls: Scope): void {
    if (!this.isClassView(cls)) return;
    for (const decorator of cls.decorators) {
      if (decorator.type !== 'call') continue;
      const fn = decorator.childForFieldName('function');
      if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'route') continue;
      const rule = stringValue(callArguments(decorator).positional[0] ?? null) ?? null;
      this.addClassViewRoutes(cls, decorator, dottedName(fn.childForFieldName('object')) ?? '', rule, null);
    }
    for (const site of this.file.callsNamed('add_resource')) {
      if (dottedName(site.args.positional[0] ?? null) !== cls.name) continue;
      const rule = stringValue(site.args.positional[1] ?? null) ?? null;
      this.addClassViewRoutes(cls, site.node, dottedName(site.receiver) ?? '', rule, null);
    }
  }

  isClassView(cls: Scope): boolean {
    return cls.bases.some((base) => {
      const qualified = this.file.imports.resolve(base) ?? '';
      return (
        CLASS_VIEW_BASES.includes(qualified) || /^(MethodView|View|Resource)$/.test(lastSegment(qualified))
      );
    });
  }

  private addClassViewRoutes(
    cls: Scope,
    registration: Node,
    owner: string,
    rule: string | null,
    explicit: HttpMethod[] | null,
  ): void {
    const classDecorators = this.classViewDecorators(cls);
    for (const method of this.file.functions) {
      if (method.parent !== cls) continue;
      if (!isClassViewMethod(method.name)) continue;
      const verb = VIEW_METHOD_NAMES.get(method.name);
      this.addRoute({
        view: method,
        registration,
        owner,
        rule,
        methods: verb ? [verb] : (explicit ?? ['GET']),
        urlParameters: urlParameters(rule),
        decorators: [...classDecorators, ...cls.decorators, ...method.decorators],
        classView: cls,
      });
    }
  }

  /** `decorators = [login_required]` (Flask) / `method_decorators = [...]` (flask-restful). */
  private classViewDecorators(cls: Scope): Node[] {
    const out: Node[] = [];
    for (const name of ['decorators', 'method_decorators']) {
      for (const binding of cls.bindings.get(name) ?? []) {
        const value = binding.value;
        if (!value) continue;
        const items =
          value.type === 'dictionary'
            ? value.namedChildren.map((p) => p?.childForFieldName('value') ?? null)
            : [value];
        for (const item of items) {
          if (item?.type === 'list' || item?.type === 'tuple') {
            for (const entry of item.namedChildren) if (entry) out.push(entry);
          }
        }
      }
    }
    return out;
  }

  /**
   * The key a hook on `owner` guards under, as a workspace fact: `bp#admin` for a blueprint this file
   * creates (`bp = Blueprint("admin", ...)`), so that a hook on admin.py's `bp` does not cover shop.py's
   * `bp`; the plain name for an owner imported from elsewhere (`from .views import admin_bp`).
   */
  guardKey(owner: string): string {
    const label = this.blueprintLabels.get(owner);
    return label === undefined ? owner : `${owner}#${label}`;
  }

  private findGuards(): void {
    const hooks = new Set(['before_request', 'before_app_request']);
    const guard = (hook: string, owner: string) => {
      if (hook === 'before_app_request') this.guardedOwners.add('*');
      else this.guardedOwners.add(this.guardKey(owner));
    };
    for (const fn of this.file.functions) {
      for (const decorator of fn.decorators) {
        const target = decorator.type === 'call' ? decorator.childForFieldName('function') : decorator;
        if (target?.type !== 'attribute') continue;
        const hook = target.childForFieldName('attribute')?.text ?? '';
        if (!hooks.has(hook)) continue;
        // `@bp.before_request` over `@login_required`: the hook registered is the wrapped one.
        const wrapped = fn.decorators.some(
          (d) => d.startIndex > decorator.startIndex && isAuthDecoratorName(decoratorName(d)),
        );
        if (!wrapped && !this.refusesUnknownCallers(fn)) continue;
        guard(hook, dottedName(target.childForFieldName('object')) ?? '');
      }
    }
    // `app.before_request(check_auth)`
    for (const site of this.file.callsNamed('before_request', 'before_app_request')) {
      const name = dottedName(site.args.positional[0] ?? null);
      const fn = name ? this.file.functionsNamed(name)[0] : undefined;
      const wrapped = fn?.decorators.some((d) => isAuthDecoratorName(decoratorName(d))) ?? false;
      if (fn && (wrapped || this.refusesUnknownCallers(fn)))
        guard(site.name, dottedName(site.receiver) ?? '');
    }
  }

  /**
   * A `before_request` hook or a decorator's wrapper that checks who is calling: it verifies a login or
   * token outright (`verify_jwt_in_request()`), aborts with 401 or 403 under some condition, or refuses the
   * request (abort, redirect, raise, a 401/403 response) under a condition, or in an `except`, about the
   * caller's identity. A hook that only reads the session to load the user (flaskr's
   * `load_logged_in_user`), forces HTTPS or shows a maintenance page guards nothing, and neither does a
   * CSRF or rate-limit check.
   */
  private refusesUnknownCallers(fn: Scope): boolean {
    const refusals: Node[] = [];
    for (const site of this.file.callsIn(fn.node)) {
      const callee = site.callee ?? '';
      if (VERIFIES_CALLER.test(callee)) return true;
      if (!REFUSES.test(callee)) continue;
      // `abort(401)`, `abort(403)`: a refusal for who the caller is, whatever the condition reads.
      if (DENIES_ACCESS.test(site.args.list?.text ?? '') && isConditional(site.node, fn.node)) return true;
      refusals.push(site.node);
    }
    for (const node of fn.node.descendantsOfType(['raise_statement', 'return_statement'])) {
      if (node.type === 'raise_statement' || DENIES_ACCESS.test(node.text)) refusals.push(node);
    }
    return refusals.some((refusal) => {
      for (let at = refusal.parent; at && at.id !== fn.node.id; at = at.parent) {
        const condition =
          at.type === 'if_statement' || at.type === 'elif_clause' || at.type === 'while_statement'
            ? at.childForFieldName('condition')
            : at.type === 'try_statement'
              ? at.childForFieldName('body')
              : null;
        if (condition && isAboutIdentity(condition.text)) return true;
      }
      return false;
    });
  }

  /** A hook or wrapper that can stop a request: it aborts, raises, redirects or returns a response early. */
  refusesRequests(fn: Scope): boolean {
    for (const site of this.file.callsIn(fn.node)) {
      const callee = site.callee ?? '';
      if (/(^|\.)(verify_jwt_in_request|login_required|verify_token|authenticate)$/.test(callee)) return true;
      // A redirect or abort every request reaches is the view's answer, not a check.
      if (REFUSES.test(callee) && isConditional(site.node, fn.node)) return true;
    }
    // Reading `current_user` or `session[...]` fails for a caller who is not signed in; `session.get` does not.
    return /\braise\b|\breturn\b[^\n]*\b(401|403)\b|is_authenticated|current_user|session\s*\[/.test(
      fn.node.text,
    );
  }

  private findConfigWrites(): void {
    for (const site of this.file.calls) {
      if (!['update', 'from_mapping', 'setdefault'].includes(site.name)) continue;
      const receiver = site.receiver;
      if (receiver?.type !== 'attribute' || receiver.childForFieldName('attribute')?.text !== 'config')
        continue;
      const target = dottedName(receiver.childForFieldName('object')) ?? '';
      if (site.name === 'setdefault') {
        const key = stringValue(site.args.positional[0] ?? null);
        const value = site.args.positional[1];
        if (key && value) this.configWrites.push({ key, value, node: site.node, via: 'update', target });
        continue;
      }
      for (const [key, value] of site.args.keywords) {
        this.configWrites.push({ key, value, node: value.parent ?? value, via: 'update', target });
      }
      for (const arg of site.args.positional) this.addMappingWrites(arg, target);
    }
    for (const scope of this.file.scopes) {
      for (const [name, bindings] of scope.bindings) {
        for (const binding of bindings) {
          if (binding.kind !== 'assign' || !binding.value) continue;
          this.classifyAssignment(scope, name, binding.node, binding.value);
        }
      }
    }
  }

  /**
   * The settings a mapping passed to `config.update()` writes: a dict literal, `dict(KEY=value)`, or a name
   * assigned one of these (`settings = {...}; app.config.update(settings)`).
   */
  private addMappingWrites(arg: Node, target: string): void {
    const mapping = this.file.resolveValue(arg);
    if (mapping.type === 'dictionary') {
      this.addDictionaryWrites(mapping, target);
      return;
    }
    const site = mapping.type === 'call' ? this.file.callAt(mapping) : undefined;
    if (site?.callee !== 'dict') return;
    for (const [key, value] of site.args.keywords) {
      this.configWrites.push({ key, value, node: value.parent ?? value, via: 'update', target });
    }
    const first = site.args.positional[0];
    if (first?.type === 'dictionary') this.addDictionaryWrites(first, target);
  }

  private addDictionaryWrites(dict: Node, target: string): void {
    for (const pair of dict.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const key = stringValue(pair.childForFieldName('key'));
      const value = pair.childForFieldName('value');
      if (key && value) this.configWrites.push({ key, value, node: pair, via: 'update', target });
    }
  }

  private classifyAssignment(scope: Scope, name: string, statement: Node, value: Node): void {
    const left = statement.childForFieldName('left');
    // app.config["KEY"] = value
    if (left?.type === 'subscript') {
      const container = left.childForFieldName('value');
      if (container?.type === 'attribute' && container.childForFieldName('attribute')?.text === 'config') {
        const key = stringValue(left.childForFieldName('subscript'));
        const target = dottedName(container.childForFieldName('object')) ?? '';
        if (key) this.configWrites.push({ key, value, node: statement, via: 'subscript', target });
      }
      return;
    }
    // app.secret_key = ..., app.debug = ...
    if (left?.type === 'attribute') {
      const attribute = left.childForFieldName('attribute')?.text ?? '';
      const key = CONFIG_ATTRIBUTES.get(attribute);
      const object = left.childForFieldName('object');
      if (key && object && (this.isApp(object) || /(^|\.)app$/.test(dottedName(object) ?? ''))) {
        this.configWrites.push({
          key,
          value,
          node: statement,
          via: 'attribute',
          target: dottedName(object) ?? '',
        });
      }
      return;
    }
    if (left?.type !== 'identifier' || !UPPER_KEY.test(name)) return;
    if (
      scope.kind === 'class' &&
      (CONFIG_CLASS.test(scope.name) || scope.bases.some((b) => CONFIG_CLASS.test(b.text)))
    ) {
      this.configWrites.push({ key: name, value, node: statement, via: 'class', target: '' });
    } else if (scope.kind === 'module' && (CONFIG_FILE.test(this.file.path) || this.loadsOwnModule())) {
      this.configWrites.push({ key: name, value, node: statement, via: 'module', target: '' });
    }
  }

  /**
   * `app.config.from_object(__name__)`: the module's own upper-case names are the configuration (the
   * early Flask tutorial's `DEBUG = True`, `SECRET_KEY = "development key"`).
   */
  private loadsOwnModule(): boolean {
    this.ownModuleConfig ??= this.file
      .callsNamed('from_object')
      .some(
        (site) =>
          site.args.positional[0]?.text === '__name__' && /(^|\.)config$/.test(site.receiver?.text ?? ''),
      );
    return this.ownModuleConfig;
  }

  /**
   * `jinja_env.autoescape = True` escapes everything; `= select_autoescape(["html", "xml"])` only the
   * extensions listed (default: html, htm, xml), unless `default=True` escapes the rest too.
   */
  private autoescapeSettings(value: Node | null): AppSetting[] {
    const selection = value ? selectAutoescapeOf(this.file, value) : null;
    if (!selection || selection.byDefault || selection.extensions === null) return ['autoescape'];
    return selection.extensions.map((extension): AppSetting => `autoescape:${extension}`);
  }

  configWritesOf(...keys: string[]): ConfigWrite[] {
    return this.configWrites.filter((w) => keys.includes(w.key));
  }

  private findAppSettings(): void {
    // `SERVER_NAME = None` / `TRUSTED_HOSTS = []` leave the setting off.
    const set = (value: Node | null | undefined) => {
      const resolved = value ? this.file.resolveValue(value) : null;
      if (!resolved || isFalsyLiteral(resolved)) return false;
      return !(
        ['list', 'tuple', 'set', 'dictionary'].includes(resolved.type) && resolved.namedChildren.length === 0
      );
    };
    for (const write of this.configWrites) {
      if ((write.key === 'SERVER_NAME' || write.key === 'TRUSTED_HOSTS') && set(write.value))
        this.appSettings.add(write.key);
      if ((write.key === 'CORS_ORIGINS' || write.key === 'CORS_RESOURCES') && set(write.value))
        this.appSettings.add('CORS_ORIGINS');
      // Not literally false: True, or a value read from the environment.
      if (
        (write.key === 'MAIL_USE_TLS' || write.key === 'MAIL_USE_SSL') &&
        !isFalsyLiteral(this.file.resolveValue(write.value))
      )
        this.appSettings.add('MAIL_TLS');
    }
    for (const site of this.file.callsNamed('init_app')) {
      if (site.args.keywords.has('origins') || site.args.keywords.has('resources'))
        this.appSettings.add('CORS_ORIGINS');
    }
    for (const scope of this.file.scopes) {
      for (const [name, bindings] of scope.bindings) {
        // Only these names matter: check the name before resolving any value (this runs on every binding).
        if (!APP_SETTING_NAMES.test(name)) continue;
        for (const binding of bindings) {
          if (binding.kind !== 'assign' || !set(binding.value)) continue;
          // The key names are distinctive: `SERVER_NAME = ...` in any settings module or class counts.
          if ((name === 'SERVER_NAME' || name === 'TRUSTED_HOSTS') && scope.kind !== 'function')
            this.appSettings.add(name);
          if ((name === 'MAIL_USE_TLS' || name === 'MAIL_USE_SSL') && scope.kind !== 'function')
            this.appSettings.add('MAIL_TLS');
          // class TrustedRequest(Request): trusted_hosts = {...} / app.request_class.trusted_hosts = [...]
          if (name === 'trusted_hosts' || name.endsWith('.trusted_hosts'))
            this.appSettings.add('TRUSTED_HOSTS');
          // app.jinja_env.autoescape = True / = select_autoescape([...]) (a false value is FS303's)
          if (/(^|\.)jinja_env\.autoescape$/.test(name)) {
            for (const setting of this.autoescapeSettings(binding.value)) this.appSettings.add(setting);
          }
          if (/(^|\.)jinja_options$/.test(name) && ESCAPING_OPTIONS.test(binding.value?.text ?? ''))
            this.appSettings.add('autoescape');
        }
      }
    }
    // app.jinja_options.update(autoescape=True)
    for (const site of this.file.callsNamed('update')) {
      if (
        /(^|\.)jinja_options$/.test(dottedName(site.receiver) ?? '') &&
        ESCAPING_OPTIONS.test(site.node.text)
      )
        this.appSettings.add('autoescape');
    }
    if (this.file.callsNamed('host_is_trusted', 'AllowedHosts').length > 0)
      this.appSettings.add('TRUSTED_HOSTS');
    if (this.file.functionsNamed('select_jinja_autoescape').length > 0) this.appSettings.add('autoescape');
    this.findPasswordSetters();
  }

  /**
   * Password attributes whose assignment runs code: `@password.setter`, `@validates("password")`, a
   * sqlalchemy-utils `PasswordType` column (FS409 does not call storing into them plain text).
   */
  private findPasswordSetters(): void {
    if (!/\.setter\b|validates|PasswordType/.test(this.file.text)) return;
    for (const scope of this.file.scopes) {
      for (const decorator of scope.decorators) {
        const setter = /^(\w+)\.setter$/.exec(decorator.text)?.[1];
        if (setter) this.appSettings.add(`setter:${setter}`);
        if (
          decorator.type === 'call' &&
          /(^|\.)validates$/.test(decorator.childForFieldName('function')?.text ?? '')
        ) {
          for (const argument of decorator.childForFieldName('arguments')?.namedChildren ?? []) {
            const key = stringValue(argument);
            if (key) this.appSettings.add(`setter:${key}`);
          }
        }
      }
      if (scope.kind !== 'class') continue;
      for (const [name, bindings] of scope.bindings) {
        if (bindings.some((b) => b.kind === 'assign' && /\bPasswordType\s*\(/.test(b.value?.text ?? '')))
          this.appSettings.add(`setter:${name}`);
      }
    }
  }

  /**
   * A decorator defined here is an auth decorator when it wraps the view in a function that checks who is
   * calling, as a guarding `before_request` hook does (`refusesUnknownCallers`).
   */
  private findAuthDecoratorDefinitions(): void {
    for (const fn of this.file.functions) {
      if (fn.parent?.kind === 'class' || fn.params.length === 0) continue;
      const inner = this.file.functions.filter((f) => f.parent === fn);
      const wrapper = inner.find((f) => fn.returns.some((r) => r.text === f.name));
      if (!wrapper) continue;
      if (this.refusesUnknownCallers(wrapper)) this.authDecoratorDefinitions.add(fn.name);
    }
  }
}

function methodsFrom(node: Node | null | undefined): HttpMethod[] | null {
  if (!node || !['list', 'tuple', 'set'].includes(node.type)) return null;
  const out: HttpMethod[] = [];
  for (const item of node.namedChildren) {
    const value = literalValue(item ?? null);
    if (typeof value === 'string') out.push(value.toUpperCase() as HttpMethod);
  }
  return out;
}

const URL_PARAMETER = /<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>/g;
const NON_TEXT_CONVERTERS = new Set(['int', 'float', 'uuid']);

export function urlParameters(rule: string | null): Map<string, boolean> {
  const out = new Map<string, boolean>();
  if (!rule) return out;
  for (const match of rule.matchAll(URL_PARAMETER)) {
    const converter = match[1] ?? 'string';
    if (match[2]) out.set(match[2], !NON_TEXT_CONVERTERS.has(converter));
  }
  return out;
}

export function isStateChanging(methods: readonly HttpMethod[]): boolean {
  return methods.some((m) => STATE_CHANGING.has(m));
}

/** `login_required`, `jwt_required` of `@jwt_required()`, `login_required` of `auth.login_required`. */
export function decoratorName(decorator: Node): string {
  const target = decorator.type === 'call' ? decorator.childForFieldName('function') : decorator;
  return target ? lastSegment(dottedName(target) ?? '') : '';
}
