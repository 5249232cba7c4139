import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModels } from '../../server/src/engine/analyze';
import { engine } from '../helpers/engine';

/**
 * Python names are looked up in the engine's tables (sanitizers, HTTP verbs, config attributes, parts of the
 * request, mail classes). Tables written as object literals answered a name such as `constructor` or
 * `toString` with Object.prototype's member: a helper imported as `constructor` made FS201 crash on the
 * file (its SQL injection went unreported), and logging `request.toString` crashed FS410.
 */
const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__proto__',
  '__defineGetter__',
  '__lookupSetter__',
];

/** A Flask module that uses `name` wherever the engine looks a name up. */
function moduleUsing(name: string): string {
  return `import random
import sqlite3

from flask import Flask, request
from flask.views import MethodView
from flask_mail import Message

from helpers import ${name}

app = Flask(__name__)
app.${name} = "not a config key"


@app.${name}("/odd")
def odd():
    return "not a route"


class Items(MethodView):
    def ${name}(self):
        return "not a route either"


app.add_url_rule("/items", view_func=Items.as_view("items"))


@app.route("/q")
def q():
    value = ${name}(request.args["q"])
    token = random.${name}(32)
    app.logger.info("request %s %s", request.${name}, request.${name}())
    msg = Message("hi", recipients=["a@example.com"])
    msg.${name} = request.args["body"]
    con = sqlite3.connect("db")
    return str(con.execute("SELECT * FROM t WHERE id = " + value).fetchall()) + str(token)
`;
}

describe('names of Object.prototype members in the analysed code', () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`runs every rule on a module that uses ${name}, and still finds the injection`, async () => {
      const e = await engine();
      const source = moduleUsing(name);
      const { findings, notes } = e.analyzeText(source, 'app.py');
      assert.deepEqual(
        notes.filter((n) => n.kind === 'skipped').map((n) => n.message),
        [],
        'no rule fails',
      );
      assert.ok(
        findings.some((f) => f.ruleId === 'FS201'),
        `${name}(...) is no sanitizer: the SQL built from its result is reported`,
      );
      const tree = e.parser.parse(source);
      assert.ok(tree);
      try {
        const { flask } = buildModels(tree, source, 'app.py');
        assert.deepEqual(
          flask.routes.map((r) => r.rule),
          ['/q'],
          `neither @app.${name} nor Items.${name} is a route`,
        );
        assert.deepEqual(
          flask.configWrites.map((w) => w.key),
          [],
          `app.${name} = ... is no config write`,
        );
      } finally {
        tree.delete();
      }
    });
  }
});
