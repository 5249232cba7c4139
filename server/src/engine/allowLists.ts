import type { Node } from 'web-tree-sitter';
import { leavesOrRebinds } from './branches';
import type { FileModel } from './model';
import {
  dottedName,
  isConstantExpression,
  isStringLiteral,
  lastSegment,
  literalValue,
  stringValue,
} from './syntax';

/**
 * Allow-list checks: where a name can only hold one of a few values the code itself wrote, or text of a
 * kind that cannot carry an injection (digits; letters, digits and `_`).
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
 * Character checks work the same ways, with a weaker result (see `allowListCheck`): `x.isdigit()`,
 * `x.isalnum()`, `re.fullmatch(r"[a-z_]+", x)`, `PATTERN.match(x) is None` (`matchesWordsOnly`).
 *
 * Only checks that run after the value was bound count (the caller says where it was bound). Substring
 * tests (`x in "abc"`), deny-lists (`if x in BLOCKED: abort()` leaves every other value), checks of a
 * derived value (`x.lower() in A`) and guards inside loops the use is not in do not count.
 */
/**
 * What the checks between the binding (at `boundAt`) and `use` guarantee of `name`: `members` when it is one
 * of a few constants, `digits` when it is made of digits only (`if not uid.isdigit(): abort(400)`: harmless
 * in SQL, HTML, a command or a path, but `http://2130706433/` is 127.0.0.1), `word` when it is made of
 * letters, digits and `_` only (`re.fullmatch(r"[A-Za-z_]+", col)`, `name.isalnum()`: no quote, space,
 * dash, dot, slash or markup, but still a name Python code or a host could mean), null when nothing.
 */
export function allowListCheck(model: FileModel, use: Node, name: string, boundAt: number): Check | null {
  const scopeNode = model.scopeAt(use).node;
  let best = NONE;
  let child: Node = use;
  for (let parent = use.parent; parent; child = parent, parent = parent.parent) {
    const isBlock = parent.type === 'block' || parent.type === 'module';
    // Checks enclosing the binding ran before it; only earlier statements of its block can still help.
    const last = parent.id === scopeNode.id || parent.startIndex < boundAt;
    if (!last) best = Math.max(best, checkedBy(model, parent, child, name));
    if (isBlock) best = Math.max(best, guardedBefore(model, parent, child, name, boundAt));
    if (last || best === MEMBERS) break;
  }
  return best === MEMBERS ? 'members' : best === DIGITS ? 'digits' : best === WORD ? 'word' : null;
}

export type Check = 'members' | 'digits' | 'word';

/** How much a check tells of a value, weakest first: combined with Math.max / Math.min. */
type Level = number;
const NONE: Level = 0;
const WORD: Level = 1;
const DIGITS: Level = 2;
const MEMBERS: Level = 3;

/** What `parent` guarantees of `name` in `child` (which holds the use), the part it opens. */
function checkedBy(model: FileModel, parent: Node, child: Node, name: string): Level {
  switch (parent.type) {
    case 'conditional_expression': {
      const [value, condition, alternative] = parent.namedChildren;
      if (!condition) return NONE;
      if (child.id === value?.id) return implies(model, condition, name, true);
      if (child.id === alternative?.id) return implies(model, condition, name, false);
      return NONE;
    }
    case 'list_comprehension':
    case 'set_comprehension':
    case 'generator_expression':
    case 'dictionary_comprehension': {
      if (child.id !== parent.childForFieldName('body')?.id) return NONE;
      let best = NONE;
      for (const clause of parent.namedChildren) {
        const condition = clause?.type === 'if_clause' ? clause.namedChildren[0] : null;
        if (condition) best = Math.max(best, implies(model, condition, name, true));
      }
      return best;
    }
    case 'block':
      return blockChecked(model, parent, name);
    default:
      return NONE;
  }
}

/** A branch of an `if` entered only when `name` passed: its own condition, or an earlier one failed. */
function blockChecked(model: FileModel, block: Node, name: string): Level {
  const clause = block.parent;
  if (!clause) return NONE;
  const ifStatement = clause.type === 'if_statement' ? clause : clause.parent;
  if (ifStatement?.type !== 'if_statement') return NONE;
  let best = NONE;
  for (const branch of [ifStatement, ...ifStatement.namedChildren]) {
    if (!branch) continue;
    if (branch.type !== 'if_statement' && branch.type !== 'elif_clause' && branch.type !== 'else_clause')
      continue;
    const condition = branch.type === 'else_clause' ? null : branch.childForFieldName('condition');
    if (branch.id === clause.id) {
      return condition ? Math.max(best, implies(model, condition, name, true)) : best;
    }
    // An earlier branch not taken: its condition was false.
    if (condition) best = Math.max(best, implies(model, condition, name, false));
  }
  return best;
}

