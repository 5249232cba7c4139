import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { stringValue } from '../../engine/syntax';
import {
  isPlaceholder,
  moduleImportedAs,
  SIGNING_KEY_SETTINGS,
  SIGNING_KEY_TEXT,
  signingKeyArgument,
} from '../support/crypto';
import { replaceNode } from '../support/edits';
import { isDevelopmentConfiguration, isTestConfiguration } from '../support/config';
import { defineRule } from '../rule';

/** Calls that read the environment or a config with a default: `os.environ.get("K", "dev")`. */
const LOOKUPS_WITH_DEFAULT =
  /^(os\.environ\.get|os\.getenv|os\.environ\.setdefault|environ\.get|getenv|decouple\.config|environs\.Env\.str)$/;

type KeyValue = { kind: 'literal' | 'fallback'; literal: Node } | null;

export default defineRule({
  meta: {
    id: 'FS402',
    name: 'hardcoded-signing-key',
    title: 'Signing or encryption key hard-coded in source',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-798', 'CWE-321'],
    owasp: ['A02:2021'],
    fix: { title: 'Read the key from the environment', safety: 'unsafe' },
    docs: {
      summary:
        "Finds signing keys written as literals: Flask's `SECRET_KEY` (`app.secret_key = ...`, `app.config[...]`, `.update()`, `from_mapping()`, config classes and modules, module-level `SECRET_KEY = ...`), `JWT_SECRET_KEY`, `SECURITY_PASSWORD_SALT`, `WTF_CSRF_SECRET_KEY`, `SECRET_KEY_FALLBACKS`; the key passed to PyJWT/python-jose/authlib `jwt.encode`/`jwt.decode`, itsdangerous serializers and signers, `hmac.new`, `Fernet` and pycryptodome ciphers — also through a variable. Environment lookups whose default is a literal (`os.environ.get('SECRET_KEY', 'dev')`) are reported with low confidence. Empty strings and `None` are not reported (Flask refuses to sign with them). Keys in test code (conftest.py, `test_*.py`, files under `tests/`, a `TestingConfig`, an `if app.testing:` branch) are left out, and a `DevelopmentConfig`'s keys are reported with low confidence.",
      why: "Whoever knows the key can forge what it signs (or decrypt what it encrypts). With Flask's `SECRET_KEY` an attacker signs their own session cookie (`{'user_id': 1, 'is_admin': True}`), bypassing login; with a JWT key they mint tokens for any user. A key in source is in every clone, fork, CI log and backup of the repository, and in the same value on every deployment that forgot to override it.",
      example:
        'app = Flask(__name__)\napp.config["SECRET_KEY"] = "super-secret-key"\n\ntoken = jwt.encode({"sub": user.id}, "jwt-secret", algorithm="HS256")',
      fix: 'app = Flask(__name__)\napp.config["SECRET_KEY"] = os.environ["SECRET_KEY"]  # fail at start-up if unset\n\ntoken = jwt.encode({"sub": user.id}, app.config["JWT_SECRET_KEY"], algorithm="HS256")\n# Generate keys with: python -c "import secrets; print(secrets.token_hex(32))"',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/config/#SECRET_KEY',
      'https://cwe.mitre.org/data/definitions/321.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html',
      'https://pyjwt.readthedocs.io/en/stable/usage.html',
    ],
  },
  trigger: SIGNING_KEY_TEXT,
  check(ctx: RuleContext) {
    const reported = new Set<number>();
    const report = (node: Node, key: string, value: KeyValue, valueNode: Node | null, encrypts = false) => {
      if (!value || reported.has(node.id)) return;
      reported.add(node.id);
      // conftest.py, test_*.py, a TestingConfig, an `if app.testing:` branch: a key that signs test data.
      if (isTestConfiguration(ctx, node)) return;
      if (value.kind === 'fallback') {
        ctx.report(
          node,
          `${key} falls back to a hard-coded value when the environment does not set it: fail at start-up instead (os.environ["${envName(key)}"]).`,
          { confidence: 'low', severity: 'warning' },
        );
        return;
      }
      const fix =
        valueNode && value.literal === valueNode && moduleImportedAs(ctx, 'os')
          ? [replaceNode(valueNode, `os.environ["${envName(key)}"]`)]
          : [];
      // A DevelopmentConfig's key signs a developer's local data, unless that config is what gets deployed.
      ctx.report(
        node,
        `${key} is hard-coded: anyone with the source can ${encrypts ? 'decrypt what it protects' : 'forge what it signs'}. Load it from the environment or a secrets manager.`,
        { fix, ...(isDevelopmentConfiguration(node) ? { confidence: 'low' as const } : {}) },
      );
    };

    for (const write of ctx.flask.configWrites) {
      if (!SIGNING_KEY_SETTINGS.has(write.key) || !ctx.inFocus(write.node)) continue;
      report(write.node, write.key, classify(ctx, write.value), write.value);
    }
    // SECRET_KEY = "..." at module or class level in any file (`app.config.from_object(__name__)`).
    for (const assignment of ctx.file.nodesOfType('assignment')) {
      if (!assignment || !ctx.inFocus(assignment)) continue;
      const left = assignment.childForFieldName('left');
      const right = assignment.childForFieldName('right');
      if (left?.type !== 'identifier' || !right || !SIGNING_KEY_SETTINGS.has(left.text)) continue;
      if (ctx.file.scopeAt(assignment).kind === 'function') continue;
      report(assignment, left.text, classify(ctx, right), right);
    }
    // {"SECRET_KEY": "..."} and f(SECRET_KEY="...") wherever they are built (config dicts, create_app(...)).
    for (const pair of ctx.file.nodesOfType('pair')) {
      if (!pair || !ctx.inFocus(pair)) continue;
      const key = stringValue(pair?.childForFieldName('key') ?? null);
      const value = pair?.childForFieldName('value');
      if (!pair || !key || !value || !SIGNING_KEY_SETTINGS.has(key)) continue;
      report(pair, key, classify(ctx, value), value);
    }
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      for (const [name, value] of site.args.keywords) {
        if (SIGNING_KEY_SETTINGS.has(name)) report(value.parent ?? value, name, classify(ctx, value), value);
      }
      const key = signingKeyArgument(site);
      if (!key) continue;
      const value = classify(ctx, key.node);
      if (value && isPublicKey(value.literal)) continue;
      report(
        key.node,
        `The ${key.what} passed to ${site.calleeText ?? site.name}()`,
        value,
        null,
        /cipher|Fernet/.test(key.what),
      );
    }
  },
});

