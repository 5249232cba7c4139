import * as fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { AnalyzeOptions } from '../engine/analyze';
import type { Engine } from '../engine/engine';
import type { SourceFile } from './files';
import type { WorkspaceFacts } from '../engine/context';
import { startWorkers, whyStopped, WORKER_SCRIPT } from './scanThreads';
import { discoverScan, prepareScan, scanOrder, scanPrepared, ScanRun } from './scan';
import type { AnalysedFile, PreparedScan, ScanOptions, ScanResult } from './scan';

/**
 * Main thread → scan worker (`scanWorker.ts`). Files come with the workspace facts learnt so far; the
 * main thread re-analyses a file whose questions to them the complete facts answer differently.
 */
export type ToWorker =
  | { kind: 'options'; root: string; analyzeOptions: AnalyzeOptions }
  | { kind: 'files'; indices: number[]; sources: SourceFile[]; workspace: WorkspaceFacts };

/** Scan worker → main thread: each file as it finishes; `want` when it is about to run out of work. */
export type FromWorker =
  | { kind: 'file'; index: number; analysed: AnalysedFile }
  | { kind: 'want' }
  | { kind: 'error'; message: string };

/**
 * Below this much source a worker's start (loading the bundle and compiling the parser, ~0.1 s) costs more
 * than it saves.
 */
export const MIN_PARALLEL_BYTES = 256 * 1024;
/** Files handed to a worker at a time: enough to keep it busy while the main thread is mid-file. */
const CHUNK = 3;

/**
 * A scan spread over `jobs` threads: this one and `jobs - 1` workers, each with its own parser. The
 * workers start first, so that their start-up overlaps reading the files; files are then handed out from
 * one queue (largest first) to whichever thread is free, and the report keeps the one-thread order, so
 * `--jobs 1` and `--jobs 8` print the same report. Without the worker bundle (running from source) or
 * for a small scan, it is the one-thread scan.
 *
 * `threads.started`: workers already started (by the CLI's entry point, `bin.ts`), taken before
 * any new one is started; those the scan does not need are ended.
 */
export async function scanInParallel(
  engine: Engine,
  options: ScanOptions,
  jobs: number,
  threads: { script?: string; started?: readonly Worker[] } = {},
): Promise<ScanResult> {
  const { script = WORKER_SCRIPT, started = [] } = threads;
  const discovery = discoverScan(options);
  const wanted =
    jobs > 1 && fs.existsSync(script) && enoughForThreads(discovery.files, options.analyze) ? jobs - 1 : 0;
  const workers = started.slice(0, wanted);
  for (const spare of started.slice(wanted)) void spare.terminate();
  for (const worker of workers) worker.ref();
  workers.push(...startWorkers(script, wanted - workers.length));
  try {
    const prepared = prepareScan(engine, options, discovery);
    const total = prepared.analysed.reduce((sum, s) => sum + s.text.length, 0);
    if (workers.length === 0 || total < MIN_PARALLEL_BYTES || prepared.analysed.length < 2) {
      return scanPrepared(engine, options, prepared);
    }
    return await shareOut(engine, options, prepared, workers);
  } finally {
    for (const worker of workers) void worker.terminate();
  }
}

/**
 * Whether the files to analyse hold enough source to share out, from their sizes on disk: workers start
 * before the files are read, and a worker started for a small scan (a few files a commit changed) would
 * only take CPU from this thread (0.34 -> 0.40 s for the 18-file example app on two cores).
 */
export function enoughForThreads(files: readonly string[], analyse?: (file: string) => boolean): boolean {
  let bytes = 0;
  let count = 0;
  for (const file of files) {
    if (analyse && !analyse(file)) continue;
    try {
      bytes += fs.statSync(file).size;
    } catch {
      continue; // reading it will say why
    }
    count++;
    if (bytes >= MIN_PARALLEL_BYTES && count >= 2) return true;
  }
  return false;
}

async function shareOut(
  engine: Engine,
  options: ScanOptions,
  prepared: PreparedScan,
  workers: Worker[],
): Promise<ScanResult> {
  const { analysed, analyzeOptions } = prepared;
  const queue = scanOrder(prepared);
  const run = new ScanRun(engine, options, prepared);
  // Per live worker, the files handed to it that it has not reported yet.
  const outstanding = new Map<Worker, Set<number>>();
  const handOut = (worker: Worker) => {
    const indices: number[] = [];
    for (let k = 0; k < queue.length && indices.length < CHUNK;) {
      const index = queue[k] as number;
      if (fitsWorker(analysed[index] as SourceFile)) {
        queue.splice(k, 1);
        indices.push(index);
      } else k++;
    }
    if (indices.length === 0) return;
    for (const index of indices) outstanding.get(worker)?.add(index);
    worker.postMessage({
      kind: 'files',
      indices,
      sources: indices.map((i) => analysed[i] as SourceFile),
      workspace: run.facts(),
    } satisfies ToWorker);
  };

  // This thread waits here when the queue is empty and workers are still busy.
  let wake: (() => void) | undefined;
  // A worker that fails or stops gives its files back to this thread: the report stays complete.
  const lose = (worker: Worker, reason: string) => {
    const unreported = outstanding.get(worker);
    if (!unreported || run.finished) return;
    outstanding.delete(worker);
    queue.unshift(...unreported);
    void worker.terminate();
    const count = unreported.size;
    options.onWarning?.(
      `a scan worker thread stopped (${reason}); ${count === 0 ? 'the other threads did its share' : `the main thread analysed its ${count} unfinished file${count === 1 ? '' : 's'} instead`}, so the report is complete.`,
    );
    wake?.();
  };
  for (const worker of workers) {
    outstanding.set(worker, new Set());
    worker.on('message', (message: FromWorker) => {
      const unreported = outstanding.get(worker);
      if (!unreported) return; // lost: its files are this thread's now
      if (message.kind === 'file') {
        unreported.delete(message.index);
        run.record(message.index, message.analysed);
      } else if (message.kind === 'want') handOut(worker);
      else lose(worker, message.message.split('\n')[0] ?? 'an error');
      wake?.();
    });
    // 'exit' follows an uncaught error; why it stopped is recorded from the worker's start (scanThreads.ts).
    worker.on('exit', () => lose(worker, whyStopped(worker) ?? 'it ended'));
    // One started early may have stopped before this scan listened (its 'exit' is not emitted again).
    const stopped = whyStopped(worker);
    if (stopped !== undefined) {
      lose(worker, stopped);
      continue;
    }
    worker.postMessage({ kind: 'options', root: options.root, analyzeOptions } satisfies ToWorker);
    handOut(worker);
  }
  // This thread takes files from the same queue, yielding after each so that workers asking for more are
  // answered while it works.
  while (!run.finished) {
    const index = queue.shift();
    if (index === undefined) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    run.analyse(index);
    await new Promise((next) => setImmediate(next));
  }
  return run.settle();
}

const WORKER_MAX_FILE_CHARS = 256 * 1024;

/**
 * Whether a worker's small heap (`scanThreads.ts`) holds the analysis of this file with room to spare:
 * the models of a 512 KiB file fit in 64 MiB, those of a 1 MiB file (the default size limit) do not, and
 * the worker died of it. Larger files are left to this thread.
 */
export function fitsWorker(source: SourceFile): boolean {
  return source.text.length <= WORKER_MAX_FILE_CHARS;
}
