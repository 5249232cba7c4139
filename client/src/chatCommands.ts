import * as vscode from 'vscode';
import { API_KEY_SECRET } from './chatController';
import type { ChatController } from './chatController';
import { diffContext, findingContext, selectionContext } from './chatContext';
import { DIAGNOSTIC_SOURCE } from './findingsStatusBar';

import { focusChat } from './chatView';

/** The same chat as an editor tab (wider, for side-by-side answers). */
export function openChatInEditor(controller: ChatController, extensionUri: vscode.Uri): void {
  const panel = vscode.window.createWebviewPanel(
    'flaskSentinel.chatPanel',
    'Flask Sentinel Agents',
    vscode.ViewColumn.Beside,
    {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    },
  );
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
  const attached = controller.attach(panel.webview);
  panel.onDidDispose(() => {
    attached.dispose();
  });
}

export async function askAboutSelection(controller: ChatController): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('open a file and select the code to ask about');
  await focusChat();
  await controller.setContext(
    selectionContext(editor),
    'Review this code for security problems and suggest fixes.',
  );
}

export async function askAboutFinding(
  controller: ChatController,
  uri?: unknown,
  diagnostic?: unknown,
): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) throw new Error('open a file with a Flask Sentinel finding');
  const document = await vscode.workspace.openTextDocument(target);
  let finding = diagnostic instanceof vscode.Diagnostic ? diagnostic : undefined;
  if (!finding) {
    const line = vscode.window.activeTextEditor?.selection.active.line ?? 0;
    finding = vscode.languages
      .getDiagnostics(target)
      .find((d) => d.source === DIAGNOSTIC_SOURCE && d.range.start.line <= line && line <= d.range.end.line);
  }
  if (!finding) throw new Error('put the cursor on a Flask Sentinel finding');
  const code = typeof finding.code === 'object' ? finding.code.value : finding.code;
  await focusChat();
  await controller.setContext(
    findingContext(document, finding),
    `Explain finding ${String(code)} on line ${finding.range.start.line + 1}: is it exploitable here, and what is the right fix?`,
  );
}

/** From the SCM view (a resource state), a diff editor, or the active editor. */
export async function reviewDiff(controller: ChatController, resource?: unknown): Promise<void> {
  const uri =
    resource instanceof vscode.Uri
      ? resource
      : (resource as { resourceUri?: unknown } | undefined)?.resourceUri instanceof vscode.Uri
        ? (resource as { resourceUri: vscode.Uri }).resourceUri
        : vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') throw new Error('choose a changed file in Source Control or open it');
  const gathered = await diffContext(uri);
  await focusChat();
  await controller.setContext(
    gathered,
    'Review this change: what security problems does it introduce, and how should they be fixed?',
  );
}

export async function reviewWithAll(controller: ChatController): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('open a file and select the code to review');
  await focusChat();
  await controller.askNow(
    selectionContext(editor),
    '*all',
    'Review this code for security problems and suggest fixes.',
  );
}

export async function setApiKey(secrets: vscode.SecretStorage): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Flask Sentinel: Anthropic API key',
    prompt: 'Stored in VS Code secret storage (your OS keychain); never in settings or logs.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) =>
      /^\S{20,}$/.test(value.trim()) ? undefined : 'Paste the whole key (no spaces).',
  });
  if (!key) return;
  await secrets.store(API_KEY_SECRET, key.trim());
  void vscode.window.showInformationMessage(
    'Flask Sentinel: API key saved. The agents now answer with the model.',
  );
}

export async function clearApiKey(secrets: vscode.SecretStorage): Promise<void> {
  await secrets.delete(API_KEY_SECRET);
  void vscode.window.showInformationMessage(
    'Flask Sentinel: API key removed. The agents answer from the local analysis.',
  );
}