/** Whether a key expression is a literal, or a lookup that falls back to one. */
function classify(ctx: RuleContext, node: Node, depth = 0): KeyValue {
  if (depth > 4) return null;
  const value = ctx.file.resolveValue(node);
  const text = stringValue(value);
  if (text !== undefined) return text === '' || isTemplate(text) ? null : { kind: 'literal', literal: value };
  switch (value.type) {
    case 'call': {
      const site = ctx.file.callAt(value);
      // "key".encode() / b"key".decode()
      if (site && ['encode', 'decode'].includes(site.name) && site.receiver) {
        return classify(ctx, site.receiver, depth + 1);
      }
      if (site && site.callee && LOOKUPS_WITH_DEFAULT.test(site.callee)) {
        const fallback = site.args.positional[1] ?? site.args.keywords.get('default');
        const inner = fallback ? classify(ctx, fallback, depth + 1) : null;
        return inner ? { kind: 'fallback', literal: inner.literal } : null;
      }
      return null;
    }
    case 'boolean_operator': {
      // os.environ.get("SECRET_KEY") or "dev"
      const right = value.childForFieldName('right');
      const inner = right ? classify(ctx, right, depth + 1) : null;
      return inner ? { kind: 'fallback', literal: inner.literal } : null;
    }
    case 'conditional_expression': {
      for (const branch of value.namedChildren) {
        const inner = branch ? classify(ctx, branch, depth + 1) : null;
        if (inner) return { kind: 'fallback', literal: inner.literal };
      }
      return null;
    }
    case 'list':
    case 'tuple':
      // SECRET_KEY_FALLBACKS = ["old-key"]
      for (const item of value.namedChildren) {
        const inner = item ? classify(ctx, item, depth + 1) : null;
        if (inner?.kind === 'literal') return inner;
      }
      return null;
    default:
      return null;
  }
}

function isTemplate(text: string): boolean {
  return isPlaceholder(text) && /^[$<{%]/.test(text.trim());
}

function isPublicKey(node: Node): boolean {
  return /-----BEGIN (RSA |EC )?PUBLIC KEY-----|^ssh-(rsa|ed25519) /.test(
    node.text.replace(/^[rbuRBU]*["']+/, ''),
  );
}

function envName(key: string): string {
  return /^[A-Z][A-Z0-9_]*$/.test(key) ? key : 'SECRET_KEY';
}
