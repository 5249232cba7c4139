import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { buildModels } from '../../server/src/engine/analyze';
import type { Scope } from '../../server/src/engine/scopes';
import { TaintAnalyzer } from '../../server/src/engine/taint';
import { engine } from '../helpers/engine';

async function modelsOf(source: string, path = 'app.py') {
  const tree = (await engine()).parser.parse(source);
  assert.ok(tree);
  return { ...buildModels(tree, source, path), dispose: () => tree.delete() };
}

describe('imports and aliases', () => {
  it('qualifies callees through every import form', async () => {
    const m = await modelsOf(
      `import subprocess as sp\nfrom os import system as run_it\nimport os.path\nfrom flask import request as req\nsp.run("x")\nrun_it("y")\nos.path.join("a", "b")\nreq.args.get("q")\n`,
    );
    const callees = m.file.calls.map((c) => c.callee);
    assert.deepEqual(
      callees,
      ['sp.run', 'os.system', 'os.path.join', 'flask.request.args.get'].map((c) =>
        c === 'sp.run' ? 'subprocess.run' : c,
      ),
    );
    m.dispose();
  });

  it("reads a function's own import inside that function only, when the module binds the name too", async () => {
    const m = await modelsOf(
      [
        'from mako.template import Template',
        'import json',
        'def letter(name):',
        '    from string import Template',
        '    import simplejson as json',
        '    def inner():',
        '        return Template("$x"), json.dumps(1)',
        '    return Template("Dear $name"), json.loads("1")',
        'def factory():',
        '    from flask import Flask',
        '    return Flask(__name__)',
        'page = Template("<p>${x}</p>")',
        'data = json.dumps({})',
        'app = Flask(__name__)',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      m.file.calls.map((c) => c.callee),
      [
        'string.Template',
        'simplejson.dumps',
        'string.Template',
        'simplejson.loads',
        'flask.Flask',
        'mako.template.Template',
        'json.dumps',
        // Bound by a function only: it still counts file-wide (factories import Flask inside create_app).
        'flask.Flask',
      ],
    );
    assert.equal(m.file.imports.qualify('Template'), 'mako.template.Template');
    m.dispose();
  });
});

describe('unpacking assignments', () => {
  it('binds each name to its own element, and to the whole value when the shapes differ', async () => {
    const source = `from flask import request
def view():
    user, pw = request.form["user"], request.form["pw"]
    (a, [b, c]) = "x", ("y", request.args["z"])
    first, *rest = "p", request.args["q"]
    left, right = pair()
    left2, right2 = right, left
    return sink(user, pw, a, b, c, first, rest, left, right, left2, right2)
`;
    const m = await modelsOf(source);
    const sink = m.file.callsNamed('sink')[0];
    assert.ok(sink);
    const resolved = sink.args.positional.map((arg) => m.file.resolveValue(arg, sink.scope).text);
    assert.deepEqual(resolved, [
      'request.form["user"]',
      'request.form["pw"]',
      '"x"',
      '"y"',
      'request.args["z"]',
      '"p", request.args["q"]', // a starred target takes the whole value
      '"p", request.args["q"]',
      'pair()',
      'pair()',
      'pair()', // swapped names still reach the call they came from
      'pair()',
    ]);
    const taint = new TaintAnalyzer(m.file, () => new Map());
    const tainted = sink.args.positional.map((arg) => taint.taintOf(arg, sink.scope) !== null);
    assert.deepEqual(tainted, [true, true, false, false, true, true, true, false, false, false, false]);
    m.dispose();
  });
});

describe('taint', () => {
  const source = `from flask import Flask, request
import shlex
app = Flask(__name__)

@app.route("/u/<name>/<int:uid>")
def view(name, uid):
    q = request.args.get("q")
    clean = int(request.args["n"])
    quoted = shlex.quote(q)
    parts = []
    parts.append(q)
    label = "x"
    if q:
        label = q
    reset = q
    reset = "constant"
    return sink(q, clean, quoted, parts, label, reset, name, uid, f"{q}!", "%s" % q, "".join(parts), {"k": q})
`;

  it('follows sources, sanitizers, containers, branches and reassignment', async () => {
    const m = await modelsOf(source);
    const taint = new TaintAnalyzer(
      m.file,
      (scope) => m.flask.routesOf(scope)[0]?.urlParameters ?? new Map(),
    );
    const sink = m.file.callsNamed('sink')[0];
    assert.ok(sink);
    const args = sink.args.positional;
    const verdict = args.map((a) => {
      const t = taint.taintOf(a, sink.scope);
      if (!t) return 'clean';
      return t.sanitized.size > 0 ? `sanitized:${[...t.sanitized].join('+')}` : 'tainted';
    });
    assert.deepEqual(verdict, [
      'tainted', // q
      'clean', // int(...)
      'sanitized:command', // shlex.quote
      'tainted', // list mutated with tainted data
      'tainted', // assigned in one branch
      'clean', // reassigned a constant afterwards
      'tainted', // <name> URL parameter
      'sanitized:sql+command+path+html+url+code+header+ldap+xpath+regex+log+value', // <int:uid>
      'tainted', // f-string
      'tainted', // % formatting
      'tainted', // join of tainted list
      'tainted', // dict literal
    ]);
    m.dispose();
  });
});

describe('flask model', () => {
  it('finds apps, blueprints, routes with methods and URL parameters, guards and config writes', async () => {
    const m = await modelsOf(`import flask
from flask import Blueprint
app = flask.Flask(__name__)
bp = Blueprint("bp", __name__)
app.config["SECRET_KEY"] = "x"
app.config.update(DEBUG=True, TESTING=False)
app.config.from_mapping({"WTF_CSRF_ENABLED": False})
app.secret_key = "y"

@bp.before_request
def guard():
    if "user" not in flask.session:
        flask.abort(401)

@bp.route("/items/<int:item_id>/<path:rest>", methods=["GET", "POST"])
def item(item_id, rest):
    pass

@app.delete("/x")
def remove():
    pass
`);
    assert.deepEqual([...m.flask.appNames], ['app']);
    assert.deepEqual([...m.flask.blueprintNames], ['bp']);
    assert.deepEqual(
      m.flask.routes.map((r) => [r.owner, r.rule, r.methods, [...r.urlParameters]]),
      [
        [
          'bp',
          '/items/<int:item_id>/<path:rest>',
          ['GET', 'POST'],
          [
            ['item_id', false],
            ['rest', true],
          ],
        ],
        ['app', '/x', ['DELETE'], []],
      ],
    );
    // A blueprint this file creates is keyed with its name, so that another file's `bp` is not covered.
    assert.deepEqual([...m.flask.guardedOwners], ['bp#bp']);
    assert.deepEqual(m.flask.configWrites.map((w) => `${w.key}:${w.via}`).sort(), [
      'DEBUG:update',
      'SECRET_KEY:attribute',
      'SECRET_KEY:subscript',
      'TESTING:update',
      'WTF_CSRF_ENABLED:update',
    ]);
    m.dispose();
  });

  it("routes a class-based view's HTTP methods and dispatch_request, not other methods", async () => {
    // A method named like an Object.prototype member (`constructor`, `toString`) once read the prototype's
    // function as an HTTP verb.
    const m = await modelsOf(`from flask import Flask
from flask.views import MethodView, View
app = Flask(__name__)

class Items(MethodView):
    def get(self):
        return "items"

    def post(self):
        return "created"

    def constructor(self):
        return "not a route"

    def toString(self):
        return "not a route"

class Report(View):
    def dispatch_request(self):
        return "report"

app.add_url_rule("/items", view_func=Items.as_view("items"))
app.add_url_rule("/report", view_func=Report.as_view("report"), methods=["GET", "POST"])
`);
    assert.deepEqual(
      m.flask.routes.map((r) => [r.rule, r.view.name, r.methods]),
      [
        ['/items', 'get', ['GET']],
        ['/items', 'post', ['POST']],
        ['/report', 'dispatch_request', ['GET', 'POST']],
      ],
    );
    m.dispose();
  });
});

describe('scopes', () => {
  /** The scope a node is in, by walking up the tree: what FileModel.scopeAt finds by offsets. */
  function scopeByWalkingUp(scopes: readonly Scope[], node: Node): Scope | undefined {
    for (let current = node.parent; current; current = current.parent) {
      const scope = scopes.find((s) => s.node.id === current?.id);
      if (scope) return scope;
    }
    return scopes.find((s) => s.kind === 'module');
  }

  it('finds the scope of every node, at the edges of definitions too', async () => {
    const source = [
      'def first(a, b=lambda: 1):', // a definition at offset 0
      '    def inner(c=[x for x in a]):',
      '        return c',
      '    return inner',
      '@app.route("/")',
      '@login_required',
      'def view():',
      '    class Form(Base, metaclass=Meta):',
      '        name = "x"',
      '        def validate(self): pass',
      '    return Form()',
      'class Empty: pass',
      'x = first(1)',
      'def last(): return x',
      'def broken():',
      '    return first(1', // ends the file inside the definition with a zero-width MISSING ")"
    ].join('\n');
    const m = await modelsOf(source);
    const nodes: Node[] = [];
    const visit = (node: Node) => {
      nodes.push(node);
      for (const child of node.children) if (child) visit(child);
    };
    visit(m.file.tree.rootNode);
    assert.ok(nodes.length > 100, `${nodes.length} nodes`);
    for (const node of nodes) {
      assert.equal(
        m.file.scopeAt(node),
        scopeByWalkingUp(m.file.scopes, node),
        `${node.type} at ${node.startIndex}: ${node.text.slice(0, 30)}`,
      );
    }
    m.dispose();
  });
});
