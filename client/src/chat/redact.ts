/**
 * Masks secrets in text before it is sent to a model: provider API keys, tokens, JWTs, private-key blocks,
 * credentials in URLs and headers, `password = "..."`-style assignments (and literal defaults of
 * `os.environ.get("SECRET", "...")`), `.env` lines with secret-looking names, wallet seed phrases and 64-hex
 * private keys. Each secret becomes `[REDACTED:<kind>]`; the number of lines never changes (a private-key
 * block keeps its BEGIN/END lines and its line count), so the line numbers the model sees stay those of
 * the file. The result lists what was masked, for the context chip and the note to the model.
 *
 * These are patterns, not proof: they mask more than necessary rather than less, and a secret in a shape
 * they do not know still goes out. The chip tells the user what was found.
 */

export interface Redaction {
  kind: string;
  /** For people: "AWS access key id". */
  label: string;
  /** 1-based line in the redacted text (the same as in the original). */
  line: number;
}

export interface RedactResult {
  text: string;
  redactions: Redaction[];
  /**
   * The secret values that were masked, so the same values can be masked where no pattern would see them
   * (a linter message or a question quoting the value): see `maskKnownSecrets`. Keep in memory only.
   */
  secrets: string[];
}

export const REDACTED_PREFIX = '[REDACTED:';
const marker = (kind: string): string => `${REDACTED_PREFIX}${kind}]`;

interface TokenPattern {
  kind: string;
  label: string;
  re: RegExp;
}

