import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { lastSegment, stringValue } from '../../engine/syntax';
import {
  argument,
  isConstantBytes,
  mentionsPassword,
  numberOf,
  passwordHashings,
  qualifiedValue,
  stringOf,
} from '../support/crypto';
import { isTestConfiguration } from '../support/config';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** bcrypt's default is 12 rounds; below 10 a GPU tries candidate passwords too fast. */
const MIN_BCRYPT_ROUNDS = 10;
/** PBKDF2 iterations below this are far under current guidance (OWASP: 600,000 for HMAC-SHA256). */
const MIN_PBKDF2_ITERATIONS = 100_000;

/** passlib schemes that are fast, unsalted, broken or plain text. */
const WEAK_PASSLIB = new Set([
  'md5_crypt',
  'apr_md5_crypt',
  'sun_md5_crypt',
  'hex_md4',
  'hex_md5',
  'hex_sha1',
  'hex_sha256',
  'hex_sha512',
  'ldap_md5',
  'ldap_sha1',
  'ldap_salted_md5',
  'ldap_salted_sha1',
  'ldap_hex_md5',
  'ldap_hex_sha1',
  'ldap_plaintext',
  'ldap_des_crypt',
  'ldap_md5_crypt',
  'plaintext',
  'des_crypt',
  'bsdi_crypt',
  'bigcrypt',
  'crypt16',
  'lmhash',
  'nthash',
  'mysql323',
  'mysql41',
  'postgres_md5',
  'oracle10',
  'msdcc',
  'msdcc2',
  'cisco_pix',
  'cisco_asa',
  'cisco_type7',
  'roundup_plaintext',
  'htdigest',
]);

const WEAK_CRYPT_METHODS = new Set(['METHOD_CRYPT', 'METHOD_MD5']);

const CRYPT_CONTEXT = /^passlib\.context\.CryptContext$|^passlib\.apps\.\w+\.copy$/;

export default defineRule({
  meta: {
    id: 'FS401',
    name: 'weak-password-hash',
    title: 'Password hashed with a fast or broken algorithm',
    severity: 'error',
    confidence: 'medium',
    cwe: ['CWE-916', 'CWE-328', 'CWE-760'],
    owasp: ['A02:2021'],
    fix: { title: 'Hash the password with werkzeug generate_password_hash', safety: 'unsafe' },
    docs: {
      summary:
        "Finds passwords hashed with a fast general-purpose hash — `hashlib.md5/sha1/sha256/sha512/blake2b/new(...)` or pycryptodome/`cryptography` hashes whose input is a password (`password`, `pwd`, `form.password.data`, `request.form['password']`) or whose digest is stored as one (`user.password_hash = ...`, `set_password(...)`), and a value named as a secret hashed on its own with MD5/SHA-1 — and password-hashing APIs configured to be weak: werkzeug `generate_password_hash(method='md5'|'sha1'|'plain'|...)`, `bcrypt.gensalt(rounds<10)`, Flask-Bcrypt's `BCRYPT_LOG_ROUNDS` below 10 outside a TestingConfig, `hashlib.pbkdf2_hmac`/`PBKDF2HMAC`/pycryptodome `PBKDF2` with fewer than 100,000 iterations, passlib `md5_crypt`, `hex_md5`, `ldap_md5`, `plaintext` and friends (directly or as the default scheme of a `CryptContext`), passlib `pbkdf2_sha256.using(rounds=...)` below 100,000, and `crypt.crypt` with `METHOD_CRYPT`/`METHOD_MD5` or a two-character (DES) salt; and salts fixed in the source (`pbkdf2_hmac(\"sha256\", pw, b\"static-salt\", n)`, `hashlib.scrypt(..., salt=SALT)`, `PBKDF2HMAC(..., salt=b\"...\")`, `bcrypt.hashpw(pw, b\"$2b$12$...\")`, argon2 `hash_secret`), medium confidence when the input is not a password.",
      why: 'Password databases leak (SQL injection, backups, insiders). A GPU computes billions of MD5 or SHA-256 hashes per second, so most passwords hashed that way — salted or not — are recovered within hours, and users reuse them elsewhere. Password hashes must be slow and salted (bcrypt, scrypt, Argon2, PBKDF2 with a high work factor) so that each guess costs real time.',
      example:
        'import hashlib\n\ndef register(username, password):\n    digest = hashlib.md5(password.encode()).hexdigest()\n    db.execute("INSERT INTO users VALUES (?, ?)", (username, digest))',
      fix: 'from werkzeug.security import check_password_hash, generate_password_hash\n\ndef register(username, password):\n    digest = generate_password_hash(password)  # scrypt/pbkdf2, salted\n    db.execute("INSERT INTO users VALUES (?, ?)", (username, digest))\n\ndef login(user, password):\n    return check_password_hash(user.password_hash, password)',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/916.html',
      'https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.security.generate_password_hash',
      'https://passlib.readthedocs.io/en/stable/lib/passlib.hash.html',
    ],
  },
  // A hash from hashlib, PyCryptodome or cryptography, werkzeug's generate_password_hash, bcrypt's gensalt,
  // passlib, crypt with a weak method (named where it is used or imported), or Flask-Bcrypt's setting.
  trigger:
    /hashlib|Crypto|cryptography|generate_password_hash|gensalt|passlib|\bcrypt\b|BCRYPT_LOG_ROUNDS|bcrypt|argon2/,
  check(ctx: RuleContext) {
    for (const hashing of passwordHashings(ctx)) {
      const algorithm = hashing.hash.algorithm ?? 'a fast hash';
      ctx.report(
        hashing.node,
        `Password hashed with ${algorithm} (${hashing.evidence}): fast hashes are cracked offline at billions of guesses per second. Use generate_password_hash (werkzeug), bcrypt or argon2.`,
        { fix: werkzeugFix(ctx, hashing.hash.site, hashing.hash.data) ?? [] },
      );
    }
    for (const site of ctx.file.calls) {
      // A CryptContext's weak scheme is reported in its list of schemes, which may be bound elsewhere.
      if (ctx.inFocus(site.node) || CRYPT_CONTEXT.test(site.callee ?? '')) checkPasswordApi(ctx, site);
    }
    // Flask-Bcrypt's work factor: BCRYPT_LOG_ROUNDS = 4 (what its docs suggest for tests, and only there).
    for (const write of ctx.flask.configWrites) {
      if (write.key !== 'BCRYPT_LOG_ROUNDS' || !ctx.inFocus(write.node)) continue;
      const rounds = numberOf(ctx, write.value);
      if (rounds === undefined || rounds >= MIN_BCRYPT_ROUNDS || isTestConfiguration(ctx, write.node))
        continue;
      ctx.report(
        write.node,
        `BCRYPT_LOG_ROUNDS = ${rounds} makes Flask-Bcrypt's hashes too fast to resist offline cracking: use at least 12 (the default), and low values only in a TestingConfig.`,
        { confidence: 'high' },
      );
    }
  },
});

