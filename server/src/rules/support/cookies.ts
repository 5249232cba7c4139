import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, literalValue, stringValue } from '../../engine/syntax';
import { truthy } from '../../engine/constants';
import type { OffsetEdit } from '../../engine/types';
import { argumentOf, calleeNode } from './config';
import { addArgument, replaceNode } from './edits';
import { textParts } from './requests';
import { possibleValues, splatKeywords } from './values';

/**
 * Cookie attributes that protect a cookie, checked on `set_cookie(...)` calls and hand-written `Set-Cookie`
 * headers. Each missing attribute is its own weakness with its own CWE (Secure: CWE-614, HttpOnly:
 * CWE-1004, SameSite: CWE-1275), so each is reported by its own rule (FS105, FS109, FS110) from one shared
 * pass over the file.
 */
export type CookieFlag = 'secure' | 'httponly' | 'samesite';

export interface CookieProblem {
  flag: CookieFlag;
  /** Where to report: the `set_cookie` callee or the header write. */
  at: Node;
  /** The cookie's name when it is a constant, else ''. */
  name: string;
  /** The flag is written and turned off (`secure=False`), rather than left out. */
  explicit: boolean;
  /** The name says session, auth, token...: these are the cookies the flag protects most. */
  sensitive: boolean;
  fix: OffsetEdit[];
  header: boolean;
}

/** `set_cookie(key, value, max_age, expires, path, domain, secure, httponly, samesite)` in werkzeug and Django. */
const POSITION: Record<CookieFlag, number> = { secure: 6, httponly: 7, samesite: 8 };
export const SAFE_VALUE: Record<CookieFlag, string> = { secure: 'True', httponly: 'True', samesite: '"Lax"' };
const HEADER_ATTRIBUTE: Record<CookieFlag, RegExp> = {
  secure: /;\s*secure\b/i,
  httponly: /;\s*httponly\b/i,
  samesite: /;\s*samesite\s*=\s*(lax|strict)/i,
};
const HEADER_TEXT: Record<CookieFlag, string> = {
  secure: 'Secure',
  httponly: 'HttpOnly',
  samesite: 'SameSite=Lax',
};

/** Receivers whose `set_cookie` is not a response: test clients and cookie jars. */
const NOT_A_RESPONSE = /(client|jar|cookies|cj|browser|driver|session_cookies)$/i;
/** Cookies that client-side JavaScript has to read (double-submit CSRF tokens, UI preferences). */
const SCRIPT_READABLE = /csrf|xsrf|theme|lang|locale|consent|timezone|tz$/i;
const SENSITIVE = /sess|auth|token|jwt|remember|login|user|sid|key|secret|access|refresh|id$/i;

/**
 * Per analysis (the context, which carries the focus), not per file: only the sites in focus are looked at,
 * each reporting inside its own statement.
 */
const MEMO = new WeakMap<RuleContext, CookieProblem[]>();

export function cookieProblems(ctx: RuleContext): CookieProblem[] {
  let problems = MEMO.get(ctx);
  if (!problems) {
    problems = [];
    for (const site of ctx.file.callsNamed('set_cookie')) {
      if (ctx.inFocus(site.node)) problems.push(...setCookieProblems(ctx, site));
    }
    problems.push(...headerProblems(ctx));
    MEMO.set(ctx, problems);
  }
  return problems;
}

