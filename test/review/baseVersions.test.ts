import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BaseVersions, changedAgainst } from '../../server/src/git/baseVersions';
import { Repo } from './repo';

const repos: Repo[] = [];
after(() => repos.forEach((r) => r.dispose()));

describe('BaseVersions (the language server base-text cache)', () => {
  it('gives the base text, null for files the base lacks, and follows a moved base', async () => {
    const r = new Repo({ 'app.py': 'a = 1\nb = 2\n' });
    repos.push(r);
    r.commit('base');
    const logs: string[] = [];
    let moved = 0;
    const versions = new BaseVersions({
      log: (m) => logs.push(m),
      onBaseMoved: () => moved++,
      revalidateMs: 60_000,
    });
    const base = await versions.baseOf(r.path('app.py'), 'HEAD');
    assert.equal(base?.text, 'a = 1\nb = 2\n');
    assert.deepEqual(changedAgainst(base ?? { commit: '', text: '' }, 'a = 1\nb = 3\nc = 4\n'), {
      all: false,
      ranges: [[2, 3]],
    });
    assert.equal((await versions.baseOf(r.path('untracked.py'), 'HEAD'))?.text, null);
    assert.deepEqual(changedAgainst({ commit: 'x', text: null }, 'anything'), { all: true });

    r.write({ 'app.py': 'a = 1\nb = 3\n' });
    r.commit('second');
    // Cached until re-checked (here: the revalidation a watched .git change triggers).
    assert.equal((await versions.baseOf(r.path('app.py'), 'HEAD'))?.text, 'a = 1\nb = 2\n');
    versions.revalidate();
    await new Promise<void>((resolve) => {
      const poll = () => (moved > 0 ? resolve() : setTimeout(poll, 10));
      poll();
    });
    assert.equal(versions.generation, 1);
    assert.equal((await versions.baseOf(r.path('app.py'), 'HEAD'))?.text, 'a = 1\nb = 3\n');
    assert.equal((await versions.baseOf(r.path('app.py'), 'HEAD~1'))?.text, 'a = 1\nb = 2\n');
    assert.deepEqual(logs, []);
  });

  it('without git on the PATH: no filter, logged once', async () => {
    const r = new Repo({ 'app.py': 'a = 1\n' });
    repos.push(r);
    r.commit('base');
    const logs: string[] = [];
    const versions = new BaseVersions({ log: (m) => logs.push(m), onBaseMoved: () => undefined });
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.equal(await versions.baseOf(r.path('app.py'), 'HEAD'), undefined);
      assert.equal(await versions.baseOf(r.path('other.py'), 'HEAD'), undefined);
    } finally {
      process.env.PATH = saved;
    }
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? '', /git is not installed or not on PATH/);
  });
});
