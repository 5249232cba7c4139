import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelTick, nextTick } from '../../server/src/lsp/tick';

/** The ticks long loops yield with: they must let queued work run, not resolve as a microtask. */
describe('ticks', () => {
  for (const [name, tick] of [
    ['nextTick', nextTick],
    ['channelTick (a web worker has no setImmediate)', channelTick],
  ] as const) {
    it(`${name} resolves on a later task, after the microtasks queued meanwhile`, async () => {
      const order: string[] = [];
      const ticked = tick().then(() => order.push('tick'));
      // A chain of microtasks longer than any promise plumbing inside the tick.
      let chain = Promise.resolve();
      for (let i = 0; i < 20; i++) chain = chain.then(() => undefined);
      await chain.then(() => order.push('microtasks'));
      await ticked;
      assert.deepEqual(order, ['microtasks', 'tick']);
    });
  }

  it('channelTick resolves every time, however many are chained', async () => {
    for (let i = 0; i < 100; i++) await channelTick();
  });
});
