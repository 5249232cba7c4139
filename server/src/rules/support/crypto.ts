import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, lastSegment, literalValue, stringValue } from '../../engine/syntax';
import { possibleValues } from './values';

/**
 * Shared knowledge of the crypto-and-secrets family (FS401–FS407): what identifiers say about the value they
 * hold, where a value goes after it is computed, and which hash calls hash a password (FS401 reports those,
 * FS406 leaves them alone so that one call gets one finding).
 */

// ---------------------------------------------------------------------------------------------------------
// Names

/** Words of an identifier or key: `rememberMeKey` → remember, me, key; `DB_PASSWORD2` → db, password. */
export function nameWords(name: string): readonly string[] {
  let words = wordsOfName.get(name);
  if (!words) {
    if (wordsOfName.size >= WORDS_OF_NAME_LIMIT) wordsOfName.clear();
    words = splitName(name);
    wordsOfName.set(name, words);
  }
  return words;
}

/**
 * The words of names already split: the crypto and secrets rules ask about every assigned name, argument
 * and attribute of every file, and names repeat (`user`, `password`, `db.session`). Bounded, as the
 * language server lives for hours.
 */
const wordsOfName = new Map<string, readonly string[]>();
const WORDS_OF_NAME_LIMIT = 20_000;

function splitName(name: string): readonly string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((w) => w.replace(/\d+$/, ''))
    .filter((w) => w.length > 0);
}

const PASSWORD_STEMS = ['password', 'passwd', 'passphrase', 'passcode', 'pword'];
const PASSWORD_WORDS = new Set(['pwd', 'pw', 'pass', 'pswd', 'passw', 'pwhash', 'pwdhash']);

/** Text that every name with a password word in it contains, in some letter case (for rules' triggers). */
export const PASSWORD_WORD_TEXT = [...PASSWORD_STEMS, ...PASSWORD_WORDS].join('|');

export function isPasswordWord(word: string): boolean {
  return PASSWORD_WORDS.has(word) || PASSWORD_STEMS.some((s) => word.startsWith(s) || word.endsWith(s));
}

/**
 * Words that turn a password-ish name into something that is not a password: a reset token, a length rule,
 * a form field, a URL. (`hash` is added when the value itself must be the password, not its digest.)
 */
const NOT_A_PASSWORD = new Set([
  'token',
  'reset',
  'forgot',
  'length',
  'len',
  'min',
  'max',
  'field',
  'label',
  'policy',
  'regex',
  'pattern',
  'rule',
  'rules',
  'hint',
  'prompt',
  'message',
  'msg',
  'error',
  'url',
  'uri',
  'endpoint',
  'route',
  'path',
  'form',
  'validator',
  'strength',
  'expiry',
  'expires',
  'expiration',
  'changed',
  'age',
  'attempts',
  'count',
  'salt',
  'type',
  'method',
  'scheme',
  'algorithm',
  'enabled',
  'required',
  'file',
  'filename',
  'template',
  'column',
  'name',
  'key',
  'header',
]);