/** Secrets recognisable by their own shape, wherever they appear. Order matters (Anthropic before OpenAI). */
const TOKEN_PATTERNS: readonly TokenPattern[] = [
  { kind: 'anthropic-key', label: 'Anthropic API key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'openai-key', label: 'OpenAI API key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  {
    kind: 'aws-access-key',
    label: 'AWS access key id',
    re: /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g,
  },
  {
    kind: 'github-token',
    label: 'GitHub token',
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  { kind: 'gitlab-token', label: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack-token', label: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  {
    kind: 'slack-webhook',
    label: 'Slack webhook URL',
    re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{10,}/g,
  },
  { kind: 'stripe-key', label: 'Stripe secret key', re: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: 'webhook-secret', label: 'webhook signing secret', re: /\bwhsec_[A-Za-z0-9+/=]{20,}/g },
  { kind: 'google-api-key', label: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  {
    kind: 'sendgrid-key',
    label: 'SendGrid API key',
    re: /\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}/g,
  },
  { kind: 'npm-token', label: 'npm token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: 'huggingface-token', label: 'Hugging Face token', re: /\bhf_[A-Za-z0-9]{30,}\b/g },
  { kind: 'twilio-key', label: 'Twilio API key', re: /\bSK[0-9a-f]{32}\b/g },
  {
    kind: 'jwt',
    label: 'JSON Web Token',
    re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  },
];

/** Names whose literal values are treated as secrets. Plain `key` is too common (cache keys) to count. */
const SECRET_NAME =
  /(pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|credentials?|mnemonic|seed[_-]?phrase|recovery[_-]?phrase|wallet[_-]?seed|salt)/i;
/** Names that look secret but are not (the name of a field, a header or a setting about secrets). */
const NOT_SECRET_NAME =
  /(?:_(?:field|name|label|header|type|len|length|min|max|url|hint|policy)$|^csrf_token$)/i;

function isPlaceholder(value: string, name: string): boolean {
  const v = value.trim();
  if (v.length < 4) return true;
  if (v.includes(REDACTED_PREFIX)) return true;
  if (/^(?:\$\{[^}]*\}|\{\{[^}]*\}\}|\{[^}]*\}|%\([^)]*\)s|%s|<[^>]*>|\*+|x+|\.+|-+)$/i.test(v)) return true;
  // `"password": "password"` maps a field to its name; nothing secret in it.
  const bare = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return (
    bare(v) ===
    bare(
      name
        .split(/[.\]['"]/)
        .filter(Boolean)
        .pop() ?? name,
    )
  );
}

/** An unquoted value that looks like a secret rather than a Python expression (`os.environ[...]`, `DEV_KEY`). */
function looksRandom(value: string): boolean {
  if (value.length < 8) return false;
  if (/[()[\]{}]/.test(value)) return false;
  if (/^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*$/.test(value) && !/\d/.test(value)) return false;
  if (/^(?:true|false|none|null|yes|no|on|off|\d+)$/i.test(value)) return false;
  return /[A-Za-z]/.test(value) && /\d/.test(value);
}

const SEED_COUNTS = new Set([12, 15, 18, 21, 24]);

export interface RedactOptions {
  /** The file's name: unquoted `NAME=value` lines of `.env` files are masked without the randomness test. */
  fileName?: string;
}

export function redactSecrets(input: string, options: RedactOptions = {}): RedactResult {
  let text = input;
  const redactions: Redaction[] = [];
  const secrets: string[] = [];
  const lineAt = (offset: number): number => {
    let line = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    return line;
  };
  /** Runs `re` over the current text; `replace` returns the new text of the match, or undefined to keep it. */
  const apply = (
    re: RegExp,
    replace: (
      m: RegExpExecArray,
    ) => { text: string; kind: string; label: string; secret?: string } | undefined,
  ): void => {
    const pending: { start: number; end: number; text: string; kind: string; label: string }[] = [];
    for (const m of text.matchAll(re)) {
      if (m[0].includes(REDACTED_PREFIX)) continue;
      const r = replace(m);
      if (!r) continue;
      pending.push({
        start: m.index,
        end: m.index + m[0].length,
        text: r.text,
        kind: r.kind,
        label: r.label,
      });
      const secret = (r.secret ?? m[0]).trim();
      if (secret.length >= 4) secrets.push(secret);
    }
    if (pending.length === 0) return;
    let out = '';
    let last = 0;
    for (const p of pending) {
      redactions.push({ kind: p.kind, label: p.label, line: lineAt(p.start) });
      out += text.slice(last, p.start) + p.text;
      last = p.end;
    }
    text = out + text.slice(last);
  };

  // 1. Private-key blocks (also one cut off by the end of the selection). Keeps BEGIN/END and the line count.
  apply(
    /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----([\s\S]*?)(?:-----END \1PRIVATE KEY\2-----|$(?![\s\S]))/g,
    (m) => {
      const body = m[3] ?? '';
      const newlines = (body.match(/\n/g) ?? []).length;
      const ended = m[0].includes('-----END');
      const begin = `-----BEGIN ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
      const end = ended ? `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----` : '';
      const inner =
        newlines > 0 ? `\n${marker('private-key')}${'\n'.repeat(newlines - 1)}` : marker('private-key');
      return { text: `${begin}${inner}${end}`, kind: 'private-key', label: 'private key', secret: body };
    },
  );

  // 2. Provider keys and tokens by shape.
  for (const p of TOKEN_PATTERNS) apply(p.re, () => ({ text: marker(p.kind), kind: p.kind, label: p.label }));
  apply(/(AccountKey=)([A-Za-z0-9+/]{40,}={0,2})/g, (m) => ({
    text: `${m[1] ?? ''}${marker('azure-storage-key')}`,
    kind: 'azure-storage-key',
    label: 'Azure storage key',
    secret: m[2],
  }));

  // 3. Passwords in URLs: scheme://user:password@host (not `{password}` template fields).
  apply(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]+:)([^\s@'"`/]+)@/gi, (m) => {
    const pw = m[2] ?? '';
    if (/^[{$%<]/.test(pw) || pw.includes(REDACTED_PREFIX)) return undefined;
    return {
      text: `${m[1] ?? ''}${marker('url-password')}@`,
      kind: 'url-password',
      label: 'password in a URL',
      secret: pw,
    };
  });

  // 4. Authorization headers and bearer tokens.
  apply(/\b((?:Bearer|Basic)[ \t]+)([A-Za-z0-9._~+/-]{16,}=*)/g, (m) => {
    const token = m[2] ?? '';
    if (!/\d/.test(token) && token.length < 30) return undefined;
    return {
      text: `${m[1] ?? ''}${marker('auth-header')}`,
      kind: 'auth-header',
      label: 'authorization header value',
      secret: token,
    };
  });

  // 5. Wallet seed phrases: 12/15/18/21/24 lowercase words filling a string literal or the rest of a line.
  apply(
    /(?<=^|['"`=:]|^[ \t#]+|[=:][ \t]*)((?:[a-z]{3,8}[ \t]+){11,23}[a-z]{3,8})(?=[ \t]*(?:$|['"`]))/gm,
    (m) => {
      const words = (m[1] ?? '').trim().split(/[ \t]+/);
      if (!SEED_COUNTS.has(words.length)) return undefined;
      return {
        text: marker('seed-phrase'),
        kind: 'seed-phrase',
        label: `${words.length}-word seed phrase`,
        secret: m[1],
      };
    },
  );

  // 6. 64-hex-digit values (private keys of wallets, raw symmetric keys). Hashes look the same; masked too.
  apply(/\b(0x)?((?:[0-9a-fA-F]{64}){1,2})\b/g, (m) => {
    const hex = m[2] ?? '';
    if (!/[a-fA-F]/.test(hex) || !/\d/.test(hex)) return undefined;
    return { text: marker('hex-key'), kind: 'hex-key', label: '64-hex-digit key', secret: hex };
  });

  // 7. Literal values assigned to secret-looking names: NAME = "v", "NAME": "v", ["NAME"] = "v", NAME="v",
  //    NAME: str = "v", and literal defaults: os.environ.get("NAME", "v"), getenv("NAME", "v").
  const assignment =
    /(?<name>[A-Za-z_][A-Za-z0-9_.-]*)(?:['"]\]?|\])?(?:[ \t]*:[ \t]*[A-Za-z_][\w.[\], |]*?)?[ \t]*(?::=|=>|=|:)[ \t]*(?<prefix>[rRbBuUfF]{0,2})(?<q>['"])(?<val>(?:\\.|(?!\k<q>)[^\\\n])*)\k<q>/g;
  const envDefault =
    /(?<open>\b(?:get|getenv|setdefault|environ\.get)\(\s*)(?<nq>['"])(?<name>[A-Za-z_][\w.-]*)\k<nq>(?<sep>\s*,\s*[rRbBuU]{0,2})(?<q>['"])(?<val>(?:\\.|(?!\k<q>)[^\\\n])*)\k<q>/g;
  const secretValue = (
    m: RegExpExecArray,
    build: (masked: string) => string,
  ): { text: string; kind: string; label: string; secret: string } | undefined => {
    const name = m.groups?.['name'] ?? '';
    const val = m.groups?.['val'] ?? '';
    if (!SECRET_NAME.test(name) || NOT_SECRET_NAME.test(name) || isPlaceholder(val, name)) return undefined;
    const kind = /pass|pwd/i.test(name) ? 'password' : 'secret';
    return {
      text: build(marker(kind)),
      kind,
      label: `${kind} assigned to ${name.slice(0, 60)}`,
      secret: val,
    };
  };
  apply(envDefault, (m) =>
    secretValue(m, (masked) => {
      const g = m.groups ?? {};
      return `${g['open']}${g['nq']}${g['name']}${g['nq']}${g['sep']}${g['q']}${masked}${g['q']}`;
    }),
  );
  apply(assignment, (m) =>
    secretValue(m, (masked) => {
      const g = m.groups ?? {};
      const head = m[0].slice(0, m[0].length - (g['val'] ?? '').length - 2 - (g['prefix'] ?? '').length);
      return `${head}${g['prefix']}${g['q']}${masked}${g['q']}`;
    }),
  );

  // 8. Unquoted NAME=value lines (.env files, shell exports, unquoted YAML values).
  const envFile = /(^|[\\/])\.env(\.[\w.-]+)?$|\.env$/i.test(options.fileName ?? '');
  apply(
    /^(?<lead>[ \t]*(?:export[ \t]+|-[ \t]+)?(?<name>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*(?<op>=|:)[ \t]*)(?<val>[^\s'"#][^\s#]*)[ \t]*$/gm,
    (m) => {
      const name = m.groups?.['name'] ?? '';
      const val = m.groups?.['val'] ?? '';
      if (!SECRET_NAME.test(name) || NOT_SECRET_NAME.test(name) || isPlaceholder(val, name)) return undefined;
      if (!(envFile && m.groups?.['op'] === '=') && !looksRandom(val)) return undefined;
      const kind = /pass|pwd/i.test(name) ? 'password' : 'secret';
      return {
        text: `${m.groups?.['lead'] ?? ''}${marker(kind)}`,
        kind,
        label: `${kind} assigned to ${name}`,
        secret: val,
      };
    },
  );

  redactions.sort((a, b) => a.line - b.line);
  return { text, redactions, secrets: [...new Set(secrets)] };
}

/**
 * Masks the exact values `redactSecrets` found elsewhere, in text where no pattern would recognise them
 * (a finding message quoting the literal, the question). Longest first, so a value containing another is
 * masked whole.
 */
export function maskKnownSecrets(text: string, secrets: readonly string[]): { text: string; count: number } {
  let out = text;
  let count = 0;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length < 4) continue;
    const parts = out.split(s);
    if (parts.length > 1) {
      count += parts.length - 1;
      out = parts.join(marker('secret'));
    }
  }
  return { text: out, count };
}

/** "2 secrets masked: AWS access key id (line 12), password assigned to DB_PASSWORD (line 14)". */
export function describeRedactions(redactions: readonly Redaction[], lineOffset = 0): string {
  if (redactions.length === 0) return '';
  const items = redactions.slice(0, 10).map((r) => `${r.label} (line ${r.line + lineOffset})`);
  const more = redactions.length > 10 ? `, and ${redactions.length - 10} more` : '';
  return `${redactions.length} secret${redactions.length === 1 ? '' : 's'} masked: ${items.join(', ')}${more}`;
}
