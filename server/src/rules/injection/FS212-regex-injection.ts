import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Taint } from '../../engine/taint';
import type { OffsetEdit } from '../../engine/types';
import { stringValue } from '../../engine/syntax';
import { importedCallee } from '../support/deserialization';
import { argumentAt } from '../support/files';
import { refinedTaint } from '../support/flows';
import { importEdit, isValidatedBefore } from '../support/queries';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** Functions of `re` and of the third-party `regex` module that take a pattern as first argument. */
const PATTERN_FUNCTIONS = new Set([
  'compile',
  'search',
  'match',
  'fullmatch',
  'findall',
  'finditer',
  'sub',
  'subn',
  'split',
  'splititer',
  'template',
]);
const REGEX_MODULES = ['re', 'regex'];

/**
 * pandas `Series.str` methods that read their pattern as a regular expression, and the keyword that turns
 * that off (`regex=False`) or on (`regex=True`) where the default is a literal.
 */
const PANDAS_STR_METHODS = new Map<string, 'regex' | 'literal'>([
  ['contains', 'regex'],
  ['match', 'regex'],
  ['fullmatch', 'regex'],
  ['extract', 'regex'],
  ['extractall', 'regex'],
  ['findall', 'regex'],
  ['count', 'regex'],
  ['replace', 'literal'],
  ['split', 'literal'],
]);

/** SQLAlchemy column operators that send the pattern to the database's regex engine. */
const SQL_REGEX_METHODS = new Set(['regexp_match', 'regexp_replace']);
/** PostgreSQL `~ ~* !~ !~*`, MySQL/SQLite `REGEXP`/`RLIKE`, given to SQLAlchemy's `.op()`. */
const SQL_REGEX_OPERATORS = /^(!?~\*?|(NOT\s+)?(REGEXP|RLIKE))$/i;

/** BSON regular expressions stored or sent to MongoDB. */
const BSON_REGEX = new Set(['bson.regex.Regex', 'bson.Regex', 'bson.regex.Regex.from_native']);

interface Sink {
  pattern: Node;
  what: string;
  /** Can the pattern be wrapped in `re.escape(...)` here (a Python `re`/`regex` pattern)? */
  escapable: boolean;
}

export default defineRule({
  meta: {
    id: 'FS212',
    name: 'regex-injection',
    title: 'Request data used as a regular expression pattern',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-1333', 'CWE-730'],
    owasp: ['A03:2021'],
    fix: { title: 'Match the text literally with re.escape()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds request data used as the pattern of a regular expression: `re.compile/search/match/fullmatch/findall/finditer/sub/subn/split` and the same functions of the `regex` module (under any import alias), pandas `Series.str.contains/match/fullmatch/extract/extractall/findall/count` (and `replace`/`split` with `regex=True`), SQLAlchemy\'s `column.regexp_match()`/`regexp_replace()` and `column.op("~*")(...)` (also `~`, `REGEXP`, `RLIKE`), MongoEngine/Django `field__regex=`/`field__iregex=` lookups, MongoDB `{"$regex": ...}` filters and `bson.Regex(...)`. Values followed through variables, f-strings, concatenation, joins and helpers of the same file. A pattern escaped with `re.escape()` (also element by element, `"|".join(map(re.escape, words))`), request data passed only as the text searched (`pattern.search(q)`, `re.search(r"\\d+", q)`), `str.contains(q, regex=False)` and values checked against an allow-list or a strict pattern before use are not reported.',
      why: 'A pattern is a small program. A client who chooses it can make the engine backtrack exponentially (`(a+)+$` against `aaaa…!` keeps a worker busy for minutes: a denial of service from one request, ReDoS), and can widen what a search or filter matches (`.*` matches every record, `^admin` probes for values one prefix at a time) where the code expected a plain word.',
      example:
        '@app.route("/search")\ndef search():\n    term = request.args["q"]\n    return jsonify([p for p in PRODUCTS if re.search(term, p["name"], re.I)])',
      fix: '@app.route("/search")\ndef search():\n    term = request.args["q"]\n    # the client\'s text is matched literally\n    return jsonify([p for p in PRODUCTS if re.search(re.escape(term), p["name"], re.I)])\n# pandas: df[df["name"].str.contains(term, regex=False)]',
    },
    references: [
      'https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS',
      'https://cwe.mitre.org/data/definitions/1333.html',
      'https://cwe.mitre.org/data/definitions/730.html',
      'https://docs.python.org/3/library/re.html#re.escape',
    ],
  },
  // A regular expression (re, regex, bson's Regex, pandas' .str methods) built from request data.
  trigger: [/\bre\b|regex|bson|\.[\s\\]*str\b|\.op\(/, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    const sinks: Sink[] = [];
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const sink = callSink(ctx, site);
      if (sink) sinks.push(sink);
    }
    sinks.push(...mongoRegexSinks(ctx));
    for (const sink of sinks) {
      const taint = taintOf(ctx, sink.pattern);
      if (!taint || isValidatedBefore(ctx, sink.pattern, sink.pattern)) continue;
      ctx.report(
        sink.pattern,
        `Request data (${taint.label}) is used as the regular expression of ${sink.what}: a pattern such as (a+)+$ stalls the worker and .* matches everything. Escape it with re.escape() to match the text literally, or check it against an allow-list.`,
        { taint, fix: sink.escapable ? escapeFix(ctx, sink.pattern) : [] },
      );
    }
  },
});

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  return refinedTaint(ctx, node, { sink: 'regex', cleans: (n) => isEscaper(ctx, n) });
}

