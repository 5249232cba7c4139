import { setFlagsFromString } from 'node:v8';

/**
 * How fast V8 lets the old generation grow: by half (1 + 50/100) of what survived each full collection,
 * instead of V8's own factor of up to four.
 *
 * Both the CLI and the language server keep little alive for long next to what they allocate: each
 * analysis builds models that outlive a few young-generation collections, are moved to the old generation,
 * and die there. With V8's factor the old generation grew to several times what was live before it was
 * collected again, mostly garbage: a CLI scan of 160k lines kept 18-20 MiB live in a heap of 110-120 MiB,
 * and its peak RSS sat at the 200 MiB limit. Measured on Node 20, alternated runs: the CLI at 160k
 * lines 187 -> 169 MiB peak RSS (median), the language server typing into a 20,000-line file 262-267 ->
 * 234-235 MiB and into a 5,000-line one 170 -> 155-160 MiB; wall times and keystroke latencies unchanged
 * within noise (full collections are cheap when little is live: 2-5 ms each in a scan), 0.8% more
 * instructions in a one-thread 50k-line scan.
 *
 * V8 reads the setting at each collection, so setting it at start-up, after the heap exists, takes effect.
 * The flag has had this name since V8 5; a V8 that did not know it would print an error on every run, which
 * test/cli/v8Flags.test.ts guards against for the node running the tests and Node 24.
 */
export const HEAP_GROWTH_FLAG = '--heap-growing-percent=50';

export function limitHeapGrowth(): void {
  setFlagsFromString(HEAP_GROWTH_FLAG);
}
