import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { equal, ok } from './assert';
import {
  extensionApi,
  hasRuleOnLine,
  lineOf,
  openFile,
  ruleOf,
  waitForFindings,
  workspaceRoot,
} from './helpers';

/** Opens the file and waits until every [rule, text of its line] is reported on that line. */
async function expectFindings(relative: string, expected: [string, string][]): Promise<vscode.Diagnostic[]> {
  const doc = await openFile(relative);
  const wanted = expected.map(([rule, needle]) => ({ rule, line: lineOf(doc, needle) }));
  return waitForFindings(
    doc.uri,
    (diagnostics) => wanted.every(({ rule, line }) => hasRuleOnLine(diagnostics, rule, line)),
    wanted.map(({ rule, line }) => `${rule}@${line}`).join(' '),
  );
}

describe('web extension: diagnostics of examples/vulnerable-app', () => {
  before(async () => {
    await extensionApi();
  });

  it('runs in the browser, on a virtual file system', () => {
    equal(vscode.env.uiKind, vscode.UIKind.Web, 'the UI kind');
    equal(workspaceRoot().scheme, 'vscode-test-web', 'the workspace scheme');
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
    const sql = diagnostics.find((d) => ruleOf(d) === 'FS201');
    equal(sql?.severity, vscode.DiagnosticSeverity.Error, 'FS201 is an error');
    ok(/CWE-89/.test(sql?.message ?? ''), `FS201 names its CWE: ${sql?.message}`);
  });

  it('app/views.py: a code lens per route, and the rule docs on hover', async () => {
    const doc = await openFile('app/views.py');
    const line = lineOf(doc, 'yaml.load(');
    await waitForFindings(doc.uri, (ds) => hasRuleOnLine(ds, 'FS206', line), `FS206@${line}`);
    const lenses =
      (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ??
      [];
    const titles = lenses.map((l) => l.command?.title ?? '');
    ok(
      titles.some((t) => /POST/.test(t) && /no auth/.test(t)),
      `a "POST · no auth" lens: ${JSON.stringify(titles)}`,
    );
    const at = doc.lineAt(line).text.indexOf('yaml.load(') + 1;
    const hovers =
      (await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        doc.uri,
        new vscode.Position(line, at),
      )) ?? [];
    const text = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
      .join('\n');
    ok(/FS206/.test(text), `the hover names FS206: ${text.slice(0, 200)}`);
  });

  it('app/admin.py: TLS verification switched off, weak hash, zip slip', async () => {
    await expectFindings('app/admin.py', [
      ['FS405', 'verify=False'],
      ['FS406', 'hashlib.sha1('],
      ['FS603', 'archive.extractall('],
    ]);
  });
});
