import type { Node, Parser, Tree } from 'web-tree-sitter';
import { reparseFrom } from './parser';
import type { Position, Range } from './types';

/**
 * Recovery from a bracket left open, the commonest half-typed line (`x = foo(` typed, or the `)` at the end of
 * a line deleted).
 *
 * Python's own tokenizer knows that a line starting a new statement at the indentation of the one with the
 * open bracket means the bracket was never closed. tree-sitter's error recovery does not: it reads on as
 * if inside the brackets and can swallow thousands of lines, so every finding below the half-typed line
 * vanished or changed while it was being typed, and the language server re-analysed most of the file on
 * each such keystroke. Here the statement with the open bracket is blanked out and the rest is analysed as
 * written, as ruff does. The CLI and the language server both analyse the recovered text, so a file gets
 * the same findings either way.
 *
 * The statement is cut at its open bracket: `rows = db.execute(text(f"SELECT` is analysed as `rows =
 * db.execute`, followed by the line breaks of what was cut. That is the text the statement had before its
 * bracket was typed (or its closing bracket deleted), so the key that opens a call leaves the recovered text
 * as it was, with nothing to parse again; and it keeps what the statement binds. Where the cut is not a
 * statement of its own (a decorator, a block's header, `x = [`), the statement becomes `pass` and its line
 * breaks. Either way every line keeps its number and every other line its text, so positions (line and
 * column, all that findings carry) are the same in both texts, while offsets after the statement are not.
 * Typing on the half-typed line after the bracket then leaves the recovered text exactly as it was: nothing
 * is parsed or analysed again until the line breaks change or the bracket is closed.
 *
 * Only statements tree-sitter reports an error in are looked at: valid code is never blanked.
 */
export interface Blank {
  /** The bracket that is never closed, and which one it is. */
  bracket: Position;
  opener: string;
  /** What was blanked: from the statement's first character to the start of the line that ended it. */
  range: Range;
  /** Whether the statement was cut at the bracket (the code before it is analysed), or left out whole. */
  cut: boolean;
}

/** What the analysis reads: the text as written, or the text with its unclosed statements blanked out. */
export interface Recovered {
  tree: Tree;
  text: string;
  /** Empty when the text is analysed as written (`tree` is then the written tree). */
  blanks: readonly Blank[];
}

/** A text and its tree, as the incremental parse of the next recovered text starts from. */
export interface ParsedText {
  text: string;
  tree: Tree;
}

/** More than this many unclosed statements in one file: the rest is analysed as tree-sitter parsed it. */
const MAX_BLANKS = 8;

/**
 * The text to analyse for `written` (the tree of `text`). `previous` is the last recovered text of the same
 * document and its tree, which the recovered text's parse starts from (it is used up: edited, then deleted);
 * without it, the parse starts from a copy of `written`. The answer's tree is `written` itself when nothing
 * was blanked; otherwise it is a new tree the caller owns.
 */
export function recover(parser: Parser, written: Tree, text: string, previous?: ParsedText): Recovered {
  let found = written.rootNode.hasError ? findUnclosed(written, text, 0) : null;
  if (!found) {
    previous?.tree.delete();
    return { tree: written, text, blanks: [] };
  }
  let base: ParsedText = previous ?? { text, tree: written.copy() };
  let current = text;
  const blanks: Blank[] = [];
  while (found && blanks.length < MAX_BLANKS) {
    const before = current;
    const unclosed = found;
    let blanked = blankOut(before, unclosed, cutsCleanly(before, unclosed));
    for (;;) {
      // Typing on the half-typed line gives the same recovered text as last time: its tree is still right.
      if (blanked.text !== base.text) {
        const tree = reparseFrom(parser, base, blanked.text);
        if (!tree) return { tree: written, text, blanks: [] };
        base = { text: blanked.text, tree };
      }
      // A cut that does not parse as a statement of its own is blanked whole instead.
      if (!blanked.cut || !errorIn(base.tree.rootNode, unclosed.start, blanked.end)) break;
      blanked = blankOut(before, unclosed, false);
    }
    blanks.push(blankOf(before, unclosed, blanked.cut));
    current = blanked.text;
    found = base.tree.rootNode.hasError ? findUnclosed(base.tree, current, blanked.end) : null;
  }
  return { tree: base.tree, text: current, blanks };
}

