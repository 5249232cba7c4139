import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';
import { PASSWORD_WORD_TEXT, mentionsPassword, nameWords, saysPassword } from '../support/crypto';
import { clientPassword, storesModel } from '../support/passwords';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';

/** Calls that write a document or record given as a dictionary (MongoDB, DynamoDB, Redis, JSON files). */
const DOCUMENT_WRITES = new Set([
  'insert_one',
  'insert_many',
  'insert',
  'update_one',
  'update_many',
  'update',
  'replace_one',
  'find_one_and_update',
  'find_one_and_replace',
  'save',
  'put_item',
  'update_item',
  'hset',
  'hmset',
  'dump',
  'writerow',
  'create',
]);
/** Writes to key-value stores and files, with the index of the first argument that is stored. */
const STORE_WRITES = new Map<string, number>([
  ['set', 1],
  ['setex', 1],
  ['setnx', 1],
  ['hset', 1],
  ['hsetnx', 1],
  ['write', 0],
  ['writelines', 0],
  ['writerow', 0],
  ['writerows', 0],
]);

/** Calls that look a record up by the dictionary they are given. */
const DOCUMENT_LOOKUPS = new Set(['find_one', 'find', 'count_documents', 'get_item', 'query']);
/** ORM lookups by keyword (`filter_by(password=...)`, Django's `get(password=...)`, MongoEngine's `objects(...)`). */
const KEYWORD_LOOKUPS = new Set(['filter_by', 'get', 'get_or_none', 'objects', 'first', 'exists']);
const SQL_STATEMENT = /^\s*(insert|update|select|replace|delete)\b/i;

