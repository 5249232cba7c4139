// End-to-end tests in a real VS Code: code-server (VS Code 1.139's workbench and node extension host) driven
// by Debian's Chromium through playwright-core. `npm run test:e2e` builds, then runs this.
//
// 1. Installs (or finds) node 24 and code-server in the cache folder (scripts/e2e/install.mjs).
// 2. Bundles the mocha suite test/e2e/suite into dist/e2e/suite, copies examples/vulnerable-app to a
//    temporary workspace, and starts a throw-away code-server on 127.0.0.1 (own process group, own user
//    data, extensions and config folders, no auth, no telemetry).
// 3. Loads the workbench with `?payload=` extensionDevelopmentPath (this repository) + extensionTestsPath:
//    VS Code runs the suite in the extension host and reports through window.codeAutomationLog/Exit
//    (honoured because of `--vscode-option enable-smoke-test-driver`).
// 4. UI session: loads the extension in a second window on a fresh copy of the example, then four checks,
//    each counted: (a) opens app/views.py, waits for squiggles, reads the Problems panel and the Routes view
//    from the DOM (problems.png, routes.png); (b) the chat without an API key: "Ask Agent About Selection"
//    on the SQL f-string, chips, Enter, an offline answer naming FS201 with a finding card
//    (chat-offline.png); (c) the chat with the real SDK against a loopback fake of the Messages API
//    (test/helpers/fakeAnthropic.ts, bundled; `flaskSentinel.chat.baseURL` points at it in the user
//    settings): the key set through its command, a streamed answer with a code block, what the server
//    received, and model HTML rendered inert (chat-model.png, chat-model-inert.png); (d) that answer's code
//    block: Show diff, then Apply through the modal confirmation (Cancel first), the stale-lines refusal
//    (chat-apply*.png). See chat.mjs.
// 5. Prints `N passed, N failed` (mocha's tests plus the UI checks) and exits non-zero on any failure.
//    The code-server process group is killed at the end, on failure and on timeout too.
//
// Environment: FLASK_SENTINEL_E2E_CACHE (tools), FLASK_SENTINEL_E2E_CHROMIUM (default /usr/bin/chromium),
// FLASK_SENTINEL_E2E_TIMEOUT (seconds for the whole run, default 600), FLASK_SENTINEL_E2E_KEEP=1 (keep the
// temporary folder), FLASK_SENTINEL_E2E_VERBOSE=1 (print all of the workbench's log, not only the tests').
/* global document -- in the functions page.evaluate runs in the browser */
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { ROOT, bundleFakeAnthropic, bundleSuite, checkBuild, copyExample } from './bundle.mjs';
import { applyCheck, fakeScript, modelCheck, offlineCheck } from './chat.mjs';
import { codeServerEnv, install } from './install.mjs';
import { paths } from './paths.mjs';

