/**
 * What a value or an argument is when the code runs, as far as this file says: the values an expression
 * may take, the keywords a `**dict` passes, the expression a small helper returns.
 */
import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { stringValue } from '../../engine/syntax';
import { evaluate, truthy } from '../../engine/constants';
import type { Constant } from '../../engine/constants';
import { isDeadCode, moduleFunction, unwrap } from './xss';

const MAX_DEPTH = 8;

/** One value an expression may have: where it comes from, and what it is when that is a constant. */
export interface PossibleValue {
  node: Node;
  constant: Constant | undefined;
}

/**
 * The expressions a value may come from when the code runs: a name assigned on several paths gives each
 * assignment a branch that runs can reach (a branch constant conditions rule out gives none), a
 * conditional expression gives its branch when the condition folds to a constant and both otherwise, and
 * a read of a local dict, list or ConfigParser gives what was stored at that place. What cannot be
 * followed (a parameter, a call, an attribute such as `yaml.SafeLoader`) is itself one of the values.
 *
 * For settings chosen at run time: `hashlib.new(algorithm)` with `algorithm` set to "sha256" in one branch
 * and "md5" in the other can hash with MD5; `secure=flag` with `flag = True if ... else False` can be False.
 * Read through one assignment at most, such names were unknown, and rules took unknown for safe.
 */
export function possibleValues(ctx: RuleContext, node: Node, depth = 0): PossibleValue[] {
  const value = unwrap(node);
  const folded = evaluate(ctx.file, value);
  if (depth > MAX_DEPTH || folded !== undefined) return [{ node: value, constant: folded }];
  const unknown = [{ node: value, constant: undefined }];
  switch (value.type) {
    case 'identifier': {
      const bindings = ctx.file
        .reaching(value.text, value, ctx.file.scopeAt(value))
        .filter((binding) => !isDeadCode(ctx, binding.node));
      const assigned = bindings.filter(
        (binding) =>
          (binding.kind === 'assign' || binding.kind === 'walrus') && !binding.weak && binding.value,
      );
      if (bindings.length === 0 || assigned.length !== bindings.length) return unknown;
      return assigned.flatMap((binding) => possibleValues(ctx, binding.value as Node, depth + 1));
    }
    case 'conditional_expression': {
      const [whenTrue, condition, whenFalse] = value.namedChildren;
      if (!whenTrue || !condition || !whenFalse) return unknown;
      const test = evaluate(ctx.file, condition);
      if (test !== undefined) return possibleValues(ctx, truthy(test) ? whenTrue : whenFalse, depth + 1);
      return [...possibleValues(ctx, whenTrue, depth + 1), ...possibleValues(ctx, whenFalse, depth + 1)];
    }
    case 'subscript':
    case 'call': {
      const stored = ctx.taint.storedValues(value);
      if (!stored || stored.length === 0) return unknown;
      return stored.flatMap((item) => possibleValues(ctx, item, depth + 1));
    }
    default:
      return unknown;
  }
}

/**
 * The keyword arguments a call passes through `**name` when `name` is a dict literal assigned in this
 * file (`COOKIE_OPTIONS = {"secure": False, ...}`); null when a splat cannot be read (`*args`, a dict
 * built elsewhere). The call's own keywords are in `site.args.keywords`.
 */
export function splatKeywords(ctx: RuleContext, site: CallSite): Map<string, Node> | null {
  const out = new Map<string, Node>();
  for (const argument of site.args.list?.namedChildren ?? []) {
    if (argument?.type === 'list_splat') return null;
    if (argument?.type !== 'dictionary_splat') continue;
    const expression = argument.namedChildren[0];
    const dict = expression ? ctx.file.resolveValue(expression) : null;
    // `dict(host="0.0.0.0", port=8080)`: its keywords.
    const built = dict?.type === 'call' ? ctx.file.callAt(dict) : undefined;
    if (built?.callee === 'dict' && built.args.positional.length === 0 && !built.args.hasSplat) {
      for (const [key, value] of built.args.keywords) out.set(key, value);
      continue;
    }
    if (dict?.type !== 'dictionary') return null;
    for (const pair of dict.namedChildren) {
      if (pair?.type === 'comment') continue;
      if (pair?.type !== 'pair') return null;
      const key = stringValue(pair.childForFieldName('key'));
      const value = pair.childForFieldName('value');
      if (key === undefined || !value) return null;
      out.set(key, value);
    }
  }
  return out;
}

