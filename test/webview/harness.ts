// The chat webview in real headless Chromium: a loopback HTTP server serves the page exactly as the extension
// renders it (renderChatHtml: same CSP, a fresh nonce per load) with the bundled script and stylesheet; an
// `acquireVsCodeApi` stub, injected before the page's own script, records what the page posts and keeps its
// state across reloads. Host messages are dispatched with window.postMessage, as VS Code delivers them.
// Nothing leaves the machine: every request outside the harness's origin is recorded and aborted.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newNonce, renderChatHtml } from '../../client/src/chat/html';
import type { FromWebview } from '../../client/src/chat/protocol';

export const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist', 'webview');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * `npm test` builds first; when this file runs on its own after editing the webview, rebuild just the
 * webview bundle (the same options as scripts/build.mjs) so the page under test is the current source.
 */
export async function ensureWebviewBundle(): Promise<void> {
  const bundle = path.join(DIST, 'chat.js');
  const css = path.join(DIST, 'chat.css');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'client', 'webview')),
    fs.statSync(path.join(ROOT, 'client', 'src', 'chat', 'protocol.ts')).mtimeMs,
  );
  const cssSource = path.join(ROOT, 'media', 'chat', 'chat.css');
  if (!fs.existsSync(bundle) || fs.statSync(bundle).mtimeMs < sources) {
    await build({
      entryPoints: { chat: path.join(ROOT, 'client', 'webview', 'chat.ts') },
      outdir: DIST,
      tsconfig: path.join(ROOT, 'client', 'webview', 'tsconfig.json'),
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      sourcemap: true,
      sourcesContent: false,
      logLevel: 'warning',
    });
  }
  if (!fs.existsSync(css) || fs.statSync(css).mtimeMs < fs.statSync(cssSource).mtimeMs) {
    fs.mkdirSync(DIST, { recursive: true });
    fs.copyFileSync(cssSource, css);
  }
}

