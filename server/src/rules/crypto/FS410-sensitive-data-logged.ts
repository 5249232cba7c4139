import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { isFString, lastSegment, literalValue } from '../../engine/syntax';
import { shortText } from '../support/dynamic';
import { KEY_GETTERS, readName, secretKind, withArticle } from '../support/secrets';
import { isLoggerCall } from '../support/logging';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';

/** Keywords of logging calls that are options, not data. */
const OPTION_KEYWORDS = new Set(['exc_info', 'stack_info', 'stacklevel', 'level']);

/** Parts of the request that, logged whole, carry passwords, tokens, cookies or card numbers. */
// A Map: the key is an attribute name from the code analysed (`request.toString` must find nothing).
const WHOLE_REQUEST = new Map<string, string>(
  Object.entries({
    form: 'the whole request form (request.form)',
    values: 'every request parameter (request.values)',
    json: 'the whole JSON body (request.json)',
    data: 'the raw request body (request.data)',
    get_json: 'the whole JSON body (request.get_json())',
    get_data: 'the raw request body (request.get_data())',
    headers: 'every request header (request.headers, Authorization and Cookie included)',
    cookies: 'every cookie of the request (request.cookies, the session included)',
    environ: 'the WSGI environ (request.environ, Authorization and Cookie headers included)',
    authorization: 'the Authorization credentials (request.authorization)',
  }),
);

/** Calls and methods whose result carries their argument's (or receiver's) text unchanged. */
const TEXT_BUILTINS = new Set(['str', 'repr', 'format', 'dict', 'list', 'tuple', 'vars']);
const TEXT_CALLS = new Set(['json.dumps', 'flask.json.dumps', 'simplejson.dumps', 'pprint.pformat']);
const TEXT_METHODS = new Set([
  'decode',
  'encode',
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
  'format',
  'join',
  'to_dict',
  'items',
  'values',
  'copy',
  'dict',
  'get_data',
  'get_json',
  '__str__',
]);

interface Leak {
  what: string;
  /** A value named as a secret (high confidence), or a whole request that may contain one (medium). */
  named: boolean;
}

export default defineRule({
  meta: {
    id: 'FS410',
    name: 'sensitive-data-logged',
    title: 'Password, token or other secret written to a log',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-532'],
    owasp: ['A09:2021'],
    docs: {
      summary:
        'Finds secrets passed to `logging.*`, loggers (`logger.*`, `log.*`, `app.logger.*`, `current_app.logger.*`, `self.logger.*`, `logging.getLogger(...)`, structlog) and `print(...)` in code that handles a request: values whose variable, attribute or key names a password, token, secret, API key, signature, Authorization header, credentials, card number, CVV, SSN or one-time code (`password`, `form.password.data`, `user.api_key`, `request.headers.get("Authorization")`, `data["card_number"]`), in any argument, f-string, `%`/`.format`/`+` message or `extra={...}` dictionary; and links built with `url_for(..., token=token)`, the `Cookie` header, `form.data` of a form with a `PasswordField`; whole requests logged at once (`request.form`, `request.get_json()`, `request.data`, `request.headers`, `request.cookies`, `request.authorization`) and connection URLs (`config["SQLALCHEMY_DATABASE_URI"]`, `os.environ["REDIS_URL"]`, which usually hold a password) with medium confidence. Masked or derived values are not reported: slices (`token[:4]`), lengths and booleans (`len(token)`, `token is not None`, `has_token`), `mask(...)`/`redact(...)`/hash calls, names that describe a secret (`token_type`, `password_hash`, `TOKEN_EXPIRY`), constants, and the word "password" in the message text.',
      why: 'Logs are kept for months, copied to log services, backups and tickets, and read by far more people than the database. A password, session token or API key written there can be replayed by anyone who can read a log line, and card numbers or SSNs in logs break PCI DSS and privacy rules. Request bodies and headers logged whole carry all of these at once.',
      example:
        '@app.route("/login", methods=["POST"])\ndef login():\n    password = request.form["password"]\n    app.logger.info("login attempt for %s with %s", request.form["email"], password)',
      fix: '@app.route("/login", methods=["POST"])\ndef login():\n    app.logger.info("login attempt for %s", request.form["email"])',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/532.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html#data-to-exclude',
      'https://owasp.org/Top10/A09_2021-Security_Logging_and_Monitoring_Failures/',
    ],
  },
  // print() or a logger (logging, loguru, structlog, or a name ending in log, logger or audit).
  trigger: /print|log|audit/i,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const kind = logKind(ctx, site);
      if (!kind) continue;
      const values = loggedValues(site, kind);
      let leak: Leak | null = null;
      for (const value of values) {
        const found = leakOf(ctx, value, site.scope, 0);
        if (found && (!leak || (found.named && !leak.named))) leak = found;
        if (leak?.named) break;
      }
      if (!leak) continue;
      const where = kind === 'print' ? 'printed to the server log' : 'written to the log';
      ctx.report(
        site.node,
        leak.named
          ? `${leak.what} is ${where}, where anyone who can read the logs can reuse it: log that the event happened, or a masked value, instead.`
          : `${leak.what} is ${where}, with any password, token or card number it holds: log only the fields you need, without secrets.`,
        { confidence: leak.named ? 'high' : 'medium' },
      );
    }
  },
});

