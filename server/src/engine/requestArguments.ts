import type { Node } from 'web-tree-sitter';
import type { FileModel } from './model';
import type { Scope } from './scopes';
import { stringValue } from './syntax';

/** A parameter of a view that carries request data, and how a finding names it. */
export interface ViewParameter {
  /** Free text (a string field, a whole parsed mapping) rather than a number, a date or a flag. */
  text: boolean;
  label: string;
}

/**
 * Marshmallow/webargs field types whose values are not free text: the parser rejects anything else, so
 * they cannot carry an injection.
 */
const NOT_TEXT_FIELDS =
  /^(Int|Integer|Float|Number|Decimal|Bool|Boolean|Date|DateTime|NaiveDateTime|AwareDateTime|Time|TimeDelta|UUID)$/;

/**
 * Parameters that decorators parsing the request pass to a view: webargs' and flask-apispec's
 * `@use_args(...)` / `@use_kwargs(...)`, flask-smorest's `@blp.arguments(Schema)` and flask-pydantic's
 * `@validate()`. The parsed data is the client's, validated for shape only: a string field is as free as
 * `request.args["q"]`. URL parameters (`urlParameters`) are left to the route.
 */
export function requestArguments(
  file: FileModel,
  scope: Scope,
  urlParameters: ReadonlySet<string>,
): Map<string, ViewParameter> {
  const out = new Map<string, ViewParameter>();
  if (scope.kind !== 'function') return out;
  for (const decorator of scope.decorators) {
    if (decorator.type !== 'call') continue;
    const site = file.callAt(decorator);
    if (!site) continue;
    const injects =
      site.name === 'use_args' ||
      site.name === 'use_kwargs' ||
      (site.name === 'arguments' && site.receiver !== null) ||
      /(^|\.)flask_pydantic\.validate$/.test(site.callee ?? '');
    if (!injects) continue;
    const fields =
      site.name === 'use_kwargs' ? fieldTypes(site.args.positional[0]) : new Map<string, boolean>();
    const how = site.name === 'validate' ? '@validate()' : `@${site.calleeText ?? site.name}(...)`;
    for (const name of plainParameters(scope.node)) {
      if (name === 'self' || name === 'cls' || urlParameters.has(name) || out.has(name)) continue;
      out.set(name, { text: fields.get(name) ?? true, label: `\`${name}\` parsed by ${how}` });
    }
  }
  return out;
}

/** The names of a function's ordinary parameters (not `*args`/`**kwargs`). */
function plainParameters(fn: Node): string[] {
  const names: string[] = [];
  for (const param of fn.childForFieldName('parameters')?.namedChildren ?? []) {
    if (!param) continue;
    const name =
      param.type === 'identifier'
        ? param
        : ['default_parameter', 'typed_parameter', 'typed_default_parameter'].includes(param.type)
          ? (param.childForFieldName('name') ?? param.namedChildren.find((c) => c?.type === 'identifier'))
          : null;
    if (name?.type === 'identifier') names.push(name.text);
  }
  return names;
}

/** `{"q": fields.Str(), "page": fields.Int()}` → q: text, page: not text. Unknown values count as text. */
function fieldTypes(node: Node | undefined): Map<string, boolean> {
  const out = new Map<string, boolean>();
  if (node?.type !== 'dictionary') return out;
  for (const pair of node.namedChildren) {
    if (pair?.type !== 'pair') continue;
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key === undefined || !value) continue;
    const type =
      value.type === 'call' ? value.childForFieldName('function')?.text.split('.').pop() : undefined;
    out.set(key, !(type && NOT_TEXT_FIELDS.test(type)));
  }
  return out;
}