export default defineRule({
  meta: {
    id: 'FS409',
    name: 'plaintext-password-storage',
    title: 'Password stored or looked up in plain text',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-256', 'CWE-522', 'CWE-312'],
    owasp: ['A02:2021', 'A07:2021'],
    docs: {
      summary:
        'Finds a password from the client (request data, or a WTForms field\'s `.data`) kept without hashing: given to a model as `password=` (`User(password=form.password.data)`), assigned to a password attribute (`user.password = request.form["password"]`), written in a document or record (`users.insert_one({"password": pw})`, `{"$set": {"password": pw}}`, Redis `set`/`hset`, a file or CSV row, a module-level or `shelve` mapping), bound to a password column of an `INSERT`/`UPDATE` statement, or kept in the session or a cookie; and logins that can only work with a stored plain-text password: `filter_by(password=pw)`, `User.password == pw` in a query, `WHERE password = ?` with the typed password, `find_one({"password": pw})`, `user.password == request.form["password"]`, `hmac.compare_digest(user.password, pw)`, or a model method such as `check_password(self, raw)` returning `self.password == raw` (medium). Values that went through a hash (`generate_password_hash`, bcrypt, argon2, passlib, `make_password`, `set_password()`) are not reported, nor attributes whose assignment runs a setter (`@password.setter`, `@validates("password")`, a `PasswordType` column) anywhere in the workspace, nor names that hold a digest (`password_hash`, `hashed_password`, `encrypted_password`).',
      why: "A database of plain-text passwords turns one SQL injection, leaked backup or curious insider into every user's password, and since people reuse passwords, into their e-mail and bank accounts too. Hashing with a slow, salted algorithm means a stolen table still has to be cracked one password at a time. The session and cookies are worse places still: Flask's session cookie is signed, not encrypted, so anyone holding it can read the password.",
      example:
        '@app.route("/register", methods=["POST"])\ndef register():\n    user = User(email=request.form["email"], password=request.form["password"])\n    db.session.add(user)\n    db.session.commit()',
      fix: 'from werkzeug.security import generate_password_hash\n\n@app.route("/register", methods=["POST"])\ndef register():\n    user = User(email=request.form["email"],\n                password_hash=generate_password_hash(request.form["password"]))\n    db.session.add(user)\n    db.session.commit()\n# login: check_password_hash(user.password_hash, request.form["password"])',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/256.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html',
      'https://werkzeug.palletsprojects.com/en/latest/utils/#werkzeug.security.generate_password_hash',
    ],
  },
  // A password name (a model's own check_password compares without any request data in the file).
  trigger: new RegExp(PASSWORD_WORD_TEXT, 'i'),
  check(ctx: RuleContext) {
    const report = (node: Node, message: string, confidence: 'high' | 'medium' = 'high') => {
      ctx.report(node, message, { confidence });
    };
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      // User(password=pw), Account.objects.create(password=pw), users.insert().values(password=pw)
      for (const [keyword, value] of site.args.keywords) {
        if (!isPlainPasswordName(keyword) || !clientPassword(ctx, value)) continue;
        if (KEYWORD_LOOKUPS.has(site.name)) {
          report(
            value.parent ?? value,
            `${site.calleeText ?? site.name}() looks the account up by the password the client typed: that only works if passwords are stored in plain text. Store a hash (generate_password_hash) and check it with check_password_hash().`,
          );
        } else if (storesModel(ctx, site) && !hasSetter(ctx, keyword)) {
          report(
            value.parent ?? value,
            `The password from the client is stored as it is (${keyword}=${shortText(value)}): anyone who reads the table reads every password. Store generate_password_hash(...) (or bcrypt/argon2) instead.`,
          );
        }
      }
      // users.insert_one({"username": u, "password": pw}), collection.find_one({"password": pw})
      if (DOCUMENT_WRITES.has(site.name) || DOCUMENT_LOOKUPS.has(site.name)) {
        for (const pair of passwordPairs(ctx, site)) {
          report(
            pair,
            DOCUMENT_LOOKUPS.has(site.name)
              ? `${site.calleeText ?? site.name}() matches the stored password against the one the client typed: that only works if passwords are stored in plain text. Store a hash and check it with check_password_hash().`
              : `The password from the client is written as it is by ${site.calleeText ?? site.name}(): anyone who reads the store reads every password. Store generate_password_hash(...) (or bcrypt/argon2) instead.`,
          );
        }
      }
      // cursor.execute("INSERT INTO users (name, password) VALUES (?, ?)", (name, pw))
      const sqlPassword = sqlPasswordParameter(ctx, site);
      if (sqlPassword) {
        report(
          sqlPassword.node,
          sqlPassword.lookup
            ? 'The SQL compares the password column with the password the client typed: that only works if passwords are stored in plain text. Store a hash and check it with check_password_hash().'
            : 'The password from the client goes into the password column as it is: anyone who reads the table reads every password. Store generate_password_hash(...) (or bcrypt/argon2) instead.',
        );
      }
      // r.set(f"pw:{user}", pw), r.hset("credentials", user, pw), fh.write(f"{user}:{pw}"), writer.writerow([...])
      if (STORE_WRITES.has(site.name) && site.receiver) {
        const stored = site.args.positional
          .slice(STORE_WRITES.get(site.name))
          .find((arg) =>
            partsOf(arg).some((part) => mentionsPassword(ctx, part) && clientPassword(ctx, part)),
          );
        if (stored) {
          report(
            stored,
            `The password from the client is written as it is by ${site.calleeText ?? site.name}(): anyone who reads the store reads every password. Store generate_password_hash(...) (or bcrypt/argon2) instead.`,
          );
        }
      }
      // hmac.compare_digest(user.password, typed): constant-time, but against a plain-text column.
      if (/(^|\.)compare_digest$/.test(site.callee ?? '') && site.args.positional.length === 2) {
        const [a, b] = site.args.positional as [Node, Node];
        const stored = storedPassword(ctx, a) ? a : storedPassword(ctx, b) ? b : null;
        const typed = stored === a ? b : a;
        if (stored && clientPassword(ctx, typed)) {
          report(
            site.node,
            `${stored.text} is compared with the password the client typed: that only works if passwords are stored in plain text. Store a hash (generate_password_hash) and compare with check_password_hash().`,
            'medium',
          );
        }
      }
      // resp.set_cookie("password", pw)
      if (site.name === 'set_cookie') {
        const name = stringValue(
          ctx.file.resolveValue(site.args.positional[0] ?? site.args.keywords.get('key') ?? site.node),
        );
        const value = site.args.positional[1] ?? site.args.keywords.get('value');
        if (name && isPlainPasswordName(name) && value && clientPassword(ctx, value)) {
          report(
            site.node,
            'The password is stored in a cookie: it is sent with every request, kept by the browser and readable by anyone with the cookie. Keep a session id instead.',
          );
        }
      }
    }

    for (const assignment of ctx.file.nodesOfType('assignment')) {
      if (!assignment || !ctx.inFocus(assignment)) continue;
      const left = assignment.childForFieldName('left');
      const right = assignment.childForFieldName('right');
      if (!left || !right || !clientPassword(ctx, right)) continue;
      // user.password = form.password.data
      if (left.type === 'attribute') {
        const attribute = left.childForFieldName('attribute')?.text ?? '';
        const object = left.childForFieldName('object');
        if (!isPlainPasswordName(attribute) || !object || /^(self|cls)$/.test(object.text)) continue;
        if (hasSetter(ctx, attribute) || /\b(form|config|settings|args)\b/i.test(object.text)) continue;
        report(
          assignment,
          `The password from the client is assigned to ${left.text} as it is: stored like this, anyone who reads the table reads every password. Assign a hash (generate_password_hash) to a password_hash column instead.`,
        );
      }
      // USERS[name] = {"password": pw}, db[name] = pw (shelve): a module-level or persistent container.
      if (left.type === 'subscript' && storesInContainer(ctx, left, right)) {
        report(
          assignment,
          'The password from the client is kept as it is in a stored mapping: anyone who reads the store reads every password. Store generate_password_hash(...) instead.',
        );
        continue;
      }
      // session["password"] = pw
      if (left.type === 'subscript') {
        const key = stringValue(ctx.file.resolveValue(left.childForFieldName('subscript') ?? left));
        const target = ctx.file.imports.resolve(left.childForFieldName('value'));
        if (key && isPlainPasswordName(key) && target === 'flask.session') {
          report(
            assignment,
            "The password is kept in Flask's session, a cookie that is signed but not encrypted: anyone who holds the cookie can read it. Keep the user id in the session instead.",
          );
        }
      }
    }

    // user.password == request.form["password"], User.password == pw inside a query
    for (const comparison of ctx.file.nodesOfType('comparison_operator')) {
      if (!comparison || !ctx.inFocus(comparison)) continue;
      const operators = comparison.children.filter((c) => c && (c.type === '==' || c.type === '!='));
      if (operators.length !== 1 || comparison.namedChildren.length !== 2) continue;
      const [a, b] = comparison.namedChildren as [Node, Node];
      const stored = storedPassword(ctx, a) ? a : storedPassword(ctx, b) ? b : null;
      const typed = stored === a ? b : a;
      if (stored && checkedParameter(ctx, comparison, stored, typed)) {
        report(
          comparison,
          `${stored.text} is compared with the password the method is given: that only works if passwords are stored in plain text. Store a hash (generate_password_hash) and compare with check_password_hash().`,
          'medium',
        );
        continue;
      }
      if (!stored || !clientPassword(ctx, typed)) continue;
      report(
        comparison,
        `${stored.text} is compared with the password the client typed: that only works if passwords are stored in plain text. Store a hash (generate_password_hash) and compare with check_password_hash().`,
        inQuery(comparison) ? 'high' : 'medium',
      );
    }
  },
});

