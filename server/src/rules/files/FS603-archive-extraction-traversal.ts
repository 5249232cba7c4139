import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { dottedName, stringValue } from '../../engine/syntax';
import {
  argumentAt,
  isGuardedPath,
  isPathlibValue,
  isSanitizingCall,
  OPEN_CALLEES,
  opensForWriting,
  valueContains,
  walkValue,
} from '../support/files';
import { addArgument, replaceNode } from '../support/edits';
import { defineRule } from '../rule';

const TAR_OPENERS = new Set([
  'tarfile.open',
  'tarfile.TarFile',
  'tarfile.TarFile.open',
  'tarfile.TarFile.taropen',
  'tarfile.TarFile.gzopen',
  'tarfile.TarFile.bz2open',
  'tarfile.TarFile.xzopen',
]);
/** Archive readers whose own extraction is safe or that are not tar files. */
const OTHER_ARCHIVES = /^(zipfile|py7zr|rarfile|patoolib|libarchive)\./;
const UNSAFE_FILTERS = new Set(['fully_trusted', 'tarfile.fully_trusted_filter']);

type Origin = { kind: 'tar'; opener: Node } | { kind: 'other' } | { kind: 'unknown' };

export default defineRule({
  meta: {
    id: 'FS603',
    name: 'archive-extraction-traversal',
    title: 'Archive extracted without checking member paths (zip slip)',
    severity: 'error',
    confidence: 'medium',
    cwe: ['CWE-22'],
    owasp: ['A01:2021'],
    fix: { title: 'Extract with filter="data"', safety: 'unsafe' },
    docs: {
      summary:
        'Finds tar archives extracted without a check of their members: `tarfile.open(...).extractall()`, `tar.extractall(path)` and `tar.extract(member)` on a `tarfile` object (also bound by `with tarfile.open(...) as tar:`) with no `filter="data"`/`filter="tar"` (Python 3.12+, also backported to 3.8–3.11 security releases) and no `members=` from a checking function; `shutil.unpack_archive` of request data or inside a view, with no `filter=`; and zip/tar members written by hand to a path built from their stored name (`open(os.path.join(dest, info.filename), "wb")`) without a check. `zipfile.ZipFile.extractall()` is not reported: zipfile removes `..` and absolute prefixes itself (bandit B202 follows the same line). A prior loop over `tar.getmembers()` that raises on a bad member, a `TarFile.extraction_filter` set in the file, and checks such as `os.path.realpath(target).startswith(dest)` count as validation.',
      why: 'Member names inside an archive are chosen by whoever made it. A tar member named `../../home/app/.ssh/authorized_keys`, an absolute path, or a symlink followed by a file written through it puts files anywhere the server can write (CVE-2007-4559, "zip slip"): overwritten code, templates or cron jobs mean code execution.',
      example: 'with tarfile.open(fileobj=request.files["bundle"]) as tar:\n    tar.extractall(UPLOAD_DIR)',
      fix: 'with tarfile.open(fileobj=request.files["bundle"]) as tar:\n    tar.extractall(UPLOAD_DIR, filter="data")  # refuses absolute paths, "..", links outside, devices',
    },
    references: [
      'https://docs.python.org/3/library/tarfile.html#tarfile-extraction-filter',
      'https://peps.python.org/pep-0706/',
      'https://security.snyk.io/research/zip-slip-vulnerability',
      'https://cwe.mitre.org/data/definitions/22.html',
    ],
  },
  // tarfile, shutil.unpack_archive, or a member name taken from a zip or tar listing.
  trigger: /tarfile|unpack_archive|infolist|getinfo|getmember|namelist|getnames/,
  check(ctx: RuleContext) {
    const globalFilter = /\.extraction_filter\s*=/.test(ctx.file.text);
    for (const site of ctx.file.callsNamed('extractall', 'extract')) {
      if (!site.receiver || globalFilter || !ctx.inFocus(site.node)) continue;
      const origin = tarOrigin(ctx, site.receiver);
      if (origin.kind === 'other') continue;
      if (origin.kind === 'unknown' && !looksLikeTar(ctx, site.receiver)) continue;
      const filter = site.args.keywords.get('filter');
      if (filter && !isUnsafeFilter(ctx, filter)) continue;
      if (site.args.hasSplat) continue;
      if (site.name === 'extractall' && !uncheckedMembers(ctx, site)) continue;
      if (site.name === 'extract' && memberChecked(ctx, site)) continue;
      if (validatedBefore(ctx, site)) continue;
      const taint = origin.kind === 'tar' ? ctx.taint.taintOf(origin.opener) : null;
      const inView = ctx.flask.routesOf(viewScope(site)).length > 0;
      ctx.report(
        site.node,
        `${site.receiver.text.length <= 24 ? site.receiver.text : 'TarFile'}.${site.name}() extracts a tar archive without checking member paths: a member named "../../x" or an absolute path is written outside the target directory. Pass filter="data" (Python 3.12+) or check each member.`,
        {
          confidence: taint || inView ? 'high' : 'medium',
          severity: taint || inView || origin.kind === 'tar' ? 'error' : 'warning',
          taint,
          fix: addFilter(ctx, site, filter ?? null),
        },
      );
    }
    for (const site of ctx.file.callsTo('shutil.unpack_archive')) {
      if (!ctx.inFocus(site.node)) continue;
      const filter = site.args.keywords.get('filter');
      if ((filter && !isUnsafeFilter(ctx, filter)) || site.args.hasSplat) continue;
      const archive = argumentAt(site, 0, 'filename');
      const taint = ctx.taint.reaches(archive, 'path', site.scope) ?? ctx.taint.taintOf(archive, site.scope);
      const inView = ctx.flask.routesOf(viewScope(site)).length > 0;
      if (!taint && !inView) continue;
      ctx.report(
        site.node,
        'shutil.unpack_archive() extracts tar archives without checking member paths: members named "../../x" are written outside the target directory. Pass filter="data" (Python 3.12+).',
        { confidence: taint ? 'high' : 'medium', taint, fix: addFilter(ctx, site, filter ?? null) },
      );
    }
    manualExtraction(ctx);
  },
});

