import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  LSPErrorCodes,
  MessageType,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import type { Connection, DocumentDiagnosticReport, InitializeResult } from 'vscode-languageserver';
import { buildModels } from '../engine/analyze';
import { Engine } from '../engine/engine';
import type { BaseVersions } from '../git/baseVersions';
import {
  FIX_ALL_KIND,
  SHOW_DOCS_COMMAND,
  codeActions,
  codeLenses,
  hover,
  needsCurrentAnalysis,
} from './actions';
import { Analyzer } from './analysis';
import { createDocuments } from './documents';
import type { PushedFiles, ServerHost } from './host';
import { PushPublisher } from './publisher';
import { ReportIds } from './reportIds';
import {
  ROUTES_REQUEST,
  RULES_REQUEST,
  SCAN_WORKSPACE_REQUEST,
  WORKSPACE_FILES_NOTIFICATION,
} from './protocol';
import type { RouteInfo, RuleSummary, ScanResult, WorkspaceFilesParams } from './protocol';
import { routesOf } from './routes';
import { ruleDocUrl } from '../rules/docs';
import { SettingsManager, isInside } from './settings';
import { TreeStore } from './trees';
import { VERSION } from './version';
import { WorkspaceIndex } from './workspace';
import { WorkspaceDiagnostics } from './workspaceDiagnostics';

export { ROUTES_REQUEST } from './protocol';

/**
 * Wires the protocol to the pieces: documents + trees, settings, analysis, actions, workspace facts. The
 * host (`nodeHost`, or the web worker's `createBrowserHost()`) gives it files, git and the parser's wasm.
 */
