import * as vscode from 'vscode';

export const DIAGNOSTIC_SOURCE = 'flask-sentinel';

export interface FindingCounts {
  total: number;
  errors: number;
  warnings: number;
  infos: number;
}

/** Counts Flask Sentinel's diagnostics across the workspace (open files and, with workspace diagnostics, the rest). */
export function countFindings(): FindingCounts {
  const counts: FindingCounts = { total: 0, errors: 0, warnings: 0, infos: 0 };
  for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
    for (const d of diagnostics) {
      // Notes (a file too large to analyse) carry no rule id: they are not findings.
      if (d.source !== DIAGNOSTIC_SOURCE || d.code === undefined) continue;
      counts.total++;
      if (d.severity === vscode.DiagnosticSeverity.Error) counts.errors++;
      else if (d.severity === vscode.DiagnosticSeverity.Warning) counts.warnings++;
      else counts.infos++;
    }
  }
  return counts;
}

/** A status-bar item with the workspace's finding count; clicking it opens the Problems view. */
export class FindingsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'flaskSentinel.findings',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private serverState: 'starting' | 'running' | 'stopped' = 'starting';
  counts: FindingCounts = { total: 0, errors: 0, warnings: 0, infos: 0 };

  constructor() {
    this.item.name = 'Flask Sentinel findings';
    this.item.command = 'workbench.actions.view.problems';
    this.subscriptions.push(vscode.languages.onDidChangeDiagnostics(() => this.schedule()));
    this.render();
    this.item.show();
  }

  setServerState(state: 'starting' | 'running' | 'stopped'): void {
    this.serverState = state;
    this.render();
  }

  /** Diagnostics change in bursts (a workspace report has one event per file): recount once per burst. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.counts = countFindings();
      this.render();
    }, 150);
  }

  private render(): void {
    if (this.serverState === 'starting') {
      this.item.text = '$(loading~spin) Flask Sentinel';
      this.item.tooltip = 'Flask Sentinel: starting the language server';
      return;
    }
    if (this.serverState === 'stopped') {
      this.item.text = '$(error) Flask Sentinel';
      this.item.tooltip =
        'Flask Sentinel: the language server is not running (see the Flask Sentinel output)';
      this.item.command = 'flaskSentinel.showOutput';
      return;
    }
    const { total, errors, warnings, infos } = this.counts;
    this.item.command = 'workbench.actions.view.problems';
    this.item.text = `$(shield) ${total}`;
    this.item.tooltip =
      total === 0
        ? 'Flask Sentinel: no findings in the workspace'
        : `Flask Sentinel: ${total} finding${total === 1 ? '' : 's'} in the workspace (${errors} errors, ${warnings} warnings, ${infos} info). Click to open the Problems view.`;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
