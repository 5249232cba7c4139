import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Scope } from '../../engine/scopes';
import { allowListCheck, isConstantLookup } from '../../engine/allowLists';
import { evaluate } from '../../engine/constants';
import { isNumericGet } from '../../engine/taint';
import { isFString, isStringLiteral, literalValue } from '../../engine/syntax';
import { moduleFunction } from './xss';

/**
 * How a string-valued expression was built:
 * - `constant`: literals only (possibly through names assigned literals);
 * - `dynamic`: built at run time from non-constant parts by f-string, `%`, `.format`, `+`, `+=` or `join`;
 * - `unknown`: a parameter, a call result, an attribute: nothing to say either way.
 */
export type StringShape = 'constant' | 'dynamic' | 'unknown';

export interface ShapeOptions {
  /**
   * Count as constant a name checked to hold only letters, digits and `_` (`re.fullmatch(r"\w+", x)`):
   * harmless in SQL, a shell word, a template or markup, not in code (`eval(name + "()")`).
   */
  words?: boolean;
}

export function stringShape(
  ctx: RuleContext,
  node: Node | null,
  options: ShapeOptions = {},
  depth = 0,
): StringShape {
  if (!node || depth > 10) return 'unknown';
  if (isStringLiteral(node) || literalValue(node) !== undefined) return 'constant';
  // Folded to one value: `"x" if 7 * 42 - 86 > 200 else param`, a name assigned such a value, `m["key"]`.
  if (evaluate(ctx.file, node) !== undefined) return 'constant';
  // A read of a local container whose every possible value is constant: `lst[1]` after appends and pops,
  // `conf.get("section", "keyA")`, `d.get("k", "default")`.
  if (node.type === 'subscript' || node.type === 'call') {
    const stored = ctx.taint.storedValues(node);
    if (
      stored !== undefined &&
      stored.length > 0 &&
      stored.every((value) => stringShape(ctx, value, options, depth + 1) === 'constant')
    )
      return 'constant';
  }
  switch (node.type) {
    case 'parenthesized_expression':
      return stringShape(ctx, node.namedChildren[0] ?? null, options, depth + 1);
    case 'string':
      // A string with interpolations: constant only if every interpolated expression is.
      if (isFString(node)) {
        const parts = node.namedChildren.filter((c) => c?.type === 'interpolation');
        return parts.every(
          (p) => stringShape(ctx, p?.namedChildren[0] ?? null, options, depth + 1) === 'constant',
        )
          ? 'constant'
          : 'dynamic';
      }
      return 'constant';
    case 'concatenated_string':
      return node.namedChildren.every((c) => stringShape(ctx, c, options, depth + 1) === 'constant')
        ? 'constant'
        : 'dynamic';
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      const left = stringShape(ctx, node.childForFieldName('left'), options, depth + 1);
      const right = stringShape(ctx, node.childForFieldName('right'), options, depth + 1);
      if (left === 'constant' && right === 'constant') return 'constant';
      // `"?" * len(ids)`, `["%s"] * n`: repeating constant text gives only that text, whatever the count.
      if (
        operator === '*' &&
        ((left === 'constant' && isConstantSequence(node.childForFieldName('left'))) ||
          (right === 'constant' && isConstantSequence(node.childForFieldName('right'))))
      )
        return 'constant';
      if (operator === '%' || operator === '+') {
        // `"..." % x` or `"..." + x`/`x + "..."`: a string is being assembled from a non-constant part.
        const leftNode = node.childForFieldName('left');
        const rightNode = node.childForFieldName('right');
        if (operator === '%' && isStringy(leftNode)) return 'dynamic';
        if (
          operator === '+' &&
          (isStringy(leftNode) || isStringy(rightNode) || left === 'dynamic' || right === 'dynamic')
        ) {
          return 'dynamic';
        }
      }
      return left === 'dynamic' || right === 'dynamic' ? 'dynamic' : 'unknown';
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      const callee = site?.callee ?? '';
      // A number (`int(x)`, `len(ids)`, a typed `get`) carries no syntax.
      if (site && (NUMBER_CALLS.has(callee) || isNumericGet(site))) return 'constant';
      // psycopg's composition quotes what it puts in: sql.SQL("... {}").format(sql.Identifier(name)).
      if (PSYCOPG_QUOTED.test(callee)) return 'constant';
      if (PSYCOPG_SQL.test(callee))
        return stringShape(ctx, site?.args.positional[0] ?? null, options, depth + 1);
      const fn = node.childForFieldName('function');
      if (fn?.type === 'attribute') {
        const method = fn.childForFieldName('attribute')?.text;
        const object = fn.childForFieldName('object');
        if (method === 'format' || method === 'join' || method === 'replace' || method === 'format_map') {
          const receiver = stringShape(ctx, object, options, depth + 1);
          const args = node.childForFieldName('arguments');
          // `", ".join("?" for _ in ids)`: a lone generator is the argument list itself.
          const argList = args?.type === 'generator_expression' ? [args] : (args?.namedChildren ?? []);
          const argsConstant = argList.every((a) => {
            if (!a) return true;
            const value = a.type === 'keyword_argument' ? a.childForFieldName('value') : a;
            return (
              stringShape(ctx, value, options, depth + 1) === 'constant' ||
              isConstantContainer(value) ||
              isListOfConstants(ctx, value, options, depth)
            );
          });
          if (receiver === 'constant' && argsConstant) return 'constant';
          return receiver === 'unknown' && method !== 'format' && method !== 'join' ? 'unknown' : 'dynamic';
        }
      }
      if (isConstantLookup(ctx.file, node)) return 'constant';
      // `str(i)` of a number or constant is constant text; of anything else, nothing to say.
      if (fn?.type === 'identifier' && fn.text === 'str')
        return stringShape(ctx, site?.args.positional[0] ?? null, options, depth + 1) === 'constant'
          ? 'constant'
          : 'unknown';
      // `normalise(name)` where every `return` of this file's `normalise` gives a constant ("guest").
      const helper = fn ? helperOf(ctx, fn) : undefined;
      if (
        helper &&
        helper.returns.length > 0 &&
        helper.returns.every((r) => stringShape(ctx, r, options, depth + 1) === 'constant')
      )
        return 'constant';
      return 'unknown';
    }
    case 'identifier': {
      const scope = ctx.file.scopeAt(node);
      const bindings = ctx.file.reaching(node.text, node, scope);
      if (bindings.length === 0) return 'unknown';
      let sawConstant = false;
      for (const binding of bindings) {
        if (binding.kind === 'augassign') {
          const added = stringShape(ctx, binding.value, options, depth + 1);
          if (added !== 'constant') return 'dynamic';
          sawConstant = true;
          continue;
        }
        const assigned = binding.kind === 'assign' || binding.kind === 'walrus';
        if (!assigned && binding.kind !== 'param' && binding.kind !== 'for') return 'unknown';
        // `@app.route("/users/<int:uid>")`: Flask converts the parameter to a number before the view runs.
        if (binding.kind === 'param' && isNumericUrlParameter(ctx, node.text, scope)) {
          sawConstant = true;
          continue;
        }
        // `for i in range(n)` (also in a comprehension): a number, which carries no syntax; and an element of
        // a collection of constants (`ids = [int(x) for x in raw.split(",")]`, `for i in ids`).
        const counter =
          binding.kind === 'for' &&
          (isRangeCall(ctx, binding.value) ||
            stringShape(ctx, binding.value, options, depth + 1) === 'constant');
        const shape = assigned
          ? stringShape(ctx, binding.value, options, depth + 1)
          : counter
            ? 'constant'
            : 'unknown';
        // `if sort not in SORTABLE: abort(400)` since: one of SORTABLE's strings.
        const checked = shape === 'constant' ? null : allowListCheck(ctx.file, node, node.text, binding.at);
        if (checked === 'members' || checked === 'digits' || (checked === 'word' && options.words)) {
          sawConstant = true;
          continue;
        }
        if (shape === 'dynamic') return 'dynamic';
        if (shape === 'unknown') return 'unknown';
        sawConstant = true;
      }
      return sawConstant ? 'constant' : 'unknown';
    }
    case 'boolean_operator': {
      // `" AND ".join(clauses) or "1=1"`: one of its operands.
      const left = stringShape(ctx, node.childForFieldName('left'), options, depth + 1);
      const right = stringShape(ctx, node.childForFieldName('right'), options, depth + 1);
      if (left === 'constant' && right === 'constant') return 'constant';
      return left === 'dynamic' || right === 'dynamic' ? 'dynamic' : 'unknown';
    }
    case 'conditional_expression': {
      // `"DESC" if descending else "ASC"`: one of two constants.
      const value = stringShape(ctx, node.namedChildren[0] ?? null, options, depth + 1);
      const alternative = stringShape(ctx, node.namedChildren[2] ?? null, options, depth + 1);
      if (value === 'constant' && alternative === 'constant') return 'constant';
      return value === 'dynamic' || alternative === 'dynamic' ? 'dynamic' : 'unknown';
    }
    case 'subscript':
      return isConstantLookup(ctx.file, node) ? 'constant' : 'unknown';
    case 'tuple':
    case 'list':
    case 'set':
      // `for col in ("country", "segment")`: each element a constant, so is the loop variable.
      return node.namedChildren.length > 0 &&
        node.namedChildren.every((c) => stringShape(ctx, c, options, depth + 1) === 'constant')
        ? 'constant'
        : 'unknown';
    case 'list_comprehension':
    case 'set_comprehension':
    case 'generator_expression':
      // `[c for c in columns if c in SORTABLE]`: a collection of constants when each element is one.
      return stringShape(ctx, node.childForFieldName('body'), options, depth + 1) === 'constant'
        ? 'constant'
        : 'unknown';
    default:
      return 'unknown';
  }
}

