import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { contains, stringValue } from '../../engine/syntax';
import { isValidatedBefore } from '../support/queries';
import { preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** Conversions that accept "nan", "inf", "infinity" (any case, with a sign) and return a special value. */
const FLOAT_PARSERS = new Map<string, 'float' | 'decimal'>([
  ['float', 'float'],
  ['builtins.float', 'float'],
  ['complex', 'float'],
  ['builtins.complex', 'float'],
  ['numpy.float64', 'float'],
  ['numpy.float32', 'float'],
  ['numpy.float16', 'float'],
  ['numpy.float_', 'float'],
  ['numpy.double', 'float'],
  ['numpy.single', 'float'],
  ['numpy.longdouble', 'float'],
  ['numpy.complex128', 'float'],
  ['decimal.Decimal', 'decimal'],
]);

/** Werkzeug `MultiDict.get(key, default, type)` converters that let "nan" through. */
const TYPE_CONVERTERS = new Set(['float', 'builtins.float', 'decimal.Decimal', 'numpy.float64']);

/** Checks that tell a NaN or an infinity from a number. */
const SPECIAL_VALUE_CHECKS = new Set([
  'math.isnan',
  'math.isinf',
  'math.isfinite',
  'cmath.isnan',
  'cmath.isinf',
  'cmath.isfinite',
  'numpy.isnan',
  'numpy.isinf',
  'numpy.isfinite',
  'numpy.nan_to_num',
  'pandas.isna',
  'pandas.isnull',
  'pandas.notna',
  'pandas.notnull',
]);
/** `Decimal` methods that tell a NaN or an infinity. */
const SPECIAL_VALUE_METHODS = new Set(['is_nan', 'is_finite', 'is_infinite', 'is_snan', 'is_qnan']);
/** Functions that raise on NaN and infinity (`int(float("nan"))` is a ValueError): nothing misbehaves silently. */
const RAISING_ON_SPECIAL = new Set([
  'int',
  'builtins.int',
  'round',
  'math.floor',
  'math.ceil',
  'math.trunc',
  'math.factorial',
]);
/** Calls that only turn the number into text. */
const FORMATTING = new Set(['str', 'repr', 'format', 'builtins.str', 'builtins.format']);
/** Project helpers whose name says they check the number (`validate_amount(x)`, `ensure_finite(x)`). */
const CHECKER_NAME =
  /(^|_)(valid|validate|validated|is_valid|check|checked|verify|ensure|finite|is_finite|isfinite|nan|isnan|is_nan)(_|$)/i;
const ORDERING = /^(<|>|<=|>=)$/;
/** Wrappers that keep the value as it is. */
const CLIMB = new Set(['parenthesized_expression', 'unary_operator']);

export default defineRule({
  meta: {
    id: 'FS210',
    name: 'nan-injection',
    title: 'Request data converted with float() without rejecting NaN and infinity',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-704'],
    owasp: ['A03:2021'],
    docs: {
      summary:
        'Finds request data converted with `float()`, `complex()`, `numpy.float64()` (and the other numpy float types), `decimal.Decimal()`, `map(float, ...)` or `request.args.get(..., type=float)` whose result is then compared, computed with, stored, passed on or returned. Not reported: a string checked before the conversion (`.isdigit()`, an anchored regular expression, an allow-list), a result checked with `math.isnan`/`math.isfinite`/`math.isinf` (also numpy and `Decimal.is_finite()`), a result guarded by a negated or positive range check (`if not 0 < amount <= limit: abort(400)`, `if 0 < amount <= balance: ...`), a result passed to `int()`/`round()`/`math.floor()` (which raise on NaN), only formatted as text, or thrown away (`float(x)` as a check), and `int()` conversions.',
      why: '`float("nan")`, `float("inf")` and `float("-Infinity")` succeed. NaN compares false with everything, so `if amount > balance: abort(402)` lets a NaN amount through and `balance - amount` becomes NaN: the balance, a price, a score or a rate limit is silently corrupted, and infinity overflows totals. `Decimal("NaN")` and `Decimal("Infinity")` are accepted as well. The client only has to send the word `nan`.',
      example:
        '@app.post("/transfer")\ndef transfer():\n    amount = float(request.form["amount"])\n    if amount > current_user.balance:\n        abort(402)\n    current_user.balance -= amount',
      fix: '@app.post("/transfer")\ndef transfer():\n    amount = float(request.form["amount"])\n    if not math.isfinite(amount) or not 0 < amount <= current_user.balance:\n        abort(400)\n    current_user.balance -= amount\n# or: Decimal(...) with value.is_finite(), or int() amounts in cents',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/704.html',
      'https://docs.python.org/3/library/functions.html#float',
      'https://docs.python.org/3/library/math.html#math.isfinite',
      'https://docs.python.org/3/library/decimal.html#decimal.Decimal.is_finite',
    ],
  },
  // A conversion to a float (float, complex, numpy, decimal.Decimal) of request data.
  trigger: [/float|complex|numpy|decimal/, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const conversion = conversionOf(ctx, site);
      if (!conversion) continue;
      const { taint, kind, what, text } = conversion;
      if (text && isValidatedBefore(ctx, site.node, text)) continue;
      if (isHarmless(ctx, site.node, 0)) continue;
      const consequence =
        kind === 'decimal'
          ? '"NaN", "sNaN" and "Infinity" are accepted, poison sums and slip past bounds ("-Infinity" < limit); check value.is_finite() before using it'
          : '"nan" and "inf" are accepted, NaN makes every comparison false (amount > balance lets it through) and poisons arithmetic; reject them with math.isfinite(), or parse with int()';
      ctx.report(
        site.node,
        `Request data (${taint.label}) is converted with ${what} and used unchecked: ${consequence}.`,
        { taint },
      );
    }
  },
});

