// Bundles the CLI (and, as they land, the language server and the VS Code client) into dist/ with esbuild,
// and copies the two .wasm files the parser needs beside the bundles: nothing is fetched at run time.
// Type checking is separate (`npm run typecheck`): esbuild only strips types.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';

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

await build({
  ...common,
  entryPoints: { cli: 'server/src/cli/bin.ts' },
  outdir: 'dist',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync('dist/cli.js', 0o755);

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
