import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { dottedName, lastSegment, stringValue } from '../../engine/syntax';
import { argumentAt } from '../support/files';
import { isValidatedBefore } from '../support/queries';
import { preciseTaint, responseKind, unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/**
 * Headers whose value, when the client picks it, changes what the browser or the front-end server does —
 * even without a line break (Werkzeug refuses CR/LF in header values, so a value cannot add headers).
 */
const SENSITIVE_HEADERS = new Map<string, string>([
  ['content-type', 'a type such as text/html turns the body into a page that runs script'],
  [
    'content-disposition',
    'the client picks the saved file name and extension, or switches the download to inline display (reflected file download)',
  ],
  ['set-cookie', 'the client sets cookies for your domain, with any attributes'],
  ['refresh', 'the client sends users to any site, like an open redirect'],
  ['link', 'the client makes browsers preload or connect to resources it chooses'],
  ['content-security-policy', 'the client rewrites your Content-Security-Policy'],
  ['content-security-policy-report-only', 'the client rewrites your Content-Security-Policy'],
  ['access-control-allow-credentials', 'the client widens your CORS policy'],
  ['access-control-allow-headers', 'the client widens your CORS policy'],
  ['access-control-allow-methods', 'the client widens your CORS policy'],
  ['access-control-expose-headers', 'the client widens your CORS policy'],
]);
/** Headers a front-end server acts on: nginx/Apache/lighttpd then serve whatever internal file is named. */
const FILE_HEADERS = new Set(['x-accel-redirect', 'x-sendfile', 'x-lighttpd-send-file']);
/** Reported by other rules: FS701 (open redirect) and FS505 (CORS origin). */
const OTHER_RULES = new Set(['location', 'access-control-allow-origin']);

const HEADER_SETTERS = new Set(['add', 'set', 'setdefault', 'add_header', '__setitem__', 'setlist']);
const HEADER_MERGERS = new Set(['extend', 'update']);
const RESPONSE_FACTORIES = new Set([
  'jsonify',
  'make_response',
  'send_file',
  'send_from_directory',
  'redirect',
  'response_class',
  'make_default_options_response',
  'full_dispatch_request',
]);
const RESPONSE_NAME = /^(resp|response|res|rv|r|reply)$|_(resp|response)$|^(resp|response)_/i;
const AFTER_HOOKS = new Set(['after_request', 'after_app_request', 'after_this_request']);

interface HeaderWrite {
  /** Where to report. */
  at: Node;
  name: Node | null;
  value: Node | null;
  /** The header a write sets without naming it (`resp.mimetype = v` sets Content-Type). */
  implied?: string;
}

/** Response attributes and keywords that set Content-Type. */
const CONTENT_TYPE_SETTERS = new Set(['mimetype', 'content_type']);
const FILE_SENDERS = new Set(['flask.send_file', 'flask.helpers.send_file', 'flask.send_from_directory']);

export default defineRule({
  meta: {
    id: 'FS703',
    name: 'http-header-injection',
    title: 'Request data in a response header name or value',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-113', 'CWE-644'],
    owasp: ['A03:2021'],
    docs: {
      summary:
        "Finds request data written into Flask/Werkzeug response headers — `resp.headers[...] = ...`, `resp.headers.add/set/setdefault/extend(...)`, `make_response(body, status, {...})`, `Response(..., headers={...})`, `return body, status, {...}` from a view, and the Content-Type set by `resp.mimetype`/`resp.content_type` or the `mimetype=`/`content_type=` of `Response(...)` and `send_file(...)` — and cookie names chosen by the client (`resp.set_cookie(request.args[\"name\"], ...)`). A client-chosen header *name* is reported with high confidence: Werkzeug checks only values for line breaks, and its development server (like some other servers) writes a name with CR/LF as it is, splitting the response. A client-chosen *value* of a header that carries meaning — `Content-Type`, `Content-Disposition`, `Set-Cookie`, `Refresh`, `Link`, `Content-Security-Policy`, CORS headers other than the origin, and `X-Accel-Redirect`/`X-Sendfile` — is a warning; any other header value is reported as information only, because Werkzeug raises `ValueError` on CR/LF in header values, so the value cannot add headers. Cookie *values* are normal and not reported; `Location` is FS701's and `Access-Control-Allow-Origin` FS505's. Values percent-encoded with `urllib.parse.quote` echoes of the same request header (`X-Request-ID`), and a preflight's `Access-Control-Request-Headers`/`-Method` echoed in the matching `Allow` header are not reported.",
      why: 'Header names and some header values steer the browser and the servers in front of the app. A client-chosen name injects `Set-Cookie` or, with CR/LF on a server that does not check names, whole headers and a forged body (response splitting, cache poisoning). A client-chosen `Content-Type: text/html` makes a JSON or text response run script (XSS); `Content-Disposition` lets a link download `invoice.bat` from your domain; `X-Accel-Redirect: /internal/secrets` makes nginx serve a protected internal file; `Refresh: 0;url=https://evil.example` redirects.',
      example:
        '@app.route("/export")\ndef export():\n    resp = make_response(build_csv())\n    resp.headers["Content-Disposition"] = f"attachment; filename={request.args[\'name\']}"\n    resp.headers[request.args["header"]] = request.args["value"]\n    return resp',
      fix: '@app.route("/export")\ndef export():\n    name = secure_filename(request.args.get("name", "")) or "export"\n    # Werkzeug quotes the parameter: the client cannot add attributes\n    return send_file(io.BytesIO(build_csv()), as_attachment=True, download_name=f"{name}.csv")',
    },
    references: [
      'https://owasp.org/www-community/attacks/HTTP_Response_Splitting',
      'https://cwe.mitre.org/data/definitions/113.html',
      'https://werkzeug.palletsprojects.com/en/stable/datastructures/#werkzeug.datastructures.Headers',
      'https://www.trustwave.com/en-us/resources/blogs/spiderlabs-blog/reflected-file-download-a-new-web-attack-vector/',
    ],
  },
  // Every report needs request data; a view returning (body, status, {name: value}) needs no other word.
  trigger: REQUEST_DATA_TEXT,
  check(ctx: RuleContext) {
    const seen = new Set<number>();
    for (const write of headerWrites(ctx)) {
      // A write reports at its name or value, which a dictionary defined elsewhere may hold.
      if (![write.name, write.value].some((node) => node && ctx.inFocus(node))) continue;
      const key = write.name?.id ?? write.value?.id ?? write.at.id;
      if (seen.has(key)) continue;
      seen.add(key);
      checkWrite(ctx, write);
    }
    // resp.set_cookie(request.args["name"], value) / delete_cookie(name): the name is not quoted.
    for (const site of ctx.file.callsNamed('set_cookie', 'delete_cookie')) {
      if (!site.receiver || !ctx.inFocus(site.node)) continue;
      const name = argumentAt(site, 0, 'key');
      const taint = name ? taintOf(ctx, name) : null;
      if (!name || !taint || isValidatedBefore(ctx, site.node, name, { lineBreaks: true })) continue;
      ctx.report(
        name,
        `Request data (${taint.label}) chooses the name of the cookie set by .${site.name}(): the client can overwrite any cookie (the session one included) and, since Werkzeug does not quote cookie names, add attributes such as "; Domain=...". Use a constant cookie name or check the name against an allow-list.`,
        { taint, confidence: 'high' },
      );
    }
  },
});

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  // Request text only: a value looked up or computed from request data (a MIME type from
  // mimetypes.guess_type, a database row) is not what the client wrote.
  return preciseTaint(ctx, node, { sink: 'header', followCalls: false });
}

