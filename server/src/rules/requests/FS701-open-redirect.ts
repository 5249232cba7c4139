import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { dottedName, stringValue } from '../../engine/syntax';
import { helperValidates, hostTaint, urlGuard } from '../support/requests';
import { isHtmlView, preciseTaint, responseKind, unwrap } from '../support/xss';
import { defineRule } from '../rule';

const REDIRECTS = new Set([
  'flask.redirect',
  'flask.helpers.redirect',
  'werkzeug.redirect',
  'werkzeug.utils.redirect',
  'quart.redirect',
]);

/**
 * Parts of the request that are the server's own URL: `redirect(request.url)` reloads the page, and a
 * browser cannot be made to send a forged Host header to another site's server.
 */
const OWN_URL = new Set([
  'request.url',
  'request.base_url',
  'request.path',
  'request.full_path',
  'request.url_root',
  'request.host_url',
  'request.host',
]);

/** Of the request's own URL, the parts that are only a path: `//evil.example` there is another host. */
const ANY_PATH_PARTS = new Set(['request.path', 'request.full_path']);

/** Hooks Flask runs for every URL, unrouted ones included: before_request and error handlers. */
const ANY_PATH_HOOKS = /(^|\.)(before_request|before_app_request|errorhandler|app_errorhandler)$/;

/**
 * Whether the function holding `scope` is a hook that runs for URLs no route matched: decorated with
 * `@app.before_request` / `@app.errorhandler(404)` (or a blueprint's), or registered as `app.before_request(fn)`.
 */
function runsForAnyPath(ctx: RuleContext, scope: Scope): boolean {
  let fn: Scope | null = scope;
  while (fn && fn.kind !== 'function') fn = fn.parent;
  if (!fn) return false;
  const definition = fn.node.parent?.type === 'decorated_definition' ? fn.node.parent : null;
  for (const decorator of definition?.namedChildren ?? []) {
    if (decorator?.type !== 'decorator') continue;
    const expression = decorator.namedChildren[0];
    const callee = expression?.type === 'call' ? expression.childForFieldName('function') : expression;
    if (callee && ANY_PATH_HOOKS.test(callee.text)) return true;
  }
  return ctx.file
    .callsNamed('before_request', 'before_app_request')
    .some((site) => site.args.positional[0]?.text === fn.name);
}

/** Names of helpers that return a checked URL: `safe_next`, `get_safe_redirect`, `sanitize_url`. */
const VALIDATOR_NAME =
  /(^|_)(safe|sanitized?|sanitize_\w+|clean(ed)?|validated?|allowed|trusted|checked)(_|$)/i;

/** A function imported into this file (or read off an imported module) whose name says it validates. */
function isImportedValidator(ctx: RuleContext, fn: Node): boolean {
  const name = fn.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn.text;
  if (!name || !VALIDATOR_NAME.test(name)) return false;
  const head = fn.type === 'attribute' ? (dottedName(fn) ?? '').split('.')[0] : fn.text;
  return !!head && ctx.file.imports.isImportedName(head);
}

