import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { contains, stringValue } from '../../engine/syntax';
import { argumentAt } from '../support/files';
import { isDeadCode, unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

const MONGO_MODULES = [
  'pymongo',
  'motor',
  'flask_pymongo',
  'mongoengine',
  'flask_mongoengine',
  'mongomock',
  'bson',
];

/** Collection methods and where their filter (or pipeline) goes: pymongo, motor, Flask-PyMongo, mongomock. */
const FILTER_METHODS = new Map<string, { position: number; keywords: string[] }>([
  ['find', { position: 0, keywords: ['filter', 'spec'] }],
  ['find_one', { position: 0, keywords: ['filter', 'spec_or_id'] }],
  ['find_one_or_404', { position: 0, keywords: [] }],
  ['find_raw_batches', { position: 0, keywords: ['filter'] }],
  ['find_one_and_delete', { position: 0, keywords: ['filter'] }],
  ['find_one_and_replace', { position: 0, keywords: ['filter'] }],
  ['find_one_and_update', { position: 0, keywords: ['filter'] }],
  ['find_and_modify', { position: 0, keywords: ['query'] }],
  ['update_one', { position: 0, keywords: ['filter'] }],
  ['update_many', { position: 0, keywords: ['filter'] }],
  ['replace_one', { position: 0, keywords: ['filter'] }],
  ['delete_one', { position: 0, keywords: ['filter'] }],
  ['delete_many', { position: 0, keywords: ['filter'] }],
  ['count_documents', { position: 0, keywords: ['filter'] }],
  ['count', { position: 0, keywords: ['filter'] }],
  ['remove', { position: 0, keywords: ['spec_or_id'] }],
  ['distinct', { position: 1, keywords: ['filter'] }],
  ['aggregate', { position: 0, keywords: ['pipeline'] }],
  ['aggregate_raw_batches', { position: 0, keywords: ['pipeline'] }],
  ['watch', { position: 0, keywords: ['pipeline'] }],
]);

/** Operators whose value is JavaScript run by the server, with the keys of their code when it is a document. */
const JS_OPERATORS = new Map<string, string[] | null>([
  ['$where', null],
  ['$function', ['body']],
  ['$accumulator', ['init', 'accumulate', 'merge', 'finalize']],
]);
/** Query operators whose operand MongoDB compares as a value: a document there is data, not an operator. */
const LITERAL_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all']);
/** Filter methods that lists and strings have too. */
const LIST_METHODS = new Set(['count', 'remove']);
const CODE_CLASSES = new Set(['bson.code.Code', 'bson.Code']);
const MAP_REDUCE = new Set(['map_reduce', 'inline_map_reduce']);
/** mongoengine queryset methods that take lookups as keyword arguments (`username__ne=...`). */
const MONGOENGINE_LOOKUPS = new Set([
  'objects',
  'filter',
  'get',
  'first',
  'exclude',
  'count',
  'delete',
  'update',
  'update_one',
  'modify',
  'get_or_404',
  'first_or_404',
]);
const MONGOENGINE_Q = new Set(['mongoengine.Q', 'mongoengine.queryset.visitor.Q', 'flask_mongoengine.Q']);

/** Request attributes holding parsed JSON (any shape), and mappings of strings whose keys the client picks. */
const JSON_ATTRIBUTES = new Set(['json']);
const MAPPING_ATTRIBUTES = new Set(['args', 'form', 'values', 'cookies', 'headers', 'view_args']);
const JSON_PARSERS =
  /^(json\.loads?|flask\.json\.loads?|simplejson\.loads?|ujson\.loads?|orjson\.loads|rapidjson\.loads?|bson\.json_util\.loads|bson\.decode|bson\.BSON\.decode)$/;
/** Calls that return their argument's (or receiver's) structure unchanged. */
const PASS_THROUGH = new Set(['dict', 'copy.copy', 'copy.deepcopy', 'collections.OrderedDict']);
const PASS_THROUGH_METHODS = new Set(['to_dict', 'copy', 'dict']);

/** `json`: arbitrary JSON (objects where strings were expected); `mapping`: the client picks the keys. */
type Shape = 'json' | 'mapping';
interface Structured {
  taint: Taint;
  shape: Shape;
}

export default defineRule({
  meta: {
    id: 'FS213',
    name: 'nosql-injection',
    title: 'Request data as a MongoDB query filter or server-side JavaScript',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-943'],
    owasp: ['A03:2021'],
    docs: {
      summary:
        'Finds MongoDB queries (pymongo, motor, Flask-PyMongo, mongomock, mongoengine) whose filter the client shapes: a request\'s JSON body (`request.get_json()`, `request.json`, `json.loads(request.data)`) or a value taken from it put into a filter (also by `filter.update(...)`) of `find`/`find_one`/`find_one_and_*`/`update_*`/`delete_*`/`replace_one`/`count_documents`/`distinct` or a pipeline of `aggregate`/`watch` without a cast, a whole `request.args`/`request.form` mapping used as a filter, mongoengine `Model.objects(**data)`/`__raw__=data`/`Q(**data)` with request data, and request data in server-side JavaScript: `$where`, `$function` and `$accumulator` code, `bson.Code(...)`, `map_reduce()` and mongoengine `.where()`. Calls count on receivers that look like collections (`db.users`, `mongo.db.users`, `client["shop"]["orders"]`, names ending in `collection`) or, in a file that imports a MongoDB library, on any receiver that is not request data itself. Values cast with `str()`, `int()`, `float()`, `bool()` or `bson.ObjectId()`, values checked with `isinstance(value, str)` or passed to a validator (`jsonschema.validate(...)`, `validate_login(...)`) first, operands of `$in`/`$eq`/`$gt`/... (compared as values), query-string and form values (always strings), and filters built from constants are not reported. `$regex` patterns are reported by FS212 (regex-injection).',
      why: 'JSON lets the client send an object where the code expects a string: `{"username": "admin", "password": {"$ne": null}}` turns a password check into "any password" and logs in as anyone, `{"$gt": ""}` matches every document, and `{"$regex": "^a"}` reads values out one character at a time. Keys the client picks can add `$where`, whose JavaScript runs inside the database, and code built from request data in `$where`/`$function`/`mapReduce` lets the client run its own: denial of service with `sleep()` and data extraction.',
      example:
        '@app.post("/login")\ndef login():\n    data = request.get_json()\n    user = mongo.db.users.find_one({"username": data["username"], "password": data["password"]})\n    return jsonify(ok=user is not None)',
      fix: '@app.post("/login")\ndef login():\n    data = request.get_json()\n    user = mongo.db.users.find_one({"username": str(data["username"])})\n    ok = user is not None and check_password_hash(user["password_hash"], str(data["password"]))\n    return jsonify(ok=ok)',
    },
    references: [
      'https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/07-Input_Validation_Testing/05.6-Testing_for_NoSQL_Injection',
      'https://cwe.mitre.org/data/definitions/943.html',
      'https://www.mongodb.com/docs/manual/faq/fundamentals/#how-does-mongodb-address-sql-or-query-injection-',
      'https://pymongo.readthedocs.io/en/stable/api/pymongo/collection.html',
    ],
  },
  // A MongoDB query method called on any object (pymongo needs no import where a collection is passed in),
  // server-side JavaScript, or mongoengine; and request data.
  trigger: [
    /\.[\s\\]*(?:find|update_|replace_one|delete_|count|remove|distinct|aggregate|watch|objects)|map_reduce|\$where|\$function|\$accumulator|bson|mongoengine/,
    REQUEST_DATA_TEXT,
  ],
  check(ctx: RuleContext) {
    const mongoFile = MONGO_MODULES.some((m) => ctx.file.imports.imports(m));
    const javascript: Node[] = [];
    for (const { code, what } of javascriptSinks(ctx, mongoFile)) {
      const taint = ctx.taint.taintOf(code);
      if (!taint) continue;
      javascript.push(code);
      ctx.report(
        code,
        `Request data (${taint.label}) is part of the JavaScript of ${what}, which MongoDB runs on the server: the client runs its own code (sleep(), reading other documents). Query with regular operators and pass values as data, never as code.`,
        { taint },
      );
    }
    for (const { filter, what, lookups } of filterSinks(ctx, mongoFile)) {
      const found = structured(ctx, filter);
      if (!found) continue;
      // `{"$where": request.json["js"]}`: reported once, as JavaScript.
      if (javascript.some((code) => contains(filter, code))) continue;
      const message = lookups
        ? `Request data (${found.taint.label}) supplies the lookups of ${what}: keys such as password__ne or username__regex turn an equality check into "any value" (a login bypass). Pass only the fields you expect, as str()/int() values.`
        : found.shape === 'json'
          ? `Request JSON (${found.taint.label}) reaches the filter of ${what} uncast: an object such as {"$ne": null} where a string was expected matches any value (a login bypass), and "$where" runs JavaScript. Cast each value with str()/int() (or bson.ObjectId()) and build the filter from constant keys.`
          : `The client picks the fields of the filter of ${what} (${found.taint.label}): a key such as "$where" runs JavaScript and other fields widen the match. Build the filter from constant keys and the values you expect.`;
      ctx.report(filter, message, { taint: found.taint });
    }
  },
});

interface FilterSink {
  filter: Node;
  what: string;
  /** mongoengine keyword lookups (`**data`): the keys choose fields and operators (`password__ne`). */
  lookups: boolean;
}

function filterSinks(ctx: RuleContext, mongoFile: boolean): FilterSink[] {
  const out: FilterSink[] = [];
  // `Model.objects` is Django's manager too: its lookups are another rule's business.
  const querySets = mongoFile || !ctx.file.imports.imports('django');
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const fn = site.node.childForFieldName('function');
    const callee = site.callee ?? '';
    if (MONGOENGINE_Q.has(callee) || (querySets && isQuerySet(fn) && MONGOENGINE_LOOKUPS.has(site.name))) {
      // `User.objects(**request.json)`, `User.objects.filter(__raw__=query)`, `Q(**filters)`
      for (const argument of site.args.list?.namedChildren ?? []) {
        if (argument?.type === 'dictionary_splat' && argument.namedChildren[0])
          out.push({
            filter: argument.namedChildren[0],
            what: `${fn?.text ?? site.name}(**...)`,
            lookups: true,
          });
      }
      const raw = site.args.keywords.get('__raw__');
      if (raw) out.push({ filter: raw, what: `${fn?.text ?? site.name}(__raw__=...)`, lookups: false });
      continue;
    }
    const signature = FILTER_METHODS.get(site.name);
    if (!signature || fn?.type !== 'attribute' || !site.receiver) continue;
    if (!isCollection(ctx, site.receiver, mongoFile, site.name)) continue;
    const filter = argumentAt(site, signature.position, ...signature.keywords);
    if (filter) out.push({ filter, what: `.${site.name}()`, lookups: false });
  }
  return out;
}

