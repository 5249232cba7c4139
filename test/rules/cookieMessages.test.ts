import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const messagesFor = async (source: string, rule: string) =>
  (await engine())
    .analyzeText(source, 'app.py')
    .findings.filter((f) => f.ruleId === rule)
    .map((f) => f.message);

describe('cookie rules: the cookie a Set-Cookie header sets is named in the message', () => {
  it('reads the name of an f-string header after its prefix and quote', async () => {
    const source = `from flask import Flask, make_response
import secrets

app = Flask(__name__)


@app.post("/login")
def login():
    resp = make_response("ok")
    resp.headers["Set-Cookie"] = f"session_id={secrets.token_hex(16)}; Path=/"
    return resp
`;
    const [message] = await messagesFor(source, 'FS105');
    assert.match(message ?? '', /^The Set-Cookie header for "session_id" is set without Secure/);
  });

  it('reads the name of a plain literal', async () => {
    const source = `from flask import Flask, make_response

app = Flask(__name__)


@app.get("/")
def index():
    resp = make_response("ok")
    resp.headers["Set-Cookie"] = "tracking=1; Path=/"
    return resp
`;
    const [message] = await messagesFor(source, 'FS105');
    assert.match(message ?? '', /^The Set-Cookie header for "tracking"/);
  });
});

describe('FS110: SameSite given as Python None', () => {
  const cookie = (samesite: string) => `from flask import Flask, make_response

app = Flask(__name__)


@app.get("/")
def index():
    resp = make_response("ok")
    resp.set_cookie("prefs", "dark", secure=True, httponly=True, samesite=${samesite})
    return resp
`;
  const findings = async (samesite: string) =>
    (await engine()).analyzeText(cookie(samesite), 'app.py').findings.filter((f) => f.ruleId === 'FS110');

  it('is the attribute left out (Werkzeug omits it), not SameSite=None', async () => {
    const [finding] = await findings('None');
    assert.match(finding?.message ?? '', /is set without SameSite/);
    assert.equal(finding?.severity, 'info');
  });

  it('"None" as a string is SameSite=None, a warning', async () => {
    const [finding] = await findings('"None"');
    assert.match(finding?.message ?? '', /is set with SameSite=None/);
    assert.equal(finding?.severity, 'warning');
  });
});
