// The language server with the web worker's host (server/src/lsp/browserHost.ts) over stdio, for
// test/lsp/browserHost.test.ts: the same server and host as dist/web/server.js, but in node, so the tests
// drive it as a process. Only the transport and where the parser's wasm comes from (disk) differ.
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { createBrowserHost } from '../../server/src/lsp/browserHost';
import { startServer } from '../../server/src/lsp/server';

const host = createBrowserHost();
startServer(createConnection(ProposedFeatures.all), { ...host, wasm: () => undefined });
