import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { changedLinesOf, changedSince, touches } from '../../server/src/git/changedLines';
import type { ChangedFiles, LineSet } from '../../server/src/git/changedLines';
import { GitError } from '../../server/src/git/git';
import { Repo, numberedLines } from './repo';

const repos: Repo[] = [];
const repo = (files: Record<string, string> = {}) => {
  const r = new Repo(files);
  repos.push(r);
  return r;
};
after(() => repos.forEach((r) => r.dispose()));

/** The changed lines of every file, by path relative to the repository, as plain data. */
function summary(changed: ChangedFiles): Record<string, LineSet> {
  const out: Record<string, LineSet> = {};
  for (const [file, lines] of changed.files) {
    out[path.relative(changed.toplevel, file).split(path.sep).join('/')] = lines;
  }
  return out;
}

const lines = (...ranges: [number, number][]): LineSet => ({ all: false, ranges });
const ALL: LineSet = { all: true };

/** Replaces 1-based line `n` of a text. */
const replaceLine = (text: string, n: number, content: string) => {
  const parts = text.split('\n');
  parts[n - 1] = content;
  return parts.join('\n');
};

describe('git: lines changed since a revision', () => {
  it('maps modified, inserted and removed lines to lines of the new file', async () => {
    const r = repo({ 'app.py': numberedLines(10) });
    r.commit('base');
    let text = replaceLine(r.read('app.py'), 3, 'changed 3');
    text = replaceLine(text, 7, 'changed 7');
    text = text.replace('line 5\n', 'line 5\ninserted\n').replace('line 9\n', '');
    r.write({ 'app.py': text });
    const changed = await changedSince('HEAD', r.root);
    // 3 changed; a line inserted after 5 is line 6; old line 7 is now line 8; deleting 9 adds nothing.
    assert.deepEqual(summary(changed), { 'app.py': lines([3, 3], [6, 6], [8, 8]) });
    assert.match(changed.commit, /^[0-9a-f]{40}$/);
  });

  it('counts committed, staged and unstaged changes since the revision, and untracked files', async () => {
    const r = repo({ 'a.py': numberedLines(5), 'b.py': numberedLines(5), 'c.py': numberedLines(5) });
    r.commit('base');
    r.git('checkout', '-q', '-b', 'feature');
    r.write({ 'a.py': replaceLine(r.read('a.py'), 1, 'committed') });
    r.commit('feature work');
    r.write({ 'b.py': replaceLine(r.read('b.py'), 2, 'staged') });
    r.git('add', 'b.py');
    r.write({ 'c.py': replaceLine(r.read('c.py'), 3, 'unstaged'), 'new/d.py': 'x = 1\n' });
    assert.deepEqual(summary(await changedSince('main', r.root)), {
      'a.py': lines([1, 1]),
      'b.py': lines([2, 2]),
      'c.py': lines([3, 3]),
      'new/d.py': ALL,
    });
    // Against HEAD the committed change is not new any more.
    assert.deepEqual(Object.keys(summary(await changedSince('HEAD', r.root))).sort(), [
      'b.py',
      'c.py',
      'new/d.py',
    ]);
  });

  it('follows renames to the new path: no changed lines without edits, the edited lines with them', async () => {
    const r = repo({ 'old.py': numberedLines(20), 'other.py': numberedLines(20) });
    r.commit('base');
    r.git('mv', 'old.py', 'renamed.py');
    fs.mkdirSync(r.path('moved'));
    r.git('mv', 'other.py', 'moved/edited.py');
    r.write({ 'moved/edited.py': replaceLine(r.read('moved/edited.py'), 12, 'edited 12') });
    assert.deepEqual(summary(await changedSince('HEAD', r.root)), {
      'renamed.py': lines(),
      'moved/edited.py': lines([12, 12]),
    });
    r.commit('renames');
    // The same through committed history.
    assert.deepEqual(summary(await changedSince('HEAD~1', r.root)), {
      'renamed.py': lines(),
      'moved/edited.py': lines([12, 12]),
    });
  });

  it('marks a moved block at its new place only', async () => {
    const r = repo({ 'app.py': numberedLines(20) });
    r.commit('base');
    const text = r.read('app.py');
    const block = 'line 3\nline 4\nline 5\n';
    r.write({ 'app.py': text.replace(block, '').replace('line 20\n', `line 20\n${block}`) });
    assert.deepEqual(summary(await changedSince('HEAD', r.root)), { 'app.py': lines([18, 20]) });
  });

  it('counts new files (committed or untracked) as all changed and leaves deleted files out', async () => {
    const r = repo({
      'keep.py': numberedLines(3),
      'gone.py': numberedLines(3),
      '.gitignore': 'ignored.py\n',
    });
    r.commit('base');
    r.write({ 'added.py': 'a = 1\n' });
    r.commit('add');
    r.remove('gone.py');
    r.write({ 'untracked.py': 'b = 2\n', 'ignored.py': 'c = 3\n' });
    assert.deepEqual(summary(await changedSince('HEAD~1', r.root)), {
      'added.py': ALL,
      'untracked.py': ALL,
    });
  });

  it('handles CRLF files, names with spaces and non-ASCII names; binary files count as all changed', async () => {
    const r = repo({
      'crlf.py': numberedLines(8, '\r\n'),
      'with space.py': numberedLines(4),
      'naïve "quoted".py': numberedLines(4),
      'blob.bin': 'a\0b',
    });
    r.commit('base');
    r.write({
      'crlf.py': r.read('crlf.py').replace('line 4\r\n', 'changed 4\r\n').replace('line 7\r\n', ''),
      'with space.py': replaceLine(r.read('with space.py'), 2, 'two'),
      'naïve "quoted".py': replaceLine(r.read('naïve "quoted".py'), 4, 'four'),
      'blob.bin': 'a\0c',
    });
    assert.deepEqual(summary(await changedSince('HEAD', r.root)), {
      'crlf.py': lines([4, 4]),
      'with space.py': lines([2, 2]),
      'naïve "quoted".py': lines([4, 4]),
      'blob.bin': ALL,
    });
  });

  it('is not fooled by removed lines that look like patch headers', async () => {
    const r = repo({ 'app.py': '-- a/x\n++ b/y\ndiff --git a/z b/z\n@@ -1 +1 @@\nkeep\n' });
    r.commit('base');
    r.write({ 'app.py': 'keep\n', 'z.py': 'new\n' });
    assert.deepEqual(summary(await changedSince('HEAD', r.root)), { 'app.py': lines(), 'z.py': ALL });
  });

  it('works from a subfolder: paths are the real files, whatever folder git runs in', async () => {
    const r = repo({ 'pkg/sub/app.py': numberedLines(5), 'top.py': numberedLines(5) });
    r.commit('base');
    r.write({
      'pkg/sub/app.py': replaceLine(r.read('pkg/sub/app.py'), 2, 'two'),
      'top.py': replaceLine(r.read('top.py'), 5, 'five'),
    });
    const changed = await changedSince('HEAD', r.path('pkg/sub'));
    assert.equal(changed.toplevel, r.root);
    assert.deepEqual(changedLinesOf(changed, r.path('pkg/sub/app.py')), lines([2, 2]));
    assert.deepEqual(changedLinesOf(changed, r.path('top.py')), lines([5, 5]));
    // Through a symlinked path to the same folder.
    const link = path.join(fs.realpathSync(os.tmpdir()), `flask-sentinel-link-${process.pid}`);
    fs.symlinkSync(r.root, link);
    try {
      assert.deepEqual(changedLinesOf(changed, path.join(link, 'top.py')), lines([5, 5]));
    } finally {
      fs.unlinkSync(link);
    }
  });

  it('REF... compares with the merge base, as a pull request would', async () => {
    const r = repo({ 'a.py': numberedLines(5), 'b.py': numberedLines(5) });
    r.commit('base');
    r.git('checkout', '-q', '-b', 'feature');
    r.write({ 'a.py': replaceLine(r.read('a.py'), 2, 'feature') });
    r.commit('feature');
    r.git('checkout', '-q', 'main');
    r.write({ 'b.py': replaceLine(r.read('b.py'), 3, 'main moved on') });
    r.commit('main');
    r.git('checkout', '-q', 'feature');
    assert.deepEqual(Object.keys(summary(await changedSince('main', r.root))).sort(), ['a.py', 'b.py']);
    assert.deepEqual(summary(await changedSince('main...', r.root)), { 'a.py': lines([2, 2]) });
  });

  it('says clearly when the folder is not in a repository or the revision does not exist', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-nogit-'));
    try {
      await assert.rejects(
        changedSince('HEAD', outside),
        (e: unknown) =>
          e instanceof GitError && e.kind === 'not-a-repo' && /not inside a git repository/.test(e.message),
      );
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
    const r = repo({ 'a.py': 'x = 1\n' });
    await assert.rejects(
      changedSince('HEAD', r.root),
      (e: unknown) => e instanceof GitError && e.kind === 'bad-ref',
    );
    r.commit('base');
    await assert.rejects(
      changedSince('no-such-branch', r.root),
      (e: unknown) => e instanceof GitError && /'no-such-branch' is not a commit/.test(e.message),
    );
    await assert.rejects(
      changedSince('--output=x', r.root),
      (e: unknown) => e instanceof GitError && e.kind === 'bad-ref',
    );
  });
});

describe('touches', () => {
  const range = (a: number, b: number, endCharacter = 5) => ({
    start: { line: a, character: 0 },
    end: { line: b, character: endCharacter },
  });
  it('matches a range that overlaps a changed line (0-based ranges, 1-based lines)', () => {
    const set = lines([3, 4], [10, 10]);
    assert.equal(touches(set, range(2, 2)), true);
    assert.equal(touches(set, range(4, 4)), false);
    assert.equal(touches(set, range(5, 9)), true);
    assert.equal(touches(set, range(10, 12)), false);
    // A range ending at column 0 of a line does not cover it.
    assert.equal(touches(set, range(0, 2, 0)), false);
    assert.equal(touches(ALL, range(100, 100)), true);
    assert.equal(touches(lines(), range(0, 0)), false);
  });
});
