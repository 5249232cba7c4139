import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const app = (setting: string) => `from flask import Flask, render_template, request
from jinja2 import select_autoescape

app = Flask(__name__)
app.jinja_env.autoescape = ${setting}


@app.route("/profile")
def profile():
    return render_template("profile.jinja", name=request.args.get("name"))
`;

const fs304Lines = async (setting: string) =>
  (await engine())
    .analyzeText(app(setting), 'app.py')
    .findings.filter((f) => f.ruleId === 'FS304')
    .map((f) => f.range.start.line);

describe('FS304 with jinja_env.autoescape set to select_autoescape(...)', () => {
  it('still reports a template whose extension the list leaves out', async () => {
    assert.deepEqual(await fs304Lines('select_autoescape(["html", "xml"])'), [9]);
    assert.deepEqual(await fs304Lines('select_autoescape()'), [9]);
  });

  it('is silent when the list names the extension, default=True escapes the rest, or autoescape is True', async () => {
    assert.deepEqual(await fs304Lines('select_autoescape(["html", "jinja"])'), []);
    assert.deepEqual(await fs304Lines('select_autoescape(["html"], default=True)'), []);
    assert.deepEqual(await fs304Lines('True'), []);
  });
});
