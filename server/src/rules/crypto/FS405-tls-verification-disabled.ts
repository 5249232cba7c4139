import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, lastSegment, literalValue, stringValue } from '../../engine/syntax';
import { isFalse, qualifiedValue } from '../support/crypto';
import { valueWhenUnset } from '../support/config';
import { isTrue } from '../support/deserialization';
import { removeArgument } from '../support/edits';
import { receiverConstructor, splatKeywords } from '../support/values';
import { defineRule } from '../rule';

/** HTTP-client methods that take `verify=`/`ssl=`, on modules and on session/client objects. */
const HTTP_METHODS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'request',
  'send',
  'stream',
  'ws_connect',
  'urlopen',
]);
/** Constructors of objects whose requests inherit `verify`. */
const CLIENT_CONSTRUCTORS =
  /^(requests\.(Session|session|sessions\.Session)|httpx\.(Client|AsyncClient)|aiohttp\.(ClientSession|TCPConnector|Connector))$/;

export default defineRule({
  meta: {
    id: 'FS405',
    name: 'tls-verification-disabled',
    title: 'TLS certificate verification is disabled',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-295'],
    owasp: ['A07:2021', 'A02:2021'],
    fix: { title: 'Remove verify=False (verification is the default)', safety: 'safe' },
    docs: {
      summary:
        'Finds HTTPS clients told not to check the server certificate: `verify=False` on any `requests` or `httpx` call, session or client (`requests.get`, `requests.request`, `requests.Session().get`, `httpx.Client(verify=False)`, `session.verify = False`), aiohttp `ssl=False`/`verify_ssl=False`, `ssl._create_unverified_context` (called or installed as `ssl._create_default_https_context`), SSL contexts with `check_hostname = False` or `verify_mode = ssl.CERT_NONE`, `cert_reqs=ssl.CERT_NONE`/`"CERT_NONE"` (`ssl.wrap_socket`, urllib3 `PoolManager`) and `ssl.CERT_NONE` given to any other option (ldap3 `Tls(validate=...)`, websocket-client `sslopt={"cert_reqs": ...}`), a client `ssl.SSLContext(ssl.PROTOCOL_TLS)` (or with no protocol) that the function never makes verify, client-side `ssl.wrap_socket()` without `cert_reqs` (its default is `CERT_NONE`), urllib3 `assert_hostname=False`, boto3 clients with `verify=False`, pycurl `SSL_VERIFYPEER`/`SSL_VERIFYHOST` set to 0, `PYTHONHTTPSVERIFY=0`, SSH clients that accept any host key (paramiko `set_missing_host_key_policy(AutoAddPolicy())` or `WarningPolicy`, asyncssh `known_hosts=None`, pysftp `cnopts.hostkeys = None`), and database, search and secrets clients told the same: Elasticsearch/OpenSearch `verify_certs=False`, pymongo `tlsAllowInvalidCertificates=True`/`tlsInsecure=True`/`tlsAllowInvalidHostnames=True`, redis `ssl_cert_reqs=None`/`ssl_check_hostname=False`, hvac `verify=False`. `verify=False` passed through a `**dict` literal of the file counts, and so does, with medium confidence, a `verify=` read from the environment with a default that turns it off (`os.environ.get("VERIFY_SSL", "false") == "true"`). `urllib3.disable_warnings()` is reported as information.',
      why: 'Without certificate verification, anyone on the network path (public Wi-Fi, a compromised router, a malicious proxy, DNS spoofing) can impersonate the server: they read the credentials and data the app sends and return whatever responses they like — a man-in-the-middle attack that TLS exists to stop.',
      example: 'resp = requests.get("https://api.partner.example/orders", verify=False)',
      fix: 'resp = requests.get("https://api.partner.example/orders")  # verifies by default\n# Private CA: requests.get(url, verify="/etc/ssl/certs/internal-ca.pem")',
    },
    references: [
      'https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification',
      'https://www.python-httpx.org/advanced/ssl/',
      'https://docs.python.org/3/library/ssl.html#security-considerations',
      'https://cwe.mitre.org/data/definitions/295.html',
    ],
  },
  // verify=, ssl (the module or aiohttp's ssl=), urllib3's options, pycurl's SSL_VERIFY*, the environment's
  // PYTHONHTTPSVERIFY / *_CA_BUNDLE, or disable_warnings.
  // SSH: paramiko's host-key policies, asyncssh's known_hosts, pysftp's hostkeys.
  trigger:
    /verify|ssl|tls|cert_reqs|assert_hostname|check_hostname|SSL_VERIFY|PYTHONHTTPSVERIFY|CA_BUNDLE|disable_warnings|Policy|known_hosts|hostkeys|Transport/,
  check(ctx: RuleContext) {
    const report = (node: Node, message: string, fix: ReturnType<typeof removeArgument>[] = []) => {
      ctx.report(node, message, { fix });
    };
    // A keyword on a later line of a multi-line call is reported with the call (its first line is the
    // statement's, where reviewers and other tools point), an argument on the call's own line by itself.
    const atCall = (site: CallSite, node: Node): Node =>
      node.startPosition.row === site.node.startPosition.row ? node : site.node;
    const usesHttpClient = ['requests', 'httpx', 'aiohttp', 'urllib3'].some((m) =>
      ctx.file.imports.imports(m),
    );
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      // requests.get(url, verify=False), httpx.Client(verify=False), session.get(..., verify=False), boto3.client(..., verify=False)
      // `**REQUEST_OPTIONS` with a dict literal of this file counts as its keywords (reported at the `**`).
      const ownVerify = site.args.keywords.get('verify');
      const verify = ownVerify ?? splatKeywords(ctx, site)?.get('verify');
      const verifyAt = () => {
        const splat = site.args.list?.namedChildren.find((a) => a?.type === 'dictionary_splat');
        return atCall(site, ownVerify && verify ? (verify.parent ?? verify) : (splat ?? site.node));
      };
      if (verify && isFalse(ctx, verify) && isVerifyingCall(ctx, site, usesHttpClient)) {
        const literal = verify.type === 'false' && verify.parent?.type === 'keyword_argument';
        report(
          verifyAt(),
          `${site.calleeText ?? site.name}() is called with verify=False: the server certificate is not checked, so anyone on the network can intercept the connection. Remove it (or pass a CA bundle path).`,
          literal && verify.parent ? [removeArgument(ctx, verify.parent)] : [],
        );
      } else if (
        verify &&
        valueWhenUnset(ctx, verify) === false &&
        isVerifyingCall(ctx, site, usesHttpClient)
      ) {
        // verify=os.environ.get("VERIFY_SSL", "false").lower() == "true": off unless the variable is set.
        ctx.report(
          verifyAt(),
          `${site.calleeText ?? site.name}() takes verify= from the environment, and it is False when the variable is unset: a deployment that forgets it does not check the server certificate. Default to verifying, and turn it off only when the variable says so.`,
          { confidence: 'medium' },
        );
      }
      // aiohttp: session.get(url, ssl=False), TCPConnector(verify_ssl=False)
      if (ctx.file.imports.imports('aiohttp')) {
        for (const name of ['ssl', 'verify_ssl']) {
          const value = site.args.keywords.get(name);
          if (value && isFalse(ctx, value)) {
            report(
              atCall(site, value.parent ?? value),
              `aiohttp is told ${name}=False: the server certificate is not checked. Remove it.`,
            );
          }
        }
      }
      // Database, search and secrets clients: Elasticsearch(verify_certs=False), MongoClient(tlsInsecure=True),
      // redis.Redis(ssl_cert_reqs=None). The keyword names are these libraries' own.
      for (const [keyword, turnsOff] of CLIENT_FLAGS) {
        const value = site.args.keywords.get(keyword);
        if (!value || !turnsOff(ctx, value)) continue;
        report(
          atCall(site, value.parent ?? value),
          `${site.calleeText ?? site.name}() is created with ${value.parent?.text ?? keyword}: the server certificate is not checked, so anyone on the network can intercept the connection. Remove it (or pass a CA bundle).`,
        );
      }
      // cert_reqs=ssl.CERT_NONE / "CERT_NONE" (ssl.wrap_socket, urllib3.PoolManager, SSLContext.wrap_socket)
      const certReqs = site.args.keywords.get('cert_reqs');
      if (certReqs && isCertNone(ctx, certReqs)) {
        report(
          atCall(site, certReqs.parent ?? certReqs),
          `${site.calleeText ?? site.name}() uses cert_reqs=CERT_NONE: certificates are not verified. Use CERT_REQUIRED.`,
        );
      }
      const assertHostname = site.args.keywords.get('assert_hostname');
      if (assertHostname && isFalse(ctx, assertHostname)) {
        report(
          atCall(site, assertHostname.parent ?? assertHostname),
          `assert_hostname=False disables the host-name check: a certificate for any site is accepted.`,
        );
      }
      // ssl.wrap_socket(sock) with no cert_reqs defaults to CERT_NONE.
      if (
        callee === 'ssl.wrap_socket' &&
        !certReqs &&
        !site.args.keywords.has('server_side') &&
        !site.args.hasSplat &&
        site.args.positional.length < 5
      ) {
        ctx.report(
          site.node,
          'ssl.wrap_socket() does not verify certificates by default (and is removed in Python 3.12): use ssl.create_default_context().wrap_socket(sock, server_hostname=host).',
          { confidence: 'medium' },
        );
      }
      // pycurl: c.setopt(pycurl.SSL_VERIFYPEER, 0)
      if (site.name === 'setopt' && site.args.positional.length === 2) {
        const option = qualifiedValue(ctx, site.args.positional[0]);
        const value = literalValue(ctx.file.resolveValue(site.args.positional[1] as Node));
        if (option && /(^|\.)SSL_VERIFY(PEER|HOST)$/.test(option) && (value === 0 || value === false)) {
          report(
            site.node,
            `${lastSegment(option)} is set to 0: curl does not verify the server certificate. Remove the option.`,
          );
        }
      }
      // os.environ.setdefault("PYTHONHTTPSVERIFY", "0")
      if (
        /^os\.(environ\.setdefault|putenv)$/.test(callee) &&
        disablesVerifyEnv(site.args.positional[0], site.args.positional[1])
      ) {
        report(
          site.node,
          'PYTHONHTTPSVERIFY=0 turns off certificate verification for the whole process: remove it.',
        );
      }
      // paramiko: client.set_missing_host_key_policy(paramiko.AutoAddPolicy()) trusts the key any host
      // presents on first (and every unknown) connection; WarningPolicy only logs it.
      if (site.name === 'set_missing_host_key_policy') {
        const policy = acceptingHostKeyPolicy(
          ctx,
          site.args.positional[0] ?? site.args.keywords.get('policy'),
        );
        if (policy) {
          report(
            site.node,
            `${policy} accepts whatever host key an unknown server presents: a man-in-the-middle gets the SSH session and its credentials. Load known host keys (load_system_host_keys() / load_host_keys(path)) and keep the default RejectPolicy.`,
          );
        }
      }
      // paramiko.Transport(...).connect(username=..., pkey=...) without hostkey= checks no host key at all.
      if (
        site.name === 'connect' &&
        site.receiver &&
        !site.args.keywords.has('hostkey') &&
        !site.args.hasSplat &&
        site.args.positional.length === 0 &&
        receiverConstructor(ctx, site) === 'paramiko.Transport'
      ) {
        ctx.report(
          site.node,
          'Transport.connect() without hostkey= does not check the server host key: pass the expected key (hostkey=...), or use SSHClient with known hosts loaded.',
          { confidence: 'medium' },
        );
      }
      // asyncssh.connect(host, known_hosts=None) skips host-key checking.
      const knownHosts = /^asyncssh\./.test(callee)
        ? (site.args.keywords.get('known_hosts') ?? splatKeywords(ctx, site)?.get('known_hosts'))
        : undefined;
      if (knownHosts && ctx.file.resolveValue(knownHosts).type === 'none') {
        report(
          atCall(site, knownHosts.parent ?? knownHosts),
          `${site.calleeText ?? site.name}() with known_hosts=None accepts any server host key: pass a known_hosts file.`,
        );
      }
      // Reported wherever it is: it hides the warning of the unverified requests this rule finds, and of
      // those in other modules. (Reporting it only when the file has no other finding made one statement's
      // finding depend on every other statement of the file.)
      if (/^(urllib3|requests\.packages\.urllib3)\.disable_warnings$/.test(callee)) {
        ctx.report(
          site.node,
          'urllib3.disable_warnings() hides the InsecureRequestWarning that flags unverified HTTPS requests: fix the verification instead of silencing it.',
          { severity: 'info', confidence: 'low' },
        );
      }
    }

    // ssl._create_unverified_context(), ssl._create_default_https_context = ssl._create_unverified_context
    // Every identifier of the file is a long walk: only when the names can occur at all.
    const unverified = /_create_(unverified|stdlib)_context/.test(ctx.file.text);
    for (const node of unverified ? ctx.file.nodesOfType(['attribute', 'identifier']) : []) {
      if (!node || (node.parent?.type === 'attribute' && node.type === 'identifier') || !ctx.inFocus(node))
        continue;
      if (node.parent?.type === 'dotted_name' || node.parent?.type === 'aliased_import') continue;
      const name = ctx.file.imports.resolve(node);
      if (name !== 'ssl._create_unverified_context' && name !== 'ssl._create_stdlib_context') continue;
      if (node.parent?.type === 'attribute') continue; // part of a longer name
      report(
        node.parent?.type === 'call' ? node.parent : node,
        `${lastSegment(name)} builds an SSL context that accepts any certificate: use ssl.create_default_context().`,
      );
    }

    // CERT_NONE given to any other setting: ldap3 `Tls(validate=ssl.CERT_NONE)`, websocket-client
    // `sslopt={"cert_reqs": ssl.CERT_NONE}`, a dict of SSL options. (A comparison with it is a check, not a
    // setting, and keywords and assignments reported above are not reported twice.)
    const certNone = /CERT_NONE/.test(ctx.file.text);
    for (const node of certNone ? ctx.file.nodesOfType(['attribute', 'identifier']) : []) {
      if (!node || !ctx.inFocus(node) || !/CERT_NONE$/.test(node.text)) continue;
      if (node.type === 'identifier' && node.parent?.type === 'attribute') continue;
      if (ctx.file.imports.resolve(node) !== 'ssl.CERT_NONE') continue;
      const parent = node.parent;
      const setting =
        parent?.type === 'pair' && parent.childForFieldName('value')?.id === node.id
          ? stringValue(parent.childForFieldName('key'))
          : parent?.type === 'keyword_argument' && parent.childForFieldName('value')?.id === node.id
            ? parent.childForFieldName('name')?.text
            : undefined;
      if (!parent || !setting) continue;
      if (parent.type === 'keyword_argument' && /^(ssl_)?cert_reqs$/.test(setting)) continue;
      report(parent, `${setting} = CERT_NONE turns off certificate verification: use ssl.CERT_REQUIRED.`);
    }

    // ssl.SSLContext(ssl.PROTOCOL_TLS) used as a client: that protocol's contexts start with CERT_NONE and
    // check_hostname False (only PROTOCOL_TLS_CLIENT and create_default_context() verify).
    for (const site of ctx.file.calls) {
      if (site.callee !== 'ssl.SSLContext' || !ctx.inFocus(site.node)) continue;
      const protocol = qualifiedValue(ctx, site.args.positional[0] ?? site.args.keywords.get('protocol'));
      if (protocol && !/^ssl\.PROTOCOL_(TLS|SSLv23|TLSv1(_1|_2)?)$/.test(protocol)) continue;
      if (!unverifiedClientContext(ctx, site.node)) continue;
      ctx.report(
        site.node,
        `ssl.SSLContext(${protocol ? lastSegment(protocol) : ''}) does not verify certificates or host names until told to: use ssl.create_default_context() (or PROTOCOL_TLS_CLIENT).`,
        { confidence: 'medium' },
      );
    }

    for (const assignment of ctx.file.nodesOfType('assignment')) {
      const left = assignment?.childForFieldName('left');
      const right = assignment?.childForFieldName('right');
      if (!assignment || !left || !right || !ctx.inFocus(assignment)) continue;
      if (left.type === 'attribute') {
        const attribute = left.childForFieldName('attribute')?.text;
        // ctx.check_hostname = False
        if (attribute === 'check_hostname' && isFalse(ctx, right)) {
          report(
            assignment,
            'check_hostname = False accepts a valid certificate for any host name: remove it.',
          );
        }
        // ctx.verify_mode = ssl.CERT_NONE
        if (attribute === 'verify_mode' && isCertNone(ctx, right)) {
          report(
            assignment,
            'verify_mode = CERT_NONE turns off certificate verification: use ssl.CERT_REQUIRED.',
          );
        }
        // pysftp: cnopts.hostkeys = None turns host-key checking off.
        const owner = left.childForFieldName('object');
        if (
          attribute === 'hostkeys' &&
          right.type === 'none' &&
          owner &&
          (ctx.file.constructorOf(owner) === 'pysftp.CnOpts' || /opts$/i.test(owner.text)) &&
          ctx.file.imports.imports('pysftp')
        ) {
          report(
            assignment,
            'hostkeys = None makes pysftp accept any server host key: load the known_hosts file instead.',
          );
        }
        // Fabric 1: env.disable_known_hosts = True
        if (
          attribute === 'disable_known_hosts' &&
          right.type === 'true' &&
          ctx.file.imports.imports('fabric')
        ) {
          report(
            assignment,
            'env.disable_known_hosts = True makes Fabric accept any server host key: keep known_hosts loaded.',
          );
        }
        // session.verify = False
        if (attribute === 'verify' && isFalse(ctx, right) && usesHttpClient) {
          report(
            assignment,
            `${dottedName(left) ?? 'session.verify'} = False turns off certificate verification for every request of the session: remove it.`,
          );
        }
      }
      // os.environ["PYTHONHTTPSVERIFY"] = "0"
      if (
        left.type === 'subscript' &&
        ctx.file.imports.resolve(left.childForFieldName('value')) === 'os.environ'
      ) {
        if (disablesVerifyEnv(left.childForFieldName('subscript'), right)) {
          report(
            assignment,
            'PYTHONHTTPSVERIFY=0 turns off certificate verification for the whole process: remove it.',
          );
        }
      }
    }
  },
});

