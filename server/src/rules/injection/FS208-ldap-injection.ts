import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Taint } from '../../engine/taint';
import type { OffsetEdit } from '../../engine/types';
import { argumentAt } from '../support/files';
import { callableAs, isValidatedBefore } from '../support/queries';
import { escapeEdits, preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** python-ldap's search methods: `(base, scope, filterstr, ...)`. No other common library has these names. */
const PYTHON_LDAP_SEARCHES = new Set(['search_s', 'search_st', 'search_ext', 'search_ext_s']);
/** ldap3's paged search generator: `(search_base, search_filter, ...)`. */
const LDAP3_SEARCHES = new Set(['paged_search']);

const PYTHON_LDAP_CONNECTIONS = new Set([
  'ldap.initialize',
  'ldap.open',
  'ldap.ldapobject.LDAPObject',
  'ldap.ldapobject.SimpleLDAPObject',
  'ldap.ldapobject.ReconnectLDAPObject',
]);
const LDAP3_CONNECTIONS = new Set(['ldap3.Connection', 'ldap3.core.connection.Connection']);
/** Modules whose presence makes `x.search(base, filter)` an LDAP search rather than a regex or a search API. */
const LDAP_MODULES = [
  'ldap',
  'ldap3',
  'flask_ldap3_login',
  'flask_simpleldap',
  'flask_ldap',
  'flask_ldapconn',
];

type Library = 'python-ldap' | 'ldap3' | 'unknown';

interface Sink {
  site: CallSite;
  library: Library;
  filters: Node[];
  base: Node | null;
}

export default defineRule({
  meta: {
    id: 'FS208',
    name: 'ldap-injection',
    title: 'Request data in an LDAP search filter or DN',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-90'],
    owasp: ['A03:2021'],
    fix: { title: 'Escape the value with escape_filter_chars() / escape_dn_chars()', safety: 'unsafe' },
    docs: {
      summary:
        "Finds request data spliced into the filter or the base DN of an LDAP search: python-ldap's `search`/`search_s`/`search_st`/`search_ext`/`search_ext_s` (filter as third argument or `filterstr=`) and ldap3's `Connection.search` / `extend.standard.paged_search` (filter as second argument or `search_filter=`), built with f-strings, `%`, `.format()` or `+`; and, with medium confidence, the DN a connection binds as (python-ldap's `simple_bind_s`/`simple_bind`/`bind_s`, ldap3's `Connection(server, user)`). `.search()` counts only on an object built by `ldap.initialize()`/`ldap3.Connection()` or, when the receiver cannot be traced, in a file that imports an LDAP library. Values escaped with `ldap.filter.escape_filter_chars`, `ldap.filter.filter_format`, `ldap3.utils.conv.escape_filter_chars`, `ldap.dn.escape_dn_chars` or `ldap3.utils.dn.escape_rdn`, and values checked before use (allow-list, anchored regex, `isalnum()`), are not reported.",
      why: 'LDAP filters are a small query language: `(uid=` + `*)(|(uid=*` + `)` matches every entry, and `admin)(&)` turns a password check into one that always succeeds. An attacker logs in as another user, lists the whole directory (users, e-mails, group memberships) or probes attribute values one character at a time with `*` wildcards.',
      example:
        '@app.route("/people")\ndef people():\n    name = request.args["name"]\n    conn = ldap.initialize(LDAP_URL)\n    return jsonify(conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={name})"))',
      fix: 'from ldap.filter import escape_filter_chars\n\n@app.route("/people")\ndef people():\n    name = request.args["name"]\n    conn = ldap.initialize(LDAP_URL)\n    return jsonify(conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, f"(uid={escape_filter_chars(name)})"))\n# ldap3: from ldap3.utils.conv import escape_filter_chars',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/LDAP_Injection_Prevention_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/90.html',
      'https://www.python-ldap.org/en/python-ldap-3.4.3/reference/ldap-filter.html',
      'https://ldap3.readthedocs.io/en/latest/searches.html',
    ],
  },
  trigger: [/ldap/, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    for (const { site, dn, library } of binds(ctx)) {
      const taint = taintOf(ctx, dn);
      if (!taint || isValidatedBefore(ctx, site.node, dn)) continue;
      ctx.report(
        dn,
        `Request data (${taint.label}) reaches the DN the LDAP connection binds as (${site.calleeText ?? site.name}()): a value with "," or "=" names another entry of the directory than the user's own. Escape the value with ldap.dn.escape_dn_chars() (ldap3: escape_rdn()), or look the user's DN up with an escaped search filter.`,
        { taint, confidence: 'medium', fix: escapeFix(ctx, dn, library, 'dn') },
      );
    }
    for (const sink of sinks(ctx)) {
      const { site } = sink;
      for (const filter of sink.filters) {
        const taint = taintOf(ctx, filter);
        if (!taint || isValidatedBefore(ctx, site.node, filter)) continue;
        ctx.report(
          filter,
          `Request data (${taint.label}) reaches the filter of the LDAP search .${site.name}(): a value such as "*)(uid=*" rewrites the query. Escape it with escape_filter_chars() (ldap.filter or ldap3.utils.conv), or use ldap.filter.filter_format().`,
          { taint, fix: escapeFix(ctx, filter, sink.library, 'filter') },
        );
      }
      if (!sink.base) continue;
      const taint = taintOf(ctx, sink.base);
      if (!taint || isValidatedBefore(ctx, site.node, sink.base)) continue;
      ctx.report(
        sink.base,
        `Request data (${taint.label}) reaches the base DN of the LDAP search .${site.name}(): a value with "," or "=" moves the search to another part of the directory. Escape DN values with ldap.dn.escape_dn_chars() (ldap3: escape_rdn()) or check them against an allow-list.`,
        { taint, confidence: 'medium', fix: escapeFix(ctx, sink.base, sink.library, 'dn') },
      );
    }
  },
});

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  // A value another function computed from request data (a lookup, a count) is not request text.
  return preciseTaint(ctx, node, { sink: 'ldap', followCalls: false });
}