function checkWrite(ctx: RuleContext, write: HeaderWrite): void {
  const constantName =
    write.implied ?? (write.name ? stringValue(ctx.file.resolveValue(write.name)) : undefined);
  const header = constantName?.toLowerCase();
  if (header && OTHER_RULES.has(header)) return;
  const nameTaint = write.name && header === undefined ? taintOf(ctx, write.name) : null;
  if (nameTaint && write.name) {
    if (isValidatedBefore(ctx, write.at, write.name, { lineBreaks: true })) return;
    ctx.report(
      write.name,
      `Request data (${nameTaint.label}) chooses a response header name: the client can set Set-Cookie or any other header, and Werkzeug checks only values for line breaks, so a name with CR/LF splits the response on servers that do not check names (the Werkzeug development server among them). Use constant header names.`,
      { taint: nameTaint, confidence: 'high' },
    );
    return;
  }
  if (!write.value) return;
  const taint = taintOf(ctx, write.value);
  if (!taint || isValidatedBefore(ctx, write.at, write.value, { lineBreaks: true })) return;
  const shown = constantName ?? 'a response header';
  if (header && FILE_HEADERS.has(header)) {
    ctx.report(
      write.value,
      `Request data (${taint.label}) decides the ${constantName} header: the front-end server (nginx, Apache, lighttpd) serves whatever internal file or location it names. Build the path from a checked file name, never from request text.`,
      { taint, confidence: 'high' },
    );
    return;
  }
  const why = header ? SENSITIVE_HEADERS.get(header) : undefined;
  if (why && header && PREFLIGHT_ECHOES.has(header) && echoesSameHeader(taint, header)) return;
  if (why) {
    ctx.report(
      write.value,
      `Request data (${taint.label}) decides the ${constantName} header: ${why}. Check the value against an allow-list or build the header from safe parts (send_file(download_name=...) quotes file names).`,
      { taint, confidence: 'medium' },
    );
    return;
  }
  if (header && echoesSameHeader(taint, header)) return;
  ctx.report(
    write.value,
    `Request data (${taint.label}) is copied into ${constantName ? `the ${shown} header` : shown}: Werkzeug rejects CR/LF in header values, so it cannot add headers, but make sure the client may choose this value.`,
    { taint, severity: 'info', confidence: 'low' },
  );
}

