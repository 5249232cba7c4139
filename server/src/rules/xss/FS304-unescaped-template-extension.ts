import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { stringValue } from '../../engine/syntax';
import { destinations } from '../support/crypto';
import { channelOfCall, messagePartOf, partOfArgument, partOfName } from '../support/mail';
import {
  contentTypeInHeaders,
  contentTypeValue,
  isHtmlView,
  isMarkupCall,
  responseContentType,
  responseKind,
  unwrap,
} from '../support/xss';
import { defineRule } from '../rule';

const RENDERERS = new Set([
  'flask.render_template',
  'flask.templating.render_template',
  'flask.stream_template',
  'flask.templating.stream_template',
  'quart.render_template',
  'quart.templating.render_template',
  'quart.stream_template',
]);

/** What Flask's `select_jinja_autoescape` escapes (`.svg` since Flask 2.3). */
const AUTOESCAPED = new Set(['html', 'htm', 'xml', 'xhtml', 'svg']);

/** Calls that turn their text argument into HTML: Markdown renderers and Markup. */
const TO_HTML =
  /^(markdown(\.markdown|\.Markdown\.convert)?|mistune\.(html|markdown)|markdown2\.markdown|commonmark\.commonmark|cmarkgfm\.\w+|flask_misaka\.markdown|misaka\.html)$/;

/** Where a rendered template ends up: served or mailed as HTML, used as plain text, or not known. */
type Use = 'html' | 'text' | 'unknown';

export default defineRule({
  meta: {
    id: 'FS304',
    name: 'unescaped-template-extension',
    title: 'Template rendered without autoescaping because of its file extension',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-79'],
    owasp: ['A03:2021'],
    docs: {
      summary:
        'Finds `render_template(...)`/`stream_template(...)` calls (Flask, Quart) whose template name is a constant that does not end in `.html`, `.htm`, `.xml`, `.xhtml` or `.svg` — `.txt`, `.j2`, `.jinja`, `.jinja2`, `.html.j2`, `.tmpl`, `.md`, no extension — and that pass variables (keyword arguments or `**context`), when the result is returned from a view, wrapped in an HTML response, used as the HTML part of an e-mail or turned into HTML by a Markdown renderer (or where it goes is not known, with low confidence). Values from the request make the finding high-confidence. Plain-text uses are not reported: `render_template("email/reset.txt", ...)` as `msg.body`/`text_body=`, or a `Response(..., mimetype="text/plain")`. Nothing is reported when the app overrides `select_jinja_autoescape`, or sets `jinja_env.autoescape = True` or `autoescape: True` in `jinja_options`, in any file of the scan (`jinja_env.autoescape = select_autoescape([...])` covers only the extensions it lists). `render_template_string` is FS204\'s and FS303\'s.',
      why: 'Flask turns Jinja autoescaping on only for templates whose name ends in one of a few extensions. A template called `profile.j2` or `notes.txt` gets every `{{ value }}` inserted raw, and a view returning it is served as text/html, so a display name or comment containing `<script>` runs in the browsers of everyone who views the page (stored or reflected XSS) — although the template looks exactly like the escaped ones next to it.',
      example:
        '@app.route("/notes/<int:note_id>")\ndef show_note(note_id):\n    note = Note.query.get_or_404(note_id)\n    return render_template("note.txt", body=note.body)',
      fix: '@app.route("/notes/<int:note_id>")\ndef show_note(note_id):\n    note = Note.query.get_or_404(note_id)\n    return render_template("note.html", body=note.body)  # .html: autoescaped\n\n# or keep the name and escape it anyway\nclass App(Flask):\n    def select_jinja_autoescape(self, filename):\n        return filename is None or filename.endswith((".j2", ".txt")) or super().select_jinja_autoescape(filename)',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/templating/#jinja-setup',
      'https://flask.palletsprojects.com/en/stable/api/#flask.Flask.select_jinja_autoescape',
      'https://jinja.palletsprojects.com/en/stable/api/#autoescaping',
      'https://cwe.mitre.org/data/definitions/79.html',
    ],
  },
  trigger: /render_template|stream_template/,
  check(ctx: RuleContext) {
    if (ctx.workspace.appSettings.has('autoescape')) return;
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node) || !isRenderer(ctx, site)) continue;
      const names = templateNames(
        ctx,
        site.args.positional[0] ?? site.args.keywords.get('template_name_or_list'),
      );
      const unescaped = names.find(
        (name) =>
          !AUTOESCAPED.has(extensionOf(name)) &&
          !ctx.workspace.appSettings.has(`autoescape:${extensionOf(name)}`),
      );
      if (unescaped === undefined) continue;
      const passed = passedValues(site);
      if (passed.length === 0) continue;
      const use = useOf(ctx, site.node, 1);
      if (use === 'text') continue;
      const taint = firstTaint(ctx, passed, site.scope);
      const where = use === 'html' ? 'reach the HTML unescaped' : 'are not escaped';
      const source = taint ? ` (${taint.label} among them)` : '';
      ctx.report(
        site.node,
        `"${unescaped}" is not autoescaped (Flask escapes only .html, .htm, .xml, .xhtml and .svg templates), so the values passed to it ${where}${source}: give the template an .html name, or enable autoescaping for it in select_jinja_autoescape.`,
        { confidence: use === 'unknown' ? 'low' : taint ? 'high' : 'medium', taint },
      );
    }
  },
});

