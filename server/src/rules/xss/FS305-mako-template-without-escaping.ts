import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';
import { addArgument } from '../support/edits';
import { splatKeywords } from '../support/values';
import { defineRule } from '../rule';

const MAKO_TEMPLATES = /^mako\.template\.Template$/;
const MAKO_LOOKUPS = /^mako\.lookup\.TemplateLookup$/;
/** Mako filters that escape for HTML (or XML): `h` (markupsafe), `x`, and the `escape` of Pylons-era setups. */
const ESCAPING_FILTERS = /^(h|x|escape|html_escape|markupsafe\.escape)$/;
/** Templates that produce no HTML: text mail, CSV, configuration, SQL, shell. */
const TEXT_FILE = /\.(txt|text|csv|tsv|conf|cfg|ini|sh|sql|md|eml|json|ya?ml|toml|j2\.txt)$/i;

/** Template folders of text output: deployment and server configuration, plain-text mail, SMS. */
const TEXT_DIRECTORY =
  /(^|[^a-z])(conf|config|configs|deploy|deployment|nginx|systemd|supervisor|text|txt|plain|sms|sql)([^a-z]|$)/i;

export default defineRule({
  meta: {
    id: 'FS305',
    name: 'mako-template-without-escaping',
    title: 'Mako template renders ${...} without HTML escaping',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-79', 'CWE-116'],
    owasp: ['A03:2021'],
    fix: { title: "Escape every expression (default_filters=['h'])", safety: 'unsafe' },
    docs: {
      summary:
        'Finds Mako templates and template lookups that leave `${...}` unescaped: `mako.template.Template(...)` and `mako.lookup.TemplateLookup(...)` (under any import name) without `default_filters` or with a list that has no escaping filter (`h`, `x`, or an imported `escape`); a template whose own source turns escaping off for an expression (`${value | n}`) is reported even with `default_filters=[\'h\']`. Templates whose source has no HTML markup or no `${...}` (nor Mako code) at all, or whose file name is a text format (`.txt`, `.csv`, `.eml`, `.conf`...) are not reported, nor sources that set `<%page expression_filter="h"/>`, nor `default_filters` given as a name this file does not set.',
      why: 'Unlike Jinja in Flask, Mako escapes nothing unless told: its default filter only turns values into strings. Every `${name}` then puts the value into the page as HTML, and a value an attacker influences (a name, a comment, a query parameter) runs as script in the browsers of the users who see it (XSS). Bandit reports Mako templates (B702) for this reason.',
      example:
        'from mako.template import Template\n\nPAGE = Template("<h1>Hello ${name}</h1>")\nreturn PAGE.render(name=request.args["name"])',
      fix: 'from mako.template import Template\n\nPAGE = Template("<h1>Hello ${name}</h1>", default_filters=[\'h\'])\nreturn PAGE.render(name=request.args["name"])',
    },
    references: [
      'https://docs.makotemplates.org/en/latest/filtering.html#the-default-filters-argument',
      'https://bandit.readthedocs.io/en/latest/plugins/b702_use_of_mako_templates.html',
      'https://cwe.mitre.org/data/definitions/79.html',
    ],
  },
  trigger: /mako/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const template = MAKO_TEMPLATES.test(callee);
      if (!template && !MAKO_LOOKUPS.test(callee)) continue;
      const what = `${site.calleeText ?? (template ? 'Template' : 'TemplateLookup')}()`;
      // The template's text (first argument or `text=`), and its value when it is a literal.
      const text = template ? (site.args.positional[0] ?? site.args.keywords.get('text')) : undefined;
      // A template whose source the client writes is server-side template injection (FS204), not this.
      if (text && ctx.taint.reaches(text, 'code')) continue;
      const source = text ? stringValue(ctx.file.resolveValue(text)) : undefined;
      // ${value | n} turns escaping off for that expression, whatever the defaults.
      if (source !== undefined && /\$\{[^}]*\|\s*([\w.]+\s*,\s*)*n\s*(,[^}]*)?\}/.test(source)) {
        ctx.report(
          site.node,
          `${what} has an expression with the n filter (\${... | n}), which turns HTML escaping off for it: drop | n, or escape the value yourself where it is built.`,
        );
        continue;
      }
      // default_filters=, or in a **dict literal of this file; another ** may set it: not judged.
      const filters =
        site.args.keywords.get('default_filters') ?? splatKeywords(ctx, site)?.get('default_filters');
      if (!filters && site.args.hasSplat && splatKeywords(ctx, site) === null) continue;
      if (filters && ctx.file.resolveValue(filters).type === 'none') {
        ctx.report(
          filters.parent ?? filters,
          `${what} sets default_filters=None, which is Mako's default: nothing is escaped, so every \${...} goes into the page as raw HTML (XSS). Pass default_filters=['h'].`,
        );
        continue;
      }
      if (filters) {
        const names = filterNames(ctx, filters);
        if (!names || names.some((name) => ESCAPING_FILTERS.test(name))) continue;
        ctx.report(
          filters.parent ?? filters,
          `${what} sets default_filters without an escaping filter: every \${...} goes into the page as raw HTML (XSS). Add 'h' to the list.`,
        );
        continue;
      }
      if (template ? producesText(ctx, site, source) : servesText(ctx, site)) continue;
      ctx.report(
        site.node,
        `${what} has no default_filters: Mako escapes nothing by default, so every \${...} goes into the page as raw HTML and a value an attacker influences runs as script (XSS). Pass default_filters=['h'].`,
        {
          fix:
            site.args.list && !site.args.hasSplat
              ? [addArgument(ctx, site.args.list, "default_filters=['h']")]
              : [],
        },
      );
    }
  },
});

