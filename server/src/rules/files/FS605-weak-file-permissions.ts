import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';
import { replaceNode } from '../support/edits';
import { fileModeOf, formatMode, shellChmodModes } from '../support/permissions';
import { defineRule } from '../rule';

const OTHER_WRITE = 0o002;
const OTHER_ACCESS = 0o007;
const OTHER_READ = 0o004;
const GROUP_AND_OTHER_WRITE = 0o022;
const GROUP_AND_OTHER = 0o077;

/**
 * Where the mode is in calls that change a file's permissions (position, keyword). `chmod` as a method
 * is pathlib's `p.chmod(mode)` or an SFTP client's `sftp.chmod(path, mode)`: the last positional argument.
 */
const CHANGE_MODE = new Map<string, number>([
  ['os.chmod', 1],
  ['os.lchmod', 1],
  ['os.fchmod', 1],
]);

/** Names that say a path holds a secret: world-readable is then a leak too. */
const SECRET_PATH =
  /(key|secret|token|credential|passw(or)?d|\.pem\b|\.p12\b|\.pfx\b|id_(rsa|dsa|ecdsa|ed25519)|\.env\b|htpasswd|shadow|\.netrc|kubeconfig|vault)/i;

const PUBLIC_MATERIAL = /pub(lic)?([_.-]|\b)|\.pub\b|cert|\.crt\b|known_hosts|authorized_keys|ca[_-]?bundle/i;

const SHELL_CALLEES =
  /^(os\.(system|popen|spawn\w*|exec\w*)|subprocess\.(run|call|check_call|check_output|Popen|getoutput|getstatusoutput))$/;

export default defineRule({
  meta: {
    id: 'FS605',
    name: 'weak-file-permissions',
    title: 'File or directory made writable (or a secret readable) by other users',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-732', 'CWE-276'],
    owasp: ['A01:2021', 'A05:2021'],
    fix: { title: 'Remove the write bits for group and others', safety: 'unsafe' },
    docs: {
      summary:
        'Finds permission changes that let every user of the machine write a file or directory: `os.chmod`/`os.lchmod`/`os.fchmod`, pathlib `Path.chmod` and SFTP `chmod` with a mode that has the "others may write" bit (`0o777`, `0o666`, `511`, `stat.S_IRWXO`, `stat.S_IWOTH | ...`), `os.umask()` values that leave that bit set for every file created afterwards (`os.umask(0)`), and `chmod 777`/`o+w`/`a+w` run through `os.system` or `subprocess`. A private key, token, `.env` or credentials file (by its path or the names it is built from) made readable by others (`0o644`, `0o755`) is reported too (medium confidence). Write bits asked for when creating a file or directory (`os.open`, `os.mkdir`, `os.makedirs`, `Path.mkdir`/`touch`) are not reported: the umask narrows them, and `0o666`/`0o777` are what `open()` and `mkdir()` ask for anyway; but a key file created `0o644` stays world-readable under the usual umask and is reported. Public keys and certificates are not secrets. Reading the umask (`old = os.umask(0)` put back with `os.umask(old)`) is not a change. Modes that come from a variable the file does not set are not guessed.',
      why: 'A world-writable file can be changed by any local account or compromised service on the host: a writable script, template or config becomes code execution as the app, a writable upload or cache directory lets another user plant or swap files the app trusts. A world-readable key or credentials file hands the secret to every process on the machine.',
      example: 'os.chmod(app.config["UPLOAD_FOLDER"], 0o777)\nos.chmod("/etc/myapp/jwt_private.pem", 0o644)',
      fix: 'os.chmod(app.config["UPLOAD_FOLDER"], 0o750)  # owner writes, the web group reads\nos.chmod("/etc/myapp/jwt_private.pem", 0o600)',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/732.html',
      'https://docs.python.org/3/library/os.html#os.chmod',
      'https://bandit.readthedocs.io/en/latest/plugins/b103_set_bad_file_permissions.html',
      'https://codeql.github.com/codeql-query-help/python/py-overly-permissive-file/',
    ],
  },
  // The mode is positional in os.open/os.mkdir/os.makedirs/os.mkfifo and pathlib touch/mkdir.
  trigger: /chmod|umask|mode|S_I|open|mkdir|makedirs|mkfifo|touch/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      if (callee === 'os.umask') {
        checkUmask(ctx, site);
        continue;
      }
      if (SHELL_CALLEES.test(callee)) {
        checkShellChmod(ctx, site);
        continue;
      }
      // Modes asked for when creating (os.open, os.mkdir, Path.touch) are not checked: the umask narrows
      // them, and 0o666/0o777 there are what open() and mkdir() ask for by default.
      const changed = changedMode(site);
      if (changed) checkMode(ctx, site, changed.mode, changed.path);
      // ...but a key file created 0o644 stays world-readable under the usual umask (022).
      const created = createdFileMode(site);
      if (created) checkCreatedSecret(ctx, site, created.mode, created.path);
    }
  },
});

