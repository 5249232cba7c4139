import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import {
  extensionApi,
  findingsOf,
  hasRuleOnLine,
  lineOf,
  openFile,
  ruleOf,
  setSetting,
  waitForCodeActions,
  waitForFindings,
} from './helpers';

describe('fixes', () => {
  before(async () => {
    await extensionApi();
  });

  after(async () => {
    await setSetting('fixOnSave', undefined);
  });

  it('a quick fix from executeCodeActionProvider, applied, removes its finding (FS206 yaml.load)', async () => {
    const doc = await openFile('app/views.py');
    const line = lineOf(doc, 'yaml.load(');
    const [finding] = await waitForFindings(
      doc.uri,
      (ds) => hasRuleOnLine(ds, 'FS206', line) && hasRuleOnLine(ds, 'FS205', lineOf(doc, 'pickle.loads(')),
      `FS206@${line}`,
    ).then((ds) => ds.filter((d) => ruleOf(d) === 'FS206'));
    assert.ok(finding);

    const actions = await waitForCodeActions(
      doc.uri,
      finding.range,
      vscode.CodeActionKind.QuickFix,
      (offered) => offered.some((a) => a.title.endsWith('(FS206)')),
      'an FS206 action',
    );
    const titles = actions.map((a) => a.title);
    const described = actions.map((a) => ({
      title: a.title,
      kind: a.kind?.value,
      edit: a.edit?.size,
      diagnostics: a.diagnostics?.map(ruleOf),
    }));
    // (executeCodeActionProvider does not hand back the actions' diagnostics: match the rule in the title.)
    const fix = actions.find(
      (a) =>
        a.kind !== undefined &&
        vscode.CodeActionKind.QuickFix.contains(a.kind) &&
        a.edit !== undefined &&
        a.title.endsWith('(FS206)') &&
        !a.title.startsWith('Suppress'),
    );
    assert.ok(fix?.edit, `no FS206 fix among the quick fixes: ${JSON.stringify(described)}`);
    assert.ok(
      titles.some((t) => t.startsWith('Suppress FS206')),
      `the # nosec suppression is offered too: ${JSON.stringify(titles)}`,
    );

    assert.equal(await vscode.workspace.applyEdit(fix.edit), true, 'the fix edit applied');
    assert.doesNotMatch(doc.lineAt(line).text, /yaml\.load\(/, 'yaml.load( is gone from the line');
    await waitForFindings(
      doc.uri,
      (ds) => findingsOf(doc.uri, 'FS206').length === 0 && ds.some((d) => ruleOf(d) === 'FS205'),
      'FS206 gone (FS205 still there)',
    );

    // Back to the file on disk, for the tests that follow: the finding comes back.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(doc.isDirty, false);
    await waitForFindings(doc.uri, (ds) => hasRuleOnLine(ds, 'FS206', line), 'FS206 back after revert');
  });

  it('fix-all on save applies the safe fixes only, and only with flaskSentinel.fixOnSave', async () => {
    const doc = await openFile('app/admin.py');
    const editor = await vscode.window.showTextDocument(doc);
    await waitForFindings(
      doc.uri,
      (ds) => ['FS405', 'FS406', 'FS603'].every((r) => ds.some((d) => ruleOf(d) === r)),
      'FS405, FS406 and FS603',
    );
    const touch = async (comment: string) => {
      const ok = await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), `# ${comment}\n`));
      assert.ok(ok && doc.isDirty, 'the document was edited');
    };

    // Off (the default): saving changes nothing but the edit.
    await touch('saved with fixOnSave off');
    assert.equal(await doc.save(), true);
    assert.match(doc.getText(), /verify=False/, 'no fix without flaskSentinel.fixOnSave');

    await setSetting('fixOnSave', true);
    await touch('saved with fixOnSave on');
    assert.equal(await doc.save(), true);
    const saved = fs.readFileSync(doc.uri.fsPath, 'utf8');
    for (const text of [doc.getText(), saved]) {
      assert.doesNotMatch(text, /verify=False/, "FS405's safe fix (dropping verify=False) was applied");
      assert.match(text, /hashlib\.sha1\(/, "FS406's unsafe fix (another hash) was not applied");
      assert.match(text, /archive\.extractall\("\/srv\/data"\)/, "FS603's unsafe fix was not applied");
      assert.match(text, /# saved with fixOnSave on\n/, 'the edit itself was saved');
    }
    await waitForFindings(
      doc.uri,
      (ds) =>
        !ds.some((d) => ruleOf(d) === 'FS405') &&
        ds.some((d) => ruleOf(d) === 'FS406') &&
        ds.some((d) => ruleOf(d) === 'FS603'),
      'FS405 gone, FS406 and FS603 still there',
    );
  });
});