// Printed by test/e2e/suite/index.ts.
const START_MARKER = '[flask-sentinel-e2e] start';
const RESULT_MARKER = '[flask-sentinel-e2e] result';
const TOTAL_TIMEOUT_MS = Number(process.env.FLASK_SENTINEL_E2E_TIMEOUT || 600) * 1000;
const TESTS_TIMEOUT_MS = 300_000;
const UI_TIMEOUT_MS = 120_000;
const CHAT_TIMEOUT_MS = 90_000;
const VERBOSE = process.env.FLASK_SENTINEL_E2E_VERBOSE === '1';
const ARTIFACTS = join(ROOT, 'test-results', 'e2e');
const HOST = '127.0.0.1';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[e2e ${elapsed()}] ${message}`);

/** The VS Code user settings of the throw-away profile (quiet, offline, nothing restored). */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
};

const state = {
  /** code-server's pid = its process group id (it is started in a new session). */
  serverPid: undefined,
  browser: undefined,
  temp: undefined,
  logStream: undefined,
  /** The fake Anthropic Messages server (test/helpers/fakeAnthropic.ts). */
  fake: undefined,
  cleaned: false,
};

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

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends code-server's whole process group (file watcher, extension hosts, language server...). */
async function killServerGroup() {
  const pgid = state.serverPid;
  if (pgid === undefined) return;
  state.serverPid = undefined;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
  if (groupAlive(pgid)) {
    log(`code-server process group ${pgid} still alive after SIGTERM: SIGKILL`);
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  try {
    await state.browser?.close();
  } catch {
    // the browser is already gone
  }
  await killServerGroup();
  await state.fake?.close().catch(() => undefined);
  state.logStream?.end();
  if (state.temp && process.env.FLASK_SENTINEL_E2E_KEEP !== '1') {
    rmSync(state.temp, { recursive: true, force: true });
  } else if (state.temp) log(`kept ${state.temp}`);
}

// Last resort if the process ends some other way: never leave code-server running.
process.on('exit', () => {
  if (state.serverPid !== undefined) {
    try {
      process.kill(-state.serverPid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function startCodeServer(temp, exchange, settings) {
  const port = await freePort();
  const dataDir = join(temp, 'user-data');
  mkdirSync(join(dataDir, 'User'), { recursive: true });
  writeFileSync(join(dataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  mkdirSync(join(temp, 'extensions'));
  // An empty config file: otherwise code-server writes ~/.config/code-server/config.yaml with a password.
  writeFileSync(join(temp, 'config.yaml'), '');
  const args = [
    '--config',
    join(temp, 'config.yaml'),
    '--bind-addr',
    `${HOST}:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    dataDir,
    '--extensions-dir',
    join(temp, 'extensions'),
    '--vscode-option',
    'enable-smoke-test-driver',
  ];
  state.logStream = createWriteStream(join(ARTIFACTS, 'code-server.log'));
  // `detached` makes the child call setsid(): code-server leads a new process group, killed as a whole.
  const child = spawn(paths.codeServer, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...codeServerEnv(join(temp, 'home')), FLASK_SENTINEL_E2E_EXCHANGE: exchange },
  });
  state.serverPid = child.pid;
  child.stdout.pipe(state.logStream, { end: false });
  child.stderr.pipe(state.logStream, { end: false });
  let exited;
  child.on('exit', (code, signal) => {
    exited = `exit code ${code}, signal ${signal}`;
  });
  const base = `http://${HOST}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited)
      throw new Error(`code-server stopped during start-up (${exited}); see ${ARTIFACTS}/code-server.log`);
    try {
      const response = await globalThis.fetch(`${base}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('code-server did not answer /healthz within 60 s');
    await sleep(200);
  }
  log(`code-server (pid ${child.pid}) listening on ${base}`);
  return { base, authority: `${HOST}:${port}` };
}

function workbenchUrl(server, folder, payload) {
  const query = `folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return `${server.base}/?${query}`;
}

const remote = (server, path) => `vscode-remote://${server.authority}${path}`;

/** Our status-bar item's text as rendered, e.g. "12" after the shield icon; null when not shown. */
function readStatusBar(page) {
  return page.evaluate(() => {
    const item = document.getElementById('flask-sentinel.flask-sentinel.flaskSentinel.findings');
    const label = item?.querySelector('a') ?? item;
    return label ? (label.textContent ?? '').trim() : null;
  });
}

async function newPage(browserLog) {
  const context = await state.browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.on('console', (message) => browserLog.write(`[console.${message.type()}] ${message.text()}\n`));
  page.on('pageerror', (error) => browserLog.write(`[pageerror] ${error.stack ?? error}\n`));
  return page;
}

/** A console call forwarded by the workbench: [format, ...args], as console.log takes them. */
function text(args) {
  return Array.isArray(args) ? format(...args) : format(args);
}

/** Session 1: the mocha suite in the extension host. Resolves with mocha's counts. */
async function runExtensionTests(server, folder, testsPath, exchange, browserLog) {
  const page = await newPage(browserLog);
  let counts;
  let mirror;
  let echo = VERBOSE;
  try {
    const exit = new Promise((resolve) => {
      void page.exposeFunction('codeAutomationLog', (type, args) => {
        const line = text(args);
        browserLog.write(`[codeAutomationLog ${type}] ${line}\n`);
        // The extension host's console (mocha's reporter) arrives here, and the workbench's own log too:
        // echo from the suite's start marker to its result (all of it with FLASK_SENTINEL_E2E_VERBOSE=1).
        if (line.includes(START_MARKER)) echo = true;
        if (echo) console.log(line);
        const marker = line.indexOf(RESULT_MARKER);
        if (marker >= 0) {
          counts = JSON.parse(line.slice(marker + RESULT_MARKER.length));
          echo = VERBOSE;
        }
      });
      void page.exposeFunction('codeAutomationExit', (code) => resolve(code));
    });
    const payload = [
      ['extensionDevelopmentPath', remote(server, ROOT)],
      ['extensionTestsPath', remote(server, testsPath)],
      ['skipWelcome', 'true'],
    ];
    await page.goto(workbenchUrl(server, folder, payload));
    log('workbench loading; the suite runs in the extension host');
    // Mirror our status-bar item for the suite (the extension host cannot read the workbench UI).
    let writing = false;
    mirror = setInterval(() => {
      if (writing) return;
      writing = true;
      readStatusBar(page)
        .then((shown) => {
          writeFileSync(
            join(exchange, 'statusbar.json.tmp'),
            JSON.stringify({ text: shown, at: Date.now() }),
          );
          renameSync(join(exchange, 'statusbar.json.tmp'), join(exchange, 'statusbar.json'));
        })
        .catch(() => undefined)
        .finally(() => {
          writing = false;
        });
    }, 250);
    const code = await withTimeout(exit, TESTS_TIMEOUT_MS, 'the extension tests to finish');
    log(`extension tests finished with exit code ${code}`);
    if (!counts) {
      return {
        passed: 0,
        failed: 1,
        note: 'the suite reported no results (did it start? see test-results/e2e)',
      };
    }
    if (code !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `exit code ${code}` };
    return counts;
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'tests-failure.png') }).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(mirror);
    await page.context().close();
  }
}

