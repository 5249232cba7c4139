import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Query } from 'web-tree-sitter';
import { FILE_QUERY } from '../../bench/fileQuery';
import { INDEXED_TYPES, NODE_KINDS, fileNodes } from '../../server/src/engine/fileNodes';
import { engine } from '../helpers/engine';
import { BROKEN_PYTHON, shortcutSources, withTrees } from '../helpers/trees';

/**
 * The file model is built from the nodes `fileNodes` collects with one `descendantsOfType` walk; it used to
 * take them from one combined query (a pattern per type). The walk must give what the query gives: the
 * same nodes in the same order, with the kind of each, also in broken code, where tree-sitter's error
 * recovery makes ERROR nodes, MISSING tokens and nodes that start at the same place.
 */
const EDGES = [
  '',
  '# only a comment',
  'f(x)[0] = g(y) = h(z)',
  '@app.route("/")\n@login_required\ndef view():  # c\n    return [x async for x in (y := f())]\n',
  ...BROKEN_PYTHON,
  'from __future__ import annotations\nimport os, sys as system\nfrom . import (a,\n',
  'with open(p) as f, lock:\n    for i, j in pairs: total += i\n    x: int = 1\n',
  'print "py2"\nexec "code"\nlambda: (yield)\n',
];

describe('file nodes', () => {
  it('are the nodes and the order of one combined query over the same types', async () => {
    const parsers = await engine();
    const language = parsers.parser.language;
    assert.ok(language);
    const query = new Query(language, FILE_QUERY);
    let compared = 0;
    try {
      withTrees(parsers, shortcutSources(5, EDGES), (tree, text) => {
        const collected = fileNodes(tree);
        const captured = query.captures(tree.rootNode);
        const where = text.slice(0, 60);
        assert.deepEqual(
          collected.map(({ node }) => node.id),
          captured.map(({ node }) => node.id),
          `nodes of ${where}`,
        );
        assert.deepEqual(
          collected.map(({ kind, type }) => [kind, type]),
          captured.map(({ name }) => [NODE_KINDS.get(name), name]),
          `kinds and types of ${where}`,
        );
        compared += collected.length;
      });
    } finally {
      query.delete();
    }
    assert.ok(compared > 5000, `only ${compared} nodes compared`);
  });

  it('index by type the nodes that only rules ask for, and assignments', () => {
    assert.deepEqual([...INDEXED_TYPES].sort(), [
      'assignment',
      'comparison_operator',
      'default_parameter',
      'except_clause',
      'keyword_argument',
      'pair',
      'typed_default_parameter',
    ]);
  });
});