function viewScope(site: CallSite) {
  let scope = site.scope;
  while (scope.parent && scope.parent.kind === 'function') scope = scope.parent;
  return scope;
}

function tarOrigin(ctx: RuleContext, node: Node, depth = 0): Origin {
  if (depth > 6) return { kind: 'unknown' };
  if (node.type === 'parenthesized_expression' && node.namedChildren[0])
    return tarOrigin(ctx, node.namedChildren[0], depth + 1);
  if (node.type === 'call') {
    const callee = ctx.file.callAt(node)?.callee ?? '';
    if (TAR_OPENERS.has(callee)) return { kind: 'tar', opener: node };
    return callee && OTHER_ARCHIVES.test(callee) ? { kind: 'other' } : { kind: 'unknown' };
  }
  const name = dottedName(node);
  if (name === null) return { kind: 'unknown' };
  const scope = ctx.file.scopeAt(node);
  for (const binding of ctx.file.reaching(name, node, scope)) {
    if (!binding.value || !['assign', 'with', 'walrus'].includes(binding.kind)) continue;
    const origin = tarOrigin(ctx, binding.value, depth + 1);
    if (origin.kind !== 'unknown') return origin;
  }
  return { kind: 'unknown' };
}

/** A receiver we cannot trace: a tar file if the file works with tarfile and the name says so. */
function looksLikeTar(ctx: RuleContext, receiver: Node): boolean {
  if (!ctx.file.imports.imports('tarfile')) return false;
  return /tar/i.test(receiver.text) || !/zip|7z|rar/i.test(ctx.file.text);
}

