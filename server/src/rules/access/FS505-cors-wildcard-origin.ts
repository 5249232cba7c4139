import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, isFalsyLiteral, isTruthyLiteral, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { configWritesOfKey, isCheckedAgainstAllowList, isTestOnlyConfiguration } from '../support/access';
import { addArgument, replaceNode } from '../support/edits';
import { defineRule } from '../rule';

const PLACEHOLDER_ORIGIN = 'https://your-frontend.example';
const CORS_CLASSES = new Set(['flask_cors.CORS', 'flask_cors.extension.CORS']);
const CROSS_ORIGIN = new Set(['flask_cors.cross_origin', 'flask_cors.decorator.cross_origin']);
const ALLOW_ORIGIN = 'access-control-allow-origin';
const HEADER_SETTERS = new Set(['add', 'set', 'setdefault', 'add_header', '__setitem__', 'extend', 'append']);
const CONFIG_LOADERS = new Set([
  'from_object',
  'from_pyfile',
  'from_envvar',
  'from_file',
  'from_json',
  'from_prefixed_env',
]);

/** What an origins value allows: every origin, a list we can read, or something computed at run time. */
type Origins = 'wildcard' | 'explicit' | 'unknown';

interface Options {
  origins: Node | null;
  resources: Node | null;
  credentials: Node | null;
}

export default defineRule({
  meta: {
    id: 'FS505',
    name: 'cors-wildcard-origin',
    title: 'CORS allows any origin',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-942', 'CWE-346'],
    owasp: ['A05:2021'],
    fix: { title: 'Allow an explicit origin list', safety: 'unsafe' },
    docs: {
      summary:
        'Finds cross-origin access opened to every site: flask-cors `CORS(app)` or `@cross_origin()` with no origins (the default is `*`), `origins="*"` or a match-everything regex, `resources={r"/api/*": {"origins": "*"}}`, `cors.init_app(app)` of such an object (a bare `CORS()` initialised in another module is not reported when some file of the scan gives `init_app` origins or resources, or sets `CORS_ORIGINS`), the `CORS_ORIGINS` setting, and hand-written `Access-Control-Allow-Origin: *` headers (`resp.headers[...] = "*"`, `headers.add(...)`, header dictionaries). Combined with `supports_credentials=True`, and for a header that echoes the request `Origin` without an allow-list check, it is an error.',
      why: "With a wildcard, any website can read your API responses from a visitor's browser. With credentials allowed (flask-cors then reflects the caller's origin) or the `Origin` header echoed back, a malicious page reads the logged-in user's data — profile, tokens, CSRF tokens — and acts on it.",
      example:
        'CORS(app, supports_credentials=True)\n\n@app.after_request\ndef cors(resp):\n    resp.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin")\n    return resp',
      fix: 'CORS(app, origins=["https://app.example.com"], supports_credentials=True)\n\n@app.after_request\ndef cors(resp):\n    origin = request.headers.get("Origin")\n    if origin in ALLOWED_ORIGINS:\n        resp.headers["Access-Control-Allow-Origin"] = origin\n    return resp',
    },
    references: [
      'https://flask-cors.readthedocs.io/en/latest/configuration.html',
      'https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS',
      'https://portswigger.net/web-security/cors',
      'https://cwe.mitre.org/data/definitions/942.html',
    ],
  },
  // Flask-CORS (imported by name), the CORS_ORIGINS setting, or the header in any letter case.
  trigger: /flask_cors|cors_origins|access-control-allow-origin/i,
  check(ctx: RuleContext) {
    checkFlaskCors(ctx);
    checkCorsConfig(ctx);
    checkHeaders(ctx);
  },
});

function isFlaskCors(ctx: RuleContext, site: CallSite, names: Set<string>, bare: string): boolean {
  if (site.callee && names.has(site.callee)) return true;
  // `from flask_cors import *`
  return (
    site.calleeText === bare &&
    ctx.file.imports.imports('flask_cors') &&
    !ctx.file.imports.isImportedName(bare)
  );
}

const WILDCARD_REGEX = /^\^?(\(?https?\??:\/\/\)?\??|https?\\?:\\?\/\\?\/)?(\.\*|\.\+|\*)\$?$/;

