import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName } from '../../engine/syntax';
import {
  argumentAt,
  clientFilenamesIn,
  isGuardedPath,
  isPathlibValue,
  OPEN_CALLEES,
  opensForWriting,
  secureFilenameName,
  valueContains,
} from '../support/files';
import type { ClientFilename } from '../support/files';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** Functions that move or copy a file to their second argument. */
const MOVE_CALLEES = new Set([
  'os.rename',
  'os.replace',
  'os.renames',
  'shutil.move',
  'shutil.copy',
  'shutil.copy2',
  'shutil.copyfile',
]);

export default defineRule({
  meta: {
    id: 'FS602',
    name: 'upload-saved-with-client-filename',
    title: 'Uploaded file saved under its client-supplied name',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-434', 'CWE-22'],
    owasp: ['A04:2021', 'A01:2021'],
    fix: { title: 'Wrap the client file name in secure_filename()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds uploaded files — `request.files["x"]`, `request.files.get("x")`, items of `request.files.getlist("x")`, `request.files.values()` or `.items()`, Flask-WTF `form.field.data`, `cgi.FieldStorage` items — written to a path built from their own `filename`: `f.save(os.path.join(UPLOAD_DIR, f.filename))`, `f.save(f.filename)`, `f.save(f"{UPLOAD_DIR}/{f.filename}")`, `open(os.path.join(d, f.filename), "wb")`, or moved there with `os.rename`/`shutil.move`. A name passed through `secure_filename()`, `os.path.basename()` or `safe_join()`, a generated name (`uuid4().hex`), only the extension (`f.filename.rsplit(".", 1)[1]`), or a name checked first (`".." in f.filename` with `f.filename.startswith("/")` or `os.path.isabs`; a `..` test alone lets an absolute name through) is not reported. `os.path.basename` is accepted: it removes every directory part, so no traversal is left (on POSIX a backslash is an ordinary character).',
      why: "The file name comes from the client and can be anything: `../../app/templates/index.html` or `/etc/cron.d/job` overwrites files outside the upload folder — templates, source code or configuration, which often means code execution. Even without traversal, a client-chosen name can overwrite another user's upload or plant `.html`/`.svg` content served from your domain.",
      example: 'f = request.files["avatar"]\nf.save(os.path.join(app.config["UPLOAD_FOLDER"], f.filename))',
      fix: 'from werkzeug.utils import secure_filename\n\nf = request.files["avatar"]\nf.save(os.path.join(app.config["UPLOAD_FOLDER"], secure_filename(f.filename)))\n# better still: store under a generated name and keep the original in the database\nf.save(os.path.join(app.config["UPLOAD_FOLDER"], uuid.uuid4().hex))',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/patterns/fileuploads/',
      'https://werkzeug.palletsprojects.com/en/stable/utils/#werkzeug.utils.secure_filename',
      'https://owasp.org/www-community/vulnerabilities/Unrestricted_File_Upload',
      'https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html',
    ],
  },
  // The client's file name: an upload's .filename.
  trigger: /filename/,
  check(ctx: RuleContext) {
    for (const { site, path } of writes(ctx)) {
      const names = clientFilenamesIn(ctx, path).filter(
        (name) =>
          name.origin !== null || (site.name === 'save' && sameObject(ctx, name.object, site.receiver)),
      );
      if (names.length === 0) continue;
      const nodeIds = new Set(names.map((n) => n.node.id));
      const objects = new Set(names.map((n) => dottedName(n.object)).filter((t): t is string => t !== null));
      const relevant = (id: Node): boolean =>
        objects.has(id.text) || valueContains(ctx, id, (n) => nodeIds.has(n.id));
      if (isGuardedPath(ctx, site.node, path, relevant)) continue;
      const fromRequest = names.some((n) => n.origin === 'request');
      const secure = secureFilenameName(ctx);
      const first = names[0] as ClientFilename;
      ctx.report(
        site.node,
        `The uploaded file is written under its client-supplied name (${first.node.text}): a name like "../../app/templates/x.html" writes outside the upload folder. Use secure_filename() or a generated name.`,
        {
          confidence: fromRequest ? 'high' : 'medium',
          fix: secure ? unique(names).map((n) => replaceNode(n.node, `${secure}(${n.node.text})`)) : [],
        },
      );
    }
  },
});

function writes(ctx: RuleContext): { site: CallSite; path: Node }[] {
  const out: { site: CallSite; path: Node }[] = [];
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const callee = site.callee ?? '';
    let path: Node | null = null;
    if (site.name === 'save' && site.receiver && !ctx.file.imports.isImportedName(site.receiver.text)) {
      path = argumentAt(site, 0, 'dst', 'path', 'filename', 'fp');
    } else if (OPEN_CALLEES.has(callee)) {
      if (opensForWriting(site)) path = argumentAt(site, 0, 'file', 'filename', 'path');
    } else if (MOVE_CALLEES.has(callee)) {
      path = argumentAt(site, 1, 'dst');
    } else if (['write_bytes', 'write_text'].includes(site.name) && site.receiver) {
      path = site.receiver;
    } else if (site.name === 'open' && site.receiver && isPathlibValue(ctx, site.receiver)) {
      const mode = argumentAt(site, 0, 'mode');
      if (mode && /[wax+]/.test(mode.text)) path = site.receiver;
    }
    if (path) out.push({ site, path });
  }
  return out;
}

/** `f.save(... f.filename ...)`: the saved object is the one whose name is used (a FileStorage). */
function sameObject(ctx: RuleContext, object: Node, receiver: Node | null): boolean {
  if (!receiver) return false;
  const a = dottedName(object);
  if (a === null || a !== dottedName(receiver)) return false;
  // PIL images have both .save() and .filename (the server-side file they were read from).
  const constructor = ctx.file.constructorOf(receiver) ?? '';
  return !/^PIL\.|(^|\.)Image\.(open|new)$/.test(constructor);
}

function unique(names: ClientFilename[]): ClientFilename[] {
  const seen = new Set<number>();
  return names.filter((n) => !seen.has(n.node.id) && seen.add(n.node.id));
}
