import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Blank } from '../../server/src/engine/recovery';
import { QuietEdits, blankEdited } from '../../server/src/lsp/quietEdits';
import type { TextChange } from '../../server/src/lsp/quietEdits';

/** `    rows = db.execute(` on line 7, blanked up to the start of line 8; its bracket at character 21. */
const ONE_LINE: Blank = {
  bracket: { line: 7, character: 21 },
  opener: '(',
  range: { start: { line: 7, character: 4 }, end: { line: 8, character: 0 } },
  cut: true,
};
/** A call whose arguments went on over two lines before the next statement ended it. */
const TWO_LINES: Blank = {
  bracket: { line: 20, character: 10 },
  opener: '(',
  range: { start: { line: 20, character: 0 }, end: { line: 22, character: 0 } },
  cut: true,
};

const at = (line: number, character: number, removed = '', inserted = ''): TextChange => ({
  range: { start: { line, character }, end: { line, character: character + removed.length } },
  removed,
  inserted,
});

describe('quiet edits: typing that leaves the analysed text as it was', () => {
  it('finds the blank whose line is edited after its open bracket, whatever is typed on it', () => {
    for (const inserted of ['x', ' ', '.', ',', '+', 'text', ' * 2', '"', "'", '#', ')', '(', '{}']) {
      assert.equal(blankEdited([ONE_LINE], at(7, 30, '', inserted)), 0, inserted);
    }
    assert.equal(blankEdited([ONE_LINE], at(7, 25, 'a")', '')), 0);
    assert.equal(blankEdited([TWO_LINES, ONE_LINE], at(7, 22, '', 'q')), 1, 'any blank of the file');
  });

  it('does not count line breaks and continuations, nor edits at or before the bracket or elsewhere', () => {
    for (const text of ['\\', '\n', '\r\n', '\r']) {
      assert.equal(blankEdited([ONE_LINE], at(7, 30, '', text)), -1, `typed ${JSON.stringify(text)}`);
      assert.equal(blankEdited([ONE_LINE], at(7, 30, text, '')), -1, `deleted ${JSON.stringify(text)}`);
    }
    assert.equal(blankEdited([ONE_LINE], at(7, 21, '', 'x')), -1, 'at the bracket');
    assert.equal(blankEdited([ONE_LINE], at(7, 10, '', 'x')), -1, 'before it');
    assert.equal(blankEdited([ONE_LINE], at(8, 4, '', 'x')), -1, 'the next line');
    assert.equal(blankEdited([], at(7, 30, '', 'x')), -1, 'no blank');
    assert.equal(blankEdited([TWO_LINES], at(20, 12, '', 'x')), -1, 'a blank of two lines');
    const acrossLines: TextChange = {
      range: { start: { line: 7, character: 30 }, end: { line: 8, character: 2 } },
      removed: 'ab',
      inserted: '',
    };
    assert.equal(blankEdited([ONE_LINE], acrossLines), -1);
  });

  it('reuses an analysis only while the changes are quiet and the edited blanks still stand', () => {
    const edits = new QuietEdits();
    const notes = [{ kind: 'syntax-error' as const, message: 'never closed' }];
    const stands = () => true;
    edits.analysed('a', 3, [TWO_LINES, ONE_LINE], notes);
    assert.equal(edits.quietSince('a', 3, stands), notes);
    edits.changed('a', at(7, 30, '', 'x'));
    assert.equal(edits.quietSince('a', 3, stands), notes);
    assert.equal(edits.quietSince('a', 2, stands), undefined, 'another version');
    const asked: Blank[] = [];
    assert.equal(
      edits.quietSince('a', 3, (blank) => {
        asked.push(blank);
        return false;
      }),
      undefined,
      'the bracket was closed by what was typed',
    );
    assert.deepEqual(asked, [ONE_LINE], 'only the edited blank is asked about');
    edits.reused('a', 4);
    assert.equal(edits.quietSince('a', 4, stands), notes);
    edits.changed('a', at(7, 31, '', '\n'));
    assert.equal(edits.quietSince('a', 4, stands), undefined, 'a line break');
    edits.analysed('a', 5, [], []);
    assert.equal(edits.quietSince('a', 5, stands), undefined, 'nothing blanked: nothing to reuse');
  });
});
