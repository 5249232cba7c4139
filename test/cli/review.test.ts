import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { formatGithub } from '../../server/src/cli/formats/github';
import { subtractBaseline } from '../../server/src/cli/review';
import type { ScanResult } from '../../server/src/cli/scan';
import { runCli } from '../helpers/cli';
import { Repo } from '../review/repo';

const APP = `from flask import Flask, request
import os

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host")
    os.system("ping -c 1 " + host)
    return "ok"
`;
const RUN = 'app.run(debug=True)\n';
const NEW_MODULE = `import subprocess
from flask import Blueprint, request

bp = Blueprint("admin", __name__)


@bp.post("/run")
def run_command():
    subprocess.run(request.form["cmd"], shell=True)
    return "done"
`;

interface JsonFinding {
  path: string;
  ruleId: string;
  line: number;
  fingerprint: string;
}
const json = (stdout: string) =>
  JSON.parse(stdout) as { findings: JsonFinding[]; summary: { files: number } };
const found = (stdout: string) => json(stdout).findings.map((f) => `${f.path}:${f.line}:${f.ruleId}`);

const repos: Repo[] = [];
const repo = (files: Record<string, string>) => {
  const r = new Repo(files);
  repos.push(r);
  return r;
};
after(() => repos.forEach((r) => r.dispose()));

describe('flask-sentinel scan --diff', () => {
  it('reports only findings on lines changed since REF, exit code included', () => {
    const r = repo({ 'app.py': APP, 'untouched.py': APP });
    r.commit('base');
    const clean = runCli(['scan', '--diff', 'HEAD', '--format', 'json'], r.root);
    assert.equal(clean.status, 0, clean.stderr);
    assert.deepEqual(found(clean.stdout), []);
    assert.match(clean.stderr, /Reviewing lines changed since HEAD \([0-9a-f]{12}\): 0 changed files/);

    r.write({ 'app.py': `${APP}\n${RUN}` });
    const run = runCli(['scan', '--diff', 'HEAD', '--format', 'json'], r.root);
    assert.equal(run.status, 1, run.stderr);
    assert.deepEqual(found(run.stdout), ['app.py:13:FS101']);
    assert.equal(json(run.stdout).summary.files, 1);

    // The fingerprint is the one a full scan gives: --diff reports can serve as baselines.
    const full = json(runCli(['scan', '--format', 'json'], r.root).stdout).findings;
    assert.equal(
      json(run.stdout).findings[0]?.fingerprint,
      full.find((f) => f.ruleId === 'FS101')?.fingerprint,
    );
  });

  it('counts new, renamed-and-edited and CRLF files; ignores pure renames and deleted files', () => {
    const crlf = APP.replace(/\n/g, '\r\n');
    const r = repo({ 'a.py': APP, 'b.py': APP, 'gone.py': APP, 'crlf.py': crlf });
    r.commit('base');
    r.git('checkout', '-q', '-b', 'feature');
    r.git('mv', 'a.py', 'renamed.py');
    r.git('mv', 'b.py', 'renamed_edited.py');
    r.write({
      'renamed_edited.py': APP.replace('ping -c 1', 'ping -c 3'),
      'crlf.py': `${crlf}\r\n${RUN.replace('\n', '\r\n')}`,
      // Not a copy of gone.py: git would pair the two as a rename.
      'new.py': NEW_MODULE,
    });
    r.remove('gone.py');
    r.commit('feature');
    const run = runCli(['scan', '--diff', 'main', '--format', 'json'], r.root);
    const everythingInNew = found(runCli(['scan', 'new.py', '--format', 'json'], r.root).stdout);
    assert.ok(everythingInNew.length >= 2);
    assert.deepEqual(
      found(run.stdout).sort(),
      ['crlf.py:13:FS101', ...everythingInNew, 'renamed_edited.py:10:FS202'].sort(),
    );
  });

  it('works from a subfolder; GitHub annotations name files from the repository root', () => {
    const r = repo({ 'web/app.py': APP, 'web/other.py': APP, 'top.py': APP });
    r.commit('base');
    r.write({ 'web/app.py': `${APP}\n${RUN}`, 'top.py': `${APP}\n${RUN}` });
    const web = r.path('web');
    const run = runCli(['scan', '--diff', 'HEAD', '--format', 'json'], web);
    assert.deepEqual(found(run.stdout), ['app.py:13:FS101']);
    const github = runCli(['scan', '--diff', 'HEAD', '--format', 'github'], web);
    assert.equal(github.status, 1);
    assert.match(
      github.stdout,
      /^::error file=web\/app\.py,line=13,col=9,endLine=13,title=FS101 debug-mode-enabled::Flask app is run with debug=True/m,
    );
    assert.equal(github.stdout.match(/^::/gm)?.length, 1);
    // A path argument picks the repository too.
    const elsewhere = runCli(['scan', web, '--diff', 'HEAD', '--format', 'json'], os.tmpdir());
    assert.equal(json(elsewhere.stdout).findings.length, 1, elsewhere.stderr);
  });

  it('escapes GitHub workflow command properties (file names with , and :)', () => {
    const r = repo({ 'a,b:c.py': APP });
    r.commit('base');
    r.write({ 'a,b:c.py': `${APP}\n${RUN}` });
    const run = runCli(['scan', '--diff', 'HEAD', '--format', 'github'], r.root);
    assert.match(run.stdout, /^::error file=a%2Cb%3Ac\.py,line=13,/m);
  });

  it('fails with exit code 2 and a clear message outside a repository or for an unknown REF', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-nogit-'));
    try {
      fs.writeFileSync(path.join(outside, 'app.py'), APP);
      const run = runCli(['scan', '--diff', 'HEAD'], outside);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^flask-sentinel: .* is not inside a git repository/);
      assert.equal(run.stdout, '');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
    const r = repo({ 'app.py': APP });
    const noCommits = runCli(['scan', '--diff', 'HEAD'], r.root);
    assert.equal(noCommits.status, 2);
    assert.match(noCommits.stderr, /'HEAD' is not a commit/);
    r.commit('base');
    const unknown = runCli(['scan', '--diff', 'origin/nope'], r.root);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /'origin\/nope' is not a commit/);
    const empty = runCli(['scan', '--diff', ''], r.root);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /--diff needs a git revision/);
  });
});

