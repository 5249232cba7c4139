/**
 * Exponential backtracking in a regular expression (FS215), decided on the pattern's own structure.
 *
 * A quantified group `(B)+` / `(B)*` / `(B){n,}` backtracks exponentially when some text can be split into
 * iterations of B in many ways, and the match can then fail after it. Two ways are tested, each on a
 * witness string built from B and checked with a small backtracking matcher:
 * - a string u that B matches whose double u·u B also matches (one iteration or two: `(a+)+`,
 *   `(\w+\s?)*`, `(x+x+)+`);
 * - two alternatives of B that match the same one-character string (`(a|a)*`, `(\d|\w)+`, `(\s|.)*`).
 * Character sets are compared on a small universe of sample characters plus every literal of the pattern.
 * Patterns with back-references, lookbehind, atomic groups or possessive quantifiers are not judged.
 */

type CharTest = (c: string) => boolean;

type Node =
  | { kind: 'char'; test: CharTest }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'alt'; options: Node[] }
  | { kind: 'repeat'; body: Node; min: number; max: number }
  | { kind: 'anchor' };

class Unsupported extends Error {}

const DIGIT: CharTest = (c) => c >= '0' && c <= '9';
const WORD: CharTest = (c) => /\w/u.test(c) || (c.codePointAt(0) ?? 0) > 127;
const SPACE: CharTest = (c) => /\s/.test(c);
const ANY_BUT_NEWLINE: CharTest = (c) => c !== '\n';

const UNIVERSE_BASE = [
  'a',
  'b',
  'x',
  'Z',
  '0',
  '5',
  '_',
  ' ',
  '\t',
  '\n',
  '.',
  '-',
  '@',
  '/',
  ':',
  '!',
  '+',
  '%',
  '=',
  'é',
];

class Parser {
  private at = 0;
  readonly literals = new Set<string>();

  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.at < this.source.length) throw new Unsupported('unbalanced');
    return node;
  }

  private peek(): string | undefined {
    return this.source[this.at];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private quantified(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.source.slice(this.at));
      if (!m || (m[1] === '' && m[2] === '')) return atom;
      min = m[1] === '' ? 0 : Number(m[1]);
      max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.at += m[0].length - 1;
    } else return atom;
    this.at++;
    if (this.peek() === '+') throw new Unsupported('possessive');
    if (this.peek() === '?') this.at++; // lazy: the same choices, in another order
    return this.quantified({ kind: 'repeat', body: atom, min, max });
  }

  private atom(): Node {
    const c = this.source[this.at++] as string;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { kind: 'char', test: this.charClass() };
      case '.':
        return { kind: 'char', test: ANY_BUT_NEWLINE };
      case '^':
      case '$':
        return { kind: 'anchor' };
      case '\\':
        return this.escape(false) as Node;
      default:
        this.literals.add(c);
        return { kind: 'char', test: (x) => x === c };
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const rest = this.source.slice(this.at);
      if (/^\?(:|P<\w+>|<\w+>)/.test(rest)) this.at += (/^\?(:|P<\w+>|<\w+>)/.exec(rest)?.[0] ?? '').length;
      else if (/^\?[=!]/.test(rest)) {
        // Lookahead: it matches no text; its inside is not part of the repetition's choices.
        this.at += 2;
        this.alternation();
        this.expect(')');
        return { kind: 'anchor' };
      } else if (/^\?[aiLmsux-]+\)/.test(rest)) {
        this.at += (/^\?[aiLmsux-]+\)/.exec(rest)?.[0] ?? '').length;
        return { kind: 'anchor' };
      } else throw new Unsupported('group');
    }
    const inner = this.alternation();
    this.expect(')');
    return inner;
  }

  private expect(c: string): void {
    if (this.source[this.at] !== c) throw new Unsupported(`expected ${c}`);
    this.at++;
  }

  /** `\d`, `\.`, `\n`... as a node (or, inside a class, as a test); back-references are not judged. */
  private escape(inClass: boolean): Node | CharTest {
    const c = this.source[this.at++];
    if (c === undefined) throw new Unsupported('trailing backslash');
    const as = (test: CharTest): Node | CharTest => (inClass ? test : { kind: 'char', test });
    switch (c) {
      case 'd':
        return as(DIGIT);
      case 'D':
        return as((x) => !DIGIT(x));
      case 'w':
        return as(WORD);
      case 'W':
        return as((x) => !WORD(x));
      case 's':
        return as(SPACE);
      case 'S':
        return as((x) => !SPACE(x));
      case 'b':
      case 'B':
      case 'A':
      case 'Z':
        if (inClass) return (x) => x === '\b';
        return { kind: 'anchor' };
      case 'n':
        return as((x) => x === '\n');
      case 't':
        return as((x) => x === '\t');
      case 'r':
        return as((x) => x === '\r');
      default:
        if (/[1-9]/.test(c)) throw new Unsupported('back-reference');
        if (c === 'x' || c === 'u' || c === 'U' || c === 'N') throw new Unsupported('code point escape');
        this.literals.add(c);
        return as((x) => x === c);
    }
  }

  private charClass(): CharTest {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.at++;
    }
    const tests: CharTest[] = [];
    let first = true;
    while (this.at < this.source.length && (this.peek() !== ']' || first)) {
      first = false;
      let low: string | CharTest;
      const c = this.source[this.at++] as string;
      if (c === '\\') low = this.escape(true) as CharTest;
      else low = c;
      if (
        typeof low === 'string' &&
        this.peek() === '-' &&
        this.source[this.at + 1] !== ']' &&
        this.at + 1 < this.source.length
      ) {
        this.at++;
        let high = this.source[this.at++] as string;
        if (high === '\\') high = this.source[this.at++] ?? high;
        const from = low;
        tests.push((x) => x >= from && x <= high);
        this.literals.add(from);
        this.literals.add(high);
      } else if (typeof low === 'string') {
        const only = low;
        this.literals.add(only);
        tests.push((x) => x === only);
      } else tests.push(low);
    }
    this.expect(']');
    return negated ? (x) => !tests.some((t) => t(x)) : (x) => tests.some((t) => t(x));
  }
}

