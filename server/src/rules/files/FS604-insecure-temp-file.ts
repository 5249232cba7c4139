import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';
import {
  OPEN_CALLEES,
  PATH_FUNCTIONS,
  SEND_FILE_CALLEES,
  SEND_FROM_DIRECTORY_CALLEES,
  signatures,
} from '../support/files';
import type { PathSignature } from '../support/files';
import { defineRule } from '../rule';

/** Functions that return a temp file name without creating the file (race between name and use). */
const NAME_ONLY = ['tempfile.mktemp', 'os.tempnam', 'os.tmpnam'];

/** World-writable shared directories (bandit B108's list). */
const SHARED_TEMP = /^(\/tmp|\/var\/tmp|\/dev\/shm)(\/|$)/;

/** Callees whose arguments at these positions / keywords are paths. `-1` = every positional argument. */
const PATH_CALLEES = new Map<string, PathSignature>([
  ...signatures([...OPEN_CALLEES], [0], ['file', 'filename', 'path']),
  ...signatures([...SEND_FILE_CALLEES], [0], ['path_or_file', 'filename_or_fp', 'path']),
  ...signatures([...SEND_FROM_DIRECTORY_CALLEES], [0], ['directory']),
  ...PATH_FUNCTIONS,
  ...signatures(
    [
      'pathlib.Path',
      'pathlib.PurePath',
      'pathlib.PosixPath',
      'pathlib.PurePosixPath',
      'os.path.join',
      'posixpath.join',
    ],
    [-1],
    [],
  ),
  ...signatures(
    [
      'logging.FileHandler',
      'logging.handlers.RotatingFileHandler',
      'logging.handlers.TimedRotatingFileHandler',
      'logging.handlers.WatchedFileHandler',
    ],
    [0],
    ['filename'],
  ),
  ...signatures(['logging.basicConfig'], [], ['filename']),
  ...signatures(['sqlite3.connect'], [0], ['database']),
  ...signatures(['tarfile.open'], [0], ['name']),
  ...signatures(['zipfile.ZipFile'], [0], ['file']),
  ...signatures(['shutil.unpack_archive'], [0, 1], ['filename', 'extract_dir']),
  ...signatures(['shutil.make_archive'], [0], ['base_name']),
  ...signatures(['os.mkfifo'], [0], ['path']),
  ...signatures(['os.symlink'], [0, 1], ['src', 'dst']),
  ...signatures(['numpy.save'], [0], ['file']),
]);

/** Methods whose argument is a path: `upload.save("/tmp/x")`, `tar.extractall("/tmp/out")`. */
const PATH_METHODS = new Map<string, PathSignature>([
  ...signatures(['save'], [0], ['dst', 'path']),
  ...signatures(['extractall'], [0], ['path']),
  ...signatures(['extract'], [1], ['path']),
  ...signatures(['to_csv'], [0], ['path_or_buf']),
]);

/** Flask config keys that hold a directory or file path. */
const PATH_KEY = /(FOLDER|DIR|DIRECTORY|PATH|FILE|ROOT)$/;