function originsOf(ctx: RuleContext, node: Node | null, depth = 0): Origins {
  if (!node || depth > 4) return 'unknown';
  const value = ctx.file.resolveValue(node);
  const text = stringValue(value);
  if (text !== undefined) return text === '*' || WILDCARD_REGEX.test(text) ? 'wildcard' : 'explicit';
  if (['list', 'tuple', 'set'].includes(value.type)) {
    let result: Origins = 'explicit';
    for (const item of value.namedChildren) {
      if (!item || item.type === 'comment') continue;
      const origin = originsOf(ctx, item, depth + 1);
      if (origin === 'wildcard') return 'wildcard';
      if (origin === 'unknown') result = 'unknown';
    }
    return result;
  }
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if (site?.callee === 're.compile') return originsOf(ctx, site.args.positional[0] ?? null, depth + 1);
  }
  return 'unknown';
}

function entry(dict: Node, key: string): Node | null {
  for (const pair of dict.namedChildren) {
    if (pair?.type === 'pair' && stringValue(pair.childForFieldName('key')) === key) {
      return pair.childForFieldName('value');
    }
  }
  return null;
}

function configValue(ctx: RuleContext, key: string): Node | null {
  const writes = configWritesOfKey(ctx, key).filter((w) => !isTestOnlyConfiguration(ctx, w));
  return writes.length > 0 ? (writes[writes.length - 1]?.value ?? null) : null;
}

interface Verdict {
  wildcard: boolean;
  credentials: boolean;
  /** The `"*"` value to replace, or the argument list to add `origins=[...]` to. */
  star: Node | null;
  implicit: boolean;
  /** The wildcard comes from a `CORS_ORIGINS` setting (reported where it is written). */
  fromConfig: boolean;
}

/** flask-cors precedence: resource options, then keyword arguments, then `CORS_*` app settings, then `*`. */
function evaluate(ctx: RuleContext, options: Options): Verdict | null {
  const configured = options.origins ? null : configValue(ctx, 'CORS_ORIGINS');
  const topOrigins = options.origins ?? configured;
  const topCredentials = options.credentials ?? configValue(ctx, 'CORS_SUPPORTS_CREDENTIALS');
  const resources = options.resources ?? configValue(ctx, 'CORS_RESOURCES');
  const top = topOrigins ? originsOf(ctx, topOrigins) : 'wildcard';
  const credentialsOn = (node: Node | null) => !!node && isTruthyLiteral(ctx.file.resolveValue(node));
  const resolved = resources ? ctx.file.resolveValue(resources) : null;
  if (resolved?.type === 'dictionary') {
    let verdict: Verdict | null = null;
    for (const pair of resolved.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const value = pair.childForFieldName('value');
      const settings = value ? ctx.file.resolveValue(value) : null;
      if (settings?.type !== 'dictionary') continue;
      const own = entry(settings, 'origins');
      const origins = own ? originsOf(ctx, own) : top;
      if (origins !== 'wildcard') continue;
      const credentials = credentialsOn(entry(settings, 'supports_credentials') ?? topCredentials);
      if (!verdict || (credentials && !verdict.credentials)) {
        verdict = {
          wildcard: true,
          credentials,
          star: own ? starOf(ctx, own) : topOrigins ? starOf(ctx, topOrigins) : null,
          implicit: !own && !topOrigins,
          fromConfig: !own && configured !== null,
        };
      }
    }
    return verdict;
  }
  if (resolved && !['string', 'concatenated_string', 'list', 'tuple', 'set'].includes(resolved.type)) {
    return null; // resources computed elsewhere
  }
  if (top !== 'wildcard') return null;
  return {
    wildcard: true,
    credentials: credentialsOn(topCredentials),
    star: topOrigins ? starOf(ctx, topOrigins) : null,
    implicit: !topOrigins,
    fromConfig: configured !== null,
  };
}

/** The `"*"` literal written inline (so that a fix can replace it), if any. */
function starOf(ctx: RuleContext, node: Node): Node | null {
  if (ctx.file.resolveValue(node) !== node) return null;
  if (node.type === 'string') return node;
  if (['list', 'tuple', 'set'].includes(node.type)) {
    return node.namedChildren.find((c) => c && originsOf(ctx, c) === 'wildcard') ?? null;
  }
  return null;
}

function optionsOf(site: CallSite): Options {
  return {
    origins: site.args.keywords.get('origins') ?? site.args.keywords.get('origin') ?? null,
    resources: site.args.keywords.get('resources') ?? null,
    credentials: site.args.keywords.get('supports_credentials') ?? null,
  };
}

function merge(base: Options, over: Options): Options {
  return {
    origins: over.origins ?? base.origins,
    resources: over.resources ?? base.resources,
    credentials: over.credentials ?? base.credentials,
  };
}

function loadsConfigElsewhere(ctx: RuleContext): boolean {
  return ctx.file.calls.some((c) => CONFIG_LOADERS.has(c.name));
}

