import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { literalValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { moduleImportedAs, nameWords } from '../support/crypto';
import { shortText } from '../support/dynamic';
import { replaceNode } from '../support/edits';
import { importEdit } from '../support/queries';
import { readName, secretKind, withArticle } from '../support/secrets';
import type { SecretKind } from '../support/secrets';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';

/** `hmac.new(key, msg, sha256).hexdigest()`: the expected signature. */
const HMAC_BUILDERS = new Set(['hmac.new', 'hmac.HMAC']);
/** Query builders whose arguments are SQL criteria (`select(...).where(Model.key == value)`). */
const QUERY_CRITERIA = new Set(['where', 'filter', 'having', 'and_', 'or_', 'not_', 'join', 'outerjoin']);

/**
 * `Key.value == provided` inside `.where()`/`.filter()`: a SQLAlchemy expression that becomes a WHERE
 * clause, compared by the database through an index, not by Python character by character (and
 * compare_digest cannot be used there). Hashing the secret before the lookup is the remedy, not FS411's.
 */
function isQueryCriterion(ctx: RuleContext, comparison: Node): boolean {
  for (let node = comparison.parent; node; node = node.parent) {
    if (node.type === 'argument_list') {
      const site = node.parent ? ctx.file.callAt(node.parent) : undefined;
      if (site && QUERY_CRITERIA.has(site.name)) return true;
      continue;
    }
    if (!['boolean_operator', 'parenthesized_expression', 'not_operator', 'call'].includes(node.type))
      return false;
  }
  return false;
}

/** pyotp's generators and the methods that give their current code. */
const OTP_BUILDERS = /^pyotp\.(TOTP|HOTP|totp\.TOTP|hotp\.HOTP)$/;
const OTP_METHODS = new Set(['now', 'at', 'generate_otp']);

/** Whether a hash's data holds a secret (`SECRET.encode() + body`): then its digest is a signature. */
function keyedBy(ctx: RuleContext, hash: CallSite, scope: Scope): boolean {
  const data = hash.args.positional[0];
  return !!data && secretOf(ctx, unwrap(data), scope, 1, { hmac: false }) !== null;
}

/** Methods whose result is the same secret in another form. */
const SAME_SECRET = new Set(['encode', 'decode', 'strip', 'lstrip', 'rstrip', 'hexdigest', 'digest']);
/** Words that make two passwords a confirmation or a change, compared on purpose: both come from the user. */
const PAIRED = new Set([
  'confirm',
  'confirmation',
  'confirmed',
  'repeat',
  'repeated',
  'again',
  'retype',
  'verify',
  'check',
]);
const CHANGE_NEW = new Set(['new']);
const CHANGE_OLD = new Set(['old', 'current', 'previous', 'existing', 'prev']);

interface Operand {
  node: Node;
  /** A literal (or a name bound once to one). */
  constant: boolean;
  /** None, True/False, a number or '': comparing with it reveals nothing. */
  trivial: boolean;
  secret: SecretKind | null;
  /** Filled in by withTaint() once the comparison involves a secret. */
  taint: Taint | null;
  /** Computed with hmac.new(...)/hmac.digest(...). */
  hmac: boolean;
}

export default defineRule({
  meta: {
    id: 'FS411',
    name: 'timing-unsafe-comparison',
    title: 'Secret compared with == instead of a constant-time comparison',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-208'],
    owasp: ['A02:2021'],
    fix: { title: 'Compare with hmac.compare_digest()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds `==`/`!=` comparisons between request data and a secret: API keys (`request.headers.get("X-Api-Key") == API_KEY`), tokens (`token == user.reset_token` with `token` from the URL), HMAC and webhook signatures (`signature != hmac.new(key, body, sha256).hexdigest()`), one-time codes, and passwords compared in plain. Secrets are recognised by their names (variables, attributes, config and environment keys, header names) and by being computed with `hmac.new(...)`, a hash of a secret and data (`hashlib.sha256(SECRET + body)`) or pyotp (`totp.now()`); request data by taint, through variables and helpers; a secret field of a record fetched with request data (`doc.get("confirm_code")` after `find_one({"_id": wid})`) counts as stored, not as request data. Two secrets compared where neither is shown to come from the request (`provided_token == stored_token` in a helper) are reported with medium confidence, as is a request value named as a secret compared with a hard-coded string (passwords against literals are FS403\'s). `hmac.compare_digest`, `secrets.compare_digest`, `check_password_hash`, SQLAlchemy criteria (`.where(Key.value == provided)`, compared by the database), comparisons with None, booleans, numbers, empty strings, `"null"`/`"undefined"` sentinels or lengths, password confirmations (`password != confirm_password`) and non-secret values (usernames, roles, methods) are not reported.',
      why: 'String equality stops at the first character that differs, so a wrong guess that shares a longer prefix with the secret takes slightly longer to reject. Measured over many requests (and across a network, with statistics) that difference lets an attacker recover an API key or a signature one character at a time, and then forge webhooks or call the API as the victim.',
      example:
        '@app.route("/webhook", methods=["POST"])\ndef webhook():\n    expected = hmac.new(WEBHOOK_SECRET, request.data, hashlib.sha256).hexdigest()\n    if request.headers.get("X-Signature") != expected:\n        abort(403)',
      fix: '@app.route("/webhook", methods=["POST"])\ndef webhook():\n    expected = hmac.new(WEBHOOK_SECRET, request.data, hashlib.sha256).hexdigest()\n    if not hmac.compare_digest(request.headers.get("X-Signature", ""), expected):\n        abort(403)',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/208.html',
      'https://docs.python.org/3/library/hmac.html#hmac.compare_digest',
      'https://docs.python.org/3/library/secrets.html#secrets.compare_digest',
      'https://codahale.com/a-lesson-in-timing-attacks/',
    ],
  },
  check(ctx: RuleContext) {
    for (const comparison of ctx.file.nodesOfType('comparison_operator')) {
      if (!comparison || !ctx.inFocus(comparison)) continue;
      const operators = comparison.children.filter(
        (c) => c && !c.isNamed && c.type !== '(' && c.type !== ')',
      );
      const operator = operators.length === 1 ? operators[0]?.type : undefined;
      if (operator !== '==' && operator !== '!=') continue;
      const [left, right] = comparison.namedChildren;
      if (!left || !right || comparison.namedChildren.length !== 2) continue;
      const scope = ctx.file.scopeAt(comparison);
      if (['__eq__', '__ne__', '__hash__'].includes(scope.name)) continue;
      if (isQueryCriterion(ctx, comparison)) continue;
      // Secrets first (names are cheap); taint only for comparisons that involve one.
      const a = operand(ctx, left, scope);
      const b = operand(ctx, right, scope);
      if (!a.secret && !b.secret) continue;
      withTaint(ctx, a, scope);
      withTaint(ctx, b, scope);
      const verdict = judge(a, b, comparison, operator);
      if (!verdict || paired(a, b)) continue;
      const fix = fixOf(ctx, comparison, left, right, operator);
      ctx.report(comparison, verdict.message, {
        confidence: verdict.confidence,
        taint: verdict.taint,
        ...(fix ? { fix } : {}),
      });
    }
  },
});

/**
 * Strings a client sends for "no value" (`token == "null"` from a JavaScript front end): comparing with
 * them tells an attacker nothing, as with an empty string.
 */
const SENTINEL_STRINGS = /^(|null|none|undefined|nil|false|true|0)$/i;

function operand(ctx: RuleContext, node: Node, scope: Scope): Operand {
  const value = ctx.file.resolveValue(unwrap(node), scope);
  const literal = literalValue(value);
  const trivial =
    literal !== undefined && (typeof literal !== 'string' || SENTINEL_STRINGS.test(literal))
      ? true
      : isLengthOrType(ctx, value);
  if (literal !== undefined) return { node, constant: true, trivial, secret: null, taint: null, hmac: false };
  const computed = { hmac: false };
  const secret = secretOf(ctx, unwrap(node), scope, 0, computed);
  return { node, constant: false, trivial, secret, taint: null, hmac: computed.hmac };
}

function withTaint(ctx: RuleContext, o: Operand, scope: Scope): void {
  // An HMAC of the request body is request-derived, but no client can choose it: it is the expected value.
  if (!o.constant && !o.hmac) o.taint = ctx.taint.taintOf(o.node, scope);
  // `doc.get("confirm_code")` with `doc = db.withdrawals.find_one({"_id": wid})`: the stored secret of a
  // record the request only chose, not a value the client sent.
  if (o.secret && o.taint && isFieldOfLookedUpRecord(ctx, o.node, scope)) o.taint = null;
}

/** Calls that fetch one stored record (pymongo, SQLAlchemy, Flask-SQLAlchemy, DB-API). */
const RECORD_LOOKUPS = new Set([
  'find_one',
  'get',
  'get_or_404',
  'first',
  'first_or_404',
  'one',
  'one_or_none',
  'scalar',
  'scalar_one',
  'scalar_one_or_none',
  'fetchone',
]);

/** `record.field`, `record["field"]` or `record.get("field")` where `record` was fetched by a lookup call. */
function isFieldOfLookedUpRecord(ctx: RuleContext, node: Node, scope: Scope): boolean {
  let base = unwrap(node);
  if (base.type === 'call') {
    const site = ctx.file.callAt(base);
    if (site?.name !== 'get' || !site.receiver) return false;
    base = site.receiver;
  } else if (base.type === 'attribute') {
    base = base.childForFieldName('object') ?? base;
  } else if (base.type === 'subscript') {
    base = base.childForFieldName('value') ?? base;
  } else return false;
  if (base.type !== 'identifier') return false;
  const record = ctx.file.resolveValue(base, scope);
  const lookup = record.type === 'call' ? ctx.file.callAt(record) : undefined;
  // On a store, not on the request (`request.args.get(...)`, `request.get_json().get(...)`).
  return !!lookup?.receiver && RECORD_LOOKUPS.has(lookup.name) && !ctx.taint.taintOf(lookup.receiver, scope);
}

/** `len(x)`, `type(x)`, `x.count(...)`: numbers and types, not the secret's text. */
function isLengthOrType(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'call') return false;
  const site = ctx.file.callAt(node);
  return !!site && ['len', 'type', 'int', 'bool', 'count', 'isinstance'].includes(site.name);
}