/** An earlier statement of `block` (after the binding, before `child`) that lets only checked values on. */
function guardedBefore(model: FileModel, block: Node, child: Node, name: string, boundAt: number): Level {
  let best = NONE;
  for (const statement of block.namedChildren) {
    if (!statement || statement.startIndex >= child.startIndex) break;
    if (statement.startIndex < boundAt) continue;
    if (statement.type === 'if_statement') {
      const condition = statement.childForFieldName('condition');
      if (condition && leavesOrRebinds(model, statement.childForFieldName('consequence'), new Set([name])))
        best = Math.max(best, implies(model, condition, name, false));
    } else if (statement.type === 'assert_statement') {
      const condition = statement.namedChildren[0];
      if (condition) best = Math.max(best, implies(model, condition, name, true));
    }
  }
  return best;
}

/** String methods that are true only for text made of digits; of letters and digits. */
const DIGIT_CHECKS = new Set(['isdigit', 'isdecimal', 'isnumeric']);
const WORD_CHECKS = new Set(['isalnum', 'isalpha', 'isidentifier']);

/** What a true `x.isdigit()`, `re.fullmatch(pattern, x)` or `PATTERN.match(x)` tells of `x`. */
function characterCheck(model: FileModel, call: Node, name: string): Level {
  const site = model.callAt(call);
  if (!site) return NONE;
  if (dottedName(site.receiver) === name && site.args.positional.length === 0) {
    if (DIGIT_CHECKS.has(site.name)) return DIGITS;
    if (WORD_CHECKS.has(site.name)) return WORD;
    return NONE;
  }
  if (!['fullmatch', 'match', 'search'].includes(site.name)) return NONE;
  const callee = site.callee ?? '';
  const module = callee === `re.${site.name}` || callee === `regex.${site.name}`;
  const subject = module ? site.args.positional[1] : site.args.positional[0];
  if (!subject || dottedName(subject) !== name) return NONE;
  let pattern: string | undefined;
  if (module) {
    if (changesAnchors(site.args.positional[2] ?? site.args.keywords.get('flags'))) return NONE;
    pattern = stringValue(model.resolveValue(site.args.positional[0] as Node));
  } else if (site.receiver) {
    // WORD = re.compile(r"^\w+$"); WORD.match(x)
    const compiled = model.resolveValue(site.receiver);
    const compile = compiled.type === 'call' ? model.callAt(compiled) : undefined;
    const flags = compile?.args.positional[1] ?? compile?.args.keywords.get('flags');
    if ((compile?.callee === 're.compile' || compile?.callee === 'regex.compile') && !changesAnchors(flags))
      pattern = stringValue(compile.args.positional[0] ?? null);
  }
  if (pattern === undefined) return NONE;
  return matchesWordsOnly(pattern, site.name) ? WORD : NONE;
}

/** `re.M` lets `$` match at every line end, `re.X` changes what the pattern means: not a check then. */
function changesAnchors(flags: Node | undefined): boolean {
  return !!flags && /\b(M|MULTILINE|X|VERBOSE)\b/.test(flags.text);
}

/**
 * Does a match of `pattern` by `method` cover the whole text, with only letters, digits and `_` in it? The
 * pattern must be made of those (`[A-Za-z0-9_]` ranges, `\w`, `\d`), quantifiers, groups and alternatives,
 * and be anchored as the method needs: `fullmatch` never, `match` at the end, `search` at both ends. `$`
 * also matches before a final line break, which is harmless wherever a word is.
 */
export function matchesWordsOnly(pattern: string, method: string): boolean {
  let body = pattern;
  const start = /^(\^|\\A)/.exec(body);
  if (start) body = body.slice(start[0].length);
  const end = /(\$|\\Z|\\z)$/.exec(body);
  if (end) body = body.slice(0, body.length - end[0].length);
  if (method === 'search' && !start) return false;
  if (method !== 'fullmatch' && !end) return false;
  if (body === '') return false;
  let depth = 0;
  for (let i = 0; i < body.length;) {
    const rest = body.slice(i);
    const ch = body[i] as string;
    if (/^\\[wd]/.test(rest)) {
      i += 2;
    } else if (ch === '(') {
      // Plain and non-capturing groups; not `(?m)` and other inline flags, look-arounds or named groups.
      if (rest.startsWith('(?') && !rest.startsWith('(?:')) return false;
      depth++;
      i += rest.startsWith('(?:') ? 3 : 1;
    } else if (ch === ')') {
      if (--depth < 0) return false;
      i++;
    } else if (ch === '|') {
      // `\w+|.*` at the top: only `fullmatch` still covers the whole text with one alternative.
      if (depth === 0 && method !== 'fullmatch') return false;
      i++;
    } else if (/[A-Za-z0-9_+*?]/.test(ch)) {
      i++;
    } else if (/^\{\d+(,\d*)?\}/.test(rest)) {
      i = body.indexOf('}', i) + 1;
    } else if (ch === '[') {
      const close = body.indexOf(']', i + 1);
      if (close < 0 || !wordClass(body.slice(i + 1, close))) return false;
      i = close + 1;
    } else {
      return false;
    }
  }
  return depth === 0;
}

