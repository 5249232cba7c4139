import type { RuleContext } from '../../engine/context';
import { isStateChanging } from '../../engine/flask';
import type { Route } from '../../engine/flask';
import type { CallSite } from '../../engine/model';
import type { Node } from 'web-tree-sitter';
import { isAuthDecorator, routeIsAuthenticated, routeIsAuthenticatedExplicitly } from '../support/auth';
import { defineRule } from '../rule';

/**
 * Endpoints that are public by nature: signing in and up, recovering access, OAuth callbacks, webhooks,
 * health checks, contact forms. Matched as whole words of the view's name and its URL rule (without the
 * URL parameters), so that `author_id`, `update_shipping` or `update_order_status` are not read as `auth`,
 * `ping` or `status`.
 */
const PUBLIC_WORDS = new Set([
  'login',
  'logout',
  'signin',
  'signup',
  'signout',
  'register',
  'registration',
  'auth',
  'oauth',
  'oauth2',
  'sso',
  'saml',
  'callback',
  'token',
  'tokens',
  'refresh',
  'forgot',
  'webhook',
  'webhooks',
  'health',
  'healthz',
  'healthcheck',
  'ping',
  'subscribe',
  'unsubscribe',
  'feedback',
  'csp',
]);
/** Words public only beside another: `reset_password`, `confirm_email`, `/activate/<token>`. */
const PUBLIC_WITH = new Map<string, readonly string[]>([
  ['reset', ['password', 'pwd', 'request']],
  ['password', ['reset', 'forgot', 'recover', 'recovery']],
  ['verify', ['email', 'account', 'token']],
  ['confirm', ['email', 'account', 'token']],
  ['activate', ['email', 'account', 'token']],
  ['report', ['csp', 'uri', 'violation']],
]);
/** Words public only when the endpoint is nothing else: `/status`, `/contact`, `/reset`; not `update_order_status`. */
const PUBLIC_ALONE = new Set(['status', 'contact', 'reset']);
const FILLER_WORDS = new Set(['api', 'us', 'form', 'page', 'v1', 'v2']);

function isPublicByNature(route: Route): boolean {
  // URL parameters say which record, not what the endpoint is, except a token in the link of an e-mail.
  const rule = (route.rule ?? '').replace(/<(?:[^:>]*:)?([^>]*)>/g, (_, name: string) =>
    /token/i.test(name) ? ' token ' : ' ',
  );
  const words = `${route.view.name} ${rule}`
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  // `log_in`, `sign-up`: a word split in two.
  const joined = words.slice(1).map((w, i) => `${words[i] ?? ''}${w}`);
  return [...words, ...joined].some((word) => {
    if (PUBLIC_WORDS.has(word)) return true;
    if (PUBLIC_ALONE.has(word) && words.every((w) => w === word || FILLER_WORDS.has(w))) return true;
    return PUBLIC_WITH.get(word)?.some((partner) => words.includes(partner)) ?? false;
  });
}

/** Methods that write to a database, a store or the disk: a view calling one changes state even on a GET. */
const WRITE_METHODS = new Set([
  'commit',
  'delete',
  'add',
  'add_all',
  'insert_one',
  'insert_many',
  'update_one',
  'update_many',
  'delete_one',
  'delete_many',
  'save',
  'remove',
  'destroy',
]);
const SQL_WRITE = /\b(INSERT|UPDATE|DELETE)\s+(INTO|FROM|\w+\s+SET)\b/;
/** Values built in memory: `.add`, `.remove` and `.save` on them change nothing on the server. */
const IN_MEMORY_NODES = new Set([
  'set',
  'list',
  'dictionary',
  'set_comprehension',
  'list_comprehension',
  'dictionary_comprehension',
]);
const IN_MEMORY_CONSTRUCTORS =
  /^(set|frozenset|list|dict|collections\.\w+|io\.(BytesIO|StringIO)|PIL\.\w+(\.\w+)*)$/;

