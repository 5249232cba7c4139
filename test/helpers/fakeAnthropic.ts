import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local HTTP server that speaks the Anthropic Messages streaming protocol the way the real API does
 * (../shared/notes/chat-anchors.md §4): `POST /v1/messages` with `Authorization: Bearer <key>`, answered
 * with `text/event-stream` events `message_start` … `message_stop`, or with a JSON error body and status
 * (and `retry-after`, `x-should-retry`, `request-id` headers). Each test scripts the replies; the server
 * records every request (headers, parsed body) and whether the client closed the connection early, so a
 * test can prove that "stop" really aborted the HTTP request. Loopback only.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
  /** Resolves when the response is finished or the connection closed. */
  closed: Promise<void>;
}

export type Step =
  | { event: string; data: unknown; delayMs?: number }
  /** Bytes written as they are (for malformed or split frames). */
  | { raw: string; delayMs?: number }
  /** Destroys the socket (a dropped connection). */
  | { destroy: true; delayMs?: number };

export type Reply =
  | {
      kind: 'stream';
      headers?: Record<string, string>;
      steps: Step[];
      /** After the steps: end the response (default) or keep it open until the client goes away. */
      end?: 'close' | 'hang';
    }
  | { kind: 'error'; status: number; headers?: Record<string, string>; body: unknown }
  | { kind: 'hang' };

export type Script = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface FakeAnthropic {
  baseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFakeAnthropic(script: Script | Reply[]): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pick: Script = Array.isArray(script)
    ? (_req, i) => script[Math.min(i, script.length - 1)] ?? { kind: 'hang' }
    : script;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = undefined;
        }
        let resolveClosed = (): void => {};
        const rec: RecordedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawBody,
          body,
          aborted: false,
          closed: new Promise<void>((r) => (resolveClosed = r)),
        };
        res.on('close', () => {
          if (!res.writableFinished) rec.aborted = true;
          resolveClosed();
        });
        const index = requests.length;
        requests.push(rec);

        const requestId = `req_fake_${index}`;
        if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) {
          res.writeHead(404, { 'content-type': 'application/json', 'request-id': requestId });
          res.end(JSON.stringify(errorBody('not_found_error', `No route ${req.method} ${req.url}`)));
          return;
        }
        if (!/^Bearer \S+$/.test(String(req.headers['authorization'] ?? ''))) {
          res.writeHead(401, { 'content-type': 'application/json', 'request-id': requestId });
          res.end(JSON.stringify(errorBody('authentication_error', 'missing Authorization: Bearer header')));
          return;
        }

        const reply = await pick(rec, index);
        if (reply.kind === 'hang') return;
        if (reply.kind === 'error') {
          res.writeHead(reply.status, {
            'content-type': 'application/json',
            'request-id': requestId,
            ...reply.headers,
          });
          res.end(JSON.stringify(reply.body));
          return;
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'request-id': requestId,
          ...reply.headers,
        });
        res.flushHeaders();
        for (const step of reply.steps) {
          if (step.delayMs) await sleep(step.delayMs);
          if (res.destroyed || rec.aborted) return;
          if ('destroy' in step) {
            req.socket.destroy();
            return;
          }
          res.write(
            'raw' in step ? step.raw : `event: ${step.event}\ndata: ${JSON.stringify(step.data)}\n\n`,
          );
        }
        if (reply.end === 'hang') return;
        res.end();
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function errorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

export interface TextStreamOptions {
  model?: string;
  stopReason?: string;
  stopDetails?: unknown;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Delay before each text delta (ms). */
  delayMs?: number;
  /** Leave out message_delta/message_stop (a truncated stream). */
  truncate?: boolean;
  /** Insert an `event: error` after this many deltas. */
  errorAfter?: number;
  errorType?: string;
}

/** The SSE events of a streamed text answer, as the API sends them. */
export function textEvents(chunks: readonly string[], o: TextStreamOptions = {}): Step[] {
  const steps: Step[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_fake_1',
          type: 'message',
          role: 'assistant',
          model: o.model ?? 'claude-sonnet-5-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: o.inputTokens ?? 12,
            output_tokens: 1,
            cache_creation_input_tokens: o.cacheWriteTokens ?? 0,
            cache_read_input_tokens: o.cacheReadTokens ?? 0,
          },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  for (const [i, text] of chunks.entries()) {
    if (o.errorAfter !== undefined && i === o.errorAfter) break;
    steps.push({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
      delayMs: o.delayMs,
    });
  }
  if (o.errorAfter !== undefined) {
    // The API ends the stream after an error event.
    steps.push({
      event: 'error',
      data: errorBody(o.errorType ?? 'overloaded_error', 'Overloaded'),
      delayMs: o.delayMs,
    });
    return steps;
  }
  if (o.truncate) return steps;
  steps.push(
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: {
          stop_reason: o.stopReason ?? 'end_turn',
          stop_sequence: null,
          stop_details: o.stopDetails ?? null,
        },
        usage: { output_tokens: o.outputTokens ?? 7 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return steps;
}
