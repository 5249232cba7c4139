import { performance } from 'node:perf_hooks';
import { analyzeModels, buildModels } from '../server/src/engine/analyze';
import type { Engine } from '../server/src/engine/engine';
import { treeSitterEdit } from '../server/src/engine/treeEdits';
import { TreeStore } from '../server/src/lsp/trees';
import type { KeyEdit } from './keystrokes';

export interface MemorySample {
  edit: number;
  wasmHeapBytes: number;
  rssBytes: number;
  jsHeapUsedBytes: number;
}

export interface MemoryResult {
  lines: number;
  edits: number;
  analyzeEvery: number;
  samples: MemorySample[];
  /** WASM heap growth between the first sample after the warm-up (edit 1,000) and the last one. */
  wasmGrowthAfterWarmupBytes: number;
  rssGrowthAfterWarmupBytes: number;
  seconds: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Many incremental edits in this process, through the server's own TreeStore (edit, re-parse, delete the old
 * tree) and the engine (models and every rule on each `analyzeEvery`-th version). Samples the WASM heap,
 * the RSS and the JS heap every `every` edits (after a GC when node runs with --expose-gc).
 */
export function memoryRun(
  engine: Engine,
  heapBytes: () => number,
  initial: string,
  edits: readonly KeyEdit[],
  options: { every: number; analyzeEvery: number },
): MemoryResult {
  const started = performance.now();
  const store = new TreeStore(engine.parser);
  const uri = 'file:///bench/memory.py';
  let text = initial;
  let version = 1;
  const samples: MemorySample[] = [];
  const sample = (edit: number) => {
    gc?.();
    const usage = process.memoryUsage();
    samples.push({ edit, wasmHeapBytes: heapBytes(), rssBytes: usage.rss, jsHeapUsedBytes: usage.heapUsed });
  };
  store.get(uri, text, version);
  sample(0);
  edits.forEach((e, i) => {
    store.edited(uri, treeSitterEdit(text, e.start, e.end, e.text));
    text = text.slice(0, e.start) + e.text + text.slice(e.end);
    version++;
    const tree = store.get(uri, text, version);
    if (tree && (i + 1) % options.analyzeEvery === 0) {
      analyzeModels(buildModels(tree, text, '/bench/memory.py'), engine.rules, {});
    }
    if ((i + 1) % options.every === 0) sample(i + 1);
  });
  store.dispose();
  const warm = samples.find((s) => s.edit >= options.every) ?? samples[0];
  const last = samples[samples.length - 1];
  return {
    lines: initial.split('\n').length,
    edits: edits.length,
    analyzeEvery: options.analyzeEvery,
    samples,
    wasmGrowthAfterWarmupBytes: (last?.wasmHeapBytes ?? 0) - (warm?.wasmHeapBytes ?? 0),
    rssGrowthAfterWarmupBytes: (last?.rssBytes ?? 0) - (warm?.rssBytes ?? 0),
    seconds: (performance.now() - started) / 1000,
  };
}
