import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { ConfigWrite } from '../../engine/flask';
import type { Scope } from '../../engine/scopes';
import { dottedName, isTruthyLiteral, lastSegment, stringValue } from '../../engine/syntax';

/**
 * Helpers of the access-control family (CSRF, JWT, CORS, mass assignment): configuration writes in every
 * spelling including the ones a Flask-agnostic module uses, test-only configuration, allow-list guards.
 */

const DEFINITION_TYPES = new Set(['class_definition', 'function_definition']);
/** `TestConfig`, `TestingConfig`, `UnitTestSettings`, `test_app`, `make_testing_app` (not `latest`). */
const TEST_NAME = /^tests?(_|$)|(^|_)(tests?|testing)(_|$)|^test|Test(s|ing)?([A-Z_0-9]|$)/;

/**
 * Writes of the configuration keys `keys`: what the Flask model knows (`app.config[...]`, `.update`,
 * `from_mapping`, config classes and config modules) plus the spellings a distinctive key makes safe to
 * accept anywhere: `KEY = v` in any class or at module level, `obj.KEY = v` (`app.config.KEY = v`),
 * `{"KEY": v}` in any dictionary and `KEY=v` passed to any call.
 */
export function configWritesOfKey(ctx: RuleContext, ...keys: string[]): ConfigWrite[] {
  const index = configWriteIndex(ctx);
  const out = [...ctx.flask.configWritesOf(...keys)];
  const seen = new Set(out.map((w) => w.node.id));
  for (const key of keys) {
    for (const write of index.get(key) ?? []) {
      if (seen.has(write.node.id)) continue;
      seen.add(write.node.id);
      out.push(write);
    }
  }
  return out.sort((a, b) => a.node.startIndex - b.node.startIndex);
}

const WRITE_INDEX = new WeakMap<object, Map<string, ConfigWrite[]>>();

/**
 * Every spelling of a configuration write in the file, by key, built once per file: several rules ask for
 * several keys each, and walking every binding, dictionary pair and keyword argument per question made this
 * the costliest helper of the rule set.
 */
function configWriteIndex(ctx: RuleContext): Map<string, ConfigWrite[]> {
  const cached = WRITE_INDEX.get(ctx.file);
  if (cached) return cached;
  const found = new Map<string, ConfigWrite[]>();
  const add = (write: ConfigWrite) => {
    const list = found.get(write.key);
    if (list) list.push(write);
    else found.set(write.key, [write]);
  };
  // Configuration keys are upper-case by convention (and Flask only reads upper-case keys from objects).
  const configKey = (key: string) => /^[A-Z][A-Z0-9_]*$/.test(key);
  for (const scope of ctx.file.scopes) {
    for (const [name, bindings] of scope.bindings) {
      const key = lastSegment(name);
      if (!configKey(key)) continue;
      for (const binding of bindings) {
        if (binding.kind !== 'assign' || !binding.value) continue;
        const left = binding.node.childForFieldName('left');
        if (left?.type === 'identifier' && scope.kind !== 'function') {
          add({
            key,
            value: binding.value,
            node: binding.node,
            via: scope.kind === 'class' ? 'class' : 'module',
            target: '',
          });
        } else if (left?.type === 'attribute') {
          const object = left.childForFieldName('object');
          add({
            key,
            value: binding.value,
            node: binding.node,
            via: 'attribute',
            target: dottedName(object) ?? '',
          });
        }
      }
    }
  }
  for (const pair of ctx.file.nodesOfType('pair')) {
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key && value && configKey(key)) add({ key, value, node: pair, via: 'update', target: '' });
  }
  for (const argument of ctx.file.nodesOfType('keyword_argument')) {
    const key = argument.childForFieldName('name')?.text ?? '';
    if (!configKey(key)) continue;
    const value = argument.childForFieldName('value');
    if (value) add({ key, value, node: argument, via: 'update', target: '' });
  }
  WRITE_INDEX.set(ctx.file, found);
  return found;
}

/**
 * Is a configuration write meant for tests only? A class or function named for tests, a pytest fixture,
 * `conftest.py`, or `TESTING = True` written alongside (same call, dictionary, class or function).
 */