/** The one expression `helper(...)` returns, when `helper` is a module-level function of this file with one `return`. */
export function returnedByCall(ctx: RuleContext, call: Node): Node | undefined {
  const callee = call.type === 'call' ? call.childForFieldName('function') : null;
  const fn = callee?.type === 'identifier' ? moduleFunction(ctx, callee.text) : undefined;
  return fn?.returns.length === 1 ? fn.returns[0] : undefined;
}

/**
 * What the same-file helper `call` runs returns, each `return` followed to the call that built it
 * (`def _http(): s = requests.Session(); ...; return s`): the helper and those calls. Null when `call`
 * runs no such helper, or one of its returns is not a call's result.
 */
export function helperReturnCalls(ctx: RuleContext, call: Node): { helper: Scope; calls: Node[] } | null {
  const site = call.type === 'call' ? ctx.file.callAt(call) : undefined;
  const helper = site ? ctx.taint.sameFileCallee(site) : null;
  if (!helper || helper.returns.length === 0) return null;
  const calls = helper.returns.map((returned) => ctx.file.resolveValue(returned, helper));
  return calls.every((value) => value.type === 'call') ? { helper, calls } : null;
}

/**
 * The call that built the object a method is called on: in place (`requests.Session().get`), assigned
 * once (`s = requests.Session()`), bound by `with requests.Session() as s:`, or set on `self` in a method
 * of the same class (`self.session = requests.Session()` in `__init__`). Null when none of these.
 */
export function receiverConstruction(ctx: RuleContext, site: CallSite): Node | null {
  const receiver = site.receiver;
  if (!receiver) return null;
  if (receiver.type === 'call') return receiver;
  const value = ctx.file.resolveValue(receiver, site.scope);
  if (value.type === 'call') return value;
  if (receiver.type === 'identifier') {
    for (const binding of ctx.file.reaching(receiver.text, receiver, site.scope)) {
      if (binding.value?.type === 'call') return binding.value;
    }
    return null;
  }
  const owner = site.scope.ownerClass;
  if (receiver.type !== 'attribute' || !receiver.text.startsWith('self.') || !owner) return null;
  return selfConstructions(ctx, owner).get(receiver.text) ?? null;
}

const SELF_CONSTRUCTIONS = new WeakMap<Scope, Map<string, Node>>();

/**
 * Per class, each target assigned a call's result anywhere in it (`self.session = requests.Session()`),
 * by its text: the first such assignment in the file. Built once per class: the rules ask it of every
 * method call on a `self` attribute, and a walk of the class per call was 3% of a scan.
 */
function selfConstructions(ctx: RuleContext, owner: Scope): Map<string, Node> {
  let found = SELF_CONSTRUCTIONS.get(owner);
  if (found) return found;
  found = new Map();
  for (const assignment of ctx.file.nodesOfTypeIn('assignment', owner.node)) {
    const right = assignment.childForFieldName('right');
    if (right?.type !== 'call') continue;
    const left = assignment.childForFieldName('left')?.text;
    if (left !== undefined && !found.has(left)) found.set(left, right);
  }
  SELF_CONSTRUCTIONS.set(owner, found);
  return found;
}

/** The qualified callee of `receiverConstruction` (`requests.Session`, `paramiko.Transport`), or null. */
export function receiverConstructor(ctx: RuleContext, site: CallSite): string | null {
  const construction = receiverConstruction(ctx, site);
  return construction ? (ctx.file.callAt(construction)?.callee ?? null) : null;
}
