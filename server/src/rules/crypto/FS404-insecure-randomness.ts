import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { lastSegment } from '../../engine/syntax';
import { destinations, destinationsOfName, moduleImportedAs, nameWords } from '../support/crypto';
import { isDeadCode } from '../support/xss';
import type { Destination } from '../support/crypto';
import { defineRule } from '../rule';

/** Functions of `random` (and methods of a `random.Random()`) that draw from the Mersenne Twister. */
const RANDOM_FUNCTIONS = new Set([
  'random',
  'randint',
  'randrange',
  'choice',
  'choices',
  'sample',
  'getrandbits',
  'uniform',
  'shuffle',
  'randbytes',
  'triangular',
  'gauss',
  'normalvariate',
  'betavariate',
  'expovariate',
]);
const NUMPY_RANDOM = new Set([
  'randint',
  'choice',
  'rand',
  'random',
  'bytes',
  'random_sample',
  'permutation',
]);
/** Secure replacements with the same call shape (`secrets.choice(seq)`, `secrets.randbits(k)`). */
const SECRETS_EQUIVALENT = new Map([
  ['choice', 'choice'],
  ['getrandbits', 'randbits'],
]);

/** Words that make a name hold a secret on their own. */
const SECRET_WORDS = new Set([
  'token',
  'tokens',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'otp',
  'totp',
  'hotp',
  'nonce',
  'salt',
  'csrf',
  'xsrf',
  'apikey',
  'credential',
  'credentials',
  'captcha',
  'pin',
  'iv',
  'jti',
  'sid',
  'verification',
  'activation',
  'reset',
  'rememberme',
  'remember',
  'cookie',
  'sessionid',
  'sessionkey',
]);
/** `key`/`code`/`id` are secrets only after one of these (`api_key`, `verification_code`, `session_id`). */
const SECRET_QUALIFIERS = new Set([
  'api',
  'secret',
  'session',
  'me',
  'access',
  'private',
  'encryption',
  'signing',
  'auth',
  'master',
  'crypto',
  'hmac',
  'aes',
  'jwt',
  'csrf',
  'activation',
  'verification',
  'verify',
  'confirm',
  'confirmation',
  'reset',
  'login',
  'license',
  'remember',
  'otp',
  'sms',
  'email',
  'invite',
  'invitation',
  'security',
  'recovery',
  'backup',
  'mfa',
  'tfa',
  'twofa',
  'magic',
  'one',
  'unlock',
  'pairing',
]);
/** Names that say the value is not a secret even if it is random text (`filename`, `color`). */
const NOT_SECRET =
  /^(file|filename|name|path|dir|color|colour|label|tag|slug|test|dummy|fake|sample|mock|delay|sleep|jitter|backoff|wait|timeout|interval|retry|index|idx|port|seed|temp|tmp|suffix|prefix)$/;