/** A name that holds a password (or, with `allowHash`, possibly a password's digest: `password_hash`). */
export function saysPassword(name: string, options: { allowHash?: boolean; secret?: boolean } = {}): boolean {
  const words = nameWords(name);
  const hasPassword = words.some(
    (w) => isPasswordWord(w) || (options.secret === true && (w === 'secret' || w.endsWith('secret'))),
  );
  if (!hasPassword) return false;
  return !words.some(
    (w) =>
      NOT_A_PASSWORD.has(w) ||
      (!options.allowHash && (w === 'hash' || w === 'hashed' || w === 'digest' || w.endsWith('hash'))),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Values

/** The literal number an expression resolves to (`100_000`, a constant assigned once), else undefined. */
export function numberOf(ctx: RuleContext, node: Node | null | undefined): number | undefined {
  if (!node) return undefined;
  const value = literalValue(ctx.file.resolveValue(node));
  return typeof value === 'number' ? value : undefined;
}

/**
 * Bytes or text fixed in the source: a literal (`b"\x00" * 16`, `"static-salt".encode()`, `bytes(16)`,
 * `bytearray(16)`), through names assigned once. Values from a call that draws randomness, configuration or
 * a parameter are not constant.
 */
export function isConstantBytes(ctx: RuleContext, node: Node | null | undefined, depth = 0): boolean {
  if (!node || depth > 4) return false;
  const value = ctx.file.resolveValue(node);
  if (stringValue(value) !== undefined) return true;
  if (value.type === 'binary_operator') {
    const operator = value.childForFieldName('operator')?.type;
    const left = value.childForFieldName('left');
    const right = value.childForFieldName('right');
    if (operator === '*')
      return (
        isConstantBytes(ctx, left, depth + 1) &&
        literalValue(ctx.file.resolveValue(right as Node)) !== undefined
      );
    if (operator === '+')
      return isConstantBytes(ctx, left, depth + 1) && isConstantBytes(ctx, right, depth + 1);
    return false;
  }
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if (!site) return false;
    // "salt".encode(), bytes.fromhex("00ff"), bytes(16), bytearray(16)
    if (site.name === 'encode' && site.receiver) return isConstantBytes(ctx, site.receiver, depth + 1);
    if (/^(bytes\.fromhex|binascii\.unhexlify|base64\.b64decode)$/.test(site.callee ?? ''))
      return isConstantBytes(ctx, site.args.positional[0], depth + 1);
    if (site.callee === 'bytes' || site.callee === 'bytearray')
      return (
        site.args.positional.length === 1 &&
        typeof literalValue(ctx.file.resolveValue(site.args.positional[0] as Node)) === 'number'
      );
  }
  return false;
}

/** The literal string an expression resolves to, else undefined. */
export function stringOf(ctx: RuleContext, node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  return stringValue(ctx.file.resolveValue(node));
}

/** `False` (also through a constant assigned once). */
export function isFalse(ctx: RuleContext, node: Node | null | undefined): boolean {
  return !!node && ctx.file.resolveValue(node).type === 'false';
}

/** The qualified name an expression refers to (`ssl.CERT_NONE`, `Crypto.Cipher.AES.MODE_ECB`), through one constant. */
export function qualifiedValue(ctx: RuleContext, node: Node | null | undefined): string | null {
  if (!node) return null;
  const direct = ctx.file.imports.resolve(node);
  const resolved = ctx.file.resolveValue(node);
  if (resolved !== node) {
    const through = ctx.file.imports.resolve(resolved);
    if (through) return through;
  }
  return direct;
}

/** A positional argument by index, or the keyword that can replace it. */
export function argument(site: CallSite, index: number, ...keywords: string[]): Node | undefined {
  for (const keyword of keywords) {
    const value = site.args.keywords.get(keyword);
    if (value) return value;
  }
  return site.args.positional[index];
}

/** Whether `import module` binds `module` under its own name (so a fix may write `module.x`). */
export function moduleImportedAs(ctx: RuleContext, module: string): boolean {
  return ctx.file.imports.isImportedName(module) && ctx.file.imports.qualify(module) === module;
}

/** Text that stands for "fill this in", not a value: `<password>`, `${DB_PASSWORD}`, `xxx`, `your-key-here`. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (/^\$\{[^}]*\}$|^\$[A-Z_][A-Z0-9_]*$|^\{\{.*\}\}$|^<[^<>]*>$|^%\([^)]*\)s$|^\{[\w.]*\}$|^%s$/.test(v))
    return true;
  if (/^([x*.#?_-])\1{2,}$/i.test(v) || /^\*+$/.test(v)) return true;
  const lower = v.toLowerCase().replace(/[\s_-]+/g, '');
  // "your-api-key-here", "enter-password", "set-your-token", "my-secret-here". Not "mysecretpassword" or
  // "my-token-123": values like those are what a tutorial or docker-compose file set and production kept.
  if (
    /^(your|enter|insert|replace|paste|(set|put|add|change)your)\w*(here|key|password|secret|token)\w*$/.test(
      lower,
    ) ||
    /(key|password|secret|token)\w*here$/.test(lower)
  )
    return true;
  return /^(todo|fixme|replaceme|placeholder|redacted|none|null|undefined|dummy|notset|unset|example)$/.test(
    lower,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Where a value goes

export interface Destination {
  /**
   * `target`: assigned to a name/attribute/subscript key; `keyword`: passed as `name=`; `argument`: passed to
   * a call (`name` = the callee's last segment); `key`: a dictionary value under a string key; `return`:
   * returned from a function (`name` = the function's name).
   */
  kind: 'target' | 'keyword' | 'argument' | 'key' | 'return';
  name: string;
  node: Node;
  /** For `argument`: the call, its receiver text and the argument's position (-1 for keywords). */
  call?: CallSite;
  index?: number;
  /** For subscript targets: the container (`session`, `app.config`). */
  container?: string;
}

