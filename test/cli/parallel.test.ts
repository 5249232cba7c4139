import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateCodebase, writeCodebase } from '../../bench/generate';
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

  it('refuses a --jobs that is not a positive whole number', () => {
    const run = runCli(['scan', '.', '--jobs', '0'], root);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--jobs must be a whole number of at least 1/);
  });
});
