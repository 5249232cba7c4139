import type { Node, Tree } from 'web-tree-sitter';
import { ImportTable } from './imports';
import { INDEXED_TYPES, fileNodes } from './fileNodes';
import { RecordedBinding, addBinding, lookupScope, newScope, reachingBindings } from './scopes';
import type { Binding, BindingKind, Scope } from './scopes';
import { boundNames, callArguments, dottedName } from './syntax';
import type { CallArguments } from './syntax';

export interface CallSite {
  node: Node;
  /** Qualified callee (`subprocess.run`, `flask.request.get_json`), or null when the callee is not a name. */
  callee: string | null;
  /** The callee as written (`sp.run`), or null. */
  calleeText: string | null;
  /** Last segment of the callee (`run`, `execute`), also for `a().b()`; '' for `f()()`. */
  name: string;
  /** The object a method is called on (`cursor` in `cursor.execute(...)`), or null. */
  receiver: Node | null;
  args: CallArguments;
  scope: Scope;
}

/** Methods that put their arguments into the receiver: the receiver then carries what they carried. */
const MUTATORS = new Set([
  'append',
  'extend',
  'insert',
  'update',
  'add',
  'setdefault',
  'appendleft',
  '__setitem__',
]);

/**
 * Mutators recorded only on plain names (`conf.set(...)`, `lst.pop(0)`): on attributes they are mostly
 * unrelated APIs (`resp.headers.set(...)`) and would only blur the base object.
 */
const NAME_ONLY_MUTATORS = new Set(['set', 'pop', 'remove']);

/** Assignment targets that unpack a sequence, and the values written as one. */
const SEQUENCE_PATTERNS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern']);
const SEQUENCE_VALUES = new Set(['expression_list', 'tuple', 'list']);

function elementsOf(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment');
}

/**
 * Everything the rules need to know about one file, computed once from one pass over its nodes: imports,
 * scopes and bindings, calls (indexed by qualified callee and by method name), and comments.
 */
export class FileModel {
  readonly imports = new ImportTable();
  readonly module: Scope;
  readonly scopes: Scope[] = [];
  readonly calls: CallSite[] = [];
  readonly comments: Node[] = [];
  readonly classes: Scope[] = [];
  readonly functions: Scope[] = [];
  private readonly callsByCallee = new Map<string, CallSite[]>();
  private readonly callsByName = new Map<string, CallSite[]>();
  private readonly scopeByNodeId = new Map<number, Scope>();
  private readonly callByNodeId = new Map<number, CallSite>();
  private readonly scopeByNodeAt = new Map<number, Scope>();
  private readonly typeIndex = new Map<string, { nodes: Node[]; starts: number[] }>();

  constructor(
    readonly tree: Tree,
    readonly text: string,
    readonly path: string,
  ) {
    this.module = newScope('module', tree.rootNode, '<module>', null);
    this.scopes.push(this.module);
    this.build();
  }

  private build(): void {
    const stack: Scope[] = [this.module];
    const collected = fileNodes(this.tree);
    // Calls are resolved after all imports are known (an import may follow its first use in a function).
    const pendingCalls: { node: Node; scope: Scope }[] = [];
    const byType = new Map<string, Node[]>([...INDEXED_TYPES].map((type) => [type, []]));
    for (const { kind, node, type } of collected) {
      byType.get(type)?.push(node);
      if (kind === 'node') continue;
      const start = node.startIndex;
      while (stack.length > 1 && start >= (stack[stack.length - 1] as Scope).end) stack.pop();
      const scope = stack[stack.length - 1] as Scope;
      switch (kind) {
        case 'import':
          this.imports.add(node, scope.kind === 'module' ? null : scope);
          break;
        case 'function':
        case 'class': {
          const child = this.openScope(kind, node, scope);
          stack.push(child);
          break;
        }
        case 'call':
          pendingCalls.push({ node, scope });
          break;
        case 'assign':
          this.addAssignment(node, scope);
          break;
        case 'augassign': {
          const left = node.childForFieldName('left');
          for (const name of boundNames(left)) {
            this.bind(scope, name, 'augassign', node, node.childForFieldName('right'), node.endIndex, true);
          }
          break;
        }
        case 'walrus': {
          const name = node.childForFieldName('name');
          if (name)
            this.bind(scope, name.text, 'walrus', node, node.childForFieldName('value'), node.endIndex);
          break;
        }
        case 'for':
          this.addFor(node, scope);
          break;
        case 'with':
          this.addWith(node, scope);
          break;
        case 'return':
          if (scope.kind === 'function') {
            const value = node.namedChildren[0];
            if (value) scope.returns.push(value);
          }
          break;
        case 'comment':
          this.comments.push(node);
          break;
      }
    }
    for (const { node, scope } of pendingCalls) this.addCall(node, scope);
    this.indexedNodes = byType;
  }