/** The pieces a written value is made of: f-string fields, list and tuple items, `+` operands. */
function partsOf(node: Node): Node[] {
  const value = unwrap(node);
  if (value.type === 'string')
    return value.namedChildren
      .filter((c): c is Node => c?.type === 'interpolation')
      .map((c) => c.namedChildren[0])
      .filter((c): c is Node => !!c);
  if (value.type === 'list' || value.type === 'tuple')
    return value.namedChildren.filter((c): c is Node => c !== null).flatMap(partsOf);
  if (value.type === 'binary_operator')
    return [value.childForFieldName('left'), value.childForFieldName('right')]
      .filter((c): c is Node => !!c)
      .flatMap(partsOf);
  return [value];
}

/**
 * `USERS[name] = {"password": pw}` or `db[name] = pw` into a module-level mapping or a shelve/dbm file:
 * the value holds the client's password (a dictionary with a password key, or a password-named value).
 */
function storesInContainer(ctx: RuleContext, left: Node, right: Node): boolean {
  const container = left.childForFieldName('value');
  if (!container || container.type !== 'identifier') return false;
  const value = unwrap(right);
  const holdsPassword =
    value.type === 'dictionary'
      ? value.namedChildren.some((pair) => {
          const key = pair?.type === 'pair' ? stringValue(pair.childForFieldName('key')) : undefined;
          const inner = pair?.childForFieldName('value');
          return !!key && !!inner && isPlainPasswordName(key) && clientPassword(ctx, inner);
        })
      : mentionsPassword(ctx, value) && clientPassword(ctx, value);
  if (!holdsPassword) return false;
  const scope = ctx.file.scopeAt(left);
  // (`d[k] = v` itself is a weak binding of d: only what d was bound to counts.)
  const bindings = ctx.file.reaching(container.text, container, scope).filter((b) => !b.weak);
  // A module-level mapping (a users "database"), or shelve.open()/dbm.open() bound by with or =.
  if (bindings.length > 0 && bindings.every((b) => ctx.file.scopeAt(b.node).kind === 'module')) return true;
  if (bindings.length === 0 && ctx.file.module.bindings.has(container.text)) return true;
  return bindings.some((b) => {
    const built = b.value?.type === 'call' ? ctx.file.callAt(b.value)?.callee : undefined;
    return !!built && /^(shelve|dbm(\.\w+)?|sqlitedict|diskcache)\.(open|SqliteDict|Cache)$/.test(built);
  });
}