/** Parents through which a value flows unchanged in meaning (wrapped, concatenated, formatted, sliced). */
const PASS_THROUGH = new Set([
  'parenthesized_expression',
  'binary_operator',
  'concatenated_string',
  'interpolation',
  'string',
  'list',
  'tuple',
  'set',
  'expression_list',
  'conditional_expression',
  'boolean_operator',
  'generator_expression',
  'list_comprehension',
  'set_comprehension',
  'await',
  'unary_operator',
  'format_expression',
  'dictionary',
]);

/**
 * Everywhere the value of `start` ends up: the names it is assigned to, the calls and keywords it is passed
 * to, the function it is returned from. Assignments to a plain name are followed to that name's later uses
 * in the same scope (`num = random.random(); key = str(num)[2:]`), `depth` steps deep.
 */
export function destinations(ctx: RuleContext, start: Node, depth = 2): Destination[] {
  const out: Destination[] = [];
  collect(ctx, start, depth, out, new Set());
  return out;
}

function collect(ctx: RuleContext, start: Node, depth: number, out: Destination[], seen: Set<number>): void {
  if (seen.has(start.id)) return;
  seen.add(start.id);
  let node = start;
  for (;;) {
    const parent = node.parent;
    if (!parent) return;
    switch (parent.type) {
      case 'attribute':
        if (parent.childForFieldName('object')?.id !== node.id) return;
        node = parent;
        continue;
      case 'call': {
        const fn = parent.childForFieldName('function');
        if (fn?.id !== node.id) {
          // `"".join(x for x in ...)`: a generator passed as the only argument.
          const site = ctx.file.callAt(parent);
          if (site) out.push({ kind: 'argument', name: site.name, node: parent, call: site, index: 0 });
        }
        node = parent;
        continue;
      }
      case 'argument_list': {
        const call = parent.parent;
        const site = call ? ctx.file.callAt(call) : undefined;
        if (!call || !site) return;
        const index = site.args.positional.findIndex((p) => p.id === node.id);
        out.push({ kind: 'argument', name: site.name, node: call, call: site, index });
        node = call;
        continue;
      }
      case 'keyword_argument': {
        if (parent.childForFieldName('value')?.id !== node.id) return;
        const name = parent.childForFieldName('name')?.text ?? '';
        out.push({ kind: 'keyword', name, node: parent });
        const list = parent.parent;
        const call = list?.parent;
        const site = call ? ctx.file.callAt(call) : undefined;
        if (!call || !site) return;
        out.push({ kind: 'argument', name: site.name, node: call, call: site, index: -1 });
        // The keyword names the value: `set_cookie(key, value=token)`.
        out.push({ kind: 'keyword', name: `${site.name}.${name}`, node: parent, call: site });
        node = call;
        continue;
      }
      case 'pair': {
        if (parent.childForFieldName('value')?.id !== node.id) return;
        const key = stringValue(parent.childForFieldName('key'));
        if (key !== undefined) out.push({ kind: 'key', name: key, node: parent });
        node = parent;
        continue;
      }
      case 'subscript':
        if (parent.childForFieldName('value')?.id !== node.id) return;
        node = parent;
        continue;
      case 'for_in_clause':
        return;
      case 'assignment':
      case 'augmented_assignment':
        if (parent.childForFieldName('right')?.id !== node.id) return;
        assignmentTargets(ctx, parent, depth, out, seen);
        return;
      case 'return_statement': {
        const fn = enclosingFunction(node);
        if (fn) out.push({ kind: 'return', name: fn.childForFieldName('name')?.text ?? '', node: parent });
        return;
      }
      default:
        if (PASS_THROUGH.has(parent.type)) {
          node = parent;
          continue;
        }
        return;
    }
  }
}