function report(ctx: RuleContext, node: Node, what: string, verdict: Verdict, args: Node | null): void {
  if (verdict.fromConfig) return;
  let fix: OffsetEdit[] = [];
  const origins = `["${PLACEHOLDER_ORIGIN}"]`;
  if (verdict.star) {
    const inContainer = ['list', 'tuple', 'set'].includes(verdict.star.parent?.type ?? '');
    fix = [replaceNode(verdict.star, inContainer ? `"${PLACEHOLDER_ORIGIN}"` : origins)];
  } else if (verdict.implicit && args?.type === 'argument_list') {
    fix = [addArgument(ctx, args, `origins=${origins}`)];
  }
  if (verdict.credentials) {
    ctx.report(
      node,
      `${what} allows any origin with supports_credentials=True: flask-cors then reflects the caller's Origin, so any site can read responses with the user's cookies. List the trusted origins explicitly.`,
      { severity: 'error', confidence: 'high', fix },
    );
    return;
  }
  const why = verdict.implicit ? ' (no origins given, so the default "*" applies)' : '';
  ctx.report(
    node,
    `${what} allows every origin${why}: any website can read these responses from a visitor's browser. Pass origins=[...] with your frontend's origins.`,
    {
      confidence: verdict.implicit ? (loadsConfigElsewhere(ctx) ? 'low' : 'medium') : 'high',
      fix,
    },
  );
}

function checkFlaskCors(ctx: RuleContext): void {
  // `@cross_origin` used without parentheses: the defaults, so every origin.
  for (const fn of ctx.file.functions) {
    if (!ctx.inFocus(fn.node)) continue;
    for (const decorator of fn.decorators) {
      if (decorator.type === 'call' || !CROSS_ORIGIN.has(ctx.file.imports.resolve(decorator) ?? '')) continue;
      const verdict = evaluate(ctx, { origins: null, resources: null, credentials: null });
      if (verdict) report(ctx, decorator, '@cross_origin', verdict, null);
    }
  }
  for (const site of ctx.file.calls) {
    if (isFlaskCors(ctx, site, CROSS_ORIGIN, 'cross_origin')) {
      if (!ctx.inFocus(site.node)) continue;
      const verdict = evaluate(ctx, optionsOf(site));
      if (verdict) report(ctx, site.node, '@cross_origin', verdict, site.args.list);
      continue;
    }
    if (!isFlaskCors(ctx, site, CORS_CLASSES, 'CORS')) continue;
    const options = optionsOf(site);
    const hasApp = site.args.positional.length > 0 || site.args.keywords.has('app');
    if (hasApp) {
      if (!ctx.inFocus(site.node)) continue;
      const verdict = evaluate(ctx, options);
      if (verdict) report(ctx, site.node, 'CORS(...)', verdict, site.args.list);
      continue;
    }
    // `cors = CORS(); cors.init_app(app, ...)`
    const parent = site.node.parent;
    const name = parent?.type === 'assignment' ? dottedName(parent.childForFieldName('left')) : null;
    const inits = name ? ctx.file.callsNamed('init_app').filter((c) => dottedName(c.receiver) === name) : [];
    // Each init_app reports at itself, which may be in focus when this CORS() is not.
    for (const init of inits) {
      if (!ctx.inFocus(init.node)) continue;
      const verdict = evaluate(ctx, merge(options, optionsOf(init)));
      if (verdict) report(ctx, init.node, `${name}.init_app(...)`, verdict, init.args.list);
    }
    if (inits.length === 0 && name && ctx.inFocus(site.node)) {
      // Initialised in another module: judge the options given here.
      const verdict = evaluate(ctx, options);
      if (!verdict) continue;
      if (verdict.implicit) {
        // `cors.init_app(app, resources={...: {"origins": [...]}})` in the app factory of another module.
        if (ctx.workspace.appSettings.has('CORS_ORIGINS')) continue;
        ctx.report(
          site.node,
          'CORS() is created without origins: once initialised, it allows every origin (the default "*"). Pass origins=[...] with your frontend\'s origins.',
          {
            confidence: 'low',
            fix: site.args.list
              ? [addArgument(ctx, site.args.list, `origins=["${PLACEHOLDER_ORIGIN}"]`)]
              : [],
          },
        );
      } else report(ctx, site.node, 'CORS(...)', verdict, site.args.list);
    }
  }
}