/** A logger call (support/logging.ts), or `print(...)` in request code. */
function logKind(ctx: RuleContext, site: CallSite): 'log' | 'print' | null {
  if (site.callee === 'print' && !ctx.file.imports.isImportedName('print'))
    return inRequestCode(ctx, site.scope) ? 'print' : null;
  return isLoggerCall(ctx, site) ? 'log' : null;
}

/** Views, hooks and helpers that read the request: where `print` output is request data in server logs. */
function inRequestCode(ctx: RuleContext, scope: Scope): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) {
    if (s.kind !== 'function') continue;
    if (ctx.flask.routesOf(s).length > 0) return true;
    for (const id of s.node.descendantsOfType('identifier')) {
      if (id?.text === 'request' && ctx.taint.isRequestObject(id)) return true;
    }
  }
  return false;
}

/** The arguments that end up in the log line: positionals (not the level of `logger.log`) and data keywords. */
function loggedValues(site: CallSite, kind: 'log' | 'print'): Node[] {
  const positional =
    kind === 'log' && site.name === 'log' ? site.args.positional.slice(1) : site.args.positional;
  const keywords = [...site.args.keywords]
    .filter(([name]) => !OPTION_KEYWORDS.has(name) && name !== 'sep' && name !== 'end' && name !== 'file')
    .map(([, value]) => value.parent ?? value);
  return [...positional, ...keywords];
}

/** Whether (and how) an expression carries a secret into the log. */
function leakOf(ctx: RuleContext, start: Node, scope: Scope, depth: number): Leak | null {
  if (depth > 6) return null;
  const node = unwrap(start);
  const children = (nodes: readonly (Node | null)[]) => {
    let best: Leak | null = null;
    for (const child of nodes) {
      const found = child ? leakOf(ctx, child, scope, depth + 1) : null;
      if (found?.named) return found;
      best ??= found;
    }
    return best;
  };
  switch (node.type) {
    case 'string':
      return isFString(node)
        ? children(
            node.namedChildren
              .filter((c) => c?.type === 'interpolation')
              .map((c) => c?.namedChildren[0] ?? null),
          )
        : null;
    case 'concatenated_string':
    case 'tuple':
    case 'list':
    case 'set':
    case 'expression_list':
    case 'boolean_operator':
      return children(node.namedChildren);
    case 'binary_operator':
      return children([node.childForFieldName('left'), node.childForFieldName('right')]);
    case 'conditional_expression':
      return children([node.namedChildren[0] ?? null, node.namedChildren[2] ?? null]);
    case 'keyword_argument': {
      // structlog-style keyword (`logger.info("login", password=pw)`): its name says what the value is.
      const name = node.childForFieldName('name')?.text ?? '';
      const value = node.childForFieldName('value');
      return value ? (named(ctx, name, value, scope) ?? leakOf(ctx, value, scope, depth + 1)) : null;
    }
    case 'dictionary': {
      // extra={"password": pw}
      const pairs = node.namedChildren.filter((p) => p?.type === 'pair');
      for (const pair of pairs) {
        const key = pair?.childForFieldName('key');
        const value = pair?.childForFieldName('value');
        const keyName = key ? literalText(key) : null;
        const found = value && keyName ? named(ctx, keyName, value, scope) : null;
        if (found) return found;
      }
      return children(pairs.map((p) => p?.childForFieldName('value') ?? null));
    }
    case 'identifier': {
      const resolved = ctx.file.resolveValue(node, scope);
      if (literalValue(resolved) !== undefined) return null;
      const kind = secretKind(node.text);
      if (kind) return { what: capitalize(`${withArticle(kind)} (${node.text})`), named: true };
      if (depth >= 3) return null;
      // `x = request.form["password"]; log(x)`
      for (const binding of ctx.file.reaching(node.text, node, scope)) {
        if ((binding.kind === 'assign' || binding.kind === 'walrus') && binding.value) {
          const found = leakOf(ctx, binding.value, scope, depth + 1);
          if (found) return found;
        }
      }
      return null;
    }
    case 'attribute': {
      const object = node.childForFieldName('object');
      const attribute = node.childForFieldName('attribute')?.text ?? '';
      if (object && ctx.taint.isRequestObject(object)) {
        const whole = WHOLE_REQUEST.get(attribute);
        if (!whole) return null;
        return { what: capitalize(whole), named: attribute === 'authorization' };
      }
      // `form.data` of a WTForms form with a PasswordField: every field's value, the password included.
      if (attribute === 'data' && object && formWithPassword(ctx, object))
        return { what: `The whole form (${node.text}, its password field included)`, named: true };
      // `app.config` / `current_app.config` logged whole: SECRET_KEY and every other credential in it.
      if (
        attribute === 'config' &&
        object &&
        (ctx.flask.isApp(object) || /(^|\.)(current_)?app$/.test(object.text))
      )
        return { what: `The whole Flask configuration (${node.text}, SECRET_KEY included)`, named: true };
      return nameLeak(ctx, node);
    }
    case 'subscript': {
      // `token[:4]` is a masked value; `data["password"]` is the password.
      if (node.childForFieldName('subscript')?.type === 'slice') return null;
      return nameLeak(ctx, node);
    }
    case 'call':
      return callLeak(ctx, node, scope, depth, children);
    default:
      return null;
  }
}

