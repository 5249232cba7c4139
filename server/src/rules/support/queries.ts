import type { Node } from 'web-tree-sitter';
import { failedCheckLeaves } from '../../engine/branches';
import type { RuleContext } from '../../engine/context';
import { contains, isConstantExpression, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { walkValue } from './files';

/**
 * Shared by the rules on query languages other than SQL (LDAP filters and DNs, XPath) and on values the
 * server stores as trusted (session): was the untrusted value validated before it is used?
 *
 * A value counts as validated at a sink when, before the sink in the same function, an `if` that dominates
 * the sink (the sink sits in its branch, or one of its branches returns/raises/aborts/continues and the sink
 * follows in an enclosing block), an `assert`, or a bare call statement checks a variable the value is built
 * from with one of:
 * - membership in a constant collection or an UPPER_CASE name (`role in ALLOWED_ROLES`);
 * - equality with a constant (`kind == "user"`);
 * - a character check (`name.isalnum()`, `name.isdigit()`, `name.isidentifier()`);
 * - an anchored regular expression without a match-anything part (`re.fullmatch(r"[a-z0-9_]+", name)`,
 *   `USERNAME_RE.match(name)` with `USERNAME_RE = re.compile(r"^\w+$")`);
 * - a function whose name says it validates (`validate_username(name)`, `is_valid_uid(name)`).
 */

const CHARACTER_CHECKS = new Set(['isalnum', 'isalpha', 'isdigit', 'isdecimal', 'isnumeric', 'isidentifier']);
const VALIDATOR_NAME =
  /(^|_)(valid|validate|validated|is_valid|check|verify|allowed|is_allowed|is_safe)(_|$)/i;
/**
 * Words of checks of a secret or a signature (`check_password_hash`, `verify_token`): they say nothing of
 * the value's text. Matched as words, so that `validate_hashtag` still validates.
 */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'pwd',
  'hash',
  'digest',
  'signature',
  'hmac',
  'token',
  'otp',
]);
const isValidatorName = (name: string) =>
  VALIDATOR_NAME.test(name) &&
  !name
    .toLowerCase()
    .split('_')
    .some((word) => SECRET_WORDS.has(word));
const BLOCKS = new Set(['block', 'module']);

export interface CheckOptions {
  /** The sink cares about line breaks (logs, headers): a pattern that lets \r or \n through checks nothing. */
  lineBreaks?: boolean;
}

/** Is the value `value` used at `sink` validated before it (see the module comment)? */
export function isValidatedBefore(
  ctx: RuleContext,
  sink: Node,
  value: Node,
  options: CheckOptions = {},
): boolean {
  const names = namesIn(ctx, value);
  if (names.size === 0) return false;
  const scope = ctx.file.scopeAt(sink);
  const statement = statementOf(sink);
  for (const candidate of scope.node.descendantsOfType(['if_statement', 'assert_statement', 'call'])) {
    if (!candidate || candidate.startIndex >= statement.startIndex) continue;
    if (ctx.file.scopeAt(candidate) !== scope) continue;
    if (candidate.type === 'if_statement') {
      const condition = candidate.childForFieldName('condition');
      if (!condition || !checks(ctx, condition, names, options)) continue;
      if (contains(candidate, sink)) {
        // `if not name.isalnum(): log(name)`: the branch that runs when the check fails.
        if (runsWhenCheckFails(candidate, condition, sink)) continue;
        return true;
      }
      if (enclosesLater(candidate, sink) && failedCheckLeaves(ctx.file, candidate, condition)) return true;
    } else if (candidate.type === 'assert_statement') {
      if (enclosesLater(candidate, sink) && checks(ctx, candidate, names, options)) return true;
    } else if (candidate.parent?.type === 'expression_statement') {
      // `validate_username(name)` as a statement of its own: it raises on bad input.
      const site = ctx.file.callAt(candidate);
      if (site && isValidatorName(site.name) && enclosesLater(candidate, sink)) {
        if (shares(namesIn(ctx, site.args.list), names)) return true;
      }
    }
  }
  return false;
}

/**
 * Whether `sink` sits in the branch of `statement` taken when its (simple) check fails: the body of
 * `if not check` / `if x not in ALLOWED` / `if x != "a"`, or the `else` of a plain check.
 */
