import { setFlagsFromString } from 'node:v8';

/**
 * V8's optimizing compiler, tuned for a scan: imported first by the CLI's entry point, before any engine
 * code has run, and inherited by the scan's worker threads (V8 flags belong to the process).
 *
 * A scan runs each of the engine's many functions over a few hundred files and then exits. With V8's
 * default interrupt budget, TurboFan optimizes every function that gets a little warm: on the 50k-line
 * bench code base that was about 0.9 s of compiler CPU per thread, a third of the scan. Each worker thread
 * compiles its own copy, so on two cores a second thread saved no time at all (2.0 s with one thread or
 * two). A budget about 15 times the default (67,584 bytes of bytecode) leaves only the functions that stay
 * hot to the optimizer: 2.0 -> 1.4 s at 50k lines and 4.5 -> 3.6 s at 160k, with less CPU and memory.
 *
 * The flag changes when code is optimized, never what it computes. The language server does not take it:
 * it lives for hours, and there the sooner its hot paths are optimized the better (its keystroke median
 * measured about 10% slower with it).
 */
setFlagsFromString('--interrupt-budget=1000000');
