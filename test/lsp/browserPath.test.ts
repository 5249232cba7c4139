import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as browserPath from '../../server/src/lsp/browser/path';

// The web bundles' stand-in for node:path (server/src/lsp/browser/path.ts) answers as path.posix does.
const ABSOLUTE = [
  '/',
  '/a',
  '/a/',
  '/a/b/c.py',
  '/a//b/./c/../d.py',
  '/a/b/../../..',
  '/owner/repo/app/views.py',
  '/owner/repo',
  '/owner/repo2/x.py',
  '/with space/é/file.py',
];
const ANY = [...ABSOLUTE, '', '.', '..', 'a', 'a/b', 'a/../../b', './a/./b/', 'a//b', '../x/y.py'];

describe('browser stand-in for node:path', () => {
  it('normalize, isAbsolute, dirname, basename, extname, join', () => {
    for (const p of ANY) {
      assert.equal(browserPath.normalize(p), path.posix.normalize(p), `normalize(${p})`);
      assert.equal(browserPath.isAbsolute(p), path.posix.isAbsolute(p), `isAbsolute(${p})`);
      assert.equal(browserPath.dirname(p), path.posix.dirname(p), `dirname(${p})`);
      assert.equal(browserPath.basename(p), path.posix.basename(p), `basename(${p})`);
      assert.equal(browserPath.basename(p, '.py'), path.posix.basename(p, '.py'), `basename(${p}, .py)`);
      assert.equal(browserPath.extname(p), path.posix.extname(p), `extname(${p})`);
      for (const q of ANY) assert.equal(browserPath.join(p, q), path.posix.join(p, q), `join(${p}, ${q})`);
    }
  });

  it('relative and resolve between absolute paths', () => {
    for (const from of ABSOLUTE) {
      assert.equal(browserPath.resolve(from), path.posix.resolve(from), `resolve(${from})`);
      for (const to of ABSOLUTE) {
        assert.equal(
          browserPath.relative(from, to),
          path.posix.relative(from, to),
          `relative(${from}, ${to})`,
        );
        assert.equal(browserPath.resolve(from, to), path.posix.resolve(from, to), `resolve(${from}, ${to})`);
      }
      assert.equal(browserPath.resolve(from, 'x/../y'), path.posix.resolve(from, 'x/../y'));
    }
  });
});
