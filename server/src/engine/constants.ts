import type { Node } from 'web-tree-sitter';
import type { FileModel } from './model';
import { isDeadCode } from './branches';
import { valuesAtKey } from './containers';
import type { ContainerView } from './containers';
import { lookupScope } from './scopes';
import type { Binding, Scope } from './scopes';
import { literalValue } from './syntax';

/**
 * A small constant folder: the value of an expression when it is fixed at analysis time. It lets the taint
 * analysis drop branches that can never run (`x if 7 * 18 + num > 200 else param` with `num = 106`), read
 * the right element of a literal container (`obj[1]` of `[bar, "b"]`), and compare keys. Only what is
 * certain is folded: anything unknown yields `undefined`, never a guess.
 */
export type Constant = string | number | boolean | null | readonly Constant[];

const MAX_DEPTH = 12;

/**
 * A caller's own reading of calls the folder does not know (`os.environ.get("X", "false")` read as its
 * default, say): a constant, or undefined to let the folder decide. `next` folds a sub-expression.
 */
export type CallFolder = (
  call: Node,
  next: (child: Node | null) => Constant | undefined,
) => Constant | undefined;

export function evaluate(
  model: FileModel,
  node: Node | null,
  scope: Scope = node ? model.scopeAt(node) : model.module,
  depth = 0,
  calls?: CallFolder,
): Constant | undefined {
  if (!node || depth > MAX_DEPTH) return undefined;
  const next = (child: Node | null) => evaluate(model, child, scope, depth + 1, calls);
  switch (node.type) {
    case 'parenthesized_expression':
      return node.namedChildren.length === 1 ? next(node.namedChildren[0] ?? null) : undefined;
    case 'identifier':
      return ofName(model, node, scope, depth, calls);
    case 'list':
    case 'tuple': {
      const items: Constant[] = [];
      for (const child of node.namedChildren) {
        const value = next(child);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return items;
    }
    case 'unary_operator': {
      const operand = next(node.childForFieldName('argument'));
      const operator = node.childForFieldName('operator')?.text ?? node.text.trimStart()[0];
      if (typeof operand !== 'number') return undefined;
      if (operator === '-') return -operand;
      if (operator === '+') return operand;
      return undefined;
    }
    case 'not_operator': {
      const operand = next(node.childForFieldName('argument'));
      return operand === undefined ? undefined : !truthy(operand);
    }
    case 'boolean_operator': {
      const left = next(node.childForFieldName('left'));
      if (left === undefined) return undefined;
      const operator = node.childForFieldName('operator')?.text;
      if (operator === 'and') return truthy(left) ? next(node.childForFieldName('right')) : left;
      if (operator === 'or') return truthy(left) ? left : next(node.childForFieldName('right'));
      return undefined;
    }
    case 'binary_operator':
      return binary(
        node.childForFieldName('operator')?.text ?? '',
        next(node.childForFieldName('left')),
        next(node.childForFieldName('right')),
      );
    case 'comparison_operator':
      return comparison(node, next);
    case 'conditional_expression': {
      const condition = next(node.namedChildren[1] ?? null);
      if (condition === undefined) return undefined;
      return next(node.namedChildren[truthy(condition) ? 0 : 2] ?? null);
    }
    case 'subscript': {
      const index = next(node.childForFieldName('subscript'));
      const target = node.childForFieldName('value');
      const literal = elementOf(next(target), index);
      if (literal !== undefined || index === undefined || target?.type !== 'identifier') return literal;
      // `m["keyA"]` after `m["keyA"] = "a"; m["keyB"] = param`: the one value stored at that key.
      const values = valuesAtKey(containerViewOf(model, target, scope), index);
      if (!values || values.length !== 1) return undefined;
      return next(values[0] ?? null);
    }
    case 'call': {
      // A caller's reading comes first; None (null) is an answer too.
      const custom = calls?.(node, next);
      return custom !== undefined ? custom : call(model, node, next);
    }
    default: {
      const literal = literalValue(node);
      return literal;
    }
  }
}

/** Python truthiness of a constant. */
export function truthy(value: Constant): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== false && value !== null && value !== 0 && value !== '';
}

/** `container[index]` for a constant string, list or tuple and an integer index (negative included). */
export function elementOf(
  container: Constant | undefined,
  index: Constant | undefined,
): Constant | undefined {
  if (typeof index !== 'number' || !Number.isInteger(index)) return undefined;
  if (typeof container === 'string' || Array.isArray(container)) {
    const at = index < 0 ? container.length + index : index;
    if (at < 0 || at >= container.length) return undefined;
    return typeof container === 'string' ? container.charAt(at) : (container as readonly Constant[])[at];
  }
  return undefined;
}

const LOOPS = new Set(['for_statement', 'while_statement']);

/** A container's reaching bindings, for reading a constant key (dead branches dropped). */
function containerViewOf(model: FileModel, name: Node, scope: Scope): ContainerView {
  const home = lookupScope(scope, name.text) ?? scope;
  const use = name.startIndex;
  return {
    model,
    scope,
    bindings: model.reaching(name.text, name, scope).filter((b) => !isDeadCode(model, b.node, home)),
    dominates: (b) => !b.weak && b.blockStart <= use && use <= b.blockEnd,
  };
}