/** Stand-in for the variables VS Code's dark theme sets on the webview (for the screenshot only). */
const DARK_THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-font-weight: normal;
  --vscode-editor-font-family: monospace; --vscode-editor-font-size: 12px;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-errorForeground: #f48771;
  --vscode-editor-background: #1f1f1f; --vscode-sideBar-background: #181818;
  --vscode-focusBorder: #0078d4; --vscode-widget-border: #313131; --vscode-panel-border: #2b2b2b;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-hoverBackground: #026ec1;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryHoverBackground: #3c3c3c; --vscode-button-border: #ffffff12;
  --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c;
  --vscode-input-placeholderForeground: #989898;
  --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc; --vscode-dropdown-border: #3c3c3c;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8;
  --vscode-textLink-foreground: #4daafc; --vscode-textLink-activeForeground: #4daafc;
  --vscode-textCodeBlock-background: #2b2b2b; --vscode-textBlockQuote-background: #2b2b2b;
  --vscode-textBlockQuote-border: #616161;
  --vscode-editorWarning-foreground: #cca700; --vscode-editorInfo-foreground: #3794ff;
  --vscode-inputValidation-warningBackground: #352a05; --vscode-inputValidation-warningBorder: #b89500;
  --vscode-inputValidation-errorBackground: #5a1d1d; --vscode-inputValidation-errorBorder: #be1100;
  --vscode-statusBarItem-errorBackground: #c72e0f;
  --vscode-charts-blue: #3794ff; --vscode-charts-green: #89d185; --vscode-charts-red: #f14c4c;
  --vscode-charts-yellow: #cca700; --vscode-charts-purple: #b180d7; --vscode-charts-orange: #d18616;
}`;

export interface Harness {
  origin: string;
  close(): Promise<void>;
}

export async function startServer(): Promise<Harness> {
  const files: Record<string, { file: string; type: string }> = {
    '/webview/chat.js': { file: path.join(DIST, 'chat.js'), type: 'text/javascript' },
    '/webview/chat.css': { file: path.join(DIST, 'chat.css'), type: 'text/css' },
  };
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') {
      const html = renderChatHtml({
        cspSource: origin,
        nonce: newNonce(),
        scriptUri: `${origin}/webview/chat.js`,
        styleUri: `${origin}/webview/chat.css`,
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    if (url === '/theme.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(DARK_THEME);
      return;
    }
    const entry = files[url];
    if (entry) {
      res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' });
      res.end(fs.readFileSync(entry.file));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Runs in the page before its own script: the VS Code API stub and a CSP-violation recorder. */
const INIT_SCRIPT = `(() => {
  const posted = [];
  const violations = [];
  Object.defineProperty(window, '__posted', { value: posted });
  Object.defineProperty(window, '__violations', { value: violations });
  document.addEventListener('securitypolicyviolation', (e) => {
    violations.push({ directive: e.effectiveDirective, blockedURI: e.blockedURI, sample: e.sample });
  });
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => { posted.push(JSON.parse(JSON.stringify(message))); },
      getState: () => {
        const saved = sessionStorage.getItem('vscode-state');
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (state) => { sessionStorage.setItem('vscode-state', JSON.stringify(state)); return state; },
    });
  };
})();`;

export interface ChatPage {
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for, in order (including ones the CSP then blocked). */
  requests: string[];
  /** Requests that reached the network stack outside the harness's origin (the route aborted them). */
  escaped: string[];
  /** Failed requests and why (`csp` when the page's policy stopped them). */
  failed: { url: string; error: string }[];
  consoleMessages: { type: string; text: string }[];
  dialogs: string[];
  pageErrors: string[];
}

export async function openChat(
  browser: Browser,
  harness: Harness,
  viewport = { width: 480, height: 900 },
): Promise<ChatPage> {
  const context = await browser.newContext({ viewport });
  const requests: string[] = [];
  const escaped: string[] = [];
  const failed: { url: string; error: string }[] = [];
  context.on('request', (request) => requests.push(request.url()));
  context.on('requestfailed', (request) =>
    failed.push({ url: request.url(), error: request.failure()?.errorText ?? '' }),
  );
  await context.route(
    (url) => url.origin !== harness.origin,
    (route) => {
      escaped.push(route.request().url());
      return route.abort('blockedbyclient');
    },
  );
  await context.addInitScript(INIT_SCRIPT);
  const page = await context.newPage();
  const result: ChatPage = {
    page,
    context,
    requests,
    escaped,
    failed,
    consoleMessages: [],
    dialogs: [],
    pageErrors: [],
  };
  page.on('console', (message) =>
    result.consoleMessages.push({ type: message.type(), text: message.text() }),
  );
  page.on('pageerror', (error) => result.pageErrors.push(String(error)));
  page.on('dialog', (dialog) => {
    result.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${harness.origin}/`);
  await waitForPosted(page, (m) => m.type === 'ready');
  return result;
}

/** Dispatches a host → webview message (a ToWebview, or anything: the invalid-message test sends junk). */
export async function hostSends(page: Page, message: unknown): Promise<void> {
  await page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
}

export function postedMessages(page: Page): Promise<FromWebview[]> {
  return page.evaluate<FromWebview[]>('window.__posted');
}

export async function clearPosted(page: Page): Promise<void> {
  await page.evaluate('window.__posted.length = 0');
}

export interface Violation {
  directive: string;
  blockedURI: string;
  sample: string;
}

export function violations(page: Page): Promise<Violation[]> {
  return page.evaluate<Violation[]>('window.__violations');
}

export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  // Generous: CI machines are shared and Chromium can stall for seconds under load; a pass is still fast.
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function waitForPosted(page: Page, match: (m: FromWebview) => boolean): Promise<FromWebview> {
  return until(async () => (await postedMessages(page)).find(match), 'a posted message');
}
