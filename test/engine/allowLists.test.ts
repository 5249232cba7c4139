import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildModels } from '../../server/src/engine/analyze';
import { TaintAnalyzer } from '../../server/src/engine/taint';
import { engine } from '../helpers/engine';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'engine', 'allow-lists.py');

describe('allow-list checks', () => {
  it('clean a value only where the check guards the use', async () => {
    const source = fs.readFileSync(FIXTURE, 'utf8');
    const tree = (await engine()).parser.parse(source);
    assert.ok(tree);
    try {
      const { file, flask } = buildModels(tree, source, 'app.py');
      const taint = new TaintAnalyzer(file, (scope) => flask.routesOf(scope)[0]?.urlParameters ?? new Map());
      const lines = source.split('\n');
      const mismatches: string[] = [];
      const counts = { tainted: 0, clean: 0, digits: 0 };
      for (const site of file.callsNamed('sink')) {
        const row = site.node.startPosition.row;
        const expected = /#\s*(tainted|clean|digits)$/.exec(lines[row - 1] ?? '')?.[1] as
          keyof typeof counts | undefined;
        assert.ok(expected, `no expectation above line ${row + 1}`);
        // `digits`: sanitized for SQL (and the rest), not for a URL.
        const argument = site.args.positional[0] ?? null;
        const got = taint.reaches(argument, 'sql', site.scope)
          ? 'tainted'
          : taint.reaches(argument, 'url', site.scope)
            ? 'digits'
            : taint.taintOf(argument, site.scope)
              ? 'sanitized otherwise'
              : 'clean';
        counts[expected]++;
        if (got !== expected)
          mismatches.push(`line ${row + 1}: ${lines[row]?.trim()} is ${got}, expected ${expected}`);
      }
      assert.ok(
        counts.clean >= 16 && counts.tainted >= 14 && counts.digits >= 2,
        `cases: ${JSON.stringify(counts)}`,
      );
      assert.deepEqual(mismatches, []);
    } finally {
      tree.delete();
    }
  });
});
