// First: compiler flags must be set before the engine's code runs (jitFlags.ts says why).
import './jitFlags';
import { runCli } from './main';

// A reader that stops early (`flask-sentinel rules | head`) closes the pipe: what is left of the output has
// nowhere to go, which is not an error of the scan. The exit code stays the scan's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

/** The `flask-sentinel` executable. */
// The event loop is kept alive until the command is done. Without a handle of its own, node's loop runs out
// of work while the grammar's WebAssembly compiles, and node then waits in its platform's task drain: the
// whole scan ran from inside it, and each time the main thread yielded (to hand files to a worker) node
// first waited for every background task of the process, the worker's compile jobs included (80-170 ms
// idle on the main thread of a 50k-line scan, measured with strace and perf).
const keepAlive = setInterval(() => undefined, 2 ** 30);
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
}).then(
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