/** `resp.headers["X-Request-ID"] = request.headers.get("X-Request-ID")`: a correlation id echoed back. */
function echoesSameHeader(taint: Taint, header: string): boolean {
  if (taint.label !== 'request.headers') return false;
  const use = taint.source.parent;
  if (!use) return false;
  let key: Node | null = null;
  if (use.type === 'subscript') key = use.childForFieldName('subscript');
  else if (use.type === 'attribute' && use.parent?.type === 'call')
    key = use.parent.childForFieldName('arguments')?.namedChildren[0] ?? null;
  const read = stringValue(key)?.toLowerCase();
  return read === header || PREFLIGHT_ECHOES.get(header) === read;
}

/**
 * A CORS preflight answered with what it asked for (as flask-cors does): which origins may send them is
 * Access-Control-Allow-Origin's business, FS505's.
 */
const PREFLIGHT_ECHOES = new Map([
  ['access-control-allow-headers', 'access-control-request-headers'],
  ['access-control-allow-methods', 'access-control-request-method'],
]);

function headerWrites(ctx: RuleContext): HeaderWrite[] {
  const out: HeaderWrite[] = [];
  const headerDicts = responseHeaderNames(ctx);
  // resp.headers["X"] = v / headers["X"] = v (a dict later given to a response)
  for (const assignment of ctx.file.nodesOfType('assignment')) {
    if (!assignment || !ctx.inFocus(assignment)) continue;
    const left = assignment.childForFieldName('left');
    // resp.mimetype = v / resp.content_type = v
    const attribute = left?.type === 'attribute' ? left.childForFieldName('attribute')?.text : undefined;
    const object = left?.childForFieldName('object');
    if (attribute && CONTENT_TYPE_SETTERS.has(attribute) && object && isResponseObject(ctx, object)) {
      const value = assignment.childForFieldName('right');
      out.push({ at: assignment, name: null, value, implied: 'Content-Type' });
      continue;
    }
    if (left?.type !== 'subscript') continue;
    const container = left.childForFieldName('value');
    if (!container || !isResponseHeaders(ctx, container, headerDicts)) continue;
    out.push({
      at: assignment,
      name: left.childForFieldName('subscript'),
      value: assignment.childForFieldName('right'),
    });
  }
  for (const site of ctx.file.calls) {
    // resp.headers.add("X", v) / .set / .setdefault / .extend({...}); the name first, since asking whether
    // a receiver holds response headers is the costly part.
    const writes = HEADER_SETTERS.has(site.name) || HEADER_MERGERS.has(site.name);
    if (writes && site.receiver && isResponseHeaders(ctx, site.receiver, headerDicts)) {
      if (HEADER_SETTERS.has(site.name)) {
        out.push({
          at: site.node,
          name: argumentAt(site, 0, 'key', '_key'),
          value: argumentAt(site, 1, 'value', '_value', 'values'),
        });
      } else if (HEADER_MERGERS.has(site.name)) {
        out.push(...pairsOf(ctx, site.args.positional[0] ?? null, site.node));
        for (const value of site.args.keywords.values()) out.push({ at: site.node, name: null, value });
      }
      continue;
    }
    // Response(body, mimetype=...), send_file(f, mimetype=...): Content-Type by keyword.
    const kind = responseKind(ctx, site);
    if (kind === 'Response' || FILE_SENDERS.has(site.callee ?? '')) {
      for (const keyword of CONTENT_TYPE_SETTERS) {
        const value = site.args.keywords.get(keyword);
        if (value && ctx.inFocus(site.node))
          out.push({ at: site.node, name: null, value, implied: 'Content-Type' });
      }
    }
    // Response(body, status, headers) / make_response(body, status, headers)
    if (kind === 'Response') {
      out.push(...pairsOf(ctx, argumentAt(site, 2, 'headers'), site.node));
    } else if (kind === 'make_response') {
      for (const argument of site.args.positional) {
        const value = unwrap(argument);
        const items = value.type === 'tuple' ? value.namedChildren.slice(1) : [argument];
        for (const item of items) if (item) out.push(...pairsOf(ctx, item, site.node));
      }
    }
  }
  // return body, status, {"X": v} from a view
  for (const fn of ctx.file.functions) {
    if (ctx.flask.routesOf(fn).length === 0) continue;
    for (const returned of fn.returns) {
      const value = unwrap(returned);
      if (value.type !== 'expression_list' && value.type !== 'tuple') continue;
      for (const item of value.namedChildren.slice(1)) if (item) out.push(...pairsOf(ctx, item, returned));
    }
  }
  return out;
}