  /** Nodes of the INDEXED_TYPES, from the pass over the file's nodes, in document order. */
  private indexedNodes = new Map<string, Node[]>();

  private openScope(kind: 'function' | 'class', node: Node, parent: Scope): Scope {
    const name = node.childForFieldName('name')?.text ?? '<anonymous>';
    const scope = newScope(kind, node, name, parent);
    this.scopes.push(scope);
    this.scopeByNodeId.set(node.id, scope);
    if (node.parent?.type === 'decorated_definition') {
      for (const decorator of node.parent.namedChildren) {
        const expression = decorator?.type === 'decorator' ? decorator.namedChildren[0] : null;
        if (expression) scope.decorators.push(expression);
      }
    }
    this.bind(parent, name, 'def', node, null, node.startIndex);
    if (kind === 'class') {
      this.classes.push(scope);
      const supers = node.childForFieldName('superclasses');
      for (const base of supers?.namedChildren ?? []) if (base) scope.bases.push(base);
      return scope;
    }
    this.functions.push(scope);
    for (const param of node.childForFieldName('parameters')?.namedChildren ?? []) {
      if (!param) continue;
      const nameNode =
        param.type === 'identifier'
          ? param
          : (param.childForFieldName('name') ??
            param.namedChildren.find((c) => c?.type === 'identifier') ??
            param.namedChildren[0]?.namedChildren.find((c) => c?.type === 'identifier') ??
            null);
      if (!nameNode || nameNode.type !== 'identifier') continue;
      scope.params.push(nameNode.text);
      this.bind(scope, nameNode.text, 'param', param, param.childForFieldName('value'), node.startIndex);
    }
    return scope;
  }

  private bind(
    scope: Scope,
    name: string,
    kind: BindingKind,
    node: Node,
    value: Node | null,
    at: number,
    weak = false,
  ): void {
    addBinding(
      scope,
      new RecordedBinding(name, kind, node, value, at, weak, kind === 'param' ? scope : null),
    );
  }

  private addAssignment(node: Node, scope: Scope): void {
    // `a = b = value`: the inner assignment is collected on its own; here only the outermost target is bound.
    let value = node.childForFieldName('right');
    while (value?.type === 'assignment') value = value.childForFieldName('right');
    this.bindTargets(scope, node, node.childForFieldName('left'), value);
  }

  /**
   * Binds an assignment's target to its value; `a, b = x, y` binds `a` to `x` and `b` to `y`, element by
   * element, so that `user, pw = form["user"], form["pw"]` does not make `user` the password. Unpacking
   * anything else (a call, a name, a starred target) binds every name to the whole value.
   */
  private bindTargets(scope: Scope, node: Node, target: Node | null, value: Node | null): void {
    // The target's type is asked once (a call into WASM): most targets are a plain name.
    const targetType = target?.type;
    if (target && targetType === 'identifier') {
      this.bind(scope, target.text, 'assign', node, value, node.endIndex);
      return;
    }
    const targets =
      target && targetType !== undefined && SEQUENCE_PATTERNS.has(targetType) ? elementsOf(target) : null;
    const values = targets && value && SEQUENCE_VALUES.has(value.type) ? elementsOf(value) : null;
    if (
      targets &&
      values &&
      targets.length === values.length &&
      ![...targets, ...values].some((n) => n.type === 'list_splat_pattern' || n.type === 'list_splat')
    ) {
      targets.forEach((element, i) => this.bindTargets(scope, node, element, values[i] ?? null));
      return;
    }
    const weak = targetType === 'subscript';
    for (const name of boundNames(target)) this.bind(scope, name, 'assign', node, value, node.endIndex, weak);
  }

