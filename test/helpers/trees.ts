import { readFileSync } from 'node:fs';
import type { Node, Tree } from 'web-tree-sitter';
import { generateSingleFile } from '../../bench/generate';
import type { Engine } from '../../server/src/engine/engine';
import { EXAMPLES, RULE_FIXTURES, pythonFiles } from './fixtures';

/**
 * Broken Python, for the tests that compare a shortcut with a tree walk inside tree-sitter's error
 * recovery: ERROR nodes, MISSING tokens, nodes that start at the same place.
 */
export const BROKEN_PYTHON: readonly string[] = [
  'def f(a=1, *, b: int = 2:\n    return {"k": v for (',
  'x = {"a": 1, "b": (\nif a == b != c:\n  try:\n    pass\n  except (ValueError, KeyError) as e\n',
  'call(key=value, other=\n@decorator(x=1)\nclass C(metaclass=M, y=(a < b)):\n    d = {1: 2}\n',
];

/**
 * Sources for a test that compares a shortcut with the tree walk it replaces: every rule fixture and
 * example, a generated 1,500-line file (from `seed`), and the test's own edge cases.
 */
export function shortcutSources(seed: number, edges: readonly string[]): string[] {
  return [
    ...pythonFiles(RULE_FIXTURES, EXAMPLES).map((file) => readFileSync(file, 'utf8')),
    generateSingleFile(1500, seed),
    ...edges,
  ];
}

/** Parses each text, hands its tree to `visit`, and frees the tree, also when `visit` throws. */
export function withTrees(
  engine: Engine,
  texts: readonly string[],
  visit: (tree: Tree, text: string) => void,
): void {
  for (const text of texts) {
    const tree = engine.parser.parse(text);
    if (!tree) throw new Error(`no tree for ${JSON.stringify(text.slice(0, 60))}`);
    try {
      visit(tree, text);
    } finally {
      tree.delete();
    }
  }
}

/**
 * Hands every node of `types` in each text's tree to `visit` (trees freed as `withTrees` frees them) and
 * returns how many it visited, for the test to check that it compared enough.
 */
export function eachNodeOfType(
  engine: Engine,
  texts: readonly string[],
  types: string | readonly string[],
  visit: (node: Node) => void,
): number {
  let visited = 0;
  withTrees(engine, texts, (tree) => {
    for (const node of tree.rootNode.descendantsOfType(types as string | string[])) {
      visit(node);
      visited++;
    }
  });
  return visited;
}
