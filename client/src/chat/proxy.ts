/**
 * Which proxy (if any) the chat's model calls go through, decided from the settings and the environment.
 * Pure and browser-safe: no node modules and no undici here (the web bundle imports this file through the
 * chat controller); anthropicChat.ts turns a `proxy` choice into undici's `fetch` with a `ProxyAgent`.
 *
 * `flaskSentinel.chat.proxy` (application scope, so a workspace cannot set it):
 * - an `http://` or `https://` URL: every model call goes through it (NO_PROXY does not apply: it was chosen
 *   for this extension explicitly);
 * - `direct`: no proxy, whatever VS Code or the environment say;
 * - empty (the default): VS Code's `http.proxy` (user settings), then `https_proxy`/`HTTPS_PROXY`, then
 *   `http_proxy`/`HTTP_PROXY` for an https API (only the `http_*` pair for an http one, as undici's
 *   EnvHttpProxyAgent does), unless `no_proxy`/`NO_PROXY` or VS Code's `http.noProxy` match the API's host.
 *
 * PAC files (`http.proxyAutoconfig`, WPAD) and SOCKS proxies are not supported: a SOCKS or otherwise unusable
 * proxy yields an `invalid` choice, which fails the request with a message saying so, rather than silently
 * going direct.
 *
 * Credentials: a proxy URL may carry `user:password@`. They go to the proxy as `Proxy-Authorization: Basic`
 * (undici builds it from the URL) and nowhere else: every text meant for a log or the user shows the URL
 * through `redactProxyUrl` (`http://***@proxy:8080`), and `scrubProxyCredentials` removes them from messages
 * that come from elsewhere (the SDK, undici).
 */

export const DIRECT = 'direct';

/** Where a proxy came from, for messages ("from http.proxy"). */
export type ProxySource =
  'flaskSentinel.chat.proxy' | 'http.proxy' | 'https_proxy' | 'HTTPS_PROXY' | 'http_proxy' | 'HTTP_PROXY';

export type ProxyChoice =
  | { kind: 'direct'; reason: string }
  | {
      kind: 'proxy';
      /** The URL as configured, credentials included: for undici only, never for a message or a log. */
      url: string;
      /** The URL without credentials. */
      display: string;
      source: ProxySource;
    }
  | { kind: 'invalid'; display: string; source: ProxySource; message: string };

export interface ProxyInputs {
  /** `flaskSentinel.chat.proxy`: '', 'direct' or an http(s) URL. */
  setting: string;
  /** VS Code's `http.proxy` (user settings). */
  vscodeProxy?: string;
  /** VS Code's `http.noProxy` (user settings). */
  vscodeNoProxy?: readonly string[];
  /** The extension host's environment (`process.env`). */
  env: Record<string, string | undefined>;
  /** The API base URL the calls go to. */
  baseURL: string;
}

/** `scheme://user:pass@host` → `scheme://***@host`; text that is not a URL loses everything before an `@`. */
export function redactProxyUrl(raw: string): string {
  const url = parseProxyUrl(raw);
  if (url) {
    const auth = url.username || url.password ? '***@' : '';
    const path = url.pathname && url.pathname !== '/' ? url.pathname : '';
    return `${url.protocol}//${auth}${url.host}${path}`;
  }
  return redactUserinfo(raw.trim()).slice(0, 200);
}

/** Removes the credentials of `proxyUrl` (and any `//user:pass@` userinfo) from a message. */
export function scrubProxyCredentials(text: string, proxyUrl: string | undefined): string {
  let out = redactUserinfo(text);
  if (!proxyUrl) return out;
  for (const secret of proxySecrets(proxyUrl)) out = out.split(secret).join('***');
  return out;
}

/** The strings that would reveal the proxy's credentials: the password (raw and decoded), `user:pass`, and
 * the `Proxy-Authorization` token. Empty when the URL has none. */
export function proxySecrets(proxyUrl: string): string[] {
  const url = parseProxyUrl(proxyUrl);
  if (!url || (!url.username && !url.password)) return [];
  const user = safeDecode(url.username);
  const pass = safeDecode(url.password);
  const out = new Set<string>([
    `${url.username}:${url.password}`,
    `${user}:${pass}`,
    base64(`${user}:${pass}`),
  ]);
  // A very short password would also match ordinary words; the forms above still catch it in context.
  for (const p of [url.password, pass]) if (p.length >= 4) out.add(p);
  return [...out].filter((s) => s.length > 1).sort((a, b) => b.length - a.length);
}

