import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { codeCachePath, WRITE_CODE_CACHE_ENV } from '../../server/src/cli/codeCache';

const PROBE = path.join(__dirname, '..', 'helpers', 'codeCacheProbe.ts');
const DIST_CLI_MAIN = path.join(__dirname, '..', '..', 'dist', 'cliMain.js');

interface Probe {
  outcome: string;
  answer: unknown;
  exports: string[];
}

/** Loads `bundle` with `loadBundle` in a fresh node, as the CLI does. */
function probe(
  bundle: string,
  options: { write?: boolean; cliFlags?: boolean; nodeArgs?: string[] } = {},
): Probe {
  const env = { ...process.env };
  delete env[WRITE_CODE_CACHE_ENV];
  if (options.write) env[WRITE_CODE_CACHE_ENV] = '1';
  const run = spawnSync(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--import',
      'tsx',
      PROBE,
      bundle,
      ...(options.cliFlags ? ['--cli-flags'] : []),
    ],
    { encoding: 'utf8', env },
  );
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Probe;
}

/** A CommonJS bundle as esbuild writes them: requires node's modules, reads __dirname, sets exports. */
function bundleSource(answer: number): string {
  return [
    '"use strict";',
    'const path = require("node:path");',
    `function answer() { return [${answer}, path.basename(__dirname), typeof module.exports]; }`,
    'module.exports = { answer };',
    '',
  ].join('\n');
}

describe('the CLI bundle code cache', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-code-cache-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const bundle = path.join(root, 'bundle.js');
  const folder = path.basename(root);

  it('is written on request as the process exits, and used by the next load', () => {
    fs.writeFileSync(bundle, bundleSource(41));
    const first = probe(bundle, { write: true });
    assert.deepEqual(first, { outcome: 'none', answer: [41, folder, 'object'], exports: ['answer'] });
    assert.ok(fs.statSync(codeCachePath(bundle)).size > 0);
    assert.deepEqual(probe(bundle), { outcome: 'used', answer: [41, folder, 'object'], exports: ['answer'] });
  });

  it('is not written unless asked for', () => {
    const other = path.join(root, 'other.js');
    fs.writeFileSync(other, bundleSource(1));
    assert.equal(probe(other).outcome, 'none');
    assert.equal(fs.existsSync(codeCachePath(other)), false);
  });

  it('is ignored for a bundle changed since, even one of the same length (V8 compares only lengths)', () => {
    fs.writeFileSync(bundle, bundleSource(41));
    probe(bundle, { write: true });
    fs.writeFileSync(bundle, bundleSource(42));
    assert.deepEqual(probe(bundle), { outcome: 'none', answer: [42, folder, 'object'], exports: ['answer'] });
  });

  it('is refused by V8 when it was made under other V8 flags on the command line, and the bundle still loads', () => {
    fs.writeFileSync(bundle, bundleSource(41));
    probe(bundle, { write: true, nodeArgs: ['--no-opt'] });
    assert.deepEqual(probe(bundle), {
      outcome: 'refused by V8',
      answer: [41, folder, 'object'],
      exports: ['answer'],
    });
  });

  it('is ignored when its data is damaged (V8 would deserialize it)', () => {
    fs.writeFileSync(bundle, bundleSource(41));
    probe(bundle, { write: true });
    const cache = fs.readFileSync(codeCachePath(bundle));
    const last = cache.length - 1;
    cache[last] = (cache[last] ?? 0) ^ 0x5a;
    fs.writeFileSync(codeCachePath(bundle), cache);
    assert.deepEqual(probe(bundle), { outcome: 'none', answer: [41, folder, 'object'], exports: ['answer'] });
  });

  it('is ignored when it is truncated or not a cache at all', () => {
    fs.writeFileSync(bundle, bundleSource(41));
    probe(bundle, { write: true });
    const cache = fs.readFileSync(codeCachePath(bundle));
    fs.writeFileSync(codeCachePath(bundle), cache.subarray(0, 20));
    assert.equal(probe(bundle).outcome, 'none');
    fs.writeFileSync(codeCachePath(bundle), 'not a cache');
    assert.equal(probe(bundle).outcome, 'none');
  });

  it('built with dist/cliMain.js is taken by this node under the flags the CLI sets', () => {
    // The build writes it from a scan (scripts/build.mjs); a cache V8 refused would cost every run the
    // time to read it, and save nothing, silently. (The flags the CLI sets at run time do not enter V8's
    // check; those on node's command line do.)
    const loaded = probe(DIST_CLI_MAIN, { cliFlags: true });
    assert.equal(loaded.outcome, 'used');
    assert.ok(loaded.exports.includes('runCli') && loaded.exports.includes('serveScanWorker'));
  });

  it('loads CLI bundles without import(), which Node 20 fails in functions compiled from a cache', () => {
    for (const bundle of ['cli.js', 'cliMain.js', 'scanWorker.js']) {
      const text = fs.readFileSync(path.join(path.dirname(DIST_CLI_MAIN), bundle), 'utf8');
      assert.doesNotMatch(text, /\bimport\(/, bundle);
    }
  });
});
