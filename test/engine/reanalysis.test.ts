import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Tree } from 'web-tree-sitter';
import { analyzeModels, buildModels } from '../../server/src/engine/analyze';
import { Engine } from '../../server/src/engine/engine';
import { LineIndex } from '../../server/src/engine/positions';
import { generateSingleFile } from '../../bench/generate';
import { keystrokeScript } from '../../bench/keystrokes';
import { reanalyse, releaseState, wholeFileState } from '../../server/src/engine/reanalysis';
import type { Located, SegmentedState } from '../../server/src/engine/reanalysis';
import { treeSitterEdit } from '../../server/src/lsp/documents';

/**
 * Differential: re-analysing only the edited top-level statement (and what it reaches) gives exactly the
 * findings of a whole-file analysis, over every rule's fixture (the spellings each rule knows) and random
 * edits typed inside function bodies — the keystroke path's only correctness argument that matters.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'rules');

/** Text typed into a body: sources, sinks, helpers called, names rebound, half-typed lines. */
const FRAGMENTS = [
  'x',
  '(',
  ')',
  '"',
  '\n    ',
  '\n    value = request.args.get("q")',
  '\n    helper(request.form["name"])',
  '\n    os.system("ls " + value)',
  '\n    cursor.execute("SELECT * FROM t WHERE id = " + value)',
  '\n    return redirect(request.args["next"])',
  '\n    data = request.get_json()',
  '\n    global CACHE',
  '\n    import subprocess',
  '\n    app.config["SECRET_KEY"] = "dev"',
  '  # nosec',
  'request.args["q"]',
  ', methods=["POST"]',
  '@login_required\n',
  'POST',
];

interface Edit {
  at: number;
  remove: number;
  fragment: number;
}

const editArb = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.nat({ max: 6 }),
  fragment: fc.nat({ max: FRAGMENTS.length - 1 }),
});

/**
 * Offsets inside function bodies (after the first line of a def), where people type most, and in
 * decorator lines (routes change their methods, auth decorators come and go).
 */
