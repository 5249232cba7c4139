import type { Node } from 'web-tree-sitter';
import { evaluate, truthy } from './constants';
import type { FileModel } from './model';
import type { Scope } from './scopes';

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

/** Does this block (the direct body of a branch) run? */
export function blockState(model: FileModel, block: Node, scope: Scope): BranchState {
  const parent = block.parent;
  if (!parent) return 'maybe';
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