  private addFor(node: Node, scope: Scope): void {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    // In a comprehension the element expression comes first, so the variable is visible from its start.
    const at =
      node.type === 'for_in_clause'
        ? (node.parent?.startIndex ?? node.startIndex)
        : (node.childForFieldName('body')?.startIndex ?? node.endIndex);
    for (const name of boundNames(left)) this.bind(scope, name, 'for', node, right, at);
  }

  private addWith(node: Node, scope: Scope): void {
    const value = node.childForFieldName('value');
    if (value?.type !== 'as_pattern') return;
    const expression = value.namedChildren[0] ?? null;
    const alias = value.childForFieldName('alias') ?? value.namedChildren[1] ?? null;
    const target = alias?.type === 'as_pattern_target' ? (alias.namedChildren[0] ?? null) : alias;
    for (const name of boundNames(target)) this.bind(scope, name, 'with', node, expression, node.endIndex);
  }

  private addCall(node: Node, scope: Scope): void {
    // The callee's parts are read once here (each is a call into WASM): its name, its receiver, and the
    // dotted text `dottedName` would give.
    const fn = node.childForFieldName('function');
    const fnType = fn?.type;
    let name = '';
    let receiver: Node | null = null;
    let calleeText: string | null = null;
    if (fn && fnType === 'attribute') {
      const attribute = fn.childForFieldName('attribute');
      receiver = fn.childForFieldName('object');
      name = attribute?.text ?? '';
      const base = dottedName(receiver);
      calleeText = base !== null && attribute ? `${base}.${name}` : null;
    } else if (fn && fnType === 'identifier') {
      name = fn.text;
      calleeText = name;
    }
    // The call's own scope: a function's imports count inside it (the call starts within the scope's node).
    const callee =
      calleeText === null
        ? null
        : this.imports.qualifyAt(calleeText, scope.kind === 'module' ? null : scope.start);
    const site: CallSite = { node, callee, calleeText, name, receiver, args: callArguments(node), scope };
    this.calls.push(site);
    this.callByNodeId.set(node.id, site);
    if (callee !== null) push(this.callsByCallee, callee, site);
    if (name) push(this.callsByName, name, site);
    const mutates = MUTATORS.has(name) || (NAME_ONLY_MUTATORS.has(name) && receiver?.type === 'identifier');
    if (mutates && receiver) {
      // `os.remove(p)`, `os.environ.update(...)`: calls on a module do not make the module hold the data.
      for (const target of boundNames(receiver).filter((n) => !this.imports.isImported(n))) {
        this.bind(scope, target, 'mutate', node, site.args.list, node.endIndex, true);
      }
    }
  }

  /** Calls whose qualified callee is one of `callees` (e.g. `os.system`, `flask.render_template_string`). */
  callsTo(...callees: string[]): CallSite[] {
    if (callees.length === 1) return this.callsByCallee.get(callees[0] as string) ?? [];
    return callees.flatMap((c) => this.callsByCallee.get(c) ?? []);
  }

  /** Calls whose last callee segment is one of `names`, whatever the receiver (`execute`, `set_cookie`). */
  callsNamed(...names: string[]): CallSite[] {
    if (names.length === 1) return this.callsByName.get(names[0] as string) ?? [];
    return names.flatMap((n) => this.callsByName.get(n) ?? []);
  }

  callAt(node: Node): CallSite | undefined {
    return this.callByNodeId.get(node.id);
  }

