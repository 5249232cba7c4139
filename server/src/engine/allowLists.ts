import type { Node } from 'web-tree-sitter';
import type { FileModel } from './model';
import { dottedName, isConstantExpression, isStringLiteral, lastSegment, literalValue } from './syntax';

/**
 * Allow-list checks: where a name can only hold one of a few values the code itself wrote.
 *
 * A value that passed `if sort not in SORTABLE: abort(400)` is one of SORTABLE's strings, whatever the
 * client sent: nothing of the request is left in it. That is the standard way to put a column name or a
 * sort direction into SQL (identifiers cannot be query parameters), a command name into a command line, a
 * host into a URL. These are the spellings recognized, for a name `x` and a constant collection `A` (a
 * literal tuple, list, set or dict of constants, a name or attribute in UPPER_CASE, `A.keys()`,
 * `frozenset(A)`) or a constant `"c"`:
 *
 * - a guard before the use, in a block that holds the use, whose failing branch leaves or replaces the
 *   value: `if x not in A: abort(400)` (or return, raise, continue, break), `if x not in A: x = "id"`,
 *   `if x != "asc" and x != "desc": return ...`, `assert x in A`;
 * - a use inside the branch the check opens: `if x in A: use(x)`, `else:` of `if x not in A`;
 * - a conditional expression: `x if x in A else "id"`;
 * - a comprehension's filter: `[c for c in columns if c in A]`.
 *
 * Only checks that run after the value was bound count (the caller says where it was bound). Substring
 * tests (`x in "abc"`), deny-lists (`if x in BLOCKED: abort()` leaves every other value), checks of a
 * derived value (`x.lower() in A`) and guards inside loops the use is not in do not count.
 */
export function isAllowListed(model: FileModel, use: Node, name: string, boundAt: number): boolean {
  const scopeNode = model.scopeAt(use).node;
  let child: Node = use;
  for (let parent = use.parent; parent; child = parent, parent = parent.parent) {
    const isBlock = parent.type === 'block' || parent.type === 'module';
    if (parent.id === scopeNode.id) return isBlock && guardedBefore(model, parent, child, name, boundAt);
    // Checks enclosing the binding ran before it; only earlier statements of this block can still help.
    if (parent.startIndex < boundAt) return isBlock && guardedBefore(model, parent, child, name, boundAt);
    if (checkedBy(model, parent, child, name)) return true;
    if (isBlock && guardedBefore(model, parent, child, name, boundAt)) return true;
  }
  return false;
}

/** Does `parent` open `child` (which holds the use) only for checked values of `name`? */
function checkedBy(model: FileModel, parent: Node, child: Node, name: string): boolean {
  switch (parent.type) {
    case 'conditional_expression': {
      const [value, condition, alternative] = parent.namedChildren;
      if (!condition) return false;
      if (child.id === value?.id) return implies(model, condition, name, true);
      if (child.id === alternative?.id) return implies(model, condition, name, false);
      return false;
    }
    case 'list_comprehension':
    case 'set_comprehension':
    case 'generator_expression':
    case 'dictionary_comprehension': {
      if (child.id !== parent.childForFieldName('body')?.id) return false;
      return parent.namedChildren.some(
        (clause) =>
          clause?.type === 'if_clause' &&
          !!clause.namedChildren[0] &&
          implies(model, clause.namedChildren[0], name, true),
      );
    }
    case 'block':
      return blockChecked(model, parent, name);
    default:
      return false;
  }
}

/** A branch of an `if` entered only when `name` passed: its own condition, or an earlier one failed. */
function blockChecked(model: FileModel, block: Node, name: string): boolean {
  const clause = block.parent;
  if (!clause) return false;
  const ifStatement = clause.type === 'if_statement' ? clause : clause.parent;
  if (ifStatement?.type !== 'if_statement') return false;
  for (const branch of [ifStatement, ...ifStatement.namedChildren]) {
    if (!branch) continue;
    if (branch.type !== 'if_statement' && branch.type !== 'elif_clause' && branch.type !== 'else_clause')
      continue;
    const condition = branch.type === 'else_clause' ? null : branch.childForFieldName('condition');
    const isThis = branch.id === clause.id;
    if (isThis) return !!condition && implies(model, condition, name, true);
    // An earlier branch not taken: its condition was false.
    if (condition && implies(model, condition, name, false)) return true;
  }
  return false;
}

/** An earlier statement of `block` (after the binding, before `child`) that lets only checked values on. */
function guardedBefore(model: FileModel, block: Node, child: Node, name: string, boundAt: number): boolean {
  for (const statement of block.namedChildren) {
    if (!statement || statement.startIndex >= child.startIndex) break;
    if (statement.startIndex < boundAt) continue;
    if (statement.type === 'if_statement') {
      const condition = statement.childForFieldName('condition');
      if (
        condition &&
        implies(model, condition, name, false) &&
        leavesOrReplaces(model, statement.childForFieldName('consequence'), name)
      )
        return true;
    } else if (statement.type === 'assert_statement') {
      const condition = statement.namedChildren[0];
      if (condition && implies(model, condition, name, true)) return true;
    }
  }
  return false;
}

