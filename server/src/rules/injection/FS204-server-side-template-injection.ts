import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { stringPrefix, stringValue } from '../../engine/syntax';
import { builtAtRunTime, shortText, validatedBefore } from '../support/dynamic';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** Calls that compile their argument as a template: callee → keyword of the source, and the engine's name. */
const TEMPLATE_SOURCES: ReadonlyMap<string, { keyword: string; engine: string }> = new Map([
  ['flask.render_template_string', { keyword: 'source', engine: 'Jinja' }],
  ['flask.templating.render_template_string', { keyword: 'source', engine: 'Jinja' }],
  ['flask.stream_template_string', { keyword: 'source', engine: 'Jinja' }],
  ['flask.templating.stream_template_string', { keyword: 'source', engine: 'Jinja' }],
  ['quart.render_template_string', { keyword: 'source', engine: 'Jinja' }],
  ['jinja2.Template', { keyword: 'source', engine: 'Jinja' }],
  ['jinja2.environment.Template', { keyword: 'source', engine: 'Jinja' }],
  ['mako.template.Template', { keyword: 'text', engine: 'Mako' }],
  ['tornado.template.Template', { keyword: 'template_string', engine: 'Tornado' }],
]);
/** The sources the variable fix applies to: calls that take the template's variables as keywords. */
const RENDER_STRING = new Set([
  'flask.render_template_string',
  'flask.templating.render_template_string',
  'flask.stream_template_string',
  'flask.templating.stream_template_string',
  'quart.render_template_string',
]);
const JINJA_ENVIRONMENTS = new Set(['jinja2.Environment', 'jinja2.environment.Environment']);
const SANDBOXES = /(^|\.)(Immutable)?SandboxedEnvironment$/;

export default defineRule({
  meta: {
    id: 'FS204',
    name: 'server-side-template-injection',
    title: 'Template source built from request data (server-side template injection)',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-1336'],
    owasp: ['A03:2021'],
    fix: { title: 'Pass the values as template variables', safety: 'unsafe' },
    docs: {
      summary:
        "Finds request data — query string, form, JSON, headers, cookies, URL parameters, also through variables and helpers of the same file — in the template *source* compiled by `render_template_string`/`stream_template_string`, `jinja2.Template(...)`, `Environment(...).from_string(...)` / `app.jinja_env.from_string(...)`, Mako's `Template(text)` or Tornado's `Template(...)`, whether spliced in with `%`, `.format()`, an f-string or `+`, or assembled in a variable first. Escaping the value for HTML does not help and is still reported. A template source assembled at run time from values that are not request data is reported with medium confidence. Passing the value as a template variable (`render_template_string(\"<h1>{{ name }}</h1>\", name=name)`), constant templates and Jinja's `SandboxedEnvironment` are not reported.",
      why: 'The template engine evaluates `{{ ... }}` (Mako and Tornado: `${...}`, `{% ... %}`) in the source it is given. A value such as `{{ config }}` dumps the secret key, and `{{ cycler.__init__.__globals__.os.popen("id").read() }}` runs commands on the server. HTML escaping leaves the braces intact.',
      example:
        '@app.route("/hello")\ndef hello():\n    name = request.args.get("name", "")\n    return render_template_string("<h1>Hello %s!</h1>" % name)',
      fix: '@app.route("/hello")\ndef hello():\n    name = request.args.get("name", "")\n    # the template is constant; the value is data, autoescaped when rendered\n    return render_template_string("<h1>Hello {{ name }}!</h1>", name=name)',
    },
    references: [
      'https://portswigger.net/web-security/server-side-template-injection',
      'https://cwe.mitre.org/data/definitions/1336.html',
      'https://flask.palletsprojects.com/en/stable/api/#flask.render_template_string',
      'https://jinja.palletsprojects.com/en/stable/sandbox/',
    ],
  },
  // render_template_string, a template built from a string (jinja2, mako, tornado).
  trigger: /template_string|from_string|jinja2|mako|tornado/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const known = TEMPLATE_SOURCES.get(callee);
      let engine: string;
      let source: Node | undefined;
      let certain: boolean;
      if (known) {
        engine = known.engine;
        source = site.args.positional[0] ?? site.args.keywords.get(known.keyword);
        certain = true;
      } else if (site.name === 'from_string' && site.receiver) {
        // Any `x.from_string(...)` with request data; run-time strings only on a known Jinja environment.
        const receiver = environmentOf(ctx, site.receiver);
        if (receiver === 'sandbox') continue;
        engine = 'Jinja';
        source = site.args.positional[0] ?? site.args.keywords.get('source');
        certain = receiver === 'jinja';
      } else {
        continue;
      }
      if (!source) continue;
      const what = `${site.calleeText ?? site.name}()`;
      const advice = `keep the template constant and pass values as variables, e.g. render_template_string("<h1>{{ name }}</h1>", name=name).`;
      const taint = ctx.taint.reaches(source, 'code', site.scope);
      if (taint) {
        if (validatedBefore(ctx, source)) continue;
        ctx.report(
          source,
          `Request data (${taint.label}) becomes part of the template source of ${what}, which ${engine} evaluates on the server: ${advice}`,
          { taint, fix: RENDER_STRING.has(callee) ? templateVariables(site, source) : [] },
        );
        continue;
      }
      if (!certain) continue;
      const part = builtAtRunTime(ctx, source, (n) => isSanitized(ctx, n), { words: true });
      if (!part) continue;
      ctx.report(
        source,
        `A template source built at run time (from \`${shortText(part)}\`) is compiled by ${what}, and ${engine} evaluates whatever template syntax that value holds: ${advice}`,
        { confidence: 'medium', fix: RENDER_STRING.has(callee) ? templateVariables(site, source) : [] },
      );
    }
  },
});

