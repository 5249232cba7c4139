import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const header = 'from flask import Flask\napp = Flask(__name__)\n';

describe('# nosec suppressions', () => {
  it('bare nosec silences every rule on its line', async () => {
    const { findings } = (await engine()).analyzeText(`${header}app.run(debug=True)  # nosec\n`, 'a.py');
    assert.deepEqual(findings, []);
  });

  it('nosec with ids silences only those rules (bandit ids are accepted and ignored)', async () => {
    const e = await engine();
    assert.deepEqual(e.analyzeText(`${header}app.run(debug=True)  # nosec FS101\n`, 'a.py').findings, []);
    assert.deepEqual(
      e.analyzeText(`${header}app.run(debug=True)  # nosec: B201, FS101\n`, 'a.py').findings,
      [],
    );
    const other = e.analyzeText(`${header}app.run(debug=True)  # nosec FS201\n`, 'a.py').findings;
    assert.deepEqual(
      other.map((f) => f.ruleId),
      ['FS101'],
    );
  });

  it('"# nosec" inside a string does nothing', async () => {
    const { findings } = (await engine()).analyzeText(
      `${header}app.run(debug=True, extra="# nosec")\n`,
      'a.py',
    );
    assert.deepEqual(
      findings.map((f) => f.ruleId),
      ['FS101'],
    );
  });

  it('a nosec on the last line of a multi-line call counts', async () => {
    const { findings } = (await engine()).analyzeText(
      `${header}app.run(\n    debug=True)  # nosec\n`,
      'a.py',
    );
    assert.deepEqual(findings, []);
  });
});

describe('robustness', () => {
  it('survives garbage, deep nesting and lone surrogates without throwing', async () => {
    const e = await engine();
    for (const text of [
      '\u0000\u0001\u0002',
      '('.repeat(5000) + ')'.repeat(10),
      'x = "\ud800"\n',
      'def (:\n  ]]]\n',
      '',
    ]) {
      const result = e.analyzeText(text, 'bad.py');
      assert.ok(Array.isArray(result.findings));
    }
  });
});