export default defineRule({
  meta: {
    id: 'FS404',
    name: 'insecure-randomness',
    title: 'Predictable random numbers used for a secret',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-330', 'CWE-338'],
    owasp: ['A02:2021'],
    fix: { title: 'Use the secrets module', safety: 'unsafe' },
    docs: {
      summary:
        "Finds values from the `random` module — `random()`, `randint`, `randrange`, `choice`, `choices`, `sample`, `getrandbits`, `uniform`, `shuffle`, `randbytes`, also through `from random import choice`, aliases, a `random.Random()` instance or numpy's `random` — that become secrets: assigned to, returned as or stored under a name that says token, password, secret, OTP, nonce, salt, API/session/reset key, verification code, CSRF value or remember-me cookie (following the value through intermediate variables such as `num = random.random(); key = str(num)[2:]`), written into the session or a cookie, or joined into a random string from `string.ascii_letters`/`digits`. `uuid.uuid1()` used as a token is reported too. `secrets`, `random.SystemRandom()`, `os.urandom`, random used for delays, shuffling or sampling, and one pick among options written in the source (`session['theme'] = random.choice(['light', 'dark'])`, outside a loop) are not.",
      why: "`random` is a Mersenne Twister: after observing 624 outputs (or fewer, with a guessable seed) an attacker predicts every past and future value. Password-reset tokens, OTPs, session ids or API keys made from it can be predicted and used to take over accounts. `uuid1()` is built from the host's MAC address and a timestamp, so it is guessable too.",
      example:
        'import random, string\n\ndef reset_token():\n    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(32))',
      fix: 'import secrets\n\ndef reset_token():\n    return secrets.token_urlsafe(32)\n    # or: "".join(secrets.choice(alphabet) for _ in range(32))',
    },
    references: [
      'https://docs.python.org/3/library/secrets.html',
      'https://docs.python.org/3/library/random.html',
      'https://cwe.mitre.org/data/definitions/338.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html#secure-random-number-generation',
    ],
  },
  // random (the module, numpy's, or a random.Random) or uuid.uuid1.
  trigger: /random|uuid1/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const weak = weakSource(ctx, site);
      // In a branch constant conditions rule out (`if 7 * 42 - num > 200: ... else: random...`), it never runs.
      if (!weak || isDeadCode(ctx, site.node)) continue;
      const places = destinations(ctx, site.node, 3);
      if (picksAPublicOption(site, places)) continue;
      // random.shuffle(chars) works in place: what matters is where `chars` goes.
      const shuffled = site.name === 'shuffle' ? site.args.positional[0] : undefined;
      if (shuffled?.type === 'identifier')
        places.push(...destinationsOfName(ctx, shuffled.text, site.node, 2));
      const secret = places.find((d) => isSecretDestination(ctx, d));
      let confidence: 'medium' | 'low' = 'medium';
      let why: string;
      if (secret) {
        why = describeDestination(secret);
      } else if (weak !== 'uuid1' && joinsAlphabet(ctx, site) && !places.some((d) => isNotSecret(d))) {
        confidence = 'low';
        why = 'a random string built from a character alphabet';
      } else {
        continue;
      }
      const what =
        weak === 'uuid1'
          ? 'uuid.uuid1() (MAC address + timestamp)'
          : `${site.calleeText ?? site.name}() from the random module`;
      ctx.report(
        site.node,
        `${what} is predictable and is used for ${why}: use the secrets module (secrets.token_urlsafe(), secrets.choice()) instead.`,
        { confidence, fix: secretsFix(ctx, site) ?? [] },
      );
    }
  },
});

/** 'random' when the call draws from a predictable generator, 'uuid1' for uuid.uuid1(), else null. */
function weakSource(ctx: RuleContext, site: CallSite): 'random' | 'uuid1' | null {
  const callee = site.callee ?? '';
  if (callee === 'uuid.uuid1') return 'uuid1';
  if (callee.startsWith('random.') && RANDOM_FUNCTIONS.has(callee.slice('random.'.length))) return 'random';
  if (/^(numpy|np)\.random\.\w+$/.test(callee) && NUMPY_RANDOM.has(lastSegment(callee))) return 'random';
  if (!RANDOM_FUNCTIONS.has(site.name) || !site.receiver) return null;
  // rng = random.Random(); rng.choice(...)  — but not random.SystemRandom().
  const receiver = site.receiver;
  const built =
    receiver.type === 'call'
      ? ctx.file.callAt(receiver)?.callee
      : ctx.file.constructorOf(receiver, site.scope);
  return built === 'random.Random' ? 'random' : null;
}

function words(name: string): readonly string[] {
  return nameWords(name);
}

/** Whether a name says it holds a secret: `reset_token`, `otp`, `rememberMeKey`, `verification_code`. */
export function saysSecret(name: string): boolean {
  const w = words(name);
  for (let i = 0; i < w.length; i++) {
    const word = w[i] as string;
    const before = w[i - 1];
    const secret =
      SECRET_WORDS.has(word) ||
      (/(token|password|passwd|secret|apikey|nonce)$/.test(word) && word.length > 5) ||
      ((word === 'key' || word === 'code' || word === 'id') && !!before && SECRET_QUALIFIERS.has(before)) ||
      (word === 'code' && w.length === 1);
    // `password_length`, `token_ttl`, `reset_code_delay`: a number about the secret, not the secret.
    if (secret) return !w.slice(i + 1).some((after) => MEASURES.has(after));
  }
  return false;
}

/** Words after a secret's name that make the name a measure of it. */
const MEASURES = new Set([
  'length',
  'len',
  'size',
  'count',
  'digits',
  'bits',
  'bytes',
  'chars',
  'delay',
  'timeout',
  'ttl',
  'expiry',
  'expires',
  'expiration',
  'age',
  'lifetime',
  'attempts',
  'retries',
  'min',
  'max',
  'interval',
  'wait',
]);

