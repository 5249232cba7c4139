import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { dottedName, stringValue } from '../../engine/syntax';
import { isCheckedAgainstAllowList } from '../support/access';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** Methods that write a mapping's keys as fields of a model or document. */
const KEYWORD_WRITERS = new Set([
  'create',
  'create_user',
  'get_or_create',
  'update_or_create',
  'create_or_update',
  'update',
  'modify',
  'upsert',
  'insert',
  'values',
  'set',
  'from_dict',
  'populate',
  'assign',
  'update_from_dict',
  'set_attributes',
  'new',
  'build',
  'patch',
]);
/** Methods whose (first/second) positional argument is a field mapping, whatever the receiver. */
const MAPPING_WRITERS = new Set([
  'from_dict',
  'update_from_dict',
  'populate',
  'assign',
  'set_attributes',
  'insert_one',
  'replace_one',
]);
/** MongoDB update operators: `{"$set": request.json}` lets the client choose every field. */
const UPDATE_OPERATORS = new Set(['$set', '$setOnInsert', '$inc', '$push', '$addToSet', '$unset', '$rename']);
/** Classes whose instances are not stored models (responses, plain containers, validation schemas). */
const NOT_MODELS =
  /^(Response|Markup|Exception|\w*Error|dict|OrderedDict|defaultdict|Counter|ChainMap|SimpleNamespace|namedtuple|MultiDict|ImmutableMultiDict|Headers|Request|Session|Thread|Process|Template|\w*Schema|\w*(In|Input|Create|Update|Request|Payload|Params|Body|DTO|Dto|Form|Args|Query|Filter|Validator|Serializer|Config|Settings|Options|Event|Message|Task|Job))$/;
/** Calls that return only the fields a schema declares: the allow-list. */
const VALIDATING_METHODS = new Set([
  'load',
  'loads',
  'validate',
  'model_dump',
  'dict',
  'model_validate',
  'model_validate_json',
  'parse_obj',
  'parse_raw',
  'deserialize',
  'validated_data',
  'to_native',
  'to_primitive',
]);
const PARSERS = new Set([
  'json.loads',
  'json.load',
  'simplejson.loads',
  'ujson.loads',
  'orjson.loads',
  'flask.json.loads',
  'rapidjson.loads',
]);
/** Mapping-typed copies and views of a mapping: the keys stay the client's. */
const MAPPING_COPIES = new Set([
  'dict',
  'collections.OrderedDict',
  'copy.copy',
  'copy.deepcopy',
  'werkzeug.datastructures.MultiDict',
  'werkzeug.datastructures.ImmutableMultiDict',
]);
const KEY_PRESERVING_METHODS = new Set([
  'copy',
  'to_dict',
  'get_json',
  'get',
  'pop',
  'setdefault',
  'items',
  'keys',
  'iteritems',
  'iterkeys',
  'lists',
]);
const VALIDATING_NAME =
  /valid|clean|sanitiz|filter|allow|whitelist|permit|schema|pick|only|select|restrict|safe/i;
const REQUEST_MAPPINGS = new Set(['json', 'form', 'args', 'values', 'get_json', 'cookies', 'headers']);

export default defineRule({
  meta: {
    id: 'FS506',
    name: 'mass-assignment',
    title: 'Request data assigned to a model without an allow-list',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-915'],
    owasp: ['A08:2021', 'A01:2021'],
    docs: {
      summary:
        'Finds request data whose keys the client chooses written wholesale into a model or document: `User(**request.json)`, `Model(**data)` where `data` came from the request, `Model.create(**request.form)`, SQLAlchemy `query.filter_by(...).update(request.json)` and `update(User).values(**data)`, `obj.__dict__.update(request.json)`, `setattr(user, key, value)` in a loop over request items with no allow-list check (also in a same-file helper the view passes the request data to), and MongoDB `{"$set": request.json}` / `insert_one(request.json)`. Data that went through a schema (`schema.load()`, pydantic `model_dump()`/`.dict()`, a dictionary built from named fields or filtered by an allow-list) is not flagged.',
      why: "The client can send fields the form never showed: `is_admin`, `role`, `balance`, `owner_id`, `email_verified`. Copied into the model, they become privilege escalation or tampering with other users' data (the 2012 GitHub mass-assignment incident).",
      example:
        '@app.route("/profile", methods=["POST"])\n@login_required\ndef update_profile():\n    for key, value in request.json.items():\n        setattr(current_user, key, value)\n    db.session.commit()',
      fix: 'EDITABLE = {"display_name", "bio", "avatar_url"}\n\n@app.route("/profile", methods=["POST"])\n@login_required\ndef update_profile():\n    for key, value in request.json.items():\n        if key in EDITABLE:\n            setattr(current_user, key, value)\n    db.session.commit()\n# or: data = ProfileSchema().load(request.json); User(**data)',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/Mass_Assignment_Cheat_Sheet.html',
      'https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/',
      'https://cwe.mitre.org/data/definitions/915.html',
    ],
  },
  // Every report needs request data.
  trigger: REQUEST_DATA_TEXT,
  check(ctx: RuleContext) {
    const models = new ModelClasses(ctx);
    for (const site of ctx.file.calls) {
      // Every finding is reported at the call; the model classes above come from the whole file.
      if (!ctx.inFocus(site.node)) continue;
      checkSplat(ctx, site, models);
      checkMappingArgument(ctx, site);
      checkSetattr(ctx, site);
    }
    checkUpdateOperators(ctx);
  },
});