export default defineRule({
  meta: {
    id: 'FS604',
    name: 'insecure-temp-file',
    title: 'Temporary file created insecurely',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-377', 'CWE-379'],
    owasp: ['A01:2021', 'A05:2021'],
    docs: {
      summary:
        'Finds `tempfile.mktemp()` (and Python 2 `os.tempnam`/`os.tmpnam`), which return a name without creating the file, and hard-coded paths in the shared temp directories `/tmp`, `/var/tmp` and `/dev/shm` used as a file path: given to `open`/`os.open`/`pathlib.Path`/`os.path.join`/`send_file`/`os.makedirs`/`shutil`/logging file handlers/`sqlite3.connect`, to an upload\'s `.save()`, or held in a variable or a Flask config key (`UPLOAD_FOLDER`, `*_DIR`, `*_PATH`) used so. A string that merely mentions `/tmp` (a log message, `path.startswith("/tmp/")`) and `tempfile.mkstemp()`/`NamedTemporaryFile()`/`TemporaryDirectory()` are not reported; `tempfile.gettempdir()` is, when a fixed name is joined to it (`os.path.join(tempfile.gettempdir(), "export.csv")`, `Path(gettempdir()) / "x"`).',
      why: 'Every local user and process can write to `/tmp`. A predictable name there can be created first by someone else: as a symlink to a file the app can write (the app then overwrites it), as a file the app then reads (planted data, pickles, sessions), or simply to read what the app stores there. `mktemp()` has the same race: the name is free when it is returned, not when it is opened.',
      example:
        'path = tempfile.mktemp(suffix=".csv")\nwith open(path, "w") as out:\n    out.write(report)\n\nlog = logging.FileHandler("/tmp/app.log")',
      fix: 'fd, path = tempfile.mkstemp(suffix=".csv")  # created atomically with mode 0600\nwith os.fdopen(fd, "w") as out:\n    out.write(report)\n\nlog = logging.FileHandler(os.path.join(app.instance_path, "app.log"))',
    },
    references: [
      'https://docs.python.org/3/library/tempfile.html#tempfile.mktemp',
      'https://cwe.mitre.org/data/definitions/377.html',
      'https://bandit.readthedocs.io/en/latest/plugins/b108_hardcoded_tmp_directory.html',
      'https://owasp.org/www-community/vulnerabilities/Insecure_Temporary_File',
    ],
  },
  // mktemp / tempnam / tmpnam, or a path under /tmp or /dev/shm.
  trigger: /mktemp|tempnam|tmpnam|\/tmp|\/dev\/shm|gettempdir/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.callsTo(...NAME_ONLY)) {
      if (!ctx.inFocus(site.node)) continue;
      ctx.report(
        site.node,
        `${site.callee ?? 'tempfile.mktemp'}() returns a name that another process can create first (race, symlink attack): use tempfile.mkstemp(), NamedTemporaryFile() or TemporaryDirectory(), which create the file securely.`,
        { confidence: 'high' },
      );
    }
    // The paths below report the literal, which may be bound in another statement than the call or config
    // write that uses it: those walk the whole file. Only a literal that names a shared directory can match.
    if (!/\/tmp|\/dev\/shm|gettempdir/.test(ctx.file.text)) return;
    const reported = new Set<number>();
    const report = (literal: Node) => {
      if (reported.has(literal.id)) return;
      reported.add(literal.id);
      const value = literal.text.length > 40 ? `${literal.text.slice(0, 37)}...` : literal.text;
      const fixed =
        literal.type === 'string' || literal.type === 'concatenated_string'
          ? value
          : `${fixedNameOf(literal)} in tempfile.gettempdir() (/tmp)`;
      ctx.report(
        literal,
        `${fixed} is a fixed path in a shared, world-writable temp directory: another local user can create it first or plant a symlink. Use tempfile.mkstemp()/NamedTemporaryFile()/TemporaryDirectory() or a directory private to the app.`,
      );
    };
    for (const site of ctx.file.calls) {
      for (const path of pathArguments(ctx, site)) {
        for (const literal of tempLiterals(ctx, path)) report(literal);
      }
    }
    for (const write of ctx.flask.configWrites) {
      if (!PATH_KEY.test(write.key)) continue;
      for (const literal of tempLiterals(ctx, write.value)) report(literal);
    }
  },
});

function pathArguments(ctx: RuleContext, site: CallSite): Node[] {
  const signature =
    (site.callee !== null ? PATH_CALLEES.get(site.callee) : undefined) ??
    (site.receiver && !ctx.file.imports.isImportedName(site.receiver.text)
      ? PATH_METHODS.get(site.name)
      : undefined);
  if (!signature) return [];
  const out: Node[] = [];
  for (const position of signature.positions) {
    if (position === -1) out.push(...site.args.positional);
    else {
      const argument = site.args.positional[position];
      if (argument) out.push(argument);
    }
  }
  for (const keyword of signature.keywords) {
    const value = site.args.keywords.get(keyword);
    if (value) out.push(value);
  }
  return out;
}

