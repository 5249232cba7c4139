import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModels, DEFINES_FACTS, mergeFacts } from '../../server/src/engine/analyze';
import { engine } from '../helpers/engine';

async function settingsOf(source: string, path = 'app.py'): Promise<string[]> {
  const tree = (await engine()).parser.parse(source);
  assert.ok(tree);
  try {
    return [...buildModels(tree, source, path).flask.appSettings].sort();
  } finally {
    tree.delete();
  }
}

describe('app-wide settings (workspace facts)', () => {
  it('finds SERVER_NAME and TRUSTED_HOSTS in every configuration spelling', async () => {
    assert.deepEqual(await settingsOf('app.config["SERVER_NAME"] = "shop.example.com"\n'), ['SERVER_NAME']);
    assert.deepEqual(await settingsOf('app.config.update(TRUSTED_HOSTS=["shop.example.com"])\n'), [
      'TRUSTED_HOSTS',
    ]);
    assert.deepEqual(
      await settingsOf('import os\nclass ProductionConfig:\n    SERVER_NAME = os.environ["SERVER_NAME"]\n'),
      ['SERVER_NAME'],
    );
    assert.deepEqual(await settingsOf('SERVER_NAME = "shop.example.com"\n', 'settings/production.py'), [
      'SERVER_NAME',
    ]);
    assert.deepEqual(
      await settingsOf(
        'from flask import Request\nclass TrustedRequest(Request):\n    trusted_hosts = {"a.example"}\n',
      ),
      ['TRUSTED_HOSTS'],
    );
    assert.deepEqual(
      await settingsOf('def create_app():\n    app.request_class.trusted_hosts = ["a.example"]\n'),
      ['TRUSTED_HOSTS'],
    );
  });

  it('does not count settings left empty', async () => {
    assert.deepEqual(await settingsOf('class Config:\n    SERVER_NAME = None\n    TRUSTED_HOSTS = []\n'), []);
    assert.deepEqual(await settingsOf('app.config["SERVER_NAME"] = ""\n'), []);
    assert.deepEqual(await settingsOf('def view():\n    SERVER_NAME = request.host\n'), []);
  });

  it('finds autoescaping forced on or overridden', async () => {
    assert.deepEqual(await settingsOf('app.jinja_env.autoescape = True\n'), ['autoescape']);
    assert.deepEqual(await settingsOf('app.jinja_options = {"autoescape": True}\n'), ['autoescape']);
    assert.deepEqual(
      await settingsOf(
        'from flask import Flask\nclass App(Flask):\n    def select_jinja_autoescape(self, filename):\n        return True\n',
      ),
      ['autoescape'],
    );
    assert.deepEqual(await settingsOf('app.jinja_env.autoescape = False\n'), []);
  });

  it('selects configuration files for the first pass of a scan', () => {
    assert.ok(DEFINES_FACTS.test('class Config:\n    SERVER_NAME = "x"\n'));
    assert.ok(DEFINES_FACTS.test('app.config["TRUSTED_HOSTS"] = ["x"]\n'));
    assert.ok(DEFINES_FACTS.test('def select_jinja_autoescape(self, filename):\n'));
  });
});

describe('rules reading app-wide settings from other files', () => {
  const mailer = `from flask import Blueprint, request, url_for
from flask_mail import Message
auth = Blueprint("auth", __name__)

@auth.route("/reset", methods=["POST"])
def reset():
    link = url_for("auth.choose", token=make_token(), _external=True)
    mail.send(Message("Reset", recipients=[request.form["email"]], body=link))
    host_link = request.host_url + "reset/" + make_token()
    mail.send(Message("Reset", recipients=[request.form["email"]], body=host_link))
    return "sent"
`;

  it('FS108: SERVER_NAME fixes url_for(_external=True); only TRUSTED_HOSTS fixes request.host_url', async () => {
    const sentinel = await engine();
    const findings = (facts: string) =>
      sentinel
        .analyzeText(mailer, 'auth.py', {
          select: ['FS108'],
          workspace: mergeFacts([sentinel.factsOf(facts, 'config.py')]),
        })
        .findings.map((f) => `${f.range.start.line + 1}:${f.confidence}`);
    assert.deepEqual(findings(''), ['7:high', '9:high']);
    assert.deepEqual(findings('class Config:\n    SERVER_NAME = "shop.example.com"\n'), ['9:low']);
    assert.deepEqual(findings('class Config:\n    TRUSTED_HOSTS = ["shop.example.com"]\n'), []);
  });

  it('FS304: an app that escapes every template has nothing to report', async () => {
    const sentinel = await engine();
    const view = `from flask import Flask, render_template, request
app = Flask(__name__)

@app.route("/notes")
def notes():
    return render_template("notes.j2", q=request.args["q"])
`;
    const run = (facts: string) =>
      sentinel.analyzeText(view, 'views.py', {
        select: ['FS304'],
        workspace: mergeFacts([sentinel.factsOf(facts, 'app.py')]),
      }).findings.length;
    assert.equal(run(''), 1);
    assert.equal(run('app.jinja_env.autoescape = True\n'), 0);
  });
});