/**
 * A template that puts nothing unescaped into HTML: a literal source with no markup or no expression, or a
 * file with a text extension.
 */
function producesText(ctx: RuleContext, site: CallSite, source: string | undefined): boolean {
  if (source !== undefined) {
    if (/<%page[^>]*expression_filter\s*=\s*["'][^"']*\bh\b/.test(source)) return true;
    // Every expression escaped by hand: ${agent | h}
    const expressions = source.match(/\$\{[^}]*\}/g) ?? [];
    // Nothing to escape: no expression, no Python block, no include or inheritance that could bring one.
    if (expressions.length === 0 && !/<%|%>|^\s*%/m.test(source)) return true;
    if (
      expressions.length > 0 &&
      expressions.every((e) => /\|\s*([\w.]+\s*,\s*)*(h|x)\s*(,[^}]*)?\}$/.test(e))
    )
      return true;
    return !/<\/?[a-zA-Z][^>]*>/.test(source);
  }
  const file = site.args.keywords.get('filename') ?? site.args.keywords.get('uri');
  const name = file ? stringValue(ctx.file.resolveValue(file)) : undefined;
  return name !== undefined && TEXT_FILE.test(name);
}

/** A lookup over directories whose names say they hold text templates (configuration, mail text). */
function servesText(ctx: RuleContext, site: CallSite): boolean {
  const directories = site.args.keywords.get('directories') ?? site.args.positional[0];
  if (!directories) return false;
  const value = ctx.file.resolveValue(directories);
  const texts = value.type === 'list' || value.type === 'tuple' ? value.namedChildren : [value];
  const names = texts.map((t) => (t ? (stringValue(ctx.file.resolveValue(t)) ?? t.text) : ''));
  return names.length > 0 && names.every((name) => TEXT_DIRECTORY.test(name));
}

/** The filter names of a list or tuple literal (through a constant), or null when not known. */
function filterNames(ctx: RuleContext, node: Node): string[] | null {
  const value = ctx.file.resolveValue(node);
  if (value.type !== 'list' && value.type !== 'tuple') return null;
  const names: string[] = [];
  for (const element of value.namedChildren) {
    if (!element) continue;
    const name = stringValue(element);
    if (name === undefined) return null;
    names.push(name.trim());
  }
  return names;
}
