// First: compiler flags must be set before the engine's code runs (jitFlags.ts says why).
import './jitFlags';
import { runCli } from './main';

// A reader that stops early (`flask-sentinel rules | head`) closes the pipe: what is left of the output has
// nowhere to go, which is not an error of the scan. The exit code stays the scan's.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

/** The `flask-sentinel` executable. */
runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `flask-sentinel: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
