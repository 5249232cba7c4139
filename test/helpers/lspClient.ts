import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';

export const SERVER = path.join(__dirname, '..', '..', 'dist', 'server.js');

/** LSP shapes the tests look at (kept local: the test client only speaks JSON-RPC). */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface Diagnostic {
  range: Range;
  severity?: number;
  code?: string | number;
  codeDescription?: { href: string };
  source?: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: Range }; message: string }[];
  data?: unknown;
}
export interface TextEdit {
  range: Range;
  newText: string;
}
export interface CodeAction {
  title: string;
  kind?: string;
  isPreferred?: boolean;
  diagnostics?: Diagnostic[];
  edit?: {
    changes?: Record<string, TextEdit[]>;
    documentChanges?: { textDocument: { uri: string; version: number }; edits: TextEdit[] }[];
  };
  command?: { title: string; command: string; arguments?: unknown[] };
}
export interface DiagnosticReport {
  kind: 'full' | 'unchanged';
  resultId?: string;
  items?: Diagnostic[];
}
export type ContentChange = { range: Range; text: string } | { text: string };

export interface ClientOptions {
  /** Advertise pull diagnostics (`textDocument/diagnostic`); otherwise the server pushes. */
  pull?: boolean;
  /** Advertise `workspace/configuration`; answered from `settings`. */
  configuration?: boolean;
  settings?: Record<string, unknown>;
  workspaceFolders?: string[];
  /** Workspace folders as URIs (any scheme), instead of `workspaceFolders`. */
  workspaceFolderUris?: string[];
  /** node's arguments to start the server with (default: dist/server.js --stdio). */
  serverArgs?: string[];
  extraCapabilities?: Record<string, unknown>;
}

