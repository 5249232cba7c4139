import * as vscode from 'vscode';
import {
  BrowserMessageReader,
  BrowserMessageWriter,
  LanguageClient,
  State,
} from 'vscode-languageclient/browser';
import type { BrowserInitializationOptions } from '../../../server/src/lsp/browserHost';
import { activateWith, deactivate } from '../activate';
import type { FlaskSentinelApi } from '../activate';
import * as chat from './chatEntry';
import { WorkspaceFilesSender } from './workspaceFiles';

export type { FlaskSentinelApi } from '../activate';
export { deactivate };

/** The little of the DOM's `Worker` used here (the project compiles without the DOM's types). */
interface ServerWorker {
  terminate(): void;
}
declare const Worker: new (url: string, options?: { name?: string }) => ServerWorker;

/**
 * The web extension (`browser`, for vscode.dev and github.dev): the same activation as the desktop's, with the
 * language server (dist/web/server.js, the same server bundled for a web worker) started as a web worker. The
 * worker has no disk: the client sends it the workspace's Python files (`WorkspaceFilesSender`), and tells it
 * where the parser's `.wasm` files are (this extension's own URL).
 */
export function activate(context: vscode.ExtensionContext): FlaskSentinelApi {
  const web = vscode.Uri.joinPath(context.extensionUri, 'dist', 'web');
  const serverUrl = vscode.Uri.joinPath(web, 'server.js').toString(true);
  const initializationOptions: BrowserInitializationOptions = { wasmBase: `${web.toString(true)}/` };
  // Hides what needs git or a key (package.json `when` clauses): not `isWeb`, which is also true for the
  // desktop extension in a browser-based workbench (code-server, Codespaces).
  void vscode.commands.executeCommand('setContext', 'flaskSentinel.webExtension', true);
  return activateWith(context, {
    createClient: (options) => {
      let worker: ServerWorker | undefined;
      // A new worker for every start (the client starts again after a crash or on "Restart").
      const client = new LanguageClient(
        'flaskSentinel',
        'Flask Sentinel',
        () => {
          worker?.terminate();
          worker = new Worker(serverUrl, { name: 'Flask Sentinel language server' });
          // The transports, not the worker: the client tells a worker by `instanceof Worker`, and VS Code's
          // web extension host hands out its own worker class.
          return Promise.resolve({
            reader: new BrowserMessageReader(worker as never),
            writer: new BrowserMessageWriter(worker as never),
          });
        },
        { ...options, initializationOptions },
      );
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped) {
          worker?.terminate();
          worker = undefined;
        }
      });
      return client;
    },
    // Any scheme: the workspace is a virtual file system (vscode-vfs:, vscode-test-web:...).
    documentSelector: [{ language: 'python' }],
    loadChat: () => chat,
    workspaceFiles: (server, output) => new WorkspaceFilesSender(server, output),
  });
}