export default defineRule({
  meta: {
    id: 'FS501',
    name: 'route-without-auth',
    title: 'State-changing route has no authentication',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-306', 'CWE-862'],
    owasp: ['A01:2021', 'A07:2021'],
    docs: {
      summary:
        "Finds Flask routes that change state — `POST`, `PUT`, `PATCH` or `DELETE` routes, or any route whose body writes to the database or the session — with no authentication: no auth decorator (`login_required`, `jwt_required()`, `roles_required`, flask-httpauth's `auth.login_required`, flask-security, a `decorators = [...]` list on a `MethodView`, a decorator defined in the workspace that checks the caller, or one named in `flaskSentinel.authDecorators`), no refusing `before_request` hook on its app or blueprint, and no check of the caller in the view itself. Endpoints public by nature (login, sign-up, password reset, webhooks, health checks) are left out. A route that only changes the caller's own session or cookies (a display preference, an anonymous cart) is reported with low confidence.",
      why: "Anyone who can reach the server can call an unauthenticated endpoint directly, whatever the UI shows: deleting records, changing other users' data, or triggering payments.",
      example:
        '@app.route("/accounts/<int:account_id>", methods=["DELETE"])\ndef delete_account(account_id):\n    Account.query.filter_by(id=account_id).delete()\n    db.session.commit()',
      fix: '@app.route("/accounts/<int:account_id>", methods=["DELETE"])\n@login_required\ndef delete_account(account_id):\n    account = Account.query.filter_by(id=account_id, owner_id=current_user.id).first_or_404()\n    db.session.delete(account)\n    db.session.commit()',
    },
    references: [
      'https://owasp.org/Top10/A01_2021-Broken_Access_Control/',
      'https://flask-login.readthedocs.io/en/latest/#flask_login.login_required',
      'https://flask-jwt-extended.readthedocs.io/en/stable/basic_usage.html',
    ],
  },
  // A route this file registers: .route, add_url_rule, add_resource, or a verb decorator (@bp.post).
  trigger: /route|add_url_rule|add_resource|@[^\n]*\.\s*(?:get|post|put|patch|delete)\b/,
  check(ctx: RuleContext) {
    // A class-based view registered once has a route per method: name them all in one finding there.
    const unprotected = new Map<number, { routes: Route[]; misplaced: Node | undefined }>();
    for (const route of ctx.flask.routes) {
      if (!ctx.inFocus(route.registration) || !changesState(ctx, route)) continue;
      if (isPublicByNature(route)) continue;
      const misplaced = route.view.decorators.find(
        (d) => d.startIndex < route.registration.startIndex && isAuthDecorator(ctx, d),
      );
      // With the auth decorator misplaced, the view was written for signed-in callers: reading
      // `current_user` there is not a check of its own, only an explicit test or refusal is.
      if (misplaced ? routeIsAuthenticatedExplicitly(ctx, route) : routeIsAuthenticated(ctx, route)) continue;
      const same = unprotected.get(route.registration.id);
      if (same) same.routes.push(route);
      else unprotected.set(route.registration.id, { routes: [route], misplaced });
    }
    for (const { routes, misplaced } of unprotected.values()) {
      const route = routes[0] as Route;
      const methods = [...new Set(routes.flatMap((r) => r.methods))].join(', ');
      const views = [...new Set(routes.map((r) => r.view.name))].join(', ');
      const where = route.rule ? ` ${route.rule}` : '';
      // A POST that only sets the caller's own session or cookies (a display currency, an anonymous cart)
      // changes no server state: reported, but at low confidence.
      const clientOnly = routes.every((r) => onlyTouchesClientState(ctx, r));
      ctx.report(
        route.registration,
        misplaced
          ? `${methods} route${where} (${views}) changes state but has no authentication: @${misplaced.text} sits above the route decorator, so the route registers the view without it. Move it below @${routeDecoratorName(route)}.`
          : `${methods} route${where} (${views}) changes state but has no authentication: add an auth decorator such as @login_required or a guarding before_request hook.`,
        clientOnly ? { confidence: 'low' } : {},
      );
    }
  },
});

/**
 * A state-changing method, or a view that writes: SQL that inserts, updates or deletes, or a call such as
 * `db.session.commit()`, `Item.query.delete()`, `doc.save()`. The session is not server state: it belongs
 * to the caller (and FS508 judges what goes into it).
 */