/** `(name, value)` pairs of a header dictionary or list of 2-tuples, following one name. */
function pairsOf(ctx: RuleContext, node: Node | null, at: Node): HeaderWrite[] {
  if (!node) return [];
  const value = unwrap(ctx.file.resolveValue(unwrap(node)));
  const out: HeaderWrite[] = [];
  if (value.type === 'dictionary') {
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      out.push({ at, name: pair.childForFieldName('key'), value: pair.childForFieldName('value') });
    }
  } else if (value.type === 'list' || value.type === 'tuple') {
    for (const item of value.namedChildren) {
      const tuple = item ? unwrap(item) : null;
      if (tuple?.type !== 'tuple' || tuple.namedChildren.length !== 2) continue;
      out.push({ at, name: tuple.namedChildren[0] ?? null, value: tuple.namedChildren[1] ?? null });
    }
  } else if (value.type === 'call' && ctx.file.callAt(value)?.callee === 'dict') {
    for (const [, v] of ctx.file.callAt(value)?.args.keywords ?? []) out.push({ at, name: null, value: v });
  }
  return out;
}

/** Scope-qualified names of dictionaries that a response is built with (`return body, 200, headers`). */
function responseHeaderNames(ctx: RuleContext): Set<string> {
  const names = new Set<string>();
  const add = (node: Node | null | undefined) => {
    const value = node ? unwrap(node) : null;
    if (value?.type === 'identifier') names.add(key(ctx.file.scopeAt(value), value.text));
  };
  for (const site of ctx.file.calls) {
    const kind = responseKind(ctx, site);
    if (kind === 'Response') add(argumentAt(site, 2, 'headers'));
    else if (kind === 'make_response') {
      for (const argument of site.args.positional.slice(1)) add(argument);
      const first = site.args.positional[0] ? unwrap(site.args.positional[0]) : null;
      if (first?.type === 'tuple') for (const item of first.namedChildren.slice(1)) add(item);
    }
  }
  for (const fn of ctx.file.functions) {
    if (ctx.flask.routesOf(fn).length === 0) continue;
    for (const returned of fn.returns) {
      const value = unwrap(returned);
      if (value.type === 'expression_list' || value.type === 'tuple')
        for (const item of value.namedChildren.slice(1)) add(item);
    }
  }
  return names;
}

function key(scope: Scope, name: string): string {
  return `${scope.node.id}:${name}`;
}

/** `resp.headers` of a response object, or a dictionary that becomes a response's headers. */
function isResponseHeaders(ctx: RuleContext, node: Node, headerDicts: Set<string>): boolean {
  if (node.type === 'identifier') return headerDicts.has(key(ctx.file.scopeAt(node), node.text));
  if (node.type !== 'attribute' || node.childForFieldName('attribute')?.text !== 'headers') return false;
  const object = node.childForFieldName('object');
  return !!object && isResponseObject(ctx, object);
}

function isResponseObject(ctx: RuleContext, node: Node, depth = 0): boolean {
  if (ctx.taint.isRequestObject(node) || depth > 4) return false;
  const value = unwrap(ctx.file.resolveValue(node));
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if (!site) return false;
    if (responseKind(ctx, site)) return true;
    return RESPONSE_FACTORIES.has(site.name) || /Response$/.test(lastSegment(site.callee ?? site.name));
  }
  if (value.type === 'identifier') {
    // The response parameter of an after_request hook.
    const scope = ctx.file.scopeAt(value);
    if (scope.kind === 'function' && scope.params.includes(value.text) && isAfterRequestHook(ctx, scope))
      return true;
  }
  const name = dottedName(value);
  return name !== null && RESPONSE_NAME.test(lastSegment(name));
}

function isAfterRequestHook(ctx: RuleContext, fn: Scope): boolean {
  const decorated = fn.decorators.some((d) => AFTER_HOOKS.has(lastSegment(dottedName(d) ?? '')));
  if (decorated) return true;
  return ctx.file
    .callsNamed(...AFTER_HOOKS)
    .some((site) => dottedName(site.args.positional[0] ?? null) === fn.name);
}
