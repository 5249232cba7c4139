import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { isTruthyLiteral, literalValue, stringValue } from '../../engine/syntax';
import { replaceNode } from '../support/edits';
import { splatKeywords } from '../support/values';
import { environmentDefault, isDevelopmentConfiguration, isTestConfiguration } from '../support/config';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS101',
    name: 'debug-mode-enabled',
    title: 'Flask debug mode is switched on',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-489', 'CWE-215'],
    owasp: ['A05:2021'],
    fix: { title: 'Turn debug mode off', safety: 'unsafe' },
    docs: {
      summary:
        'Finds Flask apps run or configured with debug mode on: `app.run(debug=True)` (also through a `**dict` of the file), `app.debug = True`, `DEBUG = True` in `app.config`, a config class or a module loaded with `from_object(__name__)`, a debug setting read from the environment with an "on" default (`os.environ.get("DEBUG", True)`, `os.environ.get("FLASK_DEBUG", "1") == "1"`, `bool(os.getenv("DEBUG", "1"))`), and `FLASK_DEBUG` set in the environment from code. A test configuration (`TestingConfig`, conftest.py) is left out; a development one (`DevelopmentConfig`, an `if app.debug:` branch) is reported with low confidence.',
      why: 'Debug mode serves the Werkzeug interactive debugger on every error page. Anyone who can trigger an exception (or guess the PIN, which is derived from guessable machine data) gets a Python console in the server process: remote code execution. It also leaks source code and configuration in tracebacks.',
      example: 'app = Flask(__name__)\napp.run(debug=True)',
      fix: 'app = Flask(__name__)\n# Debug only from the environment of a developer machine, never from code.\napp.run(debug=os.environ.get("FLASK_DEBUG") == "1")',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/debugging/',
      'https://werkzeug.palletsprojects.com/en/stable/debug/',
      'https://cwe.mitre.org/data/definitions/489.html',
    ],
  },
  // run(debug=...), app.debug, the DEBUG setting, or FLASK_DEBUG / FLASK_ENV in the environment.
  trigger: /debug|DEBUG|FLASK_ENV/,
  check(ctx: RuleContext) {
    const truthy = (node: Node) => isTruthyLiteral(ctx.file.resolveValue(node));
    for (const site of ctx.file.callsNamed('run')) {
      if (!ctx.inFocus(site.node)) continue;
      // `app.run(**RUN_OPTIONS)` with a dict literal of this file: reported at the `**`, without a fix.
      const own = site.args.keywords.get('debug');
      const debug = own ?? splatKeywords(ctx, site)?.get('debug');
      if (!debug) continue;
      if (!ctx.flask.isApp(site.receiver) && !ctx.flask.usesFlask) continue;
      const at = own
        ? (own.parent ?? own)
        : (site.args.list?.namedChildren.find((a) => a?.type === 'dictionary_splat') ?? site.node);
      const fallback = onByDefault(ctx, debug);
      if (fallback) {
        reportDefault(ctx, at, 'debug', fallback, !!own);
        continue;
      }
      if (!truthy(debug)) continue;
      const literal = ctx.file.resolveValue(debug);
      ctx.report(at, 'Flask app is run with debug=True: the Werkzeug debugger allows code execution.', {
        fix: own && literal === debug ? [replaceNode(debug, 'False')] : [],
      });
    }
    for (const write of ctx.flask.configWritesOf('DEBUG')) {
      if (!ctx.inFocus(write.node)) continue;
      // A test configuration never serves anyone; a development one should not, but is often what the
      // app factory loads by default: reported, with low confidence.
      if (isTestConfiguration(ctx, write.node)) continue;
      const fallback = onByDefault(ctx, write.value);
      if (fallback && !isDevelopmentConfiguration(write.node)) {
        reportDefault(ctx, write.node, 'DEBUG', fallback);
        continue;
      }
      if (!truthy(write.value)) continue;
      const development = isDevelopmentConfiguration(write.node);
      const message =
        write.via === 'attribute'
          ? 'app.debug is set to True: the Werkzeug debugger allows code execution.'
          : 'DEBUG is set to True in the Flask configuration: the Werkzeug debugger allows code execution.';
      ctx.report(write.node, message, {
        fix: write.value.type === 'true' ? [replaceNode(write.value, 'False')] : [],
        ...(development ? { confidence: 'low' as const } : {}),
      });
    }
    // os.environ["FLASK_DEBUG"] = "1" / os.environ.setdefault("FLASK_ENV", "development")
    for (const scope of ctx.file.scopes) {
      for (const binding of scope.bindings.get('os.environ') ?? []) {
        if (!ctx.inFocus(binding.node)) continue;
        const left = binding.node.childForFieldName('left');
        const key = left?.type === 'subscript' ? stringValue(left.childForFieldName('subscript')) : undefined;
        if (key && isDebugEnvironment(key, binding.value)) {
          ctx.report(binding.node, `${key} is set from code, which turns Flask debug mode on.`);
        }
      }
    }
    for (const site of ctx.file.callsTo('os.environ.setdefault', 'os.putenv')) {
      if (!ctx.inFocus(site.node)) continue;
      const key = stringValue(site.args.positional[0] ?? null);
      if (key && isDebugEnvironment(key, site.args.positional[1] ?? null)) {
        ctx.report(site.node, `${key} is set from code, which turns Flask debug mode on.`);
      }
    }
  },
});

