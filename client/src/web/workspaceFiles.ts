import * as vscode from 'vscode';
import { ALWAYS_SKIPPED_DIRS, decodeSource } from '../../../server/src/cli/sourceText';
import { WORKSPACE_FILES_NOTIFICATION } from '../../../server/src/lsp/protocol';
import type { WorkspaceFile, WorkspaceFilesParams } from '../../../server/src/lsp/protocol';
import { DEFAULT_MAX_FILE_SIZE_KB } from '../../../server/src/lsp/settingsSchema';
import type { ServerController } from '../serverController';

/** The most Python files sent; a larger workspace is analysed in part (and the output says so). */
const MAX_FILES = 5000;
/** Files per notification. */
const BATCH = 50;
const SKIPPED_FOLDERS = `**/{${[...ALWAYS_SKIPPED_DIRS].join(',')}}/**`;

/**
 * The web extension's stand-in for the server's disk: reads the workspace's Python files through
 * `vscode.workspace.fs` (any file system: github.dev's, vscode.dev's, test-web's) and sends them to the
 * language server with `flaskSentinel/workspaceFiles` — when the server (re)starts, when files change or are
 * deleted, and before "Scan Workspace". The server then has what it reads from disk on the desktop: workspace
 * facts (auth decorators defined in other files), the routes of every file, and workspace diagnostics.
 */
export class WorkspaceFilesSender implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sent = new Set<string>();
  private readonly sentEmitter = new vscode.EventEmitter<void>();
  /** Files went to the server (the routes may have changed). */
  readonly onDidSend = this.sentEmitter.event;
  private scanning: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly server: ServerController,
    private readonly output: vscode.LogOutputChannel,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
    this.disposables.push(
      watcher,
      // A new server (start, restart after a crash) starts empty.
      server.onDidChangeState((state) => {
        if (state === 'running') {
          this.sent.clear();
          void this.scan();
        }
      }),
      watcher.onDidCreate((uri) => void this.send([uri])),
      watcher.onDidChange((uri) => void this.send([uri])),
      watcher.onDidDelete((uri) => void this.notify({ deleted: [uri.toString()] })),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flaskSentinel.maxFileSizeKb')) void this.scan();
      }),
    );
  }

  /** "Scan Workspace": send every file again first. */
  beforeScan(): Promise<void> {
    return this.scan();
  }

  /** Sends every Python file of the workspace, and the deletion of those sent before that are gone. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        await this.scanOnce();
      } while (this.again);
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    if (!vscode.workspace.workspaceFolders?.length) return;
    const started = Date.now();
    let uris: vscode.Uri[];
    try {
      uris = await vscode.workspace.findFiles('**/*.py', SKIPPED_FOLDERS, MAX_FILES + 1);
    } catch (error) {
      this.output.warn(
        `Could not list the workspace's Python files: ${String(error)}; open files are analysed`,
      );
      return;
    }
    if (uris.length > MAX_FILES) {
      this.output.warn(`The workspace has over ${MAX_FILES} Python files: only ${MAX_FILES} are read`);
      uris = uris.slice(0, MAX_FILES);
    }
    const found = new Set(uris.map((u) => u.toString()));
    const gone = [...this.sent].filter((u) => !found.has(u));
    if (gone.length > 0) await this.notify({ deleted: gone });
    for (let i = 0; i < uris.length; i += BATCH) await this.send(uris.slice(i, i + BATCH));
    this.output.info(
      `Sent ${uris.length} Python files of the workspace to the language server in ${Date.now() - started} ms`,
    );
  }

  private async send(uris: vscode.Uri[]): Promise<void> {
    const files = (await Promise.all(uris.map((uri) => this.read(uri)))).filter(
      (f): f is WorkspaceFile => f !== undefined,
    );
    if (files.length > 0) await this.notify({ files });
  }

  private async read(uri: vscode.Uri): Promise<WorkspaceFile | undefined> {
    const maxKb =
      vscode.workspace.getConfiguration('flaskSentinel', uri).get<number>('maxFileSizeKb', 0) ||
      DEFAULT_MAX_FILE_SIZE_KB;
    try {
      const { size, type } = await vscode.workspace.fs.stat(uri);
      if ((type & vscode.FileType.File) === 0) return undefined;
      // Too large: the server says so (as it does for a file on disk), without the text.
      if (size > maxKb * 1024) return { uri: uri.toString(), size };
      const bytes = await vscode.workspace.fs.readFile(uri);
      return { uri: uri.toString(), size: bytes.byteLength, ...decodeSource(bytes) };
    } catch (error) {
      return { uri: uri.toString(), size: 0, reason: `cannot read: ${String(error)}` };
    }
  }

  private async notify(params: WorkspaceFilesParams): Promise<void> {
    const client = this.server.languageClient;
    if (!client?.isRunning()) return;
    for (const f of params.files ?? []) this.sent.add(f.uri);
    for (const u of params.deleted ?? []) this.sent.delete(u);
    await client.sendNotification(WORKSPACE_FILES_NOTIFICATION, params);
    this.sentEmitter.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.sentEmitter.dispose();
  }
}