export default defineRule({
  meta: {
    id: 'FS701',
    name: 'open-redirect',
    title: 'Redirect to a URL taken from the request',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-601'],
    owasp: ['A01:2021'],
    docs: {
      summary:
        'Finds `redirect(...)` (Flask, Werkzeug, Quart) and `Location` headers (`Response(headers={"Location": ...})`, `resp.headers["Location"] = ...`, `return "", 302, {"Location": ...}`) whose target request data can point at another host: `redirect(request.args.get("next"))`, `redirect(request.referrer)`, a form field assigned to a variable first, `redirect(f"{next_url}")`, `redirect("/" + path)` (which becomes `//evil.example`). Targets with a constant path prefix (`redirect(f"/users/{user_id}")`), `url_for(...)`, the request\'s own URL (but not `request.path` in a `before_request` hook or error handler, which run for any URL, `//evil.example/` included), and targets checked earlier in the same function (`urlparse(url).netloc`, `url_has_allowed_host_and_scheme`/`is_safe_url`-style helpers, a helper imported from the project whose name says it returns a checked target (`safe_next_url(...)`), membership in an allow-list, equality with a constant, a regular expression) are not reported. `url.startswith("/")` alone is not a check (`//evil.example` passes it), nor is an empty `urlparse(url).netloc` alone (`///evil.example` has none): such targets are reported with medium confidence unless `//` and a backslash (`/\\evil.example`, which browsers read as `//evil.example`) are rejected as well.',
      why: "A link such as `https://your-site.example/login?next=https://evil.example` carries your domain, so users and mail filters trust it; after login the user lands on the attacker's look-alike page, which asks for the password again or delivers malware. Open redirects also turn into OAuth token theft when they sit on a redirect URI.",
      example:
        '@app.route("/login", methods=["POST"])\ndef login():\n    ...\n    return redirect(request.args.get("next", "/"))',
      fix: 'from urllib.parse import urlparse\n\n@app.route("/login", methods=["POST"])\ndef login():\n    ...\n    target = request.args.get("next", "")\n    parts = urlparse(target)\n    if parts.netloc or parts.scheme or not target.startswith("/") or target.startswith(("//", "/\\\\")):\n        target = url_for("index")\n    return redirect(target)',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/601.html',
      'https://flask.palletsprojects.com/en/stable/api/#flask.redirect',
    ],
  },
  // redirect(), or a Location header (in any letter case) or a response's location attribute.
  trigger: /redirect|location/i,
  check(ctx: RuleContext) {
    // In a view, request.path is the route's own path; in a hook that runs for any URL it is whatever the
    // client asked for, `//evil.example/` included.
    let anyPath = false;
    const taintOf = (node: Node): Taint | null => {
      const taint = preciseTaint(ctx, node, { sink: 'url', followCalls: true });
      if (!taint) return null;
      if (anyPath && ANY_PATH_PARTS.has(taint.label)) return taint;
      return OWN_URL.has(taint.label) ? null : taint;
    };
    const check = (at: Node, target: Node, scope: Scope, what: string) => {
      if (!ctx.inFocus(at)) return;
      anyPath = runsForAnyPath(ctx, scope);
      const taint = hostTaint(ctx, target, taintOf);
      if (!taint) return;
      const via = /\(via (\w+)\(\)\)$/.exec(taint.label);
      if (via?.[1] && helperValidates(ctx, via[1])) return;
      // `redirect(safe_next_url(request.args["next"]))`: a same-file helper that checks what it returns.
      const wrapped = ctx.file.resolveValue(target);
      const helper = wrapped.type === 'call' ? wrapped.childForFieldName('function') : null;
      if (helper?.type === 'identifier' && helperValidates(ctx, helper.text)) return;
      // `redirect(safe_next(request.args["next"]))` with `safe_next` imported from the project: its body is
      // in another file, its name says what it does.
      if (helper && isImportedValidator(ctx, helper)) return;
      const guard = urlGuard(ctx, at, target, scope, true);
      if (guard === 'strong') return;
      const message =
        guard === 'weak'
          ? `Request data (${taint.label}) decides ${what}, and the check before it can be bypassed (a target such as "//evil.example", "/\\evil.example" or "https://evil.example" passes startswith("/"), a scheme test, and "///evil.example" an empty-netloc test): compare urlparse(target).netloc against your own host, and reject "//" and "/\\" too.`
          : `Request data (${taint.label}) decides ${what}: an attacker's link sends users to any site (phishing). Redirect only to relative paths checked with urlparse(target).netloc == "" and not target.startswith("//"), or to an allow-list.`;
      ctx.report(at, message, { taint, confidence: guard === 'weak' ? 'medium' : 'high' });
    };

    for (const site of ctx.file.calls) {
      if (!site.callee || !REDIRECTS.has(site.callee)) continue;
      const target = site.args.positional[0] ?? site.args.keywords.get('location');
      if (target) check(site.node, target, site.scope, `the target of ${site.calleeText ?? 'redirect'}()`);
    }

    // Response(..., headers={"Location": ...}), make_response(body, 302, {"Location": ...})
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const kind = responseKind(ctx, site);
      if (!kind) continue;
      const headers = [site.args.keywords.get('headers'), ...site.args.positional.slice(1)];
      for (const header of headers) {
        const location = locationIn(header);
        if (location) check(site.node, location, site.scope, 'the Location header of the response');
      }
    }

    // resp.headers["Location"] = ..., resp.location = ...
    for (const scope of ctx.file.scopes) {
      for (const [name, bindings] of scope.bindings) {
        for (const binding of bindings) {
          if (binding.kind !== 'assign' || !binding.value || !ctx.inFocus(binding.node)) continue;
          // The bound name says first whether this can be a Location write: the target is a call into
          // the parser per assignment of the file.
          if (!/(^|\.)(headers|location)$/.test(name)) continue;
          const left = binding.node.childForFieldName('left');
          const isHeader =
            left?.type === 'subscript' &&
            /(^|\.)headers$/.test(name) &&
            stringValue(left.childForFieldName('subscript'))?.toLowerCase() === 'location';
          const isAttribute =
            left?.type === 'attribute' && /\.location$/.test(name) && !name.startsWith('self.');
          if (isHeader || isAttribute)
            check(binding.node, binding.value, scope, 'the Location header of the response');
        }
      }
    }
    for (const site of ctx.file.callsNamed('set', 'add', 'setdefault')) {
      if (!ctx.inFocus(site.node) || !/(^|\.)headers$/.test(dottedName(site.receiver) ?? '')) continue;
      if (stringValue(site.args.positional[0] ?? null)?.toLowerCase() !== 'location') continue;
      const value = site.args.positional[1];
      if (value) check(site.node, value, site.scope, 'the Location header of the response');
    }

    // return "", 302, {"Location": target}
    for (const fn of ctx.file.functions) {
      if (!ctx.inFocus(fn.node) || !isHtmlView(ctx, fn)) continue;
      for (const returned of fn.returns) {
        const value = unwrap(returned);
        if (value.type !== 'expression_list' && value.type !== 'tuple') continue;
        for (const item of value.namedChildren.slice(1)) {
          const location = item ? locationIn(item) : null;
          if (location) check(returned, location, fn, 'the Location header of the response');
        }
      }
    }
  },
});

function locationIn(headers: Node | null | undefined): Node | null {
  if (!headers) return null;
  const value = unwrap(headers);
  if (value.type !== 'dictionary') return null;
  for (const pair of value.namedChildren) {
    if (pair?.type !== 'pair') continue;
    if (stringValue(pair.childForFieldName('key'))?.toLowerCase() === 'location')
      return pair.childForFieldName('value');
  }
  return null;
}
