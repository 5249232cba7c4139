import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import type { Confidence, OffsetEdit } from '../../engine/types';
import { argumentOf, calleeNode } from '../support/config';
import { addArgument, replaceNode } from '../support/edits';
import { defineRule } from '../rule';

type Flag = 'secure' | 'httponly' | 'samesite';

/** `set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)` in werkzeug and Django. */
const POSITION: Record<Flag, number> = { secure: 6, httponly: 7, samesite: 8 };
const ATTRIBUTE: Record<Flag, string> = { secure: 'Secure', httponly: 'HttpOnly', samesite: 'SameSite' };
const RISK: Record<Flag, string> = {
  secure: 'it is also sent over plain HTTP',
  httponly: 'page scripts can read it',
  samesite: 'cross-site requests carry it',
};
const SAFE_VALUE: Record<Flag, string> = { secure: 'True', httponly: 'True', samesite: '"Lax"' };

/** Receivers whose `set_cookie` is not a response: test clients and cookie jars. */
const NOT_A_RESPONSE = /(client|jar|cookies|cj|browser|driver|session_cookies)$/i;
/** Cookies that client-side JavaScript has to read (double-submit CSRF tokens, UI preferences). */
const SCRIPT_READABLE = /csrf|xsrf|theme|lang|locale|consent|timezone|tz$/i;
const SENSITIVE = /sess|auth|token|jwt|remember|login|user|sid|key|secret|access|refresh|id$/i;

export default defineRule({
  meta: {
    id: 'FS105',
    name: 'cookie-without-security-flags',
    title: 'Cookie set without Secure, HttpOnly or SameSite',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-614', 'CWE-1004', 'CWE-1275'],
    owasp: ['A05:2021'],
    fix: { title: 'Set secure=True, httponly=True, samesite="Lax"', safety: 'unsafe' },
    docs: {
      summary:
        'Finds cookies set on a response (`resp.set_cookie(...)` on anything built by `make_response`, `Response`, `redirect`, `jsonify`, ...) without `secure=True`, `httponly=True` and a `samesite` value, or with one of them explicitly `False`/`None` (keyword or positional). Also finds hand-written `Set-Cookie` headers without these attributes. Calls that delete a cookie (`expires=0`, `max_age=0`) are skipped, and HttpOnly is not required of CSRF-token cookies that scripts must read.',
      why: 'A cookie without `Secure` is also sent over plain HTTP and can be read by anyone on the network path; without `HttpOnly` any XSS on the site can read it; without `SameSite` the browser attaches it to requests forged by other sites (CSRF). For session and auth cookies each of these hands the account to an attacker.',
      example: 'resp = make_response(redirect("/"))\nresp.set_cookie("session_id", sid)\nreturn resp',
      fix: 'resp = make_response(redirect("/"))\nresp.set_cookie("session_id", sid, secure=True, httponly=True, samesite="Lax")\nreturn resp',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/security/#set-cookie-options',
      'https://werkzeug.palletsprojects.com/en/stable/wrappers/#werkzeug.wrappers.Response.set_cookie',
      'https://owasp.org/www-community/controls/SecureCookieAttribute',
      'https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies#security',
    ],
  },
  check(ctx: RuleContext) {
    for (const site of ctx.file.callsNamed('set_cookie')) checkSetCookie(ctx, site);
    checkSetCookieHeaders(ctx);
  },
});

function checkSetCookie(ctx: RuleContext, site: CallSite): void {
  if (site.args.hasSplat || !site.args.list || !site.receiver) return;
  if (NOT_A_RESPONSE.test(dottedName(site.receiver) ?? '')) return;
  const key = argumentOf(site, 'key', 0);
  // `jar.set_cookie(cookie)`: one Cookie object, not a name.
  if (!key || (site.args.positional.length === 1 && site.args.keywords.size === 0 && !isString(ctx, key)))
    return;
  if (deletesCookie(ctx, site)) return;
  const name = stringValue(ctx.file.resolveValue(key)) ?? '';

  const weak: Flag[] = [];
  const edits: OffsetEdit[] = [];
  const added: string[] = [];
  for (const flag of ['secure', 'httponly', 'samesite'] as const) {
    if (flag === 'httponly' && SCRIPT_READABLE.test(name)) continue;
    const argument = argumentOf(site, flag, POSITION[flag]);
    if (!argument) {
      weak.push(flag);
      added.push(`${flag}=${SAFE_VALUE[flag]}`);
      continue;
    }
    const value = ctx.file.resolveValue(argument);
    const off =
      isFalsyLiteral(value) || (flag === 'samesite' && stringValue(value)?.toLowerCase() === 'none');
    if (!off) continue;
    weak.push(flag);
    edits.push(replaceNode(argument, SAFE_VALUE[flag]));
  }
  if (weak.length === 0) return;
  if (added.length > 0) edits.push(addArgument(ctx, site.args.list, added.join(', ')));

  const confidence: Confidence =
    weak.includes('secure') || weak.includes('httponly') ? (SENSITIVE.test(name) ? 'medium' : 'low') : 'low';
  const label = name ? `Cookie "${name}"` : 'The cookie';
  ctx.report(
    calleeNode(site),
    `${label} is set without ${weak.map((f) => ATTRIBUTE[f]).join(', ')} (${weak.map((f) => RISK[f]).join('; ')}). Pass ${weak.map((f) => `${f}=${SAFE_VALUE[f]}`).join(', ')}.`,
    { confidence, fix: edits },
  );
}