function runsWhenCheckFails(statement: Node, condition: Node, sink: Node): boolean {
  const body = statement.childForFieldName('consequence');
  const inBody = !!body && contains(body, sink);
  let negated = false;
  const test =
    condition.type === 'parenthesized_expression' ? (condition.namedChildren[0] ?? condition) : condition;
  if (test.type === 'not_operator') negated = true;
  else if (test.type === 'comparison_operator') {
    const operators = test.children
      .filter((c) => c && !c.isNamed)
      .map((c) => c?.text ?? '')
      .join(' ');
    negated = /\bnot in\b|!=/.test(operators);
  } else if (test.type === 'boolean_operator') {
    return false;
  }
  return inBody ? negated : !negated;
}

/** The statement (a child of a block or the module) holding `node`. */
export function statementOf(node: Node): Node {
  let current = node;
  while (current.parent && !BLOCKS.has(current.parent.type)) current = current.parent;
  return current;
}

/** The identifiers the value of `node` is built from, following names to their assignments. */
function namesIn(ctx: RuleContext, node: Node | null): Set<string> {
  const names = new Set<string>();
  walkValue(ctx, node, (n) => {
    if (n.type !== 'identifier') return;
    const parent = n.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === n.id) return;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === n.id) return;
    if (parent?.type === 'call' && parent.childForFieldName('function')?.id === n.id) return;
    if (ctx.file.imports.isImportedName(n.text)) return;
    names.add(n.text);
  });
  return names;
}

function shares(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const name of a) if (b.has(name)) return true;
  return false;
}

/** Does `condition` hold a check (see the module comment) of a value sharing one of `names`? */
function checks(
  ctx: RuleContext,
  condition: Node,
  names: ReadonlySet<string>,
  options: CheckOptions,
): boolean {
  const about = (node: Node | null) => shares(namesIn(ctx, node), names);
  let found = false;
  const visit = (n: Node): void => {
    if (found) return;
    if (n.type === 'call') {
      const site = ctx.file.callAt(n);
      if (site) {
        if (CHARACTER_CHECKS.has(site.name) && site.receiver) {
          found = about(site.receiver);
        } else if (['re.match', 're.fullmatch', 're.search'].includes(site.callee ?? '')) {
          const pattern = stringValue(ctx.file.resolveValue(site.args.positional[0] ?? n));
          found =
            pattern !== undefined &&
            isStrictPattern(pattern, site.callee === 're.fullmatch', options) &&
            about(site.args.positional[1] ?? null);
        } else if (['match', 'fullmatch'].includes(site.name) && site.receiver) {
          const compiled = ctx.file.resolveValue(site.receiver);
          const compile = compiled.type === 'call' ? ctx.file.callAt(compiled) : undefined;
          const pattern =
            compile?.callee === 're.compile' ? stringValue(compile.args.positional[0] ?? null) : undefined;
          found =
            pattern !== undefined &&
            isStrictPattern(pattern, site.name === 'fullmatch', options) &&
            about(site.args.positional[0] ?? null);
        } else if (isValidatorName(site.name)) {
          found = about(site.args.list);
        }
      }
    } else if (n.type === 'comparison_operator') {
      const operators = n.children
        .filter((c) => c && !c.isNamed)
        .map((c) => c?.text ?? '')
        .join(' ');
      const left = n.namedChildren[0] ?? null;
      const right = n.namedChildren[1] ?? null;
      if (/\bin\b/.test(operators) && isAllowList(ctx, right)) found = about(left);
      else if (/==|!=/.test(operators) && (isConstantValue(ctx, left) || isConstantValue(ctx, right)))
        found = about(left) || about(right);
      // `if uid != current_user.uid: abort(403)`: equal to a value the server holds.
      else if (/==|!=/.test(operators) && left && right)
        found = (about(left) && isServerValue(ctx, right)) || (about(right) && isServerValue(ctx, left));
    }
    if (found) return;
    for (const child of n.namedChildren) if (child) visit(child);
  };
  visit(condition);
  return found;
}

