import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Node, Tree } from 'web-tree-sitter';
import { nonOverlapping } from '../../server/src/lsp/actions';
import { pointAt } from '../../server/src/engine/treeEdits';
import { ChunkedDocument } from '../../server/src/lsp/chunkedDocument';
import { applyChanges } from '../../server/src/lsp/documents';
import { TreeStore } from '../../server/src/lsp/trees';
import { engine } from '../helpers/engine';

function shape(tree: Tree): string[] {
  const out: string[] = [];
  const walk = (node: Node) => {
    out.push(
      `${node.type} ${node.startIndex}-${node.endIndex} ${node.startPosition.row}:${node.startPosition.column}-${node.endPosition.row}:${node.endPosition.column}`,
    );
    for (const child of node.children) if (child) walk(child);
  };
  walk(tree.rootNode);
  return out;
}

const FRAGMENTS = [
  '',
  '\n',
  '\r\n',
  '\r',
  'é😀',
  'x = (1,\n 2)\n',
  '"""',
  'def f():\n    pass\n',
  '    ',
  ')',
];
const BASE = 'import os\r\n\r\ndef f(a):\n    return "😀" + a\n\nx = [1,\n     2]\n';

describe('documents and trees', () => {
  it('incrementally re-parsed trees equal fresh parses, points included (property)', async () => {
    const { parser } = await engine();
    const store = new TreeStore(parser);
    let n = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            fc.record({
              at: fc.double({ min: 0, max: 1, noNaN: true }),
              len: fc.nat({ max: 8 }),
              f: fc.nat({ max: FRAGMENTS.length - 1 }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (events) => {
          const uri = `untitled:t${++n}.py`;
          const doc = new ChunkedDocument(uri, 'python', 1, BASE);
          store.get(uri, doc.getText(), 1);
          let version = 1;
          for (const event of events) {
            const changes = event.map((e) => {
              const text = doc.getText();
              let start = Math.floor(e.at * text.length);
              if (text[start - 1] === '\r' && text[start] === '\n') start--;
              let end = Math.min(text.length, start + e.len);
              if (text[end - 1] === '\r' && text[end] === '\n') end--;
              // Positions are computed against the text as the client sees it before this change.
              return {
                range: { start: doc.positionAt(start), end: doc.positionAt(end) },
                text: FRAGMENTS[e.f] as string,
              };
            });
            // Recompute ranges sequentially: each change is relative to the text after the previous one.
            for (const change of changes) applyChanges(doc, [change], ++version, store);
            const incremental = store.get(uri, doc.getText(), version);
            const fresh = parser.parse(doc.getText());
            try {
              assert.deepEqual(shape(incremental!), shape(fresh!));
            } finally {
              fresh?.delete();
            }
          }
          store.close(uri);
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
    assert.equal(store.size, 0);
  });

  it('measures a multi-change event change by change', async () => {
    const { parser } = await engine();
    const store = new TreeStore(parser);
    const doc = new ChunkedDocument('untitled:m.py', 'python', 1, 'a = 1\nb = 2\n');
    store.get(doc.uri, doc.getText(), 1);
    applyChanges(
      doc,
      [
        { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'z = 0\n' },
        { range: { start: { line: 2, character: 4 }, end: { line: 2, character: 5 } }, text: '20' },
      ],
      2,
      store,
    );
    assert.equal(doc.getText(), 'z = 0\na = 1\nb = 20\n');
    const tree = store.get(doc.uri, doc.getText(), 2)!;
    const fresh = parser.parse(doc.getText())!;
    assert.deepEqual(shape(tree), shape(fresh));
    fresh.delete();
    store.dispose();
  });

  it('computes tree-sitter points in UTF-16 units with \\n rows', () => {
    assert.deepEqual(pointAt('a😀\r\nb', 5), { row: 1, column: 0 });
    assert.deepEqual(pointAt('a😀\r\nb', 3), { row: 0, column: 3 });
    assert.deepEqual(pointAt('\nx', 0), { row: 0, column: 0 });
  });

  it('fix-all keeps whole fixes that do not overlap earlier ones', () => {
    const doc = TextDocument.create('untitled:f.py', 'python', 1, 'abcdefghij');
    const edit = (s: number, e: number, t: string) => ({
      range: { start: doc.positionAt(s), end: doc.positionAt(e) },
      newText: t,
    });
    const kept = nonOverlapping(doc, [
      [edit(0, 2, 'X')],
      [edit(1, 3, 'Y')],
      [edit(4, 5, 'Z'), edit(8, 9, 'W')],
      [edit(8, 8, 'V')],
    ]);
    assert.deepEqual(
      kept.map((e) => e.newText),
      ['X', 'Z', 'W'],
    );
  });
});