/** Decides the route of the model calls to `baseURL`. */
export function resolveProxy(inputs: ProxyInputs): ProxyChoice {
  const setting = inputs.setting.trim();
  if (setting.toLowerCase() === DIRECT) {
    return { kind: 'direct', reason: 'flaskSentinel.chat.proxy is "direct"' };
  }
  if (setting) return choose(setting, 'flaskSentinel.chat.proxy', false);

  let target: URL;
  try {
    target = new URL(inputs.baseURL);
  } catch {
    return { kind: 'direct', reason: 'the base URL is not a URL' };
  }
  const inherited = inheritedProxy(inputs, target.protocol);
  if (!inherited) return { kind: 'direct', reason: 'no proxy is configured' };

  const noProxy = [...parseNoProxy(envValue(inputs.env, 'no_proxy')), ...(inputs.vscodeNoProxy ?? [])];
  if (matchesNoProxy(target, noProxy)) {
    return {
      kind: 'direct',
      reason: `${target.host} matches NO_PROXY/http.noProxy (the proxy from ${inherited.source} is not used)`,
    };
  }
  return choose(inherited.value, inherited.source, true);
}

/** The proxy VS Code or the environment configure for a target with this protocol (`https:`). */
function inheritedProxy(
  inputs: ProxyInputs,
  protocol: string,
): { value: string; source: ProxySource } | undefined {
  const vscodeProxy = inputs.vscodeProxy?.trim();
  if (vscodeProxy) return { value: vscodeProxy, source: 'http.proxy' };
  const names: ProxySource[] =
    protocol === 'https:'
      ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']
      : ['http_proxy', 'HTTP_PROXY'];
  for (const name of names) {
    const value = inputs.env[name]?.trim();
    if (value) return { value, source: name };
  }
  return undefined;
}

function choose(raw: string, source: ProxySource, fromEnvironment: boolean): ProxyChoice {
  // Environment variables often omit the scheme (`proxy.corp:3128`): that means http.
  const value = fromEnvironment && !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? `http://${raw}` : raw;
  const display = redactProxyUrl(value);
  const url = parseProxyUrl(value);
  const fix =
    source === 'flaskSentinel.chat.proxy'
      ? 'Fix the setting flaskSentinel.chat.proxy'
      : `Fix ${source}, or set flaskSentinel.chat.proxy to a proxy URL or to "direct"`;
  if (!url) {
    return {
      kind: 'invalid',
      display,
      source,
      message: `The proxy from ${source} (${display}) is not a valid URL. ${fix}.`,
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      kind: 'invalid',
      display,
      source,
      message: `The proxy from ${source} (${display}) uses ${url.protocol.replace(/:$/, '')}, which the agents do not support: only http:// and https:// proxies are (no SOCKS, no PAC files). ${fix}.`,
    };
  }
  return { kind: 'proxy', url: value, display, source };
}

/** NO_PROXY's entries: separated by commas or white space, lower case. */
export function parseNoProxy(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Whether a NO_PROXY list exempts the target, as curl and undici read it: `*` matches everything; `host`,
 * `.host` and `*.host` match the host and its subdomains; `host:port` only that port; an IPv4 address or
 * CIDR block (`10.0.0.0/8`) matches an IPv4 target; `[::1]` an IPv6 one.
 */
export function matchesNoProxy(target: URL, entries: readonly string[]): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let name = entry;
    let entryPort: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      name = bracketed[1] ?? '';
      entryPort = bracketed[2];
    } else {
      const withPort = /^([^:]+):(\d+)$/.exec(entry);
      if (withPort) {
        name = withPort[1] ?? '';
        entryPort = withPort[2];
      }
    }
    if (entryPort && entryPort !== port) continue;
    if (name.includes('/')) {
      if (inCidr(host, name)) return true;
      continue;
    }
    name = name.replace(/^\*?\./, '');
    if (!name) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = ipv4(host);
  const b = ipv4(base ?? '');
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let out = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out = out * 256 + Number(p);
  }
  return out;
}

function envValue(env: Record<string, string | undefined>, lower: string): string | undefined {
  const v = env[lower] ?? env[lower.toUpperCase()];
  return v?.trim() ? v : undefined;
}

function parseProxyUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw.trim());
    return url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

/** `//user:pass@` → `//***@` anywhere in the text (and a leading `user:pass@` without a scheme). */
function redactUserinfo(text: string): string {
  return text.replace(/\/\/[^\s/?#@]+@/g, '//***@').replace(/^[^\s/:@]+:[^\s/@]*@/, '***@');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Base64 of a UTF-8 string, without node's Buffer (this file also runs in the web bundle). */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
