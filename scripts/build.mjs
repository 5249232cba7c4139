// Bundles the CLI (and, as they land, the language server and the VS Code client) into dist/ with esbuild,
// and copies the two .wasm files the parser needs beside the bundles: nothing is fetched at run time.
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

mkdirSync('dist', { recursive: true });
copyFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'), 'dist/web-tree-sitter.wasm');
copyFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  define: { FLASK_SENTINEL_VERSION: JSON.stringify(pkg.version) },
  // web-tree-sitter's ESM build reads import.meta.url, which a CommonJS bundle does not have: use its CJS build.
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
};

// The CLI is two bundles: a small entry point that starts a scan's worker threads before loading the rest
// (server/src/cli/bin.ts says why), and the CLI itself, with a V8 code cache written below. Node 20 cannot
// run an `import()` in a function compiled from a code cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so
// the CLI's bundles turn each into a `require` (node's own modules are all they import).
const cliCommon = { ...common, supported: { 'dynamic-import': false } };
rmSync('dist/cliMain.js.v8cache', { force: true });
await build({
  ...cliCommon,
  entryPoints: { cli: 'server/src/cli/bin.ts' },
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
  external: ['./cliMain.js'],
});
chmodSync('dist/cli.js', 0o755);
await build({
  ...cliCommon,
  entryPoints: { cliMain: 'server/src/cli/main.ts' },
  outdir: 'dist',
});
// The CLI's scan worker threads (server/src/cli/parallel.ts), loaded from beside dist/cli.js: a small
// script that loads dist/cliMain.js (server/src/cli/scanWorkerEntry.ts says why).
await build({
  ...cliCommon,
  entryPoints: { scanWorker: 'server/src/cli/scanWorkerEntry.ts' },
  outdir: 'dist',
});
writeCliCodeCache();

await build({
  ...common,
  entryPoints: { server: 'server/src/lsp/bin.ts' },
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync('dist/server.js', 0o755);

// The VS Code extension (client). `vscode` is provided by the editor at run time.
await build({
  ...common,
  entryPoints: { extension: 'client/src/extension.ts' },
  outdir: 'dist',
  // The chat is its own bundle, required on first use (client/src/chatEntry.ts says why).
  external: ['vscode', './chat.js'],
});
await build({
  ...common,
  entryPoints: { chat: 'client/src/chatEntry.ts' },
  outdir: 'dist',
  external: ['vscode'],
});

// The chat panel's webview script: runs in VS Code's webview iframe (a browser), loaded by nonce under a
// strict CSP; its stylesheet is copied beside it. dist/webview/ is the webview's only local resource root.
mkdirSync('dist/webview', { recursive: true });
await build({
  entryPoints: { chat: 'client/webview/chat.ts' },
  outdir: 'dist/webview',
  tsconfig: 'client/webview/tsconfig.json',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
});
copyFileSync('media/chat/chat.css', 'dist/webview/chat.css');

// The web extension (package.json `browser`, for vscode.dev and github.dev): the same client and server,
// bundled for the browser. The client runs in VS Code's web extension host (a web worker), the server in a web
// worker it starts (server/src/lsp/browserMain.ts). Node's built-in modules have browser stand-ins (see
// `nodeBuiltinsForTheBrowser`); the `.wasm` files sit beside the server, which loads them by URL.
const webCommon = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  sourcemap: !production,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
  define: { FLASK_SENTINEL_VERSION: JSON.stringify(pkg.version) },
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
  plugins: [nodeBuiltinsForTheBrowser()],
};
mkdirSync('dist/web', { recursive: true });
copyFileSync('dist/web-tree-sitter.wasm', 'dist/web/web-tree-sitter.wasm');
copyFileSync('dist/tree-sitter-python.wasm', 'dist/web/tree-sitter-python.wasm');
// A classic script: VS Code starts an extension's nested worker with importScripts().
await build({
  ...webCommon,
  entryPoints: { server: 'server/src/lsp/browserMain.ts' },
  outdir: 'dist/web',
  format: 'iife',
});
// CommonJS, as the web extension host loads an extension's `browser` entry; the chat is part of it (a web
// extension cannot require a second bundle), its built-in agents included as text.
await build({
  ...webCommon,
  entryPoints: { extension: 'client/src/web/extension.ts' },
  outdir: 'dist/web',
  format: 'cjs',
  external: ['vscode'],
  loader: { '.md': 'text' },
  plugins: [...webCommon.plugins, noModelInTheBrowser()],
});

/**
 * dist/cliMain.js.v8cache: the bytecode of what a scan runs, for this node's V8 (server/src/cli/codeCache.ts).
 * Written by the CLI itself, as it exits from a scan of both example apps: a cache holds what V8 has compiled
 * by then. V8 refuses a cache made by another V8 or under other V8 flags on node's command line, and the
 * bundle is then compiled as before, so a failure here is a warning, not a failed build.
 */
function writeCliCodeCache() {
  const scan = spawnSync(
    process.execPath,
    ['dist/cli.js', 'scan', 'examples', '--format', 'json', '--fail-on', 'never', '--jobs', '1'],
    { env: { ...process.env, FLASK_SENTINEL_WRITE_CODE_CACHE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (scan.status !== 0) {
    console.warn(`build: no code cache for dist/cliMain.js (the scan of examples/ exited ${scan.status}):`);
    console.warn(String(scan.stderr));
  }
}

/** The web chat calls no model (client/src/web/chatEntry.ts): its bundle gets client/src/web/noModel.ts in
 * place of the Anthropic SDK's client. */
function noModelInTheBrowser() {
  return {
    name: 'no-model-in-the-browser',
    setup(b) {
      b.onResolve({ filter: /^\.\/anthropicChat$/ }, () => ({
        path: join(process.cwd(), 'client/src/web/noModel.ts'),
      }));
    },
  };
}

/**
 * Node's built-in modules in the web bundles. `path` is a POSIX implementation and `crypto` the two functions
 * the chat takes from it, on the Web Crypto API. The others (`fs`, `child_process`, `url`...) are empty
 * modules: the code that uses them (the disk, git, pyproject.toml, node's wasm lookup, the chat's file reads
 * and `git diff`) is not reached in a browser, where the hosts give the server and the chat other sources; a
 * call would fail with "... is not a function". Anything else imported from node fails the build, so that a
 * new import is a decision.
 */
function nodeBuiltinsForTheBrowser() {
  const standIns = {
    path: 'server/src/lsp/browser/path.ts',
    crypto: 'client/src/web/crypto.ts',
  };
  const empty = new Set(['fs', 'fs/promises', 'child_process', 'url', 'module', 'os']);
  return {
    name: 'node-builtins-for-the-browser',
    setup(b) {
      b.onResolve(
        { filter: /^node:|^(path|fs|fs\/promises|child_process|url|module|os|crypto)$/ },
        (args) => {
          const name = args.path.replace(/^node:/, '');
          if (standIns[name]) return { path: join(process.cwd(), standIns[name]) };
          if (empty.has(name)) return { path: name, namespace: 'node-builtin-unavailable' };
          return {
            errors: [{ text: `${args.path} has no stand-in for the browser (imported by ${args.importer})` }],
          };
        },
      );
      b.onLoad({ filter: /.*/, namespace: 'node-builtin-unavailable' }, () => ({
        contents: 'module.exports = {};',
        loader: 'js',
      }));
    },
  };
}
