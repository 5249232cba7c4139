import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, isFString, stringValue } from '../../engine/syntax';
import {
  isPasswordWord,
  isPlaceholder,
  moduleImportedAs,
  nameWords,
  PASSWORD_WORD_TEXT,
  SIGNING_KEY_SETTINGS,
  signingKeyArgument,
} from '../support/crypto';
import { replaceNode } from '../support/edits';
import { isDevelopmentConfiguration, isTestConfiguration } from '../support/config';
import { defineRule } from '../rule';

/** Token shapes that are secrets wherever they appear. */
const TOKEN_SHAPES: { pattern: RegExp; what: string }[] = [
  { pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, what: 'an AWS access key id' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/, what: 'a GitHub token' },
  { pattern: /\bxox[abpors]-[0-9A-Za-z-]{10,}/, what: 'a Slack token' },
  {
    pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/,
    what: 'a Slack webhook URL',
  },
  { pattern: /\b[sr]k_live_[0-9A-Za-z]{16,}/, what: 'a Stripe live key' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/, what: 'a Google API key' },
  { pattern: /\bSG\.[\w-]{22}\.[\w-]{43}\b/, what: 'a SendGrid API key' },
  { pattern: /\bglpat-[0-9A-Za-z_-]{20,}/, what: 'a GitLab token' },
  { pattern: /\bsk-(proj-)?[A-Za-z0-9_-]{32,}/, what: 'an OpenAI API key' },
  {
    pattern: /-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/,
    what: 'a private key',
  },
];

/** Calls whose keywords name the fields of a URL, a response or a page, not credentials. */
const RESPONSE_FIELDS = new Set(['url_for', 'jsonify', 'render_template', 'render_template_string']);

/** `scheme://user:password@host`: a URL carrying a password. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/([^\s:/@]*):([^\s/@]+)@[^\s/@]+/i;

/** Words after which `key` means a secret key rather than a dictionary key. */
const SECRET_KEY_QUALIFIERS = new Set([
  'api',
  'secret',
  'access',
  'private',
  'encryption',
  'signing',
  'master',
  'auth',
  'client',
  'license',
  'app',
  'account',
  'service',
  'subscription',
  'consumer',
  'hmac',
  'aes',
  'crypto',
  'cipher',
  'sendgrid',
  'stripe',
  'mailgun',
  'twilio',
  'openai',
]);

/** Words that make a credential-ish name describe something else: a URL, a length, a header name... */
const NOT_A_CREDENTIAL = new Set([
  'url',
  'uri',
  'endpoint',
  'route',
  'path',
  'file',
  'filename',
  'dir',
  'field',
  'label',
  'name',
  'header',
  'type',
  'prefix',
  'suffix',
  'length',
  'len',
  'min',
  'max',
  'regex',
  'pattern',
  'format',
  'method',
  'algorithm',
  'alg',
  'expires',
  'expiry',
  'expiration',
  'expire',
  'ttl',
  'lifetime',
  'timeout',
  'age',
  'location',
  'env',
  'var',
  'variable',
  'id',
  'policy',
  'rule',
  'rules',
  'hint',
  'prompt',
  'message',
  'msg',
  'error',
  'text',
  'placeholder',
  'template',
  'column',
  'col',
  'attr',
  'param',
  'parameter',
  'arg',
  'input',
  'selector',
  'xpath',
  'css',
  'mode',
  'scheme',
  'backend',
  'provider',
  'class',
  'cls',
  'count',
  'size',
  'version',
  'store',
  'storage',
  'cookie',
  'query',
  'encoding',
  'charset',
  'help',
  'description',
  'title',
  'validator',
  'strength',
  'complexity',
  'changed',
  'required',
  'enabled',
  'reset',
  'forgot',
  'hash',
  'hashed',
  'digest',
  'manager',
  'service',
  'handler',
  'view',
  'form',
  'widget',
  'kind',
  'source',
  'issuer',
  'audience',
  'usage',
  'lookup',
  'index',
  'position',
  'status',
  'state',
  // `OAUTH_TOKEN_SCOPES = "read write"`, `PASSWORD_HASHER = "argon2"`, `SECRET_ROTATION = "monthly"`.
  'scope',
  'scopes',
  'hasher',
  'hashers',
  'rotation',
  'interval',
  'schedule',
]);

