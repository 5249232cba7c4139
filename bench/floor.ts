/**
 * The floor: what tree-sitter itself allows. In a fresh process, load web-tree-sitter and the Python
 * grammar, then for every file: read it, parse it, run the engine's one combined query (`captureFile` from
 * server/src/engine/query.ts, the same compiled query the scan runs) and free the tree. No models, no
 * rules, no report. Bundled by the bench like the CLI, so both start the same way.
 *
 * Usage: node floor.js DIR... ; prints one JSON line (files, lines, captures).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPythonParser } from '../server/src/engine/parser';
import { captureFile } from '../server/src/engine/query';
import { pythonFiles } from './walk';

async function main(): Promise<void> {
  const parser = await createPythonParser();
  // performance.now() counts from the start of the process: node's start and loading the grammar.
  const startupMs = performance.now();
  let lines = 0;
  let captures = 0;
  let errors = 0;
  const files = pythonFiles(process.argv.slice(2));
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    const tree = parser.parse(text);
    if (!tree) continue;
    try {
      if (tree.rootNode.hasError) errors++;
      captures += captureFile(tree).length;
    } finally {
      tree.delete();
    }
  }
  const workMs = performance.now() - startupMs;
  process.stdout.write(
    `${JSON.stringify({ files: files.length, lines, captures, syntaxErrors: errors, startupMs, workMs })}\n`,
  );
}

void main();
