import assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import {
  extensionApi,
  findingsOf,
  lineOf,
  openFile,
  ruleOf,
  waitForCodeActions,
  waitForFindings,
} from './helpers';

/** The chat's entry points as the extension host sees them (the panel itself is checked from the page by
 * scripts/e2e/run.mjs: offline answer, model answer from a fake Messages server, inert model HTML). */
describe('chat entry points', () => {
  before(async () => {
    await extensionApi();
  });

  it('"Ask agent about this finding" is offered as a code action on a Flask Sentinel diagnostic (FS201)', async () => {
    const doc = await openFile('app/views.py');
    const line = lineOf(doc, 'conn.execute(f"SELECT');
    await waitForFindings(
      doc.uri,
      (ds) => ds.some((d) => ruleOf(d) === 'FS201' && d.range.start.line === line),
      `FS201@${line}`,
    );
    const [finding] = findingsOf(doc.uri, 'FS201').filter((d) => d.range.start.line === line);
    assert.ok(finding);

    const askTitle = 'Ask agent about this finding (FS201)';
    const actions = await waitForCodeActions(
      doc.uri,
      finding.range,
      vscode.CodeActionKind.QuickFix,
      (offered) => offered.some((a) => a.title === askTitle),
      `"${askTitle}"`,
    );
    const described = actions.map((a) => ({
      title: a.title,
      kind: a.kind?.value,
      command: a.command?.command,
    }));
    const ask = actions.find((a) => a.title === askTitle);
    assert.ok(ask, `no "${askTitle}" among ${JSON.stringify(described, null, 1)}`);
    assert.ok(
      ask.kind && vscode.CodeActionKind.QuickFix.contains(ask.kind),
      `a quick fix kind: ${ask.kind?.value}`,
    );
    assert.equal(ask.edit, undefined, 'it edits nothing; it asks');
    assert.equal(ask.command?.command, 'flaskSentinel.askAboutFinding');
    const [uri, diagnostic] = (ask.command?.arguments ?? []) as [vscode.Uri?, vscode.Diagnostic?];
    assert.equal(uri?.toString(), doc.uri.toString(), 'the command gets the document');
    assert.equal(diagnostic?.range.start.line, line, 'and the finding');

    // Only Flask Sentinel findings get it: one action per finding in the range, none without one.
    const clean = lineOf(doc, 'UPLOAD_DIR = ');
    const none =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        doc.uri,
        new vscode.Range(clean, 0, clean, 1),
        vscode.CodeActionKind.QuickFix.value,
      )) ?? [];
    assert.deepEqual(
      none.filter((a) => a.title.startsWith('Ask agent')).map((a) => a.title),
      [],
      'no "Ask agent" action on a line without a finding',
    );

    // Running it (what clicking it does) opens the chat with the finding as context, without an error.
    await vscode.commands.executeCommand(ask.command.command, uri, diagnostic);
  });
});