/** A value under a secret's name, unless it is a constant. */
function named(ctx: RuleContext, name: string, value: Node, scope: Scope): Leak | null {
  const kind = secretKind(name);
  if (!kind) return null;
  if (literalValue(ctx.file.resolveValue(unwrap(value), scope)) !== undefined) return null;
  if (isDerived(ctx, value)) return null;
  return { what: capitalize(`${withArticle(kind)} (${name})`), named: true };
}

/** `form` built from a form class of this file that declares a `PasswordField`. */
function formWithPassword(ctx: RuleContext, form: Node): boolean {
  if (form.type !== 'identifier') return false;
  const constructor = ctx.file.constructorOf(form);
  if (!constructor) return false;
  const name = lastSegment(constructor);
  const cls = ctx.file.classes.find((c) => c.name === name);
  return !!cls && /\bPasswordField\s*\(/.test(cls.node.text);
}

function nameLeak(ctx: RuleContext, node: Node): Leak | null {
  const name = readName(ctx, node);
  if (!name) return null;
  const kind = secretKind(name);
  if (kind) return { what: capitalize(`${withArticle(kind)} (${shortText(node)})`), named: true };
  // headers.get("Cookie"): the session cookie and every other one.
  if (/^(set-)?cookie$/i.test(name))
    return { what: `The ${name} header (${shortText(node)}, the session cookie included)`, named: true };
  // config["SQLALCHEMY_DATABASE_URI"], os.environ["REDIS_URL"]: a connection URL usually holds a password.
  if (CONNECTION_URL_SETTING.test(name))
    return { what: `The connection URL ${name} (with its password, if it has one)`, named: false };
  return null;
}

/** Settings and variables that hold a connection URL: `SQLALCHEMY_DATABASE_URI`, `DATABASE_URL`, `BROKER_URL`. */
const CONNECTION_URL_SETTING =
  /^([A-Z0-9]+_)*(DATABASE|DB|REDIS|MONGO|MONGODB|BROKER|AMQP|RABBITMQ|CACHE_REDIS|RESULT_BACKEND|POSTGRES|MYSQL)_(URI|URL|DSN)$|^SQLALCHEMY_DATABASE_URI$/;

function callLeak(
  ctx: RuleContext,
  node: Node,
  scope: Scope,
  depth: number,
  children: (nodes: readonly (Node | null)[]) => Leak | null,
): Leak | null {
  const site = ctx.file.callAt(node);
  if (!site) return null;
  const receiver = site.receiver;
  // request.get_json() / request.get_data()
  if (receiver && ctx.taint.isRequestObject(receiver)) {
    const whole = WHOLE_REQUEST.get(site.name);
    return whole ? { what: capitalize(whole), named: false } : null;
  }
  // data.get("password"), request.headers.get("Authorization"), os.getenv("API_KEY")
  if (KEY_GETTERS.has(site.name)) return nameLeak(ctx, node);
  // url_for("reset_password", token=token, _external=True): the link carries the token.
  if (site.callee === 'flask.url_for') {
    for (const [name, value] of site.args.keywords) {
      const found = named(ctx, name, value, scope);
      if (found)
        return {
          what: `A link carrying ${found.what.charAt(0).toLowerCase()}${found.what.slice(1)}`,
          named: true,
        };
    }
    return null;
  }
  if (isTextCall(ctx, site)) return children(site.args.positional);
  if (receiver && TEXT_METHODS.has(site.name)) {
    // "{}".format(token), ", ".join(tokens), token.decode(), request.form.to_dict()
    const fromArgs = site.name === 'format' || site.name === 'join' ? children(site.args.positional) : null;
    return fromArgs ?? leakOf(ctx, receiver, scope, depth + 1);
  }
  return null;
}

/** `mask(token)`, `hash_password(pw)`, `len(token)`: values computed from a secret that do not reveal it. */
function isDerived(ctx: RuleContext, value: Node): boolean {
  const node = unwrap(value);
  if (node.type === 'comparison_operator' || node.type === 'not_operator') return true;
  if (node.type === 'subscript' && node.childForFieldName('subscript')?.type === 'slice') return true;
  if (node.type !== 'call') return false;
  const site = ctx.file.callAt(node);
  return !!site && !isTextCall(ctx, site) && !TEXT_METHODS.has(site.name) && !KEY_GETTERS.has(site.name);
}

/** `str(x)`, `json.dumps(x)`: the result is the argument's text. */
function isTextCall(ctx: RuleContext, site: CallSite): boolean {
  const callee = site.callee ?? '';
  if (TEXT_CALLS.has(callee)) return true;
  return TEXT_BUILTINS.has(callee) && !ctx.file.imports.isImportedName(callee);
}

function literalText(node: Node): string | null {
  const value = literalValue(node);
  return typeof value === 'string' ? value : null;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