describe('flask-sentinel scan --baseline', () => {
  it('JSON round trip: code inserted above keeps findings known; editing the line makes them new', () => {
    const r = repo({ 'app.py': `${APP}\n${RUN}` });
    const first = runCli(['scan', '--format', 'json', '--output', 'baseline.json'], r.root);
    assert.equal(first.status, 1);
    const known = runCli(['scan', '--baseline', 'baseline.json', '--format', 'json'], r.root);
    assert.equal(known.status, 0, known.stderr);
    assert.deepEqual(found(known.stdout), []);
    assert.match(known.stderr, /Baseline baseline\.json: 2 known findings left out/);

    r.write({ 'app.py': `# a header comment\nimport sys\n\n${APP}\n${RUN}` });
    assert.deepEqual(
      found(runCli(['scan', '--baseline', 'baseline.json', '--format', 'json'], r.root).stdout),
      [],
    );

    r.write({ 'app.py': `${APP.replace('ping -c 1', 'ping -c 5')}\n${RUN}` });
    const changed = runCli(['scan', '--baseline', 'baseline.json', '--format', 'json'], r.root);
    assert.equal(changed.status, 1);
    assert.deepEqual(found(changed.stdout), ['app.py:10:FS202']);
  });

  it('SARIF round trip, and identical findings matched as a multiset', () => {
    const twice = APP.replace(
      '    os.system("ping -c 1 " + host)\n',
      '    os.system("ping -c 1 " + host)\n    os.system("ping -c 1 " + host)\n',
    );
    const r = repo({ 'app.py': twice });
    runCli(['scan', '--format', 'sarif', '--output', 'baseline.sarif'], r.root);
    assert.deepEqual(
      found(runCli(['scan', '--baseline', 'baseline.sarif', '--format', 'json'], r.root).stdout),
      [],
    );
    // A third identical call: two are covered by the baseline, one is new.
    r.write({
      'app.py': twice.replace('    return "ok"', '    os.system("ping -c 1 " + host)\n    return "ok"'),
    });
    const third = runCli(['scan', '--baseline', 'baseline.sarif', '--format', 'json'], r.root);
    assert.equal(json(third.stdout).findings.length, 1);
    assert.equal(json(third.stdout).findings[0]?.ruleId, 'FS202');
    // Fewer than before: nothing is new.
    r.write({ 'app.py': APP });
    assert.deepEqual(
      found(runCli(['scan', '--baseline', 'baseline.sarif', '--format', 'json'], r.root).stdout),
      [],
    );
  });

  it('combines with --diff: new findings on changed lines only', () => {
    const r = repo({ 'app.py': APP });
    r.commit('base');
    runCli(['scan', '--format', 'json', '--output', 'baseline.json'], r.root);
    r.write({ 'app.py': `${APP.replace('ping -c 1', 'ping -c 9')}\n${RUN}` });
    const both = runCli(
      ['scan', '--diff', 'HEAD', '--baseline', 'baseline.json', '--format', 'json'],
      r.root,
    );
    assert.deepEqual(found(both.stdout).sort(), ['app.py:10:FS202', 'app.py:13:FS101']);
  });

  it('rejects what is not a Flask Sentinel report with exit code 2', () => {
    const r = repo({
      'app.py': APP,
      'notes.txt': 'hello',
      'other.json': '{"runs":[{"tool":{"driver":{"name":"Other"}}}]}',
    });
    for (const [file, message] of [
      ['missing.json', /cannot read .*missing\.json: ENOENT/],
      ['notes.txt', /notes\.txt is not JSON/],
      ['other.json', /other\.json is not a Flask Sentinel report/],
    ] as const) {
      const run = runCli(['scan', '--baseline', file], r.root);
      assert.equal(run.status, 2, file);
      assert.match(run.stderr, message);
    }
  });
});