function isUnsafeFilter(ctx: RuleContext, filter: Node): boolean {
  const text = stringValue(filter) ?? ctx.file.imports.resolve(filter) ?? '';
  return UNSAFE_FILTERS.has(text);
}

/** extractall() with no members, or members that are just `tar.getmembers()`. */
function uncheckedMembers(ctx: RuleContext, site: CallSite): boolean {
  const members = argumentAt(site, 1, 'members');
  if (!members || members.type === 'none') return true;
  // members=tar: iterating the TarFile yields every member, unchecked
  if (tarOrigin(ctx, members).kind === 'tar') return true;
  const value = ctx.file.resolveValue(members);
  // `[m for m in tar.getmembers() if not m.name.startswith("/")]`: a filter that never looks at `..`
  // (or at where the member lands) lets "../../x" through.
  if (value.type === 'list_comprehension' || value.type === 'generator_expression') {
    const clause = value.namedChildren.find((c) => c?.type === 'for_in_clause');
    const iterated = clause?.childForFieldName('right') ?? null;
    if (!iterated || !(isAllMembers(ctx, iterated, site) || tarOrigin(ctx, iterated).kind === 'tar'))
      return false;
    const conditions = value.namedChildren
      .filter((c) => c?.type === 'if_clause')
      .map((c) => c?.text ?? '')
      .join(' ');
    return !TRAVERSAL_CHECK.test(conditions);
  }
  return isAllMembers(ctx, value, site);
}