/**
 * Session 2: what a person sees. One window, checks in order, each counted; a failed check leaves a
 * screenshot (<name>-failure.png) and the next one still runs.
 */
async function uiSession(server, folder, browserLog) {
  const page = await newPage(browserLog);
  const results = { passed: 0, failed: 0 };
  const check = async (name, file, timeoutMs, body) => {
    const t = Date.now();
    try {
      await withTimeout(body(), timeoutMs, name);
      results.passed += 1;
      log(`${name} passed in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    } catch (error) {
      results.failed += 1;
      log(`${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
      await page.screenshot({ path: join(ARTIFACTS, `${file}-failure.png`) }).catch(() => undefined);
    }
  };
  const context = { page, folder, artifacts: ARTIFACTS, log, fake: state.fake, repoRoot: ROOT };
  try {
    await check('UI check', 'ui', UI_TIMEOUT_MS, () => uiCheck(page, server, folder));
    await check('chat offline check', 'chat-offline', CHAT_TIMEOUT_MS, () => offlineCheck(context));
    await check('chat model check', 'chat-model', CHAT_TIMEOUT_MS, () => modelCheck(context));
    await check('chat apply check', 'chat-apply', CHAT_TIMEOUT_MS, () => applyCheck(context));
  } finally {
    await page.context().close();
  }
  return results;
}

/** Problems panel, status bar and Routes view. */
async function uiCheck(page, server, folder) {
  const payload = [
    ['extensionDevelopmentPath', remote(server, ROOT)],
    ['skipWelcome', 'true'],
  ];
  await page.goto(workbenchUrl(server, folder, payload));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  log('UI: workbench loaded');
  // The extension is active and its server has reported findings: the status bar shows a count.
  // (It shows 0 until the workspace's diagnostics come in.)
  await page.waitForFunction(
    () => {
      const item = document.getElementById('flask-sentinel.flask-sentinel.flaskSentinel.findings');
      return Number(/(\d+)/.exec(item?.textContent ?? '')?.[1] ?? 0) > 0;
    },
    undefined,
    { timeout: 60_000 },
  );
  // Our count equals the workbench's own problem counts (errors + warnings + infos in its status bar
  // item): only Flask Sentinel reports problems in this workspace.
  let shown;
  const deadline0 = Date.now() + 20_000;
  for (;;) {
    shown = await page.evaluate(() => ({
      ours: document.getElementById('flask-sentinel.flask-sentinel.flaskSentinel.findings')?.textContent,
      problems: document.getElementById('status.problems')?.textContent,
    }));
    const ours = Number(/(\d+)/.exec(shown.ours ?? '')?.[1] ?? NaN);
    const problems = (shown.problems ?? '').match(/\d+/g)?.reduce((sum, n) => sum + Number(n), 0);
    if (ours > 0 && ours === problems) break;
    if (Date.now() > deadline0) {
      throw new Error(
        `status bar: ours ${JSON.stringify(shown.ours)}, problems ${JSON.stringify(shown.problems)}`,
      );
    }
    await sleep(250);
  }
  log(`UI: status bar "${shown.ours?.trim()}" = the workbench's problem counts "${shown.problems?.trim()}"`);

  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('app/views.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'views.py' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: 'views.py' }).waitFor({ timeout: 15_000 });
  log('UI: app/views.py opened');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
  log('UI: squiggles rendered');

  await page.keyboard.press('Control+Shift+M');
  const rows = page.locator('.markers-panel .monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  // The list is virtual (only the rows in view are in the DOM) and the workspace report lists every
  // file: filter it to views.py.
  const filter = page.locator('.part.panel input[placeholder^="Filter"]');
  await filter.click({ timeout: 10_000 });
  await filter.fill('views.py');
  const deadline = Date.now() + 15_000;
  let texts;
  for (;;) {
    texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s*\n\s*/g, ' | ').trim());
    if (texts.some((t) => t.includes('FS201'))) break;
    if (Date.now() > deadline) {
      throw new Error(`no FS201 row in the Problems panel; rows: ${JSON.stringify(texts, null, 2)}`);
    }
    await sleep(250);
  }
  console.log('Problems panel rows (as rendered):');
  for (const t of texts) console.log(`  ${t}`);
  const ours = texts.filter((t) => /flask-sentinel/.test(t) && /FS\d{3}/.test(t));
  if (ours.length === 0) throw new Error('no Flask Sentinel finding in the Problems panel');
  await page.screenshot({ path: join(ARTIFACTS, 'problems.png') });
  log(`UI: ${ours.length} Flask Sentinel rows visible; screenshot test-results/e2e/problems.png`);

  await checkRoutesView(page, folder);
}

/** Routes a file registers, counted from its text (decorators and add_url_rule), to check the view against. */
function routesIn(file) {
  const text = readFileSync(file, 'utf8');
  const decorators = text.match(/^\s*@\w+(?:\.\w+)*\.(?:route|get|post|put|patch|delete)\(/gm) ?? [];
  const calls = text.match(/\.add_url_rule\(/g) ?? [];
  return decorators.length + calls.length;
}

/** The Routes view (activity bar > Flask Sentinel): each file lists as many routes as it registers. */
async function checkRoutesView(page, folder) {
  await page.locator('.activitybar .action-item a[aria-label^="Flask Sentinel"]').first().click();
  // The container also holds the Security Agents (chat) view: collapse it so the Routes tree gets the height.
  const chatHeader = page.locator('.part.sidebar .pane-header[aria-expanded="true"]', {
    hasText: 'Security Agents',
  });
  if (await chatHeader.count()) await chatHeader.first().click();
  const rows = page.locator('.part.sidebar .monaco-list-row[aria-level]');
  await page
    .locator('.part.sidebar .monaco-list-row', { hasText: 'POST /import' })
    .waitFor({ timeout: 20_000 });
  const tree = await rows.evaluateAll((els) =>
    els.map((e) => {
      const label = e.querySelector('.label-name')?.textContent?.trim() ?? '';
      const description = e.querySelector('.label-description')?.textContent?.trim() ?? '';
      return {
        level: Number(e.getAttribute('aria-level')),
        label,
        description,
        text: `${label} — ${description}`,
      };
    }),
  );
  console.log('Routes view rows (as rendered):');
  for (const row of tree) console.log(`  ${'  '.repeat(row.level - 1)}${row.text}`);
  // The list is virtual: a file's group is complete in the DOM when another file row follows it, or when
  // the whole tree fits in the view.
  const fits = await page.evaluate(() => {
    const rows = document.querySelector('.part.sidebar .monaco-list-rows');
    const list = rows?.closest('.monaco-list');
    return rows && list ? rows.getBoundingClientRect().height <= list.getBoundingClientRect().height : false;
  });
  const checked = [];
  for (let i = 0; i < tree.length; i++) {
    if (tree[i].level !== 1) continue;
    let next = tree.findIndex((row, j) => j > i && row.level === 1);
    if (next < 0 && !fits) break;
    if (next < 0) next = tree.length;
    const relative = tree[i].description;
    if (!relative.endsWith('.py')) throw new Error(`a file row without its path: ${tree[i].text}`);
    const expected = routesIn(join(folder, relative));
    const shown = next - i - 1;
    if (shown !== expected)
      throw new Error(`${relative}: ${shown} routes in the view, ${expected} in the file`);
    checked.push(`${relative} ${shown}`);
  }
  if (checked.length === 0) throw new Error('no complete file group in the Routes view');
  const importRow = tree.find((row) => row.text.includes('POST /import'));
  if (!/no auth/.test(importRow?.text ?? '')) throw new Error(`POST /import: ${importRow?.text}`);
  await page.screenshot({ path: join(ARTIFACTS, 'routes.png') });
  log(
    `UI: Routes view counts match the files (${checked.join(', ')}); screenshot test-results/e2e/routes.png`,
  );
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  checkBuild();
  install();
  rmSync(ARTIFACTS, { recursive: true, force: true }); // no screenshots of an earlier run
  mkdirSync(ARTIFACTS, { recursive: true });
  const testsPath = await bundleSuite();
  log(`suite bundled to ${testsPath}`);

  state.temp = mkdtempSync(join(tmpdir(), 'flask-sentinel-e2e-'));
  const exchange = join(state.temp, 'exchange');
  mkdirSync(exchange);
  const testsWorkspace = copyExample(join(state.temp, 'workspace-tests', 'vulnerable-app'));
  const uiWorkspace = copyExample(join(state.temp, 'workspace-ui', 'vulnerable-app'));

  // The fake Messages server the chat's model check talks to, through the real SDK.
  const fakeModule = await import(pathToFileURL(await bundleFakeAnthropic()).href);
  const script = { fakeModule, baseURL: undefined };
  state.fake = await fakeModule.startFakeAnthropic(fakeScript(script));
  script.baseURL = state.fake.baseURL;
  log(`fake Anthropic Messages server on ${state.fake.baseURL}`);
  // flaskSentinel.chat.baseURL is application-scoped: only a user setting can point the key elsewhere.
  const settings = { ...USER_SETTINGS, 'flaskSentinel.chat.baseURL': state.fake.baseURL };

  const server = await startCodeServer(state.temp, exchange, settings);
  state.browser = await chromium.launch({
    executablePath: paths.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  const browserLog = createWriteStream(join(ARTIFACTS, 'workbench.log'));
  let passed = 0;
  let failed = 0;
  try {
    const t = Date.now();
    const counts = await runExtensionTests(server, testsWorkspace, testsPath, exchange, browserLog);
    passed += counts.passed;
    failed += counts.failed;
    log(
      `extension tests: ${counts.passed} passed, ${counts.failed} failed` +
        `${counts.pending ? `, ${counts.pending} pending` : ''}${counts.note ? ` (${counts.note})` : ''}` +
        ` in ${((Date.now() - t) / 1000).toFixed(1)}s`,
    );
  } catch (error) {
    failed += 1;
    log(`extension tests FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const counts = await uiSession(server, uiWorkspace, browserLog);
    passed += counts.passed;
    failed += counts.failed;
  } catch (error) {
    failed += 1;
    log(`UI session FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
  browserLog.end();
  return { passed, failed };
}

const watchdog = setTimeout(() => {
  log(`the whole run took longer than ${TOTAL_TIMEOUT_MS / 1000} s: stopping`);
  console.log('0 passed, 1 failed');
  void cleanup().finally(() => process.exit(1));
}, TOTAL_TIMEOUT_MS);

let result = { passed: 0, failed: 1 };
try {
  result = await main();
} catch (error) {
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  result = { passed: result.passed, failed: Math.max(result.failed, 1) };
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
log(`done; logs in test-results/e2e/`);
console.log(`${result.passed} passed, ${result.failed} failed`);
process.exit(result.failed > 0 ? 1 : 0);