function assignmentTargets(
  ctx: RuleContext,
  assignment: Node,
  depth: number,
  out: Destination[],
  seen: Set<number>,
): void {
  // `a = b = value`: every target.
  let outer = assignment;
  while (outer.parent?.type === 'assignment' && outer.parent.childForFieldName('right')?.id === outer.id)
    outer = outer.parent;
  const targets: Node[] = [];
  for (let a: Node | null = outer; a && (a.type === 'assignment' || a.type === 'augmented_assignment');) {
    const left = a.childForFieldName('left');
    if (left) targets.push(left);
    const right = a.childForFieldName('right');
    a = right?.type === 'assignment' ? right : null;
  }
  for (const left of targets) {
    const items = ['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'expression_list'].includes(
      left.type,
    )
      ? left.namedChildren.filter((c): c is Node => !!c)
      : [left];
    for (const target of items) {
      if (target.type === 'identifier') {
        out.push({ kind: 'target', name: target.text, node: assignment });
        if (depth > 0) followName(ctx, target.text, assignment, depth - 1, out, seen);
      } else if (target.type === 'attribute') {
        out.push({
          kind: 'target',
          name: target.childForFieldName('attribute')?.text ?? '',
          node: assignment,
        });
      } else if (target.type === 'subscript') {
        const container = dottedName(target.childForFieldName('value')) ?? '';
        const key = stringValue(target.childForFieldName('subscript'));
        out.push({ kind: 'target', name: key ?? lastSegment(container), node: assignment, container });
      }
    }
  }
}

/** Later uses of a name assigned in `assignment`, in the same function (or module). */
function followName(
  ctx: RuleContext,
  name: string,
  assignment: Node,
  depth: number,
  out: Destination[],
  seen: Set<number>,
): void {
  const scope = ctx.file.scopeAt(assignment);
  for (const use of scope.node.descendantsOfType('identifier')) {
    if (!use || use.text !== name || use.startIndex < assignment.endIndex) continue;
    const parent = use.parent;
    // Attribute names (`x.name`) and keyword names are not uses of the variable.
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === use.id) continue;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === use.id) continue;
    collect(ctx, use, depth, out, seen);
  }
}

/** Where the value of `name` goes after `after` (a statement that changed it in place: `random.shuffle(x)`). */
export function destinationsOfName(ctx: RuleContext, name: string, after: Node, depth = 2): Destination[] {
  const out: Destination[] = [];
  followName(ctx, name, after, depth, out, new Set());
  return out;
}

function enclosingFunction(node: Node): Node | null {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'function_definition') return current;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Fast hashes of passwords (FS401 reports them; FS406 skips them)

/** Callees that build a fast hash object, with the algorithm they use. */
const HASHLIB_FAST = new Set([
  'md5',
  'sha1',
  'sha224',
  'sha256',
  'sha384',
  'sha512',
  'sha3_224',
  'sha3_256',
  'sha3_384',
  'sha3_512',
  'blake2b',
  'blake2s',
]);
const PYCRYPTO_HASHES = new Set([
  'MD2',
  'MD4',
  'MD5',
  'SHA',
  'SHA1',
  'SHA224',
  'SHA256',
  'SHA384',
  'SHA512',
  'SHA3_256',
  'SHA3_512',
  'BLAKE2b',
  'BLAKE2s',
  'RIPEMD',
  'RIPEMD160',
]);
/** Algorithms that are broken outright: a "secret" hashed with these counts as badly as a password. */
export const BROKEN_HASHES = new Set(['md2', 'md4', 'md5', 'sha', 'sha1', 'sha-1', 'md5-sha1']);

