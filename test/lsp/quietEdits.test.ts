import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Blank } from '../../server/src/engine/recovery';
import { QuietEdits, isQuietChange } from '../../server/src/lsp/quietEdits';
import type { TextChange } from '../../server/src/lsp/quietEdits';

/** `    rows = db.execute(` on line 7, blanked up to the start of line 8; its bracket at character 21. */
const ONE_LINE: Blank = {
  bracket: { line: 7, character: 21 },
  opener: '(',
  range: { start: { line: 7, character: 4 }, end: { line: 8, character: 0 } },
};
/** A call whose arguments went on over two lines before the next statement ended it. */
const TWO_LINES: Blank = {
  bracket: { line: 20, character: 10 },
  opener: '(',
  range: { start: { line: 20, character: 0 }, end: { line: 22, character: 0 } },
};

const at = (line: number, character: number, removed = '', inserted = ''): TextChange => ({
  range: { start: { line, character }, end: { line, character: character + removed.length } },
  removed,
  inserted,
});

describe('quiet edits: typing that leaves the analysed text as it was', () => {
  it('counts names, spaces, dots, commas and operators typed or deleted after the open bracket', () => {
    for (const inserted of ['x', ' ', '.', ',', '+', '=', 'text', ' * 2']) {
      assert.ok(isQuietChange([ONE_LINE], at(7, 30, '', inserted)), inserted);
    }
    assert.ok(isQuietChange([ONE_LINE], at(7, 25, 'abc', '')));
    assert.ok(isQuietChange([TWO_LINES, ONE_LINE], at(7, 22, '', 'q')), 'any blank of the file');
  });

  it('does not count what can change how the line is tokenized', () => {
    for (const text of ['(', ')', '[', ']', '{', '}', '"', "'", '#', '\\', '\n', '\r\n']) {
      assert.equal(isQuietChange([ONE_LINE], at(7, 30, '', text)), false, `typed ${JSON.stringify(text)}`);
      assert.equal(isQuietChange([ONE_LINE], at(7, 30, text, '')), false, `deleted ${JSON.stringify(text)}`);
    }
  });

  it('does not count edits at or before the bracket, on other lines, or in a blank of several lines', () => {
    assert.equal(isQuietChange([ONE_LINE], at(7, 21, '', 'x')), false, 'at the bracket');
    assert.equal(isQuietChange([ONE_LINE], at(7, 10, '', 'x')), false, 'before it');
    assert.equal(isQuietChange([ONE_LINE], at(8, 4, '', 'x')), false, 'the next line');
    assert.equal(isQuietChange([], at(7, 30, '', 'x')), false, 'no blank');
    assert.equal(isQuietChange([TWO_LINES], at(20, 12, '', 'x')), false, 'a blank of two lines');
    const acrossLines: TextChange = {
      range: { start: { line: 7, character: 30 }, end: { line: 8, character: 2 } },
      removed: 'ab',
      inserted: '',
    };
    assert.equal(isQuietChange([ONE_LINE], acrossLines), false);
  });

  it('reuses an analysis only while every change since it is quiet, and follows the versions it stands for', () => {
    const edits = new QuietEdits();
    const notes = [{ kind: 'syntax-error' as const, message: 'never closed' }];
    edits.analysed('a', 3, [ONE_LINE], notes);
    assert.equal(edits.quietSince('a', 3), notes);
    edits.changed('a', at(7, 30, '', 'x'));
    assert.equal(edits.quietSince('a', 3), notes);
    assert.equal(edits.quietSince('a', 2), undefined, 'another version');
    edits.reused('a', 4);
    assert.equal(edits.quietSince('a', 4), notes);
    edits.changed('a', at(7, 31, '', ')'));
    assert.equal(edits.quietSince('a', 4), undefined, 'the bracket closed');
    edits.analysed('a', 5, [], []);
    assert.equal(edits.quietSince('a', 5), undefined, 'nothing blanked: nothing to reuse');
  });
});
