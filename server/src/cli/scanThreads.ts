import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

/**
 * Starting a scan's worker threads. Kept apart from the scan (`parallel.ts`) and free of engine code, so
 * that the CLI's entry point can start them before the rest of the CLI loads (`bin.ts`).
 */

/**
 * A worker's JavaScript heap is kept small (it holds one file's models at a time), so that a second
 * thread costs tens of MiB, not a second full-size heap.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 };

/** The bundled worker script (dist/scanWorker.js), beside the bundled CLI. */
export const WORKER_SCRIPT = path.join(__dirname, 'scanWorker.js');

/** The threads a scan uses by default: one per core, at most 8. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(8, os.availableParallelism?.() ?? os.cpus().length));
}

/** Why each worker that has stopped stopped: recorded from its start, before the scan listens to it. */
const stopped = new WeakMap<Worker, string>();

/**
 * Why `worker` stopped (an error, or the exit code), or undefined while it runs. A worker started early
 * can fail before the scan takes it; without a listener of its own its 'error' event would end the process.
 */
export function whyStopped(worker: Worker): string | undefined {
  return stopped.get(worker);
}

export function startWorkers(script: string, count: number): Worker[] {
  return Array.from({ length: count }, () => {
    const worker = new Worker(script, { resourceLimits: WORKER_LIMITS });
    worker.on('error', (error) => stopped.set(worker, stopped.get(worker) ?? error.message));
    worker.on('exit', (code) => stopped.set(worker, stopped.get(worker) ?? `exit code ${code}`));
    return worker;
  });
}

/**
 * The workers a `scan` command line will most likely want, started at once, before the CLI's own code is
 * loaded; none for other commands or `--jobs 1`. A worker takes about 70 ms to start on an idle core and
 * twice that next to a busy main thread: started when the scan knew it needed one (after loading the CLI
 * and finding the files), it was ready about 200 ms after the main thread on the 50k-line bench code base;
 * started here, the two are ready within about 30 ms of each other. The scan takes them when it shares
 * out work and ends those it does not need (`scanInParallel`), so a small scan pays only for a start that
 * is cut short. They are unref'd, so that a command that stops early (a usage error) is not kept alive by
 * them.
 *
 * Only `--jobs` is read here, leniently: the CLI parses and checks the whole command line itself, and a
 * guess that is off only starts a worker that is then ended, or leaves the scan to start it later.
 */
export function startEarlyWorkers(argv: readonly string[], script = WORKER_SCRIPT): Worker[] {
  if (argv[0] !== 'scan' || !fs.existsSync(script)) return [];
  let jobs = defaultJobs();
  try {
    const { values } = parseArgs({
      args: argv.slice(1),
      strict: false,
      allowPositionals: true,
      options: { jobs: { type: 'string', short: 'j' } },
    });
    if (typeof values.jobs === 'string') jobs = Number(values.jobs);
  } catch {
    return [];
  }
  if (!Number.isInteger(jobs) || jobs < 2) return [];
  const workers = startWorkers(script, jobs - 1);
  for (const worker of workers) worker.unref();
  return workers;
}
