import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, LineIndex } from '../../server/src/engine/positions';
import { engine } from '../helpers/engine';

describe('positions are UTF-16 code units (LSP and SARIF default)', () => {
  it('counts an emoji as two units and an accented letter as one', async () => {
    const text = 's = "😀é"; app.run(debug=True)\n';
    const [finding] = (await engine()).analyzeText(
      `from flask import Flask\napp = Flask(__name__)\n${text}`,
      'a.py',
      { select: ['FS101'] },
    ).findings;
    assert.ok(finding);
    assert.deepEqual(finding.range.start, { line: 2, character: text.indexOf('debug') });
    assert.equal(text.indexOf('debug'), 19); // the emoji is 2 units: 's = "' 5 + 2 + 'é"; app.run(' 12
  });

  it('gives exact ranges in CRLF files and with tabs', async () => {
    const source =
      'from flask import Flask\r\napp = Flask(__name__)\r\nif True:\r\n\tapp.run(debug=True)\r\n';
    const [finding] = (await engine()).analyzeText(source, 'a.py', { select: ['FS101'] }).findings;
    assert.deepEqual(finding?.range, { start: { line: 3, character: 9 }, end: { line: 3, character: 19 } });
  });

  it('LineIndex round-trips offsets and handles CR, LF and CRLF endings', () => {
    const text = 'a\r\nbé😀c\rd\ne';
    const lines = new LineIndex(text);
    assert.equal(lines.lineCount, 4);
    for (let offset = 0; offset <= text.length; offset++) {
      const position = lines.positionAt(offset);
      if (text[offset - 1] === '\r' && text[offset] === '\n') continue; // inside a CRLF pair
      assert.equal(lines.offsetAt(position), offset, `offset ${offset}`);
    }
    assert.equal(lines.lineText(1), 'bé😀c');
  });

  it('LineIndex places offsets the same in an LF-only text as in one with a CR somewhere', () => {
    // Texts without any \r take a faster path: both must agree wherever the texts are the same.
    const lf = 'import os\n\nx = 1\n\tif x:\n        y = "é😀"\n';
    const withCr = `${lf}z = 2\r`;
    const a = new LineIndex(lf);
    const b = new LineIndex(withCr);
    assert.equal(a.lineCount, 6);
    assert.equal(b.lineCount, 7);
    for (let offset = 0; offset <= lf.length; offset++) {
      assert.deepEqual(a.positionAt(offset), b.positionAt(offset), `offset ${offset}`);
    }
    assert.deepEqual(a.positionAt(lf.length), { line: 5, character: 0 });
    assert.equal(a.lineText(4), '        y = "é😀"');
  });

  it('applies edits in any order', () => {
    assert.equal(
      applyEdits('abcdef', [
        { start: 0, end: 1, newText: 'X' },
        { start: 4, end: 6, newText: 'YZ!' },
      ]),
      'XbcdYZ!',
    );
  });
});