/** What the classes defined in this file are: stored models, or validation schemas/dataclasses. */
class ModelClasses {
  private readonly schemas = new Set<string>();
  private readonly models = new Set<string>();

  constructor(ctx: RuleContext) {
    for (const cls of ctx.file.classes) {
      const bases = cls.bases.map((b) => ctx.file.imports.resolve(b) ?? b.text);
      const decorators = cls.decorators.map((d) => d.text).join(' ');
      if (
        /dataclass|attr\.s|attrs|define/.test(decorators) ||
        bases.some((b) =>
          /(^|\.)(BaseModel|Schema|SQLAlchemySchema|SQLAlchemyAutoSchema|ModelSchema|TypedDict|NamedTuple|Form|FlaskForm|Struct)$/.test(
            b,
          ),
        )
      ) {
        this.schemas.add(cls.name);
      } else if (
        bases.some((b) =>
          /(^|\.)(Model|Base|Document|DynamicDocument|EmbeddedDocument|DeclarativeBase)$|db\.Model|Mixin$/.test(
            b,
          ),
        )
      ) {
        this.models.add(cls.name);
      }
    }
  }

  /** A constructor that stores what it is given: a known model, or a class name that is not a schema. */
  isModelConstructor(site: CallSite): boolean {
    const fn = site.node.childForFieldName('function');
    const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? site.name : '';
    if (!/^[A-Z]/.test(name) || /^[A-Z0-9_]+$/.test(name)) return false;
    if (this.schemas.has(name)) return false;
    if (this.models.has(name)) return true;
    const qualified = site.callee ?? name;
    if (
      /^(pydantic|marshmallow|dataclasses|attr|collections|typing|werkzeug|flask|wtforms|flask_wtf|requests|json|datetime|decimal|uuid|pathlib|enum)\./.test(
        qualified,
      )
    ) {
      return false;
    }
    return !NOT_MODELS.test(name);
  }
}

/**
 * Does `node` evaluate to a mapping whose KEYS come from the client? Returns the request taint when it
 * does. A dictionary with constant keys, a comprehension over an allow-list and the output of a schema
 * (`.load()`, `.model_dump()`) have keys the code chose.
 */
function clientKeyed(ctx: RuleContext, node: Node | null, scope: Scope, depth = 0): Taint | null {
  if (!node || depth > 8) return null;
  switch (node.type) {
    case 'parenthesized_expression':
      return clientKeyed(ctx, node.namedChildren[0] ?? null, scope, depth + 1);
    case 'dictionary': {
      for (const child of node.namedChildren) {
        if (child?.type === 'dictionary_splat') {
          const inner = clientKeyed(ctx, child.namedChildren[0] ?? null, scope, depth + 1);
          if (inner) return inner;
        } else if (child?.type === 'pair') {
          const key = child.childForFieldName('key');
          const taint = key && stringValue(key) === undefined ? ctx.taint.taintOf(key, scope) : null;
          if (taint && !isCheckedAgainstAllowList(ctx, node, [key?.text ?? ''])) return taint;
        }
      }
      return null;
    }
    case 'dictionary_comprehension': {
      const body = node.childForFieldName('body');
      const key = body?.type === 'pair' ? body.childForFieldName('key') : null;
      if (!key) return null;
      const filtered = node.namedChildren.some((c) => c?.type === 'if_clause' && /\bin\b|==/.test(c.text));
      return filtered ? null : ctx.taint.taintOf(key, scope);
    }
    case 'identifier':
      return clientKeyedName(ctx, node, scope, depth);
    case 'attribute': {
      const object = node.childForFieldName('object');
      const attribute = node.childForFieldName('attribute')?.text ?? '';
      if (object && ctx.taint.isRequestObject(object)) {
        return REQUEST_MAPPINGS.has(attribute) ? ctx.taint.taintOf(node, scope) : null;
      }
      if (VALIDATING_METHODS.has(attribute)) return null;
      return clientKeyed(ctx, object, scope, depth + 1);
    }
    case 'subscript':
      return clientKeyed(ctx, node.childForFieldName('value'), scope, depth + 1);
    case 'call':
      return clientKeyedCall(ctx, node, scope, depth);
    case 'conditional_expression':
      return (
        clientKeyed(ctx, node.namedChildren[0] ?? null, scope, depth + 1) ??
        clientKeyed(ctx, node.namedChildren[2] ?? null, scope, depth + 1)
      );
    case 'boolean_operator':
      return (
        clientKeyed(ctx, node.childForFieldName('left'), scope, depth + 1) ??
        clientKeyed(ctx, node.childForFieldName('right'), scope, depth + 1)
      );
    case 'binary_operator':
      // `defaults | request.json`
      return node.childForFieldName('operator')?.text === '|'
        ? (clientKeyed(ctx, node.childForFieldName('left'), scope, depth + 1) ??
            clientKeyed(ctx, node.childForFieldName('right'), scope, depth + 1))
        : null;
    default:
      return null;
  }
}

