import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatHistory, HISTORY_KEY } from '../../client/src/chat/history';
import type { Turn } from '../../client/src/chat/protocol';
import { MemoryStore } from './helpers';

function turn(id: string, extra: Partial<Turn> = {}): Turn {
  return {
    id,
    personaId: 'backend-security-expert',
    personaName: 'backend-security-expert',
    prompt: 'Is this route safe?',
    context: [
      { kind: 'file', label: 'app/views.py', detail: 'python' },
      { kind: 'range', label: 'lines 10–30' },
      { kind: 'finding', label: '2 findings in range' },
    ],
    answer: `Answer ${id}`,
    status: 'done',
    model: 'claude-sonnet-5-5',
    at: Date.UTC(2026, 10, 22, 10, 30),
    ...extra,
  };
}

describe('chat history', () => {
  it('appends, updates and survives a reload', async () => {
    const store = new MemoryStore();
    const h = new ChatHistory(store);
    await h.append(turn('t1', { status: 'streaming', answer: '' }));
    await h.update('t1', {
      status: 'done',
      answer: 'Final',
      usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
    await h.append(turn('t2'));
    const again = new ChatHistory(store);
    assert.deepEqual(
      again.list().map((t) => [t.id, t.status, t.answer]),
      [
        ['t1', 'done', 'Final'],
        ['t2', 'done', 'Answer t2'],
      ],
    );
    assert.equal(await again.update('nope', { answer: 'x' }), undefined);
  });

  it('caps the number of turns and the stored size, oldest first', async () => {
    const store = new MemoryStore();
    const h = new ChatHistory(store, { maxTurns: 3 });
    for (let i = 1; i <= 5; i++) await h.append(turn(`t${i}`));
    assert.deepEqual(
      h.list().map((t) => t.id),
      ['t3', 't4', 't5'],
    );

    const small = new ChatHistory(new MemoryStore(), { maxBytes: 20_000 });
    for (let i = 1; i <= 10; i++) await small.append(turn(`s${i}`, { answer: 'x'.repeat(5_000) }));
    const ids = small.list().map((t) => t.id);
    assert.ok(ids.length < 10 && ids.at(-1) === 's10', ids.join(','));
    const huge = new ChatHistory(new MemoryStore(), { maxBytes: 20_000 });
    await huge.append(turn('big', { answer: 'y'.repeat(100_000) }));
    const big = huge.list()[0];
    assert.ok(big && big.answer.length < 20_000 && big.answer.endsWith('KB)_'));
  });

  it('never stores the API key', async () => {
    const key = ['sk-ant-api03-', 'Z'.repeat(30)].join('');
    const store = new MemoryStore();
    const h = new ChatHistory(store, { secrets: () => [key, 'corp-gateway-token-123'] });
    await h.append(
      turn('t1', {
        prompt: `my key is ${key}`,
        answer: `echo corp-gateway-token-123 and sk-ant-other-${'q'.repeat(20)}`,
        error: { message: `failed with ${key}`, retryable: false },
      }),
    );
    const raw = store.data.get(HISTORY_KEY) ?? '';
    assert.ok(!raw.includes(key));
    assert.ok(!raw.includes('corp-gateway-token-123'));
    assert.ok(!raw.includes('sk-ant-other'));
    assert.match(raw, /\[REDACTED:api-key\]/);
  });

  it('drops invalid stored turns and marks interrupted ones stopped', async () => {
    const store = new MemoryStore();
    await store.update(HISTORY_KEY, {
      v: 1,
      turns: [turn('ok'), { id: 'broken' }, turn('live', { status: 'streaming', answer: 'partial' }), 'junk'],
    });
    const h = new ChatHistory(store);
    const list = h.list();
    assert.deepEqual(
      list.map((t) => [t.id, t.status, t.answer]),
      [
        ['ok', 'done', 'Answer ok'],
        ['live', 'stopped', 'partial'],
      ],
    );
    assert.match(list[1]?.error?.message ?? '', /window was closed/);
    await store.update(HISTORY_KEY, 'not an object');
    assert.deepEqual(new ChatHistory(store).list(), []);
  });

  it('clears', async () => {
    const store = new MemoryStore();
    const h = new ChatHistory(store);
    await h.append(turn('t1'));
    await h.clear();
    assert.deepEqual(h.list(), []);
    assert.deepEqual(new ChatHistory(store).list(), []);
  });

  it('serialises writes so an update never overtakes its append', async () => {
    const order: string[] = [];
    const store = new MemoryStore();
    const slow = {
      get: <T>(k: string) => store.get<T>(k),
      update: async (k: string, v: unknown) => {
        const answer = (v as { turns: Turn[] }).turns[0]?.answer ?? '';
        await new Promise((r) => setTimeout(r, answer === '' ? 30 : 1));
        order.push(answer);
        await store.update(k, v);
      },
    };
    const h = new ChatHistory(slow);
    const a = h.append(turn('t1', { answer: '' }));
    const b = h.update('t1', { answer: 'done' });
    await Promise.all([a, b]);
    assert.deepEqual(order, ['', 'done']);
    assert.equal(new ChatHistory(store).list()[0]?.answer, 'done');
  });

  it('exports Markdown with a heading per turn, persona, time, context, answer, usage and findings', async () => {
    const h = new ChatHistory(new MemoryStore());
    await h.append(
      turn('t1', {
        answer: '### Risk summary\n\nSQL injection on line 14.',
        usage: {
          inputTokens: 1200,
          outputTokens: 300,
          cacheReadTokens: 900,
          cacheWriteTokens: 0,
          costUsd: 0.0123,
        },
        findings: [
          {
            severity: 'high',
            title: 'SQL | injection',
            cwe: 'CWE-89',
            line: 14,
            endLine: 15,
            explanation: 'x',
          },
        ],
      }),
    );
    await h.append(
      turn('t2', {
        status: 'error',
        answer: 'partial',
        offline: true,
        error: { message: 'Overloaded', retryable: true },
      }),
    );
    const md = h.toMarkdown({ now: new Date(Date.UTC(2026, 10, 23)) });
    assert.match(
      md,
      /^# Flask Sentinel — security agent chat\n\n_Exported 2026-11-23T00:00:00\.000Z · 2 turns/,
    );
    assert.match(md, /^## 1\. backend-security-expert — 2026-11-22 10:30:00 UTC$/m);
    assert.match(md, /^## 2\. /m);
    assert.match(md, /^> Is this route safe\?$/m);
    assert.match(md, /\*\*Context:\*\* `app\/views\.py` · lines 10–30 · 2 findings in range/);
    assert.match(md, /\*\*Model:\*\* claude-sonnet-5-5 · \*\*Status:\*\* done/);
    assert.match(
      md,
      /\*\*Usage:\*\* 1200 input · 300 output · 900 cache read · 0 cache write tokens · \$0\.0123 \(estimate\)/,
    );
    assert.match(md, /### Answer\n\n### Risk summary\n\nSQL injection on line 14\./);
    assert.match(md, /\| high \| 14–15 \| CWE-89 \| SQL \\\| injection \|/);
    assert.match(md, /\*\*Status:\*\* error \(offline answer from the local analysis\)/);
    assert.match(md, /\*\*Error:\*\* Overloaded/);
  });
});