/** The kind of secret an expression holds: by its name, its key, or because it is an HMAC digest. */
function secretOf(
  ctx: RuleContext,
  node: Node,
  scope: Scope,
  depth: number,
  computed: { hmac: boolean },
): SecretKind | null {
  if (depth > 3) return null;
  const name = readName(ctx, node);
  const byName = name ? secretKind(name) : null;
  if (byName) return byName;
  const inner = (n: Node | null | undefined) =>
    n ? secretOf(ctx, unwrap(n), scope, depth + 1, computed) : null;
  switch (node.type) {
    case 'identifier': {
      // expected = hmac.new(...).hexdigest(); ... == expected
      const value = ctx.file.resolveValue(node, scope);
      return value.id === node.id ? null : inner(value);
    }
    case 'binary_operator':
      // "sha256=" + hmac.new(...).hexdigest()
      return node.childForFieldName('operator')?.text === '+'
        ? (inner(node.childForFieldName('left')) ?? inner(node.childForFieldName('right')))
        : null;
    case 'string':
      for (const part of node.namedChildren) {
        const found = part?.type === 'interpolation' ? inner(part.namedChildren[0]) : null;
        if (found) return found;
      }
      return null;
    case 'call':
      break;
    default:
      return null;
  }
  const site = ctx.file.callAt(node);
  if (!site) return null;
  const hmacDigest = () => {
    computed.hmac = true;
    return 'signature' as const;
  };
  if (site.callee === 'hmac.digest') return hmacDigest();
  if (site.receiver && SAME_SECRET.has(site.name)) {
    const receiver = unwrap(site.receiver);
    const built = receiver.type === 'call' ? ctx.file.callAt(receiver) : undefined;
    if (built?.callee && HMAC_BUILDERS.has(built.callee)) return hmacDigest();
    // hashlib.sha256(SECRET + body).hexdigest(): a keyed hash, a home-made HMAC.
    if (built?.callee?.startsWith('hashlib.') && keyedBy(ctx, built, scope)) return hmacDigest();
    if (site.name === 'hexdigest' || site.name === 'digest') {
      const constructed = ctx.file.constructorOf(receiver, scope);
      return constructed && HMAC_BUILDERS.has(constructed) ? hmacDigest() : null;
    }
    return inner(receiver);
  }
  // pyotp.TOTP(user.otp_secret).now(), totp.at(...), hotp.at(counter): the code the user must type.
  if (site.receiver && OTP_METHODS.has(site.name)) {
    const receiver = unwrap(site.receiver);
    const built =
      receiver.type === 'call' ? ctx.file.callAt(receiver)?.callee : ctx.file.constructorOf(receiver, scope);
    if (built && OTP_BUILDERS.test(built)) return 'one-time code';
  }
  if (site.callee === 'str' || site.callee === 'bytes') return inner(site.args.positional[0]);
  // compute_signature(body), sign(payload), user.get_reset_token(), get_api_key()
  if (site.name === 'sign') return 'signature';
  return secretKind(
    site.name.replace(/^(get|compute|calculate|generate|make|build|create|load|fetch|read)_?/i, ''),
  );
}