function clientKeyedName(ctx: RuleContext, node: Node, scope: Scope, depth: number): Taint | null {
  for (const binding of ctx.file.reaching(node.text, node, scope)) {
    let taint: Taint | null = null;
    switch (binding.kind) {
      case 'assign':
      case 'walrus':
      case 'with': {
        const left = binding.node.childForFieldName('left');
        if (left?.type === 'subscript') {
          // data[key] = value: a client-chosen key added to the mapping
          const key = left.childForFieldName('subscript');
          const keyTaint = key && stringValue(key) === undefined ? ctx.taint.taintOf(key, scope) : null;
          if (keyTaint && !isCheckedAgainstAllowList(ctx, binding.node, [key?.text ?? ''])) taint = keyTaint;
        } else if (left?.type === 'identifier' || binding.kind !== 'assign') {
          taint = clientKeyed(ctx, binding.value, scope, depth + 1);
        }
        break;
      }
      case 'for': {
        // `for item in request.json:` — each item is a client object
        const iterable = binding.value;
        const target = binding.node.childForFieldName('left');
        if (target?.type === 'identifier') taint = clientKeyed(ctx, iterable, scope, depth + 1);
        break;
      }
      case 'mutate': {
        // data.update(request.json)
        const call = binding.node;
        const site = ctx.file.callAt(call);
        if (site && (site.name === 'update' || site.name === 'setdefault')) {
          for (const arg of site.args.positional) {
            taint = clientKeyed(ctx, arg, scope, depth + 1);
            if (taint) break;
          }
          taint ??= splatTaint(ctx, site, scope, depth);
        }
        break;
      }
      case 'augassign':
        // data |= request.json
        taint = clientKeyed(ctx, binding.value, scope, depth + 1);
        break;
      case 'param':
        // apply_changes(post, request.get_json()): a same-file helper's parameter, keyed by its callers.
        taint = clientKeyedParameter(ctx, node.text, scope, depth);
        break;
      case 'def':
        break;
    }
    if (taint) return taint;
  }
  return null;
}

/** What same-file callers of the function `scope` pass as its parameter `name`, when client-keyed. */
function clientKeyedParameter(ctx: RuleContext, name: string, scope: Scope, depth: number): Taint | null {
  let owner: Scope | null = scope;
  while (owner && !(owner.kind === 'function' && owner.params.includes(name))) owner = owner.parent;
  if (!owner || depth > 2) return null;
  const index = owner.params.indexOf(name);
  // Methods are called through an object, which fills `self`: only plain functions, called by name.
  if (owner.params[0] === 'self' || owner.params[0] === 'cls') return null;
  for (const site of ctx.file.callsNamed(owner.name)) {
    if (site.receiver || site.scope === owner) continue;
    const argument = site.args.positional[index] ?? site.args.keywords.get(name);
    const taint = argument ? clientKeyed(ctx, argument, site.scope, depth + 1) : null;
    if (taint) return { ...taint, label: `${taint.label} (passed to ${owner.name}())` };
  }
  return null;
}

