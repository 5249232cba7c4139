import type { Node, Tree } from 'web-tree-sitter';
import { holdsSyntaxError } from './syntax';

/**
 * A file cut into its top-level statements: the unit the keystroke path re-analyses. Everything here is
 * read from the text (plus one `children` call on the root), so cutting a 5,000-line file costs well under
 * a millisecond and unchanged statements keep what was computed for them before.
 */
export type SegmentKind = 'function' | 'class' | 'comment' | 'other';

export interface Segment {
  /** Offset of the statement in the file. */
  start: number;
  /** The statement's text, without the blank lines and spaces that follow it. */
  text: string;
  kind: SegmentKind;
  /** The name a `def`/`class` binds at module level. */
  name: string | null;
  /** The decorator lines of a decorated definition, as written ('' when there are none). */
  decorators: string;
  /** Names it reads as variables (outside plain strings and comments; keywords included: more is safer). */
  mentions: ReadonlySet<string>;
  /** Words followed by `(`: what it may call, by the last name (as rules and the taint engine look up callees). */
  calls: ReadonlySet<string>;
  /**
   * The calls not written `self.name(` or `cls.name(`: a method called on self runs the method of its own
   * class, so only these can run a function another statement defines.
   */
  callsBeyondSelf: ReadonlySet<string>;
  /** Names of every function and class defined in it, nested ones and methods included. */
  definitions: ReadonlySet<string>;
  /** The functions a class defines directly in its body, in order (none for other statements). */
  methods: readonly Method[];
  /**
   * The spaces before the statement on its line ('' at the start of a line), or null when code precedes it
   * (after `;`): only statements with an indent can be copied into a reduced file. Top-level statements are
   * indented only when a half-typed line split a block and the parser took its rest for new statements.
   */
  indent: string | null;
  /** The column the statement starts at (code units from the start of its line). */
  column: number;
  /** Whether it holds a syntax error (an ERROR or MISSING node): where the file's syntax note looks. */
  hasError: boolean;
}

/** A function defined directly in a class body, decorators included: where it lies in the class's text. */
export interface Method {
  name: string;
  start: number;
  end: number;
}

/**
 * A name read as a variable: not an attribute (`.name`), not a keyword argument or assignment target
 * (`name=`, `name = ...`), not the name a `def` or `class` binds, which never resolve to a module-level
 * definition.
 */
