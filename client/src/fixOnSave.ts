import * as vscode from 'vscode';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('flaskSentinel');

/**
 * `flaskSentinel.fixOnSave`: applies the server's safe fixes (the `source.fixAll.flaskSentinel` action) as
 * part of the save, like ESLint's and ruff's fix-on-save. Only manual saves: auto-save after a delay would
 * rewrite code while the user is typing.
 */
export function registerFixOnSave(): vscode.Disposable {
  return vscode.workspace.onWillSaveTextDocument((event) => {
    const document = event.document;
    if (document.languageId !== 'python' || event.reason === vscode.TextDocumentSaveReason.AfterDelay) return;
    if (!vscode.workspace.getConfiguration('flaskSentinel', document).get<boolean>('fixOnSave', false))
      return;
    event.waitUntil(fixAllEdits(document));
  });
}

async function fixAllEdits(document: vscode.TextDocument): Promise<vscode.TextEdit[]> {
  const whole = new vscode.Range(0, 0, document.lineCount, 0);
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>(
    'vscode.executeCodeActionProvider',
    document.uri,
    whole,
    FIX_ALL_KIND.value,
  );
  const edits: vscode.TextEdit[] = [];
  for (const action of actions ?? []) {
    if (!action.kind || !FIX_ALL_KIND.contains(action.kind) || !action.edit) continue;
    for (const [uri, changes] of action.edit.entries()) {
      if (uri.toString() === document.uri.toString()) edits.push(...changes);
    }
  }
  return edits;
}