/**
 * The default of `os.environ.get("DEBUG", True)` / `os.getenv("FLASK_DEBUG", "1")` when it turns debug on:
 * a server started without the variable (a container, a process manager) runs with the debugger.
 */
function onByDefault(ctx: RuleContext, node: Node): Node | null {
  const value = ctx.file.resolveValue(node);
  // `os.environ.get("FLASK_DEBUG", "1") == "1"`, `os.getenv("DEBUG", "true").lower() in ("1", "true")`
  if (value.type === 'comparison_operator') {
    const [left, right] = value.namedChildren;
    const operators = value.children.filter((c) => c && !c.isNamed).map((c) => c?.text ?? '');
    const lookup = left ? defaultOf(ctx, left) : null;
    if (!lookup || !right || operators.length !== 1) return null;
    const wanted = ctx.file.resolveValue(right);
    const options = ['tuple', 'list', 'set'].includes(wanted.type)
      ? wanted.namedChildren.map((c) => literalValue(c ?? null))
      : [literalValue(wanted)];
    const matches = options.some((o) => o !== undefined && String(o) === lookup.text);
    if (operators[0] === '==' || operators[0] === 'in') return matches ? lookup.fallback : null;
    return null;
  }
  // `bool(os.environ.get("DEBUG", "1"))`, `int(os.getenv("DEBUG", 1))`: a non-empty or non-zero default.
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if ((site?.callee === 'bool' || site?.callee === 'int') && site.args.positional[0]) {
      const lookup = defaultOf(ctx, site.args.positional[0]);
      if (!lookup) return null;
      const on =
        site.callee === 'bool' ? lookup.text !== '' && lookup.text !== 'False' : Number(lookup.text) !== 0;
      return on && lookup.text !== '' ? lookup.fallback : null;
    }
  }
  const lookup = defaultOf(ctx, value);
  if (!lookup || lookup.transformed) return null;
  return /^(1|true|yes|on)$/i.test(lookup.text) ? lookup.fallback : null;
}

/**
 * The default of an environment lookup, as the text it gives (`True` for the boolean), through
 * `.lower()`/`.strip()`: `os.environ.get("DEBUG", "True").lower()` gives "true".
 */
function defaultOf(
  ctx: RuleContext,
  node: Node,
): { fallback: Node; text: string; transformed: boolean } | null {
  let value = ctx.file.resolveValue(node);
  let lower = false;
  let transformed = false;
  for (let site = value.type === 'call' ? ctx.file.callAt(value) : undefined; site?.receiver;) {
    if (!['lower', 'strip', 'casefold', 'upper'].includes(site.name)) break;
    lower ||= site.name === 'lower' || site.name === 'casefold';
    transformed = true;
    value = ctx.file.resolveValue(site.receiver);
    site = value.type === 'call' ? ctx.file.callAt(value) : undefined;
  }
  const fallback = environmentDefault(ctx, value);
  if (!fallback) return null;
  const literal = literalValue(ctx.file.resolveValue(fallback));
  if (literal === undefined || literal === null) return null;
  const text = literal === true ? 'True' : literal === false ? 'False' : String(literal);
  return { fallback, text: lower ? text.toLowerCase() : text, transformed };
}

function reportDefault(ctx: RuleContext, at: Node, setting: string, fallback: Node, fixable = true): void {
  ctx.report(
    at,
    `${setting} comes from the environment but defaults to ${fallback.text}: a server started without the variable runs the Werkzeug debugger, which allows code execution. Default to off.`,
    { fix: fixable && fallback.type === 'true' ? [replaceNode(fallback, 'False')] : [] },
  );
}

function isDebugEnvironment(key: string, value: Node | null): boolean {
  const text = stringValue(value)?.toLowerCase();
  if (key === 'FLASK_DEBUG') return text === '1' || text === 'true';
  if (key === 'FLASK_ENV') return text === 'development';
  return false;
}
