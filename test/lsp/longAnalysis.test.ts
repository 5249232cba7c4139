import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSingleFile } from '../../bench/generate';
import { RULES_REQUEST } from '../../server/src/lsp/protocol';
import { LspClient } from '../helpers/lspClient';

/**
 * A whole-file analysis of a large document takes a second or more. The server runs its rules in slices
 * and takes other messages in between: requests are answered meanwhile, and a newer version of the
 * document stops the analysis of the older one instead of waiting for it.
 */
describe('language server: long analyses', () => {
  // About 20,000 lines (766 KB): the first analysis of it is a whole-file one.
  const text = generateSingleFile(20000, 20260701 + 20000);
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ pull: true });
  });
  after(() => client.stop());

  it('answers other requests while a large file is analysed', async () => {
    const uri = 'untitled:long-analysis.py';
    await client.open(uri, text, 1);
    const answered: string[] = [];
    const pulled = client.pull(uri).then((items) => {
      answered.push('diagnostics');
      return items;
    });
    // Well inside the analysis, which a request that has to wait for it would come after.
    await sleep(300);
    const rules = client.request<unknown[]>(RULES_REQUEST, {}).then((list) => {
      answered.push('rules');
      return list;
    });
    const [items, list] = await Promise.all([pulled, rules]);
    assert.ok(items.length > 0, 'the analysis still finishes');
    assert.ok(list.length > 0);
    assert.deepEqual(answered, ['rules', 'diagnostics']);
    await client.close(uri);
  });

  it('stops analysing a version as soon as a newer one arrives', async () => {
    const uri = 'untitled:long-analysis-edited.py';
    await client.open(uri, text, 1);
    const first = client.pull(uri).then(
      () => 'answered',
      (error: unknown) => (error as { code?: number }).code,
    );
    await sleep(300);
    const lines = text.split('\n');
    const position = { line: lines.length - 1, character: (lines[lines.length - 1] as string).length };
    await client.change(uri, 2, [{ range: { start: position, end: position }, text: '# edited\n' }]);
    const second = await client.pull(uri);
    // ServerCancelled (-32802): the client asks again, for the version it has.
    assert.equal(await first, -32802);
    assert.ok(second.length > 0);
    await client.close(uri);
  });
});