function ofName(
  model: FileModel,
  node: Node,
  scope: Scope,
  depth: number,
  calls?: CallFolder,
): Constant | undefined {
  const home = lookupScope(scope, node.text) ?? scope;
  // Assignments in branches that never run do not count (`if "C" == "A": bar = param`).
  const bindings = model
    .reaching(node.text, node, scope)
    .filter((b) => b.kind === 'param' || depth > 6 || !isDeadCode(model, b.node, home));
  if (bindings.length === 0 || assignedLaterInLoop(model, node, scope)) return undefined;
  let value: Constant | undefined;
  for (const binding of bindings) {
    // Only plain assignments fold; every reaching one must agree (`x = 1` in both branches is still 1).
    if (binding.kind !== 'assign' || binding.weak || !binding.value) return undefined;
    if (binding.node.childForFieldName('left')?.type !== 'identifier') return undefined;
    const next = evaluate(model, binding.value, scope, depth + 1, calls);
    if (next === undefined) return undefined;
    if (value !== undefined && !sameConstant(value, next)) return undefined;
    value = next;
  }
  return value;
}

/**
 * Reaching bindings are computed by position, which misses loop back edges: in `while ...: use(x); x += 1`
 * the use also sees the later assignment. Folding such a name would be wrong, so it is not folded.
 */
function assignedLaterInLoop(model: FileModel, use: Node, scope: Scope): boolean {
  // Most names are not bound again after the use: then no loop needs looking for (each step up the tree
  // is a call into the parser).
  const later = (model.bindingsOf(use.text, scope) ?? []).filter((b) => b.at > use.startIndex);
  if (later.length === 0) return false;
  for (let current = use.parent; current && current.id !== scope.node.id; current = current.parent) {
    if (!LOOPS.has(current.type)) continue;
    const loop = current;
    const inLoop = (b: Binding) => loop.startIndex <= b.node.startIndex && b.node.endIndex <= loop.endIndex;
    if (later.some(inLoop)) return true;
  }
  return false;
}

export function sameConstant(a: Constant, b: Constant): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item: Constant, i: number) =>
      sameConstant(item, (b as readonly Constant[])[i] as Constant),
    );
  }
  return a === b;
}

function binary(
  operator: string,
  left: Constant | undefined,
  right: Constant | undefined,
): Constant | undefined {
  if (left === undefined || right === undefined) return undefined;
  if (typeof left === 'number' && typeof right === 'number') {
    switch (operator) {
      case '+':
        return left + right;
      case '-':
        return left - right;
      case '*':
        return left * right;
      case '/':
        return right === 0 ? undefined : left / right;
      case '//':
        return right === 0 ? undefined : Math.floor(left / right);
      case '%':
        return right === 0 ? undefined : ((left % right) + right) % right;
      case '**':
        return left ** right;
      default:
        return undefined;
    }
  }
  if (typeof left === 'string' && typeof right === 'string' && operator === '+') return left + right;
  if (typeof left === 'string' && typeof right === 'number' && operator === '*')
    return right > 0 && right < 10_000 ? left.repeat(right) : '';
  return undefined;
}

function comparison(node: Node, next: (child: Node | null) => Constant | undefined): Constant | undefined {
  // `a < b <= c`: operands are the named children, operators the anonymous ones between them.
  const operands = node.namedChildren;
  const operators = node.children.filter((c) => c !== null && !c.isNamed).map((c) => c?.type ?? '');
  // `not in` and `is not` are two tokens.
  const merged: string[] = [];
  for (const op of operators) {
    const last = merged[merged.length - 1];
    if (op === 'in' && last === 'not') merged[merged.length - 1] = 'not in';
    else if (op === 'not' && last === 'is') merged[merged.length - 1] = 'is not';
    else merged.push(op);
  }
  let left = next(operands[0] ?? null);
  if (left === undefined) return undefined;
  for (let i = 0; i < merged.length; i++) {
    const right = next(operands[i + 1] ?? null);
    if (right === undefined) return undefined;
    const result = compare(merged[i] ?? '', left, right);
    if (result === undefined) return undefined;
    if (!result) return false;
    left = right;
  }
  return true;
}

function compare(operator: string, a: Constant, b: Constant): boolean | undefined {
  switch (operator) {
    case '==':
    case 'is':
      return sameConstant(a, b);
    case '!=':
    case 'is not':
      return !sameConstant(a, b);
    case 'in':
    case 'not in': {
      let found: boolean;
      if (typeof b === 'string' && typeof a === 'string') found = b.includes(a);
      else if (Array.isArray(b)) found = b.some((item: Constant) => sameConstant(item, a));
      else return undefined;
      return operator === 'in' ? found : !found;
    }
  }
  const ordered =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!ordered) return undefined;
  switch (operator) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

function call(
  model: FileModel,
  node: Node,
  next: (child: Node | null) => Constant | undefined,
): Constant | undefined {
  const site = model.callAt(node);
  if (!site || site.args.positional.length !== 1) return undefined;
  const argument = next(site.args.positional[0] ?? null);
  if (argument === undefined) return undefined;
  switch (site.callee ?? '') {
    case 'len':
      return typeof argument === 'string' || Array.isArray(argument) ? argument.length : undefined;
    case 'str':
      return typeof argument === 'string' || typeof argument === 'number' ? String(argument) : undefined;
    case 'int':
      return typeof argument === 'number' ? Math.trunc(argument) : undefined;
    default:
      return undefined;
  }
}
