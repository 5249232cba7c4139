/**
 * The `flask-sentinel` executable (dist/cli.js): a small bundle that sets the compiler flags, starts a
 * scan's worker threads, and only then loads the CLI itself (dist/cliMain.js, bundled from main.ts).
 * Compiling that bundle took the main thread 40-50 ms (1.5 MB of JavaScript; it now comes mostly from the
 * build's code cache, `codeCache.ts`); a worker started before it is ready to analyse about when the main
 * thread is, 80-100 ms sooner than one started from the CLI's own code (`startEarlyWorkers` says more).
 * Nothing here may import engine or CLI code: it would be bundled in front of the worker's start.
 */
// First: V8's flags must be set before the engine's code runs (v8Flags.ts says why).
import './v8Flags';
import * as path from 'node:path';
import type * as Cli from './main';
import { loadBundle } from './codeCache';
import { startEarlyWorkers } from './scanThreads';

const argv = process.argv.slice(2);
const startedWorkers = startEarlyWorkers(argv);
const { runCli } = loadBundle(path.join(__dirname, 'cliMain.js')).exports as typeof Cli;

// A reader that stops early (`flask-sentinel rules | head`) closes the pipe: what is left of the output has
// nowhere to go, which is not an error of the scan. The exit code stays the scan's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// The event loop is kept alive until the command is done. Without a handle of its own, node's loop runs out
// of work while the grammar's WebAssembly compiles, and node then waits in its platform's task drain: the
// whole scan ran from inside it, and each time the main thread yielded (to hand files to a worker) node
// first waited for every background task of the process, the worker's compile jobs included (80-170 ms
// idle on the main thread of a 50k-line scan, measured with strace and perf).
const keepAlive = setInterval(() => undefined, 2 ** 30);
runCli(
  argv,
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTty: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
  },
  startedWorkers,
).then(
  (code) => {
    clearInterval(keepAlive);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `flask-sentinel: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    clearInterval(keepAlive);
    process.exitCode = 2;
  },
);
