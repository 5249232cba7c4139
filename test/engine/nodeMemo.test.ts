import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Node } from 'web-tree-sitter';
import type { Parser, Tree, TreeCursor } from 'web-tree-sitter';
import { generateSingleFile } from '../../bench/generate';
import { Engine } from '../../server/src/engine/engine';
import { isMemoized, MEMO_MIN_BYTES, nodeMemoSize, releaseNodeMemo } from '../../server/src/engine/nodeMemo';
import { treeSitterEdit } from '../../server/src/engine/treeEdits';

/**
 * The node memo (engine/nodeMemo.ts) answers `type`, `endIndex`, `parent` and `childForFieldName` from
 * what it saw before. A tree cursor reads the same facts without going through those Node methods: every
 * node of a tree must get the cursor's answers, asked twice (the second answer comes from the memo), and
 * a tree edited and re-parsed must not see the answers memoized for its old positions.
 */
const BROKEN = 'def f(a=1, *, b: int = 2:\n    return {"k": v for (\nclass C(x=(a < b)):\n    d = {1: 2}\n';

interface Expected {
  start: number;
  type: string;
  endIndex: number;
  parentStart: number | null;
  parentType: string | null;
  fields: Map<string, { start: number; type: string }>;
}

/** Each node's facts by (start, end, type) position in a depth-first walk, read through a cursor. */
function cursorFacts(tree: Tree): Expected[] {
  const out: Expected[] = [];
  const stack: Expected[] = [];
  const cursor: TreeCursor = tree.walk();
  const visit = (): void => {
    const parent = stack[stack.length - 1];
    const facts: Expected = {
      start: cursor.startIndex,
      type: cursor.nodeType,
      endIndex: cursor.endIndex,
      parentStart: parent?.start ?? null,
      parentType: parent?.type ?? null,
      fields: new Map(),
    };
    const field = cursor.currentFieldName;
    // The first child of a field is what childForFieldName returns.
    if (parent && field && !parent.fields.has(field)) {
      parent.fields.set(field, { start: cursor.startIndex, type: cursor.nodeType });
    }
    out.push(facts);
    if (cursor.gotoFirstChild()) {
      stack.push(facts);
      do visit();
      while (cursor.gotoNextSibling());
      cursor.gotoParent();
      stack.pop();
    }
  };
  visit();
  return out;
}

/** The same facts, read through Node objects (memoized), in the same depth-first order. */
function checkNodes(tree: Tree, expected: Expected[]): void {
  let k = 0;
  const walk = (node: Node): void => {
    const facts = expected[k++] as Expected;
    for (let pass = 0; pass < 2; pass++) {
      assert.equal(node.startIndex, facts.start);
      assert.equal(node.type, facts.type);
      assert.equal(node.endIndex, facts.endIndex);
      const parent = node.parent;
      assert.equal(parent?.startIndex ?? null, facts.parentStart);
      assert.equal(parent?.type ?? null, facts.parentType);
      for (const [field, child] of facts.fields) {
        const found = node.childForFieldName(field);
        assert.equal(found?.startIndex, child.start, `${facts.type}.${field}`);
        assert.equal(found?.type, child.type);
      }
    }
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  assert.equal(k, expected.length);
}

describe('node memo', () => {
  let parser: Parser;
  before(async () => {
    parser = (await Engine.create()).parser;
  });

  it('answers what a tree cursor reads, on generated, broken and empty code', () => {
    const large = generateSingleFile(1200, 7);
    assert.ok(large.length >= MEMO_MIN_BYTES);
    for (const text of [large, BROKEN + large, generateSingleFile(100, 7), BROKEN, '']) {
      const tree = parser.parse(text) as Tree;
      try {
        const memoized = text.length >= MEMO_MIN_BYTES;
        assert.equal(isMemoized(tree), memoized);
        // A small tree's nodes are web-tree-sitter's own: nothing of the memo stands in their way.
        const own = Object.getPrototypeOf(tree.rootNode) === Node.prototype;
        assert.equal(own, !memoized, memoized ? 'memoized nodes' : "web-tree-sitter's own nodes");
        checkNodes(tree, cursorFacts(tree));
        assert.equal(nodeMemoSize(tree) > 0, memoized, memoized ? 'memoized' : 'small files are left alone');
      } finally {
        tree.delete();
      }
    }
  });

  it('forgets an edited tree, so the re-parsed tree and later questions see the new positions', () => {
    let text = generateSingleFile(1200, 11);
    let tree = parser.parse(text) as Tree;
    assert.ok(isMemoized(tree));
    for (const [at, insert] of [
      [text.indexOf('def '), 'x = 1\n'],
      [text.indexOf('return'), '('],
      [text.indexOf('return') + 1, ')\n    y = (a < b)\n'],
    ] as const) {
      checkNodes(tree, cursorFacts(tree));
      const edit = treeSitterEdit(text, at, at, insert);
      text = text.slice(0, at) + insert + text.slice(at);
      tree.edit(edit);
      assert.equal(nodeMemoSize(tree), 0);
      const next = parser.parse(text, tree) as Tree;
      assert.ok(isMemoized(next), 'a re-parse is memoized as a parse is');
      tree.delete();
      tree = next;
      checkNodes(tree, cursorFacts(tree));
    }
    releaseNodeMemo(tree);
    assert.equal(nodeMemoSize(tree), 0);
    checkNodes(tree, cursorFacts(tree));
    tree.delete();
    assert.equal(nodeMemoSize(tree), 0, 'a deleted tree holds nothing');
  });
});
