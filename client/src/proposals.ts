import * as vscode from 'vscode';
import type { QuestionTarget } from './chatContext';

export const PROPOSAL_SCHEME = 'flask-sentinel-proposal';

/** A change an agent proposed: replace 1-based lines [startLine, endLine] of `uri` with `replacement`. */
export interface Proposal {
  uri: vscode.Uri;
  startLine: number;
  endLine: number;
  replacement: string;
  /** What those lines held when the question was asked (the change is refused if they no longer do). */
  expected?: string;
  title: string;
}

/** Read-only documents holding proposed versions of files, for `vscode.diff`. */
export class ProposalDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private next = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** Opens a diff between the file and the file with the proposal applied. */
  async showDiff(proposal: Proposal): Promise<void> {
    const document = await vscode.workspace.openTextDocument(proposal.uri);
    const range = this.rangeOf(document, proposal);
    const proposed =
      document.getText(new vscode.Range(new vscode.Position(0, 0), range.start)) +
      proposal.replacement +
      document.getText(new vscode.Range(range.end, document.lineAt(document.lineCount - 1).range.end));
    const name = proposal.uri.path.split('/').pop() ?? 'file';
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${this.next++}/${name}` });
    this.texts.set(uri.toString(), proposed);
    // Keep a bounded number of proposals in memory.
    if (this.texts.size > 50) this.texts.delete(this.texts.keys().next().value as string);
    await vscode.commands.executeCommand('vscode.diff', proposal.uri, uri, `${name} ↔ ${proposal.title}`);
  }

  /** Applies the proposal after the user confirms, if the lines it replaces are still what was sent. */
  async apply(proposal: Proposal): Promise<boolean> {
    const document = await vscode.workspace.openTextDocument(proposal.uri);
    const range = this.rangeOf(document, proposal);
    if (proposal.expected !== undefined && document.getText(range) !== proposal.expected) {
      void vscode.window.showWarningMessage(
        `Flask Sentinel: lines ${proposal.startLine}-${proposal.endLine} of ${vscode.workspace.asRelativePath(proposal.uri)} changed since the question; ask again before applying.`,
      );
      return false;
    }
    const choice = await vscode.window.showWarningMessage(
      `Apply the agent's change to lines ${proposal.startLine}-${proposal.endLine} of ${vscode.workspace.asRelativePath(proposal.uri)}?`,
      {
        modal: true,
        detail: 'Review it with "Show diff" first: agents can be wrong. The change can be undone.',
      },
      'Apply',
    );
    if (choice !== 'Apply') return false;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(proposal.uri, range, proposal.replacement);
    return vscode.workspace.applyEdit(edit);
  }

  private rangeOf(document: vscode.TextDocument, proposal: Proposal): vscode.Range {
    const last = document.lineCount - 1;
    const start = Math.min(Math.max(proposal.startLine - 1, 0), last);
    const end = Math.min(Math.max(proposal.endLine - 1, start), last);
    return new vscode.Range(start, 0, end, document.lineAt(end).text.length);
  }

  dispose(): void {
    this.changed.dispose();
    this.texts.clear();
  }
}

/** A proposal from a question's target (the code that was sent) and a replacement for all of it. */
export function proposalForTarget(target: QuestionTarget, replacement: string, title: string): Proposal {
  return {
    uri: target.uri,
    startLine: target.startLine,
    endLine: target.endLine,
    replacement: replacement.replace(/\n$/, ''),
    expected: target.text,
    title,
  };
}