function bodyOffsets(text: string): number[] {
  const out: number[] = [];
  for (const match of text.matchAll(/^@[^\n]*/gm)) {
    for (let i = 1; i < match[0].length; i += 5) out.push((match.index ?? 0) + i);
  }
  const def = /^([ \t]*)(async\s+)?def [^\n]*\n/gm;
  for (const match of text.matchAll(def)) {
    const start = (match.index ?? 0) + match[0].length;
    const end = text.indexOf('\n\n', start);
    for (let i = start; i < (end < 0 ? text.length : end); i += 7) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/** Where each statement starts, counted afresh (the re-analysis moves the previous lines instead). */
function linesOf(segments: readonly { start: number }[], text: string): number[] {
  const index = new LineIndex(text);
  return segments.map((s) => index.positionAt(s.start).line);
}

describe('re-analysis of the edited statement (differential)', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.create();
  });

  const run = (tree: Tree, text: string) => {
    const models = buildModels(tree, text, 'app/views.py');
    return { models, analysis: analyzeModels(models, engine.rules), extras: [] as Located[] };
  };

  it('equals a whole-file analysis after every edit, on every rule fixture', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py'));
    let partial = 0;
    let total = 0;
    for (const file of files) {
      const original = readFileSync(join(FIXTURES, file), 'utf8');
      const offsets = bodyOffsets(original);
      if (offsets.length === 0) continue;
      fc.assert(
        fc.property(fc.array(editArb, { minLength: 1, maxLength: 6 }), (edits: Edit[]) => {
          let text = original;
          let tree = engine.parser.parse(text) as Tree;
          const first = run(tree, text);
          let state: SegmentedState<Located> = wholeFileState(
            tree,
            text,
            first.models,
            first.analysis.findings,
            [],
          );
          try {
            for (const edit of edits) {
              const candidates = bodyOffsets(text);
              if (candidates.length === 0) return;
              const at = candidates[Math.floor(edit.at * candidates.length)] as number;
              const end = Math.min(text.length, at + edit.remove);
              const inserted = FRAGMENTS[edit.fragment] as string;
              tree.edit(treeSitterEdit(text, at, end, inserted));
              text = text.slice(0, at) + inserted + text.slice(end);
              const next = engine.parser.parse(text, tree) as Tree;
              tree.delete();
              tree = next;
              const result = reanalyse(state, tree, text, engine.parser, run, 1);
              const fresh = run(tree, text);
              total++;
              if ('state' in result) {
                partial++;
                assert.deepEqual(result.state.findings, fresh.analysis.findings, `${file}\n${text}`);
                assert.deepEqual(result.state.lines, linesOf(result.state.segments, text));
                state = result.state;
              } else {
                releaseState(state);
                state = wholeFileState(tree, text, fresh.models, fresh.analysis.findings, [], state.segments);
              }
            }
          } finally {
            tree.delete();
            releaseState(state);
          }
        }),
        { numRuns: 8, seed: Number(process.env.FC_SEED ?? 20261201) },
      );
    }
    // The fast path must actually be taken, or this test proves nothing. Rule fixtures are dense with
    // statements that reach out (config writes, hooks) and random edits often join statements, so most
    // edits here rightly take the whole-file path.
    assert.ok(partial > total / 10, `only ${partial} of ${total} edits were re-analysed partially`);
  });

  it('equals a whole-file analysis while typing in a generated Flask module, mostly without the whole file', () => {
    let text = generateSingleFile(1000, 7);
    let tree = engine.parser.parse(text) as Tree;
    const first = run(tree, text);
    let state: SegmentedState<Located> = wholeFileState(
      tree,
      text,
      first.models,
      first.analysis.findings,
      [],
    );
    let partial = 0;
    const edits = keystrokeScript(text, 80, 11);
    try {
      for (const edit of edits) {
        tree.edit(treeSitterEdit(text, edit.start, edit.end, edit.text));
        text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
        const next = engine.parser.parse(text, tree) as Tree;
        tree.delete();
        tree = next;
        const result = reanalyse(state, tree, text, engine.parser, run, 1);
        const fresh = run(tree, text);
        if ('state' in result) {
          partial++;
          assert.deepEqual(result.state.findings, fresh.analysis.findings);
          assert.deepEqual(result.state.lines, linesOf(result.state.segments, text));
          state = result.state;
        } else {
          releaseState(state);
          state = wholeFileState(tree, text, fresh.models, fresh.analysis.findings, [], state.segments);
        }
      }
    } finally {
      tree.delete();
    }
    assert.ok(
      partial > edits.length / 2,
      `only ${partial} of ${edits.length} keystrokes were re-analysed partially`,
    );
  });

  it('moves every later finding when blank lines are typed or deleted between statements', () => {
    let text = generateSingleFile(600, 5);
    let tree = engine.parser.parse(text) as Tree;
    const first = run(tree, text);
    let state: SegmentedState<Located> = wholeFileState(
      tree,
      text,
      first.models,
      first.analysis.findings,
      [],
    );
    const gaps = [...text.matchAll(/\n\n(?=def |class |@)/g)].map((m) => (m.index ?? 0) + 1);
    let partial = 0;
    try {
      for (const [k, gap] of gaps.slice(0, 12).entries()) {
        // Insert a blank line at an early gap, or delete one (the gaps move as lines are added: re-find).
        const at = [...text.matchAll(/\n\n(?=def |class |@)/g)].map((m) => (m.index ?? 0) + 1)[k] ?? gap;
        const [start, end, inserted] = k % 3 === 2 ? [at, at + 1, ''] : [at, at, '\n'];
        tree.edit(treeSitterEdit(text, start, end, inserted));
        text = text.slice(0, start) + inserted + text.slice(end);
        const next = engine.parser.parse(text, tree) as Tree;
        tree.delete();
        tree = next;
        const result = reanalyse(state, tree, text, engine.parser, run, 1);
        const fresh = run(tree, text);
        assert.ok('state' in result, 'a blank line alone never needs the whole file');
        partial++;
        assert.deepEqual(result.state.lines, linesOf(result.state.segments, text));
        assert.deepEqual(result.state.findings, fresh.analysis.findings);
        state = result.state;
      }
    } finally {
      tree.delete();
      releaseState(state);
    }
    assert.ok(partial >= 10);
  });
});
