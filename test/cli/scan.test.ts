import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { CLI, makeTree, runCli } from '../helpers/cli';

const VULNERABLE = `from flask import Flask, request
import os

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host")
    os.system("ping -c 1 " + host)
    return "ok"


app.run(debug=True)
`;

const CLEAN = `from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "hello"
`;

const roots: string[] = [];
const tree = (files: Record<string, string | Buffer>) => {
  const root = makeTree(files);
  roots.push(root);
  return root;
};
after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

describe('flask-sentinel scan', () => {
  it('exits 0 on a clean project and says so', () => {
    const root = tree({ 'app.py': CLEAN });
    const run = runCli(['scan'], root);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /No findings \(1 file scanned\)/);
    // Nothing else: not even V8 complaining about a compiler flag it does not know (v8Flags.ts).
    assert.equal(run.stderr, '');
  });

  it('exits 1 with findings grouped by file as path:line:col with rule id and docs link', () => {
    const root = tree({ 'app.py': VULNERABLE });
    const run = runCli(['scan', '.'], root);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^app\.py$/m);
    assert.match(run.stdout, /app\.py:14:9 {2}FS101 {2}error/);
    assert.match(run.stdout, /FS101 {2}debug-mode-enabled .*https:\/\/\S+FS101-debug-mode-enabled\.md/);
  });

  it('--fail-on error ignores warnings; --fail-on never always exits 0', () => {
    const root = tree({
      'app.py':
        'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/x", methods=["POST"])\ndef x():\n    return "x"\n',
    });
    assert.equal(runCli(['scan'], root).status, 1);
    assert.equal(runCli(['scan', '--fail-on', 'error'], root).status, 0);
    assert.equal(
      runCli(['scan', '--fail-on', 'never', '--select', 'FS1'], tree({ 'a.py': VULNERABLE })).status,
      0,
    );
  });

  it('--select and --ignore take ids and prefixes', () => {
    const root = tree({ 'app.py': VULNERABLE });
    const only = JSON.parse(runCli(['scan', '--format', 'json', '--select', 'FS101'], root).stdout) as {
      findings: { ruleId: string }[];
    };
    assert.deepEqual([...new Set(only.findings.map((f) => f.ruleId))], ['FS101']);
    const without = JSON.parse(runCli(['scan', '--format', 'json', '--ignore', 'FS1'], root).stdout) as {
      findings: { ruleId: string }[];
    };
    assert.ok(without.findings.length > 0 && without.findings.every((f) => !f.ruleId.startsWith('FS1')));
  });

  it('exits 2 on usage errors with a message', () => {
    const root = tree({ 'app.py': CLEAN });
    for (const args of [
      ['scan', '--format', 'xml'],
      ['scan', '--fail-on', 'sometimes'],
      ['frobnicate'],
      ['scan', '--select', 'B101'],
      ['scan', '--bogus'],
    ]) {
      const run = runCli(args, root);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}`);
      assert.match(run.stderr, /flask-sentinel: /);
    }
  });

  it('honours .gitignore (nested too) and skips virtualenvs and node_modules', () => {
    const root = tree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': 'build/\n*_generated.py\n',
      'app.py': VULNERABLE,
      'build/out.py': VULNERABLE,
      'pkg/x_generated.py': VULNERABLE,
      'pkg/.gitignore': 'local.py\n',
      'pkg/local.py': VULNERABLE,
      'pkg/kept.py': VULNERABLE,
      'env1/pyvenv.cfg': 'home = /usr/bin\n',
      'env1/lib/site.py': VULNERABLE,
      'node_modules/x/y.py': VULNERABLE,
      '.venv/lib/z.py': VULNERABLE,
    });
    const report = JSON.parse(runCli(['scan', '--format', 'json'], root).stdout) as {
      findings: { path: string }[];
      summary: { files: number };
    };
    assert.deepEqual([...new Set(report.findings.map((f) => f.path))].sort(), ['app.py', 'pkg/kept.py']);
    assert.equal(report.summary.files, 2);
  });

  it('lists files in the same order on every machine: by code unit, as ruff does, not by locale', () => {
    const root = tree({ 'b.py': VULNERABLE, 'Z.py': VULNERABLE, 'a_b.py': VULNERABLE, 'ab.py': VULNERABLE });
    const report = JSON.parse(runCli(['scan', '--format', 'json'], root).stdout) as {
      findings: { path: string }[];
    };
    assert.deepEqual([...new Set(report.findings.map((f) => f.path))], ['Z.py', 'a_b.py', 'ab.py', 'b.py']);
  });

  it('skips large, binary and non-UTF-8 files with a reason, and still scans the rest', () => {
    const root = tree({
      'app.py': VULNERABLE,
      'big.py': '# filler\n'.repeat(200_000),
      'blob.py': Buffer.from([0x70, 0x00, 0x01, 0x02, 0xff]),
      'latin.py': Buffer.from('s = "caf\xe9"\n', 'latin1'),
    });
    const run = runCli(['scan'], root);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /big\.py: larger than the 1024 KiB limit/);
    assert.match(run.stdout, /blob\.py: binary file/);
    assert.match(run.stdout, /latin\.py: not valid UTF-8/);
    assert.match(run.stdout, /app\.py:14:9/);
  });

  it('reports findings from the intact parts of a broken file, with a syntax note', () => {
    const root = tree({ 'broken.py': `${VULNERABLE}\ndef oops(:\n    pass\n` });
    const run = runCli(['scan'], root);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /broken\.py:14:9 {2}FS101/);
    assert.match(run.stdout, /note: Syntax error/);
  });

  it('writes the report to --output and reports where', () => {
    const root = tree({ 'app.py': VULNERABLE });
    const run = runCli(['scan', '--format', 'json', '--output', 'reports/out.json'], root);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /reports\/out\.json/);
    assert.ok(JSON.parse(fs.readFileSync(`${root}/reports/out.json`, 'utf8')));
  });

  it('emits GitHub workflow commands with escaped values', () => {
    const root = tree({ 'app.py': VULNERABLE });
    const run = runCli(['scan', '--format', 'github'], root);
    assert.match(
      run.stdout,
      /^::error file=app\.py,line=14,col=9,endLine=14,title=FS101 debug-mode-enabled::Flask app is run with debug=True/m,
    );
  });

  it('keeps its exit code and prints no error when the reader closes the pipe early (| head)', async () => {
    const root = makeTree({ 'app.py': VULNERABLE });
    try {
      const child = spawn(process.execPath, [CLI, 'scan', '.'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Closed before the report is written: every write fails with EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const status = await new Promise<number | null>((resolve) =>
        child.on('close', (code) => resolve(code)),
      );
      assert.equal(status, 1, stderr);
      assert.doesNotMatch(stderr, /EPIPE|Error/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