/** Key-derivation and password-hashing calls, and where their salt is (position, keyword). */
const SALTED_CALLS: readonly [RegExp, number, string][] = [
  [/^hashlib\.pbkdf2_hmac$/, 2, 'salt'],
  [/^hashlib\.scrypt$/, -1, 'salt'],
  [/^cryptography\.hazmat\.primitives\.kdf\.pbkdf2\.PBKDF2HMAC$/, 2, 'salt'],
  [/^cryptography\.hazmat\.primitives\.kdf\.scrypt\.Scrypt$/, 0, 'salt'],
  [/^cryptography\.hazmat\.primitives\.kdf\.argon2\.Argon2id$/, -1, 'salt'],
  [/^(Crypto|Cryptodome)\.Protocol\.KDF\.(PBKDF2|scrypt)$/, 1, 'salt'],
  [/^(Crypto|Cryptodome)\.Protocol\.KDF\.bcrypt$/, 2, 'salt'],
  [/^argon2\.low_level\.hash_secret(_raw)?$/, 1, 'salt'],
  [/^bcrypt\.(hashpw|kdf)$/, 1, 'salt'],
];

/**
 * A salt fixed in the source (`pbkdf2_hmac("sha256", pw, b"static-salt", n)`, `bcrypt.hashpw(pw,
 * b"$2b$12$...")`): every user with the same password gets the same hash, and one precomputed table
 * cracks them all. High confidence when the input is a password; medium for keys derived from a secret.
 */
function checkConstantSalt(ctx: RuleContext, site: CallSite): void {
  const callee = site.callee ?? '';
  const entry = SALTED_CALLS.find(([pattern]) => pattern.test(callee));
  if (!entry || !ctx.inFocus(site.node)) return;
  const [, position, keyword] = entry;
  const salt = position >= 0 ? argument(site, position, keyword) : site.args.keywords.get(keyword);
  if (!salt || !isConstantBytes(ctx, salt)) return;
  const input =
    callee.startsWith('bcrypt.') || /\.(PBKDF2|scrypt|bcrypt)$/.test(callee) || /hash_secret/.test(callee)
      ? site.args.positional[0]
      : callee === 'hashlib.pbkdf2_hmac'
        ? site.args.positional[1]
        : (site.args.keywords.get('password') ?? site.args.positional[0]);
  const password = !!input && mentionsPassword(ctx, input);
  ctx.report(
    salt,
    `${site.calleeText ?? site.name}() is given a salt fixed in the source: equal ${password ? 'passwords' : 'inputs'} give equal hashes, so one precomputed table cracks them all. Use a random salt per ${password ? 'password' : 'value'} (os.urandom(16), bcrypt.gensalt()) stored with the hash.`,
    { confidence: password ? 'high' : 'medium' },
  );
}