const READ = /(?<![.\w])(?<!\b(?:def|class)\s+)[A-Za-z_]\w*\b(?!\s*=(?!=))/g;
const CALL = /(?<!\b(?:def|class)\s+)\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const SELF_CALL = /(?<![.\w])(?:self|cls)\s*\.\s*$/;
/** `task.delay(...)`: a Celery task queued with these arguments, which the taint engine counts as a call of it. */
const QUEUED = /(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*delay\s*\(/g;
const DEFINITION = /\b(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * String literals and comments. Plain literals and comments are blanked (the engine never resolves a name
 * written inside them); f-strings are kept, their `{expressions}` are code.
 */
const LITERAL =
  /(?<![A-Za-z0-9_])([A-Za-z]{0,2})("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|#[^\n]*/g;

function withoutInertText(text: string): string {
  return text.replace(LITERAL, (match, prefix: string | undefined, body: string | undefined) =>
    body !== undefined && /f/i.test(prefix ?? '') ? match : ' ',
  );
}

/** The names of the functions and classes `code` defines, at any depth (not in strings or comments). */
export function definitionsIn(code: string): Set<string> {
  return new Set(Array.from(withoutInertText(code).matchAll(DEFINITION), (m) => m[1] as string));
}

/** The words `code` calls (followed by `(`), as `Segment.calls` counts them. */
export function callsIn(code: string): Set<string> {
  const text = withoutInertText(code);
  return new Set([...text.matchAll(CALL), ...text.matchAll(QUEUED)].map((m) => m[1] as string));
}

function wordsOf(
  segmentText: string,
): Pick<Segment, 'mentions' | 'calls' | 'callsBeyondSelf' | 'definitions'> {
  const text = withoutInertText(segmentText);
  const calls = new Set<string>();
  const callsBeyondSelf = new Set<string>();
  for (const match of text.matchAll(CALL)) {
    const word = match[1] as string;
    calls.add(word);
    const before = text.slice(Math.max(0, match.index - 16), match.index);
    if (!SELF_CALL.test(before)) callsBeyondSelf.add(word);
  }
  for (const match of text.matchAll(QUEUED)) {
    calls.add(match[1] as string);
    callsBeyondSelf.add(match[1] as string);
  }
  return {
    mentions: new Set(text.match(READ) ?? []),
    calls,
    callsBeyondSelf,
    definitions: new Set(Array.from(text.matchAll(DEFINITION), (m) => m[1] as string)),
  };
}

/** Where an edit changed a file: the first `head` and last `tail` characters are as they were. */
export interface ChangedRegion {
  head: number;
  tail: number;
  /** The length of the text before the edit. */
  previousLength: number;
}

/**
 * The top-level statements of `tree`. Statements that are the statement at the same place in `previous`
 * (counted from both ends) reuse its kind, name and words instead of asking the tree again. With `changed`
 * (the keystroke path), a statement is the same when it spans the same characters in the unchanged head
 * or tail of the file, and one in the head is reused as it is; without, their texts are compared.
 */
export function segmentsOf(
  tree: Tree,
  text: string,
  previous: readonly Segment[] = [],
  changed?: ChangedRegion,
): Segment[] {
  const children = tree.rootNode.children.filter((child): child is Node => child !== null);
  const count = children.length;
  const starts = children.map((child) => child.startIndex);
  const rawEnd = (i: number) => starts[i + 1] ?? text.length;
  const texts: (string | undefined)[] = new Array<string | undefined>(count);
  const textOf = (i: number): string => (texts[i] ??= text.slice(starts[i], rawEnd(i)).trimEnd());
  const previousEnd = (i: number) => previous[i + 1]?.start ?? changed?.previousLength ?? 0;
  const sameAsBefore = (i: number, old: number): boolean => {
    const known = previous[old];
    if (!known) return false;
    if (!changed) return known.text === textOf(i);
    const start = starts[i] as number;
    if (rawEnd(i) <= changed.head) return known.start === start && previousEnd(old) === rawEnd(i);
    const fromEnd = text.length - start;
    return (
      fromEnd <= changed.tail &&
      changed.previousLength - known.start === fromEnd &&
      changed.previousLength - previousEnd(old) === text.length - rawEnd(i)
    );
  };
  let prefix = 0;
  while (prefix < count && prefix < previous.length && sameAsBefore(prefix, prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < count - prefix &&
    suffix < previous.length - prefix &&
    sameAsBefore(count - 1 - suffix, previous.length - 1 - suffix)
  ) {
    suffix++;
  }
  return children.map((child, i) => {
    const start = starts[i] as number;
    const known =
      i < prefix ? previous[i] : i >= count - suffix ? previous[previous.length - count + i] : null;
    // Before the edit, nothing about a statement moved.
    if (known && changed && i < prefix) return known;
    const indent = indentBefore(text, start);
    const column = indent !== null ? indent.length : columnOf(text, start);
    if (known) {
      // A statement at the start of a line parses the same wherever it moves. One that error recovery
      // left indented (the rest of a block a half-typed line split off) parses in the indentation around
      // it, and may hold an error in one place and not in another: it is asked again.
      const hasError = indent === '' ? known.hasError : holdsSyntaxError(child);
      return placed(known, start, indent, column, hasError);
    }
    const segmentText = textOf(i);
    return placed(
      {
        text: segmentText,
        ...wordsOf(segmentText),
        ...shapeOf(child, text),
        hasError: holdsSyntaxError(child),
      },
      start,
      indent,
      column,
    );
  });
}

/**
 * A statement's words and shape at a place. Spelled out rather than spread: one object shape for every
 * segment, and about half the cost of `{ ...known, start }` on the thousand statements a keystroke in a
 * large file moves.
 */
function placed(
  what: Omit<Segment, 'start' | 'indent' | 'column'>,
  start: number,
  indent: string | null,
  column: number,
  hasError = what.hasError,
): Segment {
  return {
    start,
    text: what.text,
    kind: what.kind,
    name: what.name,
    decorators: what.decorators,
    mentions: what.mentions,
    calls: what.calls,
    callsBeyondSelf: what.callsBeyondSelf,
    definitions: what.definitions,
    methods: what.methods,
    indent,
    column,
    hasError,
  };
}

function columnOf(text: string, offset: number): number {
  let at = offset;
  while (at > 0 && text[at - 1] !== '\n' && text[at - 1] !== '\r') at--;
  return offset - at;
}

function indentBefore(text: string, start: number): string | null {
  let at = start;
  while (at > 0 && (text[at - 1] === ' ' || text[at - 1] === '\t')) at--;
  return at === 0 || text[at - 1] === '\n' || text[at - 1] === '\r' ? text.slice(at, start) : null;
}

const NOT_A_DEFINITION = { kind: 'other', name: null, decorators: '', methods: [] } as const;

function shapeOf(node: Node, text: string): Pick<Segment, 'kind' | 'name' | 'decorators' | 'methods'> {
  const type = node.type;
  if (type === 'comment') return { kind: 'comment', name: null, decorators: '', methods: [] };
  const definition = type === 'decorated_definition' ? node.childForFieldName('definition') : node;
  if (definition?.type !== 'function_definition' && definition?.type !== 'class_definition') {
    return NOT_A_DEFINITION;
  }
  const name = definition.childForFieldName('name')?.text ?? null;
  // A definition whose body did not parse can still be a usable unit; its name must be there.
  if (!name) return NOT_A_DEFINITION;
  const isClass = definition.type === 'class_definition';
  return {
    kind: isClass ? 'class' : 'function',
    name,
    decorators: text.slice(node.startIndex, definition.startIndex),
    methods: isClass ? methodsOf(definition, node.startIndex) : [],
  };
}

function methodsOf(definition: Node, statementStart: number): Method[] {
  const methods: Method[] = [];
  for (const child of definition.childForFieldName('body')?.namedChildren ?? []) {
    const fn = child?.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
    const name = fn?.type === 'function_definition' ? fn.childForFieldName('name')?.text : undefined;
    if (!child || !name) continue;
    methods.push({ name, start: child.startIndex - statementStart, end: child.endIndex - statementStart });
  }
  return methods;
}