interface Verdict {
  message: string;
  confidence: 'high' | 'medium';
  taint: Taint | null;
}

const ADVICE =
  'string equality stops at the first differing character, so response times reveal how much of a guess is right: compare with hmac.compare_digest(a, b) (both str or both bytes).';

/** Is comparing these two operands a timing leak of a secret, and how sure is it? */
function judge(a: Operand, b: Operand, comparison: Node, operator: string): Verdict | null {
  const kind = a.secret ?? b.secret;
  if (!kind || a.trivial || b.trivial) return null;
  const what = `${capitalize(withArticle(kind))} is compared with ${operator} (${shortText(comparison, 60)})`;
  if (a.constant || b.constant) {
    // `request.headers.get("X-Api-Key") == "s3cr3t"`; passwords against literals are FS403's.
    const variable = a.constant ? b : a;
    if (!variable.secret || !variable.taint || variable.secret === 'password') return null;
    return {
      message: `${what}, request data (${variable.taint.label}) against a hard-coded secret: ${ADVICE}`,
      confidence: 'medium',
      taint: variable.taint,
    };
  }
  if (a.taint || b.taint) {
    // Two request values compared, neither of them the expected secret: nothing stored leaks.
    const secretSides = [a, b].filter((o) => o.secret);
    const expected = secretSides.some((o) => !o.taint) || secretSides.length === 2 || !(a.taint && b.taint);
    if (!expected) return null;
    const taint = requestSide(a, b);
    const from = taint ? ` against request data (${taint.label})` : '';
    return { message: `${what}${from}: ${ADVICE}`, confidence: 'high', taint };
  }
  if (a.secret && b.secret) return { message: `${what}: ${ADVICE}`, confidence: 'medium', taint: null };
  return null;
}

