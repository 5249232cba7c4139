import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import { calleeNode, mergeEdits } from '../support/config';
import { removeArgument } from '../support/edits';
import { splatKeywords } from '../support/values';
import { defineRule } from '../rule';

const TALISMAN = new Set([
  'flask_talisman.Talisman',
  'flask_talisman.talisman.Talisman',
  'talisman.Talisman',
]);

/** Talisman options whose falsy value switches a protection off, and what is then lost. */
const PROTECTIONS: Record<string, string> = {
  force_https: 'HTTP requests are no longer redirected to HTTPS',
  strict_transport_security: 'no HSTS header, so browsers keep trying plain HTTP',
  strict_transport_security_max_age: 'HSTS expires immediately',
  session_cookie_secure: 'the session cookie is also sent over plain HTTP',
  session_cookie_http_only: 'page scripts can read the session cookie',
  session_cookie_samesite: 'the session cookie is sent with cross-site requests',
  content_security_policy: 'no Content-Security-Policy, so injected scripts run',
  x_content_type_options: 'browsers may sniff responses into executable content',
};

export default defineRule({
  meta: {
    id: 'FS106',
    name: 'talisman-protection-disabled',
    title: 'Flask-Talisman protection switched off',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-319', 'CWE-693'],
    owasp: ['A05:2021'],
    fix: { title: "Remove the option to get Talisman's secure default", safety: 'unsafe' },
    docs: {
      summary:
        "Finds Flask-Talisman set up with its protections turned off: `force_https=False`, `strict_transport_security=False`, `session_cookie_secure=False`, `session_cookie_http_only=False`, `content_security_policy=None` (or `False`, `''`, `{}`), `x_content_type_options=False`, in `Talisman(app, ...)`, `talisman.init_app(app, ...)` and per-view `@talisman(...)` decorators, also through a `**dict` literal of the file.",
      why: "Talisman's defaults force HTTPS, send HSTS, lock down the session cookie and set a strict Content-Security-Policy. Each option turned off removes a layer: without HTTPS redirection and HSTS a network attacker can strip TLS and read sessions; without Secure/HttpOnly cookies the session leaks over HTTP or to XSS; without a CSP any injected script runs.",
      example: 'talisman = Talisman(app, force_https=False, content_security_policy=None)',
      fix: 'csp = {"default-src": "\'self\'", "img-src": ["\'self\'", "data:"]}\ntalisman = Talisman(app, content_security_policy=csp)',
    },
    references: [
      'https://github.com/wntrblm/flask-talisman#options',
      'https://cheatsheetseries.owasp.org/cheatsheets/HTTP_Strict_Transport_Security_Cheat_Sheet.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/693.html',
    ],
  },
  // Every Talisman setup names it: the import, the class, an instance called *talisman.
  trigger: /talisman/i,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node) || !isTalismanSetup(ctx, site)) continue;
      const disabled: Node[] = [];
      const lost: string[] = [];
      // `Talisman(app, **TALISMAN_OPTIONS)`: a dict literal of this file counts as keywords (no fix there).
      const splat = splatKeywords(ctx, site);
      let fromSplat = false;
      for (const [option, consequence] of Object.entries(PROTECTIONS)) {
        const own = site.args.keywords.get(option);
        const value = own ?? splat?.get(option);
        if (!value || !switchesOff(ctx, option, value)) continue;
        if (!own) fromSplat = true;
        disabled.push(value);
        lost.push(`${option}=${value.text} (${consequence})`);
      }
      if (disabled.length === 0) continue;
      const edits = fromSplat
        ? []
        : mergeEdits(
            disabled.map((value) =>
              removeArgument(ctx, value.parent?.type === 'keyword_argument' ? value.parent : value),
            ),
          );
      ctx.report(
        calleeNode(site),
        `Talisman protection switched off: ${lost.join('; ')}. Remove ${disabled.length === 1 ? 'the option' : 'these options'} to keep Talisman's secure default${disabled.length === 1 ? '' : 's'}.`,
        { fix: edits },
      );
    }
  },
});

/** `Talisman(app, ...)`, `talisman.init_app(app, ...)`, `@talisman(...)` on a view. */
function isTalismanSetup(ctx: RuleContext, site: CallSite): boolean {
  const callee = site.callee ?? '';
  if (TALISMAN.has(callee)) return true;
  if (site.calleeText === 'Talisman' && !ctx.file.imports.isImportedName('Talisman')) {
    return ctx.file.imports.imports('flask_talisman') || ctx.file.imports.imports('talisman');
  }
  const isInstance = (node: Node | null) =>
    node !== null &&
    (TALISMAN.has(ctx.file.constructorOf(node) ?? '') || /(^|\.|_)talisman$/i.test(dottedName(node) ?? ''));
  if (site.name === 'init_app') return isInstance(site.receiver);
  // `@talisman(force_https=False)`: the instance called as a per-view decorator.
  const fn = site.node.childForFieldName('function');
  return fn !== null && site.receiver === null && isInstance(fn);
}

function switchesOff(ctx: RuleContext, option: string, node: Node): boolean {
  const value = ctx.file.resolveValue(node);
  if (option === 'strict_transport_security_max_age') return literalValue(value) === 0;
  if (option === 'session_cookie_samesite') {
    return value.type === 'none' || stringValue(value)?.toLowerCase() === 'none';
  }
  if (option === 'content_security_policy' && value.type === 'dictionary')
    return value.namedChildren.length === 0;
  return isFalsyLiteral(value);
}
