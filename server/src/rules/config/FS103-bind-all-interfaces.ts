import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { argumentOf, calledName, calleeNode, environmentDefault, quotedLike } from '../support/config';
import { replaceNode } from '../support/edits';
import { splatKeywords } from '../support/values';
import { defineRule } from '../rule';

/** Addresses that mean "every interface". The empty string counts where a socket address is expected. */
const ALL_IPV4 = new Set(['0.0.0.0', '']);
const ALL_IPV6 = new Set(['::', '[::]', '::0', '0:0:0:0:0:0:0:0']);

/** Servers built from a `(host, port)` address tuple as first argument. */
const ADDRESS_SERVERS = new Set([
  'HTTPServer',
  'ThreadingHTTPServer',
  'TCPServer',
  'ThreadingTCPServer',
  'ForkingTCPServer',
  'UDPServer',
  'ThreadingUDPServer',
  'ForkingUDPServer',
  'SimpleXMLRPCServer',
  'DocXMLRPCServer',
  'WSGIServer',
  'StreamServer',
  'DatagramServer',
]);
/** Servers that take the host as a `host=` keyword (and, for some, a `listen="host:port"` string). */
const HOST_KEYWORD_SERVERS = new Set(['run', 'serve', 'run_app', 'run_server', 'start_server']);

interface Bound {
  /** The argument node holding the host (a string, a tuple or a name). */
  argument: Node;
  /** The string literal to rewrite, when the host is written in place. */
  literal: Node | null;
  ipv6: boolean;
  /** The address as written (`0.0.0.0`, `::`, `""`, `*:8080`). */
  host: string;
  /** The address is the default of an environment lookup. */
  fallback?: boolean;
}

export default defineRule({
  meta: {
    id: 'FS103',
    name: 'bind-all-interfaces',
    title: 'Server listens on all network interfaces',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-605', 'CWE-1327'],
    owasp: ['A05:2021'],
    fix: { title: 'Listen on localhost only', safety: 'unsafe' },
    docs: {
      summary:
        'Finds servers bound to every network interface with a hard-coded address: `app.run(host="0.0.0.0")` or `app.run("0.0.0.0")`, `"::"` and `""` hosts, `run_simple("0.0.0.0", ...)`, `make_server`, waitress `serve(..., host=/listen=)`, `socketio.run`/`uvicorn.run(host=...)`, socket `s.bind(("0.0.0.0", port))` / `s.bind(("", port))`, and `HTTPServer`/`TCPServer`/gevent `WSGIServer` address tuples, also through a constant such as `HOST = "0.0.0.0"` or a `**dict(...)` of the file, and, with low confidence, as the default of an environment lookup (`os.environ.get("HOST", "0.0.0.0")`). Hosts read from the environment without such a default, or from configuration, are left alone.',
      why: 'A development server bound to `0.0.0.0` answers on every network the machine is attached to — office Wi-Fi, a public cloud interface, a VPN — not just on your own machine. Combined with debug mode or an unauthenticated admin route, anyone on those networks can reach it. The Flask and Werkzeug development servers are not hardened for exposure.',
      example: 'if __name__ == "__main__":\n    app.run(host="0.0.0.0", port=5000)',
      fix: 'import os\n\nif __name__ == "__main__":\n    # Local by default; opt in to exposure explicitly (e.g. inside a container).\n    app.run(host=os.environ.get("FLASK_RUN_HOST", "127.0.0.1"), port=5000)',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/api/#flask.Flask.run',
      'https://bandit.readthedocs.io/en/latest/plugins/b104_hardcoded_bind_all_interfaces.html',
      'https://cwe.mitre.org/data/definitions/605.html',
      'https://cwe.mitre.org/data/definitions/1327.html',
    ],
  },
  // The hosts it knows as every interface (0.0.0.0, ::, [::], the empty host), or a listen= spec.
  trigger: /0\.0\.0\.0|::|0:0:0:0:0:0:0:0|listen|""|''/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const bound = boundAddress(ctx, site);
      if (!bound) continue;
      const fix: OffsetEdit[] = bound.literal
        ? [replaceNode(bound.literal, quotedLike(bound.literal, bound.ipv6 ? '::1' : '127.0.0.1'))]
        : [];
      const what = describe(site);
      if (bound.fallback) {
        // Containers set HOST=0.0.0.0 on purpose; the default is what runs everywhere else.
        ctx.report(
          calleeNode(site),
          `${what} listens on all network interfaces ("${bound.host}") when the environment does not name a host: default to 127.0.0.1 and set 0.0.0.0 where it is meant (a container).`,
          { fix, confidence: 'low' },
        );
        continue;
      }
      ctx.report(
        calleeNode(site),
        `${what} listens on all network interfaces ("${bound.host}"): it is reachable from every network the host is on. Bind to 127.0.0.1 and expose it through a reverse proxy, or take the host from configuration.`,
        { fix },
      );
    }
  },
});