function changedMode(site: CallSite): { mode: Node; path: Node | null } | null {
  const callee = site.callee ?? '';
  const position = CHANGE_MODE.get(callee);
  const { positional, keywords } = site.args;
  if (position !== undefined) {
    const mode = positional[position] ?? keywords.get('mode');
    return mode ? { mode, path: positional[0] ?? keywords.get('path') ?? null } : null;
  }
  if (site.name !== 'chmod' || !site.receiver || callee.startsWith('os.')) return null;
  // p.chmod(0o600) (pathlib), sftp.chmod("/srv/x", 0o777) (paramiko SFTPClient, ftputil)
  const mode = keywords.get('mode') ?? positional[positional.length - 1];
  if (!mode) return null;
  return { mode, path: positional.length > 1 ? (positional[0] ?? null) : site.receiver };
}

/** The mode of a file created with one: `os.open(path, flags, mode)`, `Path(p).touch(mode=...)`. */
function createdFileMode(site: CallSite): { mode: Node; path: Node } | null {
  const { positional, keywords } = site.args;
  if (site.callee === 'os.open') {
    const mode = positional[2] ?? keywords.get('mode');
    const path = positional[0] ?? keywords.get('path');
    return mode && path ? { mode, path } : null;
  }
  if (site.name === 'touch' && site.receiver && !(site.callee ?? '').startsWith('os.')) {
    const mode = keywords.get('mode') ?? positional[0];
    return mode ? { mode, path: site.receiver } : null;
  }
  return null;
}

function checkCreatedSecret(ctx: RuleContext, site: CallSite, modeNode: Node, path: Node): void {
  const mode = fileModeOf(ctx, modeNode);
  if (mode === undefined || !(mode & OTHER_READ) || !holdsSecret(ctx, path)) return;
  ctx.report(
    modeNode,
    `${site.calleeText ?? site.name}() creates ${shortPath(ctx, path)} with mode ${formatMode(mode)}: the usual umask (022) leaves it readable by every user on the machine, and it looks like a key or credentials file. Create it with 0o600.`,
    {
      confidence: 'medium',
      fix: modeNode.type === 'integer' ? [replaceNode(modeNode, formatMode(mode & ~GROUP_AND_OTHER))] : [],
      fixTitle: 'Make it readable by the owner only',
    },
  );
}