/** A name for a password as the user typed it: not a digest, not encrypted, not a setting about passwords. */
function isPlainPasswordName(name: string): boolean {
  if (!saysPassword(name)) return false;
  return !nameWords(name).some((w) =>
    [
      'encrypted',
      'crypted',
      'enc',
      'cipher',
      'ciphertext',
      'confirm',
      'confirmation',
      'again',
      'old',
      'current',
      'new',
      'repeat',
      'verify',
      'check',
    ].includes(w),
  );
}

/** Another file (or this one) makes assigning this attribute run code that usually hashes it. */
function hasSetter(ctx: RuleContext, attribute: string): boolean {
  const setting = `setter:${attribute}` as const;
  return ctx.workspace.appSettings.has(setting) || ctx.flask.appSettings.has(setting);
}

/** `{"password": pw}` pairs with a client password in the dictionaries a call writes or matches. */
function passwordPairs(ctx: RuleContext, site: CallSite): Node[] {
  const found: Node[] = [];
  const visit = (node: Node | undefined, depth: number) => {
    if (!node || depth > 3) return;
    const value = unwrap(ctx.file.resolveValue(node));
    if (value.type !== 'dictionary') return;
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const key = stringValue(pair.childForFieldName('key'));
      const inner = pair.childForFieldName('value');
      if (!inner || key === undefined) continue;
      if (key.startsWith('$')) visit(inner, depth + 1);
      else if (isPlainPasswordName(key) && clientPassword(ctx, inner)) found.push(pair);
    }
  };
  for (const argument of [...site.args.positional, ...site.args.keywords.values()]) visit(argument, 0);
  return found;
}

/**
 * A client password bound to (or interpolated into) SQL that stores or matches a password column:
 * `execute("INSERT INTO users (email, password) VALUES (?, ?)", (email, pw))`.
 */