interface Conversion {
  taint: Taint;
  kind: 'float' | 'decimal';
  what: string;
  /** The text converted, when it is an argument (not a Werkzeug `type=` converter). */
  text: Node | null;
}

function conversionOf(ctx: RuleContext, site: CallSite): Conversion | null {
  const callee = site.callee ?? '';
  const kind = FLOAT_PARSERS.get(callee);
  if (kind) {
    if (!callee.includes('.') && isShadowed(ctx, callee)) return null;
    const text = site.args.positional[0];
    if (!text || site.args.positional.length > 1) return null;
    // `float(amount)` of a number parsed before: the first conversion is the one reported.
    const converted = unwrap(ctx.file.resolveValue(text));
    const inner = converted.type === 'call' ? (ctx.file.callAt(converted)?.callee ?? '') : '';
    if (FLOAT_PARSERS.has(inner) || RAISING_ON_SPECIAL.has(inner)) return null;
    // The engine's taint stops at float() (a number carries no text); the text going in is what matters.
    const taint = preciseTaint(ctx, text, { sink: 'value', followCalls: false });
    return taint ? { taint, kind, what: `${site.calleeText ?? callee}()`, text } : null;
  }
  // `map(float, request.form["latlon"].split(","))`: each item converted as float(item) would be.
  if (callee === 'map' && !isShadowed(ctx, 'map') && site.args.positional.length === 2) {
    const [fn, items] = site.args.positional as [Node, Node];
    const parser = ctx.file.imports.resolve(fn) ?? fn.text;
    const mapped = FLOAT_PARSERS.get(parser);
    if (!mapped || (!parser.includes('.') && isShadowed(ctx, parser))) return null;
    const taint = preciseTaint(ctx, items, { sink: 'value', followCalls: false });
    return taint ? { taint, kind: mapped, what: `map(${fn.text}, ...)`, text: null } : null;
  }
  // `request.args.get("price", type=float)`, `request.form.get("x", 0.0, float)`.
  if (!['get', 'getlist'].includes(site.name) || !site.receiver) return null;
  const converter = site.args.keywords.get('type') ?? site.args.positional[2];
  const qualified = converter ? ctx.file.imports.resolve(converter) : null;
  if (!qualified || !TYPE_CONVERTERS.has(qualified)) return null;
  const taint = ctx.taint.reaches(site.receiver, 'value', site.scope);
  if (!taint) return null;
  return {
    taint,
    kind: qualified === 'decimal.Decimal' ? 'decimal' : 'float',
    what: `.${site.name}(..., type=${converter?.text ?? 'float'})`,
    text: null,
  };
}

