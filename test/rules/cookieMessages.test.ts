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
