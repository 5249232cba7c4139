import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { stringValue } from '../../engine/syntax';
import { isPasswordWord, nameWords } from './crypto';

/**
 * What a name says about the secret it holds (FS410 logs, FS411 comparisons): `password`, `access_token`,
 * `X-Api-Key`, `client_secret`, `signature`, `Authorization`, `card_number`, `cvv`, `ssn`, `otp_code`. Names
 * that describe a secret instead of holding it — `token_type`, `password_hash`, `has_token`,
 * `reset_password_url`, `TOKEN_EXPIRY` — hold none.
 */
export type SecretKind =
  | 'password'
  | 'token'
  | 'secret'
  | 'API key'
  | 'key'
  | 'signature'
  | 'Authorization header'
  | 'credentials'
  | 'card number'
  | 'card security code'
  | 'social security number'
  | 'one-time code'
  | 'PIN';

/** Words before `key` that make it a secret key rather than a dictionary or cache key. */
const KEY_QUALIFIERS = new Set([
  'api',
  'secret',
  'private',
  'access',
  'signing',
  'encryption',
  'client',
  'auth',
  'master',
  'hmac',
  'license',
  'webhook',
  'consumer',
  'stripe',
  'sendgrid',
  'mailgun',
  'twilio',
  'aws',
  'openai',
]);

/** Words before `code` that make it a one-time code rather than a status, country or error code. */
const CODE_QUALIFIERS = new Set([
  'otp',
  'totp',
  'mfa',
  'verification',
  'verify',
  'auth',
  'authorization',
  'reset',
  'confirm',
  'confirmation',
  'sms',
  'security',
  'access',
  'login',
  'activation',
  'recovery',
  'backup',
  'invite',
  'invitation',
]);

/** Words after the secret word that make the name describe it (`token_type`, `password_hash`). */
const DESCRIBING = new Set([
  'id',
  'ids',
  'type',
  'types',
  'kind',
  'expiry',
  'expires',
  'expiration',
  'expire',
  'exp',
  'ttl',
  'lifetime',
  'age',
  'timeout',
  'length',
  'len',
  'size',
  'count',
  'url',
  'uri',
  'endpoint',
  'route',
  'path',
  'file',
  'filename',
  'name',
  'names',
  'field',
  'fields',
  'label',
  'hash',
  'hashed',
  'digest',
  'valid',
  'validity',
  'invalid',
  'ok',
  'set',
  'present',
  'exists',
  'provided',
  'required',
  'enabled',
  'changed',
  'policy',
  'rule',
  'rules',
  'regex',
  'pattern',
  'hint',
  'prompt',
  'message',
  'msg',
  'error',
  'errors',
  'prefix',
  'suffix',
  'last',
  'first',
  'masked',
  'mask',
  'redacted',
  'preview',
  'status',
  'state',
  'version',
  'issued',
  'created',
  'updated',
  'at',
  'date',
  'time',
  'timestamp',
  'scope',
  'scopes',
  'format',
  'source',
  'store',
  'storage',
  'strength',
  'min',
  'max',
  'reset',
  'forgot',
  'change',
  'update',
  'attempt',
  'attempts',
  'failure',
  'failures',
  'failed',
  'column',
  'template',
  'param',
  'parameter',
  'header',
  'placeholder',
  'widget',
  'form',
  'input',
  'match',
  'matches',
  'mismatch',
  'verified',
  'confirmed',
  'sent',
  'request',
  'requested',
  'generator',
  'manager',
  'service',
  'handler',
  'class',
  'model',
  'schema',
  'serializer',
  'chars',
  'alphabet',
  'bytes',
  'bits',
  'entropy',
  'salt',
  'algorithm',
  'alg',
  'method',
  'scheme',
  'lookup',
  'index',
  'location',
  'env',
  'var',
  'variable',
]);

/** Words before the secret word that make the name a flag or a transformed value (`has_token`, `masked_card`). */
const NEGATING = new Set([
  'has',
  'is',
  'no',
  'not',
  'invalid',
  'missing',
  'valid',
  'show',
  'hide',
  'toggle',
  'num',
  'len',
  'max',
  'min',
  'count',
  'masked',
  'mask',
  'redacted',
  'hashed',
  'hash',
  'obfuscated',
  'partial',
  'truncated',
  'encrypted',
  'require',
  'requires',
  'use',
  'uses',
]);

/** Whose `pass` is a password (`user_pass`, `db_pass`); `first_pass`, `pass_rate` and `bypass_cache` are not. */
const PASS_OWNERS = new Set([
  'user',
  'admin',
  'root',
  'db',
  'database',
  'smtp',
  'mail',
  'email',
  'ftp',
  'ssh',
  'login',
  'account',
  'mysql',
  'postgres',
  'pg',
  'redis',
  'ldap',
  'proxy',
  'wifi',
  'new',
  'old',
  'current',
  'confirm',
]);

