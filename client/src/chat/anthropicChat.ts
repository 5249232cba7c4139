import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AnthropicError,
  type ClientOptions,
} from '@anthropic-ai/sdk';
import type { Message, MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { ProxyAgent, RequestInfo as UndiciRequestInfo, RequestInit as UndiciRequestInit } from 'undici';
import { estimateCostUsd, type PriceTable } from './pricing';
import type { Usage } from './protocol';
import { scrubProxyCredentials, type ProxyChoice } from './proxy';
import { SET_KEY_COMMAND_TITLE, type CancellationLike, type ChatLog } from './types';

/**
 * Streams one answer from the Messages API with the official SDK and turns every way it can end into a
 * `StreamResult` (it never throws):
 *
 * - `apiKey` and `baseURL` are always passed explicitly, so `ANTHROPIC_API_KEY`/`ANTHROPIC_BASE_URL`/profiles
 *   in the user's environment cannot supply another credential or reroute the key; header names from
 *   `ANTHROPIC_CUSTOM_HEADERS` are removed (set to null) so only our own headers go out.
 * - The SDK logs through our logger at `warn`, and only the message string (never the request/response
 *   details it may pass as extra arguments); the key is scrubbed from everything we log or return.
 * - Cancellation (VS Code token, AbortSignal, or our idle timer) aborts the HTTP request itself.
 * - The partial answer is kept on every error after the stream started.
 * - Usage comes from the message snapshot, whose `message_delta` counters the SDK overwrites (they are
 *   cumulative), so nothing is added twice.
 * - A proxy (`proxy`, decided by proxy.ts) goes through undici's own `fetch` with its `ProxyAgent` as the
 *   dispatcher, loaded only when a proxy applies. Not node's built-in fetch with the npm package's agent: that
 *   pairs two undici majors over an internal interface (node 20 bundles undici 6, the package is 7), and VS
 *   Code's extension host may replace the global fetch with its own proxy-aware one. http targets are sent
 *   to an http proxy in absolute form (`POST http://host/v1/messages`, as curl does; proxies commonly allow
 *   CONNECT to port 443 only), https targets through a CONNECT tunnel, with TLS to the API always verified.
 *   The proxy's credentials (in its URL) only leave as `Proxy-Authorization`; every message and log line is
 *   scrubbed of them.
 */

export { SET_KEY_COMMAND_TITLE };

export interface AnthropicChatOptions {
  apiKey: string;
  /** Always explicit; `https://api.anthropic.com` unless the user configured a gateway. */
  baseURL: string;
  /** Retries before the stream starts (408/409/429/5xx/connection errors), default 2. */
  maxRetries?: number;
  /** Per attempt, until the response headers arrive (ms), default 120 000. */
  timeoutMs?: number;
  /** Abort when no stream event arrives for this long after the stream started (ms), default 120 000. */
  idleTimeoutMs?: number;
  log?: ChatLog;
  prices?: PriceTable;
  /** Extra `RequestInit` for every call. */
  fetchOptions?: ClientOptions['fetchOptions'];
  /** Replaces the fetch (then `proxy` only names the proxy in messages). */
  fetch?: ClientOptions['fetch'];
  /** The route of the calls (proxy.ts `resolveProxy`); direct when absent. */
  proxy?: ProxyChoice;
  /** The environment the SDK would read (default `process.env`); only used to neutralise custom headers. */
  env?: Record<string, string | undefined>;
}

export interface StreamRequest {
  model: string;
  maxTokens: number;
  system: TextBlockParam[];
  messages: MessageParam[];
  /** Text deltas in order. */
  onText?: (delta: string) => void;
  cancellation?: CancellationLike;
  signal?: AbortSignal;
}

export type ChatErrorKind =
  | 'auth'
  | 'permission'
  | 'billing'
  | 'not-found'
  | 'bad-request'
  | 'too-large'
  | 'rate-limit'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'proxy'
  | 'stalled'
  | 'truncated'
  | 'refusal'
  | 'max-tokens'
  | 'unknown';

export interface ChatError {
  kind: ChatErrorKind;
  /** For the user: what happened and what to do. Never contains the key. */
  message: string;
  retryable: boolean;
  status?: number;
  retryAfterSec?: number;
  requestId?: string;
}

export interface StreamResult {
  status: 'done' | 'stopped' | 'error' | 'refusal' | 'max_tokens';
  /** Everything streamed so far (the whole answer when done). */
  text: string;
  model: string;
  usage?: Usage;
  stopReason?: string;
  error?: ChatError;
  requestId?: string;
}

const MAX_ANSWER_CHARS = 490_000;

/** Replaces every occurrence of the secrets in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join('***');
  return out;
}

/** Seconds to wait from `retry-after-ms` / `retry-after` (seconds or HTTP date). */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0)
    return Math.max(1, Math.ceil(ms / 1000));
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs) && secs >= 0) return Math.max(1, Math.ceil(secs));
  const date = Date.parse(raw);
  if (Number.isFinite(date)) return Math.max(1, Math.ceil((date - now) / 1000));
  return undefined;
}

