import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Taint } from '../../engine/taint';
import { outboundUrl } from '../support/outbound';
import { hostTaint, urlGuard } from '../support/requests';
import { preciseTaint } from '../support/xss';
import { defineRule } from '../rule';

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
        'Finds outbound HTTP requests whose host request data can choose: `requests.get/post/.../request`, `requests.Session()` methods, `httpx` functions and `Client`/`AsyncClient` methods (and their `base_url`, as for aiohttp `ClientSession`), `urllib.request.urlopen`/`Request`/`urlretrieve`, `urllib2`, `urllib3` (`PoolManager().request`), `aiohttp` (`ClientSession().get`, `aiohttp.request`) and `http.client.HTTPConnection(host)`. It fires when the URL is the client value itself or when client data comes before the end of the host part (`f"http://{host}/api"`, `"https://" + domain + "/x"`, `"https://%s/path" % host`, `urljoin(BASE, url)`), following variables, `+=`, `%`, `.format()` and `join`. Requests whose constant prefix fixes scheme and host (`f"https://api.example.com/users/{user_id}"`, `params={"q": q}`) are not reported, nor URLs checked earlier in the function against an allow-list (`urlparse(url).hostname in ALLOWED_HOSTS`, an `is_allowed_url(url)`-style helper, equality with a constant). The answer of a request to a fixed host is the remote service\'s data, not the client\'s: a URL it contains (`listing["next_url"]`) is not request data for this rule, nor for the XSS and redirect rules; the answer of a request to a host the client chose is.',
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
      const sink = outboundUrl(ctx, site);
      if (!sink) continue;
      const { url } = sink;
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