/** python-ldap's bind methods: `(who, cred, ...)`. */
const PYTHON_LDAP_BINDS = ['simple_bind_s', 'simple_bind', 'bind_s'];

/** The DN a connection binds as: python-ldap's `simple_bind_s(who, cred)`, ldap3's `Connection(server, user)`. */
function binds(ctx: RuleContext): { site: CallSite; dn: Node; library: Library }[] {
  const out: { site: CallSite; dn: Node; library: Library }[] = [];
  const ldapFile = LDAP_MODULES.some((m) => ctx.file.imports.imports(m));
  for (const site of ctx.file.callsNamed(...PYTHON_LDAP_BINDS)) {
    if (!site.receiver || !ctx.inFocus(site.node)) continue;
    const receiver = libraryOf(ctx, site.receiver);
    if (receiver === 'other' || receiver === 'ldap3' || (receiver === 'unknown' && !ldapFile)) continue;
    const dn = argumentAt(site, 0, 'who');
    if (dn) out.push({ site, dn, library: 'python-ldap' });
  }
  for (const site of ctx.file.callsTo(...LDAP3_CONNECTIONS)) {
    if (!ctx.inFocus(site.node)) continue;
    const dn = argumentAt(site, 1, 'user');
    if (dn) out.push({ site, dn, library: 'ldap3' });
  }
  return out;
}

function sinks(ctx: RuleContext): Sink[] {
  const out: Sink[] = [];
  const ldapFile = LDAP_MODULES.some((m) => ctx.file.imports.imports(m));
  for (const site of ctx.file.callsNamed('search', ...PYTHON_LDAP_SEARCHES, ...LDAP3_SEARCHES)) {
    // A search reports at its own filter and base arguments.
    if (!site.receiver || !ctx.inFocus(site.node)) continue;
    const receiver = libraryOf(ctx, site.receiver);
    if (receiver === 'other') continue;
    if (receiver === 'unknown' && !ldapFile) continue;
    const library: Library = PYTHON_LDAP_SEARCHES.has(site.name)
      ? 'python-ldap'
      : LDAP3_SEARCHES.has(site.name)
        ? 'ldap3'
        : receiver === 'unknown'
          ? importedLibrary(ctx)
          : receiver;
    const base = argumentAt(site, 0, 'base', 'search_base');
    let filters: (Node | null)[];
    if (library === 'python-ldap') filters = [argumentAt(site, 2, 'filterstr')];
    else if (library === 'ldap3') filters = [argumentAt(site, 1, 'search_filter')];
    else {
      // Either signature: the other position holds the scope, a constant.
      filters = [
        site.args.keywords.get('filterstr') ?? null,
        site.args.keywords.get('search_filter') ?? null,
        site.args.positional[1] ?? null,
        site.args.positional[2] ?? null,
      ];
    }
    const present = filters.filter((f): f is Node => f !== null);
    // `pattern.search(text)`: one argument, no filter keyword — not an LDAP search.
    if (site.name === 'search' && present.length === 0) continue;
    out.push({ site, library, filters: present, base });
  }
  return out;
}