/** `User.objects`, `User.objects.filter(...)`: a mongoengine queryset (the callee runs through `.objects`). */
function isQuerySet(fn: Node | null): boolean {
  let current: Node | null = fn;
  while (current) {
    if (current.type === 'attribute') {
      if (current.childForFieldName('attribute')?.text === 'objects') return true;
      current = current.childForFieldName('object');
    } else if (current.type === 'call') {
      current = current.childForFieldName('function');
    } else {
      return false;
    }
  }
  return false;
}

/** Does the receiver plausibly hold a MongoDB collection? */
function isCollection(ctx: RuleContext, receiver: Node, mongoFile: boolean, method: string): boolean {
  // Request data is never the collection (`name.find(...)` on a string from the request).
  if (ctx.taint.taintOf(receiver)) return false;
  const value = unwrap(ctx.file.resolveValue(receiver));
  if (['string', 'concatenated_string', 'list', 'dictionary', 'tuple', 'set', 'integer'].includes(value.type))
    return false;
  if (looksLikeCollection(receiver) || looksLikeCollection(value) || fromMongoClient(ctx, value)) return true;
  // `tags.count(x)`, `items.remove(x)`: list methods too; only a receiver that looks like a collection counts.
  if (!mongoFile || LIST_METHODS.has(method)) return false;
  if (receiver.type === 'identifier' && ctx.file.imports.isImportedName(receiver.text)) return false;
  if (value.type === 'call') {
    // Built by another library the file imports (`BeautifulSoup(...)`, `etree.parse(...)`).
    const callee = ctx.file.callAt(value)?.callee ?? '';
    const head = callee.split('.')[0] ?? '';
    if (head && ctx.file.imports.isImportedName(head) && !MONGO_MODULES.includes(head)) {
      return /collection|database|db/i.test(callee);
    }
  }
  return true;
}