export function isTestOnlyConfiguration(ctx: RuleContext, write: ConfigWrite): boolean {
  if (/(^|[\\/])conftest\.py$/.test(ctx.file.path)) return true;
  for (let current = write.node.parent; current; current = current.parent) {
    // `if app.testing:` / `if config_name == "testing":` — the branch taken in tests only
    if (current.type === 'if_statement') {
      const condition = current.childForFieldName('condition')?.text ?? '';
      const consequence = current.childForFieldName('consequence');
      const inBranch =
        consequence !== null &&
        consequence.startIndex <= write.node.startIndex &&
        write.node.endIndex <= consequence.endIndex;
      if (inBranch && /test/i.test(condition) && !/\bnot\b|!=/.test(condition)) return true;
      continue;
    }
    if (!DEFINITION_TYPES.has(current.type)) continue;
    const name = current.childForFieldName('name')?.text ?? '';
    if (TEST_NAME.test(name)) return true;
    const decorated = current.parent?.type === 'decorated_definition' ? current.parent : null;
    if (decorated && /fixture/.test(decorated.namedChildren.map((d) => d?.text ?? '').join(' '))) {
      return true;
    }
  }
  // `app.config.update(WTF_CSRF_ENABLED=False, TESTING=True)` / `{"TESTING": True, ...}`.
  const container = write.node.parent;
  if (container && (container.type === 'argument_list' || container.type === 'dictionary')) {
    for (const sibling of container.namedChildren) {
      if (!sibling || sibling.id === write.node.id) continue;
      const key =
        sibling.type === 'keyword_argument'
          ? sibling.childForFieldName('name')?.text
          : sibling.type === 'pair'
            ? stringValue(sibling.childForFieldName('key'))
            : undefined;
      if (key === 'TESTING' && isTruthyLiteral(sibling.childForFieldName('value'))) return true;
    }
  }
  // `TESTING = True` / `app.config["TESTING"] = True` / `app.testing = True` in the same class or function.
  const scope = ctx.file.scopeAt(write.node);
  if (scope.kind === 'module') return false;
  return configWritesOfKey(ctx, 'TESTING').some(
    (w) => isTruthyLiteral(ctx.file.resolveValue(w.value)) && ctx.file.scopeAt(w.node) === scope,
  );
}

/** The innermost function scope around a node, or null at module/class level. */
export function enclosingFunction(ctx: RuleContext, node: Node): Scope | null {
  for (let scope: Scope | null = ctx.file.scopeAt(node); scope; scope = scope.parent) {
    if (scope.kind === 'function') return scope;
  }
  return null;
}

const CHECK_METHODS =
  /^(match|fullmatch|search|endswith|startswith|is_allowed\w*|is_valid\w*|allowed\w*|check\w*|validate\w*|verify\w*)$/;

/**
 * Does the code around `node` compare one of `names` against something before using it — an allow-list
 * check such as `if origin in ALLOWED_ORIGINS`, `if key not in FIELDS: continue`, `origin == settings.X`,
 * `re.fullmatch(PATTERN, origin)`? Checks against the object's own attributes (`hasattr`, `__table__`,
 * `__dict__`) do not count: they allow every column.
 */
