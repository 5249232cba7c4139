import type { Parser, Tree } from 'web-tree-sitter';
import { compareFindings } from './analyze';
import { definitionsAnEditChanges } from './classEdits';
import type { FileModels } from './analyze';
import type { Focus } from './context';
import { releaseNodeMemo } from './nodeMemo';
import { reparse, reparseFrom } from './parser';
import { LineIndex } from './positions';
import { segmentFactsOf, textReachesOut } from './segmentFacts';
import type { SegmentFacts } from './segmentFacts';
import { segmentsOf } from './segments';
import { changedRegion } from './textDiff';
import type { Segment } from './segments';
import type { FileAnalysis, Finding, Position, Range } from './types';

/**
 * Re-analysis of one edited top-level statement instead of the whole file (the keystroke path).
 *
 * After an edit, the statements before and after the edited one have the same text as before. Their
 * findings are kept (moved by the lines the edit added or removed) unless the edit can change them, and
 * the findings of the statements it can change are computed on a reduced file: those statements and
 * every statement they depend on. The dependencies are found by name (a statement that mentions a function
 * or class defined by another one depends on it, both ways: callers' arguments taint a helper's
 * parameters; module-level code that binds or reads a name it mentions) and by what the last analysis saw
 * a statement do beyond its own text (`segmentFacts.ts`). Whenever an edit may reach further than names
 * show (imports, config writes, hooks, new routes, a changed decorator, text that does not parse the same
 * way in the reduced file), the answer is "analyse the whole file", with the reason.
 */
export interface SegmentedState<X extends Located> {
  text: string;
  segments: Segment[];
  /** The line each segment starts on. */
  lines: number[];
  facts: SegmentFacts[];
  findings: Finding[];
  /** Other results with a range, kept and moved the same way (the language server's routes). */
  extras: X[];
  /** The last reduced file and its tree (WASM memory: see `releaseState`), re-parsed incrementally. */
  reduced?: { text: string; tree: Tree };
}

export interface Located {
  range: Range;
}

/**
 * What the caller runs on a (reduced or whole) parsed file. On a reduced file only the findings and extras
 * inside `focus` (the statements the edit can change) are kept: the caller passes it on to the rules.
 */
export type RunAnalysis<X extends Located> = (
  tree: Tree,
  text: string,
  focus?: Focus,
) => { models: FileModels; analysis: FileAnalysis; extras: X[] };

export type Reanalysis<X extends Located> =
  | { state: SegmentedState<X> }
  | {
      reason: string;
      /**
       * Module-level names the edit binds that nothing bound before: a second pass that counts them as
       * names the edit touches (their readers are re-analysed too) can still be partial.
       */
      newlyBound?: ReadonlySet<string>;
    };

/** The state after a whole-file analysis. */
export function wholeFileState<X extends Located>(
  tree: Tree,
  text: string,
  models: FileModels,
  findings: Finding[],
  extras: X[],
  previous?: readonly Segment[],
): SegmentedState<X> {
  const segments = segmentsOf(tree, text, previous);
  const lines = new LineIndex(text);
  return {
    text,
    segments,
    lines: segments.map((s) => lines.positionAt(s.start).line),
    facts: segmentFactsOf(
      models,
      segments,
      segments.map((s) => s.start),
    ),
    findings,
    extras,
  };
}

/**
 * A reduced file larger than this share of the whole is not worth it: the whole file is analysed instead
 * (tests raise it to exercise the partial path on small files). Analysis costs about the same per line in
 * both, so even a reduced file of most of the file is cheaper than the whole; the margin covers the
 * reduction's own work.
 */
export const MAX_REDUCED_SHARE = 0.9;

const NO_NAMES: ReadonlySet<string> = new Set();

