import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { equal, ok } from './assert';
import {
  extensionApi,
  findings,
  hasRuleOnLine,
  lineOf,
  openFile,
  ruleOf,
  waitForCodeActions,
  waitForFindings,
} from './helpers';

async function revert(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.files.revert');
  equal(doc.isDirty, false, 'reverted');
}

describe('web extension: fixes', () => {
  before(async () => {
    await extensionApi();
  });

  it('a quick fix, applied, removes its finding (FS206 yaml.load)', async () => {
    const doc = await openFile('app/views.py');
    const line = lineOf(doc, 'yaml.load(');
    const [finding] = (
      await waitForFindings(doc.uri, (ds) => hasRuleOnLine(ds, 'FS206', line), `FS206@${line}`)
    ).filter((d) => ruleOf(d) === 'FS206');
    ok(finding, 'an FS206 finding');
    const actions = await waitForCodeActions(
      doc.uri,
      finding.range,
      vscode.CodeActionKind.QuickFix,
      (offered) => offered.some((a) => a.title.endsWith('(FS206)')),
      'an FS206 action',
      30_000,
    );
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.edit && a.title.endsWith('(FS206)') && !a.title.startsWith('Suppress'));
    ok(fix?.edit, `an FS206 fix among the quick fixes: ${JSON.stringify(titles)}`);
    ok(
      titles.some((t) => t.startsWith('Suppress FS206')),
      `the # nosec suppression too: ${JSON.stringify(titles)}`,
    );
    equal(await vscode.workspace.applyEdit(fix.edit), true, 'the fix edit applied');
    ok(!/yaml\.load\(/.test(doc.lineAt(line).text), 'yaml.load( is gone from the line');
    await waitForFindings(
      doc.uri,
      (ds) => !ds.some((d) => ruleOf(d) === 'FS206') && ds.some((d) => ruleOf(d) === 'FS205'),
      'FS206 gone, FS205 still there',
    );
    await revert(doc);
    await waitForFindings(doc.uri, (ds) => hasRuleOnLine(ds, 'FS206', line), 'FS206 back after revert');
  });

  it('fix-all applies the safe fixes only (FS405 dropped, FS406 and FS603 kept)', async () => {
    const doc = await openFile('app/admin.py');
    await waitForFindings(
      doc.uri,
      (ds) => ['FS405', 'FS406', 'FS603'].every((r) => ds.some((d) => ruleOf(d) === r)),
      'FS405, FS406 and FS603',
    );
    const kind = vscode.CodeActionKind.SourceFixAll.append('flaskSentinel');
    const whole = new vscode.Range(0, 0, doc.lineCount, 0);
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        whole,
        kind.value,
      )) ?? [];
    const fixAll = actions.find((a) => a.kind?.value === kind.value);
    ok(fixAll?.edit, `a ${kind.value} action: ${JSON.stringify(actions.map((a) => a.title))}`);
    equal(await vscode.workspace.applyEdit(fixAll.edit), true, 'the fix-all edit applied');
    const text = doc.getText();
    ok(!/verify=False/.test(text), "FS405's safe fix (dropping verify=False) was applied");
    ok(/hashlib\.sha1\(/.test(text), "FS406's unsafe fix was not applied");
    await waitForFindings(
      doc.uri,
      (ds) => !ds.some((d) => ruleOf(d) === 'FS405') && ds.some((d) => ruleOf(d) === 'FS406'),
      'FS405 gone, FS406 still there',
    );
    await revert(doc);
    await waitForFindings(doc.uri, (ds) => ds.some((d) => ruleOf(d) === 'FS405'), 'FS405 back after revert');
    ok(findings(doc.uri).length > 0, 'findings after revert');
  });
});
