/**
 * A scan worker thread's script (dist/scanWorker.js). The worker's code is in the CLI's own bundle
 * (dist/cliMain.js, `serveScanWorker`), loaded with the same code cache as the main thread's
 * (`codeCache.ts`): a worker bundle of its own would need a cache of its own, which the build could only
 * write by running a scan large enough to start a worker.
 */
import { parentPort } from 'node:worker_threads';
import * as path from 'node:path';
import type * as Cli from './main';
import { loadBundle } from './codeCache';

if (parentPort) {
  const { serveScanWorker } = loadBundle(path.join(__dirname, 'cliMain.js')).exports as typeof Cli;
  serveScanWorker(parentPort);
}
