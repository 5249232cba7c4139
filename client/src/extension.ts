import type * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { ServerOptions } from 'vscode-languageclient/node';
import { activateWith, deactivate } from './activate';
import type { FlaskSentinelApi } from './activate';
import type * as Chat from './chatEntry';

export type { FlaskSentinelApi } from './activate';
export { deactivate };

/** The desktop extension (`main`): the language server is dist/server.js, a node process over IPC. */
export function activate(context: vscode.ExtensionContext): FlaskSentinelApi {
  return activateWith(context, {
    createClient: (options) => {
      const module = context.asAbsolutePath('dist/server.js');
      const serverOptions: ServerOptions = {
        run: { module, transport: TransportKind.ipc },
        debug: {
          module,
          transport: TransportKind.ipc,
          options: { execArgv: ['--nolazy', '--inspect=6011'] },
        },
      };
      return new LanguageClient('flaskSentinel', 'Flask Sentinel', serverOptions, options);
    },
    // A separate bundle (dist/chat.js), required on first use: see chatEntry.ts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadChat: () => require('./chat.js') as typeof Chat,
  });
}
