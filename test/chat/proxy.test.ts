import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AnthropicChat, type StreamResult } from '../../client/src/chat/anthropicChat';
import { BUILTIN_PERSONA_IDS, loadPersonas, type Persona } from '../../client/src/chat/personas';
import {
  matchesNoProxy,
  parseNoProxy,
  proxySecrets,
  redactProxyUrl,
  resolveProxy,
  scrubProxyCredentials,
  type ProxyChoice,
  type ProxyInputs,
} from '../../client/src/chat/proxy';
import { ChatSession } from '../../client/src/chat/session';
import type { ToWebview } from '../../client/src/chat/protocol';
import { parseChatSettings, vscodeConfigurationProperties } from '../../server/src/lsp/settingsSchema';
import { startFakeAnthropic, textEvents, type FakeAnthropic, type Reply } from '../helpers/fakeAnthropic';
import { agentsDir, MemoryStore, TestCancellation } from './helpers';

const KEY = ['sk-ant-api03-', 'PROXYKEY', 'z'.repeat(24)].join('');
const USER = 'alice-proxyuser';
/** Contains `:` and `@`, so it must be percent-encoded in the URL and decoded for Proxy-Authorization. */
const PASSWORD = 's3cr3t:Pr0xy@pw';
const PASSWORD_IN_URL = encodeURIComponent(PASSWORD);
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

interface ProxiedRequest {
  method: string;
  /** The request target as the proxy received it (absolute form: `http://host:port/path`). */
  url: string;
  proxyAuthorization?: string;
}

interface TestProxy {
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** CONNECT requests (none expected: http targets go in absolute form). */
  connects: string[];
  close(): Promise<void>;
}

/**
 * A loopback forward proxy: takes absolute-form requests (`POST http://127.0.0.1:PORT/v1/messages`), records
 * them, checks `Proxy-Authorization` when `basic` is set (407 otherwise), and forwards them to the target with
 * the response streamed back. CONNECT is recorded and refused.
 */
async function startProxy(basic?: string): Promise<TestProxy> {
  const requests: ProxiedRequest[] = [];
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const target = req.url ?? '';
    const auth = req.headers['proxy-authorization'];
    requests.push({
      method: req.method ?? '',
      url: target,
      ...(typeof auth === 'string' ? { proxyAuthorization: auth } : {}),
    });
    if (!/^http:\/\//.test(target)) {
      res.writeHead(400).end('absolute-form requests only');
      return;
    }
    if (basic && auth !== `Basic ${basic}`) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-type': 'text/plain' });
      res.end('Proxy Authentication Required');
      return;
    }
    const u = new URL(target);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('bad gateway');
      else res.destroy();
    });
    // The client went away (stop): drop the upstream request too, as a real proxy does.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    connects.push(req.url ?? '');
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers) await close();
});

async function fake(replies: Reply[]): Promise<FakeAnthropic> {
  const s = await startFakeAnthropic(replies);
  closers.push(() => s.close());
  return s;
}

