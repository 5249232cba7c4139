import { setFlagsFromString } from 'node:v8';
import { HEAP_GROWTH_FLAG } from '../heapGrowth';

/**
 * V8 tuned for a scan: its optimizing compiler, and its heap's growth (as in the language server,
 * `heapGrowth.ts` says why). Imported first by the CLI's entry point, before any engine code has run, and
 * inherited by the scan's worker threads (V8 flags belong to the process).
 *
 * A scan runs each of the engine's many functions over a few hundred files and then exits. With V8's
 * default tiering, TurboFan optimizes every function that gets a little warm: on the 50k-line bench code
 * base that was about 0.9 s of compiler CPU per thread, a third of the scan, and each worker thread
 * compiles its own copy, so on two cores a second thread saved no time at all. Waiting 15 times longer
 * before optimizing leaves only the functions that stay hot to the optimizer: with Node 20, 2.0 -> 1.4 s
 * at 50k lines and 4.5 -> 3.6 s at 160k; with Node 22 and 24, 2.3 -> 1.6 s at 50k and 4.1 -> 3.6 s at 160k
 * (two threads), with less CPU and memory.
 *
 * The setting changed its name: V8 11 (Node 20) counts bytecode executed (`--interrupt-budget`, default
 * 67,584), V8 12.4 and later (Node 22, 24, 25) count calls (`--invocation-count-for-turbofan`, default
 * 3,000). V8 prints an error on stderr for a flag it does not know, on every run, so the flag is chosen by
 * version, and none is set for a V8 whose name for it is not known (Node 21's).
 *
 * The flag changes when code is optimized, never what it computes. The language server does not take it:
 * it lives for hours, and there the sooner its hot paths are optimized the better (its keystroke median
 * measured about 10% slower with it).
 */
export function scanV8Flags(v8Version: string): string[] {
  const [major = 0, minor = 0] = v8Version.split('.').map((part) => Number.parseInt(part, 10));
  const flags = [HEAP_GROWTH_FLAG];
  if (major < 12) flags.push('--interrupt-budget=1000000');
  else if (major > 12 || minor >= 4) flags.push('--invocation-count-for-turbofan=45000');
  return flags;
}

for (const flag of scanV8Flags(process.versions.v8)) setFlagsFromString(flag);