function hostOf(baseURL: string): string {
  try {
    return new URL(baseURL).host;
  } catch {
    return 'the configured base URL';
  }
}

function apiDetail(err: APIError): string {
  const m = (err.apiMessage ?? '').replace(/\s+/g, ' ').trim();
  return m ? `: ${m.length > 300 ? `${m.slice(0, 297)}…` : m}` : '';
}

export interface DescribeContext {
  model: string;
  baseURL: string;
  timeoutMs: number;
  /** Text had arrived before the error. */
  partial: boolean;
  /** The proxy the call went through (its URL without credentials, and where it was configured). */
  proxy?: { display: string; source: string };
}

function viaProxy(ctx: DescribeContext): string {
  return ctx.proxy ? ` through the proxy ${ctx.proxy.display} (from ${ctx.proxy.source})` : '';
}

/** The innermost cause's message (`fetch failed` → `connect ECONNREFUSED 127.0.0.1:3128`). */
function rootCauseMessage(err: unknown): string | undefined {
  let message: string | undefined;
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

/** Errors the API reported: an HTTP status before the stream, or an `event: error` inside it. */
function describeApiError(err: APIError, ctx: DescribeContext): ChatError {
  const requestId = err.requestID ?? undefined;
  const kept = ctx.partial ? ' The partial answer is kept.' : '';
  const base = {
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(requestId ? { requestId } : {}),
  };
  const type = err.type;
  if (err.status === undefined) {
    // An `event: error` in the middle of the stream: a plain APIError with the body's type.
    if (type === 'overloaded_error') {
      return {
        ...base,
        kind: 'overloaded',
        message: `The Anthropic API is overloaded and stopped in the middle of the answer.${kept} Retry in a moment.`,
        retryable: true,
      };
    }
    if (type === 'rate_limit_error') {
      return {
        ...base,
        kind: 'rate-limit',
        message: `Rate limited by the Anthropic API in the middle of the answer.${kept} Retry in a moment.`,
        retryable: true,
      };
    }
    return {
      ...base,
      kind: 'server',
      message: `The Anthropic API reported an error in the middle of the answer (${type ?? 'unknown error'}${apiDetail(err)}).${kept} Retry.`,
      retryable: true,
    };
  }
  switch (err.status) {
    case 401:
      return {
        ...base,
        kind: 'auth',
        message: `The Anthropic API rejected the API key (401). Set a valid key with the command “${SET_KEY_COMMAND_TITLE}” (the key is kept in VS Code's secret storage).`,
        retryable: false,
      };
    case 402:
      return {
        ...base,
        kind: 'billing',
        message: `The Anthropic account has a billing problem (402${apiDetail(err)}). Check the plan and credits in the Anthropic Console.`,
        retryable: false,
      };
    case 403:
      return {
        ...base,
        kind: 'permission',
        message: `The API key is not allowed to do this (403${apiDetail(err)}). Check the key's workspace and model access in the Anthropic Console.`,
        retryable: false,
      };
    case 404:
      return {
        ...base,
        kind: 'not-found',
        message: `Model “${ctx.model}” was not found (404${apiDetail(err)}). Check the model setting (or the agent file's model) and the base URL.`,
        retryable: false,
      };
    case 407:
      return {
        ...base,
        kind: 'proxy',
        message: `The proxy${ctx.proxy ? ` ${ctx.proxy.display} (from ${ctx.proxy.source})` : ''} asks for a login (407 Proxy Authentication Required). Put the user name and password in the proxy URL (http://user:password@host:port) of flaskSentinel.chat.proxy or VS Code's http.proxy.`,
        retryable: false,
      };
    case 413:
      return {
        ...base,
        kind: 'too-large',
        message: 'The request is too large for the API (413). Select less code or a smaller diff.',
        retryable: false,
      };
    case 429: {
      const after = retryAfterSeconds(err.headers);
      return {
        ...base,
        kind: 'rate-limit',
        retryAfterSec: after,
        message: `Rate limited by the Anthropic API (429). ${after !== undefined ? `Retry in ${after} s.` : 'Retry in a moment.'}`,
        retryable: true,
      };
    }
    case 529:
      return {
        ...base,
        kind: 'overloaded',
        message: 'The Anthropic API is overloaded (529). Retry in a moment.',
        retryable: true,
      };
    case 400:
    case 422: {
      const tooLong = /too long|too many tokens|context/i.test(err.apiMessage ?? '');
      return {
        ...base,
        kind: tooLong ? 'too-large' : 'bad-request',
        message: tooLong
          ? `The question is too long for the model (${err.status}${apiDetail(err)}). Select less code.`
          : `The API rejected the request (${err.status}${apiDetail(err)}).`,
        retryable: false,
      };
    }
    case 408:
    case 504:
      return {
        ...base,
        kind: 'timeout',
        message: `The API timed out (${err.status}).${kept} Retry.`,
        retryable: true,
      };
    default:
      if (err.status >= 500) {
        return {
          ...base,
          kind: 'server',
          message: `The Anthropic API had an internal error (${err.status}).${kept}${ctx.proxy ? ` The error may also come from the proxy ${ctx.proxy.display}.` : ''} Retry.`,
          retryable: true,
        };
      }
      return {
        ...base,
        kind: 'unknown',
        message: `The API answered with status ${err.status}${apiDetail(err)}.`,
        retryable: false,
      };
  }
}

/** Maps anything the SDK throws to a message for the user and whether "Retry" makes sense. */
export function describeError(err: unknown, ctx: DescribeContext): ChatError {
  const kept = ctx.partial ? ' The partial answer is kept.' : '';
  if (err instanceof APIConnectionTimeoutError) {
    return {
      kind: 'timeout',
      message: `The request to ${hostOf(ctx.baseURL)}${viaProxy(ctx)} timed out after ${Math.round(ctx.timeoutMs / 1000)} s without a response.${kept} Retry, or raise the timeout setting.`,
      retryable: true,
    };
  }
  if (err instanceof APIConnectionError && ctx.proxy) {
    const cause = rootCauseMessage(err.cause);
    // undici's fetch turns a 407 into a network error ("Proxy Authentication Required (407)"); a CONNECT
    // tunnel refused by the proxy is "Proxy response (N) !== 200 when HTTP Tunneling".
    const refused = /Proxy response \((\d+)\)/.exec(cause ?? '');
    if (refused?.[1] === '407' || /Proxy Authentication Required/i.test(cause ?? '')) {
      return describeApiError(new APIError(407, undefined, undefined, undefined), ctx);
    }
    if (refused) {
      return {
        kind: 'proxy',
        message: `The proxy ${ctx.proxy.display} (from ${ctx.proxy.source}) refused to open a connection to ${hostOf(ctx.baseURL)} (status ${refused[1]}). Check that the proxy allows the Anthropic API, then retry.`,
        retryable: true,
      };
    }
    return {
      kind: 'connection',
      message: `Could not reach the Anthropic API at ${hostOf(ctx.baseURL)}${viaProxy(ctx)}${cause ? ` (${cause.slice(0, 200)})` : ''}. Check that the proxy is running and reachable, and the proxy setting (flaskSentinel.chat.proxy, or VS Code's http.proxy and the HTTPS_PROXY variable), then retry.`,
      retryable: true,
    };
  }
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return {
      kind: 'connection',
      message: `Could not reach the Anthropic API at ${hostOf(ctx.baseURL)}${cause}. Check the network, the proxy and the base URL setting, then retry.`,
      retryable: true,
    };
  }
  if (err instanceof APIError) {
    return describeApiError(err as APIError, ctx);
  }
  if (
    err instanceof AnthropicError &&
    /stream ended|ended without|without sending any chunks/i.test(err.message)
  ) {
    return {
      kind: 'truncated',
      message: `The connection closed before the answer was complete.${kept} Retry.`,
      retryable: true,
    };
  }
  const text = err instanceof Error ? err.message : String(err);
  if (ctx.partial || /terminated|socket|ECONNRESET|other side closed|aborted/i.test(text)) {
    return {
      kind: 'connection',
      message: `The connection was lost in the middle of the answer (${text.slice(0, 200)}).${kept} Retry.`,
      retryable: true,
    };
  }
  return { kind: 'unknown', message: `Unexpected error: ${text.slice(0, 300)}`, retryable: true };
}