/**
 * What library a connection object comes from: traced to its constructor through assignments and `with`
 * statements; 'other' for modules (`re.search`) and objects built by other calls (`re.compile(...)`,
 * `Elasticsearch(...)`); 'unknown' for parameters and attributes.
 */
function libraryOf(ctx: RuleContext, receiver: Node, depth = 0): Library | 'other' {
  if (depth > 6) return 'unknown';
  const node = unwrap(receiver);
  if (node.type === 'call') {
    const site = ctx.file.callAt(node);
    const callee = site?.callee ?? '';
    if (PYTHON_LDAP_CONNECTIONS.has(callee)) return 'python-ldap';
    if (LDAP3_CONNECTIONS.has(callee)) return 'ldap3';
    // `get_connection()` defined in this file: what it returns.
    const helper = callee.includes('.')
      ? undefined
      : ctx.file.functionsNamed(callee).find((f) => f.parent === ctx.file.module);
    if (helper) {
      const kinds = helper.returns.map((r) => libraryOf(ctx, r, depth + 1));
      return (
        kinds.find((k) => k === 'python-ldap' || k === 'ldap3') ??
        (kinds[0] === 'other' ? 'other' : 'unknown')
      );
    }
    // `re.compile(...)`, `Elasticsearch(...)`: built by another library.
    const head = callee.split('.')[0] ?? '';
    if (callee && ctx.file.imports.isImportedName(head) && !/ldap/i.test(callee)) return 'other';
    return 'unknown';
  }
  if (node.type === 'identifier') {
    if (ctx.file.imports.isImportedName(node.text)) return 'other';
    const bindings = ctx.file.reaching(node.text, node, ctx.file.scopeAt(node));
    let result: Library | 'other' | null = null;
    for (const binding of bindings) {
      if (
        (binding.kind !== 'assign' && binding.kind !== 'with' && binding.kind !== 'walrus') ||
        !binding.value
      )
        return 'unknown';
      const kind = libraryOf(ctx, binding.value, depth + 1);
      if (kind === 'python-ldap' || kind === 'ldap3') return kind;
      result = result === null || result === kind ? kind : 'unknown';
    }
    return result ?? 'unknown';
  }
  return 'unknown';
}

function importedLibrary(ctx: RuleContext): Library {
  const imports = ctx.file.imports;
  const pythonLdap = imports.imports('ldap') || imports.imports('flask_simpleldap');
  const ldap3 = imports.imports('ldap3') || imports.imports('flask_ldap3_login');
  if (pythonLdap && !ldap3) return 'python-ldap';
  if (ldap3 && !pythonLdap) return 'ldap3';
  return 'unknown';
}

/** Wraps the request values spliced into a filter/DN template in the library's escaping function. */
function escapeFix(ctx: RuleContext, node: Node, library: Library, part: 'filter' | 'dn'): OffsetEdit[] {
  const resolved = unwrap(ctx.file.resolveValue(node));
  // A whole filter taken from the request cannot be repaired by escaping it.
  if (!['string', 'binary_operator', 'call', 'concatenated_string'].includes(resolved.type)) return [];
  if (resolved.type === 'call' && ctx.file.callAt(resolved)?.name !== 'format') return [];
  const effective = library === 'unknown' ? importedLibrary(ctx) : library;
  if (effective === 'unknown') return [];
  const qualified =
    effective === 'python-ldap'
      ? part === 'filter'
        ? 'ldap.filter.escape_filter_chars'
        : 'ldap.dn.escape_dn_chars'
      : part === 'filter'
        ? 'ldap3.utils.conv.escape_filter_chars'
        : 'ldap3.utils.dn.escape_rdn';
  const escape = callableAs(ctx, qualified);
  if (!escape) return [];
  const edits = escapeEdits(ctx, node, (n) => !!taintOf(ctx, n), escape.name);
  return edits ? [...edits, ...escape.edits] : [];
}