function checkPasswordApi(ctx: RuleContext, site: CallSite): void {
  const callee = site.callee ?? '';
  const report = (node: Node, message: string) => ctx.report(node, message, { confidence: 'high' });
  checkConstantSalt(ctx, site);

  // werkzeug generate_password_hash(pw, method="sha256") / flask_bcrypt generate_password_hash(pw, rounds=4)
  if (site.name === 'generate_password_hash') {
    const isWerkzeug = /^werkzeug(\.security)?\.generate_password_hash$/.test(callee);
    const method = isWerkzeug ? argument(site, 1, 'method') : site.args.keywords.get('method');
    const value = stringOf(ctx, method);
    if (method && value !== undefined && weakWerkzeugMethod(value)) {
      report(
        method,
        `generate_password_hash with method="${value}" stores a fast, crackable hash: drop the method argument (werkzeug defaults to scrypt) or use "scrypt"/"pbkdf2:sha256:600000".`,
      );
    }
    const rounds = isWerkzeug ? undefined : argument(site, 1, 'rounds');
    const n = numberOf(ctx, rounds);
    if (rounds && n !== undefined && n < MIN_BCRYPT_ROUNDS) {
      report(
        rounds,
        `bcrypt with ${n} rounds is too fast to resist offline cracking: use at least 12 (the default).`,
      );
    }
    return;
  }
  // bcrypt.gensalt(rounds=4)
  if (/^(bcrypt|flask_bcrypt)\.gensalt$/.test(callee)) {
    const rounds = argument(site, 0, 'rounds', 'log_rounds');
    const n = numberOf(ctx, rounds);
    if (rounds && n !== undefined && n < MIN_BCRYPT_ROUNDS) {
      report(
        rounds,
        `bcrypt.gensalt(${n}) makes hashes too fast to resist offline cracking: use at least 12 rounds (the default).`,
      );
    }
    return;
  }
  // hashlib.pbkdf2_hmac("sha256", pw, salt, 1000) / PBKDF2HMAC(algorithm, length, salt, iterations) / PBKDF2(pw, salt, count=1000)
  const pbkdf2 = pbkdf2Iterations(site);
  if (pbkdf2) {
    const n = pbkdf2.node ? numberOf(ctx, pbkdf2.node) : pbkdf2.default;
    if (n !== undefined && n < MIN_PBKDF2_ITERATIONS) {
      report(
        pbkdf2.node ?? site.node,
        `PBKDF2 with ${n.toLocaleString('en-US')} iterations is too fast to resist offline cracking: use at least 600,000 (OWASP) or switch to scrypt/argon2.`,
      );
    }
    return;
  }
  // passlib: md5_crypt.hash(pw), passlib.hash.hex_md5.using(...).hash(pw)
  const passlib = /^passlib\.hash\.(\w+)\./.exec(callee);
  if (
    passlib &&
    WEAK_PASSLIB.has(passlib[1] as string) &&
    /^(hash|encrypt|using|genhash|genconfig)$/.test(site.name)
  ) {
    report(
      site.node,
      `passlib ${passlib[1]} is a fast or broken password scheme: use bcrypt, argon2 or pbkdf2_sha256.`,
    );
    return;
  }
  // CryptContext(schemes=["md5_crypt", ...]) / CryptContext(default="hex_md5")
  if (CRYPT_CONTEXT.test(callee)) {
    const schemes = argument(site, 0, 'schemes');
    const resolved = schemes ? ctx.file.resolveValue(schemes) : null;
    const first = resolved && ['list', 'tuple'].includes(resolved.type) ? resolved.namedChildren[0] : null;
    const defaultScheme = site.args.keywords.get('default');
    const names = [
      { node: defaultScheme, value: stringOf(ctx, defaultScheme) },
      { node: first ?? undefined, value: defaultScheme ? undefined : stringValue(first ?? null) },
    ];
    for (const { node, value } of names) {
      if (node && value && WEAK_PASSLIB.has(value)) {
        report(
          node,
          `CryptContext hashes new passwords with ${value}, a fast or broken scheme: put "bcrypt" or "argon2" first.`,
        );
        return;
      }
    }
    return;
  }
  // crypt.crypt(pw, crypt.METHOD_MD5) / crypt.mksalt(crypt.METHOD_CRYPT)
  if (callee === 'crypt.crypt' || callee === 'crypt.mksalt') {
    const method = argument(
      site,
      callee === 'crypt.crypt' ? 1 : 0,
      callee === 'crypt.crypt' ? 'salt' : 'method',
    );
    const name = qualifiedValue(ctx, method);
    if (method && name && name.startsWith('crypt.') && WEAK_CRYPT_METHODS.has(lastSegment(name))) {
      report(
        method,
        `crypt with ${lastSegment(name)} is a weak password hash: use crypt.METHOD_SHA512 at least, or better bcrypt/argon2.`,
      );
      return;
    }
    // crypt.crypt(pw, "ab"): a salt that is not "$id$..." selects traditional DES crypt.
    const salt = callee === 'crypt.crypt' && method ? stringOf(ctx, method) : undefined;
    if (method && salt !== undefined && /^[./0-9A-Za-z]{2}$/.test(salt)) {
      report(
        method,
        `crypt with a two-character salt is traditional DES crypt: it reads only the first 8 characters of the password and is cracked quickly. Use crypt.mksalt(crypt.METHOD_SHA512) at least, or better bcrypt/argon2.`,
      );
    }
    return;
  }
  // passlib: pbkdf2_sha256.using(rounds=1000).hash(pw)
  const passlibScheme = /^passlib\.hash\.(pbkdf2_sha1|pbkdf2_sha256|pbkdf2_sha512)\.using$/.exec(callee);
  const rounds = passlibScheme ? site.args.keywords.get('rounds') : undefined;
  const n = rounds ? numberOf(ctx, rounds) : undefined;
  if (rounds && n !== undefined && n < MIN_PBKDF2_ITERATIONS) {
    report(
      rounds,
      `passlib ${passlibScheme?.[1]} with ${n.toLocaleString('en-US')} rounds is too fast to resist offline cracking: use at least 600,000 (OWASP), passlib's default, or argon2/bcrypt.`,
    );
  }
}

