import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { OffsetEdit } from '../../engine/types';
import { isFString, stringPrefix, stringValue } from '../../engine/syntax';
import { shortText } from '../support/dynamic';
import { stringShape } from '../support/strings';
import { MARKUP_CLASSES } from '../../engine/taint';
import { preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';

/** Calls whose result is safe to splice into markup: escapers, other markup, rendered templates, numbers. */
const SAFE_PARTS =
  /(^|\.)(escape|escape_silent|clean|linkify|Markup|render_template|render_template_string|url_for|int|float|len|round|abs|bool|format_number|json_script)$/;

export default defineRule({
  meta: {
    id: 'FS302',
    name: 'markup-from-untrusted-data',
    title: 'Markup() built from data that is not constant',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-79'],
    owasp: ['A03:2021'],
    fix: { title: 'Let Markup escape the values: Markup(template).format(...)', safety: 'unsafe' },
    docs: {
      summary:
        'Finds `Markup(...)` (from `markupsafe`, `flask` or `jinja2`, under any alias) given a string that is not constant: request data (high confidence), or a string assembled at run time with an f-string, `%`, `.format()`, `+` or `join` from values that are not escaped (medium confidence), or a stored or passed-in value trusted as is (`Markup(post.body)`, `Markup(value.replace("\\n", "<br>"))` in a template filter, or the HTML a Markdown renderer makes of one: `Markup(markdown.markdown(note.body))`, markdown2, mistune, commonmark, `Markdown().convert()`, which keep raw HTML; low confidence, as who writes it is not visible). `Markup` marks its argument as safe HTML, so Jinja\'s autoescaping leaves it alone. Constant markup (`Markup("<br>")`), `Markup("<b>{}</b>").format(x)` and `Markup("<b>%s</b>") % x` (which escape their arguments) and values already passed through `escape()` are not reported. Request data passed to `render_template_string` for a value its template marks `|safe` (or renders in an `{% autoescape false %}` block) is reported too: it is Markup by another name.',
      why: 'Jinja escapes every value in a template except `Markup` objects. Wrapping a string that contains user input in `Markup` switches that protection off for it: a value such as `<img src=x onerror=alert(document.cookie)>` is rendered as live HTML in every page that shows it (reflected or stored XSS).',
      example:
        '@app.route("/profile")\ndef profile():\n    bio = request.args.get("bio", "")\n    return render_template("profile.html", bio=Markup(f"<p>{bio}</p>"))',
      fix: '@app.route("/profile")\ndef profile():\n    bio = request.args.get("bio", "")\n    # Markup.format() escapes its arguments; the template stays markup\n    return render_template("profile.html", bio=Markup("<p>{}</p>").format(bio))',
    },
    references: [
      'https://markupsafe.palletsprojects.com/en/stable/escaping/',
      'https://flask.palletsprojects.com/en/stable/templating/#controlling-autoescaping',
      'https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/79.html',
    ],
  },
  // Markup(...), or a template string that marks a value `|safe` or turns autoescaping off.
  trigger: /Markup|\|\s*safe\b|autoescape/,
  check(ctx: RuleContext) {
    checkSafeTemplateValues(ctx);
    for (const site of ctx.file.calls) {
      if (!site.callee || !MARKUP_CLASSES.has(site.callee) || !ctx.inFocus(site.node)) continue;
      const value =
        site.args.positional[0] ?? site.args.keywords.get('base') ?? site.args.keywords.get('object');
      if (!value) continue;
      // Markup(render_template(...)), Markup(escape(x)): already escaped.
      const resolved = ctx.file.resolveValue(unwrap(value));
      if (resolved.type === 'call' && isSafePart(ctx, resolved)) continue;
      const taint = preciseTaint(ctx, value, { sink: 'html', followCalls: true });
      if (taint) {
        ctx.report(
          site.node,
          `Request data (${taint.label}) is wrapped in Markup(), which turns off Jinja's escaping for it: escape the values (Markup("<b>{}</b>").format(value) or escape(value)) instead.`,
          { taint, confidence: 'high', severity: 'error', fix: fix(ctx, value) },
        );
        continue;
      }
      if (hasUnescapedParts(ctx, value)) {
        ctx.report(
          site.node,
          'Markup() is given a string built at run time, so the values spliced into it are not escaped: use Markup("...{}...").format(value), which escapes them.',
          { fix: fix(ctx, value) },
        );
        continue;
      }
      // Markup(markdown.markdown(note.body)): Markdown renderers keep the raw HTML written in the text.
      const renderer = ctx.file.resolveValue(unwrap(value));
      const rendered = markdownSource(ctx, renderer);
      if (rendered && (isOpaqueValue(ctx, rendered) || hasUnescapedParts(ctx, rendered))) {
        ctx.report(
          site.node,
          `Markup() trusts the HTML that ${shortText(renderer)} renders: Markdown keeps raw HTML (a <script> or an onerror= written in the text), so whoever can write it runs script in every page that shows it. Sanitize the rendered HTML (nh3.clean or bleach.clean) before Markup().`,
          { confidence: 'low' },
        );
        continue;
      }
      // Markup(post.body), Markup(s.replace("\n", "<br>")) in a template filter: a stored or passed-in value
      // trusted as HTML. Whether users wrote it is not visible here, hence the low confidence.
      if (isOpaqueValue(ctx, value)) {
        ctx.report(
          site.node,
          `Markup() trusts ${shortText(value)} as HTML: if users can write it (a stored post, a template value), its script runs in every page that shows it. Escape it (escape(value)) or sanitize it (bleach/nh3) before Markup().`,
          { confidence: 'low' },
        );
      }
    }
  },
});

/**
 * A value that is neither constant nor built here: a name bound to one, an attribute (`post.body`), a
 * subscript, or a string method of one (`s.replace(...)`). Calls of other functions (`gettext(...)`,
 * `markdown(...)`) are left to the tiers above, whose taint and shape see through what they can.
 */
function isOpaqueValue(ctx: RuleContext, value: Node): boolean {
  if (stringShape(ctx, value, { words: true }) !== 'unknown') return false;
  let node = ctx.file.resolveValue(unwrap(value));
  while (node.type === 'call') {
    const fn = node.childForFieldName('function');
    const method = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
    const object = fn?.childForFieldName('object');
    if (!method || !object || !STRING_METHODS.has(method)) return false;
    node = unwrap(object);
  }
  if (node.type === 'identifier') {
    // `text = str(escape(text))` (also unpacked from a tuple): escaped on some path, so not trusted blindly.
    for (const binding of ctx.file.reaching(node.text, node, ctx.file.scopeAt(node))) {
      const calls = binding.value?.type === 'call' ? [binding.value] : [];
      calls.push(...(binding.value?.descendantsOfType('call') ?? []).filter((c): c is Node => !!c));
      if (calls.some((call) => isSafePart(ctx, call))) return false;
    }
  }
  return ['identifier', 'attribute', 'subscript'].includes(node.type);
}

/** Markdown to HTML, keeping the raw HTML in the text: Python-Markdown, markdown2, mistune, commonmark. */
const MARKDOWN_RENDERERS = new Set([
  'markdown.markdown',
  'markdown2.markdown',
  'mistune.html',
  'mistune.markdown',
  'commonmark.commonmark',
]);

/**
 * The text a Markdown renderer call turns into HTML (`markdown.markdown(text)`, `markdown.Markdown(...)
 * .convert(text)`), unless it is told to escape or drop raw HTML (markdown2's `safe_mode`).
 */
function markdownSource(ctx: RuleContext, node: Node): Node | undefined {
  if (node.type !== 'call') return undefined;
  const site = ctx.file.callAt(node);
  if (!site) return undefined;
  const renders =
    MARKDOWN_RENDERERS.has(site.callee ?? '') ||
    (site.name === 'convert' &&
      !!site.receiver &&
      ctx.file.constructorOf(site.receiver) === 'markdown.Markdown');
  if (!renders || site.args.keywords.has('safe_mode') || site.args.keywords.has('escape')) return undefined;
  return site.args.positional[0] ?? site.args.keywords.get('text');
}

const STRING_METHODS = new Set(['replace', 'strip', 'lstrip', 'rstrip', 'format', 'join', 'lower', 'upper']);

/** A string assembled at run time from at least one part that is neither constant nor escaped. */
function hasUnescapedParts(ctx: RuleContext, value: Node): boolean {
  if (stringShape(ctx, value, { words: true }) !== 'dynamic') return false;
  const node = ctx.file.resolveValue(unwrap(value));
  return dynamicParts(ctx, node).some((part) => !isSafePart(ctx, part));
}

/** The non-literal pieces a string is assembled from. */
function dynamicParts(ctx: RuleContext, node: Node, depth = 0): Node[] {
  const value = unwrap(node);
  if (depth > 6) return [value];
  const next = (n: Node) => dynamicParts(ctx, n, depth + 1);
  switch (value.type) {
    case 'string':
      return value.namedChildren
        .filter((c): c is Node => c?.type === 'interpolation')
        .flatMap((i) => (i.namedChildren[0] ? next(i.namedChildren[0]) : []));
    case 'concatenated_string':
      return value.namedChildren.filter((c): c is Node => !!c).flatMap(next);
    case 'binary_operator': {
      const left = value.childForFieldName('left');
      const right = value.childForFieldName('right');
      const operator = value.childForFieldName('operator')?.text;
      if (!left || !right) return [value];
      if (operator === '+') return [...next(left), ...next(right)];
      if (operator === '%') {
        const args = unwrap(right);
        const items =
          args.type === 'tuple'
            ? args.namedChildren
            : args.type === 'dictionary'
              ? args.namedChildren.map((p) => p?.childForFieldName('value') ?? null)
              : [args];
        return [...next(left), ...items.filter((c): c is Node => !!c).flatMap(next)];
      }
      return [value];
    }
    case 'call': {
      const site = ctx.file.callAt(value);
      if (site && ['format', 'join', 'format_map'].includes(site.name) && site.receiver) {
        const args = [...site.args.positional, ...site.args.keywords.values()];
        if (site.name === 'join') {
          const items = args[0] ? unwrap(args[0]) : null;
          if (items && ['list', 'tuple'].includes(items.type)) {
            return [
              ...next(site.receiver),
              ...items.namedChildren.filter((c): c is Node => !!c).flatMap(next),
            ];
          }
          if (items?.type === 'generator_expression' || items?.type === 'list_comprehension') {
            const body = items.childForFieldName('body');
            return [...next(site.receiver), ...(body ? next(body) : [])];
          }
        }
        return [...next(site.receiver), ...args.flatMap(next)];
      }
      return [value];
    }
    case 'identifier': {
      const resolved = ctx.file.resolveValue(value);
      return resolved === value ? [value] : next(resolved);
    }
    default:
      return stringValue(value) !== undefined ? [] : [value];
  }
}

function isSafePart(ctx: RuleContext, part: Node): boolean {
  if (stringShape(ctx, part, { words: true }) === 'constant') return true;
  if (['integer', 'float', 'true', 'false', 'none'].includes(part.type)) return true;
  if (part.type === 'call') {
    const site = ctx.file.callAt(part);
    return SAFE_PARTS.test(site?.callee ?? site?.name ?? '');
  }
  return false;
}

/**
 * `Markup(f"<b>{x}</b>")` → `Markup("<b>{}</b>").format(x)`, `Markup("<b>%s</b>" % x)` → `Markup("<b>%s</b>") % x`,
 * `Markup("<b>{}</b>".format(x))` → `Markup("<b>{}</b>").format(x)`: the markup stays, the values are escaped.
 */
function fix(ctx: RuleContext, value: Node): OffsetEdit[] {
  const node = unwrap(value);
  const call = node.parent?.parent;
  if (!call || call.type !== 'call' || node.parent?.type !== 'argument_list') return [];
  if (call.childForFieldName('arguments')?.namedChildren.length !== 1) return [];
  const closing = call.endIndex;
  if (node.type === 'string' && isFString(node)) {
    const interpolations = node.namedChildren.filter((c): c is Node => c?.type === 'interpolation');
    if (interpolations.some((i) => i.namedChildren.length !== 1)) return [];
    let template = '';
    let cursor = node.startIndex;
    for (const i of interpolations) {
      template += ctx.slice(cursor, i.startIndex) + '{}';
      cursor = i.endIndex;
    }
    template += ctx.slice(cursor, node.endIndex);
    const prefix = stringPrefix(node);
    const withoutF = prefix.replace(/f/i, '');
    template = withoutF + template.slice(prefix.length);
    const args = interpolations.map((i) => i.namedChildren[0]?.text ?? '').join(', ');
    return [
      { start: node.startIndex, end: node.endIndex, newText: template },
      { start: closing, end: closing, newText: `.format(${args})` },
    ];
  }
  if (node.type === 'binary_operator') {
    const operator = node.childForFieldName('operator');
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (operator?.text !== '%' || !left || !right || stringValue(left) === undefined) return [];
    return [
      { start: left.endIndex, end: node.endIndex, newText: '' },
      {
        start: closing,
        end: closing,
        newText: ` % ${right.type === 'tuple' || right.type === 'dictionary' || /^[\w.[\]"']+$/.test(right.text) ? right.text : `(${right.text})`}`,
      },
    ];
  }
  if (node.type === 'call') {
    const site = ctx.file.callAt(node);
    const fn = node.childForFieldName('function');
    const args = node.childForFieldName('arguments');
    if (site?.name !== 'format' || !site.receiver || stringValue(site.receiver) === undefined || !fn || !args)
      return [];
    return [
      { start: site.receiver.endIndex, end: node.endIndex, newText: '' },
      { start: closing, end: closing, newText: `.format${args.text}` },
    ];
  }
  return [];
}

const TEMPLATE_STRING_RENDERERS = new Set([
  'flask.render_template_string',
  'flask.templating.render_template_string',
  'quart.render_template_string',
]);

/**
 * `render_template_string("<p>{{ name|safe }}</p>", name=request.args["name"])`: `|safe` (or an
 * `{% autoescape false %}` block) does for a template value what Markup() does, so request data passed
 * for it is rendered as live HTML.
 */
function checkSafeTemplateValues(ctx: RuleContext): void {
  for (const site of ctx.file.calls) {
    if (!site.callee || !TEMPLATE_STRING_RENDERERS.has(site.callee) || !ctx.inFocus(site.node)) continue;
    const template = site.args.positional[0] ?? site.args.keywords.get('source');
    const text = template ? stringValue(ctx.file.resolveValue(template)) : undefined;
    if (text === undefined) continue;
    const unescaped = unescapedVariables(text);
    for (const [name, value] of site.args.keywords) {
      if (!unescaped.has(name)) continue;
      const taint = preciseTaint(ctx, value, { sink: 'html', followCalls: true });
      if (!taint) continue;
      ctx.report(
        value,
        `Request data (${taint.label}) is passed to the template as ${name}, which the template renders without escaping (|safe or autoescape off): drop |safe, or escape the value before passing it.`,
        { taint, confidence: 'high', severity: 'error' },
      );
    }
  }
}

/** Names a Jinja template renders without escaping: `{{ name|safe }}`, and any `{{ ... }}` in an autoescape-off block. */
function unescapedVariables(template: string): Set<string> {
  const out = new Set<string>();
  for (const match of template.matchAll(/\{\{\s*([A-Za-z_]\w*)[^}]*?\|\s*safe\b[^}]*\}\}/g)) {
    out.add(match[1] as string);
  }
  for (const block of template.matchAll(
    /\{%-?\s*autoescape\s+(?:false|False)\s*-?%\}([\s\S]*?)\{%-?\s*endautoescape\s*-?%\}/g,
  )) {
    for (const use of (block[1] ?? '').matchAll(/\{\{\s*([A-Za-z_]\w*)/g)) out.add(use[1] as string);
  }
  return out;
}
