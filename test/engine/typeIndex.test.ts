import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { FileModel } from '../../server/src/engine/model';
import { INDEXED_TYPES } from '../../server/src/engine/fileNodes';
import { engine } from '../helpers/engine';
import { BROKEN_PYTHON, shortcutSources, withTrees } from '../helpers/trees';

/**
 * `nodesOfType` answers some types from the nodes the model collected instead of walking the tree: it must give
 * exactly what the walk gives (same nodes, same order), also inside broken code.
 */
describe('type index from the collected nodes', () => {
  it('equals a tree walk for every collected type, on fixtures, examples, generated code and broken code', async () => {
    const lists = [...[...INDEXED_TYPES].map((t) => [t]), ['default_parameter', 'typed_default_parameter']];
    let compared = 0;
    withTrees(await engine(), shortcutSources(3, BROKEN_PYTHON), (tree, text) => {
      const model = new FileModel(tree, text, 'x.py');
      for (const types of lists) {
        const walked: Node[] = tree.rootNode.descendantsOfType(types).filter((n): n is Node => n !== null);
        const indexed = model.nodesOfType(types);
        assert.deepEqual(
          indexed.map((n) => n.id),
          walked.map((n: Node) => n.id),
          `${types.join('|')} in ${text.slice(0, 60)}`,
        );
        compared += walked.length;
      }
    });
    assert.ok(compared > 1000, `only ${compared} nodes compared`);
  });
});
