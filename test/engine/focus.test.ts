import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { Node, Tree } from 'web-tree-sitter';
import { generateSingleFile } from '../../bench/generate';
import { analyzeModels, buildModels } from '../../server/src/engine/analyze';
import type { Focus } from '../../server/src/engine/context';
import { Engine } from '../../server/src/engine/engine';
import { LineIndex } from '../../server/src/engine/positions';
import type { Finding } from '../../server/src/engine/types';
import { EXAMPLES, FOCUS_FIXTURES, RULE_FIXTURES, pythonFiles } from '../helpers/fixtures';

/**
 * The focus contract (RuleContext.inFocus): an analysis told to look only at some top-level statements
 * gives, for findings that start in them, exactly what the whole-file analysis gives there. Re-analysis
 * after a keystroke relies on it; a rule that skips a site it should not (a lookup about other sites, a
 * finding reported away from its site) fails here on its own fixture.
 */
describe('analysis in focus (rules skip sites outside the edited statements)', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.create();
  });

  const analyse = (tree: Tree, text: string, focus?: Focus) =>
    analyzeModels(buildModels(tree, text, 'app/views.py'), engine.rules, { focus }).findings;

  /** Checks each group of statements as a focus against the whole-file findings. */
  const checkFile = (name: string, text: string, groups: (statements: number) => number[][]) => {
    const tree = engine.parser.parse(text) as Tree;
    try {
      const lines = new LineIndex(text);
      const statements = tree.rootNode.children.filter((child): child is Node => child !== null);
      const whole = analyse(tree, text);
      const startOf = (finding: Finding) => lines.offsetAt(finding.range.start);
      let compared = 0;
      for (const group of groups(statements.length)) {
        const focus = group.map((i) => {
          const statement = statements[i] as Node;
          return { start: statement.startIndex, end: statement.endIndex };
        });
        const within = (finding: Finding) =>
          focus.some((range) => startOf(finding) >= range.start && startOf(finding) < range.end);
        const expected = whole.filter(within);
        compared += expected.length;
        assert.deepEqual(
          analyse(tree, text, focus).filter(within),
          expected,
          `${name}: focus on statements ${group.join(', ')} (lines ${focus
            .map((range) => lines.positionAt(range.start).line + 1)
            .join(', ')})`,
        );
      }
      return compared;
    } finally {
      tree.delete();
    }
  };

  const oneByOne = (count: number) => Array.from({ length: count }, (_, i) => [i]);

  it('gives the whole-file findings of each statement of every rule fixture and example', () => {
    const files = pythonFiles(RULE_FIXTURES, FOCUS_FIXTURES, EXAMPLES);
    let compared = 0;
    for (const file of files) compared += checkFile(file, readFileSync(file, 'utf8'), oneByOne);
    // The fixtures are dense with findings: a test that compared nothing would prove nothing.
    assert.ok(compared > 500, `only ${compared} findings compared`);
  });

  it('gives the whole-file findings of scattered statements of a generated application', () => {
    const text = generateSingleFile(1500, 20261202);
    // Every seventh statement at once: the focus is several ranges, with context between them.
    const strided = (count: number) =>
      Array.from({ length: 7 }, (_, k) =>
        Array.from({ length: count }, (_, i) => i).filter((i) => i % 7 === k),
      );
    // Mostly safe code: what this adds is look-alikes in focus that must stay quiet when their context
    // (helpers, models, the app's setup) is out of focus.
    assert.ok(checkFile('generated', text, strided) > 0);
  });
});