function isSecretDestination(ctx: RuleContext, d: Destination): boolean {
  switch (d.kind) {
    case 'target':
      if (d.container && isSession(ctx, d.container)) return true;
      return saysSecret(d.name);
    case 'keyword':
      // set_cookie(key, value=...)
      return saysSecret(lastSegment(d.name)) || d.name === 'set_cookie.value';
    case 'key':
    case 'return':
      return saysSecret(d.name);
    case 'argument': {
      if (d.name === 'set_cookie' && d.index !== undefined && d.index >= 1) return true;
      // tokens.append(...), session.update(...)
      const receiver = d.call?.receiver;
      if (receiver && ['append', 'add', 'extend', 'insert', 'update', 'setdefault'].includes(d.name)) {
        const text = receiver.type === 'identifier' || receiver.type === 'attribute' ? receiver.text : '';
        if (text && (saysSecret(lastSegment(text)) || isSession(ctx, text))) return true;
      }
      return /^(set_password|setpassword|set_token|settoken)$/i.test(d.name);
    }
  }
  return false;
}

function isNotSecret(d: Destination): boolean {
  if (d.kind === 'argument') return false;
  return words(lastSegment(d.name)).some((w) => NOT_SECRET.test(w));
}

function isSession(ctx: RuleContext, container: string): boolean {
  const qualified = ctx.file.imports.qualify(container);
  return qualified === 'flask.session' || qualified === 'quart.session';
}

function describeDestination(d: Destination): string {
  switch (d.kind) {
    case 'target':
      return d.container && /session/.test(d.container) ? 'a session value' : `${d.name}`;
    case 'keyword':
      return d.name === 'set_cookie.value' ? 'a cookie value' : `${lastSegment(d.name)}`;
    case 'key':
      return `"${d.name}"`;
    case 'return':
      return `the value returned by ${d.name}()`;
    case 'argument':
      return d.name === 'set_cookie' ? 'a cookie value' : `${d.name}()`;
  }
}

/**
 * `random.choice(["light", "dark"])`: one pick among options written in the source (a theme, an A/B
 * variant) is no secret however it is stored, when it is not one character of a string being built.
 */
function picksAPublicOption(site: CallSite, places: readonly Destination[]): boolean {
  const options = site.args.positional[0];
  if (site.name !== 'choice' || site.args.positional.length !== 1 || !options) return false;
  if (!['list', 'tuple'].includes(options.type) || options.namedChildren.length > 10) return false;
  if (!options.namedChildren.every((o) => o?.type === 'string' || o?.type === 'integer')) return false;
  // In a comprehension or a loop, picks add up to a string (`code += random.choice([...])`).
  for (let node = site.node.parent; node; node = node.parent) {
    if (REPEATING.has(node.type)) return false;
    if (node.type === 'function_definition') break;
  }
  return !places.some((d) => d.kind === 'argument' && d.name === 'join');
}

const REPEATING = new Set([
  'for_statement',
  'while_statement',
  'generator_expression',
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
]);

/** `"".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))`. */
function joinsAlphabet(ctx: RuleContext, site: CallSite): boolean {
  if (!['choice', 'choices', 'sample'].includes(site.name)) return false;
  const population = site.args.positional[0];
  if (!population) return false;
  const value = ctx.file.resolveValue(population);
  const text = value.text;
  const alphabet =
    /\bstring\.(ascii_letters|ascii_lowercase|ascii_uppercase|digits|hexdigits|punctuation|printable)\b|\b(ascii_letters|ascii_lowercase|ascii_uppercase|digits|hexdigits)\b/.test(
      text,
    ) || /^[rbuRBU]*["'](?=[^"']*[a-z])(?=[^"']*[0-9A-Z])[A-Za-z0-9!@#$%^&*_+=-]{16,}["']$/.test(text);
  if (!alphabet) return false;
  return destinations(ctx, site.node, 0).some((d) => d.kind === 'argument' && d.name === 'join');
}

/** `random.choice(` → `secrets.choice(`, `random.getrandbits(` → `secrets.randbits(` when `secrets` is imported. */
function secretsFix(ctx: RuleContext, site: CallSite): OffsetEdit[] | null {
  const replacement = SECRETS_EQUIVALENT.get(site.name);
  if (!replacement || !site.callee?.startsWith('random.') || !moduleImportedAs(ctx, 'secrets')) return null;
  const fn: Node | null = site.node.childForFieldName('function');
  if (!fn) return null;
  return [{ start: fn.startIndex, end: fn.endIndex, newText: `secrets.${replacement}` }];
}
