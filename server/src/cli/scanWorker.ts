import type { MessagePort } from 'node:worker_threads';
import type { AnalyzeOptions } from '../engine/analyze';
import { Engine } from '../engine/engine';
import type { FromWorker, ToWorker } from './parallel';
import { scanSource } from './scan';

/**
 * A scan worker thread's work (driven by parallel.ts; its thread starts in scanWorkerEntry.ts): compiles
 * its own parser while the main thread reads the files, then analyses the files it is handed, asking for
 * more before it runs out.
 */
export function serveScanWorker(port: MessagePort): void {
  const enginePromise = Engine.create();
  let settings: { root: string; analyzeOptions: AnalyzeOptions } | undefined;
  let work = Promise.resolve();
  const post = (message: FromWorker) => port.postMessage(message);
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'options') settings = { root: message.root, analyzeOptions: message.analyzeOptions };
    if (message.kind !== 'files') return;
    work = work
      .then(async () => {
        const engine = await enginePromise;
        if (!settings) throw new Error('files arrived before the scan options');
        for (const [k, source] of message.sources.entries()) {
          // Ask for the next files while working on the last one, so the thread never waits idle.
          if (k === message.sources.length - 1) post({ kind: 'want' });
          const analysed = scanSource(
            engine,
            source,
            settings.root,
            settings.analyzeOptions,
            message.workspace,
          );
          post({ kind: 'file', index: message.indices[k] as number, analysed });
        }
      })
      .catch((error: unknown) => {
        post({
          kind: 'error',
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      });
  });
}
