/**
 * ruff's S rules (the flake8-bandit port) through `@astral-sh/ruff-wasm-nodejs`: one Workspace with
 * `lint.select = ["S"]`, `check` on every file. This is ruff compiled to WebAssembly and run on one thread;
 * native ruff is faster and multi-threaded, so this is the comparison that runs on the same platform as the
 * scan, not ruff's best figure.
 *
 * Usage: node ruff.js DIR... ; prints one JSON line (files, diagnostics by code).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PositionEncoding, Workspace } from '@astral-sh/ruff-wasm-nodejs';
import type { Diagnostic } from '@astral-sh/ruff-wasm-nodejs';
import { pythonFiles } from './walk';

const workspace = new Workspace({ lint: { select: ['S'] } }, PositionEncoding.Utf16);
// performance.now() counts from the start of the process: node's start, loading and compiling the .wasm.
const startupMs = performance.now();
const byCode: Record<string, number> = {};
let diagnostics = 0;
const files = pythonFiles(process.argv.slice(2));
for (const file of files) {
  const result = workspace.check(fs.readFileSync(file, 'utf8')) as Diagnostic[];
  diagnostics += result.length;
  for (const d of result) byCode[d.code ?? '?'] = (byCode[d.code ?? '?'] ?? 0) + 1;
}
const workMs = performance.now() - startupMs;
workspace.free();
process.stdout.write(
  `${JSON.stringify({ version: Workspace.version(), files: files.length, diagnostics, byCode, startupMs, workMs })}\n`,
);