function toUsage(
  message: Pick<Message, 'usage'> | undefined,
  model: string,
  prices?: PriceTable,
): Usage | undefined {
  const u = message?.usage;
  if (!u) return undefined;
  const usage: Usage = {
    inputTokens: Math.max(0, Math.trunc(u.input_tokens ?? 0)),
    outputTokens: Math.max(0, Math.trunc(u.output_tokens ?? 0)),
    cacheReadTokens: Math.max(0, Math.trunc(u.cache_read_input_tokens ?? 0)),
    cacheWriteTokens: Math.max(0, Math.trunc(u.cache_creation_input_tokens ?? 0)),
  };
  const cost = estimateCostUsd(model, usage, prices);
  return cost === undefined ? usage : { ...usage, costUsd: cost };
}

/** Header names from ANTHROPIC_CUSTOM_HEADERS, mapped to null (= removed by the SDK). */
function neutraliseEnvHeaders(env: Record<string, string | undefined>): Record<string, null> {
  const out: Record<string, null> = {};
  for (const line of (env['ANTHROPIC_CUSTOM_HEADERS'] ?? '').split('\n')) {
    const name = line.slice(0, Math.max(0, line.indexOf(':'))).trim();
    if (name) out[name] = null;
  }
  return out;
}

export class AnthropicChat {
  private readonly client: Anthropic;
  private readonly options: Required<Pick<AnthropicChatOptions, 'timeoutMs' | 'idleTimeoutMs'>> &
    AnthropicChatOptions;
  /** The proxy's URL with its credentials (for undici and for scrubbing only). */
  private readonly proxyUrl: string | undefined;
  /** Created on the first call through the proxy; closed when no stream is running. */
  private agent: ProxyAgent | undefined;
  private running = 0;