/** Whether a `from_string` receiver is a Jinja environment, a sandboxed one, or unknown. */
function environmentOf(ctx: RuleContext, receiver: Node): 'jinja' | 'sandbox' | 'unknown' {
  const text = receiver.text;
  const built =
    receiver.type === 'call' ? (ctx.file.callAt(receiver)?.callee ?? null) : ctx.file.constructorOf(receiver);
  if (built !== null && SANDBOXES.test(built)) return 'sandbox';
  if (built !== null && JINJA_ENVIRONMENTS.has(built)) return 'jinja';
  if (/(^|\.)jinja_env$/.test(text) || /(^|\.)create_jinja_environment\(\)$/.test(text)) return 'jinja';
  // `def render(env: Environment)`: the annotation says what the parameter holds.
  if (receiver.type === 'identifier') {
    for (const binding of ctx.file.reaching(text, receiver, ctx.file.scopeAt(receiver))) {
      const annotation = binding.kind === 'param' ? binding.node.childForFieldName('type') : null;
      const type = annotation ? ctx.file.imports.resolve(annotation.namedChildren[0] ?? annotation) : null;
      if (type !== null && SANDBOXES.test(type)) return 'sandbox';
      if (type !== null && JINJA_ENVIRONMENTS.has(type)) return 'jinja';
    }
  }
  return 'unknown';
}

function isSanitized(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'identifier') return false;
  const taint = ctx.taint.taintOf(node);
  return taint !== null && taint.sanitized.has('code');
}

// ---------------------------------------------------------------------------------------------------------
// Fix: `render_template_string("<h1>%s</h1>" % name)` → `render_template_string("<h1>{{ name }}</h1>", name=name)`

/** Names a template variable must not take: Jinja keywords and literals, and what Flask puts in every context. */
const RESERVED = new Set([
  'and',
  'or',
  'not',
  'in',
  'is',
  'if',
  'else',
  'elif',
  'for',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
  'block',
  'extends',
  'include',
  'import',
  'from',
  'macro',
  'call',
  'set',
  'with',
  'without',
  'context',
  'filter',
  'raw',
  'loop',
  'self',
  'super',
  'varargs',
  'kwargs',
  'caller',
  'request',
  'session',
  'g',
  'config',
  'url_for',
  'get_flashed_messages',
]);

interface Literal {
  /** Opening delimiter without the `f` prefix (`"`, `r'''`). */
  open: string;
  close: string;
}
type Piece = { raw: string; literal: Literal } | { value: Node };

/**
 * Only for a source written inline in the call as an f-string, `%`, `.format()` with `{}` fields or `+` of
 * literals sharing one quoting style; the values become keyword arguments named after them. Rendering changes
 * in one way: the values are now autoescaped (hence unsafe).
 */