function isString(ctx: RuleContext, node: Node): boolean {
  const value = ctx.file.resolveValue(node);
  return value.type === 'string' || value.type === 'concatenated_string';
}

/** `set_cookie("x", "", expires=0)` / `max_age=0` / an expiry in 1970: the cookie is being removed. */
function deletesCookie(ctx: RuleContext, site: CallSite): boolean {
  for (const [flag, position] of [
    ['max_age', 2],
    ['expires', 3],
  ] as const) {
    const argument = argumentOf(site, flag, position);
    if (!argument) continue;
    const value = ctx.file.resolveValue(argument);
    const literal = literalValue(value);
    if (typeof literal === 'number' && literal <= 0) return true;
    if (typeof literal === 'string' && /1970|^0$/.test(literal)) return true;
    if (/fromtimestamp\(\s*0\s*\)|datetime\(\s*1970|\.min\b/.test(value.text)) return true;
  }
  return false;
}

const SET_COOKIE = /^set-cookie$/i;
const HEADER_SETTERS = new Set(['add', 'set', 'setdefault', 'add_header', 'append', '__setitem__']);

/** `resp.headers["Set-Cookie"] = "sid=...; Path=/"`, `headers.add("Set-Cookie", ...)`, `{"Set-Cookie": ...}`. */
function checkSetCookieHeaders(ctx: RuleContext): void {
  const root = ctx.file.tree.rootNode;
  for (const assignment of root.descendantsOfType('assignment')) {
    const left = assignment?.childForFieldName('left');
    if (!assignment || left?.type !== 'subscript') continue;
    if (!SET_COOKIE.test(stringValue(left.childForFieldName('subscript')) ?? '')) continue;
    checkHeaderValue(ctx, assignment, assignment.childForFieldName('right'));
  }
  for (const site of ctx.file.calls) {
    if (!HEADER_SETTERS.has(site.name) || site.args.positional.length < 2) continue;
    if (!SET_COOKIE.test(stringValue(site.args.positional[0] ?? null) ?? '')) continue;
    checkHeaderValue(ctx, site.node, site.args.positional[1] ?? null);
  }
  for (const pair of root.descendantsOfType('pair')) {
    if (!pair || !SET_COOKIE.test(stringValue(pair.childForFieldName('key')) ?? '')) continue;
    checkHeaderValue(ctx, pair, pair.childForFieldName('value'));
  }
}

function checkHeaderValue(ctx: RuleContext, at: Node, node: Node | null): void {
  if (!node) return;
  const value = ctx.file.resolveValue(node);
  if (value.type !== 'string' && value.type !== 'concatenated_string') return;
  const text = value.text;
  if (/max-age\s*=\s*(0|-)|expires\s*=[^;]*1970/i.test(text)) return;
  const missing: string[] = [];
  if (!/;\s*secure\b/i.test(text)) missing.push('Secure');
  if (!/;\s*httponly\b/i.test(text) && !SCRIPT_READABLE.test(text.split('=')[0] ?? ''))
    missing.push('HttpOnly');
  if (!/;\s*samesite\s*=\s*(lax|strict)/i.test(text)) missing.push('SameSite');
  if (missing.length === 0) return;
  const fix: OffsetEdit[] = [];
  if (value === node && value.type === 'string' && !/^[rRuUfF]*('''|""")/.test(text) && !/^[bB]/.test(text)) {
    const end = value.endIndex - 1;
    const attributes = missing.map((m) => (m === 'SameSite' ? 'SameSite=Lax' : m)).join('; ');
    fix.push({ start: end, end, newText: `; ${attributes}` });
  }
  ctx.report(
    at,
    `Set-Cookie header without ${missing.join(', ')}: the cookie can leak over plain HTTP, to page scripts or with cross-site requests. Add "; ${missing.map((m) => (m === 'SameSite' ? 'SameSite=Lax' : m)).join('; ')}".`,
    { confidence: 'low', fix },
  );
}
