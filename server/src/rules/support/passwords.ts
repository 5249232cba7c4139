import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { lastSegment } from '../../engine/syntax';
import { saysPassword } from './crypto';
import { refinedTaint } from './flows';
import { unwrap } from './xss';

/**
 * Passwords as the client typed them (FS409): request data or a WTForms field's `.data`, followed through
 * names and calls until something hashes (or encrypts) it.
 */

/** Calls that turn a password into something else than itself: hashes, KDFs, encryption, setters. */
const TRANSFORMS =
  /hash|crypt|digest|make_password|pbkdf2|scrypt|argon|^sha\d*|md5|blake|hmac|fernet|set_password|^protect|^sign/i;

export function isPasswordTransform(ctx: RuleContext, node: Node): boolean {
  const value = unwrap(node);
  if (value.type !== 'call') return false;
  const site = ctx.file.callAt(value);
  return !!site && (TRANSFORMS.test(site.name) || TRANSFORMS.test(lastSegment(site.callee ?? '')));
}

/** Is `node` the client's password (or other request text), not hashed on the way? */
export function clientPassword(ctx: RuleContext, node: Node): boolean {
  if (refinedTaint(ctx, node, { sink: 'value', cleans: (n) => isPasswordTransform(ctx, n) })) return true;
  return formFieldData(ctx, node, 0, new Set());
}

/**
 * A WTForms field's value, `form.password.data` (or `form.data["password"]`), through names and the calls
 * that keep it (`.strip()`), until a transform.
 */
function formFieldData(ctx: RuleContext, node: Node, depth: number, seen: Set<number>): boolean {
  if (depth > 4 || seen.has(node.id)) return false;
  seen.add(node.id);
  const value = unwrap(node);
  switch (value.type) {
    case 'attribute': {
      if (value.childForFieldName('attribute')?.text !== 'data') return false;
      const field = value.childForFieldName('object');
      if (field?.type !== 'attribute') return /form/i.test(field?.text ?? '');
      const fieldName = field.childForFieldName('attribute')?.text ?? '';
      return saysPassword(fieldName) || /form/i.test(field.childForFieldName('object')?.text ?? '');
    }
    case 'subscript':
      return formFieldData(ctx, value.childForFieldName('value') ?? value, depth + 1, seen);
    case 'call': {
      if (isPasswordTransform(ctx, value)) return false;
      const site = ctx.file.callAt(value);
      if (!site) return false;
      const parts = [site.receiver, ...site.args.positional].filter((n): n is Node => !!n);
      return parts.some((part) => formFieldData(ctx, part, depth + 1, seen));
    }
    case 'identifier': {
      const scope = ctx.file.scopeAt(value);
      return ctx.file
        .reaching(value.text, value, scope)
        .some((b) => b.kind !== 'param' && !!b.value && formFieldData(ctx, b.value, depth + 1, seen));
    }
    default:
      return false;
  }
}

/** Libraries whose classes take `password=` to log in somewhere, not to store it. */
const LIBRARY_ROOTS =
  /^(ldap3?|requests|httpx|aiohttp|urllib3|smtplib|imaplib|poplib|ftplib|paramiko|pysftp|fabric|asyncssh|redis|pymongo|motor|psycopg2?|pymysql|MySQLdb|mysql|sqlite3|sqlalchemy|boto3|botocore|hvac|kerberos|keyring|flask_httpauth|flask_login|flask_mail|jwt|werkzeug|wtforms|flask_wtf|pika|kafka|elasticsearch|opensearchpy|celery|kombu|socket|ssl|cryptography|passlib|bcrypt|argon2|getpass|exchangelib|zeep|suds|pyodbc|cx_Oracle|oracledb|ibm_db|pydantic|marshmallow|webdav\w*|owncloud|nextcloud)\b/;

/** Class names of accounts: what a model that keeps a password is called. */
const ACCOUNT_CLASS =
  /(User|Account|Member|Customer|Admin|Administrator|Employee|Person|Profile|Staff|Student|Patient|Player|Owner|Operator|Subscriber|Author|Credentials?|Login|Teacher|Doctor|Agent|Seller|Buyer|Vendor|Merchant|Client|Tenant)$/;
/** Modules models are kept in. */
const MODEL_MODULE =
  /(^|\.)(models?|schemas?|entities|entity|db|database|tables|orm|users?|accounts?|auth)(\.|$)/;
/** Base classes of persisted models: Flask-SQLAlchemy, declarative bases, MongoEngine, Peewee, Pony. */
const MODEL_BASE = /Model|Base|Document|Entity|Table|SQLModel|db\./;

/**
 * Whether a call with `password=` builds or updates a stored record: a model class (defined here with a
 * model base, imported from a models-like or relative module, or named like an account), Django's
 * `objects.create`, Peewee's `Model.create`, SQLAlchemy Core's `insert(...).values(...)`, a queryset's
 * `update(...)`. Not library classes that log in with the password, nor Django's `create_user`, which hashes.
 */
export function storesModel(ctx: RuleContext, site: CallSite): boolean {
  const callee = site.callee ?? '';
  if (LIBRARY_ROOTS.test(callee)) return false;
  if (
    site.name === 'values' ||
    site.name === 'update' ||
    site.name === 'update_or_create' ||
    site.name === 'get_or_create'
  )
    return !!site.receiver;
  if (site.name === 'create') {
    const receiver = site.receiver?.text ?? '';
    return /\.objects$/.test(receiver) || /^[A-Z]\w*$/.test(receiver);
  }
  const name = site.name;
  if (!/^[A-Z]/.test(name)) return false;
  const local = ctx.file.scopes.find((s) => s.kind === 'class' && s.name === name);
  if (local) return local.bases.some((b) => MODEL_BASE.test(b.text)) || ACCOUNT_CLASS.test(name);
  if (callee !== name && callee.includes('.')) {
    const module = callee.slice(0, callee.lastIndexOf('.'));
    if (module.startsWith('.') || MODEL_MODULE.test(module)) return true;
  }
  return ACCOUNT_CLASS.test(name);
}