/** Does `node` match the whole of `text` from `start`, continuing with `next`? Bounded backtracking. */
function matches(
  node: Node,
  text: string,
  start: number,
  next: (at: number) => boolean,
  budget: { steps: number },
): boolean {
  if (--budget.steps < 0) return false;
  switch (node.kind) {
    case 'anchor':
      return next(start);
    case 'char':
      return start < text.length && node.test(text[start] as string) && next(start + 1);
    case 'seq': {
      const step = (i: number, at: number): boolean =>
        i === node.items.length
          ? next(at)
          : matches(node.items[i] as Node, text, at, (to) => step(i + 1, to), budget);
      return step(0, start);
    }
    case 'alt':
      return node.options.some((option) => matches(option, text, start, next, budget));
    case 'repeat': {
      const attempt = (count: number, at: number): boolean => {
        if (count >= node.min && next(at)) return true;
        if (count >= node.max || count > text.length + 1) return false;
        return matches(node.body, text, at, (to) => to > at && attempt(count + 1, to), budget);
      };
      return attempt(0, start);
    }
  }
}

/** How many ways `node` matches the whole of `text`, counted up to `limit`. */
function parses(node: Node, text: string, limit: number): number {
  let count = 0;
  matches(
    node,
    text,
    0,
    (at) => {
      if (at === text.length) count++;
      return count >= limit;
    },
    { steps: 20_000 },
  );
  return count;
}

function fullMatch(node: Node, text: string): boolean {
  return matches(node, text, 0, (at) => at === text.length, { steps: 20_000 });
}

/** A short string `node` matches: each repetition at its minimum, or (eager) unbounded ones once. */
function witness(
  node: Node,
  pick: (test: CharTest) => string | undefined,
  eager = false,
): string | undefined {
  switch (node.kind) {
    case 'anchor':
      return '';
    case 'char':
      return pick(node.test);
    case 'seq': {
      let out = '';
      for (const item of node.items) {
        const part = witness(item, pick, eager);
        if (part === undefined) return undefined;
        out += part;
      }
      return out;
    }
    case 'alt':
      for (const option of node.options) {
        const part = witness(option, pick, eager);
        if (part) return part;
      }
      return undefined;
    case 'repeat': {
      const part = witness(node.body, pick, eager);
      if (part === undefined) return undefined;
      // Unbounded repetitions once (eager) or at their minimum: `\s*` as "" or " ".
      const times = Math.max(node.min, eager && node.max === Infinity ? 1 : 0, node.min === 0 ? 0 : 1);
      return times > 20 ? undefined : part.repeat(times);
    }
  }
}

function nullable(node: Node): boolean {
  switch (node.kind) {
    case 'anchor':
      return true;
    case 'char':
      return false;
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.options.some(nullable);
    case 'repeat':
      return node.min === 0 || nullable(node.body);
  }
}

export interface Redos {
  /** The repeated part that makes it exponential, as written in a short form. */
  reason: string;
}

/**
 * Answers by pattern and options: the language server re-analyses a function's patterns on each key
 * typed in it, and a scan meets the same validators in many files. Bounded, as the server lives for hours.
 */