/** `app.route`, `bp.post`: the registering decorator as written, without its arguments. */
function routeDecoratorName(route: Route): string {
  const registration = route.registration;
  return (
    (registration.type === 'call' ? registration.childForFieldName('function') : registration)?.text ??
    'route'
  );
}

function changesState(ctx: RuleContext, route: Route): boolean {
  if (isStateChanging(route.methods)) return true;
  const body = route.view.node.childForFieldName('body');
  if (body === null) return false;
  if (SQL_WRITE.test(body.text)) return true;
  return ctx.file
    .callsIn(body)
    .some((site) => WRITE_METHODS.has(site.name) && site.receiver !== null && !writesInMemory(ctx, site));
}

/** Calls that build a response, read the request, or convert values: none of them changes server state. */
const CLIENT_STATE_FUNCTIONS =
  /^(flask\.(jsonify|make_response|redirect|url_for|abort|flash|render_template|Response)|str|int|float|bool|len|dict|list|set|tuple|min|max|sorted|round|isinstance)$/;
/** Methods that only read, whatever they are called on. */
const READING_METHODS = new Set([
  'get',
  'get_json',
  'getlist',
  'items',
  'keys',
  'values',
  'strip',
  'lower',
  'upper',
  'split',
]);
/** Methods that change their receiver: fine on the session, a response, or a container read from them. */
const CLIENT_STATE_METHODS = new Set([
  'pop',
  'setdefault',
  'append',
  'remove',
  'clear',
  'update',
  'set_cookie',
  'delete_cookie',
]);

/**
 * The view calls nothing but response builders, request readers, conversions, and methods on the session,
 * the request or a response (`session["cart"].append(sku)`, `resp.set_cookie(...)`): whatever it changes
 * belongs to the caller.
 */
function onlyTouchesClientState(ctx: RuleContext, route: Route): boolean {
  const body = route.view.node.childForFieldName('body');
  if (!body || SQL_WRITE.test(body.text)) return false;
  // `user.is_admin = True` (an ORM object), `STORE[key] = ...` (a module-level dict): server state.
  const fromClient = (node: Node) => /^(session|request)\b/.test(ctx.file.resolveValue(node).text);
  for (const assignment of body.descendantsOfType(['assignment', 'augmented_assignment'])) {
    const left = assignment?.childForFieldName('left');
    if (left?.type === 'attribute') return false;
    const container = left?.type === 'subscript' ? left.childForFieldName('value') : null;
    if (container && !fromClient(container)) return false;
  }
  return ctx.file.callsIn(body).every((site) => {
    if (!site.receiver) return CLIENT_STATE_FUNCTIONS.test(site.callee ?? '');
    if (READING_METHODS.has(site.name)) return true;
    if (!CLIENT_STATE_METHODS.has(site.name)) return false;
    // `session.get(...)`, `request.form.get(...)`, and names holding one (`cart = session.get("cart", {})`).
    if (fromClient(site.receiver)) return true;
    // `resp = make_response(...)` / `jsonify(...)`: a response whose cookies are set.
    const built = ctx.file.constructorOf(site.receiver);
    return built !== null && /^flask\.(make_response|jsonify|Response|redirect)$/.test(built);
  });
}

/** `seen.add(tag)` on a set, `resp.headers.add(...)`, `img.save(buffer, "PNG")`: nothing stored. */
function writesInMemory(ctx: RuleContext, site: CallSite): boolean {
  const receiver = site.receiver as Node;
  if (/(^|\.)headers$/.test(receiver.text)) return true;
  if (isInMemory(ctx, receiver)) return true;
  const first = site.args.positional[0];
  return site.name === 'save' && first !== undefined && isInMemory(ctx, first);
}

function isInMemory(ctx: RuleContext, node: Node): boolean {
  const value = ctx.file.resolveValue(node);
  if (IN_MEMORY_NODES.has(value.type)) return true;
  const constructor = ctx.file.constructorOf(value);
  return constructor !== null && IN_MEMORY_CONSTRUCTORS.test(constructor);
}