/**
 * Whether the word `pass` at `i` names a password: alone (a key such as `request.form["pass"]`; `pass` cannot
 * be a Python name) or last after an owner word.
 */
function passMeansPassword(words: readonly string[], i: number): boolean {
  if (words.length === 1) return true;
  const before = words[i - 1];
  return i === words.length - 1 && before !== undefined && PASS_OWNERS.has(before);
}

/** The kind of secret a word (with its neighbours) names, or null. */
function kindAt(words: readonly string[], i: number): SecretKind | null {
  const w = words[i] as string;
  const before = words[i - 1];
  const after = words[i + 1];
  if (isPasswordWord(w) && (w !== 'pass' || passMeansPassword(words, i))) return 'password';
  if (w === 'secret' || w === 'secrets' || (w.endsWith('secret') && w.length > 6)) return 'secret';
  if (w === 'token' || w === 'tokens' || (w.endsWith('token') && w.length > 5) || w === 'bearer')
    return 'token';
  if (w === 'apikey' || w === 'apitoken') return 'API key';
  if (w === 'key' && before === 'api') return 'API key';
  if (w === 'key' && before !== undefined && KEY_QUALIFIERS.has(before)) return 'key';
  if (w === 'privatekey' || w === 'secretkey' || w === 'accesskey') return 'key';
  if (w === 'signature' || w === 'sig' || w === 'hmac') return 'signature';
  if (w === 'authorization' || (w === 'auth' && after === 'header')) return 'Authorization header';
  if (w === 'credential' || w === 'credentials' || w === 'creds') return 'credentials';
  if (['cvv', 'cvc', 'csc', 'cvn', 'cvv2'].includes(w)) return 'card security code';
  if (w === 'ssn') return 'social security number';
  if (['ccnum', 'ccnumber', 'cardnumber', 'pan'].includes(w) && (w !== 'pan' || before === 'card'))
    return 'card number';
  if (
    w === 'card' &&
    (before === 'credit' || before === 'debit' || ['number', 'num', 'no'].includes(after ?? ''))
  )
    return 'card number';
  if (w === 'cc' && ['number', 'num', 'no'].includes(after ?? '')) return 'card number';
  if (w === 'otp' || w === 'totp' || w === 'hotp') return 'one-time code';
  if (w === 'pin' || w === 'pincode' || w === 'passcode') return 'PIN';
  if (w === 'code' && before !== undefined && CODE_QUALIFIERS.has(before)) return 'one-time code';
  return null;
}

/** The secret a name (identifier, attribute, key or header name) holds, or null. */
export function secretKind(name: string): SecretKind | null {
  const words = nameWords(name);
  for (let i = words.length - 1; i >= 0; i--) {
    const kind = kindAt(words, i);
    if (!kind) continue;
    // `auth_header`: the header word is part of the name; `card_number`: so is the number word.
    const skip =
      kind === 'Authorization header' && words[i + 1] === 'header' ? 1 : kind === 'card number' ? 1 : 0;
    const rest = words.slice(i + 1 + skip);
    if (
      rest.some((w) => DESCRIBING.has(w) && !(kind === 'card number' && ['number', 'num', 'no'].includes(w)))
    )
      return null;
    if (words.slice(0, i).some((w) => NEGATING.has(w))) return null;
    return kind;
  }
  return null;
}

/** Getter methods whose first argument is the key read (`data.get("token")`, `headers.get("Authorization")`). */
export const KEY_GETTERS = new Set([
  'get',
  'getlist',
  'pop',
  'get_argument',
  'getfirst',
  'getvalue',
  'getenv',
]);

/**
 * The name an expression is read under: a variable or attribute name (`token`, `user.password` →
 * password, `form.password.data` → password), a constant key (`data["api_key"]`, `headers.get("X-Api-Key")`,
 * `os.environ["SECRET_KEY"]`, `os.getenv("TOKEN")`). Null for anything else.
 */
export function readName(ctx: RuleContext, node: Node): string | null {
  switch (node.type) {
    case 'identifier':
      return node.text;
    case 'attribute': {
      const attribute = node.childForFieldName('attribute')?.text ?? '';
      // WTForms fields: `form.password.data`
      if (attribute === 'data' || attribute === 'value') {
        const object = node.childForFieldName('object');
        if (object?.type === 'attribute') return object.childForFieldName('attribute')?.text ?? null;
      }
      return attribute;
    }
    case 'subscript': {
      const key = node.childForFieldName('subscript');
      return key ? (stringValue(ctx.file.resolveValue(key)) ?? null) : null;
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site || !KEY_GETTERS.has(site.name)) return null;
      const key = site.args.positional[0];
      return key ? (stringValue(ctx.file.resolveValue(key)) ?? null) : null;
    }
    default:
      return null;
  }
}

/** "a token", "an API key", "an Authorization header". */
export function withArticle(kind: SecretKind): string {
  return `${/^[aeiouAEIO]/.test(kind) && kind !== 'one-time code' ? 'an' : 'a'} ${kind}`;
}