/** A real LSP client over stdio against `node dist/server.js --stdio`: no protocol mocks. */
export class LspClient {
  readonly pushed = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  readonly pushHistory: { uri: string; version?: number; diagnostics: Diagnostic[] }[] = [];
  readonly messages: { type: number; message: string }[] = [];
  readonly logs: string[] = [];
  readonly configurationRequests: unknown[] = [];
  refreshes = 0;
  stderr = '';
  exitCode: number | null | undefined = undefined;
  settings: Record<string, unknown>;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly process: ChildProcess,
    readonly connection: MessageConnection,
    options: ClientOptions,
  ) {
    this.settings = options.settings ?? {};
  }

  static async start(options: ClientOptions = {}): Promise<LspClient> {
    const child = spawn(process.execPath, options.serverArgs ?? [SERVER, '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    const client = new LspClient(child, connection, options);
    child.stderr.on('data', (chunk: Buffer) => (client.stderr += chunk.toString()));
    child.on('exit', (code) => {
      client.exitCode = code;
      client.notify();
    });
    connection.onNotification(
      'textDocument/publishDiagnostics',
      (params: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
        client.pushed.set(params.uri, { version: params.version, diagnostics: params.diagnostics });
        client.pushHistory.push(params);
        client.notify();
      },
    );
    connection.onNotification('window/showMessage', (params: { type: number; message: string }) => {
      client.messages.push(params);
      client.notify();
    });
    connection.onNotification('window/logMessage', (params: { message: string }) => {
      client.logs.push(params.message);
    });
    connection.onRequest(
      'workspace/configuration',
      (params: { items: { scopeUri?: string; section?: string }[] }) => {
        client.configurationRequests.push(params);
        return params.items.map((item) => (item.section === 'flaskSentinel' ? client.settings : null));
      },
    );
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('$/progress', () => undefined);
    connection.onRequest('workspace/diagnostic/refresh', () => {
      client.refreshes++;
      client.notify();
      return null;
    });
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onRequest('window/showDocument', () => ({ success: true }));
    connection.listen();

    const folders = options.workspaceFolderUris
      ? options.workspaceFolderUris.map((uri) => ({ uri, name: path.posix.basename(uri) }))
      : (options.workspaceFolders ?? []).map((f) => ({ uri: fileUri(f), name: path.basename(f) }));
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folders[0]?.uri ?? null,
      workspaceFolders: folders.length > 0 ? folders : null,
      capabilities: {
        workspace: {
          configuration: options.configuration ?? true,
          workspaceEdit: { documentChanges: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          ...(options.pull ? { diagnostics: { refreshSupport: true } } : {}),
        },
        textDocument: {
          synchronization: { didSave: true, dynamicRegistration: false },
          publishDiagnostics: {
            relatedInformation: true,
            versionSupport: true,
            codeDescriptionSupport: true,
            dataSupport: true,
          },
          codeAction: {
            codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } },
            isPreferredSupport: true,
            dataSupport: true,
          },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          ...(options.pull
            ? { diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false } }
            : {}),
        },
        window: { workDoneProgress: true, showDocument: { support: true } },
        ...options.extraCapabilities,
      },
    });
    await connection.sendNotification('initialized', {});
    return client;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `check` returns a value (re-checked on every message from the server). */
  async waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (this.exitCode !== undefined)
        throw new Error(`server exited (${String(this.exitCode)}) while waiting for ${what}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Pushed diagnostics for this exact version. */
  pushedFor(uri: string, version: number, timeoutMs?: number): Promise<Diagnostic[]> {
    return this.waitFor(
      () => {
        const entry = this.pushed.get(uri);
        return entry && entry.version === version ? entry.diagnostics : undefined;
      },
      `diagnostics for ${uri}@${version}`,
      timeoutMs,
    );
  }

  /** The latest pushed diagnostics once they satisfy `accept`. */
  waitForPushed(
    uri: string,
    accept: (d: Diagnostic[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Diagnostic[]> {
    return this.waitFor(
      () => {
        const entry = this.pushed.get(uri);
        return entry && accept(entry.diagnostics) ? entry.diagnostics : undefined;
      },
      what,
      timeoutMs,
    );
  }

  async pull(uri: string): Promise<Diagnostic[]> {
    const report = await this.pullReport(uri);
    return report.items ?? [];
  }

  /** The report itself; with `previousResultId`, as VS Code sends the id of the report it holds. */
  pullReport(uri: string, previousResultId?: string): Promise<DiagnosticReport> {
    return this.connection.sendRequest<DiagnosticReport>('textDocument/diagnostic', {
      textDocument: { uri },
      ...(previousResultId === undefined ? {} : { previousResultId }),
    });
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version, text },
    });
  }

  change(uri: string, version: number, contentChanges: ContentChange[]): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges,
    });
  }

  close(uri: string): Promise<void> {
    return this.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest<T>(method, params);
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    return this.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range,
      context: { diagnostics, ...(only ? { only } : {}) },
    });
  }

  async stop(): Promise<void> {
    if (this.exitCode === undefined) {
      try {
        await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 2000))]);
        await this.connection.sendNotification('exit');
      } catch {
        // already gone
      }
      await this.waitFor(() => (this.exitCode !== undefined ? true : undefined), 'exit', 3000).catch(() => {
        this.process.kill();
      });
    }
    this.connection.dispose();
  }
}

export function fileUri(file: string): string {
  return new URL(`file://${path.resolve(file)}`).href;
}

/** Applies LSP edits (non-overlapping, any order) to a text: what an editor does with a WorkspaceEdit. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const offsets = lineStarts(text);
  const offsetAt = (p: Position) => {
    const start = offsets[p.line];
    if (start === undefined) return text.length;
    const next = offsets[p.line + 1] ?? text.length;
    return Math.min(start + p.character, next);
  };
  const spans = edits
    .map((e) => ({ start: offsetAt(e.range.start), end: offsetAt(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

export function editsOf(action: CodeAction): TextEdit[] {
  return action.edit?.documentChanges?.[0]?.edits ?? Object.values(action.edit?.changes ?? {})[0] ?? [];
}