const CREDENTIAL_WORD =
  /^(secret|secrets|token|apikey|apitoken|credential|credentials|creds|passkey|privatekey|accesskey|secretkey|authkey|bearer)$/;

/**
 * Text in every file this rule reports in, built from what it looks for: a name's credential word
 * (`credentialWordIndex`, `isPasswordName`; names are split into lower-cased words, so in any letter case,
 * with only separators or digits between `api` and `key`), basic auth and Authorization headers,
 * `.login(...)`, the calls of positionalPassword, a token shape or a URL with a password; connection
 * strings and seeded accounts say `password`/`pwd`.
 */
const CREDENTIAL_TEXT = new RegExp(
  [
    PASSWORD_WORD_TEXT,
    CREDENTIAL_WORD.source.slice(2, -2),
    `(?:${[...SECRET_KEY_QUALIFIERS].join('|')})[\\W_\\d]*key`,
    'auth',
    'login',
    // Calls whose argument is a password by its position (positionalPassword).
    'MySQLdb|pymysql|FTP|ldap3|bind_s|simple_bind',
    ...TOKEN_SHAPES.map((shape) => shape.pattern.source),
    URL_CREDENTIALS.source,
  ].join('|'),
  'i',
);

export default defineRule({
  meta: {
    id: 'FS403',
    name: 'hardcoded-credential',
    title: 'Password, token or API key hard-coded in source',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-798', 'CWE-259'],
    owasp: ['A07:2021'],
    fix: { title: 'Read the credential from the environment', safety: 'unsafe' },
    docs: {
      summary:
        'Finds string literals given to names, keys and keywords that hold credentials — password/passwd/pwd/passphrase, secret, token, api_key/apikey, access_key, private_key, credential — in assignments (`DB_PASSWORD = "..."`, `self.token = "..."`, `config["MAIL_PASSWORD"] = "..."`), keyword arguments (`connect(user="app", password="s3cret")`), parameter defaults (`def login(user, password="admin")`), dictionary literals (`{"api_key": "..."}`) comparisons (`if password == "letmein"`), basic-auth pairs (`auth=("user", "pw")`, also through a constant, `HTTPBasicAuth("user", "pw")`), `smtp.login(user, "pw")` and passwords passed by position (`pymysql.connect(host, user, "pw")`, `ftplib.FTP(host, user, "pw")`, `conn.simple_bind_s(dn, "pw")`); Authorization headers with a literal token (`{"Authorization": "Bearer 9f8e..."}`); accounts given a literal password (`user.set_password("...")`, `generate_password_hash("...")`, except a decoy such as `DUMMY_HASH` used to equalise timing); URLs and connection strings with a password in them (`postgresql://app:s3cret@db/app`, `host=db user=app password=s3cret`, `...;UID=sa;PWD=s3cret`); and well-known token shapes anywhere in a string (AWS `AKIA...`, GitHub `ghp_...`, Slack `xox?-...`, Stripe `sk_live_...`, Google `AIza...`, PEM private keys). Empty strings, `None`, placeholders (`"<password>"`, `"${DB_PASSWORD}"`, `"xxx"`, `"your-api-key-here"`), environment lookups, names that describe rather than hold a credential (`password_field`, `PASSWORD_MIN_LENGTH`, `TOKEN_HEADER`, `password_reset_url`) and values that are just the name itself (`password_field = "password"`) are left alone. Flask signing keys (`SECRET_KEY`...) are FS402\'s. Test code (conftest.py, `test_*.py`, files under `tests/`, a `TestingConfig`) is left out, and a `DevelopmentConfig`\'s values are reported with low confidence.',
      why: 'Credentials in source end up in every clone, fork, container image and CI log, and cannot be rotated without a release. Leaked cloud, payment and database credentials are found by bots scanning public repositories within minutes of a push.',
      example:
        'DB_PASSWORD = "pr0d-p@ss"\nengine = create_engine("postgresql://app:pr0d-p@ss@db.internal/app")\nstripe.api_key = "sk_live_51H8..."',
      fix: 'DB_PASSWORD = os.environ["DB_PASSWORD"]\nengine = create_engine(os.environ["DATABASE_URL"])\nstripe.api_key = os.environ["STRIPE_API_KEY"]',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/798.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html',
      'https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/',
    ],
  },
  trigger: CREDENTIAL_TEXT,
  check(ctx: RuleContext) {
    const reportedStrings = new Set<number>();
    const report = (
      node: Node,
      literal: Node,
      message: string,
      options: { fixName?: string; confidence?: 'high' | 'medium' | 'low' } = {},
    ) => {
      if (reportedStrings.has(literal.id)) return;
      reportedStrings.add(literal.id);
      // conftest.py, test_*.py, a TestingConfig: a password that signs in to the test app only.
      if (isTestConfiguration(ctx, node)) return;
      const fix =
        options.fixName && moduleImportedAs(ctx, 'os')
          ? [replaceNode(literal, `os.environ["${envName(options.fixName)}"]`)]
          : [];
      const development = isDevelopmentConfiguration(node) ? ('low' as const) : undefined;
      ctx.report(node, message, { fix, confidence: development ?? options.confidence });
    };
    const signingKeys = new Set<number>();
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const key = signingKeyArgument(site);
      if (key) signingKeys.add(key.node.id);
    }

    // name = "literal", self.token = "literal", config["MAIL_PASSWORD"] = "literal", os.environ["X"] = "literal"
    for (const assignment of ctx.file.nodesOfType('assignment')) {
      if (!assignment || !ctx.inFocus(assignment)) continue;
      const left = assignment?.childForFieldName('left');
      const right = assignment?.childForFieldName('right');
      if (!assignment || !left || !right) continue;
      const literal = credentialLiteral(right);
      if (!literal) continue;
      const name = assignedName(left);
      // app.secret_key is FS402's.
      if (left.type === 'attribute' && name === 'secret_key') continue;
      const fixable =
        left.type === 'subscript'
          ? /(^|\.)config$/.test(dottedName(left.childForFieldName('value')) ?? '')
          : left.type === 'identifier' || left.type === 'attribute';
      // headers["Authorization"] = "Bearer 9f8e..."
      if (name && left.type === 'subscript' && authorizationCredential(name, literal)) {
        report(assignment, literal, AUTHORIZATION_MESSAGE);
        continue;
      }
      if (!name || !holdsCredential(name, literal)) continue;
      report(
        assignment,
        literal,
        `${describe(name)} is hard-coded: load it from the environment or a secrets manager.`,
        {
          fixName: fixable ? name : undefined,
        },
      );
    }
    // f(password="literal"), dict(api_key="literal")
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      // `url_for("reset_password", token="t")`: keywords of url_for are URL parameters; those of jsonify and
      // render_template are what the page or response shows (`jsonify(secret="admin data")`).
      if (RESPONSE_FIELDS.has(site.name)) continue;
      for (const [name, value] of site.args.keywords) {
        if (signingKeys.has(value.id)) continue;
        const literal = credentialLiteral(value);
        if (!literal || !holdsCredential(name, literal)) continue;
        // os.getenv("DB_PASSWORD", default="x") is handled below as a fallback.
        report(
          value.parent ?? value,
          literal,
          `${describe(name)} is passed as a hard-coded literal: load it from the environment or a secrets manager.`,
        );
      }
      // requests.get(url, auth=("user", "s3cret")) / HTTPBasicAuth("user", "s3cret"), also through a
      // constant (`BASIC = ("svc", "pw")`, `auth=BASIC`).
      const auth = site.args.keywords.get('auth');
      const pair = auth ? ctx.file.resolveValue(auth) : undefined;
      const basic = /(^|\.)(HTTPBasicAuth|HTTPDigestAuth|BasicAuth)$/.test(site.callee ?? '')
        ? site.args.positional[1]
        : pair?.type === 'tuple' && pair.namedChildren.length === 2
          ? (pair.namedChildren[1] ?? undefined)
          : undefined;
      // smtp.login("user", "s3cret"), ftp.login(user, "s3cret")
      const login =
        site.name === 'login' && site.receiver && site.args.positional.length === 2
          ? site.args.positional[1]
          : undefined;
      for (const value of [basic, login, positionalPassword(site)]) {
        const literal = value ? credentialLiteral(value) : null;
        if (value && literal && isRealPassword(stringValue(literal) ?? '', 'password')) {
          // Through a constant, the finding is where it is used for authentication.
          const inCall = value.startIndex >= site.node.startIndex && value.endIndex <= site.node.endIndex;
          report(
            inCall ? value : (auth ?? site.node),
            literal,
            'A hard-coded password is passed for authentication: load it from the environment or a secrets manager.',
          );
        }
      }
      // generate_password_hash("Adm1n!2024"), user.set_password("demo"): an account created with a password
      // everyone who reads the source knows (a seed or create-admin command).
      const seeded = seededPassword(site);
      const seededLiteral = seeded ? credentialLiteral(seeded) : null;
      if (
        seeded &&
        seededLiteral &&
        isRealPassword(stringValue(seededLiteral) ?? '', 'password') &&
        !isDecoy(site)
      ) {
        report(
          seeded,
          seededLiteral,
          'An account is given a hard-coded password: anyone with the source can sign in with it. Read it from the environment or generate one and show it once.',
        );
      }
      // os.environ.get("DB_PASSWORD", "s3cret"): a credential that silently falls back to a literal.
      if (site.callee && /^(os\.environ\.get|os\.getenv|os\.environ\.setdefault)$/.test(site.callee)) {
        const name = stringValue(site.args.positional[0] ?? null);
        const fallback = site.args.positional[1] ?? site.args.keywords.get('default');
        const literal = fallback ? credentialLiteral(fallback) : null;
        if (name && literal && holdsCredential(name, literal) && !setsSigningKey(site.node)) {
          report(
            site.node,
            literal,
            `${describe(name)} falls back to a hard-coded value when the environment does not set it: fail instead.`,
            {
              confidence: 'low',
            },
          );
        }
      }
    }
    // def login(user, password="admin")
    for (const param of ctx.file.nodesOfType(['default_parameter', 'typed_default_parameter'])) {
      if (!param || !ctx.inFocus(param)) continue;
      const name = param?.childForFieldName('name')?.text;
      const value = param?.childForFieldName('value');
      const literal = value ? credentialLiteral(value) : null;
      if (!param || !name || !literal || !holdsCredential(name, literal)) continue;
      report(
        param,
        literal,
        `Parameter ${name} defaults to a hard-coded ${describeKind(name)}: require the caller to pass it.`,
      );
    }
    // {"api_key": "literal"}, {"Authorization": "Bearer 9f8e..."}
    for (const pair of ctx.file.nodesOfType('pair')) {
      if (!pair || !ctx.inFocus(pair)) continue;
      const name = stringValue(pair?.childForFieldName('key') ?? null);
      const value = pair?.childForFieldName('value');
      const literal = value ? credentialLiteral(value) : null;
      if (!pair || !name || !literal) continue;
      if (authorizationCredential(name, literal)) {
        report(pair, literal, AUTHORIZATION_MESSAGE);
        continue;
      }
      if (!holdsCredential(name, literal)) continue;
      report(
        pair,
        literal,
        `${describe(name)} is hard-coded in a dictionary: load it from the environment or a secrets manager.`,
      );
    }
    // if password == "letmein"
    for (const comparison of ctx.file.nodesOfType('comparison_operator')) {
      if (
        !comparison ||
        !ctx.inFocus(comparison) ||
        !/==|!=/.test(comparison.children.map((c) => c?.type ?? '').join(' '))
      )
        continue;
      const [a, b] = comparison.namedChildren;
      if (!a || !b) continue;
      for (const [named, other] of [
        [a, b],
        [b, a],
      ] as const) {
        const name = comparedName(named);
        const literal = credentialLiteral(other);
        if (!name || !literal || !isPasswordName(name) || !holdsCredential(name, literal, true)) continue;
        report(
          comparison,
          literal,
          `${describe(name)} is compared with a hard-coded value: a built-in credential anyone with the source can use.`,
        );
        break;
      }
    }
    // Token shapes and URLs with a password, in any string: only when the file's text has one at all
    // (walking every string literal of a file is costly, and these shapes are rare).
    const text = ctx.file.text;
    // `://` first: the URL pattern tries every word of the text, indexOf skips through it.
    const mayHold =
      TOKEN_SHAPES.some((s) => s.pattern.test(text)) ||
      (text.includes('://') && URL_CREDENTIALS.test(text)) ||
      DSN_PASSWORD.test(text);
    for (const string of mayHold ? ctx.file.nodesOfType('string') : []) {
      if (
        !string ||
        !ctx.inFocus(string) ||
        reportedStrings.has(string.id) ||
        string.parent?.type === 'concatenated_string'
      )
        continue;
      // An f-string's fixed text counts: f"postgresql://shop:Sh0pPass77@{DB_HOST}/shop".
      const text = stringValue(string) ?? (isFString(string) ? fixedText(string) : undefined);
      if (text === undefined || signingKeys.has(string.id)) continue;
      const shape = TOKEN_SHAPES.find((s) => s.pattern.test(text));
      if (shape && !/EXAMPLE|example|xxxx|XXXX/.test(text)) {
        report(
          string,
          string,
          `String contains ${shape.what}: revoke it and load it from the environment or a secrets manager.`,
          {
            confidence: 'high',
          },
        );
        continue;
      }
      const url = URL_CREDENTIALS.exec(text);
      // `postgresql://USER:PASSWORD@HOST/DBNAME`: a template to fill in, user and password in capitals.
      const template = url !== null && /^[A-Z_]+$/.test(url[1] ?? '') && /^[A-Z_]+$/.test(url[2] ?? '');
      if (url && !template && !url[2]?.includes(INTERPOLATED) && isRealPassword(url[2] ?? '', url[1] ?? '')) {
        report(
          string,
          string,
          'URL contains a hard-coded password: build it from environment variables or read the whole URL from one.',
        );
        continue;
      }
      const dsn = dsnPassword(text);
      if (dsn !== undefined && !dsn.includes(INTERPOLATED) && isRealPassword(dsn, 'password')) {
        report(
          string,
          string,
          'Connection string contains a hard-coded password: build it from environment variables or read the whole string from one.',
        );
      }
    }
  },
});

