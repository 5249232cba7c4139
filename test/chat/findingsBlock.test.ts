import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeBlocks } from '../../client/src/chat/codeBlocks';
import { extractFindings, FindingsBlockFilter } from '../../client/src/chat/findingsBlock';

const FENCE = '```';

const ANSWER = [
  '### Risk summary',
  '',
  'The query on line 14 is built with an f-string.',
  '',
  `${FENCE}python`,
  'cursor.execute("SELECT * FROM users WHERE name = %s", (name,))',
  FENCE,
  '',
  `${FENCE}flask-sentinel-findings`,
  JSON.stringify([
    {
      severity: 'critical',
      title: 'SQL injection',
      cwe: 'CWE-89',
      line: 14,
      endLine: 14,
      explanation: 'name comes from request.args',
      replacement: '    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))',
    },
    { severity: 'low', title: 'Verbose errors', explanation: 'stack traces are returned' },
  ]),
  FENCE,
].join('\n');

describe('findings block', () => {
  it('extracts and validates the findings and removes the block from the displayed answer', () => {
    const r = extractFindings(ANSWER);
    assert.equal(r.found, true);
    assert.equal(r.dropped, 0);
    assert.equal(r.parseError, undefined);
    assert.equal(r.findings.length, 2);
    assert.deepEqual(r.findings[0], {
      severity: 'critical',
      title: 'SQL injection',
      cwe: 'CWE-89',
      line: 14,
      endLine: 14,
      explanation: 'name comes from request.args',
      replacement: '    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))',
    });
    assert.ok(!r.display.includes('flask-sentinel-findings'));
    assert.ok(r.display.includes('```python'), 'other code blocks stay');
    assert.ok(r.display.endsWith(FENCE));
  });

  it('drops invalid items and counts them', () => {
    const block = [
      { severity: 'urgent', title: 'x', explanation: 'bad severity' },
      { severity: 'high', explanation: 'no title' },
      { severity: 'high', title: 'bad cwe', cwe: '89', explanation: 'x' },
      { severity: 'high', title: 'bad line', line: 0, explanation: 'x' },
      'not an object',
      { severity: 'medium', title: 'ok', line: 3, endLine: 1, explanation: 'endLine before line is dropped' },
      { severity: 'info', title: 'replacement without line', replacement: 'x = 1', explanation: 'x' },
    ];
    const r = extractFindings(
      `Text\n\n${FENCE}flask-sentinel-findings\n${JSON.stringify(block)}\n${FENCE}\n`,
    );
    assert.equal(r.dropped, 5);
    assert.deepEqual(r.findings, [
      { severity: 'medium', title: 'ok', line: 3, explanation: 'endLine before line is dropped' },
      { severity: 'info', title: 'replacement without line', explanation: 'x' },
    ]);
    assert.equal(r.display, 'Text');
  });

  it('keeps an unreadable block in the answer and says why', () => {
    const text = `Answer\n\n${FENCE}flask-sentinel-findings\n[{severity: 'high',}]\n${FENCE}`;
    const r = extractFindings(text);
    assert.equal(r.found, true);
    assert.deepEqual(r.findings, []);
    assert.match(r.parseError ?? '', /could not be read/);
    assert.equal(r.display, text);
  });

  it('accepts {"findings": [...]}, an empty block, an unterminated last block, and none', () => {
    const wrapped = extractFindings(
      `A\n${FENCE}flask-sentinel-findings\n{"findings": [{"severity":"low","title":"t","explanation":"e"}]}\n${FENCE}`,
    );
    assert.equal(wrapped.findings.length, 1);
    assert.deepEqual(extractFindings(`A\n${FENCE}flask-sentinel-findings\n[]\n${FENCE}`).findings, []);
    const cut = extractFindings(
      `A\n${FENCE}flask-sentinel-findings\n[{"severity":"low","title":"t","explanation":"e"}]`,
    );
    assert.equal(cut.findings.length, 1);
    assert.equal(cut.display, 'A');
    const none = extractFindings('Just prose.');
    assert.deepEqual(none, { display: 'Just prose.', findings: [], dropped: 0, found: false });
  });

  it('cleans replacements a model wrapped in a fence or prefixed with line numbers', () => {
    const r = extractFindings(
      `${FENCE}flask-sentinel-findings\n${JSON.stringify([
        {
          severity: 'high',
          title: 'a',
          line: 14,
          endLine: 15,
          explanation: 'e',
          replacement: '14 |     x = 1\n15 |     y = 2',
        },
        { severity: 'high', title: 'b', line: 20, explanation: 'e', replacement: '```python\nz = 3\n```' },
      ])}\n${FENCE}`,
    );
    assert.equal(r.findings[0]?.replacement, '    x = 1\n    y = 2');
    assert.equal(r.findings[1]?.replacement, 'z = 3');
  });

  it('caps the number of findings at 100', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({
      severity: 'low',
      title: `t${i}`,
      explanation: 'e',
    }));
    const r = extractFindings(`${FENCE}flask-sentinel-findings\n${JSON.stringify(many)}\n${FENCE}`);
    assert.equal(r.findings.length, 100);
    assert.equal(r.dropped, 20);
  });
});

describe('streaming filter', () => {
  it('shows the same text as the final answer however the stream is split', () => {
    const expected = extractFindings(ANSWER).display;
    for (let size = 1; size <= 40; size += 3) {
      const filter = new FindingsBlockFilter();
      let shown = '';
      for (let i = 0; i < ANSWER.length; i += size) shown += filter.push(ANSWER.slice(i, i + size));
      shown += filter.flush();
      assert.equal(shown.trimEnd(), expected, `chunk size ${size}`);
    }
  });

  it('passes an answer without a block through unchanged, including a trailing fence', () => {
    const text = `Use this:\n\n${FENCE}python\nx = 1\n${FENCE}`;
    const filter = new FindingsBlockFilter();
    let shown = '';
    for (const ch of text) shown += filter.push(ch);
    shown += filter.flush();
    assert.equal(shown, text);
  });
});

describe('code blocks', () => {
  it('lists fenced blocks in document order, as the webview numbers them', () => {
    const answer = [
      'Intro',
      '',
      '```python',
      'x = 1',
      '```',
      '',
      '    indented code is not a fence',
      '',
      '- item',
      '',
      '  ~~~',
      '  y = 2',
      '  ~~~',
      '',
      '````sql extra',
      'SELECT 1',
      '```',
      '````',
    ].join('\n');
    assert.deepEqual(codeBlocks(answer), [
      { index: 0, language: 'python', code: 'x = 1' },
      { index: 1, language: '', code: 'y = 2' },
      { index: 2, language: 'sql', code: 'SELECT 1\n```' },
    ]);
    assert.deepEqual(codeBlocks('no code'), []);
  });
});