export interface HashConstruction {
  site: CallSite;
  /** Lower-case algorithm name (`md5`, `sha256`), or null when it is not known. */
  algorithm: string | null;
  /** The data passed at construction, if any. */
  data: Node | null;
  /** The call that names the algorithm (what FS406 reports): the constructor itself, or `hashes.MD5()`. */
  algorithmCall: Node;
}

/** `hashlib.md5(x)`, `hashlib.new("sha1", x)`, `Crypto.Hash.MD5.new(x)`, `hashes.Hash(hashes.SHA1())`. */
export function hashConstruction(ctx: RuleContext, site: CallSite): HashConstruction | null {
  const callee = site.callee ?? '';
  if (callee.startsWith('hashlib.')) {
    const fn = callee.slice('hashlib.'.length);
    if (HASHLIB_FAST.has(fn)) {
      const data = argument(site, 0, 'data', 'string') ?? null;
      return { site, algorithm: fn, data, algorithmCall: site.node };
    }
    // hashlib.new("md5", data), hashlib.file_digest(f, "md5") (the file is the data)
    if (fn === 'new' || fn === 'file_digest') {
      const fileDigest = fn === 'file_digest';
      // A name chosen at run time hashes with the weakest algorithm any path gives it.
      const name = fileDigest ? argument(site, 1, 'digest') : argument(site, 0, 'name');
      const names = name
        ? possibleValues(ctx, name).map((value) =>
            typeof value.constant === 'string' ? value.constant.toLowerCase() : undefined,
          )
        : [];
      const algorithm =
        names.find((n) => n !== undefined && BROKEN_HASHES.has(n)) ??
        names.find((n) => n !== undefined) ??
        null;
      const data = (fileDigest ? argument(site, 0, 'fileobj') : argument(site, 1, 'data', 'string')) ?? null;
      return { site, algorithm, data, algorithmCall: site.node };
    }
    return null;
  }
  const pycrypto = /^(?:Crypto|Cryptodome)\.Hash\.(\w+)\.new$/.exec(callee);
  if (pycrypto && PYCRYPTO_HASHES.has(pycrypto[1] as string)) {
    const data = argument(site, 0, 'data') ?? null;
    return { site, algorithm: (pycrypto[1] as string).toLowerCase(), data, algorithmCall: site.node };
  }
  if (/^cryptography\.hazmat\.primitives\.hashes\.Hash$/.test(callee)) {
    const algorithm = argument(site, 0, 'algorithm');
    const inner = algorithm ? ctx.file.resolveValue(algorithm) : null;
    const innerSite = inner?.type === 'call' ? ctx.file.callAt(inner) : undefined;
    const name = innerSite?.callee?.startsWith('cryptography.hazmat.primitives.hashes.')
      ? lastSegment(innerSite.callee).toLowerCase()
      : null;
    return { site, algorithm: name, data: null, algorithmCall: inner ?? site.node };
  }
  return null;
}

export interface PasswordHashing {
  hash: HashConstruction;
  /** Where to report: the constructor call. */
  node: Node;
  /** What showed it hashes a password. */
  evidence: string;
}

/** Per analysis (a context has one focus), so that FS401 and FS406 share the walk. */
const passwordHashCache = new WeakMap<RuleContext, PasswordHashing[]>();

/**
 * Every fast-hash construction in the file whose input is, or whose output is stored as, a password. Under a
 * focus, only those whose constructor or algorithm call (`hashes.MD5()` bound elsewhere, which FS406 reports)
 * is in focus: the others can change no finding that is kept.
 */
