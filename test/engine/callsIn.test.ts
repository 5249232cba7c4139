import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { FileModel } from '../../server/src/engine/model';
import { engine } from '../helpers/engine';
import { BROKEN_PYTHON, shortcutSources, withTrees } from '../helpers/trees';

/** Calls that start where an enclosing call starts, and calls on either side of a function's edges. */
const EDGES = [
  'f(x)(y)(z)\ng(h(1), k=[m(2)])\n',
  'def outer(a):\n    def inner(b):\n        return c(b)(a)\n    return inner(a)\nafter(1)\n',
  'class C(Base(1)):\n    x = make()\n    def m(self):\n        return self.n()\nend()\n',
];

/**
 * `callsIn` finds the calls inside a node by bisection over the file's calls, asking where a call ends only
 * when it starts where the node starts: it must give what the definition gives (every call whose node
 * starts at or after the node's start and ends at or before its end, in document order).
 */
describe('calls inside a node', () => {
  it('equals filtering every call by its range, for every node that holds calls', async () => {
    let compared = 0;
    withTrees(await engine(), shortcutSources(5, [...EDGES, ...BROKEN_PYTHON]), (tree, text) => {
      const model = new FileModel(tree, text, 'x.py');
      const nodes: Node[] = [
        tree.rootNode,
        ...model.scopes.map((scope) => scope.node),
        ...model.calls.map((site) => site.node),
        ...tree.rootNode.descendantsOfType(['block', 'argument_list']).filter((n): n is Node => n !== null),
      ];
      for (const node of nodes) {
        const expected = model.calls.filter(
          (site) => site.node.startIndex >= node.startIndex && site.node.endIndex <= node.endIndex,
        );
        assert.deepEqual(
          model.callsIn(node).map((site) => site.node.id),
          expected.map((site) => site.node.id),
          `${node.type} at ${node.startIndex} in ${text.slice(0, 60)}`,
        );
        compared += expected.length;
      }
    });
    assert.ok(compared > 10000, `only ${compared} calls compared`);
  });
});