function splatTaint(ctx: RuleContext, site: CallSite, scope: Scope, depth: number): Taint | null {
  for (const arg of site.args.list?.namedChildren ?? []) {
    if (arg?.type !== 'dictionary_splat') continue;
    const taint = clientKeyed(ctx, arg.namedChildren[0] ?? null, scope, depth + 1);
    if (taint) return taint;
  }
  return null;
}

function clientKeyedCall(ctx: RuleContext, node: Node, scope: Scope, depth: number): Taint | null {
  const site = ctx.file.callAt(node);
  if (!site) return null;
  const callee = site.callee ?? '';
  const first = site.args.positional[0] ?? null;
  if (PARSERS.has(callee)) return first ? ctx.taint.taintOf(first, scope) : null;
  if (MAPPING_COPIES.has(callee) || callee === 'collections.defaultdict') {
    const source = callee === 'collections.defaultdict' ? (site.args.positional[1] ?? null) : first;
    return clientKeyed(ctx, source, scope, depth + 1) ?? splatTaint(ctx, site, scope, depth);
  }
  if (site.receiver) {
    if (ctx.taint.isRequestObject(site.receiver)) {
      return ['get_json', 'json'].includes(site.name) ? ctx.taint.taintOf(node, scope) : null;
    }
    if (VALIDATING_METHODS.has(site.name) && !PARSERS.has(callee)) return null;
    if (KEY_PRESERVING_METHODS.has(site.name)) return clientKeyed(ctx, site.receiver, scope, depth + 1);
    return null;
  }
  // A helper in this file: judge what it returns.
  if (!callee.includes('.') && !VALIDATING_NAME.test(callee)) {
    const helper = ctx.file.functionsNamed(callee).find((f) => f.parent === ctx.file.module);
    if (helper) {
      for (const returned of helper.returns) {
        const taint = clientKeyed(ctx, returned, helper, depth + 1);
        if (taint) return { ...taint, source: node, label: `${taint.label} (via ${callee}())` };
      }
    }
  }
  return null;
}

function describe(site: CallSite): string {
  return `${site.calleeText ?? site.name}()`;
}

/** `User(**request.json)`, `User.create(**data)`, `update(User).values(**data)`. */
function checkSplat(ctx: RuleContext, site: CallSite, models: ModelClasses): void {
  if (!site.args.hasSplat) return;
  const isConstructor = models.isModelConstructor(site);
  const isWriter =
    site.receiver !== null && KEYWORD_WRITERS.has(site.name) && !isPlainMapping(ctx, site.receiver);
  if (!isConstructor && !isWriter) return;
  for (const arg of site.args.list?.namedChildren ?? []) {
    if (arg?.type !== 'dictionary_splat') continue;
    const value = arg.namedChildren[0] ?? null;
    const taint = clientKeyed(ctx, value, site.scope);
    if (!taint) continue;
    ctx.report(
      site.node,
      `${describe(site)} receives **${value?.text ?? ''} with keys chosen by the client (${taint.label}): extra fields such as is_admin or role are written too. Pass the allowed fields by name or load the data through a schema first.`,
      { taint },
    );
    return;
  }
}

/** A receiver that is a plain dict (or the Flask session / response headers), not a model. */
function isPlainMapping(ctx: RuleContext, receiver: Node): boolean {
  const value = ctx.file.resolveValue(receiver);
  if (['dictionary', 'dictionary_comprehension', 'list', 'set'].includes(value.type)) return true;
  if (
    value.type === 'call' &&
    ['dict', 'collections.OrderedDict', 'collections.defaultdict'].includes(
      ctx.file.callAt(value)?.callee ?? '',
    )
  ) {
    return true;
  }
  const qualified = ctx.file.imports.resolve(receiver) ?? '';
  if (qualified === 'os.environ' || qualified === 'flask.g') return true;
  return /(^|\.)(headers|args|form|cookies|environ|params|context|ctx|kwargs|options|config|defaults|payload|data|result|response|resp|meta|extra)$/.test(
    dottedName(receiver) ?? '',
  );
}

/** A receiver chain that is a query (`Model.query.filter_by(...)`, `session.query(M).filter(...)`). */
function isQuery(ctx: RuleContext, receiver: Node | null): boolean {
  for (let current = receiver; current;) {
    if (current.type === 'call') {
      const site = ctx.file.callAt(current);
      if (
        site &&
        /^(query|filter|filter_by|where|objects|select|join|options|execute_options)$/.test(site.name)
      )
        return true;
      current = site?.receiver ?? null;
    } else if (current.type === 'attribute') {
      if (/^(query|objects)$/.test(current.childForFieldName('attribute')?.text ?? '')) return true;
      current = current.childForFieldName('object');
    } else return false;
  }
  return false;
}

