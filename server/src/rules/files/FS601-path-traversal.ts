import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import {
  argumentAt,
  calleeLabel,
  clientFilenamesIn,
  isCheckedByHelper,
  isGuardedPath,
  isPathlibValue,
  isUploadWriteSink,
  OPEN_CALLEES,
  PATH_FUNCTIONS,
  secureFilenameName,
  uploadOrigin,
  SEND_FILE_CALLEES,
  SEND_FROM_DIRECTORY_CALLEES,
} from '../support/files';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** pathlib methods that touch the filesystem at the receiver's path. */
const PATHLIB_SINKS = new Set([
  'read_text',
  'read_bytes',
  'write_text',
  'write_bytes',
  'open',
  'unlink',
  'rmdir',
  'mkdir',
  'touch',
  'iterdir',
  'rename',
  'replace',
  'symlink_to',
  'hardlink_to',
  'chmod',
]);
/** Of those, the ones no common non-path object has: the receiver need not be proven a pathlib path. */
const PATHLIB_ONLY = new Set(['read_text', 'read_bytes', 'write_text', 'write_bytes', 'unlink', 'iterdir']);

/** Values that are file objects, not paths, when given to send_file. */
const FILE_OBJECTS = /(^|\.)(BytesIO|StringIO|TemporaryFile|NamedTemporaryFile|SpooledTemporaryFile)$/;

interface Sink {
  site: CallSite;
  path: Node;
  what: string;
}

export default defineRule({
  meta: {
    id: 'FS601',
    name: 'path-traversal',
    title: 'Request data used as a filesystem path',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-22', 'CWE-73'],
    owasp: ['A01:2021'],
    fix: { title: 'Reduce the client value to a plain file name with secure_filename()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds request data (query string, form, JSON, headers, cookies, URL parameters) that reaches a filesystem path: `open`/`io.open`/`codecs.open`/`os.open`, `flask.send_file`, the directory of `send_from_directory`, `os.remove/unlink/rmdir/rename/replace/listdir/scandir/walk/makedirs/mkdir/chmod`, `shutil.copy/copyfile/copytree/move/rmtree`, the destination of an uploaded file\'s `save()`, and pathlib paths (`Path(name)`, `BASE / name`) read, written, opened or deleted — also through `os.path.join`, string formatting and same-file helpers. Values passed through `secure_filename`, `safe_join` or `os.path.basename`, and paths checked before use (`os.path.realpath(p).startswith(BASE)`, `Path(p).resolve().is_relative_to(BASE)`, `os.path.commonpath`, `".." in name` together with an absolute-path test such as `os.path.isabs(name)`; alone it lets `/etc/passwd` through, which `os.path.join` takes instead of the base), also inside a same-file helper that checks the path before each of its returns, are not reported. The file name argument of `send_from_directory` is safe (Flask joins it safely) and is not reported.',
      why: 'A value such as `../../../etc/passwd` or an absolute path makes the server read, overwrite or delete files outside the directory the developer had in mind: source code, configuration with secrets, SSH keys, or the application itself. `os.path.join(BASE, "/etc/passwd")` even drops `BASE` entirely.',
      example:
        '@app.route("/download")\ndef download():\n    name = request.args["file"]\n    return send_file(os.path.join(UPLOAD_DIR, name))',
      fix: '@app.route("/download")\ndef download():\n    name = request.args["file"]\n    # send_from_directory joins safely and answers 404 outside UPLOAD_DIR\n    return send_from_directory(UPLOAD_DIR, name)\n\n# or, to open a file yourself:\npath = os.path.realpath(os.path.join(UPLOAD_DIR, secure_filename(name)))\nif not path.startswith(os.path.realpath(UPLOAD_DIR) + os.sep):\n    abort(404)',
    },
    references: [
      'https://owasp.org/www-community/attacks/Path_Traversal',
      'https://cwe.mitre.org/data/definitions/22.html',
      'https://flask.palletsprojects.com/en/stable/api/#flask.send_from_directory',
      'https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.utils.secure_filename',
    ],
  },
  // A file sink: open(), send_file(), an upload's save(), an os / shutil path function or a pathlib method.
  trigger:
    /open|FileIO|save|send_file|send_from_directory|move|unlink|rmdir|listdir|scandir|walk|makedirs|mkdir|chmod|chown|truncate|rmtree|rename|replace|copy|read_text|read_bytes|write_text|write_bytes|touch|iterdir|symlink_to|hardlink_to/,
  check(ctx: RuleContext) {
    for (const sink of sinks(ctx)) {
      const { site, path, what } = sink;
      const taint = ctx.taint.reaches(path, 'path', site.scope);
      if (!taint) continue;
      // `open(os.path.join(UPLOAD, f.filename), "wb")`: an upload saved under its client name (FS602).
      if (isUploadWriteSink(ctx, site, path)) continue;
      if (site.name === 'save' && clientFilenamesIn(ctx, path).some((f) => f.origin !== null)) continue;
      // Other data of an uploaded file (its content, archive members read from it) is not a path it chose;
      // archive member names written to disk are FS603's.
      if (taint.label === 'request.files' && !clientFilenamesIn(ctx, path).some((f) => f.origin !== null))
        continue;
      if (isGuardedPath(ctx, site.node, path, (id) => !!ctx.taint.reaches(id, 'path', site.scope))) continue;
      if (isCheckedByHelper(ctx, path)) continue;
      ctx.report(
        site.node,
        `Request data (${taint.label}) reaches ${what}: a value like "../../etc/passwd" leaves the intended directory. Use secure_filename() or send_from_directory(), or check the resolved path stays inside the base directory.`,
        { taint, fix: fix(ctx, path) },
      );
    }
  },
});

