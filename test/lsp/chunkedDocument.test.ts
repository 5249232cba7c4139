import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position } from 'vscode-languageserver-textdocument';
import { pointAt } from '../../server/src/engine/treeEdits';
import { ChunkedDocument } from '../../server/src/lsp/chunkedDocument';
import { utf8Length } from '../../server/src/lsp/tick';

/** Pieces that stress line ends, surrogate pairs, NULs and chunk boundaries (a chunk is 4 KiB). */
const FRAGMENTS = [
  '',
  'x',
  '\n',
  '\r',
  '\r\n',
  '\0',
  '😀',
  '\ud83d',
  '\ude00',
  'é',
  'def f():\n    return 1\n',
  'a\r\nb\rc\n',
  'y'.repeat(5000),
  'line\n'.repeat(900),
];

const BASES = ['', 'a = 1\n', 'import os\r\n\r\nx = "😀"\n', `${'row = 1\n'.repeat(2000)}end\r`, '\r\r\n\n'];

/** Every answer a reader of the document can get, compared with vscode-languageserver-textdocument's. */
function assertSame(chunked: ChunkedDocument, reference: TextDocument, probes: readonly number[]): void {
  const text = reference.getText();
  assert.equal(chunked.length, text.length);
  assert.equal(chunked.lineCount, reference.lineCount);
  assert.equal(chunked.version, reference.version);
  assert.equal(chunked.utf8Length, utf8Length(text));
  assert.equal(chunked.hasNul, text.includes('\0'));
  assert.equal(chunked.rowsAreLines, !/\r(?!\n)/.test(text));
  for (const probe of probes) {
    const offset = Math.floor(probe * (text.length + 2)) - 1;
    const position = reference.positionAt(offset);
    assert.deepEqual(chunked.positionAt(offset), position, `positionAt(${offset})`);
    const clamped = Math.max(0, Math.min(offset, text.length));
    assert.deepEqual(chunked.treePointAt(clamped), pointAt(text, clamped), `treePointAt(${clamped})`);
    assert.equal(chunked.charCodeAt(clamped), text.charCodeAt(clamped));
    const shifted: Position = {
      line: position.line + (probe > 0.5 ? 1 : 0),
      character: position.character + 3,
    };
    assert.equal(
      chunked.offsetAt(shifted),
      reference.offsetAt(shifted),
      `offsetAt(${JSON.stringify(shifted)})`,
    );
    assert.deepEqual(chunked.getLineRange(shifted.line), reference.getLineRange(shifted.line));
    assert.equal(chunked.getEOLCharacters(shifted.line), reference.getEOLCharacters(shifted.line));
    const range = { start: reference.positionAt(offset - 7), end: position };
    assert.equal(chunked.getText(range), reference.getText(range));
  }
  assert.equal(chunked.getText(), text);
}

describe('ChunkedDocument', () => {
  it('answers as TextDocument does after every incremental or full change (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: BASES.length - 1 }),
        fc.array(
          fc.record({
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            len: fc.oneof(fc.nat({ max: 6 }), fc.nat({ max: 9000 })),
            f: fc.nat({ max: FRAGMENTS.length - 1 }),
            backwards: fc.boolean(),
            full: fc.nat({ max: 30 }),
            // Whether to read the whole text before the change (a parse does; a quiet keystroke does not).
            read: fc.boolean(),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        (base, changes, probes) => {
          const reference = TextDocument.create('untitled:a.py', 'python', 1, BASES[base] as string);
          const chunked = new ChunkedDocument('untitled:a.py', 'python', 1, BASES[base] as string);
          let version = 1;
          for (const c of changes) {
            if (c.read) chunked.getText();
            const text = reference.getText();
            const inserted = FRAGMENTS[c.f] as string;
            const change =
              c.full === 0
                ? { text: inserted }
                : (() => {
                    const start = Math.floor(c.at * (text.length + 1));
                    const end = Math.min(text.length, start + c.len);
                    const [from, to] = [reference.positionAt(start), reference.positionAt(end)];
                    return {
                      range: c.backwards ? { start: to, end: from } : { start: from, end: to },
                      text: inserted,
                    };
                  })();
            version++;
            TextDocument.update(reference, [change], version);
            chunked.update([change], version);
            assertSame(chunked, reference, probes);
          }
        },
      ),
      { numRuns: 1500, seed: 11 },
    );
  });

  it('keeps its chunks bounded while a large file is typed into and deleted from', () => {
    const text = 'value = compute(1, 2)\n'.repeat(6_000);
    const doc = new ChunkedDocument('untitled:b.py', 'python', 1, text);
    const reference = TextDocument.create('untitled:b.py', 'python', 1, text);
    let version = 1;
    // Delete most of the file one line at a time from the middle, then type it back character by character.
    for (let i = 0; i < 4_500; i++) {
      const change = {
        range: { start: { line: 1000, character: 0 }, end: { line: 1001, character: 0 } },
        text: '',
      };
      doc.update([change], ++version);
      TextDocument.update(reference, [change], version);
    }
    for (const ch of 'abc\n'.repeat(500)) {
      const at = reference.positionAt(Math.floor(reference.getText().length / 2));
      const change = { range: { start: at, end: at }, text: ch };
      doc.update([change], ++version);
      TextDocument.update(reference, [change], version);
    }
    assertSame(doc, reference, [0, 0.25, 0.5, 0.75, 1]);
    const chunks = (doc as unknown as { chunks: string[] }).chunks;
    // ~35 KB left: about 9 chunks of 4 KiB; never thousands of slivers.
    assert.ok(chunks.length < 30, `${chunks.length} chunks`);
    assert.ok(chunks.every((c) => c.length <= 2 * 4096 + 1));
  });
});