/**
 * A value the server holds rather than the request: an attribute or item of the logged-in user, `g` or the
 * session (`current_user.id`, `g.person.uid`, `session["uid"]`), with no request data in it.
 */
function isServerValue(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'attribute' && node.type !== 'subscript') return false;
  if (
    !/^(current_user|g|session|flask\.g|flask\.session|flask_login\.current_user)$/.test(
      ctx.file.imports.qualify(rootName(node)),
    ) &&
    !/^(current_user|g|session)\b/.test(node.text)
  )
    return false;
  return !ctx.taint.reaches(node, 'value');
}

function rootName(node: Node): string {
  let current = node;
  while (current.type === 'attribute' || current.type === 'subscript') {
    const inner = current.childForFieldName(current.type === 'attribute' ? 'object' : 'value');
    if (!inner) break;
    current = inner;
  }
  return current.text;
}

function isConstantValue(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const value = ctx.file.resolveValue(node);
  // `x == ""` / `x == None` only test for presence.
  const text = stringValue(value);
  if (text !== undefined) return text !== '';
  return value.type !== 'none' && isConstantExpression(value);
}

/** An anchored regex with no match-anything part, so that it limits the characters of the value. */
function isStrictPattern(pattern: string, full: boolean, options: CheckOptions): boolean {
  // `\s` (and a class holding it) matches \r and \n: no check against forged lines.
  if (options.lineBreaks && /\\[snrv]|[\r\n]/.test(pattern)) return false;
  if (!full && !/^(\^|\\A)/.test(pattern)) return false;
  if (!full && !/(\$|\\Z|\\z)$/.test(pattern)) return false;
  return !/\.[*+{]|\\S|\\W|\\D|\[\^/.test(pattern);
}

/** A constant collection: `("a", "b")`, `{"en", "fr"}`, or a name (usually UPPER_CASE) assigned one. */
function isAllowList(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const value = ctx.file.resolveValue(node);
  if (['tuple', 'list', 'set', 'dictionary'].includes(value.type)) return isConstantExpression(value);
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    if (site?.name === 'keys' && site.receiver) return isAllowList(ctx, site.receiver);
    if (site && ['frozenset', 'set', 'tuple'].includes(site.name))
      return isAllowList(ctx, site.args.positional[0] ?? null);
  }
  const last = node.type === 'attribute' ? (node.childForFieldName('attribute') ?? node) : node;
  return /^[A-Z][A-Z0-9_]*$/.test(last.text);
}

/** `earlier` is a statement (or in one) of a block that also holds `later`, which comes after it. */
function enclosesLater(earlier: Node, later: Node): boolean {
  const block = statementOf(earlier).parent;
  return !!block && contains(block, later) && later.startIndex > earlier.endIndex;
}

/**
 * How to call the function `qualified` (`ldap.filter.escape_filter_chars`) in this file, with the import to
 * add when it is not available yet (`from ldap.filter import escape_filter_chars`); null when its short
 * name is already taken by something else.
 */
export function callableAs(
  ctx: RuleContext,
  qualified: string,
): { name: string; edits: OffsetEdit[] } | null {
  const dot = qualified.lastIndexOf('.');
  const module = qualified.slice(0, dot);
  const name = qualified.slice(dot + 1);
  const imports = ctx.file.imports;
  if (imports.qualify(name) === qualified && imports.isImportedName(name)) return { name, edits: [] };
  if (imports.isImportedName(name) || ctx.file.module.bindings.has(name)) return null;
  return { name, edits: [importEdit(ctx, `from ${module} import ${name}`)] };
}

/** Adds an import line after the file's last top-level import (or at the top). */
export function importEdit(ctx: RuleContext, line: string): OffsetEdit {
  let last: Node | null = null;
  for (const child of ctx.file.tree.rootNode.namedChildren) {
    if (!child) continue;
    if (['import_statement', 'import_from_statement', 'future_import_statement'].includes(child.type))
      last = child;
  }
  const newline = ctx.file.text.includes('\r\n') ? '\r\n' : '\n';
  if (last) return { start: last.endIndex, end: last.endIndex, newText: `${newline}${line}` };
  return { start: 0, end: 0, newText: `${line}${newline}` };
}