async function proxy(basic?: string): Promise<TestProxy> {
  const p = await startProxy(basic);
  closers.push(() => p.close());
  return p;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const ANSWER = ['Use ', 'parameterised ', 'queries.'];

interface Run {
  choice: ProxyChoice;
  result: StreamResult;
  deltas: string[];
  logs: string[];
}

async function ask(
  server: FakeAnthropic,
  inputs: Partial<ProxyInputs>,
  request: { cancelAfterDeltas?: number } = {},
): Promise<Run> {
  const choice = resolveProxy({ setting: '', env: {}, baseURL: server.baseURL, ...inputs });
  const logs: string[] = [];
  const chat = new AnthropicChat({
    apiKey: KEY,
    baseURL: server.baseURL,
    maxRetries: 0,
    timeoutMs: 5_000,
    proxy: choice,
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  const deltas: string[] = [];
  const cancellation = new TestCancellation();
  const result = await chat.stream({
    model: 'claude-sonnet-5-5',
    maxTokens: 256,
    system: [{ type: 'text', text: 'You review Flask code.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Is this safe?' }] }],
    cancellation,
    onText: (d) => {
      deltas.push(d);
      if (request.cancelAfterDeltas !== undefined && deltas.length >= request.cancelAfterDeltas)
        cancellation.cancel();
    },
  });
  return { choice, result, deltas, logs };
}

/** Neither the key nor any form of the proxy's credentials may appear in a result, message or log line. */
function assertNoSecrets(run: Pick<Run, 'result' | 'logs'>): void {
  const all = JSON.stringify(run.result) + run.logs.join('\n');
  for (const secret of [KEY, PASSWORD, PASSWORD_IN_URL, BASIC, USER, `${USER}:`]) {
    assert.ok(!all.includes(secret), `leaked ${JSON.stringify(secret)} in ${all}`);
  }
}

describe('model calls through a proxy (real SDK, loopback proxy, fake Messages API)', () => {
  it('streams the answer through the configured proxy, in absolute form', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy();
    const r = await ask(server, { setting: p.url });
    assert.deepEqual(r.choice, {
      kind: 'proxy',
      url: p.url,
      display: p.url,
      source: 'flaskSentinel.chat.proxy',
    });
    assert.equal(r.result.status, 'done', JSON.stringify(r.result.error));
    assert.deepEqual(r.deltas, ANSWER);
    assert.equal(r.result.text, ANSWER.join(''));
    assert.deepEqual(
      p.requests.map((q) => `${q.method} ${q.url}`),
      [`POST ${server.baseURL}/v1/messages`],
    );
    assert.deepEqual(p.connects, []);
    assert.equal(p.requests[0]?.proxyAuthorization, undefined);
    // The API saw the request the proxy forwarded, with the key as before.
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers['authorization'], `Bearer ${KEY}`);
    assert.ok(r.logs.some((l) => l.includes(`through the proxy ${p.url} (from flaskSentinel.chat.proxy)`)));
  });

  it('follows VS Code http.proxy, then HTTP_PROXY (a bare host:port), when the setting is empty', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const fromVscode = await proxy();
    const fromEnv = await proxy();
    const envValue = `127.0.0.1:${fromEnv.port}`;

    const viaVscode = await ask(server, { vscodeProxy: fromVscode.url, env: { HTTP_PROXY: envValue } });
    assert.equal(viaVscode.result.status, 'done');
    assert.equal(viaVscode.choice.kind === 'proxy' && viaVscode.choice.source, 'http.proxy');
    assert.equal(fromVscode.requests.length, 1);
    assert.equal(fromEnv.requests.length, 0);

    const viaEnv = await ask(server, { env: { HTTP_PROXY: envValue } });
    assert.equal(viaEnv.result.status, 'done');
    assert.equal(viaEnv.choice.kind === 'proxy' && viaEnv.choice.source, 'HTTP_PROXY');
    assert.equal(fromEnv.requests.length, 1);
    assert.equal(server.requests.length, 2);
  });

  it('NO_PROXY (or http.noProxy) matching the API host bypasses the inherited proxy', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy();
    const env = { HTTP_PROXY: p.url, NO_PROXY: 'localhost,127.0.0.1' };
    const r = await ask(server, { env });
    assert.equal(r.choice.kind, 'direct');
    assert.match(r.choice.kind === 'direct' ? r.choice.reason : '', /NO_PROXY/);
    assert.equal(r.result.status, 'done');
    assert.deepEqual(r.deltas, ANSWER);

    const lower = await ask(server, { env: { http_proxy: p.url, no_proxy: '*' } });
    assert.equal(lower.choice.kind, 'direct');
    const fromVscode = await ask(server, { vscodeProxy: p.url, vscodeNoProxy: ['127.0.0.1'] });
    assert.equal(fromVscode.choice.kind, 'direct');
    assert.equal(fromVscode.result.status, 'done');

    assert.equal(p.requests.length, 0, 'the proxy saw nothing');
    assert.equal(server.requests.length, 3);
  });

  it('"direct" bypasses every proxy (setting, http.proxy and the environment)', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy();
    const r = await ask(server, { setting: 'direct', vscodeProxy: p.url, env: { HTTP_PROXY: p.url } });
    assert.deepEqual(r.choice, { kind: 'direct', reason: 'flaskSentinel.chat.proxy is "direct"' });
    assert.equal(r.result.status, 'done');
    assert.equal(p.requests.length, 0);
    assert.equal(server.requests.length, 1);
  });

  it('user:password in the URL goes to the proxy as Proxy-Authorization and nowhere else', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy(BASIC);
    const withLogin = `http://${USER}:${PASSWORD_IN_URL}@127.0.0.1:${p.port}`;
    const r = await ask(server, { setting: withLogin });
    assert.equal(r.result.status, 'done', JSON.stringify(r.result.error));
    assert.deepEqual(r.deltas, ANSWER);
    assert.equal(p.requests[0]?.proxyAuthorization, `Basic ${BASIC}`);
    assert.equal(server.requests[0]?.headers['proxy-authorization'], undefined);
    assert.equal(r.choice.kind === 'proxy' && r.choice.display, `http://***@127.0.0.1:${p.port}`);
    assert.ok(r.logs.some((l) => l.includes(`http://***@127.0.0.1:${p.port}`)));
    assertNoSecrets(r);
    // The display form is all that any text carries.
    assert.ok(!JSON.stringify(r.choice).replace(withLogin, '').includes(PASSWORD_IN_URL));
  });

  it('a wrong proxy login is a 407 that says so, without the credentials', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy(Buffer.from('someone:else').toString('base64'));
    const r = await ask(server, { setting: `http://${USER}:${PASSWORD_IN_URL}@127.0.0.1:${p.port}` });
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'proxy');
    assert.equal(r.result.error?.status, 407);
    assert.equal(r.result.error?.retryable, false);
    assert.match(r.result.error?.message ?? '', /asks for a login \(407/);
    assert.match(r.result.error?.message ?? '', new RegExp(`http://\\*\\*\\*@127\\.0\\.0\\.1:${p.port}`));
    assert.equal(server.requests.length, 0, 'nothing reached the API');
    assertNoSecrets(r);
  });

  it('an unreachable proxy is a retryable connection error that names the proxy, not its login', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const port = await closedPort();
    const r = await ask(server, {
      env: { HTTP_PROXY: `http://${USER}:${PASSWORD_IN_URL}@127.0.0.1:${port}` },
    });
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'connection');
    assert.equal(r.result.error?.retryable, true);
    const message = r.result.error?.message ?? '';
    assert.match(
      message,
      new RegExp(
        `Could not reach the Anthropic API at 127\\.0\\.0\\.1:\\d+ through the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(from HTTP_PROXY\\)`,
      ),
    );
    assert.match(message, /ECONNREFUSED/);
    assert.match(message, /proxy setting/);
    assert.equal(server.requests.length, 0);
    assertNoSecrets(r);
  });

  it('an unsupported proxy (SOCKS) fails clearly instead of silently going direct', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const r = await ask(server, { vscodeProxy: `socks5://${USER}:${PASSWORD_IN_URL}@127.0.0.1:1080` });
    assert.equal(r.choice.kind, 'invalid');
    assert.equal(r.result.status, 'error');
    assert.equal(r.result.error?.kind, 'proxy');
    assert.equal(r.result.error?.retryable, false);
    assert.match(r.result.error?.message ?? '', /from http\.proxy \(socks5:\/\/\*\*\*@127\.0\.0\.1:1080\)/);
    assert.match(r.result.error?.message ?? '', /only http:\/\/ and https:\/\/ proxies/);
    assert.equal(server.requests.length, 0);
    assertNoSecrets(r);
  });

  it('stop aborts the HTTP request through the proxy, keeping the partial answer', async () => {
    const chunks = ['one ', 'two ', 'three ', 'four'];
    const server = await fake([{ kind: 'stream', steps: textEvents(chunks, { delayMs: 60 }), end: 'hang' }]);
    const p = await proxy();
    const r = await ask(server, { setting: p.url }, { cancelAfterDeltas: 2 });
    assert.equal(r.result.status, 'stopped');
    assert.equal(r.result.text, 'one two ');
    await server.requests[0]?.closed;
    assert.equal(server.requests[0]?.aborted, true, 'the API saw the connection close');
  });
});

