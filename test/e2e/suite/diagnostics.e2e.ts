import assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { extensionApi, hasRuleOnLine, lineOf, openFile, ruleOf, waitForFindings } from './helpers';

/** [rule, text of the line it must be reported on] */
type Expectation = [string, string];

/** Opens the file and waits until every expected finding is reported on its line. */
async function expectFindings(relative: string, expected: Expectation[]): Promise<vscode.Diagnostic[]> {
  const doc = await openFile(relative);
  const wanted = expected.map(([rule, needle]) => ({ rule, line: lineOf(doc, needle) }));
  return waitForFindings(
    doc.uri,
    (diagnostics) => wanted.every(({ rule, line }) => hasRuleOnLine(diagnostics, rule, line)),
    wanted.map(({ rule, line }) => `${rule}@${line}`).join(' '),
  );
}

describe('diagnostics of examples/vulnerable-app in the editor', () => {
  before(async () => {
    await extensionApi();
  });

  it('app/views.py: injection, deserialization and auth findings on the lines that cause them', async () => {
    const diagnostics = await expectFindings('app/views.py', [
      ['FS201', 'conn.execute(f"SELECT'],
      ['FS202', 'subprocess.check_output('],
      ['FS202', 'os.popen('],
      ['FS203', 'eval(request.args'],
      ['FS205', 'pickle.loads(request.data)'],
      ['FS206', 'yaml.load('],
      ['FS501', '@views.route("/import"'],
    ]);
    for (const d of diagnostics) {
      assert.match(ruleOf(d) ?? '', /^FS\d{3}$/, `a finding without a rule id: ${d.message}`);
      assert.ok(d.message.length > 0);
    }
    const sql = diagnostics.find((d) => ruleOf(d) === 'FS201');
    assert.equal(sql?.severity, vscode.DiagnosticSeverity.Error, 'FS201 is an error');
    const auth = diagnostics.find((d) => ruleOf(d) === 'FS501');
    assert.equal(auth?.severity, vscode.DiagnosticSeverity.Warning, 'FS501 is a warning');
  });

  it('run.py: debug mode and binding to all interfaces', async () => {
    await expectFindings('run.py', [
      ['FS101', 'debug=True'],
      ['FS103', 'host="0.0.0.0"'],
    ]);
  });

  it('app/admin.py: TLS verification switched off, weak hash, zip slip', async () => {
    const diagnostics = await expectFindings('app/admin.py', [
      ['FS405', 'verify=False'],
      ['FS406', 'hashlib.sha1('],
      ['FS603', 'archive.extractall('],
    ]);
    assert.equal(diagnostics.filter((d) => ruleOf(d) === 'FS405').length, 1, 'one FS405 finding');
  });
});
