import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { dottedName } from '../../engine/syntax';
import { helperReturnCalls } from './values';

/**
 * Calls that send an HTTP request, and which argument holds the URL (or host): shared by the SSRF rule
 * (FS702), which asks whether the client decides it, and the cleartext rule (FS408), which asks whether it
 * is plain http.
 */

/** Where the URL (or host) is among the arguments: position and keyword. */
interface UrlArgument {
  index: number;
  keyword: string;
}

const URL_FIRST: UrlArgument = { index: 0, keyword: 'url' };
const URL_SECOND: UrlArgument = { index: 1, keyword: 'url' };
/** Keyword-only (`httpx.Client(base_url=...)`): no positional index. */
const BASE_URL_KEYWORD: UrlArgument = { index: -1, keyword: 'base_url' };
const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Module-level functions and constructors that send a request to (or connect to) their URL/host argument. */
const FUNCTIONS = new Map<string, UrlArgument>([
  ...VERBS.flatMap((v): [string, UrlArgument][] => [
    [`requests.${v}`, URL_FIRST],
    [`requests.api.${v}`, URL_FIRST],
    [`httpx.${v}`, URL_FIRST],
  ]),
  ['requests.request', URL_SECOND],
  ['requests.api.request', URL_SECOND],
  ['requests.Request', URL_SECOND],
  ['httpx.request', URL_SECOND],
  ['httpx.stream', URL_SECOND],
  ['urllib.request.urlopen', URL_FIRST],
  ['urllib.request.urlretrieve', URL_FIRST],
  ['urllib.request.Request', URL_FIRST],
  ['urllib.urlopen', URL_FIRST],
  ['urllib.urlretrieve', URL_FIRST],
  ['urllib2.urlopen', URL_FIRST],
  ['urllib2.Request', URL_FIRST],
  ['six.moves.urllib.request.urlopen', URL_FIRST],
  ['six.moves.urllib.request.Request', URL_FIRST],
  ['urllib3.request', URL_SECOND],
  ['urllib3.connection_from_url', URL_FIRST],
  ['urllib3.HTTPConnectionPool', { index: 0, keyword: 'host' }],
  ['urllib3.HTTPSConnectionPool', { index: 0, keyword: 'host' }],
  ['aiohttp.request', URL_SECOND],
  ['http.client.HTTPConnection', { index: 0, keyword: 'host' }],
  ['http.client.HTTPSConnection', { index: 0, keyword: 'host' }],
  ['httplib.HTTPConnection', { index: 0, keyword: 'host' }],
  ['httplib.HTTPSConnection', { index: 0, keyword: 'host' }],
  // Clients whose base URL every relative request goes to.
  ['httpx.Client', BASE_URL_KEYWORD],
  ['httpx.AsyncClient', BASE_URL_KEYWORD],
  ['aiohttp.ClientSession', { index: 0, keyword: 'base_url' }],
]);

/** Objects whose methods send requests. */
const CLIENTS = new Set([
  'requests.Session',
  'requests.session',
  'requests.sessions.Session',
  'httpx.Client',
  'httpx.AsyncClient',
  'aiohttp.ClientSession',
  'urllib3.PoolManager',
  'urllib3.ProxyManager',
  'urllib3.poolmanager.PoolManager',
  'urllib.request.build_opener',
  'urllib2.build_opener',
  'urllib.request.URLopener',
  'urllib.request.FancyURLopener',
  'urllib.URLopener',
  'urllib.FancyURLopener',
]);
/** The top-level modules of every call and client above: a file importing none of them sends no request. */
export const HTTP_CLIENT_MODULES = [
  ...new Set([...FUNCTIONS.keys(), ...CLIENTS].map((name) => name.split('.')[0] as string)),
];