  constructor(options: AnthropicChatOptions) {
    if (!options.baseURL) throw new Error('AnthropicChat: baseURL must be given explicitly');
    this.options = { timeoutMs: 120_000, idleTimeoutMs: 120_000, ...options };
    const log = options.log;
    this.proxyUrl = options.proxy?.kind === 'proxy' ? options.proxy.url : undefined;
    const forward =
      (level: 'error' | 'warn' | 'info' | 'debug') =>
      (message: string): void =>
        log?.(level, this.clean(`anthropic sdk: ${String(message)}`));
    const proxyUrl = this.proxyUrl;
    const fetch = options.fetch ?? (proxyUrl ? this.proxiedFetch(proxyUrl) : undefined);
    this.client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 2,
      timeout: this.options.timeoutMs,
      logger: {
        error: forward('error'),
        warn: forward('warn'),
        info: forward('info'),
        debug: forward('debug'),
      },
      logLevel: 'warn',
      defaultHeaders: neutraliseEnvHeaders(options.env ?? process.env),
      ...(options.fetchOptions ? { fetchOptions: options.fetchOptions } : {}),
      ...(fetch ? { fetch } : {}),
    });
  }

  /** Removes the key and the proxy's credentials from a message or log line. */
  private clean(text: string): string {
    return scrubProxyCredentials(scrub(text, [this.options.apiKey]), this.proxyUrl);
  }

  /** undici's fetch through a ProxyAgent for `proxyUrl` (undici is loaded on the first call). */
  private proxiedFetch(proxyUrl: string): NonNullable<ClientOptions['fetch']> {
    return async (input, init) => {
      const undici = await import('undici');
      this.agent ??= new undici.ProxyAgent({ uri: proxyUrl, proxyTunnel: false });
      // undici's Response is another copy of the class node's global fetch returns, with the same shape.
      return undici.fetch(input as UndiciRequestInfo, {
        ...(init as UndiciRequestInit),
        dispatcher: this.agent,
      });
    };
  }

  private releaseAgent(): void {
    if (this.running > 0 || !this.agent) return;
    const agent = this.agent;
    this.agent = undefined;
    agent.close().catch(() => undefined);
  }

  /** Streams one answer. Never throws; every outcome is a StreamResult. */
  async stream(req: StreamRequest): Promise<StreamResult> {
    const proxy = this.options.proxy;
    if (proxy?.kind === 'invalid') {
      this.options.log?.('warn', this.clean(`chat: not calling the API: ${proxy.message}`));
      return {
        status: 'error',
        text: '',
        model: req.model,
        error: { kind: 'proxy', message: this.clean(proxy.message), retryable: false },
      };
    }
    if (proxy?.kind === 'proxy') {
      this.options.log?.(
        'debug',
        this.clean(
          `chat: calling ${hostOf(this.options.baseURL)} through the proxy ${proxy.display} (from ${proxy.source})`,
        ),
      );
    }
    const ac = new AbortController();
    let reason: 'user' | 'stalled' | undefined;
    const abort = (why: 'user' | 'stalled'): void => {
      reason ??= why;
      ac.abort();
    };
    const subscription = req.cancellation?.onCancellationRequested(() => abort('user'));
    const onSignal = (): void => abort('user');
    req.signal?.addEventListener('abort', onSignal);
    if (req.cancellation?.isCancellationRequested || req.signal?.aborted) abort('user');

    let text = '';
    let snapshot: Message | undefined;
    let requestId: string | undefined;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => abort('stalled'), this.options.idleTimeoutMs);
      idle.unref?.();
    };

    const finish = (
      result: Omit<StreamResult, 'model' | 'text' | 'requestId'> & { model?: string },
    ): StreamResult => {
      const model = result.model ?? snapshot?.model ?? req.model;
      const out: StreamResult = {
        ...result,
        model,
        text,
        usage: result.usage ?? toUsage(snapshot, model, this.options.prices),
        ...(requestId ? { requestId } : {}),
      };
      if (out.error) out.error = { ...out.error, message: this.clean(out.error.message) };
      return out;
    };

    this.running++;
    try {
      if (ac.signal.aborted) return finish({ status: 'stopped' });
      const stream = this.client.messages.stream(
        { model: req.model, max_tokens: req.maxTokens, system: req.system, messages: req.messages },
        { signal: ac.signal },
      );
      stream.on('connect', () => {
        requestId = stream.request_id ?? undefined;
        armIdle();
      });
      stream.on('streamEvent', (_event, snap) => {
        snapshot = snap;
        armIdle();
      });
      stream.on('text', (delta) => {
        if (text.length + delta.length > MAX_ANSWER_CHARS) return;
        text += delta;
        try {
          req.onText?.(delta);
        } catch (err) {
          this.options.log?.(
            'error',
            `chat: onText callback failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      });
      const message = await stream.finalMessage();
      snapshot = message;
      requestId = stream.request_id ?? requestId;
      const usage = toUsage(message, message.model || req.model, this.options.prices);
      switch (message.stop_reason) {
        case 'refusal': {
          const category = message.stop_details?.category;
          return finish({
            status: 'refusal',
            usage,
            stopReason: 'refusal',
            model: message.model,
            error: {
              kind: 'refusal',
              message: `The model declined to answer${category ? ` (category: ${category})` : ''}. Security questions sometimes trigger this: ask about the defensive fix, narrow the selection, or try another persona.`,
              retryable: true,
            },
          });
        }
        case 'max_tokens':
        case 'model_context_window_exceeded':
          return finish({
            status: 'max_tokens',
            usage,
            stopReason: message.stop_reason,
            model: message.model,
            error: {
              kind: 'max-tokens',
              message:
                message.stop_reason === 'max_tokens'
                  ? `The answer reached the limit of ${req.maxTokens} output tokens and was cut off. Raise the max tokens setting or ask a narrower question.`
                  : 'The question and answer filled the model’s context window, so the answer was cut off. Select less code.',
              retryable: true,
            },
          });
        case 'end_turn':
        case 'stop_sequence':
        case 'pause_turn':
        case 'tool_use':
        case null:
          break;
      }
      return finish({
        status: 'done',
        usage,
        stopReason: message.stop_reason ?? undefined,
        model: message.model,
      });
    } catch (err) {
      if (err instanceof APIUserAbortError || ac.signal.aborted) {
        if (reason === 'stalled') {
          return finish({
            status: 'error',
            error: {
              kind: 'stalled',
              message: `No data arrived from the API for ${Math.round(this.options.idleTimeoutMs / 1000)} s, so the request was stopped.${text ? ' The partial answer is kept.' : ''} Retry.`,
              retryable: true,
            },
          });
        }
        return finish({ status: 'stopped' });
      }
      const error = describeError(err, {
        model: req.model,
        baseURL: this.options.baseURL,
        timeoutMs: this.options.timeoutMs,
        partial: text.length > 0,
        ...(proxy?.kind === 'proxy' ? { proxy: { display: proxy.display, source: proxy.source } } : {}),
      });
      this.options.log?.(
        'warn',
        this.clean(
          `chat: request failed: ${error.kind}${error.status ? ` ${error.status}` : ''}${error.requestId ? ` (request ${error.requestId})` : ''}`,
        ),
      );
      requestId ??= error.requestId;
      return finish({ status: 'error', error });
    } finally {
      if (idle) clearTimeout(idle);
      subscription?.dispose();
      req.signal?.removeEventListener('abort', onSignal);
      this.running--;
      this.releaseAgent();
    }
  }
}
