import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { selectAutoescapeOf } from '../../engine/selectAutoescape';
import { dottedName, isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import { addArgument, replaceNode } from '../support/edits';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';

/** Jinja environments: `autoescape` defaults to False for all of them. */
const ENVIRONMENTS = new Set([
  'jinja2.Environment',
  'jinja2.environment.Environment',
  'jinja2.sandbox.SandboxedEnvironment',
  'jinja2.sandbox.ImmutableSandboxedEnvironment',
]);
const TEMPLATES = new Set(['jinja2.Template', 'jinja2.environment.Template']);
/** Calls whose first argument is a Jinja template's source. */
const TEMPLATE_SOURCES = /^(flask\.render_template_string|flask\.stream_template_string)$/;
/** `{% autoescape false %}` (also with `-` whitespace control): the block inside is not escaped. */
const AUTOESCAPE_OFF_BLOCK = /\{%-?\s*autoescape\s+(false|False)\s*-?%\}/;

export default defineRule({
  meta: {
    id: 'FS303',
    name: 'jinja-autoescape-disabled',
    title: 'Jinja2 autoescaping is turned off',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-79', 'CWE-116'],
    owasp: ['A03:2021'],
    fix: { title: 'Turn autoescaping on (autoescape=True)', safety: 'unsafe' },
    docs: {
      summary:
        'Finds Jinja2 autoescaping switched off: a template source given to `render_template_string`/`from_string` with a `{% autoescape false %}` block that renders `{{ ... }}`, `jinja2.Environment(...)` (or `SandboxedEnvironment`) created without `autoescape=` (it defaults to False) or with a false value, `jinja2.Template(..., autoescape=False)` and `Template("<html>...")` without autoescape, `app.jinja_env.autoescape = False`, `autoescape: False` in `app.jinja_options` (assigned, updated or subscripted), and a `select_jinja_autoescape` override that returns False. `autoescape=True`, `select_autoescape(...)`, a callable or a value that is not a constant are accepted. A missing `autoescape=` is reported with medium confidence, as the environment may render something other than HTML.',
      why: 'With autoescaping off, every `{{ value }}` is inserted into the page as raw HTML. Any value an attacker can influence — a name, a comment, a query parameter — can then carry `<script>` and run in the browsers of the users who see the page (XSS). Flask turns autoescaping on for `.html` templates; a separately built Environment does not.',
      example:
        'from jinja2 import Environment, FileSystemLoader\n\nenv = Environment(loader=FileSystemLoader("templates"))\nhtml = env.get_template("page.html").render(name=request.args["name"])',
      fix: 'from jinja2 import Environment, FileSystemLoader, select_autoescape\n\nenv = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())\nhtml = env.get_template("page.html").render(name=request.args["name"])',
    },
    references: [
      'https://jinja.palletsprojects.com/en/stable/api/#autoescaping',
      'https://flask.palletsprojects.com/en/stable/templating/#controlling-autoescaping',
      'https://bandit.readthedocs.io/en/latest/plugins/b701_jinja2_autoescape_false.html',
      'https://cwe.mitre.org/data/definitions/116.html',
    ],
  },
  // An Environment or Template of jinja2, or an autoescape option, setting or function.
  trigger: /jinja2|autoescape/,
  check(ctx: RuleContext) {
    // render_template_string("{% autoescape false %}...{{ c }}...{% endautoescape %}", c=...)
    for (const site of ctx.file.calls) {
      // `env.from_string(...)` on any environment: its callee is qualified by the receiver's name.
      const compiles = TEMPLATE_SOURCES.test(site.callee ?? '') || site.name === 'from_string';
      if (!ctx.inFocus(site.node) || !compiles) continue;
      const source = site.args.positional[0] ?? site.args.keywords.get('source');
      const text = source ? stringValue(ctx.file.resolveValue(unwrap(source))) : undefined;
      const block = text === undefined ? null : AUTOESCAPE_OFF_BLOCK.exec(text);
      if (!source || !block || text === undefined) continue;
      // Only what the block holds goes out unescaped.
      const after = text.slice(block.index + block[0].length);
      const end = /\{%-?\s*endautoescape\s*-?%\}/.exec(after);
      if (!/\{\{/.test(end ? after.slice(0, end.index) : after)) continue;
      ctx.report(
        source,
        `The template turns autoescaping off with ${block[0]}: every {{ ... }} inside the block goes into the page as raw HTML, so a value an attacker influences runs as script (XSS). Drop the block, or mark only trusted values |safe.`,
      );
    }
    const falsy = (node: Node) =>
      isFalsyLiteral(ctx.file.resolveValue(unwrap(node))) || escapesNothing(ctx, node);
    const toTrue = (node: Node) => [replaceNode(node, 'True')];

    for (const site of ctx.file.calls) {
      const callee = site.callee ?? '';
      const isEnvironment = ENVIRONMENTS.has(callee);
      const isTemplate = TEMPLATES.has(callee);
      if ((!isEnvironment && !isTemplate) || !ctx.inFocus(site.node)) continue;
      const what = isEnvironment
        ? `${site.calleeText ?? 'Environment'}()`
        : `${site.calleeText ?? 'Template'}()`;
      const autoescape = site.args.keywords.get('autoescape');
      if (autoescape) {
        if (!falsy(autoescape)) continue;
        ctx.report(
          site.node,
          `${what} is created with autoescaping off: values rendered into HTML are not escaped (XSS). Pass autoescape=True or select_autoescape().`,
          { fix: toTrue(autoescape) },
        );
        continue;
      }
      if (site.args.hasSplat || !site.args.list) continue;
      if (autoescapeSetLater(ctx, site.node)) continue;
      // Template("...") compiles its source with autoescaping off; report it when that source is HTML.
      if (isTemplate && !looksLikeHtml(ctx, site.args.positional[0] ?? site.args.keywords.get('source')))
        continue;
      ctx.report(
        site.node,
        `${what} is created without autoescape=, and Jinja2 then does not escape values: pass autoescape=True (or select_autoescape()) unless it never renders HTML.`,
        { confidence: 'medium', fix: [addArgument(ctx, site.args.list, 'autoescape=True')] },
      );
    }

    for (const scope of ctx.file.scopes) {
      for (const [name, bindings] of scope.bindings) {
        for (const binding of bindings) {
          if (binding.kind !== 'assign' || !binding.value || !ctx.inFocus(binding.node)) continue;
          const left = binding.node.childForFieldName('left');
          // app.jinja_env.autoescape = False / env.autoescape = False
          if (name.endsWith('.autoescape') && left?.type === 'attribute') {
            const owner = left.childForFieldName('object');
            if (!isEnvironmentObject(ctx, owner) || !falsy(binding.value)) continue;
            ctx.report(
              binding.node,
              `${dottedName(left) ?? 'autoescape'} is set to a false value: templates rendered by it do not escape values (XSS). Set it to True.`,
              { fix: toTrue(binding.value) },
            );
            continue;
          }
          // app.jinja_options = {"autoescape": False} / dict(Flask.jinja_options, autoescape=False)
          if (/(^|\.)jinja_options$/.test(name) && left?.type !== 'subscript') {
            reportOptions(ctx, binding.value);
            continue;
          }
          // app.jinja_options["autoescape"] = False
          if (/(^|\.)jinja_options$/.test(name) && left?.type === 'subscript') {
            if (stringValue(left.childForFieldName('subscript')) !== 'autoescape' || !falsy(binding.value))
              continue;
            ctx.report(binding.node, JINJA_OPTIONS_MESSAGE, { fix: toTrue(binding.value) });
          }
        }
      }
    }
    // app.jinja_options.update(autoescape=False) / .update({"autoescape": False})
    for (const site of ctx.file.callsNamed('update')) {
      if (!/(^|\.)jinja_options$/.test(dottedName(site.receiver) ?? '') || !ctx.inFocus(site.node)) continue;
      reportOptions(ctx, site.node);
    }
    // class MyFlask(Flask): def select_jinja_autoescape(self, filename): return False
    for (const fn of ctx.file.functionsNamed('select_jinja_autoescape')) {
      if (!ctx.inFocus(fn.node) || fn.returns.length === 0 || !fn.returns.every((r) => falsy(r))) continue;
      for (const returned of fn.returns) {
        ctx.report(
          returned,
          'select_jinja_autoescape() returns False: no template of this app is escaped (XSS). Return True, or call the parent implementation.',
          {
            fix: toTrue(returned),
          },
        );
      }
    }
  },
});

const JINJA_OPTIONS_MESSAGE =
  'jinja_options sets autoescape to a false value: no template of this app is escaped (XSS). Remove it or set it to True.';

/** `{"autoescape": False}` / `dict(..., autoescape=False)` / `.update(...)` arguments. */
function reportOptions(ctx: RuleContext, value: Node): void {
  const node = unwrap(value);
  const falsy = (n: Node) => isFalsyLiteral(ctx.file.resolveValue(unwrap(n)));
  if (node.type === 'dictionary') {
    for (const pair of node.namedChildren) {
      if (pair?.type !== 'pair' || stringValue(pair.childForFieldName('key')) !== 'autoescape') continue;
      const v = pair.childForFieldName('value');
      if (v && falsy(v)) ctx.report(pair, JINJA_OPTIONS_MESSAGE, { fix: [replaceNode(v, 'True')] });
    }
    return;
  }
  if (node.type !== 'call') return;
  const site = ctx.file.callAt(node);
  if (!site) return;
  const keyword = site.args.keywords.get('autoescape');
  if (keyword && falsy(keyword)) {
    ctx.report(keyword.parent ?? keyword, JINJA_OPTIONS_MESSAGE, { fix: [replaceNode(keyword, 'True')] });
  }
  for (const arg of site.args.positional) if (unwrap(arg).type === 'dictionary') reportOptions(ctx, arg);
}

/**
 * `select_autoescape(enabled_extensions=(), default=False, default_for_string=False)`: a selector that
 * escapes no template at all, autoescaping off by another name.
 */
function escapesNothing(ctx: RuleContext, node: Node): boolean {
  const selection = selectAutoescapeOf(ctx.file, unwrap(node));
  return !!selection && selection.extensions?.length === 0 && !selection.byDefault && !selection.forStrings;
}

/** `env = Environment(...)` followed by `env.autoescape = <not false>`. */
function autoescapeSetLater(ctx: RuleContext, call: Node): boolean {
  const statement = call.parent;
  if (statement?.type !== 'assignment') return false;
  const target = dottedName(statement.childForFieldName('left'));
  if (!target) return false;
  return ctx.file.scopes.some((scope) =>
    (scope.bindings.get(`${target}.autoescape`) ?? []).some(
      (b) => b.value !== null && !isFalsyLiteral(ctx.file.resolveValue(unwrap(b.value))),
    ),
  );
}

/** `app.jinja_env`, `current_app.jinja_env`, or a name built by a Jinja Environment constructor. */
function isEnvironmentObject(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const text = dottedName(node) ?? '';
  if (/(^|\.)jinja_env$/.test(text)) return true;
  const constructed = ctx.file.constructorOf(node);
  return constructed !== null && ENVIRONMENTS.has(constructed);
}

function looksLikeHtml(ctx: RuleContext, source: Node | null | undefined): boolean {
  if (!source) return false;
  const value = literalValue(ctx.file.resolveValue(unwrap(source)));
  return typeof value === 'string' && /<\/?[a-zA-Z!][^>]*>/.test(value);
}
