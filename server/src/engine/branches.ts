import type { Node } from 'web-tree-sitter';
import { evaluate, truthy } from './constants';
import type { FileModel } from './model';
import type { Scope } from './scopes';
import { dottedName, lastSegment, literalValue } from './syntax';

/** Whether a block of an `if`/`elif`/`else`/`while` runs, as far as constant conditions tell. */
export type BranchState = 'dead' | 'always' | 'maybe';

/** The conditions of an `if` statement's branches, in order; `null` stands for the `else`. */
function branchesOf(ifStatement: Node): { block: Node | null; condition: Node | null }[] {
  const branches = [
    {
      block: ifStatement.childForFieldName('consequence'),
      condition: ifStatement.childForFieldName('condition'),
    },
  ];
  for (const clause of ifStatement.namedChildren) {
    if (clause?.type === 'elif_clause') {
      branches.push({
        block: clause.childForFieldName('consequence'),
        condition: clause.childForFieldName('condition'),
      });
    } else if (clause?.type === 'else_clause') {
      branches.push({ block: clause.childForFieldName('body'), condition: null });
    }
  }
  return branches;
}

/**
 * Per model, what `blockState` answered, by block and by the scope it was asked in; `null` while it is
 * being worked out. Each answer is asked for again and again: a name's bindings are dropped when their
 * block is dead, so a condition's names ask about the blocks that hold their bindings, whose conditions
 * ask the same of theirs. In deeply nested code that was exponential: minutes for the 270 KB schema
 * validator setuptools vendors, 1.5 s for its 12 KB `register.py`. A model is built for one tree and not
 * changed afterwards, so its answers hold as long as it lives.
 */
const blockStates = new WeakMap<FileModel, Map<number, Map<Scope, BranchState | null>>>();

/**
 * Does this block (the direct body of a branch) run? A block asked about again while its own answer is
 * being worked out (its condition reads a name bound in a block whose condition leads back to it) is
 * 'maybe': asking the same question again would only recurse until the stack runs out.
 */
export function blockState(model: FileModel, block: Node, scope: Scope): BranchState {
  let byBlock = blockStates.get(model);
  if (!byBlock) {
    byBlock = new Map<number, Map<Scope, BranchState | null>>();
    blockStates.set(model, byBlock);
  }
  let byScope = byBlock.get(block.id);
  if (!byScope) {
    byScope = new Map<Scope, BranchState | null>();
    byBlock.set(block.id, byScope);
  }
  const known = byScope.get(scope);
  if (known !== undefined) return known ?? 'maybe';
  byScope.set(scope, null);
  let state: BranchState | undefined;
  try {
    state = workOutBlockState(model, block, scope);
    return state;
  } finally {
    if (state === undefined) byScope.delete(scope);
    else byScope.set(scope, state);
  }
}

function workOutBlockState(model: FileModel, block: Node, scope: Scope): BranchState {
  const parent = block.parent;
  if (!parent) return 'maybe';
  if (parent.type === 'case_clause') return caseState(model, parent, scope);
  if (parent.type === 'while_statement') {
    const condition = evaluate(model, parent.childForFieldName('condition'), scope);
    return condition !== undefined && !truthy(condition) ? 'dead' : 'maybe';
  }
  const ifStatement =
    parent.type === 'if_statement'
      ? parent
      : (parent.type === 'elif_clause' || parent.type === 'else_clause') &&
          parent.parent?.type === 'if_statement'
        ? parent.parent
        : null;
  if (!ifStatement) return 'maybe';
  let earlierUnknown = false;
  for (const branch of branchesOf(ifStatement)) {
    const isThis = branch.block?.id === block.id;
    const condition = branch.condition === null ? true : evaluate(model, branch.condition, scope);
    if (isThis) {
      if (condition === undefined) return 'maybe';
      if (!truthy(condition)) return 'dead';
      return earlierUnknown ? 'maybe' : 'always';
    }
    if (condition === undefined) earlierUnknown = true;
    else if (truthy(condition)) return 'dead'; // an earlier branch always runs: this one never does
  }
  return 'maybe';
}

