import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { makeTree, runCli } from '../helpers/cli';

/**
 * A scan learns the workspace facts (a decorator that checks the caller, a refusing before_request hook,
 * TRUSTED_HOSTS) from the files it analyses, in one pass, and re-analyses a file whose questions to them
 * the complete facts answer differently. Here the views file is analysed first (it is the largest of the
 * files that define facts) while the files that protect it come after: its report must be the one it gets
 * with every fact known, on one thread and on two.
 */
describe('flask-sentinel scan: workspace facts defined in other files', () => {
  // Padding, so that the scan is large enough to be shared out over two threads (256 KiB).
  const padding = Array.from(
    { length: 6_000 },
    (_, i) => `def helper_${i}(value):\n    return value + ${i}\n`,
  );
  const views = `from flask import Blueprint, request, url_for
from flask_mail import Message
from functools import wraps
from .auth import gatekeeper

admin_bp = Blueprint("admin", __name__)
shop_bp = Blueprint("shop", __name__)


def timed(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)
    return wrapper


@shop_bp.route("/orders/<int:order_id>", methods=["DELETE"])
@gatekeeper
def delete_order(order_id):
    Order.query.filter_by(id=order_id).delete()
    db.session.commit()
    return "", 204


@admin_bp.route("/users/<int:user_id>", methods=["POST"])
def ban_user(user_id):
    User.query.filter_by(id=user_id).update({"banned": True})
    db.session.commit()
    return "", 204


@shop_bp.route("/coupons", methods=["POST"])
def add_coupon():
    db.session.add(Coupon(code=request.form["code"]))
    db.session.commit()
    return "", 201


@shop_bp.route("/invite", methods=["POST"])
@gatekeeper
def invite():
    link = url_for("shop.join", token=make_token(), _external=True)
    mail.send(Message("Join us", recipients=[request.form["email"]], body=link))
    return "sent"


${padding.join('\n')}`;

  const root = makeTree({
    'app/views.py': views,
    'app/auth.py': `from functools import wraps
from flask import abort
from flask_login import current_user


def gatekeeper(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)
    return wrapper
`,
    'app/hooks.py': `from flask import abort
from flask_login import current_user
from .views import admin_bp


@admin_bp.before_request
def only_admins():
    if not current_user.is_admin:
        abort(403)
`,
    'app/config.py': `class Config:\n    TRUSTED_HOSTS = ["shop.example.com"]\n`,
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  for (const jobs of ['1', '2']) {
    it(`reports only the unprotected route, with --jobs ${jobs}`, () => {
      assert.ok(fs.statSync(`${root}/app/views.py`).size > 256 * 1024, 'large enough to share out');
      const run = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--jobs', jobs], root);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { findings: { ruleId: string; path: string; line: number }[] };
      const found = report.findings.map((f) => `${f.path}:${f.line}:${f.ruleId}`);
      // delete_order: gatekeeper (auth.py); ban_user: the hook (hooks.py); invite: TRUSTED_HOSTS (config.py).
      assert.deepEqual(found, ['app/views.py:32:FS501']);
    });
  }
});

describe('flask-sentinel scan: a hook guards its own blueprint, not others of the same variable name', () => {
  const root = makeTree({
    'app/admin.py': `from flask import Blueprint, abort, session

bp = Blueprint("admin", __name__)


@bp.before_request
def only_admins():
    if not session.get("is_admin"):
        abort(403)


@bp.route("/users/<int:user_id>", methods=["DELETE"])
def delete_user(user_id):
    return "", 204
`,
    'app/shop/__init__.py': `from flask import Blueprint, abort, g

bp = Blueprint("shop", __name__)


@bp.before_request
def require_login():
    if g.user is None:
        abort(401)
`,
    'app/shop/views.py': `from . import bp


@bp.route("/orders", methods=["POST"])
def place_order():
    return "", 201
`,
    'app/blog.py': `from flask import Blueprint

bp = Blueprint("blog", __name__)


@bp.route("/posts", methods=["POST"])
def create_post():
    return "", 201
`,
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reports the blog route only', () => {
    const run = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--select', 'FS501'], root);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { findings: { path: string; line: number }[] };
    // admin: its own hook; shop/views.py: the hook on the bp it imports; blog: a hook on another blueprint.
    assert.deepEqual(
      report.findings.map((f) => `${f.path}:${f.line}`),
      ['app/blog.py:6'],
    );
  });
});

describe('flask-sentinel scan: a bare CORS() given its origins by init_app in the app factory', () => {
  const extensions = `from flask_cors import CORS

cors = CORS()
`;
  const factory = (options: string) => `from flask import Flask
from .extensions import cors


def create_app():
    app = Flask(__name__)
    cors.init_app(${options})
    return app
`;
  const scan = (options: string) => {
    const root = makeTree({ 'app/extensions.py': extensions, 'app/__init__.py': factory(options) });
    try {
      const run = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--select', 'FS505'], root);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { findings: { path: string; line: number }[] };
      return report.findings.map((f) => `${f.path}:${f.line}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };

  it('is not reported when init_app names the origins or resources', () => {
    assert.deepEqual(scan('app, resources={r"/api/*": {"origins": ["https://shop.example.com"]}}'), []);
    assert.deepEqual(scan('app, origins=["https://shop.example.com"]'), []);
  });

  it('is reported (low confidence) when nothing in the scan gives it origins', () => {
    assert.deepEqual(scan('app'), ['app/extensions.py:3']);
  });
});

describe('flask-sentinel scan: a password attribute whose setter (in the models file) hashes', () => {
  const views = `from flask import request
from .extensions import db
from .models import Account, User


def register():
    user = User(email=request.form["email"], password=request.form["password"])
    account = Account(email=request.form["email"], password=request.form["password"])
    user.password = request.form["password"]
    db.session.add_all([user, account])
`;
  const scan = (models: string) => {
    const root = makeTree({ 'app/views.py': views, 'app/models.py': models });
    try {
      const run = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--select', 'FS409'], root);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { findings: { path: string; line: number }[] };
      return report.findings.map((f) => `${f.path}:${f.line}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };

  it('is not reported for attributes with a property setter, @validates or a PasswordType column', () => {
    const setter = `from werkzeug.security import generate_password_hash
from .extensions import db


class User(db.Model):
    @property
    def password(self):
        raise AttributeError("write-only")

    @password.setter
    def password(self, raw):
        self.password_hash = generate_password_hash(raw)


class Account(db.Model):
    password = db.Column(PasswordType(schemes=["pbkdf2_sha512"]))
`;
    assert.deepEqual(scan(setter), []);
    const validates = `from sqlalchemy.orm import validates


class User(db.Model):
    @validates("password")
    def hash_password(self, key, raw):
        return generate_password_hash(raw)
`;
    // Setters are known by attribute name, not by class: Account's password= is taken to hash too.
    assert.deepEqual(scan(validates), []);
  });

  it('is reported when the models store the attribute as given', () => {
    const plain = `class User(db.Model):\n    password = db.Column(db.String(128))\n`;
    assert.deepEqual(scan(plain), ['app/views.py:7', 'app/views.py:8', 'app/views.py:9']);
  });
});

describe('flask-sentinel scan: Flask-Mail credentials without TLS, unless some file turns TLS on', () => {
  const config = `class Config:
    MAIL_SERVER = "smtp.mailprovider.example"
    MAIL_USERNAME = "app"
    MAIL_PASSWORD = "from-the-vault"
`;
  const scan = (files: Record<string, string>) => {
    const root = makeTree({ 'app/config.py': config, ...files });
    try {
      const run = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--select', 'FS408'], root);
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { findings: { path: string; line: number }[] };
      return report.findings.map((f) => `${f.path}:${f.line}`);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  };

  it('is reported when no file sets MAIL_USE_TLS or MAIL_USE_SSL', () => {
    assert.deepEqual(scan({}), ['app/config.py:2']);
  });

  it('is not reported when another file turns TLS on (or reads it from the environment)', () => {
    assert.deepEqual(scan({ 'app/production.py': 'MAIL_USE_TLS = True\n' }), []);
    assert.deepEqual(
      scan({
        'app/factory.py':
          'import os\n\ndef setup(app):\n    app.config["MAIL_USE_SSL"] = os.environ.get("MAIL_SSL") == "1"\n',
      }),
      [],
    );
  });
});
