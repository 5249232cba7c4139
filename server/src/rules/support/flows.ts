import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { SinkKind, Taint } from '../../engine/taint';
import { isDeadCode } from '../../engine/branches';

/**
 * Shared by the rules whose sinks have sanitizers the engine cannot know by a qualified name (a project's
 * `escape_csv()` helper, a `"'" + value` prefix) or that apply element by element (`[re.escape(w) for w in
 * words]`, `map(re.escape, words)`): the engine's taint, narrowed along the value's structure.
 */

export interface RefineOptions {
  sink: SinkKind;
  /** Does this expression make the value safe for the sink (a sanitizing call, a neutralizing prefix)? */
  cleans?: (node: Node) => boolean;
}

/**
 * The engine's taint of `node` for `options.sink`, followed through names, containers, operators,
 * comprehensions and call arguments, where an expression `cleans` accepts ends the path. A comprehension
 * carries only what its element expression does (its loop variable carries the iterable's elements), so
 * `[re.escape(w) for w in words]` is clean. Never tainted where the engine says clean.
 */
export function refinedTaint(
  ctx: RuleContext,
  node: Node | null,
  options: RefineOptions,
  depth = 0,
  seen: Set<number> = new Set(),
): Taint | null {
  if (!node) return null;
  const taint = ctx.taint.reaches(node, options.sink);
  if (!taint || depth > 20 || seen.has(node.id)) return taint;
  if (options.cleans?.(node)) return null;
  seen.add(node.id);
  const next = (n: Node | null | undefined): Taint | null =>
    n ? refinedTaint(ctx, n, options, depth + 1, seen) : null;
  const firstOf = (nodes: readonly (Node | null | undefined)[]): Taint | null => {
    for (const n of nodes) {
      const found = next(n);
      if (found) return found;
    }
    return null;
  };
  switch (node.type) {
    case 'identifier': {
      const { found, bindings } = taintThroughBindings(ctx, node, options.sink, next);
      // Names the model cannot follow (globals assigned elsewhere): the engine's verdict.
      return found ?? (bindings === 0 ? taint : null);
    }
    case 'attribute': {
      const object = node.childForFieldName('object');
      if (!object || ctx.taint.isRequestObject(object)) return taint;
      if (node.text.startsWith('self.')) return taint;
      return next(object);
    }
    case 'subscript':
      return next(node.childForFieldName('value'));
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return taint;
      // A request accessor (`request.args.get("q")`) or a same-file function the engine summarised.
      if (site.receiver && ctx.taint.isRequestObject(site.receiver)) return taint;
      if (ctx.taint.callsSameFileFunction(site)) return taint;
      const args = [...site.args.positional, ...site.args.keywords.values()];
      // `map(escape_csv, values)`: every element goes through the function.
      if (site.callee === 'map') {
        const fn = site.args.positional[0];
        if (fn && options.cleans?.(fn)) return null;
        return firstOf(site.args.positional.slice(1));
      }
      if (site.args.hasSplat) return taint;
      const found = firstOf(site.receiver ? [site.receiver, ...args] : args);
      // Nothing visible carries it: the call reads the data itself (`get_payload()` from another module).
      return found ?? (args.length === 0 && !site.receiver ? taint : null);
    }
    case 'list_comprehension':
    case 'set_comprehension':
    case 'generator_expression':
    case 'dictionary_comprehension':
      return next(node.childForFieldName('body'));
    case 'pair':
      return next(node.childForFieldName('value'));
    case 'lambda':
      return null;
    default:
      return firstOf(node.namedChildren);
  }
}

/**
 * A name's taint, following its live reaching bindings with `next` (a parameter takes the engine's verdict
 * for it): the step shared by the narrowed-taint walks (this file's and FS301's in xss.ts).
 */
export function taintThroughBindings(
  ctx: RuleContext,
  name: Node,
  sink: SinkKind,
  next: (value: Node | null) => Taint | null,
): { found: Taint | null; bindings: number } {
  const bindings = ctx.file.reaching(name.text, name, ctx.file.scopeAt(name));
  for (const binding of bindings) {
    if (binding.kind === 'def' || isDeadCode(ctx.file, binding.node, ctx.file.scopeAt(binding.node)))
      continue;
    if (binding.kind === 'param') {
      const parameter = binding.node.type === 'identifier' ? binding.node : firstIdentifier(binding.node);
      const found = parameter ? ctx.taint.reaches(parameter, sink) : null;
      if (found) return { found, bindings: bindings.length };
      continue;
    }
    const found = next(binding.value);
    if (found) return { found, bindings: bindings.length };
  }
  return { found: null, bindings: bindings.length };
}

function firstIdentifier(node: Node): Node | null {
  if (node.type === 'identifier') return node;
  for (const child of node.namedChildren) {
    const found = child ? firstIdentifier(child) : null;
    if (found) return found;
  }
  return null;
}
