import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { isStateChanging } from '../../engine/flask';
import type { HttpMethod } from '../../engine/flask';
import type { Scope } from '../../engine/scopes';
import { dottedName, isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { configWritesOfKey, isTestOnlyConfiguration, lineEnd, lineStart } from '../support/access';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

const CSRF_EXTENSIONS = new Set([
  'flask_wtf.csrf.CSRFProtect',
  'flask_wtf.CSRFProtect',
  'flask_wtf.csrf.CsrfProtect',
  'flask_wtf.CsrfProtect',
  'flask_seasurf.SeaSurf',
]);
const FORM_BASES = /(^|\.)(FlaskForm|Form|SecureForm|BaseForm|RedirectForm)$/;

export default defineRule({
  meta: {
    id: 'FS502',
    name: 'csrf-protection-disabled',
    title: 'CSRF protection is disabled or bypassed',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-352'],
    owasp: ['A01:2021'],
    fix: { title: 'Turn CSRF protection back on', safety: 'unsafe' },
    docs: {
      summary:
        'Finds Flask-WTF CSRF protection switched off: `WTF_CSRF_ENABLED = False` in any configuration spelling (`app.config[...]`, `.update()`, `from_mapping`, config classes), `WTF_CSRF_CHECK_DEFAULT = False` with no `csrf.protect()` call, an empty `WTF_CSRF_METHODS`, `@csrf.exempt` on a view that accepts `POST`/`PUT`/`PATCH`/`DELETE` (unless the view checks a signature, as webhooks do with `hmac.compare_digest`/`construct_event`, or authenticates by a header such as `Authorization`, `X-API-Key` or a payment provider token or signature header, which a cross-site form cannot set), `csrf.exempt(blueprint)`, and forms built with `meta={"csrf": False}`, `csrf_enabled=False` or `class Meta: csrf = False`. Configuration meant for tests (a `TestConfig` class, a test function or fixture, `TESTING = True` alongside) is left alone.',
      why: "Without a CSRF token check, any web page a logged-in user visits can submit forms to your application with the user's cookies: changing their email or password, transferring money, or deleting data, without the user noticing.",
      example:
        'app.config["WTF_CSRF_ENABLED"] = False\n\n@app.route("/transfer", methods=["POST"])\n@csrf.exempt\ndef transfer():\n    ...',
      fix: 'csrf = CSRFProtect(app)  # WTF_CSRF_ENABLED defaults to True\n\n@app.route("/transfer", methods=["POST"])\n@login_required\ndef transfer():\n    ...  # the form template renders {{ form.csrf_token }}',
    },
    references: [
      'https://flask-wtf.readthedocs.io/en/stable/csrf.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/352.html',
    ],
  },
  // A CSRF setting, extension (CSRFProtect, SeaSurf), exempt() or form option: each says csrf.
  trigger: /csrf|seasurf/i,
  check(ctx: RuleContext) {
    checkConfiguration(ctx);
    checkExemptions(ctx);
    checkClassExemptions(ctx);
    checkForms(ctx);
  },
});

function flipFalse(value: Node): OffsetEdit[] {
  return value.type === 'false' ? [replaceNode(value, 'True')] : [];
}

function checkConfiguration(ctx: RuleContext): void {
  for (const write of configWritesOfKey(ctx, 'WTF_CSRF_ENABLED')) {
    const value = ctx.file.resolveValue(write.value);
    if (!isFalsyLiteral(value) || isTestOnlyConfiguration(ctx, write)) continue;
    ctx.report(
      write.node,
      'WTF_CSRF_ENABLED is set to False: forms and CSRFProtect no longer check CSRF tokens. Leave it True outside tests.',
      { fix: flipFalse(write.value) },
    );
  }
  const protects = ctx.file.callsNamed('protect').some((site) => isCsrfExtension(ctx, site.receiver));
  for (const write of configWritesOfKey(ctx, 'WTF_CSRF_CHECK_DEFAULT')) {
    const value = ctx.file.resolveValue(write.value);
    if (!isFalsyLiteral(value) || protects || isTestOnlyConfiguration(ctx, write)) continue;
    ctx.report(
      write.node,
      'WTF_CSRF_CHECK_DEFAULT is False and no view calls csrf.protect(): CSRFProtect checks no request. Call csrf.protect() where needed or leave the default.',
      { confidence: 'medium', fix: flipFalse(write.value) },
    );
  }
  for (const write of configWritesOfKey(ctx, 'WTF_CSRF_METHODS')) {
    const value = ctx.file.resolveValue(write.value);
    if (!['list', 'tuple', 'set'].includes(value.type) || isTestOnlyConfiguration(ctx, write)) continue;
    const methods = value.namedChildren.map((c) => literalValue(c ?? null));
    if (methods.some((m) => typeof m !== 'string')) continue;
    if (methods.some((m) => typeof m === 'string' && m.toUpperCase() === 'POST')) continue;
    ctx.report(
      write.node,
      'WTF_CSRF_METHODS leaves out POST: CSRFProtect does not check form submissions. Keep the default {"POST", "PUT", "PATCH", "DELETE"}.',
      { confidence: 'medium' },
    );
  }
}

/** A CSRFProtect (or SeaSurf) object: built by the extension, or named like one. */
function isCsrfExtension(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const built = ctx.file.constructorOf(node);
  if (built !== null && CSRF_EXTENSIONS.has(built)) return true;
  const qualified = ctx.file.imports.resolve(node) ?? '';
  if (CSRF_EXTENSIONS.has(qualified)) return false; // the class itself, not an instance
  return /(^|[._])csrf(_?protect(ion)?|_ext|_extension)?$/i.test(dottedName(node) ?? '');
}

function exemptReceiver(decorator: Node): Node | null {
  if (decorator.type !== 'attribute') return null;
  if (decorator.childForFieldName('attribute')?.text !== 'exempt') return null;
  return decorator.childForFieldName('object');
}

/** HTTP methods a function is served for, or null when no route registers it in this file. */
function methodsOf(ctx: RuleContext, view: Scope): HttpMethod[] | null {
  const routes = ctx.flask.routesOf(view);
  if (routes.length > 0) return routes.flatMap((r) => r.methods);
  const verb = view.name.toUpperCase();
  if (['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].includes(verb))
    return [verb as HttpMethod];
  return null;
}

/** `class ItemAPI(MethodView): decorators = [csrf.exempt]`: every method of the view is exempt. */
function checkClassExemptions(ctx: RuleContext): void {
  for (const cls of ctx.file.classes) {
    for (const binding of cls.bindings.get('decorators') ?? []) {
      const list = binding.kind === 'assign' ? binding.value : null;
      if (!list || !['list', 'tuple'].includes(list.type) || !ctx.inFocus(list)) continue;
      for (const item of list.namedChildren) {
        if (!item || !isCsrfExtension(ctx, exemptReceiver(item))) continue;
        const methods = ctx.file.functions
          .filter((f) => f.parent === cls)
          .map((f) => f.name.toUpperCase())
          .filter((m): m is HttpMethod => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m));
        if (methods.length === 0) continue;
        ctx.report(
          item,
          `${cls.name} is exempt from CSRF protection but accepts ${methods.join('/')}: any site can submit it with the user's cookies. Remove ${item.text} from its decorators or protect the view another way (token auth, not cookies).`,
          { confidence: 'high' },
        );
      }
    }
  }
}

/**
 * A view that another server calls, proving itself with a signature (a payment or Git webhook:
 * `hmac.compare_digest`, Stripe's `construct_event`), or that authenticates by a header rather than the
 * session cookie (`Authorization`, `X-API-Key`, a provider's `X-Notify-Token` or `x-nowpayments-sig`): a
 * cross-site form cannot set a custom header, so a forged request carries neither, and CSRF
 * protection has nothing to add, and exempting it is the documented practice.
 */
function authenticatesWithoutCookies(view: Scope): boolean {
  const body = view.node.childForFieldName('body')?.text ?? '';
  return SIGNATURE_OR_HEADER_AUTH.test(body);
}

const SIGNATURE_OR_HEADER_AUTH =
  /compare_digest\s*\(|construct_event\s*\(|verify_(webhook|signature)\w*\s*\(|\.verify\s*\(\s*(request\.(get_data|data)|payload|body|signature)|headers(\.get\s*\(|\[)\s*['"](?:[a-z0-9]+[-_])*(authorization|api-?key|token|sig|signature|secret|hmac)(?:[-_][\w-]*)?['"]/i;

function checkExemptions(ctx: RuleContext): void {
  for (const view of ctx.file.functions) {
    if (!ctx.inFocus(view.node)) continue;
    for (const decorator of view.decorators) {
      if (!isCsrfExtension(ctx, exemptReceiver(decorator))) continue;
      const methods = methodsOf(ctx, view);
      if (methods && !isStateChanging(methods)) continue;
      if (authenticatesWithoutCookies(view)) continue;
      const text = ctx.file.text;
      const start = lineStart(text, decorator.startIndex);
      const alone = text.slice(start, decorator.startIndex).trim() === '@';
      ctx.report(
        decorator,
        `${view.name} is exempt from CSRF protection${methods ? ` but accepts ${methods.filter((m) => m !== 'GET').join('/')}` : ''}: any site can submit it with the user's cookies. Remove @${decorator.text} or protect the endpoint another way (token auth, not cookies).`,
        {
          confidence: methods ? 'high' : 'low',
          fix: alone ? [{ start, end: lineEnd(text, decorator.endIndex), newText: '' }] : [],
        },
      );
    }
  }
  for (const site of ctx.file.callsNamed('exempt')) {
    if (!ctx.inFocus(site.node) || !isCsrfExtension(ctx, site.receiver)) continue;
    const target = site.args.positional[0];
    if (!target) continue;
    // Used as a decorator factory inside another decorator's arguments? Only direct exemptions matter.
    const name = dottedName(target);
    const fn = name ? ctx.file.functionsNamed(name)[0] : undefined;
    if (fn) {
      const methods = methodsOf(ctx, fn);
      if (methods && !isStateChanging(methods)) continue;
    }
    const what = ctx.flask.isBlueprint(target)
      ? `blueprint ${target.text}`
      : (stringValue(target) ?? target.text);
    ctx.report(
      site.node,
      `csrf.exempt(${what}) turns CSRF protection off for all its views: protect state-changing endpoints with CSRF tokens or non-cookie authentication instead.`,
      { confidence: fn ? 'high' : 'medium' },
    );
  }
}

function checkForms(ctx: RuleContext): void {
  // MyForm(meta={"csrf": False}) / MyForm(csrf_enabled=False) (Flask-WTF < 0.14)
  for (const site of ctx.file.calls) {
    const meta = site.args.keywords.get('meta');
    if (meta) {
      const dict = ctx.file.resolveValue(meta);
      const pair = dict.type === 'dictionary' ? csrfPair(dict) : null;
      const value = pair?.childForFieldName('value') ?? null;
      if (pair && value && isFalsyLiteral(ctx.file.resolveValue(value))) {
        ctx.report(
          dict === meta ? site.node : pair,
          'This form is built with meta={"csrf": False}: its submissions are not checked for a CSRF token. Drop the option.',
          { fix: flipFalse(value) },
        );
      }
    }
    const enabled = site.args.keywords.get('csrf_enabled');
    if (enabled && isFalsyLiteral(ctx.file.resolveValue(enabled))) {
      ctx.report(
        site.node,
        'This form is built with csrf_enabled=False: its submissions are not checked for a CSRF token. Drop the option.',
        { fix: flipFalse(enabled) },
      );
    }
  }
  // class MyForm(FlaskForm):
  //     class Meta:
  //         csrf = False
  for (const cls of ctx.file.classes) {
    if (cls.name !== 'Meta' || cls.parent?.kind !== 'class' || !ctx.inFocus(cls.node)) continue;
    const form = cls.parent;
    if (!form.bases.some((b) => FORM_BASES.test(ctx.file.imports.resolve(b) ?? b.text))) continue;
    for (const binding of cls.bindings.get('csrf') ?? []) {
      if (binding.kind !== 'assign' || !binding.value) continue;
      if (!isFalsyLiteral(ctx.file.resolveValue(binding.value))) continue;
      ctx.report(
        binding.node,
        `${form.name}.Meta sets csrf = False: the form's submissions are not checked for a CSRF token. Remove the setting.`,
        { fix: flipFalse(binding.value) },
      );
    }
  }
}

function csrfPair(dict: Node): Node | null {
  for (const pair of dict.namedChildren) {
    if (pair?.type === 'pair' && stringValue(pair.childForFieldName('key')) === 'csrf') return pair;
  }
  return null;
}