function setCookieProblems(ctx: RuleContext, site: CallSite): CookieProblem[] {
  if (!site.args.list || !site.receiver) return [];
  // `**COOKIE_OPTIONS` with a dict literal of this file: its keys are keyword arguments.
  const splatted = splatKeywords(ctx, site);
  if (site.args.hasSplat && !splatted) return [];
  if (NOT_A_RESPONSE.test(dottedName(site.receiver) ?? '')) return [];
  const key = argumentOf(site, 'key', 0);
  // `jar.set_cookie(cookie)`: one Cookie object, not a name.
  if (!key || (site.args.positional.length === 1 && site.args.keywords.size === 0 && !isString(ctx, key)))
    return [];
  if (deletesCookie(ctx, site)) return [];
  const name = stringValue(ctx.file.resolveValue(key)) ?? '';
  const problems: CookieProblem[] = [];
  for (const flag of ['secure', 'httponly', 'samesite'] as const) {
    if (flag === 'httponly' && SCRIPT_READABLE.test(name)) continue;
    const argument = argumentOf(site, flag, POSITION[flag]) ?? splatted?.get(flag);
    const common = { flag, at: calleeNode(site), name, sensitive: SENSITIVE.test(name), header: false };
    if (!argument) {
      problems.push({
        ...common,
        explicit: false,
        fix: [addArgument(ctx, site.args.list, `${flag}=${SAFE_VALUE[flag]}`)],
      });
      continue;
    }
    // `samesite=None` (Python's None): Werkzeug leaves the attribute out, as if it were not passed.
    const values = possibleValues(ctx, argument);
    if (flag === 'samesite' && values.length > 0 && values.every(({ constant }) => constant === null)) {
      problems.push({ ...common, explicit: false, fix: [replaceNode(argument, SAFE_VALUE[flag])] });
      continue;
    }
    // A flag chosen at run time (`secure=flag`, `flag = True if ... else False`) is off when any path
    // that runs gives it an off value.
    const off = values.some(
      ({ constant }) =>
        (constant !== undefined && !truthy(constant)) ||
        (flag === 'samesite' && typeof constant === 'string' && constant.toLowerCase() === 'none'),
    );
    if (off) problems.push({ ...common, explicit: true, fix: [replaceNode(argument, SAFE_VALUE[flag])] });
  }
  return problems;
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
function headerProblems(ctx: RuleContext): CookieProblem[] {
  const problems: CookieProblem[] = [];
  // Walking every assignment and pair is costly: only files that spell the header at all.
  if (!/set-cookie/i.test(ctx.file.text)) return problems;
  for (const assignment of ctx.file.nodesOfType('assignment')) {
    if (!assignment || !ctx.inFocus(assignment)) continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'subscript') continue;
    if (!SET_COOKIE.test(stringValue(left.childForFieldName('subscript')) ?? '')) continue;
    problems.push(...headerValueProblems(ctx, assignment, assignment.childForFieldName('right')));
  }
  for (const site of ctx.file.calls) {
    if (!HEADER_SETTERS.has(site.name) || site.args.positional.length < 2 || !ctx.inFocus(site.node))
      continue;
    if (!SET_COOKIE.test(stringValue(site.args.positional[0] ?? null) ?? '')) continue;
    problems.push(...headerValueProblems(ctx, site.node, site.args.positional[1] ?? null));
  }
  for (const pair of ctx.file.nodesOfType('pair')) {
    if (!pair || !ctx.inFocus(pair) || !SET_COOKIE.test(stringValue(pair.childForFieldName('key')) ?? ''))
      continue;
    problems.push(...headerValueProblems(ctx, pair, pair.childForFieldName('value')));
  }
  return problems;
}

function headerValueProblems(ctx: RuleContext, at: Node, node: Node | null): CookieProblem[] {
  if (!node) return [];
  const value = ctx.file.resolveValue(node);
  // `"refresh=" + token + "; HttpOnly"`, `"sid=%s; Secure" % token`: the attributes are in the fixed parts.
  const built =
    value.type === 'string' || value.type === 'concatenated_string' ? null : fixedParts(ctx, value);
  if (built === null && value.type !== 'string' && value.type !== 'concatenated_string') return [];
  const text = built ?? value.text;
  if (/max-age\s*=\s*(0|-)|expires\s*=[^;]*1970/i.test(text)) return [];
  // An f-string has no fixed value: its name is the text before the first `=`, after the prefix and quote.
  const fixed = built ?? stringValue(value) ?? text.replace(/^[rRuUfFbB]*("""|'''|"|')/, '');
  const name = fixed.split('=')[0]?.trim() ?? '';
  // Only a plain one-line literal written in place can be edited safely.
  const editable =
    value === node && value.type === 'string' && !/^[rRuUfF]*('''|""")/.test(text) && !/^[bB]/.test(text);
  const problems: CookieProblem[] = [];
  for (const flag of ['secure', 'httponly', 'samesite'] as const) {
    if (HEADER_ATTRIBUTE[flag].test(text)) continue;
    if (flag === 'httponly' && SCRIPT_READABLE.test(name)) continue;
    const end = value.endIndex - 1;
    problems.push({
      flag,
      at,
      name,
      explicit: false,
      sensitive: SENSITIVE.test(name),
      header: true,
      fix: editable ? [{ start: end, end, newText: `; ${HEADER_TEXT[flag]}` }] : [],
    });
  }
  return problems;
}

/**
 * The fixed text of a header value built with `+`, `%` or `.format()` (support/requests.ts `textParts`),
 * other parts left out; null when no part is constant, or when a part is named like the cookie's
 * attributes (`"sid=" + token + COOKIE_FLAGS`): they may be in it.
 */
function fixedParts(ctx: RuleContext, node: Node): string | null {
  const parts = textParts(ctx, node);
  if (parts.every((part) => part.text === null)) return null;
  const attributes = (part: { node: Node; text: string | null }) =>
    part.text === null &&
    (part.node.type === 'identifier' || part.node.type === 'attribute') &&
    ATTRIBUTE_NAME.test(part.node.text);
  return parts.some(attributes) ? null : parts.map((part) => part.text ?? '').join('');
}

/** Names of values that may hold a cookie's attributes rather than its value. */
const ATTRIBUTE_NAME = /flag|attr|option|suffix|param|setting|secure|httponly|samesite/i;

/** `Cookie "sid"` or `The cookie`, for messages. */
export function cookieLabel(problem: CookieProblem): string {
  if (problem.header)
    return problem.name ? `The Set-Cookie header for "${problem.name}"` : 'The Set-Cookie header';
  return problem.name ? `Cookie "${problem.name}"` : 'The cookie';
}