export function startServer(connection: Connection, host: ServerHost): void {
  const { pathOf, uriOf } = host;
  /** A URI that stands for a workspace folder when asking for its settings. */
  const folderUri = (folder: string) => uriOf(`${folder}/__folder__.py`);
  let engine: Engine;
  let trees: TreeStore;
  let settings: SettingsManager;
  let analyzer: Analyzer;
  let index: WorkspaceIndex;
  let push: PushPublisher | undefined;
  let workspaceDiagnostics: WorkspaceDiagnostics | undefined;
  let baseVersions: BaseVersions | undefined;
  let roots: string[] = [];
  const saved = new Map<string, number>();
  const reportIds = new ReportIds();
  let caps = {
    pull: false,
    refresh: false,
    lensRefresh: false,
    progress: false,
    watch: false,
    versioned: false,
    showDocument: false,
    configurationRegistration: false,
  };

  const documents = createDocuments({
    hasTree: (uri) => trees?.hasTree(uri) ?? false,
    edited: (uri, edit) => trees.edited(uri, edit),
    changed: (uri, change) => analyzer?.noteChange(uri, change),
    replaced: (uri) => {
      trees?.replaced(uri);
      analyzer?.noteReplaced(uri);
    },
  });

  const refreshAll = () => {
    workspaceDiagnostics?.changed();
    if (caps.pull) {
      if (caps.refresh) void connection.languages.diagnostics.refresh().catch(() => undefined);
    } else {
      for (const doc of documents.all()) push?.schedule(doc.uri);
    }
    if (caps.lensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  };

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    const c = params.capabilities;
    caps = {
      pull: c.textDocument?.diagnostic !== undefined,
      refresh: c.workspace?.diagnostics?.refreshSupport === true,
      lensRefresh: c.workspace?.codeLens?.refreshSupport === true,
      progress: c.window?.workDoneProgress === true,
      watch: c.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
      versioned: c.workspace?.workspaceEdit?.documentChanges === true,
      showDocument: c.window?.showDocument?.support === true,
      configurationRegistration: c.workspace?.didChangeConfiguration?.dynamicRegistration === true,
    };
    const folders =
      params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []);
    roots = folders.flatMap((f) => pathOf(f.uri) ?? []);
    engine = await Engine.create(undefined, host.wasm(params));
    trees = new TreeStore(engine.parser);
    index = new WorkspaceIndex(engine, host.files);
    settings = new SettingsManager(connection, c.workspace?.configuration === true, () => roots, host);
    // "Changed lines only": git base versions, cached; a base that moves (commit, checkout) refreshes.
    // Without git (a web worker) there is no base and every finding is shown.
    baseVersions = host.baseVersions?.({
      log: (message) => connection.console.log(message),
      onBaseMoved: () => refreshAll(),
    });
    analyzer = new Analyzer(
      connection,
      engine,
      trees,
      settings,
      index,
      (uri) => documents.get(uri),
      pathOf,
      baseVersions,
    );
    analyzer.onFactsChanged = refreshAll;
    if (!caps.pull) push = new PushPublisher(connection, analyzer);
    else {
      workspaceDiagnostics = new WorkspaceDiagnostics({
        engine,
        index,
        files: host.files,
        uriOf,
        settingsFor: (file) => settings.effective(folderUri(roots.find((r) => isInside(r, file)) ?? file)),
        isOpen: (file) => documents.get(uriOf(file)) !== undefined,
        settingsGeneration: () => settings.generation,
        log: (message) => connection.console.error(message),
        baseVersions,
      });
    }
    return {
      capabilities: {
        textDocumentSync: {
          openClose: true,
          change: TextDocumentSyncKind.Incremental,
          save: { includeText: false },
        },
        ...(caps.pull
          ? { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: true } }
          : {}),
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [SHOW_DOCS_COMMAND] },
      },
      serverInfo: { name: 'flask-sentinel-ls', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    // Clients that do not send didChangeConfiguration on their own (VS Code's does, with synchronize) are
    // asked to: the server caches settings until it hears they changed.
    if (caps.configurationRegistration) {
      void connection.client
        .register(DidChangeConfigurationNotification.type, { section: 'flaskSentinel' })
        .catch(() => undefined);
    }
    // Files the client sends (a web worker has no disk to watch) arrive as flaskSentinel/workspaceFiles.
    if (caps.watch && !host.pushedFiles) {
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: '**/*.py' },
            { globPattern: '**/pyproject.toml' },
            // Commits, checkouts and fetches move the base of flaskSentinel.changedLinesOnly.
            { globPattern: '**/.git/HEAD' },
            { globPattern: '**/.git/packed-refs' },
            { globPattern: '**/.git/refs/**' },
          ],
        })
        .catch(() => undefined);
    }
    index.scanning = scanWorkspace();
  });

  const scanWorkspace = async () => {
    if (roots.length === 0) return;
    const progress = caps.progress
      ? await connection.window.createWorkDoneProgress().catch(() => undefined)
      : undefined;
    progress?.begin('Flask Sentinel: scanning the workspace', 0, undefined, false);
    try {
      const folders = [];
      for (const root of roots) {
        const s = await settings.effective(folderUri(root));
        folders.push({ path: root, exclude: s.exclude, maxBytes: s.maxFileSizeKb * 1024 });
      }
      const before = index.generation;
      await index.scan(folders, {
        report: (done, total) =>
          progress?.report(total === 0 ? 100 : Math.round((done / total) * 100), `${done}/${total} files`),
      });
      if (index.generation !== before) refreshAll();
    } catch (error) {
      connection.console.error(`Flask Sentinel: workspace scan failed: ${String(error)}`);
    } finally {
      progress?.done();
    }
  };

  connection.onDidChangeConfiguration((params) => {
    settings.changed(params.settings);
    baseVersions?.clear();
    refreshAll();
  });

  connection.onDidChangeWatchedFiles(async (params) => {
    let changed = false;
    for (const change of params.changes) {
      const file = pathOf(change.uri);
      if (!file) continue;
      if (file.split(/[\\/]/).includes('.git')) baseVersions?.revalidate();
      else if (file.endsWith('pyproject.toml')) {
        settings.projectChanged();
        changed = true;
      } else if (file.endsWith('.py')) {
        if (change.type === FileChangeType.Deleted) changed = index.fileDeleted(file) || changed;
        else {
          const s = await settings.effective(change.uri);
          changed = index.fileChanged(file, s.maxFileSizeKb * 1024) || changed;
        }
      }
    }
    if (changed) refreshAll();
    else workspaceDiagnostics?.changed();
  });

  // Where the server has no disk (a web worker), the client sends the workspace's files: they take the path
  // of watched-file events (workspace facts, routes and workspace diagnostics of files that are not open).
  const pushed = host.pushedFiles;
  if (pushed) {
    // One batch after the other, in the order sent (a batch waits for settings).
    let receiving = Promise.resolve();
    connection.onNotification(WORKSPACE_FILES_NOTIFICATION, (params: WorkspaceFilesParams) => {
      receiving = receiving
        .then(() => receiveFiles(pushed, params))
        .catch((error: unknown) =>
          connection.console.error(`Flask Sentinel: workspace files failed: ${String(error)}`),
        );
    });
  }
  async function receiveFiles(pushed: PushedFiles, params: WorkspaceFilesParams): Promise<void> {
    let changed = false;
    for (const uri of params.deleted ?? []) {
      const file = pathOf(uri);
      if (!file) continue;
      pushed.delete(file);
      changed = index.fileDeleted(file) || changed;
    }
    for (const entry of params.files ?? []) {
      const file = pathOf(entry.uri);
      if (!file) continue;
      pushed.set(file, entry);
      // Per folder, not per file: one configuration request each.
      const s = await settings.effective(folderUri(roots.find((r) => isInside(r, file)) ?? file));
      changed = index.fileChanged(file, s.maxFileSizeKb * 1024) || changed;
    }
    if (changed) refreshAll();
    else workspaceDiagnostics?.changed();
  }

  documents.onDidOpen((e) => {
    saved.set(e.document.uri, e.document.version);
    push?.schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => {
    if (!push) return;
    const uri = e.document.uri;
    void settings.effective(uri).then((s) => {
      if (s.run === 'onType') push?.schedule(uri);
    });
  });
  documents.onDidSave((e) => {
    saved.set(e.document.uri, e.document.version);
    if (push) push.schedule(e.document.uri, 0);
    else if (caps.refresh) void connection.languages.diagnostics.refresh().catch(() => undefined);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    saved.delete(uri);
    analyzer.forget(uri);
    reportIds.forget(uri);
    settings.forgetDocument(uri);
    const file = pathOf(uri);
    if (file && index.closeOpen(file)) refreshAll();
    // The file's findings now come from disk (workspace diagnostics) instead of the document.
    else workspaceDiagnostics?.changed();
    push?.clear(uri);
  });

  connection.languages.diagnostics.on(async (params, token): Promise<DocumentDiagnosticReport> => {
    const uri = params.textDocument.uri;
    const doc = documents.get(uri);
    if (!doc) return { kind: 'full', items: [] };
    const s = await settings.effective(uri);
    if (s.run === 'onSave' && saved.get(uri) !== doc.version) {
      const last = analyzer.cached(uri);
      if (params.previousResultId) return { kind: 'unchanged', resultId: params.previousResultId };
      return { kind: 'full', items: last?.diagnostics ?? [] };
    }
    // A newer version is on its way (or the client gave up): answer "cancelled, ask again" rather than
    // show a result for a text the user no longer has (an empty answer would make findings flicker).
    const superseded = () =>
      new ResponseError(LSPErrorCodes.ServerCancelled, 'The document changed; diagnostics are re-requested', {
        retriggerRequest: true,
      });
    if (token.isCancellationRequested) throw superseded();
    const result = await analyzer.analyze(uri);
    if (!result || documents.get(uri)?.version !== result.version || token.isCancellationRequested)
      throw superseded();
    const resultId = reportIds.idFor(uri, result.version, result.key, result.diagnostics);
    if (params.previousResultId === resultId) return { kind: 'unchanged', resultId };
    return { kind: 'full', resultId, items: result.diagnostics };
  });

  connection.languages.diagnostics.onWorkspace(
    async (params, token) => workspaceDiagnostics?.report(params, token) ?? { items: [] },
  );

  const currentAnalysis = async (uri: string) => {
    const result = await analyzer.analyze(uri);
    return result && analyzer.isCurrent(result) ? result : undefined;
  };

  connection.onCodeAction(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const analysis = needsCurrentAnalysis(doc, params) ? await currentAnalysis(doc.uri) : undefined;
    return codeActions(doc, params, analysis, { documentChanges: caps.versioned, rules: engine.rules });
  });

  connection.onHover(async (params) => {
    if (!documents.get(params.textDocument.uri)) return null;
    return hover(await currentAnalysis(params.textDocument.uri), params.position, engine.rules);
  });

  connection.onCodeLens(async (params) => {
    if (!documents.get(params.textDocument.uri)) return [];
    return codeLenses(await currentAnalysis(params.textDocument.uri));
  });

  connection.onExecuteCommand(async (params) => {
    if (params.command !== SHOW_DOCS_COMMAND) return;
    const url: unknown = params.arguments?.[0];
    if (typeof url !== 'string' || !/^https:\/\//.test(url)) return;
    if (caps.showDocument) await connection.window.showDocument({ uri: url, external: true });
    else {
      void connection.sendNotification(ShowMessageNotification.type, {
        type: MessageType.Info,
        message: `Flask Sentinel documentation: ${url}`,
      });
    }
  });

  connection.onRequest(
    ROUTES_REQUEST,
    async (params?: { uri?: string }): Promise<{ routes: RouteInfo[] }> => {
      await index.scanning;
      const routes: RouteInfo[] = [];
      const open = new Set<string>();
      for (const doc of documents.all()) {
        if (params?.uri && doc.uri !== params.uri) continue;
        open.add(pathOf(doc.uri) ?? doc.uri);
        routes.push(...((await currentAnalysis(doc.uri))?.routes ?? []));
      }
      for (const file of index.files) {
        const uri = uriOf(file);
        if (open.has(file) || (params?.uri && uri !== params.uri)) continue;
        routes.push(...(await routesOnDisk(file, uri)));
      }
      return { routes };
    },
  );

  connection.onRequest(RULES_REQUEST, (): RuleSummary[] =>
    engine.rules.map(({ meta }) => ({
      id: meta.id,
      name: meta.name,
      title: meta.title,
      severity: meta.severity,
      cwe: [...meta.cwe],
      summary: meta.docs.summary,
      docsUrl: ruleDocUrl(meta),
      hasFix: meta.fix !== undefined,
      why: meta.docs.why,
      fixExample: meta.docs.fix,
    })),
  );

  connection.onRequest(SCAN_WORKSPACE_REQUEST, async (): Promise<ScanResult> => {
    await index.scanning;
    index.scanning = scanWorkspace();
    await index.scanning;
    workspaceDiagnostics?.forgetAll();
    refreshAll();
    return { files: index.files.size };
  });

  const routesOnDisk = async (file: string, uri: string): Promise<RouteInfo[]> => {
    try {
      const s = await settings.effective(uri);
      const source = host.files.read(file, s.maxFileSizeKb * 1024);
      if (!('text' in source) || host.files.stamp(file) === undefined) return [];
      const routes = engine.parsed(source.text, (recovered) =>
        routesOf(
          buildModels(recovered.tree, recovered.text, file),
          uri,
          index.factsFor(file),
          s.analyze.authDecorators ?? [],
        ),
      );
      return routes ?? [];
    } catch (error) {
      connection.console.error(`Flask Sentinel: routes of ${file} failed: ${String(error)}`);
      return [];
    }
  };

  connection.onShutdown(() => {
    analyzer?.dispose();
    trees?.dispose();
  });
  documents.listen(connection);
  connection.listen();
}