function isRenderer(ctx: RuleContext, site: CallSite): boolean {
  if (site.callee && RENDERERS.has(site.callee)) return true;
  // `from flask import *`
  return (
    ctx.flask.usesFlask &&
    site.receiver === null &&
    ['render_template', 'stream_template'].includes(site.name) &&
    !ctx.file.imports.isImportedName(site.name) &&
    ctx.file.functionsNamed(site.name).length === 0
  );
}

/** Constant template names: `"x.txt"`, a name assigned once, or a list of candidates. */
function templateNames(ctx: RuleContext, node: Node | undefined): string[] {
  if (!node) return [];
  const value = ctx.file.resolveValue(unwrap(node));
  if (value.type === 'list' || value.type === 'tuple') {
    const names = value.namedChildren.map((item) => stringValue(item ?? null));
    return names.every((n): n is string => n !== undefined) ? names : [];
  }
  const name = stringValue(value);
  return name === undefined ? [] : [name];
}

/** `notes.txt` → txt, `page.html.j2` → j2, `emails/welcome` → '' (the suffix select_jinja_autoescape tests). */
function extensionOf(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1);
}

/** Keyword values and `**context` splats: what the template can print. */
function passedValues(site: CallSite): Node[] {
  const out = [...site.args.keywords].filter(([name]) => name !== 'template_name_or_list').map(([, v]) => v);
  for (const arg of site.args.list?.namedChildren ?? []) {
    if (arg?.type === 'dictionary_splat') out.push(arg.namedChildren[0] ?? arg);
  }
  return out;
}

function firstTaint(ctx: RuleContext, values: Node[], scope: Scope): Taint | null {
  for (const value of values) {
    const taint = ctx.taint.reaches(value, 'html', scope);
    if (taint) return taint;
  }
  return null;
}

/**
 * Where the rendered text goes. Strong evidence (a view's return value, a response and its content type,
 * an e-mail part, a Markdown renderer) wins over names (`html = render_template(...)`, `text_body = ...`);
 * HTML anywhere wins over plain text.
 */
function useOf(ctx: RuleContext, call: Node, budget: number): Use {
  const strong = new Set<Use>();
  const named = new Set<Use>();
  let keyword: string | null = null;
  // Once the text is inside a response, an e-mail or a Markdown renderer, that call decides what it is: the
  // view returning the response does not make it HTML again.
  let decided = false;
  for (const d of destinations(ctx, call, 3)) {
    if (decided && d.kind !== 'argument') continue;
    switch (d.kind) {
      case 'keyword':
        if (!d.name.includes('.')) keyword = d.name;
        break;
      case 'key':
        named.add(partOfName(d.name));
        break;
      case 'target': {
        // `msg.html = render_template(...)` on a message object; `html = ...` / `text_body = ...` by name.
        const attribute = messagePartOf(ctx, d.node);
        if (attribute) strong.add(attribute);
        else named.add(partOfName(d.name));
        keyword = null;
        break;
      }
      case 'return': {
        const fn = ctx.file.scopeAt(d.node);
        if (fn.kind !== 'function') break;
        if (isHtmlView(ctx, fn)) strong.add(tupleContentType(ctx, d.node) === 'other' ? 'text' : 'html');
        else if (ctx.flask.routesOf(fn).length > 0) strong.add('text');
        else if (budget > 0) {
          // A helper that returns the rendered text: what its callers in this file do with it.
          for (const caller of ctx.file.callsNamed(fn.name)) {
            if (ctx.taint.callsSameFileFunction(caller)) strong.add(useOf(ctx, caller.node, budget - 1));
          }
        }
        break;
      }
      case 'argument': {
        const site = d.call;
        if (!site) break;
        const index = d.index ?? -1;
        const name = index < 0 ? keyword : null;
        keyword = null;
        if (decided) break;
        const response = responseKind(ctx, site);
        if (response) strong.add(responseContentType(ctx, site, response) === 'other' ? 'text' : 'html');
        else if (TO_HTML.test(site.callee ?? '') || isMarkupCall(ctx, site.node)) strong.add('html');
        else if (channelOfCall(site)) strong.add(partOfArgument(ctx, site, name, index));
        else break;
        decided = true;
        break;
      }
    }
  }
  for (const uses of [strong, named]) {
    if (uses.has('html')) return 'html';
    if (uses.has('text')) return 'text';
  }
  return 'unknown';
}

/** `return body, 200, {"Content-Type": "text/csv"}`: the content type of a view's tuple return. */
function tupleContentType(ctx: RuleContext, statement: Node): 'html' | 'other' | 'unknown' {
  const value = statement.namedChildren[0] ? unwrap(statement.namedChildren[0]) : null;
  if (value?.type !== 'expression_list' && value?.type !== 'tuple') return 'html';
  for (const item of value.namedChildren.slice(1)) {
    const declared = contentTypeInHeaders(ctx, item);
    if (declared) return contentTypeValue(ctx, declared);
  }
  return 'html';
}
