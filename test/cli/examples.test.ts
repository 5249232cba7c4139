import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../../server/src/rules/index';
import { runCli } from '../helpers/cli';

const ROOT = path.join(__dirname, '..', '..');

interface Report {
  findings: { ruleId: string; path: string; line: number }[];
  notes: unknown[];
}

describe('example apps', () => {
  it('vulnerable-app exhibits every rule at least once', () => {
    const run = runCli(['scan', 'examples/vulnerable-app', '--format', 'json'], ROOT);
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    const fired = new Set(report.findings.map((f) => f.ruleId));
    const silent = ALL_RULES.map((r) => r.meta.id).filter((id) => !fired.has(id));
    assert.deepEqual(silent, [], 'rules with no finding in examples/vulnerable-app');
    assert.deepEqual(report.notes, []);
  });

  it('secure-app, written the safe way, has zero findings', () => {
    const run = runCli(['scan', 'examples/secure-app', '--format', 'json'], ROOT);
    const report = JSON.parse(run.stdout) as Report;
    assert.deepEqual(
      report.findings.map((f) => `${f.path}:${f.line} ${f.ruleId}`),
      [],
    );
    assert.equal(run.status, 0);
  });
});
