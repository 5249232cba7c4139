import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { extensionApi } from './helpers';

/**
 * Activation must stay light: the chat (the SDK, zod, markdown-it) is a separate bundle loaded on first use,
 * and the server starts in the background. The figures are printed for the closing note; the bound is
 * generous (these machines are noisy) and only catches a regression such as the chat being loaded eagerly.
 */
describe('activation', () => {
  it('activate() returns quickly and the server answers soon after', async () => {
    const api = await extensionApi();
    const { activateMs, serverReadyMs } = api.timings();
    console.log(
      `[flask-sentinel-e2e] activate() ${activateMs.toFixed(1)} ms, server ready ${String(serverReadyMs?.toFixed(0))} ms`,
    );
    assert.ok(activateMs < 500, `activate() took ${activateMs.toFixed(0)} ms`);
    assert.ok(
      serverReadyMs !== undefined && serverReadyMs < 15_000,
      `server ready after ${String(serverReadyMs)} ms`,
    );
  });
});
