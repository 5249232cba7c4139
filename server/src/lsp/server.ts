import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
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
} from 'vscode-languageserver/node';
import type { Connection, DocumentDiagnosticReport, InitializeResult } from 'vscode-languageserver/node';
import { buildModels } from '../engine/analyze';
import { Engine } from '../engine/engine';
import { readSource } from '../cli/files';
import { BaseVersions } from '../git/baseVersions';
import { FIX_ALL_KIND, SHOW_DOCS_COMMAND, codeActions, codeLenses, hover } from './actions';
import { Analyzer } from './analysis';
import { createDocuments } from './documents';
import { PushPublisher } from './publisher';
import { ROUTES_REQUEST, RULES_REQUEST, SCAN_WORKSPACE_REQUEST } from './protocol';
import type { RouteInfo, RuleSummary, ScanResult } from './protocol';
import { routesOf } from './routes';
import { ruleDocUrl } from '../rules/docs';
import { SettingsManager, fsPathOf, isInside } from './settings';
import { TreeStore } from './trees';
import { VERSION } from './version';
import { WorkspaceIndex } from './workspace';
import { WorkspaceDiagnostics } from './workspaceDiagnostics';

export { ROUTES_REQUEST } from './protocol';

/** A URI that stands for a workspace folder when asking for its settings. */
const folderUri = (folder: string) => pathToFileURL(`${folder}/__folder__.py`).href;

/** Wires the protocol to the pieces: documents + trees, settings, analysis, actions, workspace facts. */
export function startServer(connection: Connection): void {
  let engine: Engine;
  let trees: TreeStore;
  let settings: SettingsManager;
  let analyzer: Analyzer;
  let index: WorkspaceIndex;
  let push: PushPublisher | undefined;
  let workspaceDiagnostics: WorkspaceDiagnostics | undefined;
  let baseVersions: BaseVersions;
  let roots: string[] = [];
  const saved = new Map<string, number>();
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
    replaced: (uri) => trees?.replaced(uri),
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
    roots = folders.flatMap((f) => fsPathOf(f.uri) ?? []);
    engine = await Engine.create();
    trees = new TreeStore(engine.parser);
    index = new WorkspaceIndex(engine);
    settings = new SettingsManager(connection, c.workspace?.configuration === true, () => roots);
    // "Changed lines only": git base versions, cached; a base that moves (commit, checkout) refreshes.
    baseVersions = new BaseVersions({
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
      baseVersions,
    );
    analyzer.onFactsChanged = refreshAll;
    if (!caps.pull) push = new PushPublisher(connection, analyzer);
    else {
      workspaceDiagnostics = new WorkspaceDiagnostics({
        engine,
        index,
        settingsFor: (file) => settings.effective(folderUri(roots.find((r) => isInside(r, file)) ?? file)),
        isOpen: (file) => documents.get(pathToFileURL(file).href) !== undefined,
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
    if (caps.watch) {
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
    baseVersions.clear();
    refreshAll();
  });

  connection.onDidChangeWatchedFiles(async (params) => {
    let changed = false;
    for (const change of params.changes) {
      const file = fsPathOf(change.uri);
      if (!file) continue;
      if (file.split(/[\\/]/).includes('.git')) baseVersions.revalidate();
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
    settings.forgetDocument(uri);
    const file = fsPathOf(uri);
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
    const resultId = `${result.version}@${result.key}`;
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
    const needsAnalysis = params.context.only?.some((o) => FIX_ALL_KIND.startsWith(o)) ?? false;
    const analysis = needsAnalysis ? await currentAnalysis(doc.uri) : undefined;
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
        open.add(fsPathOf(doc.uri) ?? doc.uri);
        routes.push(...((await currentAnalysis(doc.uri))?.routes ?? []));
      }
      for (const file of index.files) {
        const uri = pathToFileURL(file).href;
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
      const source = readSource(file, s.maxFileSizeKb * 1024);
      if (!('text' in source) || !fs.existsSync(file)) return [];
      const tree = engine.parser.parse(source.text);
      if (!tree) return [];
      try {
        return routesOf(
          buildModels(tree, source.text, file),
          uri,
          index.factsFor(file),
          s.analyze.authDecorators ?? [],
        );
      } finally {
        tree.delete();
      }
    } catch (error) {
      connection.console.error(`Flask Sentinel: routes of ${file} failed: ${String(error)}`);
      return [];
    }
  };

  connection.onShutdown(() => trees?.dispose());
  documents.listen(connection);
  connection.listen();
}