function templateVariables(site: CallSite, source: Node): OffsetEdit[] {
  if (site.args.positional[0]?.id !== source.id || site.args.hasSplat) return [];
  const pieces = piecesOf(source);
  if (!pieces || !pieces.some((p) => 'value' in p)) return [];
  const literals = pieces.flatMap((p) => ('literal' in p ? [p.literal] : []));
  const first = literals[0];
  if (!first || literals.some((l) => l.open !== first.open || l.close !== first.close)) return [];
  const taken = new Set(site.args.keywords.keys());
  const names = new Map<string, string>();
  const keywords: string[] = [];
  let body = '';
  for (const piece of pieces) {
    if ('raw' in piece) {
      body += piece.raw;
      continue;
    }
    const text = piece.value.text;
    let name = names.get(text);
    if (name === undefined) {
      name =
        piece.value.type === 'identifier' && !RESERVED.has(text) && !taken.has(text)
          ? text
          : freshName(taken);
      taken.add(name);
      names.set(text, name);
      keywords.push(`${name}=${text}`);
    }
    body += `{{ ${name} }}`;
  }
  return [replaceNode(source, `${first.open}${body}${first.close}, ${keywords.join(', ')}`)];
}

function freshName(taken: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? 'value' : `value${i}`;
    if (!taken.has(name)) return name;
  }
}

function literalOf(node: Node): Literal | null {
  if (node.type !== 'string') return null;
  const start = node.firstChild;
  const end = node.lastChild;
  if (start?.type !== 'string_start' || end?.type !== 'string_end') return null;
  const prefix = stringPrefix(node);
  if (prefix.includes('b')) return null;
  return { open: start.text.replace(/[fF]/g, ''), close: end.text };
}

/** Raw text between a literal's delimiters, as written. */
function rawContent(node: Node): string {
  const start = node.firstChild;
  const end = node.lastChild;
  return start && end
    ? node.text.slice(start.endIndex - node.startIndex, end.startIndex - node.startIndex)
    : '';
}

function piecesOf(node: Node, depth = 0): Piece[] | null {
  if (depth > 12) return null;
  switch (node.type) {
    case 'parenthesized_expression':
      return node.namedChildren[0] ? piecesOf(node.namedChildren[0], depth + 1) : null;
    case 'string': {
      const literal = literalOf(node);
      if (!literal) return null;
      if (!/f/.test(stringPrefix(node))) return [{ raw: rawContent(node), literal }];
      const out: Piece[] = [];
      for (const child of node.namedChildren) {
        if (child?.type === 'string_content') {
          // `{{` / `}}` in an f-string stand for single braces.
          out.push({ raw: child.text.replace(/\{\{/g, '{').replace(/\}\}/g, '}'), literal });
        } else if (child?.type === 'interpolation') {
          const value = child.namedChildren[0];
          if (!value || child.namedChildren.length > 1) return null; // `{x!r}`, `{x:>8}`
          out.push({ value });
        }
      }
      return out;
    }
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (!left || !right) return null;
      if (operator === '+') {
        const operand = (n: Node): Piece[] | null =>
          ['string', 'binary_operator', 'parenthesized_expression'].includes(n.type)
            ? piecesOf(n, depth + 1)
            : [{ value: n }];
        const a = operand(left);
        const b = operand(right);
        return a && b ? [...a, ...b] : null;
      }
      if (operator !== '%') return null;
      const literal = literalOf(left);
      if (!literal || /f/.test(stringPrefix(left))) return null;
      const values =
        right.type === 'tuple'
          ? right.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment')
          : [right];
      if (right.type === 'dictionary' || values.some((v) => v.type === 'list_splat')) return null;
      const chunks = rawContent(left).replace(/%%/g, '\uE001').split('%s');
      if (chunks.some((c) => c.includes('%')) || chunks.length - 1 !== values.length) return null;
      return zip(
        chunks.map((c) => c.replace(/\uE001/g, '%')),
        values,
        literal,
      );
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
      if (fn?.childForFieldName('attribute')?.text !== 'format' || !receiver) return null;
      const literal = literalOf(receiver);
      if (!literal || /f/.test(stringPrefix(receiver)) || stringValue(receiver) === undefined) return null;
      const args =
        node
          .childForFieldName('arguments')
          ?.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment') ?? [];
      if (args.some((a) => a.type === 'keyword_argument' || a.type.endsWith('splat'))) return null;
      const chunks = rawContent(receiver).replace(/\{\{/g, '\uE001').replace(/\}\}/g, '\uE002').split('{}');
      if (chunks.some((c) => /[{}]/.test(c)) || chunks.length - 1 !== args.length) return null;
      return zip(
        chunks.map((c) => c.replace(/\uE001/g, '{').replace(/\uE002/g, '}')),
        args,
        literal,
      );
    }
    default:
      return null;
  }
}

function zip(chunks: string[], values: Node[], literal: Literal): Piece[] {
  const out: Piece[] = [];
  chunks.forEach((chunk, i) => {
    out.push({ raw: chunk, literal });
    const value = values[i];
    if (value) out.push({ value });
  });
  return out;
}
