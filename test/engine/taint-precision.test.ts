import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModels } from '../../server/src/engine/analyze';
import { TaintAnalyzer } from '../../server/src/engine/taint';
import { engine } from '../helpers/engine';

/**
 * Each `sink(...)` call is preceded by `# tainted` or `# clean`: what the analysis must say about its
 * argument. The cases are the ways real handlers (and security benchmarks) move a request value around
 * before using it: constant branches, containers holding safe and unsafe values side by side, helpers and
 * methods that pass a value through or replace it.
 */
const SOURCE = `import configparser
from flask import Flask, request

app = Flask(__name__)


def passthrough(value):
    return value


def replaced(value):
    num = 106
    bar = "This_should_always_happen" if (7 * 18) + num > 200 else value
    return bar


def taken(value):
    num = 196
    bar = "This_should_never_happen" if (7 * 42) - num > 200 else value
    return bar


def sanitized(value):
    import html
    return html.escape(value)


def lookup(term):
    # tainted
    sink(term)


def only_constants(term):
    # clean
    sink(term)


class Worker:
    def keep(self, param):
        bar = param
        return bar

    def drop(self, param):
        return "constant"

    def via_self(self, param):
        return self.keep(param)


@app.route("/a", methods=["POST"])
def handler():
    param = request.form.get("p", "")
    lookup(param)
    only_constants("fixed")
    # tainted
    sink(passthrough(param))
    # clean
    sink(passthrough("a constant"))
    # clean
    sink(replaced(param))
    # tainted
    sink(taken(param))
    # tainted
    sink(Worker().keep(param))
    # clean
    sink(Worker().drop(param))
    worker = Worker()
    # tainted
    sink(worker.via_self(param))

    num = 196
    if (500 / 42) + num > 200:
        bar = param
    else:
        bar = "This should never happen"
    # tainted
    sink(bar)

    if (500 / 42) + num > 200:
        safe = "This_should_always_happen"
    else:
        safe = param
    # clean
    sink(safe)

    overwritten = param
    if 7 * 42 > 200:
        overwritten = "always"
    # clean
    sink(overwritten)

    guess = "ABC"
    target = guess[1]
    if target == "A":
        picked = param
    elif target == "B":
        picked = "bob"
    else:
        picked = param
    # clean
    sink(picked)

    match guess[1]:
        case "A":
            matched = param
        case "B":
            matched = "bob"
        case _:
            matched = param
    # clean
    sink(matched)

    match guess[0]:
        case "B" | "C":
            second = "bob"
        case _:
            second = param
    # tainted
    sink(second)

    values = {}
    values["keyA"] = "a-Value"
    values["keyB"] = param
    # clean
    sink(values["keyA"])
    # tainted
    sink(values["keyB"])
    # clean
    sink(values.get("keyA"))
    # tainted
    sink(values.get("keyB"))

    literal = {"safe": "x", "unsafe": param}
    # clean
    sink(literal["safe"])
    # tainted
    sink(literal["unsafe"])

    items = ["safe", param, "moresafe"]
    # clean
    sink(items[2])
    # tainted
    sink(items[1])
    # tainted
    sink(items[-2])

    lst = []
    lst.append("safe")
    lst.append(param)
    lst.append("moresafe")
    lst.pop(0)
    # clean
    sink(lst[1])
    # tainted
    sink(lst[0])

    conf = configparser.ConfigParser()
    conf.add_section("section")
    conf.set("section", "keyA", "a_Value")
    conf.set("section", "keyB", param)
    # clean
    sink(conf.get("section", "keyA"))
    # tainted
    sink(conf.get("section", "keyB"))
    # clean
    sink(conf["section"]["keyA"])
    # tainted
    sink(conf["section"]["keyB"])

    kept = ["safe", param, "moresafe"]
    kept.remove("safe")
    # clean
    sink(kept[1])
    # tainted
    sink(kept[0])

    pair = [param, "b"]
    # tainted
    sink("%s and %s" % (pair[0], pair[1]))
    # clean
    sink("%s" % pair[1])

    key = request.args.get("k")
    # tainted
    sink(values[key])

    counter = 0
    while counter < 3:
        if counter > 1:
            late = param
        else:
            late = "x"
        counter = counter + 1
    # tainted
    sink(late)
    return "ok"
`;

describe('taint precision', () => {
  it('follows constant branches, keyed containers, and same-file helpers and methods', async () => {
    const tree = (await engine()).parser.parse(SOURCE);
    assert.ok(tree);
    const { file, flask } = buildModels(tree, SOURCE, 'app.py');
    const taint = new TaintAnalyzer(file, (scope) => flask.routesOf(scope)[0]?.urlParameters ?? new Map());
    const lines = SOURCE.split('\n');
    const mismatches: string[] = [];
    let checked = 0;
    for (const site of file.callsNamed('sink')) {
      const row = site.node.startPosition.row;
      const expected = /#\s*(tainted|clean)/.exec(lines[row - 1] ?? '')?.[1];
      assert.ok(expected, `no expectation above line ${row + 1}`);
      const got = taint.taintOf(site.args.positional[0] ?? null, site.scope) ? 'tainted' : 'clean';
      checked++;
      if (got !== expected)
        mismatches.push(`line ${row + 1}: ${lines[row]?.trim()} is ${got}, expected ${expected}`);
    }
    tree.delete();
    assert.ok(checked >= 25, `only ${checked} cases checked`);
    assert.deepEqual(mismatches, []);
  });

  it('summarises recursive helpers: their request data reaches the sink, and no rule gives up', async () => {
    // A summary is computed by fresh analyzers: a helper that calls itself, or one that calls it back, was
    // summarised again inside its own summary until the stack ran out, and the rule skipped the file.
    const text = [
      'import os',
      'from flask import request',
      '',
      'def unwrap(value, depth):',
      '    if depth:',
      '        return unwrap(value, depth - 1)',
      '    return request.args["cmd"]',
      '',
      'def ping(n):',
      '    return pong(n)',
      '',
      'def pong(n):',
      '    if n:',
      '        return ping(n - 1)',
      '    return request.form["host"]',
      '',
      '@app.route("/run")',
      'def run():',
      '    os.system(unwrap("x", 3))',
      '    os.system("ping " + ping(2))',
      '    return "ok"',
      '',
    ].join('\n');
    const { findings, notes } = (await engine()).analyzeText(text, 'app.py', { select: ['FS202'] });
    assert.deepEqual(notes, []);
    assert.deepEqual(
      findings.map((f) => f.range.start.line + 1),
      [19, 20],
    );
  });
});
