import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { limitHeapGrowth } from '../heapGrowth';
import { nodeHost } from './nodeHost';
import { startServer } from './server';
import { VERSION } from './version';

/**
 * `flask-sentinel-ls`: the Flask Sentinel language server. Speaks LSP over `--stdio`, or node IPC when
 * started with `--node-ipc` (the transport is picked from the command line by vscode-languageserver).
 */
if (process.argv.includes('--version')) {
  process.stdout.write(`${VERSION}\n`);
  process.exit(0);
}
if (
  !process.argv.some(
    (a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket') || a.startsWith('--pipe'),
  )
) {
  process.stderr.write('usage: flask-sentinel-ls --stdio | --node-ipc\n');
  process.exit(2);
}

limitHeapGrowth();
const connection = createConnection(ProposedFeatures.all);
// Nothing may kill the server: an unexpected error is logged and the server keeps answering.
process.on('uncaughtException', (error) =>
  connection.console.error(`Flask Sentinel: unexpected error: ${error.stack ?? String(error)}`),
);
process.on('unhandledRejection', (reason) =>
  connection.console.error(`Flask Sentinel: unhandled rejection: ${String(reason)}`),
);
startServer(connection, nodeHost);