function sinks(ctx: RuleContext): Sink[] {
  const out: Sink[] = [];
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const callee = site.callee;
    if (callee !== null && OPEN_CALLEES.has(callee)) {
      const path = argumentAt(site, 0, 'file', 'filename', 'path');
      if (path) out.push({ site, path, what: `the path opened by ${calleeLabel(site)}()` });
      continue;
    }
    if (callee !== null && SEND_FILE_CALLEES.has(callee)) {
      const path = argumentAt(site, 0, 'path_or_file', 'filename_or_fp', 'path');
      if (path && !isFileObject(ctx, path))
        out.push({ site, path, what: `the file sent by ${calleeLabel(site)}()` });
      continue;
    }
    if (callee !== null && SEND_FROM_DIRECTORY_CALLEES.has(callee)) {
      const path = argumentAt(site, 0, 'directory');
      if (path) out.push({ site, path, what: `the directory of ${calleeLabel(site)}()` });
      continue;
    }
    // request.files["doc"].save(dst): where the server writes the upload.
    if (site.name === 'save' && site.receiver && uploadOrigin(ctx, site.receiver) !== null) {
      const path = argumentAt(site, 0, 'dst');
      if (path) out.push({ site, path, what: 'the path an upload is saved to' });
      continue;
    }
    const signature = callee !== null ? PATH_FUNCTIONS.get(callee) : undefined;
    if (signature) {
      const seen = new Set<number>();
      for (const [i, position] of signature.positions.entries()) {
        const path = argumentAt(site, position, signature.keywords[i] ?? '') ?? null;
        if (!path || seen.has(path.id)) continue;
        seen.add(path.id);
        out.push({ site, path, what: `the path given to ${calleeLabel(site)}()` });
      }
      continue;
    }
    if (
      PATHLIB_SINKS.has(site.name) &&
      site.receiver &&
      site.node.childForFieldName('function')?.type === 'attribute'
    ) {
      const receiver = site.receiver;
      if (PATHLIB_ONLY.has(site.name) ? !isModule(ctx, receiver) : isPathlibValue(ctx, receiver)) {
        out.push({ site, path: receiver, what: `the path of .${site.name}()` });
      }
    }
  }
  return out;
}

/** `os.unlink(...)` is a module function, not a method of a path. */
function isModule(ctx: RuleContext, node: Node): boolean {
  return node.type === 'identifier' && ctx.file.imports.isImportedName(node.text);
}

function isFileObject(ctx: RuleContext, node: Node): boolean {
  const value = ctx.file.resolveValue(node);
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    const callee = site?.callee ?? '';
    return FILE_OBJECTS.test(callee) || (site !== undefined && OPEN_CALLEES.has(callee));
  }
  // request.files["f"] / request.files["f"].stream: an uploaded file object
  return /\.files\b|\.stream$/.test(value.text);
}

/**
 * `open(os.path.join(BASE, name))` / `BASE / name`: wrap the tainted file-name parts in `secure_filename()`
 * when the file imports it. Paths whose base itself is tainted, or no join, get no fix.
 */
function fix(ctx: RuleContext, path: Node): OffsetEdit[] {
  const secure = secureFilenameName(ctx);
  if (!secure) return [];
  const joined = joinOf(ctx, path) ?? joinOf(ctx, ctx.file.resolveValue(path));
  if (!joined) return [];
  const [base, ...parts] = joined;
  if (!base || ctx.taint.taintOf(base) || parts.length === 0) return [];
  const edits: OffsetEdit[] = [];
  for (const part of parts) {
    if (ctx.taint.reaches(part, 'path')) edits.push(replaceNode(part, `${secure}(${part.text})`));
  }
  return edits;
}

function joinOf(ctx: RuleContext, node: Node): readonly Node[] | null {
  if (node.type === 'call') {
    const site = ctx.file.callAt(node);
    if (!site || !['os.path.join', 'posixpath.join'].includes(site.callee ?? '') || site.args.hasSplat)
      return null;
    if (site.args.keywords.size > 0) return null;
    return site.args.positional;
  }
  if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '/') {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    return left && right && isPathlibValue(ctx, left) ? [left, right] : null;
  }
  return null;
}
