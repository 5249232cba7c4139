import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Tree } from 'web-tree-sitter';
import { reparse } from '../../server/src/engine/parser';
import { treeSitterEdit } from '../../server/src/engine/treeEdits';
import { engine } from '../helpers/engine';

/** Every node with its offsets, points and text: what a re-parse must give exactly as a fresh parse does. */
function shape(tree: Tree): string[] {
  const out: string[] = [];
  const walk = (node: Node) => {
    const { row, column } = node.startPosition;
    out.push(`${node.type} ${node.startIndex}-${node.endIndex} ${row}:${column} ${node.text.length}`);
    if (node.type === 'string_content') out.push(node.text);
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return out;
}

describe('reparse (chunked reads)', () => {
  it('gives the tree and node text of a fresh parse, with surrogate pairs all through the file', async () => {
    const { parser } = await engine();
    // Lines of one to four emoji after a varying number of ASCII characters (over 9,000 code units): chunks
    // of 1,024 code units end between the halves of a pair here and there.
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) lines.push(`v${i} = "${'a'.repeat(i % 7)}${'😀'.repeat(1 + (i % 4))}"`);
    let text = `${lines.join('\n')}\n`;
    let tree = parser.parse(text) as Tree;
    try {
      for (let k = 0; k < 40; k++) {
        // Insert or delete a single code unit near a boundary: everything after shifts by one.
        const at = Math.min(text.length - 1, 1024 * (1 + (k % 8)) - 3 + (k % 5));
        const safe = /[\uD800-\uDFFF]/.test(text.slice(at - 1, at + 1)) ? at + 2 : at;
        const insert = k % 2 === 0 ? 'b' : '';
        const end = k % 2 === 0 ? safe : safe + 1;
        tree.edit(treeSitterEdit(text, safe, end, insert));
        text = text.slice(0, safe) + insert + text.slice(end);
        const next = reparse(parser, text, tree) as Tree;
        tree.delete();
        tree = next;
        const fresh = parser.parse(text) as Tree;
        try {
          assert.deepEqual(shape(tree), shape(fresh), `after edit ${k} at ${safe}`);
          assert.equal(tree.rootNode.text, text);
        } finally {
          fresh.delete();
        }
      }
    } finally {
      tree.delete();
    }
  });
});