/** Stands for an f-string's interpolated values in its fixed text. */
const INTERPOLATED = '\uE000';

/** An f-string's text with each interpolation replaced by INTERPOLATED. */
function fixedText(fString: Node): string {
  let text = '';
  for (const part of fString.namedChildren) {
    if (part?.type === 'string_content' || part?.type === 'escape_sequence') text += part.text;
    else if (part?.type === 'interpolation') text += INTERPOLATED;
  }
  return text;
}

/**
 * The string literal a credential value may be, or null. Its value (not an f-string with values, not empty,
 * not a placeholder) is checked with the name, by holdsCredential or isRealPassword: most string arguments
 * and values have names that hold no credential, so decoding them first would be wasted.
 */
function credentialLiteral(node: Node): Node | null {
  return node.type === 'concatenated_string' || node.type === 'string' ? node : null;
}

/**
 * Whether `name` holds a credential and `literal` looks like one: the name ends in a credential noun
 * (`db_password`, `GITHUB_TOKEN`, `stripeApiKey`, `client_secret`) with no describing word after it
 * (`password_field`, `token_url`), and the value is not the name itself or a label.
 */
function holdsCredential(name: string, literal: Node, compared = false): boolean {
  if (SIGNING_KEY_SETTINGS.has(name)) return false;
  const words = nameWords(name);
  const at = credentialWordIndex(words);
  if (at < 0) return false;
  if (words.slice(at + 1).some((w) => NOT_A_CREDENTIAL.has(w))) return false;
  if (words.slice(0, at).some((w) => w === 'reset' || w === 'forgot' || w === 'show' || w === 'toggle'))
    return false;
  const value = stringValue(literal);
  return value !== undefined && isRealPassword(value, name, compared);
}