function checkMode(ctx: RuleContext, site: CallSite, modeNode: Node, path: Node | null): void {
  const mode = fileModeOf(ctx, modeNode);
  if (mode === undefined) return;
  const literal = modeNode.type === 'integer';
  if (mode & OTHER_WRITE) {
    ctx.report(
      modeNode,
      `${site.calleeText ?? site.name}() sets mode ${formatMode(mode)}: every user on the machine can ${isDirectoryLike(ctx, path) ? 'add, replace or delete files in it' : 'change this file'}. Grant write to the owner only (for example ${formatMode(mode & ~GROUP_AND_OTHER_WRITE)}), or to a group the web server shares.`,
      { fix: literal ? [replaceNode(modeNode, formatMode(mode & ~GROUP_AND_OTHER_WRITE))] : [] },
    );
    return;
  }
  if (mode & OTHER_ACCESS && path && holdsSecret(ctx, path)) {
    ctx.report(
      modeNode,
      `${site.calleeText ?? site.name}() makes ${shortPath(ctx, path)} readable by every user on the machine (mode ${formatMode(mode)}), and it looks like a key or credentials file: use 0o600.`,
      {
        confidence: 'medium',
        fix: literal ? [replaceNode(modeNode, formatMode(mode & ~GROUP_AND_OTHER))] : [],
        fixTitle: 'Make it readable by the owner only',
      },
    );
  }
}

function checkUmask(ctx: RuleContext, site: CallSite): void {
  const maskNode = site.args.positional[0] ?? site.args.keywords.get('mask');
  if (!maskNode) return;
  const mask = fileModeOf(ctx, maskNode);
  if (mask === undefined || mask & OTHER_WRITE || readsUmask(site)) return;
  ctx.report(
    maskNode,
    `os.umask(${formatMode(mask)}) lets every file and directory the process creates from now on be writable by all users (open() asks for 0o666, mkdir for 0o777). Use os.umask(0o022) or stricter (0o077 for secrets).`,
    {
      fix:
        maskNode.type === 'integer' ? [replaceNode(maskNode, formatMode(mask | GROUP_AND_OTHER_WRITE))] : [],
      fixTitle: 'Mask the write bits of group and others',
    },
  );
}

/** `old = os.umask(0)` followed by `os.umask(old)`: the only way to read the umask, restored at once. */
function readsUmask(site: CallSite): boolean {
  const parent = site.node.parent;
  const left = parent?.type === 'assignment' ? parent.childForFieldName('left') : null;
  if (left?.type !== 'identifier') return false;
  // Put back by the very next statement: nothing is created in between.
  const statement = parent?.parent?.type === 'expression_statement' ? parent.parent : parent;
  const next = statement?.nextNamedSibling;
  return !!next && new RegExp(`^[\\w.]*umask\\(\\s*${left.text}\\s*\\)$`).test(next.text.trim());
}

function checkShellChmod(ctx: RuleContext, site: CallSite): void {
  const command =
    site.args.positional[0] ?? site.args.keywords.get('args') ?? site.args.keywords.get('command');
  if (!command) return;
  for (const found of shellChmodModes(ctx, command)) {
    if (found.otherWrite) {
      ctx.report(
        site.node,
        `The command runs chmod ${found.mode}: every user on the machine can change ${found.recursive ? 'everything under that path' : 'that path'}. Grant write to the owner (or a shared group) only, such as chmod 750 / 640.`,
      );
      return;
    }
  }
}

function holdsSecret(ctx: RuleContext, path: Node): boolean {
  // backup = key_file + ".bak", env_path = Path(root) / ".env"
  const resolved = ctx.file.resolveValue(path);
  const texts = [path.text, resolved.text, stringValue(resolved) ?? ''];
  // A public key or a certificate is meant to be readable.
  if (texts.some((t) => PUBLIC_MATERIAL.test(t))) return false;
  return texts.some((t) => SECRET_PATH.test(t));
}

function isDirectoryLike(ctx: RuleContext, path: Node | null): boolean {
  if (!path) return false;
  const text = stringValue(ctx.file.resolveValue(path)) ?? path.text;
  return /(dir|folder|uploads?|static|cache|\/)\W*$/i.test(text);
}

function shortPath(ctx: RuleContext, path: Node): string {
  const value = stringValue(ctx.file.resolveValue(path));
  const text = value !== undefined ? JSON.stringify(value) : path.text;
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}