describe('review helpers', () => {
  const result = (prints: string[]): ScanResult => ({
    root: '/',
    fileCount: 1,
    skipped: [],
    files: [
      {
        path: 'a.py',
        notes: [],
        fingerprints: prints,
        findings: prints.map((_, i) => ({
          ruleId: 'FS202',
          ruleName: 'os-command-injection',
          severity: 'error',
          confidence: 'high',
          message: `50% of the time,\nit fails: call ${i}`,
          cwe: ['CWE-78'],
          range: { start: { line: i, character: 2 }, end: { line: i, character: 9 } },
        })),
      },
    ],
  });

  it('subtractBaseline matches fingerprints as a multiset', () => {
    const { result: left, known } = subtractBaseline(
      result(['x', 'x', 'x', 'y']),
      new Map([
        ['x', 2],
        ['z', 1],
      ]),
    );
    assert.equal(known, 2);
    assert.deepEqual(left.files[0]?.fingerprints, ['x', 'y']);
    assert.deepEqual(
      left.files[0]?.findings.map((f) => f.range.start.line),
      [2, 3],
    );
  });

  it('formatGithub escapes messages (%, CR, LF) and maps paths onto the repository', () => {
    const out = formatGithub(result(['x']), (p) => `sub/${p}`);
    assert.equal(
      out.split('\n')[0],
      '::error file=sub/a.py,line=1,col=3,endLine=1,title=FS202 os-command-injection::50%25 of the time,%0Ait fails: call 0',
    );
  });
});
