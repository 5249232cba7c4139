/**
 * Testing rules' triggers (`Rule.triggers`) on one file, each trigger once.
 *
 * Most triggers are alternations of names (`subprocess|system|popen|...`): a regular expression that fails
 * reads the whole text, and fifty of them read it fifty times (8% of a one-thread scan's CPU at 160k
 * lines). Every match of such a pattern is a run of word characters, so it lies inside one of the text's
 * maximal runs of word characters, and the pattern matches the text exactly when it matches the list of
 * its distinct runs, one per line: `\b` sees the same neighbours there (a word character inside a run, a
 * non-word character at its ends). That list is read off the text once and is about a fifth of its size
 * in Python code. The alternatives of a trigger that can match other characters (`\.execute\(`,
 * `set[-_]cookie`) are tested on the text, when its word alternatives found nothing.
 */
export class TriggerTests {
  private readonly results = new Map<TestPlan, boolean>();
  private words: string | undefined;

  constructor(private readonly text: string) {}

  /** Whether `trigger` matches the file's text. */
  matches(trigger: RegExp): boolean {
    const plan = planOf(trigger);
    let found = this.results.get(plan);
    if (found === undefined) {
      found =
        (plan.onWords !== null && plan.onWords.test((this.words ??= distinctWords(this.text)))) ||
        (plan.onText !== null && plan.onText.test(this.text));
      this.results.set(plan, found);
    }
    return found;
  }
}

/**
 * How a trigger is tested: the alternatives that match only word characters on the distinct words, the
 * others on the text (a match of either is a match of the trigger). A pattern like `\brequest\b|<\w*[(:>]`
 * is split at its top-level `|`: in most files that have request data the words answer, and the text is
 * not read.
 */
interface TestPlan {
  onWords: RegExp | null;
  onText: RegExp | null;
}

const plans = new WeakMap<RegExp, TestPlan>();
/** Rules that each write the same pattern (three cookie rules' `/set[-_]cookie/i`) share one test. */
const plansBySource = new Map<string, TestPlan>();

function planOf(pattern: RegExp): TestPlan {
  let plan = plans.get(pattern);
  if (!plan) {
    const key = `/${pattern.source}/${pattern.flags}`;
    plan = plansBySource.get(key);
    if (!plan) plansBySource.set(key, (plan = makePlan(pattern)));
    plans.set(pattern, plan);
  }
  return plan;
}

function makePlan(pattern: RegExp): TestPlan {
  if (matchesOnlyWords(pattern)) return { onWords: pattern, onText: null };
  // Splitting renumbers groups: not for a pattern that refers back to one.
  if (!WORD_FLAGS.test(pattern.flags) || /\\[1-9k]/.test(pattern.source))
    return { onWords: null, onText: pattern };
  const wordBranches: string[] = [];
  const textBranches: string[] = [];
  for (const branch of alternatives(pattern.source))
    (WORD_ONLY_SOURCE.test(branch) ? wordBranches : textBranches).push(branch);
  if (wordBranches.length === 0) return { onWords: null, onText: pattern };
  return {
    onWords: new RegExp(wordBranches.join('|'), pattern.flags),
    onText: new RegExp(textBranches.join('|'), pattern.flags),
  };
}

/** A pattern's top-level alternatives (`a|(b|c)|[|]` -> `a`, `(b|c)`, `[|]`). */
export function alternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') i++;
    else if (inClass) inClass = char !== ']';
    else if (char === '[') inClass = true;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

/** The text's distinct maximal runs of word characters, one per line. */
export function distinctWords(text: string): string {
  return [...new Set(text.match(/\w+/g))].join('\n');
}

/**
 * Pieces of a pattern that match only word characters, or nothing: letters, digits and `_`, the classes
 * `\w` and `\d`, `\b`, a bracket of letters and digits (`[23]`), groups, alternation and quantifiers.
 * Anything else (`.`, `\s`, `[-_]`, a lookahead, an escaped punctuation mark) makes the pattern one to test
 * on the text.
 */
const WORD_ONLY_SOURCE = /^(?:[A-Za-z0-9_|?*+]|\\[bdw]|\{\d+(?:,\d*)?\}|\[[A-Za-z0-9_]+\]|\(\?:|\(|\))*$/;

/**
 * Flags under which a pattern may be tested on the words: `g` and `y` keep a position between tests, `u`
 * and `v` change what escapes mean.
 */
const WORD_FLAGS = /^i?$/;

/** Whether every match of `pattern` is a run of word characters (or empty). */
export function matchesOnlyWords(pattern: RegExp): boolean {
  return WORD_FLAGS.test(pattern.flags) && WORD_ONLY_SOURCE.test(pattern.source);
}
