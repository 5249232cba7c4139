import type { Node } from 'web-tree-sitter';
import { evaluate, sameConstant } from './constants';
import type { Constant } from './constants';
import type { FileModel } from './model';
import type { Binding, Scope } from './scopes';

/**
 * Which values a keyed read of a local container may return: `d["k"]`, `d.get("k")`, `lst[1]`,
 * `conf.get("section", "k")`. Real code (and every security benchmark) stores safe and unsafe values side by
 * side in one dict, list or ConfigParser and reads back one of them; treating the whole container as
 * tainted reports the safe read too. The answer is the list of value expressions that may be read, or
 * `undefined` when the container's history cannot be followed (then the caller taints the whole container).
 */
export interface ContainerView {
  model: FileModel;
  scope: Scope;
  /** Reaching, live bindings of the container name, latest first. */
  bindings: readonly Binding[];
  /** Does this binding run on every path to the read (so earlier writes to the same key are overwritten)? */
  dominates(binding: Binding): boolean;
}

const CONFIG_PARSERS = new Set([
  'configparser.ConfigParser',
  'configparser.RawConfigParser',
  'configparser.SafeConfigParser',
]);

const LIST_OPS = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'appendleft']);

/** Is the container a ConfigParser (reads and writes take a section and an option)? */
export function isConfigParser(view: ContainerView): boolean {
  return view.bindings.some(
    (b) =>
      b.kind === 'assign' &&
      !b.weak &&
      b.value?.type === 'call' &&
      CONFIG_PARSERS.has(view.model.callAt(b.value)?.callee ?? ''),
  );
}

export function valuesAtKey(view: ContainerView, key: Constant): Node[] | undefined {
  if (
    typeof key === 'number' &&
    view.bindings.some((b) => b.kind === 'mutate' && LIST_OPS.has(methodOf(b)))
  ) {
    return listElement(view, key);
  }
  const found: Node[] = [];
  for (const binding of view.bindings) {
    const value = binding.value;
    if (binding.kind === 'assign' && binding.weak) {
      // `d[k] = v`
      const target = binding.node.childForFieldName('left');
      if (target?.type !== 'subscript' || !value) return undefined;
      const written = evaluate(view.model, target.childForFieldName('subscript'), view.scope);
      if (written === undefined) return undefined;
      if (!sameConstant(written, key)) continue;
      found.push(value);
      if (view.dominates(binding)) return found;
      continue;
    }
    if (binding.kind === 'mutate') {
      const written = mutation(view, binding, key);
      if (written === undefined) return undefined;
      if (written === null) continue;
      found.push(written);
      if (view.dominates(binding) && methodOf(binding) !== 'setdefault') return found;
      continue;
    }
    if (binding.kind === 'assign' && value) {
      const initial = literalElement(view, value, key);
      if (initial === undefined) return undefined;
      if (initial !== null) found.push(initial);
      if (view.dominates(binding)) return found;
      continue;
    }
    return undefined;
  }
  // No dominating initialisation seen (a parameter, a global): cannot tell.
  return undefined;
}

/**
 * Every value a local list may hold, whatever its order: the elements of the literal it starts as, then what
 * appends, inserts, extends with a literal and item writes put in (`clauses = []`, then
 * `clauses.append(f"{col} = :{col}")` in a loop). Undefined when its history cannot be followed: no
 * starting literal on every path, or another kind of write.
 */
export function listValues(view: ContainerView): Node[] | undefined {
  const found: Node[] = [];
  for (const binding of view.bindings) {
    const value = binding.value;
    if (binding.kind === 'mutate') {
      const site = view.model.callAt(binding.node);
      const args = site?.args.positional ?? [];
      const method = methodOf(binding);
      if (method === 'append' || method === 'appendleft') found.push(...args.slice(0, 1));
      else if (method === 'insert') found.push(...args.slice(1, 2));
      else if (method === 'extend' && (args[0]?.type === 'list' || args[0]?.type === 'tuple'))
        found.push(...elements(args[0]));
      else if (method !== 'pop' && method !== 'remove') return undefined;
      continue;
    }
    if (binding.kind !== 'assign' || !value) return undefined;
    if (binding.weak) {
      // `lst[i] = v`
      found.push(value);
      continue;
    }
    if (value.type !== 'list' && value.type !== 'tuple') return undefined;
    const items = elements(value);
    if (items.some((item) => item.type === 'list_splat')) return undefined;
    found.push(...items);
    if (view.dominates(binding)) return found;
  }
  return undefined;
}

function elements(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment');
}

function methodOf(binding: Binding): string {
  const fn = binding.node.type === 'call' ? binding.node.childForFieldName('function') : null;
  return fn?.type === 'attribute' ? (fn.childForFieldName('attribute')?.text ?? '') : '';
}