/** Index of the word that makes a name a credential, or -1. */
function credentialWordIndex(words: readonly string[]): number {
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i] as string;
    const before = words[i - 1];
    if (isPasswordWord(w) && w !== 'pw') return i;
    if (CREDENTIAL_WORD.test(w)) return i;
    if (/(secret|token|apikey)$/.test(w) && w.length > 6) return i;
    if (w === 'key' && before && SECRET_KEY_QUALIFIERS.has(before)) return i;
    if (w === 'auth' && i === words.length - 1 && i > 0) return i;
  }
  return -1;
}

function isPasswordName(name: string): boolean {
  return nameWords(name).some((w) => isPasswordWord(w) && w !== 'pw');
}

const DEFAULT_ACCOUNTS = new Set(['admin', 'administrator', 'root', 'guest', 'postgres', 'sa', 'superuser']);

/** A value that could be a real secret: not a placeholder, not the name itself, not a label or header name. */
function isRealPassword(value: string, name: string, compared = false): boolean {
  if (isPlaceholder(value)) return false;
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const v = squash(value);
  if (v === '' || v === squash(name)) return false;
  // A word of the name is a label (`PASSWORD_FIELD = "field"`), except the accounts every scanner tries
  // first: `ADMIN_PASSWORD = "admin"` is a password, and the first one guessed.
  if (nameWords(name).includes(v) && !DEFAULT_ACCOUNTS.has(v)) return false;
  // Switches, not secrets: `headers["Access-Control-Allow-Credentials"] = "true"`, `TOKEN_REQUIRED = "yes"`.
  if (/^(true|false|yes|no|on|off|enabled?|disabled?|required|optional)$/.test(v)) return false;
  // Labels and header names: "Password", "Confirm password", "X-Auth-Token", "Authorization", "Bearer"
  if (/^(authorization|bearer|basic|token|apikey|xapikey|xauthtoken)$/.test(v)) return false;
  if (/^[A-Z][A-Za-z]*(-[A-Z][A-Za-z]*)+$/.test(value)) return false;
  if (!compared && /\s/.test(value.trim()) && /password|token|secret|key|enter|your/i.test(value))
    return false;
  // Environment variable names and template references: "DB_PASSWORD", "{password}", "%(password)s"
  if (/^[A-Z][A-Z0-9_]*$/.test(value) && value.includes('_')) return false;
  if (/\{\w*\}|%\(\w+\)s|%s/.test(value)) return false;
  // Paths and URLs without credentials: "/reset", "https://example.com/token"
  if (/^(\/|\.\/|https?:\/\/)/.test(value) && !URL_CREDENTIALS.test(value)) return false;
  return true;
}

