import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { ConfigWrite } from '../../engine/flask';
import { isFalsyLiteral, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { configWritesOfKey, isTestOnlyConfiguration } from '../support/access';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS504',
    name: 'jwt-cookie-without-csrf',
    title: 'JWT kept in cookies without CSRF or cookie protection',
    severity: 'error',
    confidence: 'medium',
    cwe: ['CWE-352', 'CWE-1275', 'CWE-614'],
    owasp: ['A01:2021', 'A05:2021'],
    fix: { title: 'Turn the cookie protection back on', safety: 'unsafe' },
    docs: {
      summary:
        'Finds flask-jwt-extended configured to read tokens from cookies while switching off its protections: `JWT_COOKIE_CSRF_PROTECT = False` (an error, unless `JWT_TOKEN_LOCATION` visibly excludes cookies), an empty `JWT_CSRF_METHODS`, and as warnings `JWT_COOKIE_SECURE = False` and `JWT_COOKIE_SAMESITE = "None"`. Any configuration spelling counts; configuration meant for tests is left alone.',
      why: 'A browser sends cookies with every request to your site, including requests that another site makes it send. With the token in a cookie and the double-submit CSRF check off, any page a logged-in user visits can call your API as that user. Without `Secure` the cookie also travels over plain HTTP, where it can be read on the network.',
      example:
        'app.config["JWT_TOKEN_LOCATION"] = ["cookies"]\napp.config["JWT_COOKIE_CSRF_PROTECT"] = False\napp.config["JWT_COOKIE_SECURE"] = False',
      fix: 'app.config["JWT_TOKEN_LOCATION"] = ["cookies"]\napp.config["JWT_COOKIE_CSRF_PROTECT"] = True  # the default\napp.config["JWT_COOKIE_SECURE"] = True\napp.config["JWT_COOKIE_SAMESITE"] = "Lax"',
    },
    references: [
      'https://flask-jwt-extended.readthedocs.io/en/stable/token_locations.html#cookies',
      'https://flask-jwt-extended.readthedocs.io/en/stable/options.html#cross-site-request-forgery-options',
      'https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html',
    ],
  },
  trigger: /JWT_COOKIE_CSRF_PROTECT|JWT_CSRF_METHODS|JWT_COOKIE_SECURE|JWT_COOKIE_SAMESITE/,
  check(ctx: RuleContext) {
    const cookies = tokensInCookies(ctx);
    if (cookies === 'no') return;
    const relevant = (write: ConfigWrite) => !isTestOnlyConfiguration(ctx, write);
    // Each write reports at itself; tokensInCookies (above) still looks at the whole file.
    const inFocus = (write: ConfigWrite) => ctx.inFocus(write.node);
    for (const write of configWritesOfKey(ctx, 'JWT_COOKIE_CSRF_PROTECT').filter(inFocus)) {
      if (!isFalsyLiteral(ctx.file.resolveValue(write.value)) || !relevant(write)) continue;
      if (tokensInCookies(ctx, write) === 'no') continue;
      ctx.report(
        write.node,
        cookies === 'yes'
          ? "JWT_COOKIE_CSRF_PROTECT is False while JWTs are read from cookies: any site can make requests with the user's token. Leave it True and send the X-CSRF-TOKEN header from your frontend."
          : "JWT_COOKIE_CSRF_PROTECT is False: if JWTs are read from cookies, any site can make requests with the user's token. Leave it True and send the X-CSRF-TOKEN header from your frontend.",
        { confidence: cookies === 'yes' ? 'high' : 'medium', fix: flip(write.value) },
      );
    }
    for (const write of configWritesOfKey(ctx, 'JWT_CSRF_METHODS').filter(inFocus)) {
      const value = ctx.file.resolveValue(write.value);
      if (!['list', 'tuple', 'set'].includes(value.type) || value.namedChildren.length > 0) continue;
      if (!relevant(write)) continue;
      ctx.report(
        write.node,
        'JWT_CSRF_METHODS is empty: no request method is checked for the CSRF token of cookie JWTs. Keep the default ["POST", "PUT", "PATCH", "DELETE"].',
        { confidence: cookies === 'yes' ? 'high' : 'medium' },
      );
    }
    for (const write of configWritesOfKey(ctx, 'JWT_COOKIE_SECURE').filter(inFocus)) {
      if (!isFalsyLiteral(ctx.file.resolveValue(write.value)) || !relevant(write)) continue;
      ctx.report(
        write.node,
        'JWT_COOKIE_SECURE is False: the JWT cookies are also sent over plain HTTP, where they can be stolen. Set it True in production.',
        { severity: 'warning', fix: flip(write.value) },
      );
    }
    for (const write of configWritesOfKey(ctx, 'JWT_COOKIE_SAMESITE').filter(inFocus)) {
      const value = ctx.file.resolveValue(write.value);
      if (stringValue(value)?.toLowerCase() !== 'none' || !relevant(write)) continue;
      ctx.report(
        write.node,
        'JWT_COOKIE_SAMESITE is "None": browsers attach the JWT cookies to cross-site requests. Use "Lax" or "Strict".',
        {
          severity: 'warning',
          fix: value === write.value ? [replaceNode(value, quoted(value, 'Lax'))] : [],
        },
      );
    }
  },
});

/**
 * Does flask-jwt-extended read tokens from cookies here? 'yes' when `JWT_TOKEN_LOCATION` names cookies or
 * the file sets access cookies, 'no' when every visible `JWT_TOKEN_LOCATION` leaves them out, 'unknown'
 * otherwise.
 */
function tokensInCookies(ctx: RuleContext, near?: ConfigWrite): 'yes' | 'no' | 'unknown' {
  let locations = configWritesOfKey(ctx, 'JWT_TOKEN_LOCATION');
  // In a config class that sets its own JWT_TOKEN_LOCATION, that one applies (ApiConfig reads headers
  // while WebConfig reads cookies).
  const home = near ? ctx.file.scopeAt(near.node) : undefined;
  let classOwn = false;
  if (home?.kind === 'class') {
    const own = locations.filter((w) => ctx.file.scopeAt(w.node) === home);
    if (own.length > 0) [locations, classOwn] = [own, true];
  }
  let sawOther = false;
  for (const write of locations) {
    const value = ctx.file.resolveValue(write.value);
    const items = ['list', 'tuple', 'set'].includes(value.type) ? value.namedChildren : [value];
    const names = items.map((i) => stringValue(ctx.file.resolveValue(i)));
    if (names.some((n) => n === undefined)) return 'unknown';
    if (names.includes('cookies')) return 'yes';
    sawOther = true;
  }
  if (classOwn) return 'no';
  if (ctx.file.callsNamed('set_access_cookies', 'set_refresh_cookies').length > 0) return 'yes';
  return sawOther ? 'no' : 'unknown';
}

function flip(value: Node): OffsetEdit[] {
  return value.type === 'false' ? [replaceNode(value, 'True')] : [];
}

function quoted(node: Node, text: string): string {
  const quote = node.text.startsWith("'") ? "'" : '"';
  return `${quote}${text}${quote}`;
}
