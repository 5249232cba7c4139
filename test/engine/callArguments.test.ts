import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from 'web-tree-sitter';
import { callArguments } from '../../server/src/engine/syntax';
import { engine } from '../helpers/engine';
import { eachNodeOfType, shortcutSources, withTrees } from '../helpers/trees';

/** A call's arguments read the plain way, a fresh list and map per call: what `callArguments` shortcuts. */
function readArguments(call: Node) {
  const list = call.childForFieldName('arguments');
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  let hasSplat = false;
  if (list?.type === 'argument_list') {
    for (const arg of list.namedChildren) {
      if (arg.type === 'keyword_argument') {
        const name = arg.childForFieldName('name');
        const value = arg.childForFieldName('value');
        if (name && value) keywords.set(name.text, value);
      } else if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') hasSplat = true;
      else if (arg.type !== 'comment') positional.push(arg);
    }
  } else if (list) positional.push(list);
  return { positional, keywords, hasSplat, list };
}

const ids = (nodes: readonly Node[]) => nodes.map((node) => node.id);
const keywordIds = (keywords: ReadonlyMap<string, Node>) =>
  [...keywords].map(([name, value]) => [name, value.id]);

const EDGES = [
  'f()\nf(a)\nf(a, b, c)\nf(x=1)\nf(a, x=1)\nf(x=1, y=2)\nf(*args)\nf(**kw)\nf(a, *args, x=1, **kw)\n',
  'f(a, # note\n  b)\nf(# only a comment\n)\nf(x for x in y)\nf(a)(b)(c=1)\nobj.m(a, key=b)\nf(a=1, a=2)\n',
  'f(lambda: 1, k=lambda: 2)\nf(*a, *b)\nf(a, b=(c, d), *e)\nf(x=(yield))\n',
];

describe('callArguments', () => {
  it('reads what the plain reading reads, for every call of fixtures, examples and edge cases', async () => {
    let withKeywords = 0;
    let positionalOnly = 0;
    const calls = eachNodeOfType(await engine(), shortcutSources(7, EDGES), 'call', (call) => {
      const expected = readArguments(call);
      const actual = callArguments(call);
      const what = JSON.stringify(call.text.slice(0, 80));
      assert.deepEqual(ids(actual.positional), ids(expected.positional), what);
      assert.deepEqual(keywordIds(actual.keywords), keywordIds(expected.keywords), what);
      assert.equal(actual.hasSplat, expected.hasSplat, what);
      assert.equal(actual.list?.id, expected.list?.id, what);
      if (expected.keywords.size > 0) withKeywords++;
      else if (expected.positional.length > 0) positionalOnly++;
    });
    assert.ok(calls > 5_000 && withKeywords > 500 && positionalOnly > 1_000, `${calls} calls`);
  });

  it('gives calls without keyword arguments one shared empty map (CallArguments is read-only)', async () => {
    withTrees(await engine(), ['f()\ng(x)\nh(y=1)\n'], (tree) => {
      const [none, positional, keyword] = tree.rootNode
        .descendantsOfType('call')
        .map((call) => callArguments(call));
      assert.ok(none && positional && keyword);
      assert.equal(none.keywords, positional.keywords);
      assert.equal(none.keywords.size, 0);
      assert.notEqual(keyword.keywords, none.keywords);
      assert.equal(keyword.keywords.size, 1);
    });
  });
});