describe('the chat session passes the route to the SDK client', () => {
  let personas: Persona[] = [];
  before(async () => {
    personas = await loadPersonas({ builtinDir: agentsDir, workspaceFolders: [], trusted: false });
  });

  it('a question is answered through the proxy in the session settings', async () => {
    const server = await fake([{ kind: 'stream', steps: textEvents(ANSWER) }]);
    const p = await proxy();
    const posted: ToWebview[] = [];
    const logs: string[] = [];
    const session = new ChatSession({
      personas: () => personas,
      projectContext: () => undefined,
      rules: () => [],
      getApiKey: () => Promise.resolve(KEY),
      settings: () => ({
        model: 'claude-sonnet-5-5',
        maxTokens: 256,
        baseURL: server.baseURL,
        maxRetries: 0,
        timeoutMs: 5_000,
        proxy: resolveProxy({ setting: '', vscodeProxy: p.url, env: {}, baseURL: server.baseURL }),
      }),
      store: new MemoryStore(),
      post: (m) => posted.push(m),
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
    const [turn] = await session.ask({
      personaId: BUILTIN_PERSONA_IDS[0] ?? '',
      prompt: 'Review this',
      context: { path: 'app.py', selection: { text: 'x = 1', startLine: 1, endLine: 1 } },
    });
    assert.equal(turn?.status, 'done', JSON.stringify(turn?.error));
    assert.equal(turn?.answer, ANSWER.join(''));
    assert.equal(p.requests.length, 1);
    assert.ok(posted.some((m) => m.type === 'turnEnd'));
  });
});

describe('resolveProxy', () => {
  const https = 'https://api.anthropic.com';
  const route = (inputs: Partial<ProxyInputs>): string => {
    const c = resolveProxy({ setting: '', env: {}, baseURL: https, ...inputs });
    return c.kind === 'proxy' ? `${c.source} ${c.display}` : c.kind;
  };

  it('takes the setting, then http.proxy, then the environment', () => {
    const env = { HTTPS_PROXY: 'http://env:1', HTTP_PROXY: 'http://env:2' };
    assert.equal(
      route({ setting: 'http://set:3', vscodeProxy: 'http://vs:4', env }),
      'flaskSentinel.chat.proxy http://set:3',
    );
    assert.equal(route({ vscodeProxy: 'http://vs:4', env }), 'http.proxy http://vs:4');
    assert.equal(route({ vscodeProxy: '  ', env }), 'HTTPS_PROXY http://env:1');
    assert.equal(route({}), 'direct');
    assert.equal(route({ setting: 'DIRECT', env }), 'direct');
  });

  it('reads the https_* pair (lower case first) for an https API, only the http_* pair for an http one', () => {
    assert.equal(
      route({ env: { https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2' } }),
      'https_proxy http://a:1',
    );
    assert.equal(route({ env: { HTTP_PROXY: 'http://c:3' } }), 'HTTP_PROXY http://c:3');
    assert.equal(route({ env: { HTTPS_PROXY: '', HTTP_PROXY: 'http://c:3' } }), 'HTTP_PROXY http://c:3');
    assert.equal(route({ env: { HTTPS_PROXY: 'http://b:2' }, baseURL: 'http://gateway.local' }), 'direct');
    assert.equal(route({ env: { HTTPS_PROXY: 'proxy.corp:3128' } }), 'HTTPS_PROXY http://proxy.corp:3128');
  });

  it('applies NO_PROXY and http.noProxy to inherited proxies only', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.anthropic.com' };
    assert.equal(route({ env }), 'direct');
    assert.equal(route({ env, setting: 'http://set:3' }), 'flaskSentinel.chat.proxy http://set:3');
    assert.equal(route({ vscodeProxy: 'http://vs:4', vscodeNoProxy: ['api.anthropic.com'] }), 'direct');
    assert.equal(
      route({ vscodeProxy: 'http://vs:4', env: { no_proxy: 'example.com' } }),
      'http.proxy http://vs:4',
    );
  });

  it('reports an unusable proxy with its source, redacted', () => {
    const c = resolveProxy({ setting: '', env: { HTTPS_PROXY: 'http://u:pw@' }, baseURL: https });
    assert.equal(c.kind, 'invalid');
    assert.match(
      c.kind === 'invalid' ? c.message : '',
      /from HTTPS_PROXY \(http:\/\/\*\*\*@\) is not a valid URL/,
    );
  });
});

describe('NO_PROXY matching', () => {
  const t = (url: string, list: string): boolean => matchesNoProxy(new URL(url), parseNoProxy(list));
  it('matches hosts, subdomains, ports, wildcards, IPv4 blocks and IPv6', () => {
    assert.equal(t('https://api.anthropic.com', '*'), true);
    assert.equal(t('https://api.anthropic.com', 'anthropic.com'), true);
    assert.equal(t('https://api.anthropic.com', '.anthropic.com'), true);
    assert.equal(t('https://api.anthropic.com', '*.anthropic.com'), true);
    assert.equal(t('https://api.anthropic.com', 'notanthropic.com, example.org'), false);
    assert.equal(t('https://api.anthropic.com', 'api.anthropic.com:443'), true);
    assert.equal(t('https://api.anthropic.com', 'api.anthropic.com:8443'), false);
    assert.equal(t('http://10.1.2.3:8080', '10.0.0.0/8'), true);
    assert.equal(t('http://11.1.2.3:8080', '10.0.0.0/8'), false);
    assert.equal(t('http://[::1]:8080', '[::1]'), true);
    assert.equal(t('http://127.0.0.1:9', 'localhost 127.0.0.1'), true);
    assert.equal(t('https://api.anthropic.com', ''), false);
  });
});

describe('proxy credentials in text', () => {
  const url = `http://${USER}:${PASSWORD_IN_URL}@proxy.corp:3128`;
  it('redacts the URL for display', () => {
    assert.equal(redactProxyUrl(url), 'http://***@proxy.corp:3128');
    assert.equal(redactProxyUrl('http://proxy.corp:3128/'), 'http://proxy.corp:3128');
    assert.equal(redactProxyUrl('user:pw@not a url'), '***@not a url');
  });
  it('scrubs every form of the credentials from a message', () => {
    const message = `failed: ${url} ${PASSWORD} ${PASSWORD_IN_URL} Basic ${BASIC} ${USER}:${PASSWORD}`;
    const out = scrubProxyCredentials(message, url);
    for (const s of proxySecrets(url)) assert.ok(!out.includes(s), s);
    assert.ok(!out.includes(PASSWORD) && !out.includes(BASIC) && !out.includes(PASSWORD_IN_URL), out);
    assert.match(out, /http:\/\/\*\*\*@proxy\.corp:3128/);
    assert.deepEqual(proxySecrets('http://proxy.corp:3128'), []);
  });
});

describe('the flaskSentinel.chat.proxy setting', () => {
  it('accepts empty, "direct" and http(s) URLs; anything else falls back to empty without echoing it', () => {
    for (const ok of ['', 'direct', 'http://proxy:3128', `https://${USER}:${PASSWORD_IN_URL}@proxy:443`]) {
      const { settings, problems } = parseChatSettings({ proxy: ok });
      assert.deepEqual(problems, [], ok);
      assert.equal(settings.proxy, ok);
    }
    for (const bad of [`socks5://${USER}:${PASSWORD_IN_URL}@proxy:1080`, 'proxy:3128', 'http://', 42]) {
      const { settings, problems } = parseChatSettings({ proxy: bad });
      assert.equal(settings.proxy, '');
      assert.equal(problems.length, 1, String(bad));
      assert.ok(!problems[0]?.includes(PASSWORD_IN_URL));
    }
  });

  it('is application-scoped (a workspace cannot set it) and says PAC files are not supported', () => {
    const p = vscodeConfigurationProperties()['flaskSentinel.chat.proxy'] as {
      scope: string;
      default: string;
      markdownDescription: string;
    };
    assert.equal(p.scope, 'application');
    assert.equal(p.default, '');
    assert.match(p.markdownDescription, /PAC files .* not supported/);
  });
});