/** A statement whose bracket is never closed, by offsets in the text it was found in. */
interface Unclosed {
  bracket: number;
  start: number;
  end: number;
  /** A line start at or before `start` whose line number is known: positions are counted from there. */
  anchor: { offset: number; line: number };
}

/**
 * `text` with the statement cut at its open bracket (`cut`), or replaced by `pass`, followed by the line
 * breaks of what was left out; where the replacement ends.
 */
function blankOut(
  text: string,
  unclosed: Unclosed,
  cut: boolean,
): { text: string; end: number; cut: boolean } {
  const kept = cut ? unclosed.bracket : unclosed.start;
  let breaks = '';
  for (let i = kept; i < unclosed.end; i++) {
    const code = text.charCodeAt(i);
    if (code === 10 || code === 13) breaks += text[i] as string;
  }
  const replacement = `${cut ? '' : 'pass'}${breaks}`;
  return {
    text: text.slice(0, kept) + replacement + text.slice(unclosed.end),
    end: kept + replacement.length,
    cut,
  };
}

/** Statements that open a block or decorate one: cut at a bracket, their header is not a statement. */
const BLOCK_HEADER =
  /^(?:@|(?:if|elif|else|while|for|with|def|class|try|except|finally|async|match|case)(?![\w]))/;
/** How a cut can end and still be a whole expression: a name, a closing bracket or a string's quote. */
const ENDS_AN_EXPRESSION = /[\w)\]}'"]$/;

/**
 * Whether the text before the open bracket, on the statement's first line, reads as a statement of its
 * own (`x = foo`, `return render`, `db.session.execute`). The parse has the last word: `errorIn`.
 */
function cutsCleanly(text: string, unclosed: Unclosed): boolean {
  const head = text.slice(unclosed.start, unclosed.bracket);
  if (/[\r\n\\]/.test(head)) return false;
  const trimmed = head.trimEnd();
  return trimmed.length > 0 && !BLOCK_HEADER.test(trimmed) && ENDS_AN_EXPRESSION.test(trimmed);
}

/** Whether an ERROR or MISSING node overlaps [start, end), looking only into subtrees that hold one. */
function errorIn(node: Node, start: number, end: number): boolean {
  if (node.endIndex <= start || node.startIndex >= end || !node.hasError) return false;
  if (node.isError || node.isMissing) return true;
  for (const child of node.children) {
    if (child && errorIn(child, start, end)) return true;
  }
  return false;
}

/** The blank, in positions (the same in the written text: lines before it are unchanged). */
function blankOf(text: string, unclosed: Unclosed, cut: boolean): Blank {
  const { anchor } = unclosed;
  const start = positionIn(text, unclosed.start, anchor.offset, { line: anchor.line, character: 0 });
  return {
    bracket: positionIn(text, unclosed.bracket, unclosed.start, start),
    opener: text[unclosed.bracket] as string,
    range: { start, end: positionIn(text, unclosed.end, unclosed.start, start) },
    cut,
  };
}