/** psycopg's `sql.SQL(text)`, and the pieces it quotes itself when composed into one. */
const PSYCOPG_SQL = /^psycopg2?\.sql\.SQL$/;
const PSYCOPG_QUOTED = /^psycopg2?\.sql\.(Identifier|Literal|Placeholder)$/;

/** Python's number conversions: their result is a number, whose text cannot carry any syntax. */
const NUMBER_CALLS = new Set(['int', 'float', 'len', 'abs', 'round', 'bool']);

/** A string, list or tuple written out in the code (the operand repeated by `*`). */
function isConstantSequence(node: Node | null): boolean {
  return !!node && (isStringy(node) || node.type === 'list' || node.type === 'tuple');
}

function isStringy(node: Node | null): boolean {
  return !!node && (node.type === 'string' || node.type === 'concatenated_string');
}

/** A local list whose every element is constant text: `clauses` after `clauses.append(f"{col} = :{col}")`. */
function isListOfConstants(
  ctx: RuleContext,
  node: Node | null,
  options: ShapeOptions,
  depth: number,
): boolean {
  const values = node ? ctx.taint.listValues(node) : undefined;
  return values !== undefined && values.every((v) => stringShape(ctx, v, options, depth + 1) === 'constant');
}

function isConstantContainer(node: Node | null): boolean {
  if (!node) return true;
  if (!['list', 'tuple', 'dictionary', 'set'].includes(node.type)) return false;
  return node.namedChildren.every((c) => !c || literalValue(c) !== undefined || c.type === 'pair');
}