  /** The calls written inside `node` (a function, a body), nested functions included. */
  callsIn(node: Node): CallSite[] {
    const { startIndex, endIndex } = node;
    // `calls` is in document order: the calls inside `node` follow the first call at or after its start.
    // Nodes nest, so a call that starts inside `node` ends inside it, unless it starts where `node` starts
    // and encloses it (`f(x)(y)` around `f(x)`): only such calls are asked where they end (a call into
    // WASM; this used to ask every call after `node`'s start).
    const calls = this.calls;
    const first = firstStartingFrom(calls.length, (i) => (calls[i] as CallSite).node.startIndex, startIndex);
    const inside: CallSite[] = [];
    for (let i = first; i < calls.length; i++) {
      const site = calls[i] as CallSite;
      const start = site.node.startIndex;
      if (start >= endIndex) break;
      if (start > startIndex || site.node.endIndex <= endIndex) inside.push(site);
    }
    return inside;
  }

  /** The scope a function/class definition node opens. */
  scopeOf(definition: Node): Scope | undefined {
    return this.scopeByNodeId.get(definition.id);
  }

  /**
   * Every node of these types in the file, in document order: one walk per type list, shared by all rules
   * (a walk marshals each node out of the WASM parser, so rules must not each walk the whole tree).
   */
  nodesOfType(types: string | readonly string[]): readonly Node[] {
    return this.indexOfType(types).nodes;
  }

  /** The nodes of these types that start inside `within` (a scope or statement), in document order. */
  nodesOfTypeIn(types: string | readonly string[], within: Node): Node[] {
    const { nodes, starts } = this.indexOfType(types);
    const to = within.endIndex;
    const first = firstStartingFrom(starts.length, (i) => starts[i] as number, within.startIndex);
    const out: Node[] = [];
    for (let i = first; i < nodes.length && (starts[i] as number) < to; i++) {
      const node = nodes[i] as Node;
      if (node.id !== within.id) out.push(node);
    }
    return out;
  }

  private fromCollected(types: readonly string[]): Node[] {
    if (types.length === 1) return this.indexedNodes.get(types[0] as string) ?? [];
    return types
      .flatMap((type) => this.indexedNodes.get(type) ?? [])
      .sort((a, b) => a.startIndex - b.startIndex || b.endIndex - a.endIndex);
  }

  private indexOfType(types: string | readonly string[]): { nodes: Node[]; starts: number[] } {
    const key = typeof types === 'string' ? types : [...types].sort().join('|');
    let index = this.typeIndex.get(key);
    if (!index) {
      const list = typeof types === 'string' ? [types] : [...types];
      const nodes = list.every((type) => INDEXED_TYPES.has(type))
        ? this.fromCollected(list)
        : this.tree.rootNode.descendantsOfType(list).filter((n): n is Node => n !== null);
      index = { nodes, starts: nodes.map((n) => n.startIndex) };
      this.typeIndex.set(key, index);
    }
    return index;
  }

  /** The innermost function/class/module scope containing `node` (a definition node: the scope around it). */
  scopeAt(node: Node): Scope {
    const cached = this.scopeByNodeAt.get(node.id);
    if (cached) return cached;
    const found = this.scopeByOffset(node.startIndex) ?? this.scopeByAncestors(node);
    this.scopeByNodeAt.set(node.id, found);
    return found;
  }