/** `client.shop.users` with `client = MongoClient(...)`: the chain starts at a client the file creates. */
function fromMongoClient(ctx: RuleContext, node: Node): boolean {
  let current = node;
  for (let step = 0; step < 6; step++) {
    while (current.type === 'attribute' || current.type === 'subscript')
      current = current.childForFieldName(current.type === 'attribute' ? 'object' : 'value') ?? current;
    const built = unwrap(ctx.file.resolveValue(current));
    if (built.type === 'call') {
      const callee = ctx.file.callAt(built)?.callee ?? '';
      return MONGO_MODULES.some((m) => callee.startsWith(`${m}.`));
    }
    // `db = client["shop"]`: keep walking back to the client.
    if (built.id === current.id || (built.type !== 'attribute' && built.type !== 'subscript')) return false;
    current = built;
  }
  return false;
}

/** `db.users`, `mongo.db.users`, `client["shop"]["orders"]`, `db["users"]`, `self.collection`, `orders_coll`. */
function looksLikeCollection(node: Node): boolean {
  const text = node.text.replace(/\s+/g, '');
  if (/(^|\.)(db|mongo|database)(\.|\[)/i.test(text)) return true;
  if (/\[["'][^"']+["']\]\[["'][^"']+["']\]$/.test(text) && /client|mongo|conn/i.test(text)) return true;
  if (/get_collection\(|get_database\(/.test(text)) return true;
  const last = node.type === 'attribute' ? node.childForFieldName('attribute')?.text : node.text;
  return !!last && /(^|_)(coll|collection|col)s?$/i.test(last);
}

interface JavascriptSink {
  code: Node;
  what: string;
}

function javascriptSinks(ctx: RuleContext, mongoFile: boolean): JavascriptSink[] {
  const out: JavascriptSink[] = [];
  const operators = [...JS_OPERATORS.keys()].some((key) => ctx.file.text.includes(key));
  for (const pair of operators ? ctx.file.nodesOfType('pair') : []) {
    if (!pair || !ctx.inFocus(pair)) continue;
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (!key || !value || !JS_OPERATORS.has(key)) continue;
    const codeKeys = JS_OPERATORS.get(key);
    const document = unwrap(value);
    if (codeKeys && document.type === 'dictionary') {
      // `{"$function": {"body": ..., "args": [...]}}`: arguments are data; only the code keys are code.
      for (const inner of document.namedChildren) {
        if (inner?.type !== 'pair') continue;
        const name = stringValue(inner.childForFieldName('key'));
        const code = inner.childForFieldName('value');
        if (name && code && codeKeys.includes(name)) out.push({ code, what: `a ${key} operator` });
      }
    } else {
      out.push({ code: value, what: `a ${key} operator` });
    }
  }
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const callee = site.callee ?? '';
    if (CODE_CLASSES.has(callee)) {
      const code = argumentAt(site, 0, 'code');
      if (code) out.push({ code, what: `${site.calleeText ?? callee}()` });
    } else if (
      MAP_REDUCE.has(site.name) &&
      site.receiver &&
      isCollection(ctx, site.receiver, mongoFile, site.name)
    ) {
      for (const code of [argumentAt(site, 0, 'map'), argumentAt(site, 1, 'reduce')])
        if (code) out.push({ code, what: `.${site.name}()` });
      const finalize = site.args.keywords.get('finalize');
      if (finalize) out.push({ code: finalize, what: `.${site.name}()` });
    } else if (
      site.name === 'where' &&
      (mongoFile || !ctx.file.imports.imports('django')) &&
      isQuerySet(site.node.childForFieldName('function'))
    ) {
      const code = argumentAt(site, 0, 'where_clause');
      if (code) out.push({ code, what: 'the queryset .where()' });
    }
  }
  return out;
}

/**
 * Does `node` carry a structure the client shaped: parsed JSON (an object where a string was expected), or a
 * mapping whose keys the client picked? Followed through names, containers, `.get()`/subscripts of JSON,
 * `dict()`/`.copy()`/`.to_dict()`, JSON parsers, same-file helpers and their callers' arguments. `str()`,
 * `int()`, `bson.ObjectId()` and other calls end it: they return scalars or the library's own objects.
 */
function structured(ctx: RuleContext, node: Node | null, depth = 0): Structured | null {
  if (!node || depth > 16) return null;
  const value = unwrap(node);
  const taint = ctx.taint.taintOf(value);
  if (!taint || checkedBefore(ctx, value)) return null;
  const next = (n: Node | null | undefined): Structured | null => (n ? structured(ctx, n, depth + 1) : null);
  const firstOf = (nodes: readonly (Node | null | undefined)[]): Structured | null => {
    for (const n of nodes) {
      const found = next(n);
      if (found) return found;
    }
    return null;
  };
  const element = (found: Structured | null): Structured | null => (found?.shape === 'json' ? found : null);
  switch (value.type) {
    case 'attribute': {
      const object = value.childForFieldName('object');
      const attribute = value.childForFieldName('attribute')?.text ?? '';
      if (!object || !ctx.taint.isRequestObject(object)) return null;
      if (JSON_ATTRIBUTES.has(attribute)) return { taint, shape: 'json' };
      return MAPPING_ATTRIBUTES.has(attribute) ? { taint, shape: 'mapping' } : null;
    }
    case 'subscript':
      // An element of JSON is JSON; an element of a form or query string is a string.
      return element(next(value.childForFieldName('value')));
    case 'call': {
      const site = ctx.file.callAt(value);
      if (!site) return null;
      if (site.receiver && ctx.taint.isRequestObject(site.receiver))
        return site.name === 'get_json' ? { taint, shape: 'json' } : null;
      const callee = site.callee ?? '';
      if (JSON_PARSERS.test(callee))
        return ctx.taint.taintOf(site.args.positional[0] ?? null) ? { taint, shape: 'json' } : null;
      if (PASS_THROUGH.has(callee)) return next(site.args.positional[0]);
      const method = value.childForFieldName('function')?.type === 'attribute';
      if (method && PASS_THROUGH_METHODS.has(site.name)) return next(site.receiver);
      if (method && ['get', 'pop', 'setdefault'].includes(site.name)) return element(next(site.receiver));
      // `for key, value in request.json.items()`: the values are JSON (the keys are strings).
      if (method && ['items', 'values'].includes(site.name) && site.args.positional.length === 0)
        return element(next(site.receiver));
      return sameFileReturns(ctx, site, depth);
    }
    case 'identifier':
      return ofName(ctx, value, depth);
    case 'dictionary': {
      for (const entry of value.namedChildren) {
        if (!entry) continue;
        if (entry.type === 'dictionary_splat') {
          const found = next(entry.namedChildren[0]);
          if (found) return found;
          continue;
        }
        if (entry.type !== 'pair') continue;
        // A key from the request: the client picks the field or the operator.
        const key = entry.childForFieldName('key');
        const keyTaint = key ? ctx.taint.taintOf(key) : null;
        if (keyTaint && stringValue(key) === undefined) return { taint: keyTaint, shape: 'mapping' };
        // `{"$in": ids}`, `{"$eq": value}`: compared as literal values, operators inside are not run.
        if (LITERAL_OPERATORS.has(stringValue(key) ?? '')) continue;
        const found = next(entry.childForFieldName('value'));
        if (found) return found;
      }
      return null;
    }
    case 'list':
    case 'tuple':
    case 'set':
    case 'expression_list':
      return firstOf(value.namedChildren);
    case 'list_comprehension':
    case 'dictionary_comprehension':
    case 'generator_expression':
      return next(value.childForFieldName('body'));
    case 'pair':
    case 'keyword_argument':
      return next(value.childForFieldName('value'));
    case 'argument_list':
      // What a mutating call stores into the filter: `query.update(request.json)`, `clauses.append(...)`.
      return firstOf(value.namedChildren);
    case 'conditional_expression':
      return firstOf([value.namedChildren[0], value.namedChildren[2]]);
    case 'boolean_operator':
      return firstOf([value.childForFieldName('left'), value.childForFieldName('right')]);
    case 'binary_operator':
      return value.childForFieldName('operator')?.text === '|'
        ? firstOf([value.childForFieldName('left'), value.childForFieldName('right')])
        : null;
    default:
      return null;
  }
}

/** Types that hold operators: an isinstance() check against them is no check. */
const CONTAINER_TYPES = /dict|list|Mapping|Sequence|tuple|object|Any/;
/** `validate_login(data)`, `jsonschema.validate(data, SCHEMA)`, `schema.validate(data)`. */
const VALIDATOR = /(^|_)(validate|validated|is_valid|check|verify)(_|$)/i;

/**
 * Was this value (its text, or the name it is built on) checked to be a scalar before it is used —
 * `isinstance(username, str)`, `isinstance(data["age"], int)` — or passed to a validator
 * (`jsonschema.validate(data, SCHEMA)`, `validate_login(data)`) in the same function?
 */
function checkedBefore(ctx: RuleContext, node: Node): boolean {
  if (!['identifier', 'subscript', 'call'].includes(node.type)) return false;
  const text = node.text.replace(/\s+/g, '');
  const scope = ctx.file.scopeAt(node);
  for (const site of ctx.file.calls) {
    if (site.scope !== scope || site.node.startIndex >= node.startIndex) continue;
    const first = site.args.positional[0] ?? site.args.keywords.get('instance');
    if (!first) continue;
    if (site.callee === 'isinstance') {
      const types = site.args.positional[1]?.text ?? '';
      if (first.text.replace(/\s+/g, '') === text && !CONTAINER_TYPES.test(types)) return true;
    } else if (VALIDATOR.test(site.name) && node.type === 'identifier' && first.text === node.text) {
      return true;
    }
  }
  return false;
}

function ofName(ctx: RuleContext, name: Node, depth: number): Structured | null {
  const scope = ctx.file.scopeAt(name);
  for (const binding of ctx.file.reaching(name.text, name, scope)) {
    if (binding.kind === 'def' || isDeadCode(ctx, binding.node)) continue;
    let found: Structured | null = null;
    if (binding.kind === 'param') {
      for (const argument of callerArguments(ctx, name.text, scope)) {
        found = structured(ctx, argument, depth + 1);
        if (found) break;
      }
    } else if (binding.kind === 'for') {
      // `for item in request.json["items"]`: an element of JSON is JSON.
      const iterable = structured(ctx, binding.value, depth + 1);
      found = iterable?.shape === 'json' ? iterable : null;
    } else {
      found = structured(ctx, binding.value, depth + 1);
    }
    if (found) return found;
  }
  return null;
}

/** What a same-file function returns, its parameters standing for what its callers pass. */
function sameFileReturns(ctx: RuleContext, site: CallSite, depth: number): Structured | null {
  if (!ctx.taint.callsSameFileFunction(site)) return null;
  const fn = ctx.file
    .functionsNamed(site.name)
    .find((f) => f.parent?.kind !== 'class' || site.node.childForFieldName('function')?.type === 'attribute');
  if (!fn) return null;
  for (const returned of fn.returns) {
    const found = structured(ctx, returned, depth + 1);
    if (found) return found;
  }
  return null;
}

/** The arguments the same-file callers of the function owning parameter `name` pass for it. */
function callerArguments(ctx: RuleContext, name: string, scope: Scope): Node[] {
  let fn: Scope | null = scope;
  while (fn && !(fn.kind === 'function' && fn.params.includes(name))) fn = fn.parent;
  if (!fn) return [];
  const index = fn.params.indexOf(name);
  const method = fn.parent?.kind === 'class';
  const offset = method && !fn.decorators.some((d) => d.text === 'staticmethod') ? 1 : 0;
  const out: Node[] = [];
  for (const site of ctx.file.callsNamed(fn.name)) {
    // Only calls that run this very function (`self.find(q)`, `Repo().find(q)`), not every `.find(...)`.
    if (ctx.taint.sameFileCallee(site) !== fn) continue;
    const argument = site.args.positional[index - offset] ?? site.args.keywords.get(name);
    if (argument) out.push(argument);
  }
  return out;
}
