import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateCodebase, writeCodebase } from '../../bench/generate';
import { enoughForThreads, MIN_PARALLEL_BYTES } from '../../server/src/cli/parallel';
import { runCli } from '../helpers/cli';

/**
 * Worker threads change how fast a scan is, never what it reports: a generated code base large enough to
 * be shared out (over the 256 KiB threshold) gives the same JSON report on one thread and on three.
 */
describe('flask-sentinel scan --jobs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-jobs-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  writeCodebase(root, generateCodebase(9_000, 42));

  it('reports the same findings, in the same order, on one thread and on several', () => {
    const one = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '--jobs', '1'], root);
    const three = runCli(['scan', '.', '--format', 'json', '--fail-on', 'never', '-j', '3'], root);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(three.status, 0, three.stderr);
    const report = JSON.parse(one.stdout) as { summary: { files: number; findings: number } };
    assert.ok(report.summary.findings > 20, 'the generated code base has findings to compare');
    assert.equal(three.stdout, one.stdout);
  });

  it('starts worker threads only for enough source to share out', () => {
    const files = fs
      .readdirSync(root, { recursive: true })
      .map((f) => path.join(root, String(f)))
      .filter((f) => f.endsWith('.py'));
    const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
    assert.ok(bytes > MIN_PARALLEL_BYTES, 'the generated code base is over the threshold');
    assert.equal(enoughForThreads(files), true);
    // A review of the few files a commit changed: the others are only read for workspace facts.
    const changed = new Set(files.slice(0, 3));
    assert.equal(
      enoughForThreads(files, (f) => changed.has(f)),
      false,
    );
    assert.equal(enoughForThreads([...files.slice(0, 1), path.join(root, 'missing.py')]), false);
  });

  it('refuses a --jobs that is not a positive whole number', () => {
    const run = runCli(['scan', '.', '--jobs', '0'], root);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--jobs must be a whole number of at least 1/);
  });
});
