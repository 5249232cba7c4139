import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from './findingsStatusBar';

export const CHAT_VIEW_ID = 'flaskSentinel.chat';

/** The part of the chat every session needs at activation: a webview view that loads the chat when shown. */
export class LazyChatViewProvider implements vscode.WebviewViewProvider {
  constructor(private readonly attach: (webview: vscode.Webview) => vscode.Disposable) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const attached = this.attach(view.webview);
    view.onDidDispose(() => {
      attached.dispose();
    });
  }
}

/** "Ask agent about this finding" on every Flask Sentinel diagnostic (no chat code is loaded to offer it). */
export class AskAgentCodeActions implements vscode.CodeActionProvider {
  static readonly kind = vscode.CodeActionKind.QuickFix.append('flaskSentinel.askAgent');

  provideCodeActions(
    document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === DIAGNOSTIC_SOURCE && d.code !== undefined)
      .map((diagnostic) => {
        const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
        const action = new vscode.CodeAction(
          `Ask agent about this finding (${String(code)})`,
          AskAgentCodeActions.kind,
        );
        action.diagnostics = [diagnostic];
        action.command = {
          command: 'flaskSentinel.askAboutFinding',
          title: 'Ask agent about this finding',
          arguments: [document.uri, diagnostic],
        };
        return action;
      });
  }
}

export async function focusChat(): Promise<void> {
  await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
}
