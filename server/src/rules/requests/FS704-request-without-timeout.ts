import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { lastSegment } from '../../engine/syntax';
import { addArgument, replaceNode } from '../support/edits';
import {
  helperReturnCalls,
  receiverConstruction,
  receiverConstructor,
  splatKeywords,
} from '../support/values';
import { defineRule } from '../rule';

/** requests' module functions and Session methods that send a request. */
const REQUESTS_VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request']);
const SESSION_CONSTRUCTORS = /^requests\.(Session|session|sessions\.Session)$/;
/** httpx's module functions and Client methods: these default to a 5-second timeout, unless given None. */
const HTTPX_CALLS = /^httpx\.(get|post|put|patch|delete|head|options|request|stream|Client|AsyncClient)$/;
const URLOPEN = new Set(['urllib.request.urlopen', 'urllib2.urlopen', 'six.moves.urllib.request.urlopen']);
const OPENER_BUILDERS = new Set(['urllib.request.build_opener', 'urllib2.build_opener']);
const DEFAULT_TIMEOUT = 'timeout=10';

export default defineRule({
  meta: {
    id: 'FS704',
    name: 'request-without-timeout',
    title: 'Outbound HTTP request without a timeout',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-400', 'CWE-1088'],
    owasp: ['A05:2021'],
    fix: { title: 'Add timeout=10', safety: 'unsafe' },
    docs: {
      summary:
        "Finds outbound HTTP calls that can wait forever: `requests.get/post/put/patch/delete/head/options/request` and the same methods of a `requests.Session()` (also `self.session` set in `__init__`, a same-file subclass that sets no timeout, and a session a same-file helper makes and returns) without `timeout=`, or with `timeout=(connect, None)` (requests has no default timeout), any requests or httpx call or client given `timeout=None` (httpx otherwise defaults to 5 seconds, so `httpx.get(url)` is fine), `urllib.request.urlopen(url)` and `build_opener().open(url)` without a timeout (they wait as long as the socket default, none unless `socket.setdefaulttimeout()` is called in the file), and `requests.get` handed to `map()`/an executor, where no timeout can be given. Calls that pass `**kwargs` on, sessions given a mounted adapter other than requests' own `HTTPAdapter` (another may set one), and sessions of classes defined elsewhere are not reported.",
      why: 'A request to a server that accepts the connection and then never answers (an overloaded partner API, a slow-loris endpoint an attacker points a webhook URL at) blocks the worker thread until the process is restarted. A handful of such requests occupies every gunicorn worker, and the whole app stops answering: a denial of service that needs no bug but the missing timeout.',
      example: 'resp = requests.post(PAYMENT_API, json=payload)',
      fix: 'resp = requests.post(PAYMENT_API, json=payload, timeout=10)  # or (connect, read): timeout=(3.05, 27)',
    },
    references: [
      'https://requests.readthedocs.io/en/latest/user/advanced/#timeouts',
      'https://www.python-httpx.org/advanced/timeouts/',
      'https://cwe.mitre.org/data/definitions/400.html',
      'https://docs.astral.sh/ruff/rules/request-without-timeout/',
    ],
  },
  trigger: /requests|httpx|urlopen|urllib2|build_opener/,
  check(ctx: RuleContext) {
    const defaultTimeout = /\bsocket\.setdefaulttimeout\s*\(|\bsetdefaulttimeout\s*\(/.test(ctx.file.text);
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const label = `${site.calleeText ?? site.name}()`;
      // requests.get(url), session.get(url)
      if (isRequestsCall(ctx, site)) {
        const timeout = timeoutOf(ctx, site);
        if (timeout === 'unknown') continue;
        if (timeout === 'missing') {
          ctx.report(
            site.node,
            `${label} has no timeout: requests waits for ever on a server that accepts the connection and never answers, and the worker is lost. Pass timeout= (seconds, or a (connect, read) pair).`,
            { fix: addTimeout(ctx, site) },
          );
        } else {
          ctx.report(
            timeout.parent ?? timeout,
            `${label} is given ${timeout.parent?.type === 'tuple' ? 'a read timeout of None' : 'timeout=None'}: it can wait for ever. Pass a number of seconds.`,
            { fix: [replaceNode(timeout, '10')], fixTitle: 'Use timeout=10' },
          );
        }
        continue;
      }
      // httpx.get(url, timeout=None), httpx.Client(timeout=None)
      if (HTTPX_CALLS.test(callee) || isHttpxClientCall(ctx, site)) {
        const timeout = site.args.keywords.get('timeout');
        if (timeout && ctx.file.resolveValue(timeout).type === 'none') {
          ctx.report(
            timeout.parent ?? timeout,
            `${label} is given timeout=None, which turns off httpx's 5-second default: it can wait for ever. Pass a number of seconds.`,
            { fix: [replaceNode(timeout, '10')], fixTitle: 'Use timeout=10' },
          );
        }
        continue;
      }
      // urllib.request.urlopen(url), opener.open(url)
      const opener = URLOPEN.has(callee) || (site.name === 'open' && isOpener(ctx, site));
      if (opener && !defaultTimeout) {
        const timeout = site.args.keywords.get('timeout') ?? site.args.positional[2];
        if (site.args.hasSplat) continue;
        if (!timeout || ctx.file.resolveValue(timeout).type === 'none') {
          ctx.report(
            site.node,
            `${label} has no timeout: it waits as long as the socket default, which is for ever unless socket.setdefaulttimeout() was called. Pass timeout=.`,
            { fix: timeout ? [replaceNode(timeout, '10')] : addTimeout(ctx, site) },
          );
        }
        continue;
      }
      // pool.map(requests.get, urls): no way to give the timeout (partial() can, as a keyword).
      if (callee === 'functools.partial' && site.args.keywords.has('timeout')) continue;
      for (const argument of site.args.positional) {
        const name = ctx.file.imports.resolve(argument);
        if (
          argument.type === 'attribute' &&
          name &&
          /^requests\.(get|post|put|patch|delete|head|request)$/.test(name)
        ) {
          ctx.report(
            argument,
            `${argument.text} is passed to ${label} as a function, so it is called without a timeout: pass a lambda or functools.partial(${argument.text}, timeout=10).`,
          );
        }
      }
    }
  },
});

function isRequestsCall(ctx: RuleContext, site: CallSite): boolean {
  const callee = site.callee ?? '';
  // requests.get(...), and `from requests import post as http_post` called by its alias.
  if (/^requests\.(api\.)?\w+$/.test(callee)) return REQUESTS_VERBS.has(lastSegment(callee));
  if (!REQUESTS_VERBS.has(site.name) && site.name !== 'send') return false;
  if (!site.receiver) return false;
  const built = receiverConstructor(ctx, site);
  const session =
    !!built &&
    (SESSION_CONSTRUCTORS.test(built) ||
      isPlainSessionSubclass(ctx, built) ||
      isPlainSessionHelper(ctx, site));
  // A session given an adapter (which may carry a default timeout) or a patched request method.
  return session && !configuresSession(ctx, site);
}

/**
 * A session a same-file helper makes and returns without a timeout or an adapter anywhere in it:
 * `def _http(): s = requests.Session(); s.headers[...] = ...; return s`, then `_http().post(url)`.
 */
function isPlainSessionHelper(ctx: RuleContext, site: CallSite): boolean {
  const construction = receiverConstruction(ctx, site);
  const made = construction ? helperReturnCalls(ctx, construction) : null;
  return (
    !!made &&
    !setsTimeout(made.helper.node) &&
    made.calls.every((built) => SESSION_CONSTRUCTORS.test(ctx.file.callAt(built)?.callee ?? ''))
  );
}

function isHttpxClientCall(ctx: RuleContext, site: CallSite): boolean {
  if (!REQUESTS_VERBS.has(site.name) && site.name !== 'stream' && site.name !== 'send') return false;
  const built = site.receiver ? receiverConstructor(ctx, site) : null;
  return !!built && /^httpx\.(Client|AsyncClient)$/.test(built);
}

function isOpener(ctx: RuleContext, site: CallSite): boolean {
  const built = site.receiver ? receiverConstructor(ctx, site) : null;
  return !!built && OPENER_BUILDERS.has(built);
}

/** A same-file subclass of requests.Session that never mentions a timeout (its requests have none). */
function isPlainSessionSubclass(ctx: RuleContext, name: string): boolean {
  const local = ctx.file.scopes.find((s) => s.kind === 'class' && s.name === name);
  if (!local) return false;
  return (
    local.bases.some((b) => SESSION_CONSTRUCTORS.test(ctx.file.imports.resolve(b) ?? '')) &&
    !setsTimeout(local.node)
  );
}

/** Code (not a docstring or comment) that names a timeout or mounts an adapter. */
function setsTimeout(node: Node): boolean {
  return node
    .descendantsOfType(['identifier', 'string'])
    .some(
      (n) =>
        !!n &&
        (n.type === 'identifier'
          ? /^(timeout|mount)$/.test(n.text)
          : /^[rbuf]*["']timeout["']$/i.test(n.text)),
    );
}

/** `s.mount("https://", TimeoutAdapter(...))` or `s.request = partial(..., timeout=...)` in the same scope. */
function configuresSession(ctx: RuleContext, site: CallSite): boolean {
  const receiver = site.receiver;
  if (!receiver || (receiver.type !== 'identifier' && receiver.type !== 'attribute')) return false;
  const name = receiver.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `self.session` is set up in another method (`__init__`): look through the whole class.
  const where = receiver.text.startsWith('self.') ? (site.scope.ownerClass ?? site.scope) : site.scope;
  const text = ctx.slice(where.start, where.end);
  if (new RegExp(`${name}\\.(request\\s*=|timeout\\s*=)`).test(text)) return true;
  if (!new RegExp(`${name}\\.mount\\s*\\(`).test(text)) return false;
  // requests' own HTTPAdapter (retries, pool sizes) has no timeout setting: only another adapter may add one.
  return ctx.file
    .callsNamed('mount')
    .some(
      (mount) =>
        mount.receiver?.text === receiver.text &&
        mount.node.startIndex >= where.start &&
        mount.node.endIndex <= where.end &&
        !isPlainAdapter(ctx, mount.args.positional[1] ?? mount.args.keywords.get('adapter')),
    );
}

function isPlainAdapter(ctx: RuleContext, adapter: Node | undefined): boolean {
  if (!adapter) return false;
  const value = ctx.file.resolveValue(adapter);
  return value.type === 'call' && ctx.file.callAt(value)?.callee === 'requests.adapters.HTTPAdapter';
}

/** The call's timeout: missing, None (the node), or something else that is not None ('unknown' = any). */
function timeoutOf(ctx: RuleContext, site: CallSite): 'missing' | 'unknown' | Node {
  const timeout = site.args.keywords.get('timeout') ?? splatKeywords(ctx, site)?.get('timeout');
  // timeout=(3.05, None): connecting is bounded, reading is not.
  const pair = timeout ? ctx.file.resolveValue(timeout) : null;
  if (pair?.type === 'tuple' && pair.namedChildren[1]?.type === 'none' && site.args.keywords.has('timeout'))
    return pair.namedChildren[1];
  if (timeout)
    return ctx.file.resolveValue(timeout).type === 'none' && site.args.keywords.has('timeout')
      ? timeout
      : 'unknown';
  if (site.args.hasSplat) return 'unknown';
  return 'missing';
}

function addTimeout(ctx: RuleContext, site: CallSite) {
  return site.args.list ? [addArgument(ctx, site.args.list, DEFAULT_TIMEOUT)] : [];
}
