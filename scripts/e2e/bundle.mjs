// Shared by the two end-to-end runners (scripts/e2e/run.mjs for code-server, test/e2e/runElectron.mjs for
// @vscode/test-electron): bundles the mocha suite into the extension's folder and prepares a workspace.
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the extension development path. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const SUITE_SRC = join(ROOT, 'test', 'e2e', 'suite');
/** Inside the extension's folder (VS Code runs the tests in the extension host of the extension that
 * contains them), under dist/ (git-ignored, eslint-ignored, left out of the .vsix by .vscodeignore). */
export const SUITE_OUT = join(ROOT, 'dist', 'e2e', 'suite');
export const EXAMPLE = join(ROOT, 'examples', 'vulnerable-app');

/** The extension must be built (`npm run build`) before it is loaded. */
export function checkBuild() {
  const missing = ['dist/extension.js', 'dist/server.js', 'dist/tree-sitter-python.wasm'].filter(
    (f) => !existsSync(join(ROOT, f)),
  );
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
}

/** Bundles test/e2e/suite/index.ts and every *.e2e.ts to dist/e2e/suite/; returns the index's path. */
export async function bundleSuite() {
  const tests = readdirSync(SUITE_SRC).filter((f) => f.endsWith('.e2e.ts'));
  if (tests.length === 0) throw new Error(`no *.e2e.ts files in ${SUITE_SRC}`);
  rmSync(SUITE_OUT, { recursive: true, force: true });
  await build({
    entryPoints: ['index.ts', ...tests].map((f) => join(SUITE_SRC, f)),
    outdir: SUITE_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // vscode is the editor's; mocha is loaded from the repository's node_modules (it has to be one copy:
    // the test files' describe/it are the ones the runner in index.js sets up).
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return join(SUITE_OUT, 'index.js');
}

/**
 * test/helpers/fakeAnthropic.ts (the loopback fake of the Messages streaming API that the node tests use),
 * bundled to an ES module the code-server runner imports: the chat checks point the real SDK at it.
 */
export async function bundleFakeAnthropic() {
  const outfile = join(ROOT, 'dist', 'e2e', 'fakeAnthropic.mjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'helpers', 'fakeAnthropic.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/** A fresh copy of examples/vulnerable-app (the tests edit and save files, and write settings). */
export function copyExample(destination) {
  cpSync(EXAMPLE, destination, { recursive: true });
  return destination;
}
