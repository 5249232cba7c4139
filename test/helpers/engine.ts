import { Engine } from '../../server/src/engine/engine';

let shared: Promise<Engine> | undefined;

/** One engine per test process: loading the grammar once keeps the suite fast. */
export function engine(): Promise<Engine> {
  shared ??= Engine.create();
  return shared;
}
