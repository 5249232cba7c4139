import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { isFalsyLiteral, isTruthyLiteral, stringValue } from '../../engine/syntax';
import type { Confidence, OffsetEdit } from '../../engine/types';
import {
  configWritesOfKeys,
  isDevelopmentConfiguration,
  isTestConfiguration,
  quotedLike,
  valueWhenUnset,
} from '../support/config';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

type Flag = 'SECURE' | 'HTTPONLY' | 'SAMESITE';

/** Flask's session cookie and Flask-Login's remember-me cookie. */
const PREFIXES = ['SESSION_COOKIE_', 'REMEMBER_COOKIE_'] as const;
const FLAGS: readonly Flag[] = ['SECURE', 'HTTPONLY', 'SAMESITE'];

const CONSEQUENCE: Record<Flag, string> = {
  SECURE:
    'the cookie is also sent over plain HTTP, where anyone on the network can read it and take over the session',
  HTTPONLY: 'JavaScript on the page can read the cookie, so any XSS steals the session',
  SAMESITE: 'browsers attach the cookie to requests that other sites make, which enables CSRF',
};

export default defineRule({
  meta: {
    id: 'FS104',
    name: 'insecure-session-cookie-config',
    title: 'Session cookie protections switched off in the configuration',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-614', 'CWE-1004', 'CWE-1275'],
    owasp: ['A05:2021'],
    fix: { title: 'Turn the cookie protection on', safety: 'unsafe' },
    docs: {
      summary:
        'Finds configuration that weakens the session cookie of Flask or the remember-me cookie of Flask-Login: `SESSION_COOKIE_SECURE = False`, `SESSION_COOKIE_HTTPONLY = False`, `SESSION_COOKIE_SAMESITE = None` (or `"None"` without `Secure`), and the same `REMEMBER_COOKIE_*` settings, in every configuration spelling (`app.config[...]`, `.update(...)`, `from_mapping`, config classes and modules). A `Secure`/`HttpOnly` setting read from the environment with a default that turns it off (`os.environ.get("SESSION_COOKIE_SECURE", "false") == "true"`) is reported with low confidence; one that only compares an environment selector (`os.environ.get("APP_ENV") == "production"`) is not. Test configuration is ignored; development configuration is reported with low confidence.',
      why: 'The session cookie is the login. Without `Secure` it travels over plain HTTP and can be sniffed on any shared network; without `HttpOnly` a single XSS hands it to the attacker; without `SameSite` a malicious page can make the browser send it with forged requests (CSRF).',
      example:
        'app.config.update(\n    SESSION_COOKIE_SECURE=False,\n    SESSION_COOKIE_HTTPONLY=False,\n    SESSION_COOKIE_SAMESITE=None,\n)',
      fix: 'app.config.update(\n    SESSION_COOKIE_SECURE=True,\n    SESSION_COOKIE_HTTPONLY=True,\n    SESSION_COOKIE_SAMESITE="Lax",\n    REMEMBER_COOKIE_SECURE=True,\n)',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/security/#set-cookie-options',
      'https://flask.palletsprojects.com/en/stable/config/#SESSION_COOKIE_SECURE',
      'https://flask-login.readthedocs.io/en/latest/#cookie-settings',
      'https://owasp.org/www-community/controls/SecureCookieAttribute',
    ],
  },
  // Only these settings are reported, and each spelling of a setting names its key.
  trigger: /(?:SESSION|REMEMBER)_COOKIE_(?:SECURE|HTTPONLY|SAMESITE)/,
  check(ctx: RuleContext) {
    for (const prefix of PREFIXES) {
      const keys = FLAGS.map((flag) => `${prefix}${flag}`);
      const writes = configWritesOfKeys(ctx, keys);
      const secureOn = writes.some(
        (w) => w.key === `${prefix}SECURE` && isTruthyLiteral(ctx.file.resolveValue(w.value)),
      );
      // All writes for secureOn (above); each write reports at itself.
      for (const write of writes) {
        if (!ctx.inFocus(write.node) || isTestConfiguration(ctx, write.node)) continue;
        const flag = write.key.slice(prefix.length) as Flag;
        const value = ctx.file.resolveValue(write.value);
        const weakness = weaknessOf(ctx, flag, value, secureOn);
        if (!weakness) continue;
        let confidence: Confidence = weakness.confidence;
        if (isDevelopmentConfiguration(write.node)) confidence = 'low';
        ctx.report(
          write.node,
          `${write.key} is ${weakness.shown}: ${CONSEQUENCE[flag]}. Set it to ${weakness.safe}.`,
          { confidence, fix: value === write.value ? fixOf(flag, value) : [] },
        );
      }
    }
  },
});

interface Weakness {
  shown: string;
  safe: string;
  confidence: Confidence;
}

function weaknessOf(ctx: RuleContext, flag: Flag, value: Node, secureOn: boolean): Weakness | null {
  if (flag !== 'SAMESITE') {
    if (isFalsyLiteral(value)) return { shown: value.text, safe: 'True', confidence: 'medium' };
    // os.environ.get("SESSION_COOKIE_SECURE", "false").lower() == "true": off wherever the variable is unset.
    return valueWhenUnset(ctx, value) === false
      ? { shown: 'False when its environment variable is unset', safe: 'True by default', confidence: 'low' }
      : null;
  }
  if (value.type === 'none') return { shown: 'None', safe: '"Lax"', confidence: 'low' };
  // SameSite=None is how a cookie is deliberately shared cross-site; without Secure browsers also reject it.
  if (stringValue(value)?.toLowerCase() === 'none' && !secureOn) {
    return { shown: '"None" without Secure', safe: '"Lax"', confidence: 'medium' };
  }
  return null;
}

function fixOf(flag: Flag, value: Node): OffsetEdit[] {
  if (flag === 'SAMESITE') {
    if (value.type === 'none') return [replaceNode(value, '"Lax"')];
    return value.type === 'string' ? [replaceNode(value, quotedLike(value, 'Lax'))] : [];
  }
  return value.type === 'false' || value.type === 'none' || value.text === '0'
    ? [replaceNode(value, 'True')]
    : [];
}