export function isCheckedAgainstAllowList(ctx: RuleContext, node: Node, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  const fn = enclosingFunction(ctx, node);
  const region = fn?.node ?? ctx.file.tree.rootNode;
  const mentions = (candidate: Node | null): boolean => {
    if (!candidate) return false;
    if (candidate.type === 'identifier' && names.includes(candidate.text)) return true;
    if (names.some((n) => n.includes('.') || n.includes('(')) && names.includes(candidate.text)) return true;
    return candidate.namedChildren.some((c) => mentions(c));
  };
  for (const comparison of region.descendantsOfType('comparison_operator')) {
    if (!comparison || comparison.startIndex > node.startIndex) continue;
    const text = comparison.text;
    if (/__table__|__mapper__|__dict__|\bcolumns\b|\bdir\s*\(|\bvars\s*\(/.test(text)) continue;
    const operators = comparison.children
      .filter((c) => c && !c.isNamed)
      .map((c) => c?.text ?? '')
      .join(' ');
    if (!/\bin\b|==/.test(operators)) continue;
    // `key in fields` with `fields = User.__table__.columns.keys()`: every column is allowed.
    const against = comparison.namedChildren[comparison.namedChildren.length - 1] ?? null;
    if (against && /__table__|__mapper__|__dict__|\bcolumns\b/.test(ctx.file.resolveValue(against).text))
      continue;
    // `if key in PROTECTED: continue` skips what is listed and lets everything else through.
    if (isDenyList(comparison, /\bnot\s+in\b|!=/.test(operators))) continue;
    // `origin in ALLOWED` checks the value; `"example.com" in origin` is a substring test any value
    // containing it passes (`https://example.com.evil.net`).
    if (/\bin\b/.test(operators) ? mentions(comparison.namedChildren[0] ?? null) : mentions(comparison))
      return true;
  }
  for (const call of region.descendantsOfType('call')) {
    if (!call || call.startIndex > node.startIndex) continue;
    const site = ctx.file.callAt(call);
    if (!site || !CHECK_METHODS.test(site.name)) continue;
    // `origin.endswith("example.com")` lets `evilexample.com` through; `.endswith(".example.com")` does not.
    if (site.name === 'endswith' && !endsAtBoundary(site.args.positional[0] ?? null)) continue;
    // `re.match(r"https://.*\.example\.com", origin)` also matches `https://a.example.com.evil.net`.
    if ((site.name === 'match' || site.name === 'search') && !anchoredAtEnd(ctx, site)) continue;
    if (site.args.positional.some((a) => mentions(a)) || mentions(site.receiver)) return true;
  }
  return false;
}

/**
 * A membership or equality test used as a deny-list, which lets every value it does not name through: its
 * `if` leaves the loop or the function when the value IS listed (`if key in PROTECTED: continue`), or
 * runs its body when it is NOT (`if key not in PROTECTED: setattr(...)`). `if key not in ALLOWED:
 * continue` and `if origin in ALLOWED: ...` are allow-lists.
 */
function isDenyList(comparison: Node, negated: boolean): boolean {
  let condition = comparison;
  let inverted = negated;
  while (condition.parent?.type === 'not_operator' || condition.parent?.type === 'parenthesized_expression') {
    if (condition.parent.type === 'not_operator') inverted = !inverted;
    condition = condition.parent;
  }
  const statement = condition.parent;
  if (statement?.type !== 'if_statement' || statement.childForFieldName('condition')?.id !== condition.id)
    return false;
  const body = statement.childForFieldName('consequence');
  const exits =
    body !== null &&
    body.namedChildren.length > 0 &&
    body.namedChildren.every(
      (s) =>
        s !== null &&
        (['continue_statement', 'return_statement', 'raise_statement', 'break_statement'].includes(s.type) ||
          (s.type === 'expression_statement' && /^abort\s*\(/.test(s.text))),
    );
  // Exiting when listed, or writing (inside the `if`) only when not listed.
  return exits ? !inverted : inverted;
}

/** `re.match`/`re.search` (or a compiled pattern's) with a literal pattern that ends in `$` or `\Z`. */
function anchoredAtEnd(
  ctx: RuleContext,
  site: { receiver: Node | null; args: { positional: readonly Node[] } },
): boolean {
  const receiver = site.receiver ? ctx.file.resolveValue(site.receiver) : null;
  const compiled = receiver?.type === 'call' ? ctx.file.callAt(receiver) : undefined;
  const patternNode =
    compiled?.callee === 're.compile'
      ? compiled.args.positional[0]
      : site.receiver?.text === 're'
        ? site.args.positional[0]
        : undefined;
  const pattern = patternNode ? stringValue(ctx.file.resolveValue(patternNode)) : undefined;
  // A pattern this code does not spell out is taken on trust.
  if (pattern === undefined) return true;
  return /(\$|\\Z)\)*$/.test(pattern);
}

/** An `endswith` suffix that starts at a name boundary (`.example.com`), or one that is not a literal. */
export function endsAtBoundary(suffix: Node | null): boolean {
  if (!suffix) return true;
  const items = suffix.type === 'tuple' ? suffix.namedChildren : [suffix];
  return items.every((item) => {
    const text = item ? stringValue(item) : undefined;
    return text === undefined || /^[./:@]/.test(text);
  });
}

/** The start of the line holding `offset` (for removing whole lines, decorators for instance). */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just after the end of the line holding `offset` (after its newline). */
export function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline < 0 ? text.length : newline + 1;
}
