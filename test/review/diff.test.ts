import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { unquoteGitPath } from '../../server/src/git/git';
import { changedLineIndices, toRanges } from '../../server/src/git/lineDiff';
import { parseUnifiedDiff } from '../../server/src/git/unifiedDiff';

describe('parseUnifiedDiff', () => {
  it('reads hunks by their counts, renames, new, deleted, mode-only and binary entries', () => {
    const patch = [
      'diff --git a/app.py b/app.py',
      'index 1111111..2222222 100644',
      '--- a/app.py',
      '+++ b/app.py',
      '@@ -3 +3 @@ def f():',
      '-old',
      '+new',
      '@@ -10,0 +11,2 @@',
      '+added 1',
      '+added 2',
      '@@ -20,2 +21,0 @@',
      '--- a/looks-like-a-header',
      '-diff --git a/x b/x',
      'diff --git a/old name.py b/new name.py',
      'similarity index 90%',
      'rename from old name.py',
      'rename to new name.py',
      'index 3333333..4444444 100644',
      '--- a/old name.py\t',
      '+++ b/new name.py\t',
      '@@ -1 +1 @@',
      '-x\r',
      '\\ No newline at end of file',
      '+y\r',
      '\\ No newline at end of file',
      'diff --git a/same.py b/moved/same.py',
      'similarity index 100%',
      'rename from same.py',
      'rename to moved/same.py',
      'diff --git a/gone.py b/gone.py',
      'deleted file mode 100644',
      '--- a/gone.py',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      '-a',
      '-b',
      'diff --git a/empty.py b/empty.py',
      'new file mode 100644',
      'index 0000000..e69de29',
      'diff --git a/run.sh b/run.sh',
      'old mode 100644',
      'new mode 100755',
      'diff --git "a/t\\303\\251st.py" "b/t\\303\\251st.py"',
      'new file mode 100644',
      '--- /dev/null',
      '+++ "b/t\\303\\251st.py"',
      '@@ -0,0 +1 @@',
      '+x',
      'diff --git a/img.bin b/img.bin',
      'Binary files a/img.bin and b/img.bin differ',
      '',
    ].join('\n');
    const files = parseUnifiedDiff(patch).map((f) => [f.status, f.oldPath, f.newPath, f.binary, f.added]);
    assert.deepEqual(files, [
      [
        'modified',
        'app.py',
        'app.py',
        false,
        [
          [3, 3],
          [11, 12],
        ],
      ],
      ['renamed', 'old name.py', 'new name.py', false, [[1, 1]]],
      ['renamed', 'same.py', 'moved/same.py', false, []],
      ['deleted', 'gone.py', undefined, false, []],
      ['added', undefined, 'empty.py', false, []],
      ['modified', 'run.sh', 'run.sh', false, []],
      ['added', undefined, 'tést.py', false, [[1, 1]]],
      ['modified', 'img.bin', 'img.bin', true, []],
    ]);
  });

  it('unquotes C-style quoted paths', () => {
    assert.equal(unquoteGitPath('"a\\tb\\"c\\\\d"'), 'a\tb"c\\d');
    assert.equal(unquoteGitPath('"\\360\\237\\220\\215.py"'), '🐍.py');
    assert.equal(unquoteGitPath('plain name.py'), 'plain name.py');
  });
});

/** The length of a longest common subsequence, by dynamic programming: the reference for the line diff. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const row = [0];
    b.forEach((y, j) =>
      row.push(x === y ? (previous[j] as number) + 1 : Math.max(previous[j + 1] as number, row[j] as number)),
    );
    previous = row;
  }
  return previous[b.length] as number;
}

describe('changedLineIndices (line diff)', () => {
  it('finds exactly the lines outside a longest common subsequence, which stays in order', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', '', 'pass'), { maxLength: 25 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const changed = changedLineIndices(a.join('\n'), b.join('\n'));
        const oldLines = a.join('\n').split('\n');
        const newLines = b.join('\n').split('\n');
        assert.equal(changed.length, newLines.length - lcsLength(oldLines, newLines));
        const kept = newLines.filter((_, i) => !changed.includes(i));
        let j = 0;
        for (const line of oldLines) if (j < kept.length && kept[j] === line) j++;
        assert.equal(j, kept.length, 'the unchanged lines are a subsequence of the old text');
      }),
      { numRuns: 3000 },
    );
  });

  it('treats CRLF, LF and CR line ends alike', () => {
    assert.deepEqual(changedLineIndices('a\r\nb\r\nc\r\n', 'a\nB\nc\n'), [1]);
    assert.deepEqual(changedLineIndices('a\rb\rc', 'a\r\nb\r\nc'), []);
  });

  it('marks insertions, changes and moves; toRanges gives 1-based ranges', () => {
    const old = ['def f():', '    x = 1', '    return x', '', 'def g():', '    pass'].join('\n');
    const now = ['def g():', '    pass', '', 'def f():', '    x = 2', '    return x', ''].join('\n');
    assert.deepEqual(toRanges(changedLineIndices(old, now)), [
      [1, 3],
      [5, 5],
    ]);
    assert.deepEqual(toRanges([0, 1, 2, 7, 9, 10]), [
      [1, 3],
      [8, 8],
      [10, 11],
    ]);
  });

  it('stays within the work budget on a hopeless input, counting the region as changed', () => {
    const a = Array.from({ length: 400 }, (_, i) => String(i % 7)).join('\n');
    const b = Array.from({ length: 400 }, (_, i) => String((i * 3) % 7)).join('\n');
    const precise = changedLineIndices(a, b);
    const cheap = changedLineIndices(a, b, 1000);
    assert.ok(cheap.length >= precise.length);
  });

  it('is fast on a 20,000-line file', () => {
    const base = Array.from({ length: 20_000 }, (_, i) => `    value_${i} = compute(${i % 97}, "${i % 13}")`);
    const oneEdit = [...base];
    oneEdit[12_345] = '    value = request.args["x"]';
    const scattered = base.map((line, i) => (i % 100 === 0 ? `${line}  # edited` : line));
    scattered.splice(5000, 0, 'inserted = True');
    const shuffled = [...base].reverse();
    const time = (a: string[], b: string[]) => {
      const oldText = a.join('\n');
      const newText = b.join('\n');
      const start = process.hrtime.bigint();
      const changed = changedLineIndices(oldText, newText);
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, changed: changed.length };
    };
    changedLineIndices('warm\nup', 'warm\nup\n'); // JIT
    const one = time(base, oneEdit);
    const many = time(base, scattered);
    const reversed = time(base, shuffled);
    assert.equal(one.changed, 1);
    assert.equal(many.changed, 201);
    assert.ok(reversed.changed >= 19_999); // 19,999 exactly, or all when the budget runs out
    console.log(
      `line diff, 20,000 lines: one edit ${one.ms.toFixed(1)} ms, 201 scattered edits ${many.ms.toFixed(1)} ms, reversed file ${reversed.ms.toFixed(1)} ms`,
    );
    assert.ok(one.ms < 200 && many.ms < 1000, `too slow: ${JSON.stringify({ one, many })}`);
  });
});
