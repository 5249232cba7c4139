import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { isConstantCollection } from '../../engine/allowLists';
import type { Taint } from '../../engine/taint';
import { contains, isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import { argumentAt, valueContains } from '../support/files';
import { isValidatedBefore, statementOf } from '../support/queries';
import { preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';

const SESSION_OBJECTS = new Set(['flask.session', 'quart.session', 'flask.globals.session']);
/** Session keys that code usually reads as who the user is or what they may do. */
const IDENTITY_KEY =
  /user|uid|account|role|admin|perm|auth|logged|login|group|tenant|org|email|owner|level|scope|priv|staff|super|verified|^is_|_id$|^id$/i;
/** Keys that grant something: a flag computed from the request under one of these is the client's say. */
const PRIVILEGE_KEY =
  /admin|role|perm|auth|logged|login|staff|super|verified|priv|level|scope|owner|paid|premium/i;
/** Calls that verify credentials: a value stored after one of them is the authenticated identity. */
const CREDENTIAL_CHECK =
  /check_?password|verify|authenticate|checkpw|check_pw|compare_digest|login_user|validate_login|check_credentials|simple_bind|bind_s$|^bind$|totp|otp/i;
const SECRET_NAME = /passw|pwd|passcode|otp|totp/i;
/** Checks that a human or the form is real, not who is sending it. */
const NOT_CREDENTIALS = /captcha|csrf|xsrf/i;

interface SessionWrite {
  at: Node;
  key: Node | null;
  /** The key as a keyword argument (`session.update(user=...)`). */
  keyword?: string;
  value: Node | null;
}

export default defineRule({
  meta: {
    id: 'FS508',
    name: 'trust-boundary-violation',
    title: 'Unvalidated request data stored in the session',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-501'],
    owasp: ['A04:2021'],
    docs: {
      summary:
        'Finds request data stored as it came in the Flask session: `session["user"] = request.form["user"]`, `session.setdefault(...)`, `session.update(role=...)`, session keys the client names (`session[request.args["key"]] = ...`), and privilege flags computed from request data alone (`session["is_admin"] = request.args.get("admin") == "1"`, a conditional choosing `"admin"` on such a test). Values converted (`int()`, except under a key that names an identity: the client still picks which user), checked before (allow-list membership, equality with a constant, an anchored regex, `isalnum()`, a `validate_*` helper), looked up in the database, or stored after a credential check in the same view (`check_password_hash`, `verify`, `login_user`...) are not reported. Keys that name an identity or a privilege (`user`, `user_id`, `role`, `is_admin`, `email`, `tenant`...) are reported with medium confidence, other keys with low confidence. `session.update(request.form)` is FS506\'s (mass assignment). `flask.g` is not checked: it lives for one request, so what is stored there is not trusted by later requests.',
      why: 'The session is signed by the server, so the rest of the application reads it as facts the server established: who is logged in, their role, the tenant they belong to. Copying a request value there without checking it turns "the client said so" into "the server said so": a login form that stores `session["user"] = request.form["user"]` before (or without) checking the password logs anyone in as anyone, and a stored `role` or `next` URL reaches code that no longer validates it.',
      example:
        '@app.post("/login")\ndef login():\n    session["user"] = request.form["username"]\n    if not check_password(request.form["username"], request.form["password"]):\n        abort(401)\n    return redirect("/")',
      fix: '@app.post("/login")\ndef login():\n    user = User.query.filter_by(name=request.form["username"]).first()\n    if user is None or not check_password_hash(user.password_hash, request.form["password"]):\n        abort(401)\n    session["user_id"] = user.id  # set by the server, from the database\n    return redirect("/")',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/501.html',
      'https://flask.palletsprojects.com/en/stable/api/#sessions',
      'https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html',
    ],
  },
  // A write to Flask's session (session[...] =, session.update(...)), under any alias.
  trigger: /session/,
  check(ctx: RuleContext) {
    // All writes: readsBackSession looks at the others. Each reports at its key or value, inside its own write.
    const writes = sessionWrites(ctx);
    for (const write of writes) {
      if (!ctx.inFocus(write.at)) continue;
      const keyText =
        write.keyword ?? (write.key ? stringValue(ctx.file.resolveValue(write.key)) : undefined);
      const keyTaint = write.key && keyText === undefined ? taintOf(ctx, write.key) : null;
      if (keyTaint && write.key && !isValidatedBefore(ctx, write.at, write.key)) {
        ctx.report(
          write.key,
          `Request data (${keyTaint.label}) names the session key that is written: the client can set any key, such as user_id or is_admin. Use constant keys or check the key against an allow-list.`,
          { taint: keyTaint, confidence: 'high' },
        );
        continue;
      }
      if (!write.value) continue;
      const identity = keyText !== undefined && IDENTITY_KEY.test(keyText);
      const asText = taintOf(ctx, write.value);
      // `session["is_admin"] = request.args.get("admin") == "1"`: the flag is whatever the client asks.
      const privilege = keyText !== undefined && PRIVILEGE_KEY.test(keyText);
      const decided = !asText && privilege ? decidedByClient(ctx, write.value) : null;
      if (decided && !afterCredentialCheck(ctx, write.at)) {
        ctx.report(
          write.value,
          `Request data (${decided.label}) decides session["${keyText}"]: the comparison only turns the client's answer into a flag, so any client can set it. Derive it on the server (from the authenticated user's record).`,
          { taint: decided, confidence: 'medium' },
        );
        continue;
      }
      const taint = asText ?? (identity ? convertedIdentity(ctx, write.value) : null);
      if (!taint || isValidatedBefore(ctx, write.at, write.value) || afterCredentialCheck(ctx, write.at))
        continue;
      if (readsBackSession(ctx, write, writes, taint)) continue;
      const shown = keyText !== undefined ? `session["${keyText}"]` : 'the session';
      ctx.report(
        write.value,
        asText
          ? `Request data (${taint.label}) is stored unvalidated in ${shown}: later requests read the session as set by the server, so the client decides this value. Validate it first (allow-list, int(), a database lookup) or store what the server derived instead.`
          : `Request data (${taint.label}) is converted and stored in ${shown}: the conversion checks its type, not that the client may act as that identity. Store what the server derived after checking credentials (the user it looked up and authenticated).`,
        { taint, confidence: identity ? 'medium' : 'low' },
      );
    }
  },
});

/**
 * A flag computed from request data alone: a comparison of it with a constant (`== "1"`, `in ("yes", "on")`),
 * `bool(...)` of it, or a conditional choosing between constants on such a test.
 */
function decidedByClient(ctx: RuleContext, value: Node, depth = 0): Taint | null {
  const node = unwrap(ctx.file.resolveValue(unwrap(value)));
  if (depth > 3) return null;
  switch (node.type) {
    case 'comparison_operator': {
      const operands = node.namedChildren.filter((c): c is Node => c !== null);
      if (
        !operands.some(
          (o) => literalValue(ctx.file.resolveValue(o)) !== undefined || isConstantCollection(ctx.file, o),
        )
      )
        return null;
      for (const operand of operands) {
        const taint = taintOf(ctx, operand);
        if (taint) return taint;
      }
      return null;
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      return site?.callee === 'bool' && site.args.positional[0]
        ? taintOf(ctx, site.args.positional[0])
        : null;
    }
    case 'conditional_expression': {
      const [whenTrue, condition, whenFalse] = node.namedChildren;
      const constants = [whenTrue, whenFalse].every(
        (b) => !!b && literalValue(ctx.file.resolveValue(b)) !== undefined,
      );
      return constants && condition ? decidedByClient(ctx, condition, depth + 1) : null;
    }
    default:
      return null;
  }
}

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  // Request text as the client sent it: a row looked up with it, or a value computed from it, is the
  // server's. ('code' is only the taint bookkeeping's sink: no sanitizer validates a session value.)
  return preciseTaint(ctx, node, { sink: 'code', followCalls: false });
}

function isSession(ctx: RuleContext, node: Node | null): boolean {
  return !!node && SESSION_OBJECTS.has(ctx.file.imports.resolve(node) ?? '');
}

function sessionWrites(ctx: RuleContext): SessionWrite[] {
  const out: SessionWrite[] = [];
  for (const assignment of ctx.file.nodesOfType('assignment')) {
    const left = assignment?.childForFieldName('left');
    if (!assignment || left?.type !== 'subscript' || !isSession(ctx, left.childForFieldName('value')))
      continue;
    out.push({
      at: assignment,
      key: left.childForFieldName('subscript'),
      value: assignment.childForFieldName('right'),
    });
  }
  for (const site of ctx.file.callsNamed('setdefault', '__setitem__', 'update')) {
    if (!isSession(ctx, site.receiver)) continue;
    if (site.name !== 'update') {
      out.push({
        at: site.node,
        key: argumentAt(site, 0, 'key'),
        value: argumentAt(site, 1, 'default', 'value'),
      });
      continue;
    }
    // session.update({"user": ...}) / session.update(user=...); a whole request mapping is FS506's.
    const mapping = site.args.positional[0] ? unwrap(site.args.positional[0]) : null;
    if (mapping?.type === 'dictionary') {
      for (const pair of mapping.namedChildren) {
        if (pair?.type === 'pair')
          out.push({
            at: site.node,
            key: pair.childForFieldName('key'),
            value: pair.childForFieldName('value'),
          });
      }
    }
    for (const [keyword, value] of site.args.keywords) out.push({ at: site.node, key: null, keyword, value });
  }
  return out;
}

/**
 * `session["visits"] = session.get("visits", 0) + 1` after another key was set from the request: the taint
 * analysis sees the session as holding request data from then on, but reading the session back is not
 * crossing the boundary again (the other write is reported where it happens).
 */
function readsBackSession(
  ctx: RuleContext,
  write: SessionWrite,
  writes: SessionWrite[],
  taint: Taint,
): boolean {
  const fromOtherWrite = writes.some(
    (other) => other !== write && !!other.value && contains(other.value, taint.source),
  );
  return fromOtherWrite && valueContains(ctx, write.value, (n) => isSession(ctx, n));
}

/**
 * Inside a view that verified credentials before the write (`check_password_hash(...)`,
 * `user.password == hashed`, `login_user(...)`): the stored value is the authenticated identity.
 */
function afterCredentialCheck(ctx: RuleContext, at: Node): boolean {
  const scope = ctx.file.scopeAt(at);
  if (scope.kind !== 'function') return false;
  const before = statementOf(at).startIndex;
  for (const site of ctx.file.calls) {
    if (site.scope !== scope || site.node.startIndex >= before) continue;
    if (CREDENTIAL_CHECK.test(site.name) && !NOT_CREDENTIALS.test(site.name)) return true;
  }
  for (const comparison of scope.node.descendantsOfType('comparison_operator')) {
    if (!comparison || comparison.startIndex >= before) continue;
    // `if password == "":` checks that a password was typed, not that it is right.
    const operands = comparison.namedChildren.filter((c): c is Node => c !== null);
    if (operands.some((o) => isFalsyLiteral(o))) continue;
    if (SECRET_NAME.test(comparison.text)) return true;
  }
  return false;
}

/**
 * `session["user_id"] = int(request.form["user_id"])`: a number is harmless in a query, but under a key
 * that says who the user is, the client still chose which user. The request data inside the conversion.
 */
function convertedIdentity(ctx: RuleContext, value: Node): Taint | null {
  const resolved = unwrap(ctx.file.resolveValue(unwrap(value)));
  if (resolved.type !== 'call') return null;
  const site = ctx.file.callAt(resolved);
  const argument = site?.args.positional[0];
  if (!site || !argument || !CONVERSIONS.has(site.callee ?? '')) return null;
  return taintOf(ctx, argument);
}
const CONVERSIONS = new Set(['int', 'float', 'str', 'uuid.UUID']);