/** True when some branch between `node` and its scope provably never runs. */
export function isDeadCode(model: FileModel, node: Node, scope: Scope): boolean {
  for (let current = node.parent; current && current.id !== scope.node.id; current = current.parent) {
    if (current.type === 'block' && blockState(model, current, scope) === 'dead') return true;
  }
  return false;
}

/**
 * The extent that a statement at `node` dominates: its block, widened past every enclosing branch that
 * always runs (`if 7 > 2: bar = "safe"` dominates what follows the `if`).
 */
export function dominatedExtent(model: FileModel, node: Node, scope: Scope): { start: number; end: number } {
  let block: Node | null = node.parent;
  while (block && block.type !== 'block' && block.type !== 'module') block = block.parent;
  while (block && block.type === 'block' && blockState(model, block, scope) === 'always') {
    let outer: Node | null = block.parent;
    while (outer && outer.type !== 'block' && outer.type !== 'module') outer = outer.parent;
    if (!outer) break;
    block = outer;
  }
  return block
    ? { start: block.startIndex, end: block.endIndex }
    : { start: 0, end: Number.MAX_SAFE_INTEGER };
}

/** `match guess: case "A": ...` with a constant subject: a case runs if it is the first that matches. */
function caseState(model: FileModel, clause: Node, scope: Scope): BranchState {
  const match = clause.parent?.type === 'block' ? clause.parent.parent : clause.parent;
  if (match?.type !== 'match_statement') return 'maybe';
  const folded = evaluate(model, match.childForFieldName('subject') ?? match.namedChildren[0] ?? null, scope);
  if (folded === undefined || Array.isArray(folded)) return 'maybe';
  const subject = folded as string | number | boolean | null;
  const cases = (clause.parent?.namedChildren ?? []).filter((c): c is Node => c?.type === 'case_clause');
  for (const other of cases) {
    if (other.id === clause.id) break;
    const earlier = caseMatches(other, subject);
    if (earlier === true) return 'dead';
    if (earlier === undefined) return caseMatches(clause, subject) === false ? 'dead' : 'maybe';
  }
  const own = caseMatches(clause, subject);
  return own === true ? 'always' : own === false ? 'dead' : 'maybe';
}

/** Whether a literal, union or wildcard case pattern matches a constant; undefined for other patterns and guards. */
function caseMatches(clause: Node, subject: string | number | boolean | null): boolean | undefined {
  if (clause.namedChildren.some((c) => c?.type === 'if_clause')) return undefined;
  const patterns = clause.namedChildren.filter((c): c is Node => c?.type === 'case_pattern');
  const pattern = patterns[0];
  if (!pattern || patterns.length !== 1) return undefined;
  const inner = pattern.namedChildren[0];
  if (!inner) return pattern.text.trim() === '_' ? true : undefined;
  const options =
    inner.type === 'union_pattern' ? inner.namedChildren.filter((c): c is Node => !!c) : [inner];
  let unknown = false;
  for (const option of options) {
    if (option.type === 'identifier' || option.text.trim() === '_') return true;
    const value = literalValue(option);
    if (value === undefined) unknown = true;
    else if (value === subject) return true;
  }
  return unknown ? undefined : false;
}

const LEAVING_STATEMENTS = new Set([
  'return_statement',
  'raise_statement',
  'continue_statement',
  'break_statement',
]);
/** `abort(403)`, `sys.exit()`, `os._exit(1)`, `pytest.fail()`: calls that do not come back. */
const LEAVING_CALLS = new Set(['abort', 'exit', '_exit', 'fail']);
const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Does a branch's block end the way through it (return, raise, continue, break, abort()), or assign one of
 * `names` anew? Either way, what follows the `if` sees no value that took this branch unchanged: the check
 * that opened it guards what comes after (`if not is_safe(url): abort(400)`, `if x not in A: x = "id"`).
 * Only the block's own statements count, not those nested in further branches.
 */