function weakWerkzeugMethod(method: string): boolean {
  const lower = method.toLowerCase();
  if (lower.startsWith('scrypt')) return false;
  if (lower.startsWith('pbkdf2')) {
    const iterations = Number(lower.split(':')[2]);
    return Number.isFinite(iterations) && iterations > 0 && iterations < MIN_PBKDF2_ITERATIONS;
  }
  return true; // plain, md5, sha1, sha256, sha512...: one unsalted-strength round of a fast hash
}

function pbkdf2Iterations(site: CallSite): { node: Node | undefined; default?: number } | null {
  const callee = site.callee ?? '';
  if (callee === 'hashlib.pbkdf2_hmac') return { node: argument(site, 3, 'iterations') };
  if (/^cryptography\.hazmat\.primitives\.kdf\.pbkdf2\.PBKDF2HMAC$/.test(callee))
    return { node: argument(site, 3, 'iterations') };
  if (/^(Crypto|Cryptodome)\.Protocol\.KDF\.PBKDF2$/.test(callee))
    return { node: argument(site, 3, 'count'), default: 1000 };
  return null;
}

/**
 * `hashlib.md5(password.encode()).hexdigest()` → `generate_password_hash(password)`, offered only when the
 * file already imports werkzeug's `generate_password_hash` under that name. Unsafe: the stored format
 * changes, and checking must move to `check_password_hash`.
 */
function werkzeugFix(ctx: RuleContext, site: CallSite, data: Node | null): OffsetEdit[] | null {
  const qualified = ctx.file.imports.qualify('generate_password_hash');
  if (!/^werkzeug(\.security)?\.generate_password_hash$/.test(qualified)) return null;
  if (!data || site.args.positional.length !== 1 || site.args.keywords.size > 0) return null;
  const chain = site.node.parent;
  const outer = chain?.parent;
  if (chain?.type !== 'attribute' || outer?.type !== 'call') return null;
  if (chain.childForFieldName('attribute')?.text !== 'hexdigest') return null;
  if ((outer.childForFieldName('arguments')?.namedChildren.length ?? 0) > 0) return null;
  // password.encode() / password.encode("utf-8") → password (a bare name may hold bytes: no fix)
  const fn = data.type === 'call' ? data.childForFieldName('function') : null;
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'encode') return null;
  const password = fn.childForFieldName('object');
  if (!password || !['identifier', 'attribute', 'subscript'].includes(password.type)) return null;
  return [replaceNode(outer, `generate_password_hash(${password.text})`)];
}