/** What a filter of members must look at to stop traversal: `..`, or the resolved path it extracts to. */
const TRAVERSAL_CHECK = /\.\.|realpath|abspath|commonpath|is_relative_to|resolve\(|normpath|safe|valid/;

/** `tar.getmembers()` of the archive being extracted. */
function isAllMembers(ctx: RuleContext, node: Node, site: CallSite): boolean {
  const value = ctx.file.resolveValue(node);
  if (value.type !== 'call') return false;
  const inner = ctx.file.callAt(value);
  return inner?.name === 'getmembers' && dottedName(inner.receiver) === dottedName(site.receiver);
}

/** tar.extract("config.json") or a member checked before (`if ".." in m.name: continue`). */
function memberChecked(ctx: RuleContext, site: CallSite): boolean {
  const member = argumentAt(site, 0, 'member');
  if (!member) return false;
  if (stringValue(member) !== undefined) return true;
  const names = new Set<string>();
  walkValue(ctx, member, (n) => {
    if (n.type === 'identifier') names.add(n.text);
  });
  return isGuardedPath(ctx, site.node, member, (id) => names.has(id.text));
}

/**
 * The pre-3.12 idiom: a loop over `tar.getmembers()` (or `tar`) before the extraction that raises or returns
 * on a bad member.
 */
function validatedBefore(ctx: RuleContext, site: CallSite): boolean {
  const receiver = dottedName(site.receiver);
  if (receiver === null) return false;
  for (const loop of site.scope.node.descendantsOfType('for_statement')) {
    if (!loop || loop.endIndex > site.node.startIndex) continue;
    const iterable = loop.childForFieldName('right');
    const iterated = iterable?.type === 'call' ? ctx.file.callAt(iterable) : undefined;
    const overMembers =
      dottedName(iterable) === receiver ||
      (!!iterated &&
        ['getmembers', 'getnames'].includes(iterated.name) &&
        dottedName(iterated.receiver) === receiver);
    if (!overMembers) continue;
    const body = loop.childForFieldName('body')?.text ?? '';
    if (/\braise\b|\breturn\b|\babort\s*\(|\bexit\s*\(/.test(body)) return true;
  }
  return false;
}

function addFilter(ctx: RuleContext, site: CallSite, filter: Node | null): OffsetEdit[] {
  if (filter) return [replaceNode(filter, '"data"')];
  if (!site.args.list || site.args.list.type !== 'argument_list') return [];
  return [addArgument(ctx, site.args.list, 'filter="data"')];
}

// ---------------------------------------------------------------------------------------------------------
// Members written by hand

/** Member-name expressions: `info.filename` (zip), `member.name` (tar), a name from `namelist()`/`getnames()`. */
function isMemberName(ctx: RuleContext, node: Node): boolean {
  if (node.type === 'attribute') {
    const attribute = node.childForFieldName('attribute')?.text;
    const object = node.childForFieldName('object');
    if (!object || object.type !== 'identifier') return false;
    if (attribute === 'filename')
      return boundByIteration(ctx, object, ['infolist']) || boundByCall(ctx, object, 'getinfo');
    if (attribute === 'name' || attribute === 'path')
      return (
        boundByIteration(ctx, object, ['getmembers']) ||
        boundByTarIteration(ctx, object) ||
        boundByCall(ctx, object, 'getmember')
      );
    return false;
  }
  if (node.type === 'identifier') return boundByIteration(ctx, node, ['namelist', 'getnames']);
  return false;
}

function loopsOver(ctx: RuleContext, name: Node): Node[] {
  const scope = ctx.file.scopeAt(name);
  return ctx.file
    .reaching(name.text, name, scope)
    .filter((b) => b.kind === 'for' && b.node.childForFieldName('left')?.type === 'identifier' && b.value)
    .map((b) => b.value as Node);
}

function boundByIteration(ctx: RuleContext, name: Node, methods: string[]): boolean {
  return loopsOver(ctx, name).some((iterable) => {
    const site = iterable.type === 'call' ? ctx.file.callAt(iterable) : undefined;
    return (
      !!site &&
      methods.includes(site.name) &&
      !!site.receiver &&
      ctx.file.imports.resolve(site.receiver) !== 'inspect'
    );
  });
}

/** `for member in tar:` over a tarfile object. */
function boundByTarIteration(ctx: RuleContext, name: Node): boolean {
  return loopsOver(ctx, name).some((iterable) => tarOrigin(ctx, iterable).kind === 'tar');
}

function boundByCall(ctx: RuleContext, name: Node, method: string): boolean {
  const value = ctx.file.resolveValue(name);
  return value.type === 'call' && ctx.file.callAt(value)?.name === method;
}

function manualExtraction(ctx: RuleContext): void {
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const callee = site.callee ?? '';
    let path: Node | null = null;
    if (OPEN_CALLEES.has(callee) && opensForWriting(site))
      path = argumentAt(site, 0, 'file', 'filename', 'path');
    else if (['write_bytes', 'write_text'].includes(site.name) && site.receiver) path = site.receiver;
    else if (site.name === 'open' && site.receiver && isPathlibValue(ctx, site.receiver)) {
      const mode = argumentAt(site, 0, 'mode');
      if (mode && /[wax+]/.test(mode.text)) path = site.receiver;
    } else if (['shutil.copyfile', 'shutil.copy', 'shutil.move'].includes(callee))
      path = argumentAt(site, 1, 'dst');
    if (!path) continue;
    let member: Node | null = null;
    walkValue(ctx, path, (n) => {
      if (n.type === 'call' && isSanitizingCall(ctx, n)) return 'skip';
      if (isMemberName(ctx, n)) {
        member = n;
        return 'stop';
      }
      return undefined;
    });
    const found = member as Node | null;
    if (!found) continue;
    const root = found.type === 'attribute' ? (found.childForFieldName('object') ?? found) : found;
    const relevant = (id: Node): boolean =>
      id.text === root.text || valueContains(ctx, id, (n) => n.id === found.id);
    if (isGuardedPath(ctx, site.node, path, relevant)) continue;
    ctx.report(
      site.node,
      `An archive member is written to a path built from its stored name (${found.text}): a member named "../../x" lands outside the target directory. Reduce it with os.path.basename() or check that os.path.realpath(target) stays inside the directory.`,
    );
  }
}