const CLIENT_METHODS = new Map<string, UrlArgument>([
  ...VERBS.map((v): [string, UrlArgument] => [v, URL_FIRST]),
  ['request', URL_SECOND],
  ['stream', URL_SECOND],
  ['urlopen', URL_SECOND],
  ['request_encode_url', URL_SECOND],
  ['request_encode_body', URL_SECOND],
  ['ws_connect', URL_FIRST],
  ['open', { index: 0, keyword: 'fullurl' }],
  ['retrieve', URL_FIRST],
]);
/** Receivers that look like an HTTP client when their construction is not visible (`self.session`, `client`). */
const CLIENT_NAME = /(^|[._])(session|http|http_?client|http_?session|requests_session|pool_?manager)$/i;

export interface OutboundUrl {
  url: Node;
  /** Built by a known client (`certain`), or only named like one (`self.session`, `http_client`). */
  certain: boolean;
}

/** The URL (or host) argument of a call that sends a request, or null when the call sends none. */
export function outboundUrl(ctx: RuleContext, site: CallSite): OutboundUrl | null {
  const sink = sinkOf(ctx, site);
  if (!sink) return null;
  const url =
    (sink.argument.index >= 0 ? site.args.positional[sink.argument.index] : undefined) ??
    site.args.keywords.get(sink.argument.keyword);
  return url ? { url, certain: sink.certain } : null;
}

function sinkOf(ctx: RuleContext, site: CallSite): { argument: UrlArgument; certain: boolean } | null {
  if (site.callee) {
    const argument = FUNCTIONS.get(site.callee);
    if (argument) return { argument, certain: true };
  }
  const argument = CLIENT_METHODS.get(site.name);
  if (!argument || !site.receiver) return null;
  const client = clientKind(ctx, site.receiver);
  return client ? { argument, certain: client === 'certain' } : null;
}

/**
 * A call that gives an HTTP client: a known constructor (`requests.Session()`), or a same-file helper
 * every `return` of which gives one (`def _http(): s = requests.Session(); ...; return s`).
 */
function buildsClient(ctx: RuleContext, call: Node, depth = 0): boolean {
  const site = ctx.file.callAt(call);
  if (!site) return false;
  if (CLIENTS.has(site.callee ?? '')) return true;
  const made = depth < 3 ? helperReturnCalls(ctx, call) : null;
  return !!made && made.calls.every((built) => buildsClient(ctx, built, depth + 1));
}

/** Is the receiver an HTTP client: built by a known constructor (`certain`), or named like one (`likely`)? */
function clientKind(ctx: RuleContext, receiver: Node): 'certain' | 'likely' | null {
  if (receiver.type === 'call') return buildsClient(ctx, receiver) ? 'certain' : null;
  const name = dottedName(receiver);
  if (!name) return null;
  // `s = requests.Session()`, `with httpx.Client() as client:`, `self.session = requests.Session()` anywhere.
  const visible = new Set<Scope>();
  for (let scope: Scope | null = ctx.file.scopeAt(receiver); scope; scope = scope.parent) visible.add(scope);
  let elsewhere = false;
  let boundHere = false;
  for (const scope of ctx.file.scopesBinding(name)) {
    for (const binding of scope.bindings.get(name) ?? []) {
      if (visible.has(scope)) boundHere = true;
      if (!binding.value || (binding.kind !== 'assign' && binding.kind !== 'with')) continue;
      const value = binding.value.type === 'await' ? binding.value.namedChildren[0] : binding.value;
      if (value?.type !== 'call' || !buildsClient(ctx, value)) continue;
      if (visible.has(scope) || name.startsWith('self.')) return 'certain';
      elsewhere = true;
    }
  }
  // Bound here to something else (a Redis client, a dict...).
  if (boundHere) return null;
  // Flask's session (a dict), the requests module itself...
  if (ctx.file.imports.isImportedName(name.split('.')[0] ?? name)) return null;
  const usesHttpLibrary = ['requests', 'httpx', 'aiohttp', 'urllib3'].some((m) =>
    ctx.file.imports.imports(m),
  );
  return elsewhere || (usesHttpLibrary && CLIENT_NAME.test(name)) ? 'likely' : null;
}