export function passwordHashings(ctx: RuleContext): PasswordHashing[] {
  const cached = passwordHashCache.get(ctx);
  if (cached) return cached;
  const found: PasswordHashing[] = [];
  for (const site of ctx.file.calls) {
    const hash = hashConstruction(ctx, site);
    if (!hash || (!ctx.inFocus(site.node) && !ctx.inFocus(hash.algorithmCall))) continue;
    const secretToo = hash.algorithm !== null && BROKEN_HASHES.has(hash.algorithm);
    const evidence = passwordEvidence(ctx, hash, secretToo);
    if (!evidence) continue;
    if (preHashed(ctx, hash)) continue;
    if (evidence === STORED_AS_PASSWORD || !notAPasswordStore(ctx, hash) || storedAsPassword(ctx, site.node))
      found.push({ hash, node: site.node, evidence });
  }
  passwordHashCache.set(ctx, found);
  return found;
}

/** Node ids of the calls FS406 would report that FS401 reports instead. */
export function passwordHashAlgorithmCalls(ctx: RuleContext): Set<number> {
  return new Set(passwordHashings(ctx).map((p) => p.hash.algorithmCall.id));
}

function passwordEvidence(ctx: RuleContext, hash: HashConstruction, secretToo: boolean): string | null {
  const site = hash.site;
  if (hash.data && mentionsPassword(ctx, hash.data)) return 'its input is a password';
  // md5(secret) / sha1(client_secret.encode()): a secret hashed on its own with a broken hash. (A secret
  // concatenated with data is a keyed hash, FS406's.)
  if (hash.data && secretToo && isSecretName(hash.data)) return 'its input is a secret';
  // `h = hashlib.sha256(); h.update(password.encode()); user.password = h.hexdigest()`
  const holder = heldIn(site.node);
  if (holder) {
    for (const call of ctx.file.calls) {
      if (call.scope !== site.scope || call.node.startIndex < site.node.endIndex) continue;
      if (call.receiver?.type !== 'identifier' || call.receiver.text !== holder) continue;
      if (call.name === 'update') {
        const data = call.args.positional[0];
        if (data && mentionsPassword(ctx, data)) return 'its input is a password';
        if (data && secretToo && isSecretName(data)) return 'its input is a secret';
      } else if (['hexdigest', 'digest', 'finalize'].includes(call.name)) {
        if (storedAsPassword(ctx, call.node)) return STORED_AS_PASSWORD;
      }
    }
  }
  if (storedAsPassword(ctx, site.node)) return STORED_AS_PASSWORD;
  return null;
}

const STORED_AS_PASSWORD = 'its digest is stored as a password';

/** Callees that hash a password properly: a fast digest passed to them is a pre-hash, not the stored hash. */
const PASSWORD_HASHERS =
  /(^|\.)(hashpw|checkpw|generate_password_hash|check_password_hash)$|^(argon2|passlib)\..*\.(hash|verify|encrypt)$|^hashlib\.(scrypt|pbkdf2_hmac)$/;
/** A hex prefix this short identifies no password: it is a k-anonymity range query (Have I Been Pwned). */
const MAX_PREFIX_QUERY = 10;

/**
 * A fast digest handed to bcrypt/argon2/werkzeug is a pre-hash, not the stored hash: bcrypt reads only 72
 * bytes, so long passwords are hashed first (and the value the function returns is bcrypt's).
 */
function preHashed(ctx: RuleContext, hash: HashConstruction): boolean {
  return destinations(ctx, hash.site.node, 2).some(
    (d) => d.kind === 'argument' && d.call !== undefined && PASSWORD_HASHERS.test(d.call.callee ?? ''),
  );
}

/**
 * A password hashed with a fast hash for something other than storing it, unless the digest is stored as
 * a password anyway: the call says `usedforsecurity=False`, or only a short prefix of the digest is used
 * (the Have I Been Pwned range API gets the first five hex digits of the SHA-1).
 */
function notAPasswordStore(ctx: RuleContext, hash: HashConstruction): boolean {
  return isFalse(ctx, hash.site.args.keywords.get('usedforsecurity')) || prefixQueried(ctx, hash.site.node);
}