function describe(site: CallSite): string {
  if (site.name === 'bind') return 'The socket';
  if (site.name === 'run') return `${site.calleeText ?? 'run'}()`;
  return `${calledName(site)}()`;
}

function boundAddress(ctx: RuleContext, site: CallSite): Bound | null {
  const callee = site.callee ?? '';
  const name = calledName(site);
  if (name === 'bind') {
    // socket.bind(address): a tuple; unix socket paths and Tk events are strings.
    return fromAddressTuple(ctx, site.args.positional[0] ?? null);
  }
  if (ADDRESS_SERVERS.has(name) || callee === 'socket.create_server' || callee === 'eventlet.listen') {
    return fromAddressTuple(ctx, site.args.positional[0] ?? site.args.keywords.get('server_address') ?? null);
  }
  if (name === 'run_simple' || name === 'make_server') {
    return fromHost(ctx, argumentOf(site, name === 'run_simple' ? 'hostname' : 'host', 0));
  }
  if (name === 'create_server' && callee !== 'socket.create_server') {
    // asyncio: loop.create_server(protocol_factory, host, port)
    return fromHost(ctx, argumentOf(site, 'host', 1));
  }
  if (!HOST_KEYWORD_SERVERS.has(name)) return null;
  // `app.run(**RUN_OPTIONS)`: a dict literal (or dict(...)) of this file gives the keywords.
  const host = site.args.keywords.get('host') ?? splatKeywords(ctx, site)?.get('host');
  if (host) return fromHost(ctx, host);
  const listen = site.args.keywords.get('listen');
  if (listen && (name === 'serve' || name === 'run')) return fromListen(ctx, listen);
  // `app.run("0.0.0.0")`: Flask.run(host, port, ...). Only on something known to be a Flask app.
  if (name === 'run' && site.args.positional[0] && isFlaskApp(ctx, site.receiver)) {
    return fromHost(ctx, site.args.positional[0]);
  }
  // asyncio.start_server(handler, host, port)
  if (name === 'start_server' && callee.startsWith('asyncio.')) {
    return fromHost(ctx, site.args.positional[1] ?? null);
  }
  return null;
}

function isFlaskApp(ctx: RuleContext, receiver: Node | null): boolean {
  if (!receiver) return false;
  if (ctx.flask.isApp(receiver)) return true;
  return /(^|\.)(app|application|flask_app)$/i.test(dottedName(receiver) ?? '') && ctx.flask.usesFlask;
}

/** A host argument (string, or a name assigned a string). The empty host counts only when written as such. */
function fromHost(ctx: RuleContext, node: Node | null): Bound | null {
  if (!node) return null;
  const value = ctx.file.resolveValue(node);
  // os.environ.get("HOST", "0.0.0.0"): every interface unless the environment says otherwise.
  const fallback = environmentDefault(ctx, value);
  if (fallback) {
    const bound = fromHost(ctx, fallback);
    return bound ? { ...bound, argument: node, fallback: true } : null;
  }
  const host = stringValue(value);
  if (host === undefined) return null;
  const ipv6 = ALL_IPV6.has(host);
  if (!ipv6 && !ALL_IPV4.has(host)) return null;
  return { argument: node, literal: value === node ? node : null, ipv6, host };
}

/** A `(host, port)` tuple, written in place or assigned to a name. */
function fromAddressTuple(ctx: RuleContext, node: Node | null): Bound | null {
  if (!node) return null;
  const tuple = ctx.file.resolveValue(node);
  if (tuple.type !== 'tuple') return null;
  const items = tuple.namedChildren.filter((c) => c && c.type !== 'comment');
  if (items.length === 0 || !items[0]) return null;
  const bound = fromHost(ctx, items[0]);
  if (!bound) return null;
  return { ...bound, argument: node, literal: tuple === node ? bound.literal : null };
}

/** waitress `listen="0.0.0.0:8080"` / `"*:8080"` / `"[::]:8080"` (several addresses separated by spaces). */
function fromListen(ctx: RuleContext, node: Node): Bound | null {
  const value = ctx.file.resolveValue(node);
  const text = stringValue(value);
  if (text === undefined) return null;
  for (const part of text.split(/\s+/)) {
    const host = part.replace(/:\d+$/, '');
    if (host === '*' || host === '0.0.0.0' || ALL_IPV6.has(host)) {
      return { argument: node, literal: null, ipv6: ALL_IPV6.has(host), host: part };
    }
  }
  return null;
}
