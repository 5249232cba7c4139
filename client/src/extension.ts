import * as vscode from 'vscode';
import { RULES_REQUEST, SCAN_WORKSPACE_REQUEST } from '../../server/src/lsp/protocol';
import type { RouteInfo, RuleSummary, ScanResult } from '../../server/src/lsp/protocol';
import { FindingsStatusBar, countFindings } from './findingsStatusBar';
import type { FindingCounts } from './findingsStatusBar';
import { registerFixOnSave } from './fixOnSave';
import { ROUTES_REQUEST, RoutesView } from './routesView';
import { openRuleDocs, pickRule } from './rules';
import { ServerController } from './serverController';

/** What the extension returns from `activate`: used by its own tests, and by anyone scripting it. */
export interface FlaskSentinelApi {
  /** Resolves once the language server is running. */
  ready: Promise<void>;
  routes(): Promise<RouteInfo[]>;
  findings(): FindingCounts;
  rules(): Promise<RuleSummary[]>;
}

let running: ServerController | undefined;

export function activate(context: vscode.ExtensionContext): FlaskSentinelApi {
  const output = vscode.window.createOutputChannel('Flask Sentinel', { log: true });
  const server = new ServerController(context, output);
  running = server;
  const statusBar = new FindingsStatusBar();
  const routesView = new RoutesView(async () => {
    const client = server.languageClient;
    if (!client?.isRunning()) return undefined;
    const result = await client.sendRequest<{ routes: RouteInfo[] }>(ROUTES_REQUEST, {});
    return result.routes;
  });
  context.subscriptions.push(
    output,
    server,
    statusBar,
    routesView,
    server.onDidChangeState((state) => {
      statusBar.setServerState(state);
      if (state === 'running') routesView.refreshSoon(0);
    }),
    vscode.window.registerTreeDataProvider('flaskSentinel.routes', routesView),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === 'python') routesView.refreshSoon();
    }),
    registerFixOnSave(),
  );

  const rules = async (): Promise<RuleSummary[]> => {
    const client = server.languageClient;
    if (!client?.isRunning()) throw new Error('the Flask Sentinel language server is not running');
    return client.sendRequest<RuleSummary[]>(RULES_REQUEST);
  };

  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (error) {
          output.error(`${id} failed: ${String(error)}`);
          void vscode.window.showErrorMessage(
            `Flask Sentinel: ${String(error instanceof Error ? error.message : error)}`,
          );
          return undefined;
        }
      }),
    );

  command('flaskSentinel.restartServer', () => server.restart());
  command('flaskSentinel.showOutput', () => output.show());
  command('flaskSentinel.refreshRoutes', () => routesView.refresh());
  command('flaskSentinel.scanWorkspace', () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Flask Sentinel: scanning the workspace' },
      async () => {
        const client = server.languageClient;
        if (!client?.isRunning()) throw new Error('the Flask Sentinel language server is not running');
        const result = await client.sendRequest<ScanResult>(SCAN_WORKSPACE_REQUEST);
        await routesView.refresh();
        const counts = countFindings();
        void vscode.window.showInformationMessage(
          `Flask Sentinel scanned ${result.files} Python files: ${counts.total} findings so far (the Problems view fills in as files are analysed).`,
        );
        return result;
      },
    ),
  );
  command('flaskSentinel.showRules', async () => {
    const rule = await pickRule(await rules(), 'Flask Sentinel rules: pick one to read its documentation');
    if (rule) await openRuleDocs(context.extensionUri, rule);
  });
  command('flaskSentinel.openRuleDocs', async (ruleId?: unknown) => {
    const all = await rules();
    const rule =
      typeof ruleId === 'string'
        ? all.find((r) => r.id === ruleId)
        : await pickRule(all, 'Open the documentation of a Flask Sentinel rule');
    if (rule) await openRuleDocs(context.extensionUri, rule);
  });

  const ready = server.start().catch((error: unknown) => {
    output.error(`Could not start the language server: ${String(error)}`);
    statusBar.setServerState('stopped');
  });
  return {
    ready: ready.then(() => undefined),
    routes: () => routesView.current(),
    findings: () => countFindings(),
    rules,
  };
}

export function deactivate(): Thenable<void> | undefined {
  // Stop the server cleanly (shutdown + exit) before VS Code disposes the rest.
  const server = running;
  running = undefined;
  return server?.stop();
}