/** `sha1(pw).hexdigest()[:5]`, or `digest = sha1(pw).hexdigest().upper()` read as `digest[:5]`. */
export function prefixQueried(ctx: RuleContext, hashCall: Node): boolean {
  let node = hashCall;
  // Up the method chain: `.hexdigest()`, `.upper()`.
  while (node.parent?.type === 'attribute' && node.parent.parent?.type === 'call') node = node.parent.parent;
  if (isShortPrefix(node.parent, node)) return true;
  const name = heldIn(node);
  if (!name) return false;
  const assignment = node.parent as Node;
  const scope = ctx.file.scopeAt(assignment);
  return scope.node
    .descendantsOfType('identifier')
    .some(
      (use) =>
        !!use && use.text === name && use.startIndex >= assignment.endIndex && isShortPrefix(use.parent, use),
    );
}

function isShortPrefix(parent: Node | null, value: Node): boolean {
  if (parent?.type !== 'subscript' || parent.childForFieldName('value')?.id !== value.id) return false;
  const slice = parent.childForFieldName('subscript');
  if (slice?.type !== 'slice') return false;
  // `[:5]`, `[0:5]`: the bounds are the slice's named children, the colon is not.
  const bounds = slice.children.map((c) => (c?.type === ':' ? ':' : (c?.text ?? '')));
  const colon = bounds.indexOf(':');
  const start = bounds.slice(0, colon).join('');
  const stop = Number(bounds.slice(colon + 1).join(''));
  return (start === '' || start === '0') && Number.isInteger(stop) && stop > 0 && stop <= MAX_PREFIX_QUERY;
}

/** `secret`, `client_secret.encode()`, `self.api_secret`: a bare name that says secret, maybe encoded. */
function isSecretName(node: Node): boolean {
  let current = node;
  while (current.type === 'call') {
    const fn = current.childForFieldName('function');
    if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'encode') return false;
    const object = fn.childForFieldName('object');
    if (!object) return false;
    current = object;
  }
  const name =
    current.type === 'identifier'
      ? current.text
      : current.type === 'attribute'
        ? (current.childForFieldName('attribute')?.text ?? '')
        : '';
  return name !== '' && saysPassword(name, { secret: true });
}

/** The plain name a call's value is assigned to (`h = hashlib.md5()`), if any. */
function heldIn(call: Node): string | null {
  const parent = call.parent;
  if (parent?.type !== 'assignment' || parent.childForFieldName('right')?.id !== call.id) return null;
  const left = parent.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : null;
}

function storedAsPassword(ctx: RuleContext, node: Node): boolean {
  return destinations(ctx, node, 1).some((d) => {
    switch (d.kind) {
      case 'target':
      case 'keyword':
      case 'key':
        return saysPassword(lastSegment(d.name), { allowHash: true });
      case 'argument':
        // user.set_password(digest), setPassword(digest)
        return (
          d.index !== undefined &&
          saysPassword(d.name, { allowHash: true }) &&
          /set|store|save|update/i.test(d.name)
        );
      case 'return':
        return saysPassword(d.name, { allowHash: true });
    }
    return false;
  });
}

const KEY_GETTERS = new Set(['get', 'pop', 'getlist', 'getattr', 'get_argument', 'getfirst', 'getvalue']);

/**
 * Whether an expression is built from a password: a name that says so (`password`, `form.pwd.data`,
 * `user.password`), a key that says so (`request.form["password"]`), or a name assigned from one of these.
 */