  /**
   * The innermost scope whose definition holds a node starting at `offset`, from offsets alone: node.parent
   * is a call into the WASM parser that walks down from the root, so the walk up in `scopeByAncestors` cost
   * depth² steps per node. Undefined when a definition starts or ends right at `offset`: a node there may
   * be the definition itself, an ancestor with the same start, or inside it, which offsets cannot tell.
   */
  private scopeByOffset(offset: number): Scope | undefined {
    // `scopes` is in document order (the module first, then each definition as `fileNodes` found it). The
    // last definition starting before `offset`: the innermost holding it is this one or an ancestor.
    const scopes = this.scopes;
    let low = 1;
    let high = scopes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((scopes[middle] as Scope).start < offset) low = middle + 1;
      else high = middle;
    }
    if (scopes[low]?.start === offset) return undefined;
    for (let scope = scopes[low - 1]; scope && scope !== this.module; scope = scope.parent ?? undefined) {
      if (offset === scope.end) return undefined;
      if (offset < scope.end) return scope;
    }
    return this.module;
  }

  /** The nearest definition above `node` that opens a scope, by walking up the tree. */
  private scopeByAncestors(node: Node): Scope {
    for (let current = node.parent; current; current = current.parent) {
      const scope = this.scopeByNodeId.get(current.id);
      if (scope) return scope;
    }
    return this.module;
  }

  /** Bindings of the identifier (or dotted name) `name` that may reach a use at `use` in `scope`. */
  reaching(name: string, use: Node, scope: Scope): Binding[] {
    const home = lookupScope(scope, name);
    if (!home) return [];
    // A name from an enclosing scope is read when the inner function runs: any binding in the outer scope
    // before the function's end may be the one it sees.
    const offset = home === scope ? use.startIndex : Math.max(use.startIndex, scopeEnd(scope, home));
    return reachingBindings(home, name, offset);
  }

  /** Every binding of `name` in the scope it is looked up in from `scope`, in document order. */
  bindingsOf(name: string, scope: Scope): readonly Binding[] | undefined {
    const home = lookupScope(scope, name);
    return home?.bindings.get(name);
  }

  /**
   * Follows an identifier to the expression it was last assigned (when exactly one strong assignment
   * reaches), a few steps deep. Returns the node itself when it cannot be followed.
   */
  resolveValue(node: Node, scope: Scope = this.scopeAt(node), depth = 0): Node {
    if (depth > 8) return node;
    if (node.type === 'parenthesized_expression' && node.namedChildren.length === 1) {
      return this.resolveValue(node.namedChildren[0] as Node, scope, depth + 1);
    }
    const name = dottedName(node);
    if (name === null || (node.type !== 'identifier' && !name.startsWith('self.'))) return node;
    const bindings = this.reaching(name, node, scope);
    const only = bindings.length === 1 ? bindings[0] : undefined;
    if (!only || only.weak || only.kind !== 'assign' || !only.value) return node;
    return this.resolveValue(only.value, scope, depth + 1);
  }

  /** Qualified callee of the call an expression was built by, following one assignment (`app = Flask(...)`). */
  constructorOf(node: Node, scope?: Scope): string | null {
    const value = this.resolveValue(node, scope);
    if (value.type !== 'call') return null;
    return this.callAt(value)?.callee ?? null;
  }

  /** Functions and methods named `name`, in document order. */
  functionsNamed(name: string): readonly Scope[] {
    // Asked once per call of a plain name: an index keeps large files linear.
    this.functionsByName ??= groupBy(this.functions, (f) => f.name);
    return this.functionsByName.get(name) ?? [];
  }

  /** Classes named `name`, in document order. */
  classesNamed(name: string): readonly Scope[] {
    this.classesByName ??= groupBy(this.classes, (c) => c.name);
    return this.classesByName.get(name) ?? [];
  }

  /** Scopes with a binding of `name` (a plain or dotted name), in document order. */
  scopesBinding(name: string): readonly Scope[] {
    if (!this.scopesByBoundName) {
      this.scopesByBoundName = new Map();
      for (const scope of this.scopes)
        for (const bound of scope.bindings.keys()) push(this.scopesByBoundName, bound, scope);
    }
    return this.scopesByBoundName.get(name) ?? [];
  }

  private functionsByName: Map<string, Scope[]> | undefined;
  private classesByName: Map<string, Scope[]> | undefined;
  private scopesByBoundName: Map<string, Scope[]> | undefined;
}

function scopeEnd(inner: Scope, home: Scope): number {
  let scope: Scope = inner;
  while (scope.parent && scope.parent !== home) scope = scope.parent;
  return scope.end;
}

/**
 * The index of the first of `count` items in document order (`startOf(i)`: item i's start offset) that
 * starts at or after `offset`; `count` when none does.
 */
function firstStartingFrom(count: number, startOf: (index: number) => number, offset: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (startOf(mid) < offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

function groupBy<K, V>(values: readonly V[], keyOf: (value: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const value of values) push(map, keyOf(value), value);
  return map;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
