import * as vscode from 'vscode';
import { CloseAction, ErrorAction, State } from 'vscode-languageclient';
import type {
  BaseLanguageClient,
  CloseHandlerResult,
  DocumentSelector,
  ErrorHandler,
  LanguageClientOptions,
} from 'vscode-languageclient';

/** Crashes tolerated in `CRASH_WINDOW_MS` before the client stops restarting the server by itself. */
const MAX_CRASHES = 4;
const CRASH_WINDOW_MS = 3 * 60 * 1000;

/** The documents the desktop server analyses: Python files on disk and unsaved new ones. */
export const DESKTOP_DOCUMENTS: DocumentSelector = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
];

/**
 * Makes the language client for a host: node (`extension.ts`: the bundled server over node IPC) or the
 * browser (`web/extension.ts`: the server as a web worker). It gets the options every host shares.
 */
export type ClientFactory = (options: LanguageClientOptions) => BaseLanguageClient;

/**
 * Owns the language client: starts the bundled server, restarts it when it crashes (and says so), gives up
 * after repeated crashes with a message that says what to do, and restarts on request.
 */
export class ServerController implements vscode.Disposable {
  private client: BaseLanguageClient | undefined;
  private readonly crashes: number[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<'starting' | 'running' | 'stopped'>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly createClient: ClientFactory,
    private readonly documentSelector: DocumentSelector = DESKTOP_DOCUMENTS,
  ) {}

  get languageClient(): BaseLanguageClient | undefined {
    return this.client;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const clientOptions: LanguageClientOptions = {
      documentSelector: this.documentSelector,
      outputChannel: this.output,
      // Sends workspace/didChangeConfiguration when a flaskSentinel.* setting changes: the server reads its
      // settings with workspace/configuration and caches them until told they changed.
      synchronize: { configurationSection: 'flaskSentinel' },
      diagnosticPullOptions: { onChange: true, onSave: true },
      errorHandler: this.errorHandler(),
      initializationFailedHandler: (error) => {
        this.output.error(`The server failed to start: ${String(error)}`);
        void vscode.window
          .showErrorMessage('Flask Sentinel: the language server failed to start.', 'Show Output')
          .then((choice) => choice && this.output.show());
        return false;
      },
    };
    const client = this.createClient(clientOptions);
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) this.stateEmitter.fire('running');
      else if (event.newState === State.Starting) this.stateEmitter.fire('starting');
      else this.stateEmitter.fire('stopped');
    });
    this.client = client;
    this.stateEmitter.fire('starting');
    await client.start();
  }

  async restart(): Promise<void> {
    this.crashes.length = 0;
    const client = this.client;
    if (!client) return this.start();
    this.output.info('Restarting the language server on request');
    if (!client.isRunning()) await client.start();
    // node's client restarts its process itself; the browser's stops and starts again (a new worker).
    else if (hasRestart(client)) await client.restart();
    else {
      await client.stop();
      await client.start();
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop();
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private errorHandler(): ErrorHandler {
    return {
      // A broken message does not end the connection: keep going.
      error: () => ({ action: ErrorAction.Continue }),
      closed: (): CloseHandlerResult => {
        const now = Date.now();
        this.crashes.push(now);
        while (this.crashes.length > 0 && now - (this.crashes[0] ?? now) > CRASH_WINDOW_MS)
          this.crashes.shift();
        if (this.crashes.length > MAX_CRASHES) {
          this.output.error(
            `The server stopped ${this.crashes.length} times in 3 minutes; not restarting it.`,
          );
          void vscode.window
            .showErrorMessage(
              `Flask Sentinel: the language server stopped ${this.crashes.length} times in 3 minutes and was not restarted. Check the output, then run "Flask Sentinel: Restart Language Server".`,
              'Show Output',
              'Restart',
            )
            .then((choice) => {
              if (choice === 'Show Output') this.output.show();
              if (choice === 'Restart') void this.restart();
            });
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        this.output.warn('The server stopped unexpectedly; restarting it.');
        return {
          action: CloseAction.Restart,
          message: 'Flask Sentinel: the language server stopped unexpectedly and was restarted.',
        };
      },
    };
  }
}

function hasRestart(client: BaseLanguageClient): client is BaseLanguageClient & { restart(): Promise<void> } {
  return typeof (client as { restart?: unknown }).restart === 'function';
}