export function reanalyse<X extends Located>(
  previous: SegmentedState<X>,
  tree: Tree,
  text: string,
  parser: Parser,
  run: RunAnalysis<X>,
  maxReducedShare = MAX_REDUCED_SHARE,
  alsoBound: ReadonlySet<string> = NO_NAMES,
): Reanalysis<X> {
  // Fixes write line breaks the way the file does (rules look for \r\n in the text): a file that starts or
  // stops having one changes every fix.
  const crlf = text.includes('\r\n');
  if (crlf !== previous.text.includes('\r\n')) return { reason: 'the line breaks changed' };
  // Unchanged statements are those wholly before the first changed character, or wholly after the last
  // one, with the same text (what lies between statements counts: a space turned into a line break there
  // moves everything after it).
  const { head, tail } = changedRegion(previous.text, text);
  const segments = segmentsOf(tree, text, previous.segments, {
    head,
    tail,
    previousLength: previous.text.length,
  });
  const old = previous.segments;
  let prefix = 0;
  while (
    prefix < segments.length &&
    prefix < old.length &&
    old[prefix]?.start === segments[prefix]?.start &&
    (segments[prefix] as Segment).start + (segments[prefix] as Segment).text.length <= head &&
    old[prefix]?.text === segments[prefix]?.text
  ) {
    prefix++;
  }
  let suffix = 0;
  while (
    suffix < segments.length - prefix &&
    suffix < old.length - prefix &&
    (segments[segments.length - 1 - suffix] as Segment).start >= text.length - tail &&
    old[old.length - 1 - suffix]?.text === segments[segments.length - 1 - suffix]?.text
  ) {
    suffix++;
  }
  const changedOld = old.length - prefix - suffix;
  const changedNew = segments.length - prefix - suffix;
  // The edited statements, before and after (usually one each; more when a half-typed line makes the
  // parser join statements, none when a statement was inserted or removed).
  const before = old.slice(prefix, prefix + changedOld);
  const after = segments.slice(prefix, prefix + changedNew);
  const isEdited = (i: number) => i >= prefix && i < prefix + changedNew;
  const beforeFacts = previous.facts.slice(prefix, prefix + changedOld);
  if (beforeFacts.some((f) => f.reachesOut)) return { reason: 'the edited statement reached beyond itself' };
  if (after.some((s) => textReachesOut(s.text)))
    return { reason: 'the edited statement may reach beyond itself' };
  const isDefinition = (s: Segment | undefined) => s?.kind === 'function' || s?.kind === 'class';

  // Names the edited statements bind at module level, before and after (checked again on the reduced
  // file's models), and the functions and methods whose meaning they may change (classEdits.ts):
  // statements that use them may see a different value or summary now.
  const names = new Set<string>(alsoBound);
  for (const facts of beforeFacts) for (const name of facts.defines) names.add(name);
  for (const s of after) if (isDefinition(s) && s.name) names.add(s.name);
  const { changed: defined, classKeptMeaning } = definitionsAnEditChanges(before, after);
  // The names whose readers may see something else now: not a class the edit went into without changing
  // what its name stands for (classEdits.ts), e.g. typing in a form's validator.
  const readNames = new Set(names);
  if (classKeptMeaning && !alsoBound.has(classKeptMeaning)) readNames.delete(classKeptMeaning);

  const oldIndexOf = (i: number): number => (i < prefix ? i : i - changedNew + changedOld);
  const factsOf = (i: number): SegmentFacts | undefined =>
    isEdited(i) ? undefined : previous.facts[oldIndexOf(i)];

  // Top-level definitions by name; module-level names bound by module-level code.
  const topLevel = new Map<string, number[]>();
  const boundBy = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  segments.forEach((s, i) => {
    if (isDefinition(s) && s.name) add(topLevel, s.name, i);
    if (s.kind === 'other') for (const name of factsOf(i)?.defines ?? []) add(boundBy, name, i);
  });
  // Module-level code by the module-level names it binds or reads: `parser = make_parser()` and
  // `parser.setFeature(...)` both decide what a parse with `parser` elsewhere does.
  const moduleCode = new Map<string, number[]>();
  segments.forEach((s, i) => {
    if (s.kind !== 'other') return;
    for (const word of s.mentions) if (boundBy.has(word)) add(moduleCode, word, i);
    for (const name of factsOf(i)?.defines ?? []) if (!s.mentions.has(name)) add(moduleCode, name, i);
  });
  const follow = (
    words: Iterable<string>,
    index: Map<string, number[]>,
    into: Set<number>,
    queue: number[],
  ) => {
    for (const word of words) {
      for (const i of index.get(word) ?? []) {
        if (!into.has(i)) {
          into.add(i);
          queue.push(i);
        }
      }
    }
  };
  /**
   * What a statement calls, as the taint engine resolves calls: a top-level function by name, a class
   * by its constructor (its methods then run on the instance), also through a module-level name bound to
   * a call (`service = Service()` ... `service.run(x)`).
   */
  const calleesOf = (segment: Segment): Set<string> => {
    const words = new Set(segment.calls);
    for (const word of segment.mentions) {
      for (const i of boundBy.get(word) ?? [])
        for (const call of (segments[i] as Segment).calls) words.add(call);
    }
    return words;
  };

  // Changed: the edited statements and, transitively, the statements that use what they define (what
  // they compute from it may differ now).
  const changed = new Set<number>();
  for (let i = prefix; i < prefix + changedNew; i++) changed.add(i);
  // A call `self.name()` runs its own class's method, but some lookups count every function of a name in
  // the file: while the edit keeps the set of names it defines, only calls on other receivers can reach
  // what it defines (and statements that changed through it define the same names as before).
  const sameDefinitions = sameSet(
    before.flatMap((s) => [...s.definitions]),
    after.flatMap((s) => [...s.definitions]),
  );
  type Used = { names: Iterable<string>; defined: Iterable<string>; anyCall: boolean };
  const usersQueue: Used[] = [{ names: readNames, defined, anyCall: !sameDefinitions }];
  while (usersQueue.length > 0) {
    const used = usersQueue.pop() as Used;
    const usedNames = [...used.names];
    const usedDefinitions = [...used.defined];
    segments.forEach((s, i) => {
      if (changed.has(i)) return;
      const calls = used.anyCall ? s.calls : s.callsBeyondSelf;
      if (!usedNames.some((n) => s.mentions.has(n)) && !usedDefinitions.some((n) => calls.has(n))) return;
      changed.add(i);
      const own = new Set<string>(factsOf(i)?.defines ?? []);
      if (s.name) own.add(s.name);
      usersQueue.push({ names: own, defined: s.definitions, anyCall: false });
    });
  }

  // Affected: those and whatever they call (now or before), transitively: what a caller passes becomes
  // the callee's parameters.
  const affected = new Set<number>(changed);
  const queue = [...changed];
  for (const s of before) follow(calleesOf(s), topLevel, affected, queue);
  while (queue.length > 0)
    follow(calleesOf(segments[queue.pop() as number] as Segment), topLevel, affected, queue);

  // Included: the affected statements and their callers (transitively), statements that reach out, and
  // every definition and piece of module-level code that binds or reads a name any of these mention.
  // Other module-level code cannot change their findings: what it could do without names (imports, apps,
  // config, hooks, extensions) makes it reach out.
  const included = new Set<number>(affected);
  const reverse = [...affected];
  while (reverse.length > 0) {
    const name = (segments[reverse.pop() as number] as Segment).name;
    if (!name) continue;
    // Few names are looked up here: scanning for callers beats indexing every call of the file.
    const callers: number[] = [];
    segments.forEach((s, i) => {
      if (s.calls.has(name)) callers.push(i);
    });
    for (const i of callers) {
      if (!included.has(i)) {
        included.add(i);
        reverse.push(i);
      }
    }
    // Instances built at module level and used elsewhere.
    for (const i of callers) {
      if ((segments[i] as Segment).kind !== 'other') continue;
      for (const bound of factsOf(i)?.defines ?? []) {
        segments.forEach((s, j) => {
          if (!included.has(j) && s.mentions.has(bound)) {
            included.add(j);
            reverse.push(j);
          }
        });
      }
    }
  }
  segments.forEach((s, i) => {
    // An indented top-level statement is the rest of a block a half-typed line split: the parser saw it
    // beside that line.
    if (factsOf(i)?.reachesOut || (s.kind === 'other' && s.indent !== '')) included.add(i);
  });
  // A half-typed statement is parsed with error recovery, which looks at what follows it: keep the
  // statement after the edit beside it, so that it parses the way it does in the file.
  if (after.some((s) => s.kind === 'other') && prefix + changedNew < segments.length) {
    included.add(prefix + changedNew);
  }
  const pending = [...included];
  const withLineStart = (i: number) => {
    // Statements are copied from the start of their line: one that shares its line with the statement
    // before it (error recovery after a half-typed line can start one mid-line) comes with that one.
    for (let j = i; j > 0 && (segments[j] as Segment).indent === null && !included.has(j - 1); j--) {
      included.add(j - 1);
      pending.push(j - 1);
    }
  };
  while (pending.length > 0) {
    const i = pending.pop() as number;
    withLineStart(i);
    follow((segments[i] as Segment).mentions, topLevel, included, pending);
    follow((segments[i] as Segment).mentions, moduleCode, included, pending);
  }

  const order = [...included].sort((a, b) => a - b);
  let reducedSize = 0;
  for (const i of order) reducedSize += (segments[i] as Segment).text.length;
  if (reducedSize > text.length * maxReducedShare)
    return { reason: `the edit depends on most of the file (${order.length} statements)` };
  // The reduced file: runs of consecutive included statements copied as they are in the file (with the
  // blank lines and indents between them: a block a half-typed line split stays as the parser saw it), runs
  // one blank line apart. Every statement keeps its columns; lines move by a per-run amount.
  const newLines = movedLines(previous, segments, text, prefix, changedNew, changedOld);
  // Statements after the edit keep their findings moved by lines only: the first of them must start at
  // the column it had, on a line of its own (the edit may have moved the code before it on its line).
  const firstAfter = segments[prefix + changedNew];
  if (firstAfter && (firstAfter.indent === null || firstAfter.column !== old[prefix + changedOld]?.column)) {
    return { reason: 'a statement after the edit starts at another column' };
  }
  // So does the reduced file.
  const separator = crlf ? '\r\n\r\n' : '\n\n';
  const pieces: Piece[] = [];
  let reduced = '';
  let reducedLine = 0;
  for (let k = 0; k < order.length;) {
    let end = k;
    while (end + 1 < order.length && (order[end + 1] as number) === (order[end] as number) + 1) end++;
    const first = segments[order[k] as number] as Segment;
    const last = segments[order[end] as number] as Segment;
    if (first.indent === null) return { reason: 'a statement shares its line with another' };
    const chunkStart = first.start - first.indent.length;
    const chunk = text.slice(chunkStart, last.start + last.text.length);
    const firstLine = newLines[order[k] as number] as number;
    for (let j = k; j <= end; j++) {
      const i = order[j] as number;
      pieces.push({
        index: i,
        column: (segments[i] as Segment).column,
        reducedLine: reducedLine + (newLines[i] as number) - firstLine,
        reducedStart: reduced.length + (segments[i] as Segment).start - chunkStart,
        line: newLines[i] as number,
      });
    }
    reduced += `${chunk}${separator}`;
    reducedLine += lineCount(chunk) + 1;
    k = end + 1;
  }

  const reducedTree = parseReduced(previous, reduced, parser);
  if (!reducedTree) return { reason: 'the parser gave up on the reduced file' };
  let kept = false;
  try {
    const children = reducedTree.rootNode.children;
    if (
      children.length !== pieces.length ||
      children.some((child, k) => child?.startIndex !== pieces[k]?.reducedStart)
    ) {
      return { reason: 'the statements parse differently on their own' };
    }
    const focus = pieces
      .filter((piece) => affected.has(piece.index))
      .map((piece) => ({
        start: piece.reducedStart,
        end: piece.reducedStart + (segments[piece.index] as Segment).text.length,
      }));
    const { models, analysis, extras } = run(reducedTree, reduced, focus);
    if (analysis.notes.some((n) => n.kind === 'skipped')) return { reason: 'a rule failed' };
    const reducedFacts = segmentFactsOf(
      models,
      order.map((i) => segments[i] as Segment),
      pieces.map((p) => p.reducedStart),
    );
    const editedFacts: SegmentFacts[] = [];
    const newlyBound = new Set<string>();
    for (let i = prefix; i < prefix + changedNew; i++) {
      const facts = reducedFacts[order.indexOf(i)] as SegmentFacts;
      if (facts.reachesOut) return { reason: 'the edited statement reaches beyond itself' };
      for (const name of facts.defines) if (!names.has(name)) newlyBound.add(name);
      editedFacts.push(facts);
    }
    if (newlyBound.size > 0) {
      return { reason: `the edit binds ${[...newlyBound].join(', ')} at module level`, newlyBound };
    }

    // Findings: recomputed for the affected statements, moved for the others. A finding belongs to the
    // statement it starts in; its other positions (the taint source, fix edits) may be anywhere.
    const fromReduced = (position: Position): Position | null => {
      const piece = pieceAt(pieces, position);
      return piece ? shift(position, piece.line - piece.reducedLine) : null;
    };
    const ownedByReduced = (position: Position): boolean =>
      affected.has((pieceAt(pieces, position) as Piece).index);
    const newIndexOfOld = (position: Position): number => {
      const oldIndex = segmentAt(previous, position);
      if (oldIndex >= prefix && oldIndex < prefix + changedOld) return -1;
      return oldIndex < prefix ? oldIndex : oldIndex - changedOld + changedNew;
    };
    const toNew = (position: Position): Position | null => {
      const index = newIndexOfOld(position);
      if (index < 0) return null;
      const oldIndex = segmentAt(previous, position);
      return shift(position, (newLines[index] as number) - (previous.lines[oldIndex] as number));
    };
    const ownedByPrevious = (position: Position): boolean => {
      const index = newIndexOfOld(position);
      return index >= 0 && !affected.has(index);
    };
    const findings: Finding[] = [];
    const newExtras: X[] = [];
    const collect = <T extends Located>(
      items: readonly T[],
      owned: (p: Position) => boolean,
      map: (p: Position) => Position | null,
      move: Mover<T>,
      out: T[],
    ): boolean => {
      for (const item of items) {
        if (!owned(item.range.start)) continue;
        const moved = move(item, map);
        if (!moved) return false;
        out.push(moved);
      }
      return true;
    };
    if (
      !collect(analysis.findings, ownedByReduced, fromReduced, moveFinding, findings) ||
      !collect(previous.findings, ownedByPrevious, toNew, moveFinding, findings) ||
      !collect(extras, ownedByReduced, fromReduced, moveLocated, newExtras) ||
      !collect(previous.extras, ownedByPrevious, toNew, moveLocated, newExtras)
    ) {
      return { reason: 'a finding points into the statement that changed' };
    }
    findings.sort(compareFindings);
    newExtras.sort(
      (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
    );

    const facts = segments.map((_, i) =>
      isEdited(i)
        ? (editedFacts[i - prefix] as SegmentFacts)
        : (previous.facts[oldIndexOf(i)] as SegmentFacts),
    );
    kept = true;
    return {
      state: {
        text,
        segments,
        lines: newLines,
        facts,
        findings,
        extras: newExtras,
        reduced: { text: reduced, tree: reducedTree },
      },
    };
  } finally {
    if (!kept) reducedTree.delete();
  }
}

/**
 * The reduced file's tree. Consecutive keystrokes in one statement give reduced files that differ only
 * there, so the previous reduced tree (which this takes over from `previous`) is edited and re-parsed
 * incrementally, as the language server does with the document's own tree.
 */
function parseReduced(previous: SegmentedState<Located>, reduced: string, parser: Parser): Tree | null {
  const old = previous.reduced;
  previous.reduced = undefined;
  if (old) return reparseFrom(parser, old, reduced);
  try {
    return reparse(parser, reduced, null);
  } finally {
    parser.reset();
  }
}

/**
 * Frees what a state holds outside the JavaScript heap (its reduced tree). Call it for a state that is
 * replaced without going through `reanalyse`, or dropped.
 */
export function releaseState(state: SegmentedState<Located> | undefined): void {
  state?.reduced?.tree.delete();
  if (state) state.reduced = undefined;
}

interface Piece {
  index: number;
  /** Where the statement starts in the reduced file (its column is the one it has in the file). */
  column: number;
  reducedLine: number;
  reducedStart: number;
  line: number;
}

type Mover<T> = (item: T, map: (p: Position) => Position | null) => T | null;

/**
 * The line each segment starts on, from the previous lines: unchanged up to the edit, counted through the
 * edited statements, moved by the same amount after them (no pass over the whole text).
 */
function movedLines(
  previous: SegmentedState<Located>,
  segments: readonly Segment[],
  text: string,
  prefix: number,
  changedNew: number,
  changedOld: number,
): number[] {
  const lines = previous.lines.slice(0, prefix);
  let anchor = prefix > 0 ? (segments[prefix - 1] as Segment).start : 0;
  let line = prefix > 0 ? (previous.lines[prefix - 1] as number) : 0;
  const firstSuffix = prefix + changedNew;
  for (let i = prefix; i <= firstSuffix && i < segments.length; i++) {
    const start = (segments[i] as Segment).start;
    line += lineCount(text.slice(anchor, start)) - 1;
    anchor = start;
    lines.push(line);
  }
  if (firstSuffix < segments.length) {
    const shift = line - (previous.lines[prefix + changedOld] as number);
    for (let i = firstSuffix + 1; i < segments.length; i++) {
      lines.push((previous.lines[i - changedNew + changedOld] as number) + shift);
    }
  }
  return lines;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

/** The last of `starts` at or before `position` (statements can share a line: columns count too). */
function lastStartAtOrBefore(count: number, startOf: (i: number) => Position, position: Position): number {
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    const start = startOf(mid);
    if (start.line < position.line || (start.line === position.line && start.character <= position.character))
      low = mid;
    else high = mid - 1;
  }
  return low;
}

function pieceAt(pieces: readonly Piece[], position: Position): Piece | undefined {
  const at = lastStartAtOrBefore(
    pieces.length,
    (i) => ({ line: (pieces[i] as Piece).reducedLine, character: (pieces[i] as Piece).column }),
    position,
  );
  return pieces[at];
}

function segmentAt(state: SegmentedState<Located>, position: Position): number {
  return lastStartAtOrBefore(
    state.segments.length,
    (i) => ({ line: state.lines[i] as number, character: (state.segments[i] as Segment).column }),
    position,
  );
}

function shift(position: Position, lines: number): Position {
  return { line: position.line + lines, character: position.character };
}

function moveRange(range: Range, map: (p: Position) => Position | null): Range | null {
  const start = map(range.start);
  const end = map(range.end);
  return start && end ? { start, end } : null;
}

function moveLocated<T extends Located>(item: T, map: (p: Position) => Position | null): T | null {
  const range = moveRange(item.range, map);
  return range ? { ...item, range } : null;
}

function moveFinding(finding: Finding, map: (p: Position) => Position | null): Finding | null {
  const range = moveRange(finding.range, map);
  if (!range) return null;
  const moved: Finding = { ...finding, range };
  if (finding.related) {
    const related = [];
    for (const r of finding.related) {
      const at = moveRange(r.range, map);
      if (!at) return null;
      related.push({ ...r, range: at });
    }
    moved.related = related;
  }
  if (finding.fix) {
    const edits = [];
    for (const e of finding.fix.edits) {
      const at = moveRange(e.range, map);
      if (!at) return null;
      edits.push({ ...e, range: at });
    }
    moved.fix = { ...finding.fix, edits };
  }
  return moved;
}

/** One analysis of a new version of a document, and the state to keep for the next one. */
export type VersionAnalysis<X extends Located> =
  | { kind: 'partial'; state: SegmentedState<X> }
  | {
      kind: 'whole';
      /** Why the edit could not be re-analysed partially ('first analysis' without a previous state). */
      reason: string;
      /** Undefined when a rule failed on the file: the next version starts afresh too. */
      state: SegmentedState<X> | undefined;
      result: ReturnType<RunAnalysis<X>>;
    };

/**
 * Re-analyses from `previous` when it can, else analyses the whole file; either way `previous` is used up
 * (its reduced tree is re-parsed or released), and the answer's state is what to pass next time.
 */
export function analyzeVersion<X extends Located>(
  previous: SegmentedState<X> | undefined,
  tree: Tree,
  text: string,
  parser: Parser,
  run: RunAnalysis<X>,
  maxReducedShare = MAX_REDUCED_SHARE,
): VersionAnalysis<X> {
  const partial = partialVersion(previous, tree, text, parser, run, maxReducedShare);
  if ('state' in partial) return partial;
  releaseState(previous);
  return wholeFileVersion(tree, text, run(tree, text), partial.reason, previous?.segments);
}

/**
 * The first half of `analyzeVersion`: the partial re-analysis, or why the whole file is needed. On the
 * way to the whole file, the caller releases `previous` (`releaseState`) and runs the analysis itself:
 * the language server does that a slice at a time.
 */
export function partialVersion<X extends Located>(
  previous: SegmentedState<X> | undefined,
  tree: Tree,
  text: string,
  parser: Parser,
  run: RunAnalysis<X>,
  maxReducedShare = MAX_REDUCED_SHARE,
): { kind: 'partial'; state: SegmentedState<X> } | { kind: 'whole'; reason: string } {
  if (!previous) return { kind: 'whole', reason: 'first analysis' };
  // The same text (typing on a line that is blanked out for the analysis: see recovery.ts): the same results.
  if (previous.text === text) return { kind: 'partial', state: previous };
  let partial = reanalyse(previous, tree, text, parser, run, maxReducedShare);
  // The keystroke that first binds a module-level name (`TIMEOUT = 3` typed at the top of the file): once
  // more, with that name's readers among the statements re-analysed, as for a name bound before.
  if ('newlyBound' in partial && partial.newlyBound) {
    partial = reanalyse(previous, tree, text, parser, run, maxReducedShare, partial.newlyBound);
  }
  if ('reason' in partial) return { kind: 'whole', reason: partial.reason };
  // The reduced tree is kept for the next keystroke, what was memoized about its nodes is not.
  if (partial.state.reduced) releaseNodeMemo(partial.state.reduced.tree);
  return { kind: 'partial', state: partial.state };
}

/** The second half of `analyzeVersion`: a whole-file result and the state to re-analyse from next. */
export function wholeFileVersion<X extends Located>(
  tree: Tree,
  text: string,
  result: ReturnType<RunAnalysis<X>>,
  reason: string,
  previousSegments?: readonly Segment[],
): VersionAnalysis<X> {
  const failed = result.analysis.notes.some((n) => n.kind === 'skipped');
  return {
    kind: 'whole',
    reason,
    state: failed
      ? undefined
      : wholeFileState(tree, text, result.models, result.analysis.findings, result.extras, previousSegments),
    result,
  };
}
