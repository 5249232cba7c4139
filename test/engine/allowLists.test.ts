import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { buildModels } from '../../server/src/engine/analyze';
import { matchesWordsOnly } from '../../server/src/engine/allowLists';
import { TaintAnalyzer } from '../../server/src/engine/taint';
import type { SinkKind } from '../../server/src/engine/taint';
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
      const counts = { tainted: 0, clean: 0, digits: 0, words: 0 };
      for (const site of file.callsNamed('sink')) {
        const row = site.node.startPosition.row;
        const expected = /#\s*(tainted|clean|digits|words)$/.exec(lines[row - 1] ?? '')?.[1] as
          keyof typeof counts | undefined;
        assert.ok(expected, `no expectation above line ${row + 1}`);
        // `digits`: sanitized for SQL and code, not for a URL; `words`: for SQL, not for code.
        const argument = site.args.positional[0] ?? null;
        const reaches = (kind: SinkKind) => !!taint.reaches(argument, kind, site.scope);
        const got = !taint.taintOf(argument, site.scope)
          ? 'clean'
          : reaches('sql')
            ? 'tainted'
            : !reaches('code') && reaches('url')
              ? 'digits'
              : reaches('code')
                ? 'words'
                : 'sanitized otherwise';
        counts[expected]++;
        if (got !== expected)
          mismatches.push(`line ${row + 1}: ${lines[row]?.trim()} is ${got}, expected ${expected}`);
      }
      assert.ok(
        counts.clean >= 16 && counts.tainted >= 14 && counts.digits >= 2 && counts.words >= 3,
        `cases: ${JSON.stringify(counts)}`,
      );
      assert.deepEqual(mismatches, []);
    } finally {
      tree.delete();
    }
  });

  it('take a regular expression as a check only when a match covers the text with word characters', () => {
    const words: [string, string][] = [
      ['[A-Za-z_]+', 'fullmatch'],
      ['\\w+', 'fullmatch'],
      ['^[a-z0-9_]{1,32}$', 'match'],
      ['^(?:[a-z]+|\\d+)$', 'search'],
      ['[a-z]+|[0-9]+', 'fullmatch'],
      ['\\A[a-f0-9]{32}\\Z', 'match'],
    ];
    const others: [string, string][] = [
      ['[a-z]+', 'match'], // a prefix only
      ['^[a-z]+', 'search'], // no end
      ['[\\w-]+', 'fullmatch'], // `--` starts an SQL comment, `-rf` an option
      ['[\\w.]+', 'fullmatch'], // `..`
      ['[^;]+', 'fullmatch'],
      ['.+', 'fullmatch'],
      ['\\S+', 'fullmatch'],
      ['[A-z]+', 'fullmatch'], // holds [ \ ] ^ and the backtick
      ['^\\w+|.*$', 'match'], // the first alternative matches a prefix
      ['(?m)^\\w+$', 'match'], // $ at any line end
      ['(?P<name>\\w+)', 'fullmatch'],
      ['', 'fullmatch'],
    ];
    for (const [pattern, method] of words)
      assert.ok(matchesWordsOnly(pattern, method), `${method} ${pattern}`);
    for (const [pattern, method] of others)
      assert.ok(!matchesWordsOnly(pattern, method), `${method} ${pattern} is not a check`);
  });
});