/** Whether a call with `verify=` is an HTTP client call (not, say, PyJWT's `decode(verify=False)`). */
function isVerifyingCall(ctx: RuleContext, site: CallSite, usesHttpClient: boolean): boolean {
  const callee = site.callee ?? '';
  if (/^(requests|httpx|hvac)\./.test(callee)) return true;
  if (/^boto3\.|^botocore\./.test(callee)) return true;
  if (['client', 'resource'].includes(site.name) && ctx.file.imports.imports('boto3')) return true;
  if (!HTTP_METHODS.has(site.name) || !site.receiver) return false;
  const receiver = site.receiver;
  const built =
    receiver.type === 'call'
      ? ctx.file.callAt(receiver)?.callee
      : ctx.file.constructorOf(receiver, site.scope);
  if (built && CLIENT_CONSTRUCTORS.test(built)) return true;
  // `with requests.Session() as s:` / a session attribute: any HTTP verb with verify= in a file using a client.
  if (!usesHttpClient) return false;
  const name = dottedName(receiver) ?? '';
  return !/(^|\.)(jwt|jws|jose|token)$/i.test(name);
}

/** Keywords of database, search and secrets clients that switch certificate checks off, and the off test. */
const CLIENT_FLAGS: readonly [string, (ctx: RuleContext, node: Node) => boolean][] = [
  ['verify_certs', isFalse], // elasticsearch, opensearch
  ['tlsAllowInvalidCertificates', isTrue], // pymongo, motor
  ['tlsInsecure', isTrue],
  ['tlsAllowInvalidHostnames', isTrue],
  ['ssl_cert_reqs', (ctx, node) => isCertNone(ctx, node) || ctx.file.resolveValue(node).type === 'none'], // redis, pymongo 3
  ['ssl_check_hostname', isFalse], // redis
];