function comparedName(node: Node): string | null {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') return node.childForFieldName('attribute')?.text ?? null;
  if (node.type === 'subscript') return stringValue(node.childForFieldName('subscript')) ?? null;
  if (node.type === 'call') {
    // request.form.get("password") == "admin"
    const fn = node.childForFieldName('function');
    if (fn?.type === 'attribute' && fn.childForFieldName('attribute')?.text === 'get') {
      const first = node.childForFieldName('arguments')?.namedChildren[0] ?? null;
      return stringValue(first) ?? null;
    }
  }
  return null;
}

function describeKind(name: string): string {
  const words = nameWords(name);
  if (words.some((w) => isPasswordWord(w))) return 'password';
  if (words.some((w) => w.endsWith('token'))) return 'token';
  if (words.some((w) => w === 'key' || w.endsWith('key'))) return 'key';
  return 'secret';
}

function describe(name: string): string {
  return `The ${describeKind(name)} ${name}`;
}

function envName(name: string): string {
  return nameWords(name).join('_').toUpperCase();
}

const AUTHORIZATION_MESSAGE =
  'An Authorization header carries a hard-coded token: load the token from the environment or a secrets manager.';

/** `Bearer 9f8e...`, `token ghx...`, `Basic dXNlcjpwdw==`: a scheme and a credential. */
const AUTHORIZATION_VALUE = /^(bearer|token|basic|bot|apikey|key|sso-key|digest)\s+(\S+)$/i;

