import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { dottedName } from '../../engine/syntax';
import { hostTaint, urlGuard } from '../support/requests';
import { preciseTaint } from '../support/xss';
import { defineRule } from '../rule';

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

/** Sources that are the server's own address: a spoofed Host header is needed to change them. */
const OWN_URL = new Set([
  'request.url',
  'request.base_url',
  'request.url_root',
  'request.host_url',
  'request.host',
]);

/** Constructors whose request object is reported where it is built, not where it is sent. */
const REQUEST_OBJECTS = new Set([
  'urllib.request.Request',
  'urllib2.Request',
  'six.moves.urllib.request.Request',
  'requests.Request',
]);

export default defineRule({
  meta: {
    id: 'FS702',
    name: 'server-side-request-forgery',
    title: 'Request data decides where the server sends a request',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-918'],
    owasp: ['A10:2021'],
    docs: {
      summary:
        'Finds outbound HTTP requests whose host request data can choose: `requests.get/post/.../request`, `requests.Session()` methods, `httpx` functions and `Client`/`AsyncClient` methods (and their `base_url`, as for aiohttp `ClientSession`), `urllib.request.urlopen`/`Request`/`urlretrieve`, `urllib2`, `urllib3` (`PoolManager().request`), `aiohttp` (`ClientSession().get`, `aiohttp.request`) and `http.client.HTTPConnection(host)`. It fires when the URL is the client value itself or when client data comes before the end of the host part (`f"http://{host}/api"`, `"https://" + domain + "/x"`, `"https://%s/path" % host`, `urljoin(BASE, url)`), following variables, `+=`, `%`, `.format()` and `join`. Requests whose constant prefix fixes scheme and host (`f"https://api.example.com/users/{user_id}"`, `params={"q": q}`) are not reported, nor URLs checked earlier in the function against an allow-list (`urlparse(url).hostname in ALLOWED_HOSTS`, an `is_allowed_url(url)`-style helper, equality with a constant).',
      why: 'The server makes the request from inside your network, with its own credentials. An attacker who chooses the host reaches what the internet cannot: cloud metadata endpoints (`http://169.254.169.254/` hands out instance credentials), admin interfaces on localhost, internal services and databases; and can use your server to scan the internal network or attack third parties.',
      example:
        '@app.route("/preview")\ndef preview():\n    url = request.args["url"]\n    return requests.get(url, timeout=5).text',
      fix: 'ALLOWED_HOSTS = {"images.example.com", "cdn.example.com"}\n\n@app.route("/preview")\ndef preview():\n    url = request.args["url"]\n    parts = urlparse(url)\n    if parts.scheme != "https" or parts.hostname not in ALLOWED_HOSTS:\n        abort(400)\n    return requests.get(url, timeout=5, allow_redirects=False).text',
    },
    references: [
      'https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/',
      'https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/918.html',
    ],
  },
  // An HTTP client library; http.client's connections can be reached as client.HTTPSConnection.
  trigger: /requests|httpx|urllib|aiohttp|HTTPS?Connection/,
  check(ctx: RuleContext) {
    const taintOf = (node: Node): Taint | null => preciseTaint(ctx, node, { sink: 'url', followCalls: true });
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const sink = sinkOf(ctx, site);
      if (!sink) continue;
      const url =
        (sink.argument.index >= 0 ? site.args.positional[sink.argument.index] : undefined) ??
        site.args.keywords.get(sink.argument.keyword);
      if (!url) continue;
      // urlopen(Request(url)): reported at the Request.
      if (ctx.file.constructorOf(url) !== null && REQUEST_OBJECTS.has(ctx.file.constructorOf(url) ?? ''))
        continue;
      const taint = hostTaint(ctx, url, taintOf);
      if (!taint) continue;
      const guard = urlGuard(ctx, site.node, url, site.scope);
      if (guard === 'strong') continue;
      const confidence = guard === 'weak' || !sink.certain || OWN_URL.has(taint.label) ? 'medium' : 'high';
      const what = `${site.calleeText ?? site.name}()`;
      const message =
        guard === 'weak'
          ? `Request data (${taint.label}) decides the host ${what} connects to, and the check before it can be bypassed (startswith("https://example.com") accepts "https://example.com.evil.example"): parse the URL and compare its hostname against an allow-list.`
          : `Request data (${taint.label}) decides the host ${what} connects to: an attacker can reach internal services and cloud metadata (SSRF). Keep scheme and host constant, or check urlparse(url).hostname against an allow-list.`;
      ctx.report(site.node, message, { taint, confidence });
    }
  },
});

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

/** Is the receiver an HTTP client: built by a known constructor (`certain`), or named like one (`likely`)? */
function clientKind(ctx: RuleContext, receiver: Node): 'certain' | 'likely' | null {
  if (receiver.type === 'call')
    return CLIENTS.has(ctx.file.callAt(receiver)?.callee ?? '') ? 'certain' : null;
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
      if (value?.type !== 'call' || !CLIENTS.has(ctx.file.callAt(value)?.callee ?? '')) continue;
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