/** The taint to show: the side that is not a named secret, else the one read from the request right there. */
function requestSide(a: Operand, b: Operand): Taint | null {
  const tainted = [a, b].filter((o): o is Operand & { taint: Taint } => o.taint !== null);
  const plain = tainted.find((o) => !o.secret);
  const local = tainted.find(
    (o) => o.taint.source.startIndex >= o.node.startIndex && o.taint.source.endIndex <= o.node.endIndex,
  );
  const param = tainted.find((o) => o.taint.label.startsWith('URL parameter'));
  return (plain ?? param ?? local ?? tainted[0])?.taint ?? null;
}

/** `password != confirm_password`, `new_password == old_password`: the user typed both, nothing to time. */
function paired(a: Operand, b: Operand): boolean {
  const wordsA = nameWords(a.node.text);
  const wordsB = nameWords(b.node.text);
  if (/2\W*\]?\)?$/.test(a.node.text) || /2\W*\]?\)?$/.test(b.node.text)) return true;
  if (wordsA.some((w) => PAIRED.has(w)) || wordsB.some((w) => PAIRED.has(w)))
    return a.secret === 'password' || b.secret === 'password';
  const isNew = (w: readonly string[]) => w.some((x) => CHANGE_NEW.has(x));
  const isOld = (w: readonly string[]) => w.some((x) => CHANGE_OLD.has(x));
  return (isNew(wordsA) && isOld(wordsB)) || (isOld(wordsA) && isNew(wordsB));
}

/** `a == b` → `hmac.compare_digest(a, b)`, `a != b` → `not hmac.compare_digest(a, b)`. */
function fixOf(
  ctx: RuleContext,
  comparison: Node,
  left: Node,
  right: Node,
  operator: string,
): OffsetEdit[] | null {
  const digest = compareDigest(ctx);
  if (!digest) return null;
  const call = `${digest.call}(${left.text}, ${right.text})`;
  return [replaceNode(comparison, operator === '!=' ? `not ${call}` : call), ...digest.edits];
}

function compareDigest(ctx: RuleContext): { call: string; edits: OffsetEdit[] } | null {
  const imports = ctx.file.imports;
  const qualified = imports.qualify('compare_digest');
  if (imports.isImportedName('compare_digest') && /^(hmac|secrets)\.compare_digest$/.test(qualified))
    return { call: 'compare_digest', edits: [] };
  if (moduleImportedAs(ctx, 'hmac')) return { call: 'hmac.compare_digest', edits: [] };
  if (moduleImportedAs(ctx, 'secrets')) return { call: 'secrets.compare_digest', edits: [] };
  if (imports.isImportedName('hmac') || ctx.file.module.bindings.has('hmac')) return null;
  return { call: 'hmac.compare_digest', edits: [importEdit(ctx, 'import hmac')] };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