/** `query.update(request.json)`, `obj.__dict__.update(data)`, `collection.insert_one(request.json)`. */
function checkMappingArgument(ctx: RuleContext, site: CallSite): void {
  const first = site.args.positional[0] ?? null;
  if (!first || !site.receiver) return;
  let target: Node | null = null;
  let what = '';
  let consequence = 'any column, including privileged ones, can be changed';
  const receiverText = dottedName(site.receiver) ?? site.receiver.text;
  if (site.name === 'update' && /(^|\.)__dict__$|^vars\(/.test(receiverText)) {
    target = first;
    what = `${receiverText}.update()`;
  } else if (site.name === 'update' && isQuery(ctx, site.receiver)) {
    target = first;
    what = 'the query update()';
  } else if (site.name === 'update' && ctx.file.imports.resolve(site.receiver) === 'flask.session') {
    target = first;
    what = 'session.update()';
    consequence = 'any session key, such as user_id or is_admin, can be set';
  } else if (
    site.name === 'values' &&
    site.receiver.type === 'call' &&
    /(^|\.)(update|insert)$/.test(ctx.file.callAt(site.receiver)?.callee ?? '')
  ) {
    target = first;
    what = `${site.receiver.text}.values()`;
  } else if (MAPPING_WRITERS.has(site.name) && !isPlainMapping(ctx, site.receiver)) {
    target = site.name === 'replace_one' ? (site.args.positional[1] ?? null) : first;
    what = describe(site);
  } else if (/^(update_one|update_many|find_one_and_update)$/.test(site.name)) {
    target = site.args.positional[1] ?? null; // the update document itself
    what = describe(site);
  }
  if (!target) return;
  const taint = clientKeyed(ctx, target, site.scope);
  if (!taint) return;
  ctx.report(
    site.node,
    `${what} writes a mapping whose keys the client chooses (${taint.label}): ${consequence}. Copy only an allow-list of fields, or load the data through a schema.`,
    { taint },
  );
}

/** `setattr(user, key, value)` where the client chooses `key`, with no allow-list check. */
function checkSetattr(ctx: RuleContext, site: CallSite): void {
  if (site.callee !== 'setattr' || site.args.positional.length < 3) return;
  const name = site.args.positional[1] as Node;
  if (stringValue(name) !== undefined) return;
  const taint = attributeNameTaint(ctx, name, site.scope);
  if (!taint) return;
  if (isCheckedAgainstAllowList(ctx, site.node, [name.text])) return;
  const target = site.args.positional[0] as Node;
  ctx.report(
    site.node,
    `setattr(${target.text}, ${name.text}, ...) sets an attribute the client names (${taint.label}): fields such as is_admin or password_hash can be overwritten. Check ${name.text} against an allow-list of editable fields first.`,
    { taint },
  );
}

/**
 * Is the attribute name the client's? A name bound by a loop over a client-keyed mapping
 * (`for key in request.json`, `for k, v in data.items()`), or a value read from the request
 * (`request.args["field"]`, a URL parameter). A loop over a form object's declared fields is not.
 */
function attributeNameTaint(ctx: RuleContext, name: Node, scope: Scope): Taint | null {
  const base = name.type === 'attribute' ? name.childForFieldName('object') : name;
  if (base?.type === 'identifier') {
    const bindings = ctx.file.reaching(base.text, base, scope);
    const loops = bindings.filter((b) => b.kind === 'for');
    if (loops.length > 0) {
      for (const loop of loops) {
        const taint = clientKeyed(ctx, loop.value, scope);
        if (taint) return taint;
      }
      return null;
    }
  }
  return ctx.taint.taintOf(name, scope);
}

/** `{"$set": request.json}` in a MongoDB update. */
function checkUpdateOperators(ctx: RuleContext): void {
  for (const pair of ctx.file.nodesOfType('pair')) {
    if (!pair || !ctx.inFocus(pair)) continue;
    const operator = stringValue(pair.childForFieldName('key'));
    if (!operator || !UPDATE_OPERATORS.has(operator) || operator === '$unset') continue;
    const value = pair.childForFieldName('value');
    const scope = ctx.file.scopeAt(pair);
    const taint = clientKeyed(ctx, value, scope);
    if (!taint) continue;
    ctx.report(
      pair,
      `"${operator}" takes a document whose keys the client chooses (${taint.label}): any field of the stored document can be changed. Build the update from an allow-list of fields.`,
      { taint },
    );
  }
}