/**
 * The name of a paramiko policy that accepts unknown host keys, given as an instance or the class: paramiko's
 * AutoAddPolicy/WarningPolicy, either branch of a conditional, a same-file subclass of those, or a same-file
 * MissingHostKeyPolicy whose `missing_host_key` never raises (it returns, so the key is accepted).
 */
function acceptingHostKeyPolicy(ctx: RuleContext, node: Node | undefined, depth = 0): string | undefined {
  if (!node || depth > 3) return undefined;
  const value = ctx.file.resolveValue(node);
  if (value.type === 'conditional_expression') {
    for (const branch of value.namedChildren.filter((n): n is Node => n !== null)) {
      if (branch.id === value.namedChildren[1]?.id) continue; // the condition
      const found = acceptingHostKeyPolicy(ctx, branch, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  const named = value.type === 'call' ? ctx.file.callAt(value)?.callee : qualifiedValue(ctx, value);
  const name = named ?? qualifiedValue(ctx, node) ?? undefined;
  if (!name) return undefined;
  if (ACCEPTING_POLICY.test(name)) return lastSegment(name);
  const local = ctx.file.scopes.find((s) => s.kind === 'class' && s.name === name);
  if (!local) return undefined;
  for (const base of local.bases) {
    const qualified = ctx.file.imports.resolve(base) ?? '';
    if (ACCEPTING_POLICY.test(qualified)) return `${name} (a ${lastSegment(qualified)})`;
    if (/(^|\.)MissingHostKeyPolicy$/.test(qualified) && !refusesUnknownKeys(ctx, local.node))
      return `${name} (its missing_host_key never raises)`;
  }
  return undefined;
}

const ACCEPTING_POLICY = /^paramiko\.(client\.)?(AutoAddPolicy|WarningPolicy)$/;

/** A policy class body whose `missing_host_key` raises (or has none of its own: the base class's raises). */
function refusesUnknownKeys(ctx: RuleContext, classNode: Node): boolean {
  const method = ctx.file.scopes.find(
    (s) => s.kind === 'function' && s.name === 'missing_host_key' && s.parent?.node.id === classNode.id,
  );
  if (!method) return true;
  return method.node.descendantsOfType('raise_statement').length > 0;
}

function isCertNone(ctx: RuleContext, node: Node): boolean {
  const name = qualifiedValue(ctx, node);
  if (name && /(^|\.)CERT_NONE$/.test(name)) return true;
  const text = stringValue(ctx.file.resolveValue(node));
  if (text !== undefined) return /^(CERT_NONE|NONE)$/i.test(text);
  return literalValue(ctx.file.resolveValue(node)) === 0;
}

function disablesVerifyEnv(key: Node | null | undefined, value: Node | null | undefined): boolean {
  const k = stringValue(key ?? null);
  const v = stringValue(value ?? null);
  if (k === 'PYTHONHTTPSVERIFY') return v === '0';
  if (k === 'CURL_CA_BUNDLE' || k === 'REQUESTS_CA_BUNDLE') return v === '';
  return false;
}

/**
 * A context built by `call` that nothing makes verify or marks as a server's: held in a name (or returned)
 * whose later uses in the same function never set `verify_mode`/`check_hostname`, load a certificate chain
 * (a server's context) or wrap with `server_side=True`.
 */
function unverifiedClientContext(ctx: RuleContext, call: Node): boolean {
  const parent = call.parent;
  let name: string | undefined;
  if (parent?.type === 'assignment' && parent.childForFieldName('right')?.id === call.id) {
    const left = parent.childForFieldName('left');
    name = left?.type === 'identifier' ? left.text : left?.type === 'attribute' ? left.text : undefined;
    if (!name) return false;
  } else if (parent?.type !== 'return_statement') {
    return false;
  }
  // Inside a function only: at module level the uses are in other top-level statements, which a keystroke
  // elsewhere does not re-analyse this one for.
  const scope = ctx.file.scopeAt(call);
  if (scope.kind !== 'function') return false;
  if (!name) return true;
  const after = ctx.file.text.slice(call.endIndex, scope.node.endIndex);
  const uses = new RegExp(
    `${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(verify_mode|check_hostname|load_cert_chain)\\b`,
  );
  return !uses.test(after) && !/server_side\s*=\s*True/.test(after);
}