/** The value a mutating call writes at `key`: a node, null when it writes other keys, undefined when unknown. */
function mutation(view: ContainerView, binding: Binding, key: Constant): Node | null | undefined {
  const site = view.model.callAt(binding.node);
  if (!site) return undefined;
  const args = site.args.positional;
  const constant = (node: Node | undefined) => (node ? evaluate(view.model, node, view.scope) : undefined);
  switch (methodOf(binding)) {
    case 'set': {
      // ConfigParser.set(section, option, value)
      if (args.length !== 3 || !Array.isArray(key)) return undefined;
      const section = constant(args[0]);
      const option = constant(args[1]);
      if (section === undefined || option === undefined) return undefined;
      return sameConstant([section, option], key) ? (args[2] ?? null) : null;
    }
    case 'setdefault':
    case '__setitem__': {
      const written = constant(args[0]);
      if (written === undefined || args.length !== 2) return undefined;
      return sameConstant(written, key) ? (args[1] ?? null) : null;
    }
    case 'pop':
    case 'remove':
      // A removal writes nothing: the value stored before, if any, is what a read may still find.
      return null;
    case 'update': {
      if (args.length === 0 && typeof key === 'string') return site.args.keywords.get(key) ?? null;
      const literal = args.length === 1 && args[0]?.type === 'dictionary' ? args[0] : null;
      return literal ? literalElement(view, literal, key) : undefined;
    }
    default:
      return undefined;
  }
}

/** `{...}[key]`, `[...][i]`, or an empty container/ConfigParser: a node, null (nothing there), or unknown. */
function literalElement(view: ContainerView, value: Node, key: Constant): Node | null | undefined {
  if (value.type === 'dictionary') {
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') {
        if (pair?.type === 'comment') continue;
        return undefined; // `**other`
      }
      const written = evaluate(view.model, pair.childForFieldName('key'), view.scope);
      if (written === undefined) return undefined;
      if (sameConstant(written, key)) return pair.childForFieldName('value');
    }
    return null;
  }
  if ((value.type === 'list' || value.type === 'tuple') && typeof key === 'number') {
    const items = value.namedChildren.filter((c) => c !== null && c.type !== 'comment');
    if (items.some((c) => c?.type === 'list_splat')) return undefined;
    const at = key < 0 ? items.length + key : key;
    return items[at] ?? null;
  }
  if (value.type === 'call') {
    const callee = view.model.callAt(value)?.callee ?? '';
    const args = view.model.callAt(value)?.args;
    const empty = args !== undefined && args.positional.length === 0 && args.keywords.size === 0;
    if (CONFIG_PARSERS.has(callee) || (empty && (callee === 'dict' || callee === 'list'))) return null;
  }
  return undefined;
}

/**
 * `lst[i]` after a straight run of appends, inserts, pops and removes from a literal: replays them in order. Only
 * when every step runs on every path to the read; otherwise unknown.
 */
function listElement(view: ContainerView, index: number): Node[] | undefined {
  const history = [...view.bindings].reverse();
  const start = history[0];
  if (!start || start.kind !== 'assign' || start.weak || !start.value) return undefined;
  if (
    start.value.type !== 'list' &&
    !(start.value.type === 'call' && start.value.text.replace(/\s/g, '') === 'list()')
  )
    return undefined;
  let items: (Node | null)[] =
    start.value.type === 'list' ? start.value.namedChildren.filter((c) => c?.type !== 'comment') : [];
  for (const step of history.slice(1)) {
    if (step.kind !== 'mutate' || !view.dominates(step)) return undefined;
    const site = view.model.callAt(step.node);
    if (!site) return undefined;
    const args = site.args.positional;
    const constant = (node: Node | undefined) => (node ? evaluate(view.model, node, view.scope) : undefined);
    switch (methodOf(step)) {
      case 'append':
        items.push(args[0] ?? null);
        break;
      case 'appendleft':
        items.unshift(args[0] ?? null);
        break;
      case 'insert': {
        const at = constant(args[0]);
        if (typeof at !== 'number') return undefined;
        items.splice(at < 0 ? Math.max(0, items.length + at) : at, 0, args[1] ?? null);
        break;
      }
      case 'pop': {
        const at = args.length === 0 ? -1 : constant(args[0]);
        if (typeof at !== 'number' || items.length === 0) return undefined;
        items.splice(at < 0 ? items.length + at : at, 1);
        break;
      }
      case 'remove': {
        // The first item equal to the constant; an earlier item that is not a constant might be it.
        const target = constant(args[0]);
        if (target === undefined) return undefined;
        let at = -1;
        for (const [i, item] of items.entries()) {
          const value = item ? evaluate(view.model, item, view.scope) : undefined;
          if (value === undefined) return undefined;
          if (sameConstant(value, target)) {
            at = i;
            break;
          }
        }
        if (at < 0) return undefined;
        items.splice(at, 1);
        break;
      }
      case 'extend': {
        if (args[0]?.type !== 'list' && args[0]?.type !== 'tuple') return undefined;
        items = [...items, ...args[0].namedChildren.filter((c) => c?.type !== 'comment')];
        break;
      }
      default:
        return undefined;
    }
  }
  const at = index < 0 ? items.length + index : index;
  const item = items[at];
  return item ? [item] : [];
}
