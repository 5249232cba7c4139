import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { ProposedFeatures } from 'vscode-languageserver';
import { createBrowserHost } from './browserHost';
import { startServer } from './server';

/**
 * The language server as a web worker (`dist/web/server.js`), started by the web extension's client
 * (`client/src/web/extension.ts`). The same server as `flask-sentinel-ls`, on a host without a disk.
 */
// (The project compiles without the DOM's types: the little of the worker's global scope used here.)
declare const self: {
  addEventListener(type: 'error', listener: (event: { error?: unknown; message?: string }) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: { reason?: unknown }) => void): void;
};

const connection = createConnection(
  ProposedFeatures.all,
  new BrowserMessageReader(self),
  new BrowserMessageWriter(self),
);
// Nothing may kill the server: an unexpected error is logged and the server keeps answering.
self.addEventListener('error', (event) => {
  const error = event.error instanceof Error ? (event.error.stack ?? event.error.message) : event.message;
  connection.console.error(`Flask Sentinel: unexpected error: ${error ?? 'unknown'}`);
});
self.addEventListener('unhandledrejection', (event) =>
  connection.console.error(`Flask Sentinel: unhandled rejection: ${String(event.reason)}`),
);
startServer(connection, createBrowserHost());
