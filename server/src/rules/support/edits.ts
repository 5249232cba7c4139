import type { Node } from 'web-tree-sitter';
import type { OffsetEdit } from '../../engine/types';
import type { RuleContext } from '../../engine/context';

/** Edits that fixes are made of, computed from nodes so that they stay exact on any line ending. */

export function replaceNode(node: Node, newText: string): OffsetEdit {
  return { start: node.startIndex, end: node.endIndex, newText };
}

/**
 * Removes a `keyword=value` argument together with one adjacent comma (and the space after it), so that
 * `f(a, verify=False)` becomes `f(a)` and `f(verify=False, a=1)` becomes `f(a=1)`.
 */
export function removeArgument(ctx: RuleContext, argument: Node): OffsetEdit {
  const text = ctx.file.text;
  let start = argument.startIndex;
  let end = argument.endIndex;
  const after = /^\s*,[ \t]*/.exec(text.slice(end));
  const prev = argument.previousSibling;
  if (prev?.type === ',') {
    start = prev.startIndex;
    // `f(a, x=1)`: drop the comma before; trailing whitespace stays with the closing paren.
    return { start, end, newText: '' };
  }
  if (after) end += after[0].length;
  return { start, end, newText: '' };
}

/** Adds `keyword=value` as the last argument of a call's argument list. */
export function addArgument(ctx: RuleContext, argumentList: Node, source: string): OffsetEdit {
  const close = argumentList.lastChild;
  const insertAt = close?.type === ')' ? close.startIndex : argumentList.endIndex;
  const inner = ctx.file.text.slice(argumentList.startIndex + 1, insertAt);
  const trimmed = inner.trimEnd();
  const needsComma = trimmed.length > 0 && !trimmed.endsWith(',');
  const position = argumentList.startIndex + 1 + trimmed.length;
  return {
    start: position,
    end: position,
    newText: `${needsComma ? ', ' : trimmed.length > 0 ? ' ' : ''}${source}`,
  };
}

/** The keyword_argument node holding `value` (its parent), if the value came from a keyword. */
export function keywordArgumentOf(value: Node): Node | null {
  return value.parent?.type === 'keyword_argument' ? value.parent : null;
}