const ANSWERS = new Map<string, Redos | null>();
const ANSWERS_LIMIT = 2_000;

/**
 * Whether a pattern can take exponential time on some input. `alternativesOnly`: only overlapping
 * alternatives count (the third-party `regex` module copes with nested quantifiers).
 */
export function exponentialBacktracking(
  pattern: string,
  options: { alternativesOnly?: boolean; fullMatch?: boolean } = {},
): Redos | null {
  const key = `${options.alternativesOnly ? 'a' : '-'}${options.fullMatch ? 'f' : '-'}${pattern}`;
  const known = ANSWERS.get(key);
  if (known !== undefined) return known;
  if (ANSWERS.size >= ANSWERS_LIMIT) ANSWERS.clear();
  const answer = analyse(pattern, options);
  ANSWERS.set(key, answer);
  return answer;
}

function analyse(
  pattern: string,
  options: { alternativesOnly?: boolean; fullMatch?: boolean } = {},
): Redos | null {
  if (/\(\?[<>](?![=!])|\(\?<[=!]|\(\?\(|\(\?>|\(\?P=|\(\?#/.test(pattern)) return null;
  let tree: Node;
  const parser = new Parser(pattern);
  try {
    tree = parser.parse();
  } catch {
    return null;
  }
  const universe = [...new Set([...UNIVERSE_BASE, ...parser.literals])];
  const picks: ((test: CharTest) => string | undefined)[] = [
    (test) => universe.find(test),
    (test) => [...universe].reverse().find(test),
  ];
  let found: Redos | null = null;
  // Walks the tree keeping what follows each node: an exponential repeat needs something after it that can fail.
  const visit = (node: Node, canFailAfter: boolean): void => {
    if (found) return;
    switch (node.kind) {
      case 'seq':
        node.items.forEach((item, i) => {
          const rest = node.items.slice(i + 1);
          // What follows can fail: text it needs, or an anchor ($, \b, a lookahead).
          visit(item, canFailAfter || rest.some((r) => !nullable(r) || r.kind === 'anchor'));
        });
        return;
      case 'alt':
        for (const option of node.options) visit(option, canFailAfter);
        return;
      case 'repeat': {
        if (node.max === Infinity && canFailAfter && !nullableOnlyBody(node.body)) {
          const why = ambiguity(node.body, picks, options.alternativesOnly ?? false);
          if (why) {
            found = { reason: why };
            return;
          }
        }
        visit(node.body, true);
        return;
      }
      case 'anchor':
      case 'char':
        return;
    }
  };
  visit(tree, options.fullMatch === true || /\$$|\\Z$/.test(pattern));
  return found;
}

function nullableOnlyBody(body: Node): boolean {
  return witness(body, () => 'a', true) === '';
}

function ambiguity(
  body: Node,
  picks: ((test: CharTest) => string | undefined)[],
  alternativesOnly: boolean,
): string | null {
  // Two alternatives that match the same text: (a|a)*, (\s|.)*; or one alternative's text is also two
  // iterations of the body: (?:\d|\d\d)+, "(?:\\.|[^"])*".
  const alternatives = collectAlternatives(body);
  const twice: Node = { kind: 'seq', items: [body, body] };
  for (const alt of alternatives) {
    for (let i = 0; i < alt.options.length; i++) {
      for (const pick of picks) {
        const u = witness(alt.options[i] as Node, pick);
        if (!u) continue;
        for (let j = 0; j < alt.options.length; j++) {
          if (i !== j && fullMatch(alt.options[j] as Node, u)) return 'two alternatives match the same text';
        }
        if (fullMatch(twice, u)) return 'one alternative matches what two iterations of the group match';
      }
    }
  }
  if (alternativesOnly && alternatives.length === 0) return null;
  for (const pick of picks) {
    for (const eager of [false, true]) {
      const u = witness(body, pick, eager);
      if (!u) continue;
      // u and u·u both one iteration: (a+)+, (\w+\s?)*, (x+x+)+
      if (fullMatch(body, u + u))
        return 'a repeated group whose body can also match two of its own iterations';
      // u·u split between two iterations in more than one way: (\s*,\s*)* shares the spaces between commas.
      if (parses(twice, u + u, 2) >= 2)
        return 'two iterations of the repeated group can divide the same text between them in several ways';
    }
  }
  return null;
}

function collectAlternatives(node: Node): Extract<Node, { kind: 'alt' }>[] {
  if (node.kind === 'alt') return [node, ...node.options.flatMap(collectAlternatives)];
  if (node.kind === 'seq' && node.items.length === 1) return collectAlternatives(node.items[0] as Node);
  return [];
}