/** A builtin name the file redefines (`def float(...)`, `float = ...`). */
function isShadowed(ctx: RuleContext, name: string): boolean {
  return ctx.file.module.bindings.has(name) || ctx.file.functionsNamed(name).length > 0;
}

/**
 * Is the converted number used in a way where NaN and infinity cannot do harm: thrown away, checked, passed to
 * a function that raises on them, formatted as text, or held in a variable whose uses are all guarded?
 */
function isHarmless(ctx: RuleContext, call: Node, depth: number): boolean {
  if (depth > 3) return false;
  // Arithmetic keeps NaN and infinity (`price * qty`): what matters is where the result goes.
  let node = call;
  for (let up = node.parent; up && (CLIMB.has(up.type) || isArithmetic(up)); up = up.parent) node = up;
  const parent = node.parent;
  if (!parent) return false;
  switch (parent.type) {
    case 'expression_statement':
      return true; // `float(x)` as a check that it parses: the string is what gets used.
    case 'interpolation':
      return true;
    case 'argument_list': {
      const outer = parent.parent;
      const site = outer ? ctx.file.callAt(outer) : undefined;
      if (!site) return false;
      const callee = site.callee ?? '';
      // round(x) raises on NaN; round(x, 2) returns NaN.
      const raises =
        RAISING_ON_SPECIAL.has(callee) &&
        (callee !== 'round' || (site.args.positional.length === 1 && !site.args.keywords.has('ndigits')));
      if (SPECIAL_VALUE_CHECKS.has(callee) || raises || FORMATTING.has(callee)) return true;
      if (site.name === 'format' && outer?.childForFieldName('function')?.type === 'attribute') return true;
      return CHECKER_NAME.test(site.name) && !callee.includes('.');
    }
    case 'binary_operator':
    case 'tuple': {
      // `"%.2f" % float(x)`, `"%s %s" % (a, float(x))`: text.
      const formatting = parent.type === 'tuple' ? parent.parent : parent;
      return (
        formatting?.type === 'binary_operator' &&
        formatting.childForFieldName('operator')?.text === '%' &&
        stringValue(formatting.childForFieldName('left')) !== undefined
      );
    }
    case 'assignment': {
      const left = parent.childForFieldName('left');
      if (parent.childForFieldName('right')?.id !== node.id || left?.type !== 'identifier') return false;
      return isGuardedName(ctx, left.text, parent, ctx.file.scopeAt(parent), depth);
    }
    case 'return_statement':
      return returnedHarmlessly(ctx, ctx.file.scopeAt(parent), depth);
    default:
      return false;
  }
}

function isArithmetic(node: Node): boolean {
  if (node.type !== 'binary_operator') return false;
  const operator = node.childForFieldName('operator')?.text ?? '';
  if (operator === '%') return stringValue(node.childForFieldName('left')) === undefined;
  return ['+', '-', '*', '/', '//', '**'].includes(operator);
}

/** The function returns the number: harmless when every call of it in this file uses the result harmlessly. */
function returnedHarmlessly(ctx: RuleContext, fn: Scope, depth: number): boolean {
  if (fn.kind !== 'function' || ctx.flask.routesOf(fn).length > 0) return false;
  const calls = ctx.file
    .callsNamed(fn.name)
    .filter(
      (c) => c.node.childForFieldName('function')?.type === 'identifier' || c.receiver?.text === 'self',
    );
  return calls.length > 0 && calls.every((c) => isHarmless(ctx, c.node, depth + 1));
}

/**
 * `amount = float(...)`: are the uses of `amount` that this assignment reaches all harmless — none at all,
 * each one harmless where it is (formatted as text, passed to `int()`), a NaN/infinity check among them, a range check that NaN fails (`if not 0 < amount <= limit: abort()`,
 * `assert amount > 0`), or every use inside the body of an `if` whose condition compares the number?
 */