export function leavesOrRebinds(
  model: FileModel,
  block: Node | null,
  names: ReadonlySet<string> = NO_NAMES,
): boolean {
  for (const statement of block?.namedChildren ?? []) {
    if (!statement) continue;
    if (LEAVING_STATEMENTS.has(statement.type)) return true;
    if (statement.type !== 'expression_statement') continue;
    const expression = statement.namedChildren[0];
    if (expression?.type === 'call') {
      const site = model.callAt(expression);
      if (site && (LEAVING_CALLS.has(site.name) || LEAVING_CALLS.has(lastSegment(site.callee ?? ''))))
        return true;
    } else if (expression?.type === 'assignment') {
      const target = dottedName(expression.childForFieldName('left'));
      if (target !== null && names.has(target)) return true;
    }
  }
  return false;
}

/**
 * Whether what follows `if <check>: ...` runs only when the check passed: the branches taken when it fails
 * leave (return, raise, abort, continue) or rebind the value. `if not valid(x): abort(400)` guards what
 * follows; `if valid(x): return done()` leaves when the check passed, so what follows is the failure path.
 * A condition that mixes both kinds keeps the older reading: any branch that leaves. For checks that hold
 * on good values (an allow-list, a character class); a check that holds on bad ones (`".." in name`) reads
 * the other way round, which this cannot tell.
 */
export function failedCheckLeaves(model: FileModel, statement: Node, condition: Node): boolean {
  const branches = ifBranches(statement);
  const leaves = (branch: Node | undefined) => !!branch && leavesOrRebinds(model, branch);
  const polarity = polarityOf(condition);
  if (polarity === 'negated') return leaves(branches[0]);
  if (polarity === 'plain') {
    const hasElse = statement.namedChildren.some((c) => c?.type === 'else_clause');
    return hasElse && branches.slice(1).every(leaves);
  }
  return branches.some(leaves);
}

/**
 * Whether a condition holds when its checks pass (`valid(x)`, `x in ALLOWED`, `a and b`) or when they fail
 * (`not valid(x)`, `x not in ALLOWED`, `not a or not b`); `mixed` when it cannot be told.
 */
function polarityOf(condition: Node): 'plain' | 'negated' | 'mixed' {
  const test =
    condition.type === 'parenthesized_expression' ? (condition.namedChildren[0] ?? condition) : condition;
  if (test.type === 'not_operator') return 'negated';
  if (test.type === 'comparison_operator') {
    const operators = test.children
      .filter((c) => c && !c.isNamed)
      .map((c) => c?.text ?? '')
      .join(' ');
    return /\bnot in\b|!=/.test(operators) ? 'negated' : 'plain';
  }
  if (test.type === 'boolean_operator') {
    const left = test.childForFieldName('left');
    const right = test.childForFieldName('right');
    const operator = test.childForFieldName('operator')?.text;
    const sides = [left, right].map((side) => (side ? polarityOf(side) : 'mixed'));
    if (sides.every((p) => p === 'plain')) return 'plain';
    if (operator === 'or' && sides.every((p) => p === 'negated')) return 'negated';
    return 'mixed';
  }
  return 'plain';
}

/** The bodies of an `if` statement: its own, then each `elif`'s and the `else`'s. */
export function ifBranches(ifStatement: Node): Node[] {
  const out: Node[] = [];
  const consequence = ifStatement.childForFieldName('consequence');
  if (consequence) out.push(consequence);
  for (const clause of ifStatement.namedChildren) {
    if (clause?.type === 'elif_clause' || clause?.type === 'else_clause') {
      const body = clause.childForFieldName('consequence') ?? clause.childForFieldName('body');
      if (body) out.push(body);
    }
  }
  return out;
}