/** `re.escape(...)` or a reference to it (`map(re.escape, words)`). */
function isEscaper(ctx: RuleContext, node: Node): boolean {
  const value = unwrap(node);
  if (value.type === 'call') {
    const callee = ctx.file.callAt(value)?.callee ?? '';
    return callee === 're.escape' || callee === 'regex.escape';
  }
  const qualified = ctx.file.imports.resolve(value);
  return qualified === 're.escape' || qualified === 'regex.escape';
}

function callSink(ctx: RuleContext, site: CallSite): Sink | null {
  const callee = importedCallee(ctx, site);
  if (callee) {
    const dot = callee.lastIndexOf('.');
    const module = callee.slice(0, dot);
    const name = callee.slice(dot + 1);
    if (REGEX_MODULES.includes(module) && PATTERN_FUNCTIONS.has(name)) {
      const pattern = argumentAt(site, 0, 'pattern');
      return pattern ? { pattern, what: `${site.calleeText ?? callee}()`, escapable: true } : null;
    }
    if (BSON_REGEX.has(callee)) {
      const pattern = argumentAt(site, 0, 'pattern');
      return pattern ? { pattern, what: `${site.calleeText ?? callee}()`, escapable: true } : null;
    }
  }
  // MongoEngine and Django lookups: `Product.objects(name__iregex=q)`, `.filter(title__regex=q)`.
  for (const [name, value] of site.args.keywords) {
    if (/__i?regex$/.test(name)) return { pattern: value, what: `the ${name} lookup`, escapable: true };
  }
  const fn = site.node.childForFieldName('function');
  // SQLAlchemy's `Item.name.op("~*")(q)`: PostgreSQL and MySQL regular-expression operators.
  if (fn?.type === 'call') {
    const operator = ctx.file.callAt(fn);
    const symbol = operator?.name === 'op' ? stringValue(operator.args.positional[0] ?? null) : undefined;
    if (symbol !== undefined && SQL_REGEX_OPERATORS.test(symbol.trim())) {
      const pattern = site.args.positional[0];
      return pattern ? { pattern, what: `the SQL ${symbol.trim()} operator`, escapable: false } : null;
    }
    return null;
  }
  if (fn?.type !== 'attribute' || !site.receiver) return null;
  if (SQL_REGEX_METHODS.has(site.name)) {
    if (ctx.file.imports.isImportedName(site.receiver.text)) return null;
    const pattern = argumentAt(site, 0, 'pattern');
    return pattern ? { pattern, what: `.${site.name}()`, escapable: false } : null;
  }
  // `df["name"].str.contains(q)`: the `.str` accessor of a pandas Series.
  const receiver = unwrap(site.receiver);
  const mode = PANDAS_STR_METHODS.get(site.name);
  if (mode && receiver.type === 'attribute' && receiver.childForFieldName('attribute')?.text === 'str') {
    const flag = site.args.keywords.get('regex');
    const flagValue = flag ? ctx.file.resolveValue(flag).type : undefined;
    const isRegex = mode === 'regex' ? flagValue !== 'false' : flagValue === 'true';
    if (!isRegex) return null;
    const pattern = argumentAt(site, 0, 'pat');
    return pattern ? { pattern, what: `.str.${site.name}()`, escapable: true } : null;
  }
  return null;
}

/** `{"name": {"$regex": q}}`: the value of a `$regex` key anywhere in a dictionary literal. */
function mongoRegexSinks(ctx: RuleContext): Sink[] {
  const out: Sink[] = [];
  if (!ctx.file.text.includes('$regex')) return out;
  for (const pair of ctx.file.nodesOfType('pair')) {
    if (!pair || !ctx.inFocus(pair) || stringValue(pair.childForFieldName('key')) !== '$regex') continue;
    const value = pair.childForFieldName('value');
    if (value) out.push({ pattern: value, what: 'a MongoDB $regex filter', escapable: true });
  }
  return out;
}

/** Wraps the pattern in `re.escape(...)`, importing `re` when the file has no name for it. */
function escapeFix(ctx: RuleContext, pattern: Node): OffsetEdit[] {
  const value = unwrap(pattern);
  // Only a pattern that is the client's text as a whole: a template around it is for the author to fix.
  if (!['identifier', 'subscript', 'call', 'attribute'].includes(value.type)) return [];
  if (value.type === 'call' && isEscaper(ctx, value)) return [];
  const imports = ctx.file.imports;
  let name: string | null = null;
  const edits: OffsetEdit[] = [];
  if (imports.isImportedName('re') && imports.qualify('re') === 're') name = 're.escape';
  else if (imports.isImportedName('escape') && imports.qualify('escape') === 're.escape') name = 'escape';
  else if (!imports.isImportedName('re') && !ctx.file.module.bindings.has('re')) {
    name = 're.escape';
    edits.push(importEdit(ctx, 'import re'));
  }
  if (!name) return [];
  return [{ start: value.startIndex, end: value.endIndex, newText: `${name}(${value.text})` }, ...edits];
}
