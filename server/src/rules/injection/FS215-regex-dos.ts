import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringPrefix, stringValue } from '../../engine/syntax';
import { importedCallee } from '../support/deserialization';
import { argumentAt } from '../support/files';
import { exponentialBacktracking } from '../support/redos';
import { defineRule } from '../rule';

/** `re`/`regex` functions whose first argument is a pattern, and where the text searched is. */
const PATTERN_FUNCTIONS = new Map<string, number>([
  ['compile', -1],
  ['search', 1],
  ['match', 1],
  ['fullmatch', 1],
  ['findall', 1],
  ['finditer', 1],
  ['sub', 2],
  ['subn', 2],
  ['split', 1],
]);
/** WTForms' and Flask-WTF's pattern validator (`Regexp(r"^...$")`), and marshmallow's. */
const VALIDATORS =
  /^(wtforms\.validators|flask_wtf\.validators|wtforms|marshmallow\.validate)\.(Regexp|regexp)$/;

export default defineRule({
  meta: {
    id: 'FS215',
    name: 'regex-dos',
    title: 'Regular expression with exponential backtracking (ReDoS)',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-1333', 'CWE-730'],
    owasp: ['A05:2021'],
    docs: {
      summary:
        'Finds constant regular expressions that can take exponential time: a repeated group whose body can also match two of its own iterations (`(a+)+`, `(\\w+\\s?)*$`, `([a-z0-9]+)*@`, `(x+x+)+y`, the classic e-mail and URL patterns built this way), or whose alternatives match the same text (`(a|a)*`, `(\\s|.)*`, `(\\d|\\d\\d)+`), with something after it that can fail (so the engine tries every split before giving up). Patterns given to `re.compile/search/match/fullmatch/findall/finditer/sub/subn/split`, the same functions of the `regex` module (where only overlapping alternatives count: it copes with nested quantifiers), WTForms/Flask-WTF `Regexp(...)` validators and marshmallow `validate.Regexp`. Patterns may be literals, constants or literals joined with `+`; `re.VERBOSE` patterns are read without their spacing and comments. Each pattern is tested on its own structure with a witness string, not matched against a list of known bad patterns. Linear look-alikes are not reported: `([a-z]+\\.)+`, `(ab+)+`, `(\\d{3}-)+`, bounded repeats, and a repeated group with nothing after it. Patterns with back-references, lookbehind, atomic groups or possessive quantifiers are not judged.',
      why: "Python's `re` backtracks: on a string that almost matches (`aaaaaaaaaaaaaaaaaaaaaaaaaaaa!`), a pattern like `^(\\w+\\s?)*$` tries every way to split the text between the nested repetitions before failing, which doubles with each character. Thirty characters in a form field or query parameter keep a worker busy for minutes; a handful of requests takes the app down (regular-expression denial of service).",
      example:
        'EMAIL = re.compile(r"^([a-zA-Z0-9]+)*@example\\.com$")\nif not EMAIL.match(request.form["email"]):\n    abort(400)',
      fix: 'EMAIL = re.compile(r"^[a-zA-Z0-9]+@example\\.com$")  # one repetition, no nesting\nif not EMAIL.match(request.form["email"]):\n    abort(400)',
    },
    references: [
      'https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS',
      'https://cwe.mitre.org/data/definitions/1333.html',
      'https://codeql.github.com/codeql-query-help/python/py-redos/',
      'https://docs.python.org/3/howto/regex.html',
    ],
  },
  // A pattern handed to re/regex, or a pattern validator.
  trigger: /\bre\b|regex|Regexp|regexp/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const sink = patternOf(ctx, site);
      if (!sink) continue;
      // A literal, a constant, or constants joined with + (PREFIX + r"(a+)+$").
      const raw = patternText(ctx, sink.pattern, 0);
      if (raw === undefined || raw.length > 2_000) continue;
      // re.VERBOSE / re.X / (?x): whitespace and # comments are not part of the pattern.
      const verbose =
        /^\(\?[aiLmsu]*x/.test(raw) ||
        [...site.args.positional.slice(1), ...site.args.keywords.values()].some((arg) =>
          /\b(re|regex)\.(VERBOSE|X)\b|\bVERBOSE\b/.test(arg.text),
        );
      const text = verbose ? withoutVerboseSpacing(raw) : raw;
      const redos = exponentialBacktracking(text, {
        alternativesOnly: sink.module === 'regex',
        fullMatch: sink.fullMatch,
      });
      if (!redos) continue;
      ctx.report(
        sink.pattern,
        `This regular expression can take exponential time (${redos.reason}): a string that almost matches, thirty characters long, keeps the worker busy for minutes (ReDoS). Rewrite it without a repetition inside a repetition over the same characters, or limit the input's length first.`,
      );
    }
  },
});

interface PatternSink {
  pattern: Node;
  module: 're' | 'regex' | 'validator';
  fullMatch: boolean;
}

function patternOf(ctx: RuleContext, site: CallSite): PatternSink | null {
  const callee = importedCallee(ctx, site) ?? site.callee ?? '';
  const dot = callee.lastIndexOf('.');
  const module = callee.slice(0, dot);
  const name = callee.slice(dot + 1);
  if ((module === 're' || module === 'regex') && PATTERN_FUNCTIONS.has(name)) {
    const pattern = argumentAt(site, 0, 'pattern');
    return pattern ? { pattern, module, fullMatch: name === 'fullmatch' } : null;
  }
  if (VALIDATORS.test(callee)) {
    const pattern = argumentAt(site, 0, 'regex');
    return pattern ? { pattern, module: 'validator', fullMatch: false } : null;
  }
  return null;
}

/**
 * The pattern as the regex engine reads it, from a literal, a constant or literals joined with `+` (or
 * implicitly). `stringValue` keeps escape sequences as written, which is what a raw string holds; in a
 * plain string, `"\\d"` is already `\d`, and `"\n"` a newline the engine reads as itself. Undefined when a
 * part is not constant.
 */
function patternText(ctx: RuleContext, node: Node, depth: number): string | undefined {
  if (depth > 8) return undefined;
  const value = ctx.file.resolveValue(node);
  if (value.type === 'string') {
    const text = stringValue(value);
    if (text === undefined) return undefined;
    return stringPrefix(value).includes('r') ? text : text.replace(/\\\\/g, '\\');
  }
  if (
    value.type === 'concatenated_string' ||
    (value.type === 'binary_operator' && value.childForFieldName('operator')?.type === '+')
  ) {
    let out = '';
    for (const part of value.type === 'concatenated_string'
      ? value.namedChildren
      : [value.childForFieldName('left'), value.childForFieldName('right')]) {
      const text = part ? patternText(ctx, part, depth + 1) : undefined;
      if (text === undefined) return undefined;
      out += text;
    }
    return out;
  }
  if (value.type === 'parenthesized_expression' && value.namedChildren[0])
    return patternText(ctx, value.namedChildren[0], depth + 1);
  return undefined;
}

/** A verbose pattern as the engine reads it: unescaped whitespace and `#` comments outside classes dropped. */
function withoutVerboseSpacing(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A ] right after [ or [^ is a literal.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
    } else if (c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}