/** The position of `offset`, counting line breaks as LineIndex does (from `from`, at `at`). */
function positionIn(
  text: string,
  offset: number,
  from = 0,
  at: Position = { line: 0, character: 0 },
): Position {
  let line = at.line;
  let lineStart = from - at.character;
  for (let i = from; i < offset; i++) {
    const code = text.charCodeAt(i);
    if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}

/**
 * Whether the statement at `start` (the first character of its line's code) still has its bracket at
 * `bracket` open when the line at `end` begins a statement: the blank recovery made of it stands as it was.
 */
export function blankStands(text: string, start: number, bracket: number, end: number): boolean {
  const found = scanStatements(text, lineStartOf(text, start), start + 1);
  return found !== null && found.start === start && found.bracket === bracket && found.end === end;
}

/** Node types of whole statements (and comments) in tree-sitter-python; anything else in a module is loose. */
const STATEMENT = /(_statement|_definition|^comment)$/;

/**
 * The first statement at or after `from` whose bracket is still open at a line that starts a statement at
 * its indentation or less, among the top-level statements that hold a syntax error; null for none.
 */
function findUnclosed(tree: Tree, text: string, from: number): Unclosed | null {
  // Error recovery can leave the pieces of a statement (a name, `=`, `[`, ...) loose in the module, before
  // the ERROR node: the scan starts at the first of them.
  let looseSince: Node | null = null;
  for (const child of tree.rootNode.children) {
    if (!child) continue;
    const first: Node = looseSince ?? child;
    looseSince = STATEMENT.test(child.type) ? null : first;
    if (child.endIndex <= from || !(child.hasError || child.isMissing)) continue;
    const lineStart = lineStartOf(text, first.startIndex);
    const scanned = scanStatements(text, Math.max(lineStart, from), child.endIndex);
    if (scanned) {
      // The tree's rows are the lines of LineIndex unless a lone `\r` breaks a line (tree-sitter counts
      // `\n` only): then the lines are counted from the start of the file.
      const rowsAreLines = !text.includes('\r') || !/\r(?!\n)/.test(text);
      const anchor = rowsAreLines
        ? { offset: lineStart, line: first.startPosition.row }
        : { offset: 0, line: 0 };
      return { ...scanned, anchor };
    }
  }
  return null;
}

function lineStartOf(text: string, offset: number): number {
  let i = offset;
  while (i > 0) {
    const code = text.charCodeAt(i - 1);
    if (code === 10 || code === 13) break;
    i--;
  }
  return i;
}

const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
/** A line inside open brackets that starts like a statement: a name, a keyword or a decorator. */
const STATEMENT_START = /[A-Za-z_@]/;

/**
 * Reads Python tokens from `start` (the start of a line, outside any string) the way the tokenizer does
 * for brackets, strings, comments and line continuations, and stops at the first logical line that starts
 * at or after `end`. Inside open brackets, a line that starts like a statement at the indentation of the
 * logical line that opened them (or less) ends that logical line: its brackets were never closed.
 */
function scanStatements(text: string, start: number, end: number): Omit<Unclosed, 'anchor'> | null {
  const open: number[] = [];
  let logicalStart = -1;
  let logicalIndent = 0;
  let continued = false;
  let i = start;
  let atLineStart = true;
  while (i < text.length) {
    if (atLineStart) {
      atLineStart = false;
      const lineStart = i;
      let indent = 0;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\f')) {
        indent = text[i] === '\t' ? indent + 8 - (indent % 8) : indent + 1;
        i++;
      }
      const first = text[i];
      if (first === undefined) return null;
      if (first === '\n' || first === '\r' || first === '#') {
        // Blank and comment-only lines neither end nor start anything.
      } else if (continued) {
        continued = false;
      } else if (open.length > 0) {
        if (indent <= logicalIndent && STATEMENT_START.test(first)) {
          return { bracket: open[0] as number, start: logicalStart, end: lineStart };
        }
      } else {
        if (i >= end) return null;
        logicalStart = i;
        logicalIndent = indent;
      }
      continue;
    }
    const ch = text[i] as string;
    if (ch === '\n' || ch === '\r') {
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      atLineStart = true;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (ch === '\\') {
      const next = text[i + 1];
      if (next === '\n' || next === '\r') {
        continued = true;
        i += next === '\r' && text[i + 2] === '\n' ? 3 : 2;
        atLineStart = true;
      } else {
        i += 2;
      }
    } else if (ch === '"' || ch === "'") {
      const after = skipString(text, i);
      if (after < 0) return null;
      i = after;
    } else {
      if (OPENERS.has(ch)) open.push(i);
      else if (CLOSERS.has(ch)) open.pop();
      i++;
    }
  }
  return null;
}

/**
 * Where the string literal starting at `quote` ends. A one-line string ends at its line's end if it is
 * not closed (Python reports that; the next line is read as code again). -1 for a triple-quoted string that
 * is never closed: what follows cannot be told apart from code.
 */
function skipString(text: string, quote: number): number {
  const q = text[quote] as string;
  const triple = text[quote + 1] === q && text[quote + 2] === q;
  let i = quote + (triple ? 3 : 1);
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') {
      i += 2;
    } else if (triple) {
      if (ch === q && text[i + 1] === q && text[i + 2] === q) return i + 3;
      i++;
    } else if (ch === q) {
      return i + 1;
    } else if (ch === '\n' || ch === '\r') {
      return i;
    } else {
      i++;
    }
  }
  return triple ? -1 : i;
}
