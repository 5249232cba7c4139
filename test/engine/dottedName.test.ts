import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { dottedName } from '../../server/src/engine/syntax';
import { engine } from '../helpers/engine';
import { eachNodeOfType, shortcutSources, withTrees } from '../helpers/trees';

/** The chain walked node by node: what `dottedName` answers from the text when it can. */
function walkedName(node: Node | null): string | null {
  if (!node) return null;
  if (node.type === 'identifier') return node.text;
  if (node.type !== 'attribute') return null;
  const object = walkedName(node.childForFieldName('object'));
  const attribute = node.childForFieldName('attribute');
  return object && attribute ? `${object}.${attribute.text}` : null;
}

const EDGES = [
  'a.b.c\nself.x.y\na . b\na.\\\n  b\n(a).b\na().b\na[0].b\n"s".join\nNone.x\nTrue.y\nFalse.z\n',
  'x.__class__.__name__\nmodule.sub.f(1)\nobj.attr # comment\n(a\n .b # c\n .c)\nnamé.attr\nprint.x\nmatch.group\n',
  '1 .real\nx.y = a.b\nawait client.get\nlambda: q.w\n{k.v: 1}\n',
];

describe('dottedName', () => {
  it('gives what walking the chain gives, for every attribute and identifier of fixtures, examples and edge cases', async () => {
    let plain = 0;
    const compared = eachNodeOfType(
      await engine(),
      shortcutSources(5, EDGES),
      ['attribute', 'identifier'],
      (node) => {
        const expected = walkedName(node);
        assert.equal(dottedName(node), expected, `${node.type} ${JSON.stringify(node.text)}`);
        if (node.type === 'attribute' && expected !== null) plain++;
      },
    );
    assert.ok(compared > 10_000 && plain > 1_000, `only ${compared} nodes, ${plain} dotted attributes`);
  });

  it('is null for chains that do not start at a name', async () => {
    withTrees(await engine(), ['None.x\nTrue.y\na().b\n"s".join\n(a).b\n'], (tree) => {
      assert.deepEqual(
        tree.rootNode.descendantsOfType('attribute').map((node) => dottedName(node)),
        [null, null, null, null, null],
      );
    });
  });
});