function sqlPasswordParameter(ctx: RuleContext, site: CallSite): { node: Node; lookup: boolean } | null {
  if (!/^(execute|executemany|exec_driver_sql|text|raw|fetch|fetchrow|fetchval)$/.test(site.name))
    return null;
  const statement = site.args.positional[0];
  if (!statement) return null;
  let resolved = ctx.file.resolveValue(statement);
  // execute(text("... WHERE password = :p"), {"p": pw}): the statement is wrapped in SQLAlchemy's text().
  const wrapped = resolved.type === 'call' ? ctx.file.callAt(resolved) : undefined;
  if (wrapped?.name === 'text' && wrapped.args.positional[0])
    resolved = ctx.file.resolveValue(wrapped.args.positional[0]);
  // "UPDATE users SET pass = '{}'".format(pw), "... VALUES ('%s')" % pw: the values filled in are candidates.
  const filled: Node[] = [];
  const formatted = resolved.type === 'call' ? ctx.file.callAt(resolved) : undefined;
  if (formatted?.name === 'format' && formatted.receiver?.type === 'string') {
    filled.push(...formatted.args.positional, ...formatted.args.keywords.values());
    resolved = formatted.receiver;
  } else if (resolved.type === 'binary_operator' && resolved.childForFieldName('operator')?.type === '%') {
    const right = resolved.childForFieldName('right');
    if (right)
      filled.push(
        ...(right.type === 'tuple' ? right.namedChildren.filter((n): n is Node => n !== null) : [right]),
      );
    resolved = resolved.childForFieldName('left') ?? resolved;
  }
  const sql = stringValue(resolved) ?? (resolved.type === 'string' ? resolved.text : undefined);
  if (
    sql === undefined ||
    !SQL_STATEMENT.test(sql.replace(/^[fFrRbBuU]*["']+/, '')) ||
    !(sql.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).some((word) => isPlainPasswordName(word))
  )
    return null;
  const lookup =
    /^\W*select\b/i.test(sql.replace(/^[fFrRbBuU]*["']+/, '')) ||
    (/\bwhere\b[^;]*\b(pass(word|wd)?|pwd)\s*=/i.test(sql) &&
      !/^\W*(insert|update)\b/i.test(sql.replace(/^[fFrRbBuU]*["']+/, '')));
  // Parameters: the second argument (a tuple, list or dict), or interpolations of the statement itself.
  const candidates: Node[] = [...filled];
  const parameters = site.args.positional[1];
  if (parameters) {
    const value = unwrap(ctx.file.resolveValue(parameters));
    if (value.type === 'tuple' || value.type === 'list')
      candidates.push(...value.namedChildren.filter((n): n is Node => n !== null));
    else if (value.type === 'dictionary') {
      for (const pair of value.namedChildren) {
        const inner = pair?.type === 'pair' ? pair.childForFieldName('value') : null;
        if (inner) candidates.push(inner);
      }
    } else candidates.push(value);
  }
  for (const interpolation of resolved.descendantsOfType('interpolation')) {
    const expression = interpolation?.namedChildren[0];
    if (expression) candidates.push(expression);
  }
  for (const candidate of candidates) {
    if (mentionsPassword(ctx, candidate) && clientPassword(ctx, candidate))
      return { node: candidate, lookup };
  }
  return null;
}

/**
 * `def check_password(self, raw): return self.password == raw`: a model method comparing its own
 * password attribute with the password-named parameter it is given.
 */
function checkedParameter(ctx: RuleContext, comparison: Node, stored: Node, typed: Node): boolean {
  if (!stored.text.startsWith('self.') || typed.type !== 'identifier') return false;
  const scope = ctx.file.scopeAt(comparison);
  if (scope.kind !== 'function' || !scope.ownerClass || !scope.params.includes(typed.text)) return false;
  return (
    saysPassword(scope.name, { allowHash: true }) ||
    saysPassword(typed.text) ||
    /^(raw|plain|candidate|given|attempt)/.test(typed.text)
  );
}

/** Names and expressions of what the client sent, as opposed to a stored record. */
const CLIENT_SIDE = /\b(form|request|data|json|args|payload|body|params|get_json|credentials|creds)\b/i;

/** A value that is the request's (or a form's) own data, not a record looked up with it. */
const CLIENT_VALUE = /^(flask\.)?(request|\w*form)\b|^json\.loads\(\s*request\b/;

/** A stored password read back: `user.password`, `row["password"]`, `account.pwd` (not the request's). */
function storedPassword(ctx: RuleContext, node: Node): boolean {
  let value = unwrap(node);
  // stored.decode(), where stored = r.get(f"pw:{username}"): a value read back by a password key.
  const decoded = value.type === 'call' ? ctx.file.callAt(value) : undefined;
  if (decoded?.name === 'decode' && decoded.receiver) value = unwrap(decoded.receiver);
  if (value.type === 'identifier') {
    const bindings = ctx.file.reaching(value.text, value, ctx.file.scopeAt(value));
    return bindings.some((b) => {
      const read = b.value?.type === 'call' ? ctx.file.callAt(b.value) : undefined;
      return (
        !!read &&
        /^(get|hget|fetchval)$/.test(read.name) &&
        !!b.value &&
        (mentionsPassword(ctx, b.value) ||
          read.args.positional.some((key) =>
            saysPassword(key.text.replace(/\{[^}]*\}|^[a-z]*["']|["']$/gi, ' ')),
          )) &&
        !CLIENT_VALUE.test(b.value.text)
      );
    });
  }
  let name: string | undefined;
  let object: Node | null = null;
  if (value.type === 'attribute') {
    name = value.childForFieldName('attribute')?.text;
    object = value.childForFieldName('object');
  } else if (value.type === 'subscript') {
    name = stringValue(value.childForFieldName('subscript'));
    object = value.childForFieldName('value');
  }
  if (!name || !object || !isPlainPasswordName(name)) return false;
  if (ctx.taint.isRequestObject(object) || CLIENT_SIDE.test(object.text) || /\.data$/.test(value.text))
    return false;
  // `data = request.get_json()`: a name for the request's own values is not the stored record.
  if (object.type === 'identifier') {
    const bindings = ctx.file.reaching(object.text, object, ctx.file.scopeAt(object));
    if (bindings.some((b) => b.kind === 'param' && CLIENT_SIDE.test(b.name))) return false;
    if (bindings.some((b) => !!b.value && CLIENT_VALUE.test(b.value.text))) return false;
  }
  return true;
}

/** Inside an ORM query: `User.query.filter(User.password == pw)`, `select(User).where(...)`. */
function inQuery(node: Node): boolean {
  const call = node.parent?.parent;
  if (call?.type !== 'call') return false;
  const fn = call.childForFieldName('function');
  const name = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : fn?.text;
  return !!name && /^(filter|where|having|and_|or_|find|query|exclude|get)$/.test(name);
}

function shortText(node: Node): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