function isGuardedName(ctx: RuleContext, name: string, assignment: Node, scope: Scope, depth = 0): boolean {
  const reads: Node[] = [];
  for (const id of scope.node.descendantsOfType('identifier')) {
    if (!id || id.text !== name || id.startIndex < assignment.endIndex) continue;
    if (ctx.file.scopeAt(id) !== scope || isNamePart(id) || isAssignmentTarget(id)) continue;
    if (!ctx.file.reaching(name, id, scope).some((b) => b.node.id === assignment.id)) continue;
    reads.push(id);
  }
  if (reads.length === 0) return true;
  if (reads.some((read) => isSpecialValueCheck(ctx, read) || isFailingRangeCheck(read))) return true;
  // `weight = float(...)` then only `f"{weight:.2f} kg"`: every use is harmless where it is.
  if (reads.every((read) => isHarmless(ctx, read, depth + 1))) return true;
  const outside = reads.filter((read) => !inCondition(read));
  return outside.length > 0 && outside.every((read) => insideComparedBranch(read, name));
}

function isNamePart(id: Node): boolean {
  const parent = id.parent;
  if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === id.id) return true;
  return parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === id.id;
}

function isAssignmentTarget(id: Node): boolean {
  // `amount = ...` rebinds; `amount += 1` reads the number too.
  const parent = id.parent;
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === id.id;
}

/** `math.isnan(x)`, `x.is_finite()`, `x != x`, `validate_amount(x)`. */
function isSpecialValueCheck(ctx: RuleContext, read: Node): boolean {
  const parent = read.parent;
  if (!parent) return false;
  if (parent.type === 'argument_list' && parent.parent) {
    const site = ctx.file.callAt(parent.parent);
    const callee = site?.callee ?? '';
    if (SPECIAL_VALUE_CHECKS.has(callee)) return true;
    if (site && !callee.includes('.') && CHECKER_NAME.test(site.name)) return true;
  }
  if (parent.type === 'attribute' && parent.parent?.type === 'call') {
    const method = parent.childForFieldName('attribute')?.text ?? '';
    if (SPECIAL_VALUE_METHODS.has(method)) return true;
  }
  if (parent.type === 'comparison_operator') {
    const [left, right] = parent.namedChildren;
    return !!left && !!right && left.text === right.text && operators(parent).every((o) => /[!=]=/.test(o));
  }
  return false;
}

/** A read in an ordering comparison that NaN makes fail: under `not` in a condition, or in an `assert`. */
function isFailingRangeCheck(read: Node): boolean {
  const comparison = read.parent;
  if (comparison?.type !== 'comparison_operator' || !operators(comparison).every((o) => ORDERING.test(o)))
    return false;
  let outer: Node = comparison;
  while (outer.parent?.type === 'parenthesized_expression') outer = outer.parent;
  if (outer.parent?.type === 'not_operator') return inCondition(outer.parent);
  return outer.parent?.type === 'assert_statement';
}

function operators(comparison: Node): string[] {
  return comparison.children.filter((c) => c && !c.isNamed).map((c) => c?.text ?? '');
}

/** Is the node part of the condition of an `if`/`elif`/`while` or of an `assert`? */
function inCondition(node: Node): boolean {
  for (let current: Node | null = node; current?.parent; current = current.parent) {
    const parent: Node = current.parent;
    if (['if_statement', 'elif_clause', 'while_statement'].includes(parent.type))
      return parent.childForFieldName('condition')?.id === current.id;
    if (parent.type === 'assert_statement') return true;
    if (['block', 'expression_statement', 'module'].includes(parent.type)) return false;
  }
  return false;
}

/** Inside the body of an `if` whose condition requires an ordering comparison of `name` to hold. */
function insideComparedBranch(read: Node, name: string): boolean {
  for (let current: Node | null = read.parent; current; current = current.parent) {
    if (current.type !== 'if_statement' && current.type !== 'elif_clause') continue;
    const body = current.childForFieldName('consequence');
    const condition = current.childForFieldName('condition');
    if (body && condition && contains(body, read) && requiresComparison(condition, name)) return true;
  }
  return false;
}

function requiresComparison(condition: Node, name: string): boolean {
  const node = unwrap(condition);
  if (node.type === 'comparison_operator') {
    return (
      operators(node).every((o) => ORDERING.test(o)) &&
      node.namedChildren.some((c) => c?.type === 'identifier' && c.text === name)
    );
  }
  if (node.type === 'boolean_operator' && node.childForFieldName('operator')?.text === 'and') {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    return (!!left && requiresComparison(left, name)) || (!!right && requiresComparison(right, name));
  }
  return false;
}
