// What both real-editor suites need (the desktop one in code-server / test-electron, the web one in
// @vscode/test-web): only the `vscode` API, so it bundles for node and for the browser alike.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'flask-sentinel.flask-sentinel';
export const SOURCE = 'flask-sentinel';

let api: Promise<unknown> | undefined;

/** The extension's API (desktop or web shape), once its language server is running. */
export function extensionApiOf<T extends { ready: Promise<void> }>(): Promise<T> {
  api ??= (async () => {
    const extension = vscode.extensions.getExtension<T>(EXTENSION_ID);
    if (!extension) throw new Error(`${EXTENSION_ID} is not loaded in this extension host`);
    const exported = await extension.activate();
    await exported.ready;
    return exported;
  })();
  return api as Promise<T>;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder (a copy of examples/vulnerable-app)');
  return folder.uri;
}

export function fileUri(relative: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...relative.split('/'));
}

export async function openFile(relative: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(fileUri(relative));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

export function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (code === undefined) return undefined;
  return String(typeof code === 'object' ? code.value : code);
}

/** Flask Sentinel's diagnostics of a file. */
export function findings(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

/** The 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let line = 0; line < doc.lineCount; line++) if (doc.lineAt(line).text.includes(needle)) return line;
  throw new Error(`no line of ${doc.uri.path} contains ${JSON.stringify(needle)}`);
}