export function mentionsPassword(ctx: RuleContext, node: Node, secretToo = false, depth = 0): boolean {
  const options = { secret: secretToo };
  const identifiers = node.type === 'identifier' ? [node] : node.descendantsOfType('identifier');
  for (const id of identifiers) {
    if (!id) continue;
    if (saysPassword(id.text, options)) return true;
    const parent = id.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === id.id) continue;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === id.id) continue;
    if (depth >= 2) continue;
    const scope = ctx.file.scopeAt(id);
    for (const binding of ctx.file.reaching(id.text, id, scope)) {
      if (binding.kind === 'param') {
        // def hash_password(raw): ... md5(raw)
        const fn = ctx.file.scopeAt(binding.node);
        const owner = fn.kind === 'function' ? fn : null;
        if (owner && saysPassword(owner.name, { allowHash: true, secret: secretToo })) return true;
        continue;
      }
      if (
        binding.value &&
        binding.value.id !== node.id &&
        mentionsPassword(ctx, binding.value, secretToo, depth + 1)
      )
        return true;
    }
  }
  const strings = node.type === 'string' ? [node] : node.descendantsOfType('string');
  for (const s of strings) {
    if (!s) continue;
    const value = stringValue(s);
    if (value === undefined || !saysPassword(value, options) || !isKeyPosition(s)) continue;
    return true;
  }
  return false;
}

/** A string used as a lookup key: `form["password"]`, `data.get("pwd")`, `getattr(user, "password")`. */
function isKeyPosition(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === 'subscript') return parent.childForFieldName('subscript')?.id === node.id;
  if (parent.type !== 'argument_list') return false;
  const fn = parent.parent?.childForFieldName('function');
  const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  return !!name && KEY_GETTERS.has(name);
}

// ---------------------------------------------------------------------------------------------------------
// Signing keys (FS402), shared so that FS403 does not report the same literal

/** Flask/extension settings that hold a signing or encryption key (FS402); FS403 leaves them alone. */
export const SIGNING_KEY_SETTINGS = new Set([
  'SECRET_KEY',
  'JWT_SECRET_KEY',
  'JWT_PRIVATE_KEY',
  'SECURITY_PASSWORD_SALT',
  'SECURITY_TOTP_SECRETS',
  'WTF_CSRF_SECRET_KEY',
  'SECRET_KEY_FALLBACKS',
  'SESSION_SECRET_KEY',
]);

/** The modules signingKeyArgument knows calls of. */
const SIGNING_MODULES = /^(jwt|jose|authlib|itsdangerous|hmac|cryptography|Crypto|Cryptodome)\./;

/**
 * Text in every file that writes a signing key (for FS402's trigger): a setting's name, `app.secret_key`,
 * or the name of a module a key is given to.
 */
export const SIGNING_KEY_TEXT = new RegExp(
  [...SIGNING_KEY_SETTINGS, 'secret_key', SIGNING_MODULES.source.slice(2, -3)].join('|'),
);

/** The argument of a call that is a signing or encryption key, and what kind of key it is. */
export function signingKeyArgument(site: CallSite): { node: Node; what: string } | null {
  const callee = site.callee ?? '';
  // One test rules out almost every call before the six below.
  if (!SIGNING_MODULES.test(callee)) return null;
  const found = (node: Node | undefined, what: string) => (node ? { node, what } : null);
  if (/^(jwt|jose\.jwt|jwt\.api_jwt|jwt\.api_jws)\.(encode|decode)$/.test(callee))
    return found(argument(site, 1, 'key'), 'JWT signing key');
  if (/^authlib\.jose\.(jwt|JsonWebToken|JsonWebSignature)\.(encode|decode|serialize_compact)$/.test(callee))
    return found(argument(site, /encode|serialize/.test(site.name) ? 2 : 1, 'key'), 'JWT signing key');
  if (
    /^itsdangerous(\.\w+)*\.(URLSafeTimedSerializer|URLSafeSerializer|TimedSerializer|Serializer|TimestampSigner|Signer|JSONWebSignatureSerializer|TimedJSONWebSignatureSerializer)$/.test(
      callee,
    )
  )
    return found(argument(site, 0, 'secret_key'), 'itsdangerous signing key');
  if (/^hmac\.(new|HMAC|digest)$/.test(callee)) return found(argument(site, 0, 'key'), 'HMAC key');
  if (/^cryptography\.fernet\.Fernet$/.test(callee)) return found(argument(site, 0, 'key'), 'Fernet key');
  if (/^(Crypto|Cryptodome)\.Cipher\.\w+\.new$/.test(callee))
    return found(argument(site, 0, 'key'), 'cipher key');
  return null;
}