const LEAVING = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);
const LEAVING_CALLS = new Set(['abort', 'exit', '_exit']);

/** The block (an `if` taken for unchecked values) returns, raises or aborts, or binds `name` anew. */
function leavesOrReplaces(model: FileModel, block: Node | null, name: string): boolean {
  for (const statement of block?.namedChildren ?? []) {
    if (!statement) continue;
    if (LEAVING.has(statement.type)) return true;
    if (statement.type !== 'expression_statement') continue;
    const expression = statement.namedChildren[0];
    if (expression?.type === 'call') {
      const callee = model.callAt(expression)?.callee;
      if (callee && LEAVING_CALLS.has(lastSegment(callee))) return true;
    } else if (expression?.type === 'assignment') {
      if (dottedName(expression.childForFieldName('left')) === name) return true;
    }
  }
  return false;
}

/** Does `condition` having the truth value `when` mean that `name` holds one of a few constants? */
function implies(model: FileModel, condition: Node, name: string, when: boolean): boolean {
  switch (condition.type) {
    case 'parenthesized_expression': {
      const inner = condition.namedChildren[0];
      return !!inner && implies(model, inner, name, when);
    }
    case 'not_operator': {
      const argument = condition.childForFieldName('argument');
      return !!argument && implies(model, argument, name, !when);
    }
    case 'boolean_operator': {
      const left = condition.childForFieldName('left');
      const right = condition.childForFieldName('right');
      if (!left || !right) return false;
      const isAnd = condition.childForFieldName('operator')?.text === 'and';
      // `a and b` true: both are; false: one is (either could be). `a or b`: the other way round.
      return isAnd === when
        ? implies(model, left, name, when) || implies(model, right, name, when)
        : implies(model, left, name, when) && implies(model, right, name, when);
    }
    case 'comparison_operator': {
      const operands = condition.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
      if (operands.length !== 2) return false;
      const [left, right] = operands as [Node, Node];
      const operator = condition.children
        .filter((c) => c && !c.isNamed)
        .map((c) => c?.text)
        .join(' ');
      if (operator === 'in' || operator === 'not in') {
        if (dottedName(left) !== name || !isConstantCollection(model, right)) return false;
        return when === (operator === 'in');
      }
      if (operator === '==' || operator === '!=') {
        const constant = dottedName(left) === name ? right : dottedName(right) === name ? left : null;
        const value = constant ? literalValue(constant) : undefined;
        if (value === undefined || value === null) return false;
        return when === (operator === '==');
      }
      return false;
    }
    default:
      return false;
  }
}

const UPPER_CASE = /^[A-Z][A-Z0-9_]*$/;

/** A collection of constants the code wrote (not a string: `x in "abc"` is a substring test). */
export function isConstantCollection(model: FileModel, node: Node, depth = 0): boolean {
  if (depth > 4) return false;
  const value = model.resolveValue(node);
  if (['tuple', 'list', 'set', 'dictionary'].includes(value.type)) return isConstantExpression(value);
  if (value.type === 'call') {
    const site = model.callAt(value);
    if (!site) return false;
    if (['keys', 'values'].includes(site.name) && site.receiver && site.args.positional.length === 0)
      return isConstantCollection(model, site.receiver, depth + 1);
    const collected = site.args.positional[0];
    if (['frozenset', 'set', 'tuple', 'list', 'sorted'].includes(site.callee ?? '') && collected)
      return isConstantCollection(model, collected, depth + 1);
    return false;
  }
  if (isStringLiteral(value)) return false;
  // A name or attribute in UPPER_CASE whose value is not in sight (imported, or a class attribute).
  const dotted = value.id === node.id ? dottedName(node) : null;
  return dotted !== null && UPPER_CASE.test(lastSegment(dotted));
}

/**
 * `COLUMNS.get(key, "name")` or `COLUMNS[key]` on a dict of constants that nothing changes: one of the
 * values the code wrote (or the constant default), whatever the key.
 */
export function isConstantLookup(model: FileModel, node: Node): boolean {
  let container: Node | null = null;
  if (node.type === 'subscript') {
    container = node.childForFieldName('value');
  } else if (node.type === 'call') {
    const site = model.callAt(node);
    const fallback = site?.args.positional[1] ?? site?.args.keywords.get('default');
    if (site?.name !== 'get' || (fallback && literalValue(fallback) === undefined)) return false;
    container = site.receiver;
  }
  if (container?.type !== 'identifier') return false;
  const bindings = model.bindingsOf(container.text, model.scopeAt(container));
  const only = bindings?.length === 1 ? bindings[0] : undefined;
  return (
    only?.kind === 'assign' &&
    !only.weak &&
    only.value?.type === 'dictionary' &&
    isConstantExpression(only.value)
  );
}