/** The inside of `[...]` holds only letters, digits and `_`: no negation, no `-` of its own. */
function wordClass(inside: string): boolean {
  if (!/^(\\[wd]|[A-Za-z0-9_]-[A-Za-z0-9_]|[A-Za-z0-9_])+$/.test(inside)) return false;
  for (const range of inside.matchAll(/([A-Za-z0-9_])-([A-Za-z0-9_])/g)) {
    // Only within one kind: `A-z` also holds [ \ ] ^ ` and _.
    const [from, to] = [range[1] as string, range[2] as string];
    const kind = (c: string) => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 0);
    if (kind(from) === 0 || kind(from) !== kind(to) || from > to) return false;
  }
  return true;
}

/** What `condition` having the truth value `when` tells of `name`. */
function implies(model: FileModel, condition: Node, name: string, when: boolean): Level {
  switch (condition.type) {
    case 'parenthesized_expression': {
      const inner = condition.namedChildren[0];
      return inner ? implies(model, inner, name, when) : NONE;
    }
    case 'not_operator': {
      const argument = condition.childForFieldName('argument');
      return argument ? implies(model, argument, name, !when) : NONE;
    }
    case 'boolean_operator': {
      const left = condition.childForFieldName('left');
      const right = condition.childForFieldName('right');
      if (!left || !right) return NONE;
      const isAnd = condition.childForFieldName('operator')?.text === 'and';
      const a = implies(model, left, name, when);
      const b = implies(model, right, name, when);
      // `a and b` true: both hold; false: one does (either could). `a or b`: the other way round.
      return isAnd === when ? Math.max(a, b) : Math.min(a, b);
    }
    case 'call':
      return when ? characterCheck(model, condition, name) : NONE;
    case 'comparison_operator': {
      const operands = condition.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
      if (operands.length !== 2) return NONE;
      const [left, right] = operands as [Node, Node];
      const operator = condition.children
        .filter((c) => c && !c.isNamed)
        .map((c) => c?.text)
        .join(' ');
      if ((operator === 'is' || operator === 'is not') && right.type === 'none' && left.type === 'call') {
        // `PATTERN.match(x) is None`: the match failed.
        return when === (operator === 'is not') ? characterCheck(model, left, name) : NONE;
      }
      if (operator === 'in' || operator === 'not in') {
        if (dottedName(left) !== name || !isConstantCollection(model, right)) return NONE;
        return when === (operator === 'in') ? MEMBERS : NONE;
      }
      if (operator === '==' || operator === '!=') {
        const constant = dottedName(left) === name ? right : dottedName(right) === name ? left : null;
        const value = constant ? literalValue(constant) : undefined;
        if (value === undefined || value === null) return NONE;
        return when === (operator === '==') ? MEMBERS : NONE;
      }
      return NONE;
    }
    default:
      return NONE;
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
  }
  if (isStringLiteral(value)) return false;
  // `current_app.config["SUPPORTED_LOCALES"]`, `app.config.get("ALLOWED_HOSTS")`: a list the deployment set.
  if (isConfigSetting(model, value)) return true;
  // A name or attribute in UPPER_CASE whose value is not a literal in sight: imported, a class attribute,
  // or loaded (`ALLOWED_HOSTS = settings.hosts()`). The project's own list, by its name.
  const dotted = dottedName(node);
  return dotted !== null && UPPER_CASE.test(lastSegment(dotted));
}

/** `x.config["UPPER_KEY"]` or `x.config.get("UPPER_KEY")`: a Flask setting, named by its key. */
function isConfigSetting(model: FileModel, node: Node): boolean {
  const isConfig = (n: Node | null) =>
    n?.type === 'attribute' && n.childForFieldName('attribute')?.text === 'config';
  if (node.type === 'subscript') {
    const key = stringValue(node.childForFieldName('subscript'));
    return isConfig(node.childForFieldName('value')) && key !== undefined && UPPER_CASE.test(key);
  }
  const site = node.type === 'call' ? model.callAt(node) : undefined;
  const key = stringValue(site?.args.positional[0] ?? null);
  return site?.name === 'get' && isConfig(site.receiver) && key !== undefined && UPPER_CASE.test(key);
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
    // The default may be a literal or another entry of a constant table (`ORDERINGS["name"]`).
    const constantFallback =
      !fallback || literalValue(fallback) !== undefined || isConstantLookup(model, fallback);
    if (site?.name !== 'get' || !constantFallback) return false;
    container = site.receiver;
  }
  // `{"name": "name", "date": "created_at"}.get(order, "id")`: the table written in place.
  if (container?.type === 'dictionary') return isConstantExpression(container);
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