/** A credential this short or with no digit is a word, a label or a placeholder, not a token. */
function authorizationCredential(header: string, literal: Node): boolean {
  if (!/^(proxy-)?authorization$/i.test(header)) return false;
  const match = AUTHORIZATION_VALUE.exec((stringValue(literal) ?? '').trim());
  const credential = match?.[2] ?? '';
  return credential.length >= 12 && /\d/.test(credential) && isRealPassword(credential, 'token');
}

/**
 * libpq and ODBC connection strings: `host=db user=shop password=Sh0pPass77`,
 * `DRIVER={...};SERVER=db;UID=sa;PWD=S3cret!`. A string only counts with a second connection keyword, so
 * that SQL (`password = ?`, `SET password=%s`) is not one.
 */
const DSN_PASSWORD = /(?:^|[\s;])(?:password|passwd|pwd)\s*=\s*([^\s;'"]+)/i;
const DSN_OTHER_KEY =
  /(?:^|[\s;])(?:host|hostaddr|server|dbname|database|user|uid|port|driver|data source)\s*=/i;

function dsnPassword(text: string): string | undefined {
  const match = DSN_PASSWORD.exec(text);
  if (!match || !DSN_OTHER_KEY.test(text)) return undefined;
  const value = match[1] ?? '';
  // SQL placeholders and bind parameters: `:pw`, `%s`, `?`, `$1`, `@pw`.
  return /^[:%?$@{]/.test(value) ? undefined : value;
}

/**
 * The argument that is a password by its position: `pymysql.connect("db", "root", "pw", "shop")`,
 * `MySQLdb.connect(host, user, passwd, db)`, `ftplib.FTP(host, user, passwd)`,
 * `ldap3.Connection(server, user, password)`, `conn.simple_bind_s(who, cred)`.
 */
function positionalPassword(site: CallSite): Node | undefined {
  const callee = site.callee ?? '';
  if (
    /^(pymysql|MySQLdb|mysqldb)\.(connect|Connect|Connection|connections\.Connection)$/.test(callee) ||
    /^ftplib\.FTP(_TLS)?$/.test(callee) ||
    /^ldap3\.(core\.connection\.)?Connection$/.test(callee)
  )
    return site.args.positional[2];
  if (/^(simple_bind_s|simple_bind|bind_s)$/.test(site.name) && site.receiver) return site.args.positional[1];
  return undefined;
}

/** `generate_password_hash("pw")`, `bcrypt.hashpw(b"pw", salt)`, `user.set_password("pw")`: the password. */
function seededPassword(site: CallSite): Node | undefined {
  const callee = site.callee ?? '';
  if (/(^|\.)generate_password_hash$/.test(callee) || /^bcrypt\.hashpw$/.test(callee))
    return site.args.positional[0] ?? site.args.keywords.get('password');
  if (
    /^(set_password|setPassword|set_pass)$/.test(site.name) &&
    site.receiver &&
    site.args.positional.length === 1
  )
    return site.args.positional[0];
  return undefined;
}

/** Words naming an account or hash that exists only to make a missing user cost as much as a real one. */
const DECOY_WORDS = new Set([
  'dummy',
  'fake',
  'decoy',
  'placeholder',
  'timing',
  'sentinel',
  'missing',
  'nonexistent',
]);

/**
 * `_DUMMY_USER.set_password("...")`, `DUMMY_HASH = generate_password_hash("...")`: a decoy hash checked when
 * the user does not exist (so that both cases take as long), which nobody signs in with.
 */
function isDecoy(site: CallSite): boolean {
  const names: string[] = [];
  if (site.receiver) names.push(site.receiver.text);
  const parent = site.node.parent;
  if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === site.node.id)
    names.push(parent.childForFieldName('left')?.text ?? '');
  return names.some((name) => nameWords(name).some((word) => DECOY_WORDS.has(word)));
}

/**
 * `SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "dev")`, `app.config["SECRET_KEY"] = ...`,
 * `app.secret_key = ...`: the fallback of a Flask signing key, which FS402 reports.
 */
function setsSigningKey(lookup: Node): boolean {
  let node = lookup;
  while (node.parent?.type === 'parenthesized_expression' || node.parent?.type === 'boolean_operator')
    node = node.parent;
  const assignment = node.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== node.id)
    return false;
  const left = assignment.childForFieldName('left');
  const name = left ? assignedName(left) : undefined;
  return !!name && (SIGNING_KEY_SETTINGS.has(name) || name === 'secret_key');
}

/** The name an assignment target gives its value: `DB_PASSWORD`, `self.token` → token, `config["KEY"]` → KEY. */
function assignedName(left: Node): string | undefined {
  if (left.type === 'identifier') return left.text;
  if (left.type === 'attribute') return left.childForFieldName('attribute')?.text;
  if (left.type === 'subscript') return stringValue(left.childForFieldName('subscript'));
  return undefined;
}
