/**
 * The floor: what tree-sitter itself allows. In a fresh process, load web-tree-sitter and the Python
 * grammar, then for every file: read it, parse it, run one combined query over the node types the engine
 * models (bench/fileQuery.ts) and free the tree. No
 * models, no rules, no report. Bundled by the bench like the CLI, so both start the same way.
 *
 * The query is the floor issue 7 defines. The engine itself no longer runs one: it collects the same nodes
 * with one `descendantsOfType` walk (`fileNodes`), which costs less, so that floor counts work the scan
 * does not do. With `--walk` the script runs the engine's walk instead of the query: the floor of what the
 * scan does, which the bench reports beside the other.
 *
 * Usage: node floor.js [--walk] DIR... ; prints one JSON line (files, lines, captures or nodes).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Query } from 'web-tree-sitter';
import { fileNodes } from '../server/src/engine/fileNodes';
import { createPythonParser } from '../server/src/engine/parser';
import { FILE_QUERY } from './fileQuery';
import { pythonFiles } from './walk';

async function main(): Promise<void> {
  const parser = await createPythonParser();
  // performance.now() counts from the start of the process: node's start and loading the grammar.
  const startupMs = performance.now();
  const args = process.argv.slice(2);
  const walk = args[0] === '--walk';
  const query = walk ? null : new Query(parser.language as NonNullable<typeof parser.language>, FILE_QUERY);
  let lines = 0;
  let captures = 0;
  let errors = 0;
  const files = pythonFiles(walk ? args.slice(1) : args);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
    const tree = parser.parse(text);
    if (!tree) continue;
    try {
      if (tree.rootNode.hasError) errors++;
      captures += query ? query.captures(tree.rootNode).length : fileNodes(tree).length;
    } finally {
      tree.delete();
    }
  }
  const workMs = performance.now() - startupMs;
  process.stdout.write(
    `${JSON.stringify({ files: files.length, lines, [walk ? 'nodes' : 'captures']: captures, syntaxErrors: errors, startupMs, workMs })}\n`,
  );
}

void main();
