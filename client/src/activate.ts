import * as vscode from 'vscode';
import type { DocumentSelector } from 'vscode-languageclient';
import { RULES_REQUEST, SCAN_WORKSPACE_REQUEST } from '../../server/src/lsp/protocol';
import type { RouteInfo, RuleSummary, ScanResult } from '../../server/src/lsp/protocol';
import type * as Chat from './chatEntry';
import { AskAgentCodeActions, CHAT_VIEW_ID, LazyChatViewProvider, focusChat } from './chatView';
import { FindingsStatusBar, countFindings } from './findingsStatusBar';
import type { FindingCounts } from './findingsStatusBar';
import { registerFixOnSave } from './fixOnSave';
import { ROUTES_REQUEST, RoutesView } from './routesView';
import { openRuleDocs, pickRule } from './rules';
import { ServerController } from './serverController';
import type { ClientFactory } from './serverController';

/** What the extension returns from `activate`: used by its own tests, and by anyone scripting it. */
export interface FlaskSentinelApi {
  /** Resolves once the language server is running. */
  ready: Promise<void>;
  routes(): Promise<RouteInfo[]>;
  findings(): FindingCounts;
  rules(): Promise<RuleSummary[]>;
  /** How long activate() took and how long until the server answered (ms): activation must stay light. */
  timings(): { activateMs: number; serverReadyMs: number | undefined };
}

/**
 * What differs between the desktop extension (`extension.ts`) and the web extension (`web/extension.ts`);
 * everything else (commands, views, status bar, chat panel) is this one activation.
 */
export interface ExtensionHost {
  /** The language client: node IPC to dist/server.js, or a web worker running dist/web/server.js. */
  createClient: ClientFactory;
  /** The documents the server analyses (default: `file:` and `untitled:` Python documents). */
  documentSelector?: DocumentSelector;
  /** The chat, on first use: a separate bundle required on the desktop, part of the web bundle. */
  loadChat(): typeof Chat;
  /**
   * Started with the extension (the web extension sends the workspace's files to its server); `beforeScan`
   * runs before "Scan Workspace" asks the server to scan, and the routes are read again after each sending.
   */
  workspaceFiles?(
    server: ServerController,
    output: vscode.LogOutputChannel,
  ): vscode.Disposable & { beforeScan(): Promise<void>; onDidSend: vscode.Event<void> };
}

let running: ServerController | undefined;

/** Activates the extension on a host (the desktop's node extension host, or the browser's web worker one). */
export function activateWith(context: vscode.ExtensionContext, host: ExtensionHost): FlaskSentinelApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Flask Sentinel', { log: true });
  const server = new ServerController(output, host.createClient, host.documentSelector);
  running = server;
  const files = host.workspaceFiles?.(server, output);
  if (files) context.subscriptions.push(files);
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
  if (files) context.subscriptions.push(files.onDidSend(() => routesView.refreshSoon()));

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

  // The chat: one controller behind the activity-bar view and any editor panels, loaded on first use.
  let chat: { module: typeof Chat; controller: Chat.ChatController } | undefined;
  const loadChat = () => {
    if (!chat) {
      const module = host.loadChat();
      const proposals = new module.ProposalDocuments();
      const controller = new module.ChatController(context, output, proposals, async () => {
        await server.start();
        return rules();
      });
      context.subscriptions.push(
        proposals,
        controller,
        vscode.workspace.registerTextDocumentContentProvider(module.PROPOSAL_SCHEME, proposals),
      );
      chat = { module, controller };
    }
    return chat;
  };
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(
      CHAT_VIEW_ID,
      new LazyChatViewProvider((webview) => loadChat().controller.attach(webview)),
    ),
    vscode.languages.registerCodeActionsProvider({ language: 'python' }, new AskAgentCodeActions(), {
      providedCodeActionKinds: [AskAgentCodeActions.kind],
    }),
  );
  command('flaskSentinel.openChat', () => focusChat());
  command('flaskSentinel.openChatInEditor', () => {
    const { module, controller } = loadChat();
    module.openChatInEditor(controller, context.extensionUri);
  });
  command('flaskSentinel.askAboutSelection', () => {
    const { module, controller } = loadChat();
    return module.askAboutSelection(controller);
  });
  command('flaskSentinel.askAboutFinding', (uri, diagnostic) => {
    const { module, controller } = loadChat();
    return module.askAboutFinding(controller, uri, diagnostic);
  });
  command('flaskSentinel.reviewDiff', (resource) => {
    const { module, controller } = loadChat();
    return module.reviewDiff(controller, resource);
  });
  command('flaskSentinel.reviewWithAll', () => {
    const { module, controller } = loadChat();
    return module.reviewWithAll(controller);
  });
  command('flaskSentinel.setApiKey', () => loadChat().module.setApiKey(context.secrets));
  command('flaskSentinel.clearApiKey', () => loadChat().module.clearApiKey(context.secrets));
  command('flaskSentinel.toggleChangedLinesOnly', async () => {
    const config = vscode.workspace.getConfiguration('flaskSentinel');
    const next = !config.get<boolean>('changedLinesOnly', false);
    const target = vscode.workspace.workspaceFolders
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await config.update('changedLinesOnly', next, target);
    void vscode.window.showInformationMessage(
      next
        ? `Flask Sentinel: showing findings on lines changed against ${config.get<string>('changedLinesBase', 'HEAD')} only.`
        : 'Flask Sentinel: showing all findings.',
    );
  });
  command('flaskSentinel.restartServer', () => server.restart());
  command('flaskSentinel.showOutput', () => output.show());
  command('flaskSentinel.refreshRoutes', () => routesView.refresh());
  command('flaskSentinel.scanWorkspace', () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Flask Sentinel: scanning the workspace' },
      async () => {
        const client = server.languageClient;
        if (!client?.isRunning()) throw new Error('the Flask Sentinel language server is not running');
        await files?.beforeScan();
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
  const activateMs = performance.now() - started;
  let serverReadyMs: number | undefined;
  void ready.then(() => {
    serverReadyMs = performance.now() - started;
    output.info(
      `Activated in ${activateMs.toFixed(1)} ms; language server ready after ${serverReadyMs.toFixed(0)} ms`,
    );
  });
  return {
    ready: ready.then(() => undefined),
    timings: () => ({ activateMs, serverReadyMs }),
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