/** The string literals starting with a shared temp directory that the path expression starts with. */
function tempLiterals(ctx: RuleContext, node: Node | null, depth = 0, out: Node[] = []): Node[] {
  if (!node || depth > 8) return out;
  switch (node.type) {
    case 'string':
    case 'concatenated_string':
      if (SHARED_TEMP.test(leadingText(node))) out.push(node);
      break;
    case 'parenthesized_expression':
      tempLiterals(ctx, node.namedChildren[0] ?? null, depth + 1, out);
      break;
    case 'binary_operator': {
      // "/tmp/" + name, "/tmp/%s" % name, Path("/tmp") / name
      const operator = node.childForFieldName('operator')?.text;
      // Path(tempfile.gettempdir()) / "export.csv"
      if (
        operator === '/' &&
        isTempDir(ctx, node.childForFieldName('left')) &&
        isFixedName(node.childForFieldName('right'))
      )
        out.push(node);
      else if (operator === '+' || operator === '%' || operator === '/')
        tempLiterals(ctx, node.childForFieldName('left'), depth + 1, out);
      break;
    }
    case 'conditional_expression':
      tempLiterals(ctx, node.namedChildren[0] ?? null, depth + 1, out);
      tempLiterals(ctx, node.namedChildren[2] ?? null, depth + 1, out);
      break;
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) break;
      // os.path.join(tempfile.gettempdir(), "export.csv"): the same fixed name in /tmp, spelled portably.
      if (
        site.callee === 'os.path.join' &&
        isTempDir(ctx, site.args.positional[0] ?? null) &&
        site.args.positional.length > 1 &&
        site.args.positional.slice(1).every((part) => isFixedName(part))
      )
        out.push(node);
      else if (['format', 'format_map'].includes(site.name)) tempLiterals(ctx, site.receiver, depth + 1, out);
      else if (
        [
          'str',
          'os.path.abspath',
          'os.path.realpath',
          'os.path.normpath',
          'os.path.expanduser',
          'os.fspath',
        ].includes(site.callee ?? '') ||
        PATH_CALLEES.get(site.callee ?? '')?.positions.includes(-1)
      )
        tempLiterals(ctx, site.args.positional[0] ?? null, depth + 1, out);
      else if (site.name === 'get' && isConfig(site.receiver))
        configValues(ctx, site.args.positional[0] ?? null, depth, out);
      break;
    }
    case 'subscript':
      if (isConfig(node.childForFieldName('value')))
        configValues(ctx, node.childForFieldName('subscript'), depth, out);
      break;
    case 'identifier': {
      const scope = ctx.file.scopeAt(node);
      for (const binding of ctx.file.reaching(node.text, node, scope)) {
        if (['assign', 'walrus', 'param'].includes(binding.kind) && binding.value)
          tempLiterals(ctx, binding.value, depth + 1, out);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

/** `tempfile.gettempdir()`, also as `Path(...)` of it or through a variable assigned once. */
function isTempDir(ctx: RuleContext, node: Node | null): boolean {
  if (!node) return false;
  const value = ctx.file.resolveValue(node);
  if (value.type !== 'call') return false;
  const site = ctx.file.callAt(value);
  if (site?.callee === 'tempfile.gettempdir' || site?.callee === 'tempfile.gettempdirb') return true;
  return (
    (site?.callee === 'pathlib.Path' || site?.callee === 'pathlib.PurePath') &&
    isTempDir(ctx, site.args.positional[0] ?? null)
  );
}

/** The fixed part of `os.path.join(gettempdir(), "a", "b")` or `Path(gettempdir()) / "a"`: `"a/b"`. */
function fixedNameOf(node: Node): string {
  const parts =
    node.type === 'binary_operator'
      ? [node.childForFieldName('right')]
      : (node.childForFieldName('arguments')?.namedChildren.slice(1) ?? []);
  return `"${parts.map((part) => (part ? (stringValue(part) ?? '') : '')).join('/')}"`;
}

/** A string literal without interpolations: the same name on every run. */
function isFixedName(node: Node | null): boolean {
  return !!node && node.type === 'string' && stringValue(node) !== undefined;
}

function isConfig(node: Node | null): boolean {
  return node?.type === 'attribute' && node.childForFieldName('attribute')?.text === 'config';
}

function configValues(ctx: RuleContext, key: Node | null, depth: number, out: Node[]): void {
  const name = stringValue(key);
  if (!name) return;
  for (const write of ctx.flask.configWritesOf(name)) tempLiterals(ctx, write.value, depth + 1, out);
}

/** The literal text a string starts with (up to its first interpolation). */
function leadingText(node: Node): string {
  if (node.type === 'concatenated_string')
    return node.namedChildren[0] ? leadingText(node.namedChildren[0]) : '';
  let text = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'interpolation') break;
    if (child.type === 'string_content' || child.type === 'escape_sequence') text += child.text;
  }
  return text;
}