/**
 * The function of this file a call runs: a module-level function by name, or a method of a class of this
 * file called on a new instance (`Helper().transform(x)`). Undefined when it cannot be told.
 */
function helperOf(ctx: RuleContext, fn: Node): Scope | undefined {
  if (fn.type === 'identifier') return moduleFunction(ctx, fn.text);
  if (fn.type !== 'attribute') return undefined;
  const object = fn.childForFieldName('object');
  const method = fn.childForFieldName('attribute')?.text;
  const built = object?.type === 'call' ? object.childForFieldName('function') : null;
  if (built?.type !== 'identifier' || !method) return undefined;
  const [cls, ...others] = ctx.file.classesNamed(built.text);
  if (!cls || others.length > 0) return undefined;
  return ctx.file.functionsNamed(method).find((f) => f.parent === cls);
}

/** A parameter of a view whose routes all declare it with the `int` or `float` converter. */
function isNumericUrlParameter(ctx: RuleContext, name: string, scope: Scope): boolean {
  let view: Scope | null = scope;
  while (view && view.kind !== 'function') view = view.parent;
  if (!view || !view.params.includes(name)) return false;
  const routes = ctx.flask.routesOf(view);
  const converter = new RegExp(`<(int|float)(\\([^)]*\\))?:${name}>`);
  return routes.length > 0 && routes.every((route) => converter.test(route.rule ?? ''));
}

function isRangeCall(ctx: RuleContext, node: Node | null): boolean {
  return node?.type === 'call' && ctx.file.callAt(node)?.callee === 'range';
}
