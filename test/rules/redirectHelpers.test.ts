import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

// A whole module: whether a same-file helper validates what it returns depends on what else the file holds.
const SOURCE = `from urllib.parse import urlsplit
from flask import Flask, redirect, request, url_for
app = Flask(__name__)

def safe_next_url(target):
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/") or target.startswith("//") or "\\\\" in target:
        return url_for("home")
    return target

@app.post("/locale")
def set_locale():
    return redirect(safe_next_url(request.form.get("next")))
`;

describe('FS701 and a validating helper around the target', () => {
  it('takes redirect(safe_next_url(request...)) as checked', async () => {
    const findings = (await engine())
      .analyzeText(SOURCE, 'app.py')
      .findings.filter((f) => f.ruleId === 'FS701');
    assert.deepEqual(findings, []);
  });

  it('still reports a helper that checks nothing', async () => {
    const unchecked = SOURCE.replace(/ {4}if parts[^\n]*\n {8}return url_for\("home"\)\n/, '');
    assert.notEqual(unchecked, SOURCE);
    const findings = (await engine())
      .analyzeText(unchecked, 'app.py')
      .findings.filter((f) => f.ruleId === 'FS701');
    assert.equal(findings.length, 1);
  });
});