function checkCorsConfig(ctx: RuleContext): void {
  for (const write of configWritesOfKey(ctx, 'CORS_ORIGINS')) {
    if (
      !ctx.inFocus(write.node) ||
      isTestOnlyConfiguration(ctx, write) ||
      originsOf(ctx, write.value) !== 'wildcard'
    )
      continue;
    const credentials = configValue(ctx, 'CORS_SUPPORTS_CREDENTIALS');
    const verdict: Verdict = {
      wildcard: true,
      credentials: !!credentials && isTruthyLiteral(ctx.file.resolveValue(credentials)),
      star: starOf(ctx, write.value),
      implicit: false,
      fromConfig: false,
    };
    report(ctx, write.node, 'CORS_ORIGINS', verdict, null);
  }
}

/** Hand-written `Access-Control-Allow-Origin` headers. */
function checkHeaders(ctx: RuleContext): void {
  // resp.headers["Access-Control-Allow-Origin"] = value
  for (const assignment of ctx.file.nodesOfType('assignment')) {
    if (!assignment || !ctx.inFocus(assignment)) continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'subscript') continue;
    if (stringValue(left.childForFieldName('subscript'))?.toLowerCase() !== ALLOW_ORIGIN) continue;
    const value = assignment.childForFieldName('right');
    if (value) checkHeaderValue(ctx, assignment, value);
  }
  // headers.add("Access-Control-Allow-Origin", value) / headers.set(...) / add_header(...)
  for (const site of ctx.file.calls) {
    if (!HEADER_SETTERS.has(site.name) || site.args.positional.length < 2 || !ctx.inFocus(site.node))
      continue;
    if (stringValue(site.args.positional[0] ?? null)?.toLowerCase() !== ALLOW_ORIGIN) continue;
    checkHeaderValue(ctx, site.node, site.args.positional[1] as Node);
  }
  // {"Access-Control-Allow-Origin": "*"} / [("Access-Control-Allow-Origin", "*")]
  for (const pair of ctx.file.nodesOfType(['pair', 'tuple'])) {
    if (!pair || !ctx.inFocus(pair)) continue;
    const key = pair.type === 'pair' ? pair.childForFieldName('key') : (pair.namedChildren[0] ?? null);
    const value = pair.type === 'pair' ? pair.childForFieldName('value') : (pair.namedChildren[1] ?? null);
    if (pair.type === 'tuple' && pair.namedChildren.length !== 2) continue;
    if (stringValue(key)?.toLowerCase() !== ALLOW_ORIGIN || !value) continue;
    // `headers.extend([(...)])` is reported by the call, this tuple would repeat it
    checkHeaderValue(ctx, pair, value);
  }
}

function checkHeaderValue(ctx: RuleContext, where: Node, value: Node): void {
  const resolved = ctx.file.resolveValue(value);
  const text = stringValue(resolved);
  if (text === '*' || text?.toLowerCase() === 'null') {
    const fix =
      resolved === value && resolved.type === 'string' ? [replaceNode(value, `"${PLACEHOLDER_ORIGIN}"`)] : [];
    ctx.report(
      where,
      `Access-Control-Allow-Origin is set to "${text}": any website can read this response from a visitor's browser. Send a specific trusted origin instead.`,
      { confidence: 'high', fix },
    );
    return;
  }
  if (text !== undefined) return;
  const taint = ctx.taint.taintOf(value);
  if (!taint) return;
  const names = [value.text];
  if (value.type === 'identifier') names.push(value.text);
  if (resolved !== value) names.push(resolved.text);
  // `origin if origin in ALLOWED else ""` checks; `origin if origin else "*"` only tests that one was sent.
  if (value.type === 'conditional_expression' && !isPresenceTest(value.namedChildren[1] ?? null)) return;
  if (isCheckedAgainstAllowList(ctx, where, names)) return;
  ctx.report(
    where,
    `Access-Control-Allow-Origin echoes the request (${taint.label}) without an allow-list check: every site is trusted, including with cookies. Compare the Origin against a list of trusted origins before sending it back.`,
    { severity: 'error', confidence: 'high', taint },
  );
}

/** `origin`, `not origin`, `origin is not None`, `origin != ""`: whether a value is there, not which. */
function isPresenceTest(condition: Node | null): boolean {
  if (!condition) return false;
  if (condition.type === 'identifier' || condition.type === 'attribute') return true;
  if (condition.type === 'not_operator') return isPresenceTest(condition.childForFieldName('argument'));
  if (condition.type === 'parenthesized_expression')
    return isPresenceTest(condition.namedChildren[0] ?? null);
  if (condition.type === 'comparison_operator') {
    return condition.namedChildren.some((operand) => operand !== null && isFalsyLiteral(operand));
  }
  return false;
}
