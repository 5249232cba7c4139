import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateCodebase, generateSingleFile, writeCodebase } from '../../bench/generate';
import { spawnSync } from 'node:child_process';
import {
  enoughForThreads,
  fitsWorker,
  MIN_PARALLEL_BYTES,
  scanInParallel,
} from '../../server/src/cli/parallel';
import { scanPrepared, prepareScan } from '../../server/src/cli/scan';
import type { Engine } from '../../server/src/engine/engine';
import { engine as sharedEngine } from '../helpers/engine';
import { defaultJobs, startEarlyWorkers } from '../../server/src/cli/scanThreads';
import { CLI, makeTree, runCli } from '../helpers/cli';

/**
 * Worker threads change how fast a scan is, never what it reports: a generated code base large enough to
 * be shared out (over the 256 KiB threshold) gives the same JSON report on one thread and on three.
 */
describe('flask-sentinel scan --jobs', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-jobs-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  writeCodebase(root, generateCodebase(9_000, 42));
  const options = { paths: [root], root };
  // The engine and the one-thread report, for the tests that run scanInParallel in this process.
  let oneThread: Promise<{ engine: Engine; expected: string }> | undefined;
  const oneThreadReport = () =>
    (oneThread ??= sharedEngine().then((engine) => ({
      engine,
      expected: JSON.stringify(scanPrepared(engine, options, prepareScan(engine, options))),
    })));

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

  it('starts workers before the CLI loads only for a scan that may use them', () => {
    // A stand-in worker script: the real one needs the bundle; what is tested is which command lines start
    // how many.
    const script = path.join(root, 'idle-worker.js');
    fs.writeFileSync(script, 'setTimeout(() => undefined, 60_000);\n');
    const count = (argv: string[]) => {
      const workers = startEarlyWorkers(argv, script);
      for (const worker of workers) void worker.terminate();
      return workers.length;
    };
    assert.equal(count(['rules']), 0);
    assert.equal(count(['--help']), 0);
    assert.equal(count(['scan', '.', '--jobs', '1']), 0);
    assert.equal(count(['scan', '--jobs=1', '.']), 0);
    assert.equal(count(['scan', '.', '-j', 'many']), 0, 'left to the CLI to refuse');
    assert.equal(count(['scan', '.', '--jobs', '0']), 0);
    assert.equal(count(['scan', '--format', 'json', '-j', '3', '.']), 2);
    assert.equal(count(['scan', '.', '-j4']), 3);
    assert.equal(count(['scan', '.', '--output', 'report.json']), defaultJobs() - 1);
    assert.equal(startEarlyWorkers(['scan', '.', '-j', '3'], path.join(root, 'missing.js')).length, 0);
  });

  it('ends the workers it started early when the scan is small or the command line is wrong', () => {
    const small = makeTree({
      'app.py': 'from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n',
    });
    after(() => fs.rmSync(small, { recursive: true, force: true }));
    // Both would hang until the timeout if a started worker kept the process alive.
    const run = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd: small, encoding: 'utf8', timeout: 30_000 });
    const scan = run(['scan', '.', '-j', '4', '--format', 'json', '--fail-on', 'never']);
    assert.equal(scan.status, 0, scan.stderr);
    assert.equal((JSON.parse(scan.stdout) as { summary: { findings: number } }).summary.findings, 1);
    const wrong = run(['scan', '.', '-j', '4', '--no-such-option']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /Unknown option '--no-such-option'/);
  });

  it('gives the files of a worker that stops to the main thread, and says so', async () => {
    const { engine, expected } = await oneThreadReport();
    // Stand-in workers that fail in each way a worker can: the thread ends, throws, or reports an error.
    const failures = {
      exits:
        "require('node:worker_threads').parentPort.on('message', (m) => { if (m.kind === 'files') process.exit(3); });",
      throws:
        "require('node:worker_threads').parentPort.on('message', (m) => { if (m.kind === 'files') throw new Error('boom'); });",
      reports:
        "const port = require('node:worker_threads').parentPort; port.on('message', (m) => { if (m.kind === 'files') port.postMessage({ kind: 'error', message: 'engine failed' }); });",
    };
    for (const [name, code] of Object.entries(failures)) {
      const script = path.join(root, `${name}-worker.js`);
      fs.writeFileSync(script, code);
      const warnings: string[] = [];
      const result = await scanInParallel(engine, { ...options, onWarning: (m) => warnings.push(m) }, 3, {
        script,
      });
      assert.equal(JSON.stringify(result), expected, name);
      assert.equal(warnings.length, 2, `${name}: one warning per worker`);
      assert.match(
        warnings[0] ?? '',
        /a scan worker thread stopped \(.+\); the main thread analysed its \d+ unfinished files? instead/,
      );
    }
  });

  it('survives a worker started early that died before the scan took it', async () => {
    const { engine, expected } = await oneThreadReport();
    const script = path.join(root, 'dead-worker.js');
    fs.writeFileSync(script, "throw new Error('dead on arrival');\n");
    const started = startEarlyWorkers(['scan', '.', '-j', '2'], script);
    assert.equal(started.length, 1);
    // Its 'error' and 'exit' come and go before the scan listens: unheard, the error would end this process.
    // (Started unref'd, as the CLI starts them: ref'd here so that this test waits for the exit.)
    started[0]?.ref();
    await new Promise((resolve) => started[0]?.once('exit', resolve));
    const warnings: string[] = [];
    const result = await scanInParallel(engine, { ...options, onWarning: (m) => warnings.push(m) }, 2, {
      script,
      started,
    });
    assert.equal(JSON.stringify(result), expected);
    assert.deepEqual(warnings, [
      'a scan worker thread stopped (dead on arrival); the other threads did its share, so the report is complete.',
    ]);
  });

  it('leaves files too large for a worker heap to the main thread', () => {
    const source = (chars: number) => ({ path: 'big.py', text: 'x'.repeat(chars) });
    assert.equal(fitsWorker(source(200 * 1024)), true);
    assert.equal(fitsWorker(source(1024 * 1024)), false);
  });

  it('scans a file near the default size limit with several threads', () => {
    // A 1 MiB module's models outgrew a worker's heap, and the scan ended with an internal error.
    let big = generateSingleFile(27_000, 3);
    big = big.slice(0, big.lastIndexOf('\n\n\n', 1000 * 1024));
    const folder = makeTree({ 'big.py': big, 'app.py': 'from flask import Flask\napp = Flask(__name__)\n' });
    after(() => fs.rmSync(folder, { recursive: true, force: true }));
    const run = runCli(['scan', '.', '-j', '2', '--format', 'json', '--fail-on', 'never'], folder);
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { summary: { files: number } }).summary.files, 2);
  });
});
