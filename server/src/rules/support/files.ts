import type { Node } from 'web-tree-sitter';
import { isConstantCollection } from '../../engine/allowLists';
import { ifBranches, leavesOrRebinds } from '../../engine/branches';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { contains, dottedName, lastSegment, stringValue } from '../../engine/syntax';

/**
 * Shared knowledge of the files-and-paths rules (FS601–FS604): which calls open, send, delete or write a
 * path and where their path arguments are; how an expression was assembled (following names to their
 * assignments); uploaded files and the client-supplied `filename` they carry; pathlib values; and
 * validation guards that make a path safe before it is used.
 *
 * Validation guards (`isGuardedPath`). A path is treated as validated at a sink when, before the sink in the
 * same function, an `if` that dominates the sink (the sink sits in one of its branches, or a branch of it
 * returns/raises/aborts/continues and the sink follows it in an enclosing block) tests a value derived from
 * the same untrusted variable with one of:
 * - `X.startswith(...)` where X was normalised by `os.path.abspath/realpath/normpath` or `Path.resolve()`;
 * - `X.is_relative_to(...)` on a normalised X, or `os.path.commonpath/commonprefix([...])` of a normalised X;
 * - `".." in X` together with `X.startswith("/")` or `os.path.isabs(X)` in the same test (the classic manual
 *   check; alone it lets an absolute path through, which `os.path.join(BASE, X)` takes instead of BASE);
 * - an allow-list or exact match: `name in ALLOWED` / `name not in ("a", "b")` / `name == "report.pdf"`
 *   (not `name == ""`, which only tests for an empty upload);
 * - a character check: `name.isalnum()`, or an anchored `re.match/fullmatch` pattern that cannot match `/`;
 * - a call to a checking function whose name says so (`is_safe_path`, `is_within_directory`, `valid_path`);
 *   not `allowed_file(...)`, which checks the extension only.
 * A `X.relative_to(base)` call on a normalised X before the sink also counts (it raises outside `base`).
 * Checks on the raw, un-normalised value (`name.startswith(BASE)`) do not count: `BASE/../etc` passes them.
 */

/** Callees that open a file by path; the path is the first argument. */
export const OPEN_CALLEES = new Set([
  'open',
  'builtins.open',
  '__builtin__.open',
  'io.open',
  'io.FileIO',
  'codecs.open',
  'os.open',
]);

export const SEND_FILE_CALLEES = new Set([
  'flask.send_file',
  'flask.helpers.send_file',
  'werkzeug.utils.send_file',
]);
export const SEND_FROM_DIRECTORY_CALLEES = new Set([
  'flask.send_from_directory',
  'flask.helpers.send_from_directory',
  'werkzeug.utils.send_from_directory',
]);

export interface PathSignature {
  positions: number[];
  keywords: string[];
}

/** Map entries giving each of `callees` the same path-argument signature. */
export function signatures(
  callees: string[],
  positions: number[],
  keywords: string[],
): [string, PathSignature][] {
  return callees.map((callee) => [callee, { positions, keywords }]);
}

/** Filesystem functions and the positional indexes / keywords of their path arguments. */
export const PATH_FUNCTIONS: ReadonlyMap<string, PathSignature> = new Map([
  ...signatures(
    [
      'os.remove',
      'os.unlink',
      'os.rmdir',
      'os.removedirs',
      'os.listdir',
      'os.scandir',
      'os.walk',
      'os.makedirs',
      'os.mkdir',
      'os.chmod',
      'os.chown',
      'os.truncate',
      'shutil.rmtree',
    ],
    [0],
    ['path', 'top', 'name'],
  ),
  ...signatures(
    [
      'os.rename',
      'os.renames',
      'os.replace',
      'shutil.copy',
      'shutil.copy2',
      'shutil.copyfile',
      'shutil.copytree',
      'shutil.move',
    ],
    [0, 1],
    ['src', 'dst'],
  ),
]);

/** pathlib constructors. */
const PATH_CONSTRUCTORS = new Set([
  'pathlib.Path',
  'pathlib.PurePath',
  'pathlib.PosixPath',
  'pathlib.WindowsPath',
  'pathlib.PurePosixPath',
  'pathlib.PureWindowsPath',
]);
/** pathlib methods/attributes that return another path. */
const PATH_RETURNING = new Set([
  'resolve',
  'absolute',
  'joinpath',
  'with_name',
  'with_suffix',
  'with_stem',
  'expanduser',
  'parent',
  'relative_to',
]);

/** Calls that make a value safe as a single path component (or a checked path). */
const SANITIZING = new Set([
  'werkzeug.utils.secure_filename',
  'werkzeug.secure_filename',
  'werkzeug.utils.safe_join',
  'werkzeug.security.safe_join',
  'flask.safe_join',
  'flask.helpers.safe_join',
  'os.path.basename',
  'posixpath.basename',
  'ntpath.basename',
]);
/** Same-file or third-party sanitizers recognised by name (`sanitize_filename`, `slugify`, `secure_name`). */
const SANITIZING_NAME =
  /^(secure_filename|safe_join|basename|slugify|sanitize\w*|\w*_?(secure|sanitiz|safe_?name|clean_?name|clean_?filename)\w*)$/i;

const NORMALIZERS = new Set(['realpath', 'abspath', 'normpath', 'resolve', 'canonicalize']);
/** Checking helpers (`is_safe_path`, `is_within_directory`, `validate_path`); not `allowed_file`, which checks the extension only. */
const CHECKING_FUNCTION =
  /(safe|within|inside|contained|is_sub|is_child|traversal|(valid|validate|allowed|check|permitted)_?(path|dir|directory|location|member|members))/i;

/** The argument passed at `position` or as one of `keywords`. */
export function argumentAt(site: CallSite, position: number, ...keywords: string[]): Node | null {
  const positional = site.args.positional[position];
  if (positional) return positional;
  for (const keyword of keywords) {
    const value = site.args.keywords.get(keyword);
    if (value) return value;
  }
  return null;
}

export function isSanitizingCall(ctx: RuleContext, call: Node): boolean {
  const site = ctx.file.callAt(call);
  if (!site) return false;
  if (site.callee && SANITIZING.has(site.callee)) return true;
  return SANITIZING_NAME.test(site.name);
}

export type Visit = (node: Node) => 'skip' | 'stop' | void;

/**
 * Visits an expression and, through names, the expressions assigned to them (every assignment that may
 * reach the use, a few steps deep). The visitor returns 'skip' to not look inside a node, 'stop' to end the
 * walk. Returns true when the walk was stopped.
 */
export function walkValue(
  ctx: RuleContext,
  root: Node | null,
  visit: Visit,
  depth = 0,
  seen = new Set<number>(),
): boolean {
  if (!root || depth > 6) return false;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    const verdict = visit(node);
    if (verdict === 'stop') return true;
    if (verdict === 'skip') continue;
    if (node.type === 'identifier' && !isNamePart(node)) {
      const scope = ctx.file.scopeAt(node);
      for (const binding of ctx.file.reaching(node.text, node, scope)) {
        if (!binding.value || binding.kind === 'def' || binding.kind === 'mutate') continue;
        if (binding.kind === 'param' && depth > 0) continue;
        if (walkValue(ctx, binding.value, visit, depth + 1, seen)) return true;
      }
      continue;
    }
    for (let i = node.namedChildCount - 1; i >= 0; i--) {
      const child = node.namedChild(i);
      if (child && child.type !== 'comment') stack.push(child);
    }
  }
  return false;
}

/** An identifier that is not a value of its own: the attribute in `a.b`, a keyword name, a callee. */
function isNamePart(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) return true;
  if (parent.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id) return true;
  return false;
}

/** Does the value of `node` (following names) contain a node matching `test`? */
export function valueContains(ctx: RuleContext, node: Node | null, test: (n: Node) => boolean): boolean {
  return walkValue(ctx, node, (n) => (test(n) ? 'stop' : undefined));
}

/** Is `node` (following names) a pathlib path? */
export function isPathlibValue(ctx: RuleContext, node: Node | null, depth = 0): boolean {
  if (!node || depth > 8) return false;
  switch (node.type) {
    case 'parenthesized_expression':
      return isPathlibValue(ctx, node.namedChildren[0] ?? null, depth + 1);
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return false;
      if (site.callee && PATH_CONSTRUCTORS.has(site.callee)) return true;
      return PATH_RETURNING.has(site.name) && isPathlibValue(ctx, site.receiver, depth + 1);
    }
    case 'binary_operator': {
      if (node.childForFieldName('operator')?.text !== '/') return false;
      return (
        isPathlibValue(ctx, node.childForFieldName('left'), depth + 1) ||
        isPathlibValue(ctx, node.childForFieldName('right'), depth + 1)
      );
    }
    case 'attribute': {
      const attribute = node.childForFieldName('attribute')?.text ?? '';
      return (
        PATH_RETURNING.has(attribute) && isPathlibValue(ctx, node.childForFieldName('object'), depth + 1)
      );
    }
    case 'identifier': {
      const scope = ctx.file.scopeAt(node);
      const bindings = ctx.file.reaching(node.text, node, scope);
      return bindings.some(
        (b) =>
          (b.kind === 'assign' || b.kind === 'walrus') &&
          !!b.value &&
          isPathlibValue(ctx, b.value, depth + 1),
      );
    }
    default:
      return false;
  }
}

/** `open(p, "wb")`, `open(p, mode="a")`, `os.open(p, os.O_WRONLY | os.O_CREAT)`: the call writes. */
export function opensForWriting(site: CallSite): boolean {
  if (site.callee === 'os.open') {
    const flags = argumentAt(site, 1, 'flags');
    return !!flags && /O_(WRONLY|RDWR|CREAT|APPEND|TRUNC)/.test(flags.text);
  }
  const mode = argumentAt(site, 1, 'mode');
  const text = stringValue(mode);
  return text !== undefined && /[wax+]/.test(text);
}

// ---------------------------------------------------------------------------------------------------------
// Uploaded files

export type UploadOrigin = 'request' | 'form' | 'cgi';

/** `request.files` (any alias of `request`), or a name assigned it. */
function isFilesCollection(ctx: RuleContext, node: Node | null, depth = 0): boolean {
  if (!node || depth > 4) return false;
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    return (
      node.childForFieldName('attribute')?.text === 'files' && !!object && ctx.taint.isRequestObject(object)
    );
  }
  if (node.type === 'call') {
    // request.files.to_dict()
    const site = ctx.file.callAt(node);
    return !!site && site.name === 'to_dict' && isFilesCollection(ctx, site.receiver, depth + 1);
  }
  if (node.type === 'identifier') {
    const value = ctx.file.resolveValue(node);
    return value !== node && isFilesCollection(ctx, value, depth + 1);
  }
  return false;
}

/** An iterable whose items are uploaded files: `request.files.getlist("x")`, `request.files.values()`. */
function isUploadIterable(ctx: RuleContext, node: Node | null, depth = 0): UploadOrigin | null {
  if (!node || depth > 4) return null;
  if (node.type === 'call') {
    const site = ctx.file.callAt(node);
    if (!site) return null;
    if (['getlist', 'values', 'itervalues'].includes(site.name) && isFilesCollection(ctx, site.receiver))
      return 'request';
    if (['sorted', 'list', 'reversed', 'filter', 'enumerate'].includes(site.name) && !site.receiver) {
      return isUploadIterable(ctx, site.args.positional[site.name === 'filter' ? 1 : 0] ?? null, depth + 1);
    }
    return null;
  }
  if (node.type === 'list_comprehension' || node.type === 'generator_expression') {
    return isUploadIterable(
      ctx,
      node.namedChildren.find((c) => c?.type === 'for_in_clause')?.childForFieldName('right') ?? null,
      depth + 1,
    );
  }
  if (node.type === 'identifier') {
    const value = ctx.file.resolveValue(node);
    return value !== node ? isUploadIterable(ctx, value, depth + 1) : null;
  }
  return null;
}

/**
 * Where an expression holding a file object comes from: `request.files[...]`, `request.files.get(...)`,
 * an item of `request.files.getlist(...)`/`.values()`/`.items()` (Flask/Werkzeug `FileStorage`), a
 * Flask-WTF `form.field.data`, or a `cgi.FieldStorage()` item.
 */
export function uploadOrigin(ctx: RuleContext, node: Node | null, depth = 0): UploadOrigin | null {
  if (!node || depth > 6) return null;
  switch (node.type) {
    case 'parenthesized_expression':
      return uploadOrigin(ctx, node.namedChildren[0] ?? null, depth + 1);
    case 'subscript': {
      const value = node.childForFieldName('value');
      if (isFilesCollection(ctx, value)) return 'request';
      if (isUploadIterable(ctx, value)) return 'request';
      if (value && ctx.file.constructorOf(value) === 'cgi.FieldStorage') return 'cgi';
      return null;
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return null;
      if (site.name === 'get' && isFilesCollection(ctx, site.receiver)) return 'request';
      if (
        ['getfirst', 'get'].includes(site.name) &&
        site.receiver &&
        ctx.file.constructorOf(site.receiver) === 'cgi.FieldStorage'
      )
        return 'cgi';
      return null;
    }
    case 'attribute': {
      if (node.childForFieldName('attribute')?.text !== 'data') return null;
      const object = node.childForFieldName('object');
      // form.photo.data (Flask-WTF FileField), not request.data
      return object?.type === 'attribute' && !ctx.taint.isRequestObject(object) ? 'form' : null;
    }
    case 'identifier': {
      const scope = ctx.file.scopeAt(node);
      for (const binding of ctx.file.reaching(node.text, node, scope)) {
        let origin: UploadOrigin | null = null;
        if ((binding.kind === 'assign' || binding.kind === 'walrus') && binding.value) {
          origin = uploadOrigin(ctx, binding.value, depth + 1);
        } else if (binding.kind === 'for' && binding.value) {
          origin = forItemOrigin(ctx, binding.node, node.text);
        }
        if (origin) return origin;
      }
      return null;
    }
    default:
      return null;
  }
}

/** `for f in request.files.getlist(...)`, `for key, f in request.files.items()`, `for i, f in enumerate(...)`. */
function forItemOrigin(ctx: RuleContext, loop: Node, name: string): UploadOrigin | null {
  const left = loop.childForFieldName('left');
  const right = loop.childForFieldName('right');
  if (!left || !right) return null;
  if (left.type === 'identifier') return isUploadIterable(ctx, right);
  // Tuple target: the file is the second element of `.items()` or `enumerate(...)`.
  const parts = left.namedChildren.filter((c) => c?.type === 'identifier').map((c) => c?.text);
  if (parts.indexOf(name) !== 1) return null;
  const site = right.type === 'call' ? ctx.file.callAt(right) : undefined;
  if (!site) return null;
  if (['items', 'iteritems'].includes(site.name) && isFilesCollection(ctx, site.receiver)) return 'request';
  if (site.name === 'enumerate' && !site.receiver)
    return isUploadIterable(ctx, site.args.positional[0] ?? null);
  return null;
}

export interface ClientFilename {
  /** The `x.filename` attribute node. */
  node: Node;
  origin: UploadOrigin | null;
  /** The file object expression (`f` in `f.filename`). */
  object: Node;
}

/**
 * The client-supplied names (`f.filename`) that end up, unsanitised, in a path expression. Values passed
 * through `secure_filename`, `os.path.basename`, `safe_join` or a same-named helper are clean, and so is the
 * extension cut out by `name.rsplit(".", 1)[1]` / `os.path.splitext(name)[1]` (it cannot hold `..` or `/`).
 */
export function clientFilenamesIn(ctx: RuleContext, path: Node | null): ClientFilename[] {
  const found: ClientFilename[] = [];
  walkValue(ctx, path, (n) => {
    if (n.type === 'call' && isSanitizingCall(ctx, n)) return 'skip';
    if (n.type === 'subscript' && isExtensionPart(ctx, n)) return 'skip';
    if (n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'filename') {
      const object = n.childForFieldName('object');
      if (object) found.push({ node: n, object, origin: uploadOrigin(ctx, object) });
      return 'skip';
    }
    return undefined;
  });
  return found;
}

/** `name.rsplit(".", 1)[1]`, `name.split(".")[-1]`, `os.path.splitext(name)[1]`: no `/` or `..` can remain. */
function isExtensionPart(ctx: RuleContext, subscript: Node): boolean {
  const value = subscript.childForFieldName('value');
  const index = subscript.childForFieldName('subscript')?.text;
  if (value?.type !== 'call') return false;
  const site = ctx.file.callAt(value);
  if (!site) return false;
  if (site.callee === 'os.path.splitext' || site.name === 'splitext') return index === '1' || index === '-1';
  if (['split', 'rsplit', 'rpartition', 'partition'].includes(site.name)) {
    const separator = stringValue(site.args.positional[0] ?? null);
    return separator === '.' || separator === '/';
  }
  return false;
}

/** The local name `secure_filename` is importable under in this file, if it is imported. */
export function secureFilenameName(ctx: RuleContext): string | null {
  const qualified = ctx.file.imports.qualify('secure_filename');
  if (qualified === 'werkzeug.utils.secure_filename' || qualified === 'werkzeug.secure_filename')
    return 'secure_filename';
  const alias = /from\s+werkzeug(?:\.utils)?\s+import\s+[^\n]*\bsecure_filename\s+as\s+(\w+)/.exec(
    ctx.file.text,
  );
  return alias?.[1] ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// Validation guards

/** The identifiers (by name) in the value of `node` that pass `relevant`. */
function relevantNames(ctx: RuleContext, node: Node, relevant: (id: Node) => boolean): Set<string> {
  const names = new Set<string>();
  walkValue(ctx, node, (n) => {
    if (n.type === 'identifier' && !isNamePart(n) && !isCallee(ctx, n) && relevant(n)) names.add(n.text);
  });
  return names;
}

/** A function name (`helper(...)`) or an imported module/function (`os` in `os.path.join`): not a value. */
function isCallee(ctx: RuleContext, node: Node): boolean {
  if (ctx.file.imports.isImportedName(node.text)) return true;
  return node.parent?.type === 'call' && node.parent.childForFieldName('function')?.id === node.id;
}

function namesIn(ctx: RuleContext, node: Node | null): { names: Set<string>; normalized: boolean } {
  const names = new Set<string>();
  let normalized = false;
  walkValue(ctx, node, (n) => {
    if (n.type === 'identifier' && !isNamePart(n) && !isCallee(ctx, n)) names.add(n.text);
    if (n.type === 'call') {
      const site = ctx.file.callAt(n);
      if (site && NORMALIZERS.has(site.name)) normalized = true;
    }
  });
  return { names, normalized };
}

function shares(a: Set<string>, b: Set<string>): boolean {
  for (const name of a) if (b.has(name)) return true;
  return false;
}

/** Does `condition` hold a check of a value sharing one of `names`? */
function validates(ctx: RuleContext, condition: Node, names: Set<string>): boolean {
  let found = false;
  const visit = (n: Node): void => {
    if (found) return;
    if (n.type === 'call') {
      const site = ctx.file.callAt(n);
      if (site) {
        if (['startswith', 'is_relative_to', 'relative_to'].includes(site.name) && site.receiver) {
          const subject = namesIn(ctx, site.receiver);
          if (subject.normalized && shares(subject.names, names)) found = true;
        } else if (['commonpath', 'commonprefix'].includes(site.name)) {
          const subject = namesIn(ctx, site.args.list);
          if (subject.normalized && shares(subject.names, names)) found = true;
        } else if (CHECKING_FUNCTION.test(site.name)) {
          if (shares(namesIn(ctx, site.args.list).names, names)) found = true;
        } else if (CHARACTER_CHECKS.has(site.name) && site.receiver) {
          // name.isalnum(), name.isidentifier()
          if (shares(namesIn(ctx, site.receiver).names, names)) found = true;
        } else if (['re.match', 're.fullmatch', 're.search'].includes(site.callee ?? '')) {
          const pattern = stringValue(site.args.positional[0] ?? null);
          const subject = site.args.positional[1] ?? null;
          if (pattern !== undefined && isStrictPattern(pattern, site.callee === 're.fullmatch')) {
            if (shares(namesIn(ctx, subject).names, names)) found = true;
          }
        } else if (site.name === 'match' || site.name === 'fullmatch') {
          // SAFE_NAME.match(name) with SAFE_NAME = re.compile(r"^[\w-]+$")
          const compiled = site.receiver ? ctx.file.resolveValue(site.receiver) : null;
          const compile = compiled?.type === 'call' ? ctx.file.callAt(compiled) : undefined;
          const pattern =
            compile?.callee === 're.compile' ? stringValue(compile.args.positional[0] ?? null) : undefined;
          if (pattern !== undefined && isStrictPattern(pattern, site.name === 'fullmatch')) {
            if (shares(namesIn(ctx, site.args.positional[0] ?? null).names, names)) found = true;
          }
        }
      }
    } else if (n.type === 'comparison_operator') {
      const operators = n.children
        .filter((c) => c && !c.isNamed)
        .map((c) => c?.text)
        .join(' ');
      const left = n.namedChildren[0] ?? null;
      const right = n.namedChildren[1] ?? null;
      const membership = /\bin\b/.test(operators);
      if (membership && stringValue(left)?.includes('..')) {
        // ".." in name, with an absolute-path test beside it: os.path.join(BASE, "/etc/passwd") drops BASE.
        if (shares(namesIn(ctx, right).names, names) && REJECTS_ABSOLUTE.test(condition.text)) found = true;
      } else if (membership && right && isConstantCollection(ctx.file, right)) {
        // name in ALLOWED_FILES / name not in ("a.txt", "b.txt"); not `ext in ALLOWED_EXTENSIONS` with
        // `ext = name.rsplit(".", 1)[1]`, which "../../x.png" passes.
        if (left && shares(namesIn(ctx, left).names, names) && !isPartOfName(ctx, left)) found = true;
      } else if (/==|!=/.test(operators) && (!!stringValue(left) || !!stringValue(right))) {
        // name == "report.pdf" (not `name == ""`, the "no file selected" check)
        if (shares(namesIn(ctx, left).names, names) || shares(namesIn(ctx, right).names, names)) found = true;
      }
    }
    for (const child of n.namedChildren) if (child) visit(child);
  };
  visit(condition);
  return found;
}

/** `os.path.isabs(name)`, `name.startswith("/")` (or `("/", "\\")`, `os.sep`), `Path(name).is_absolute()`. */
const REJECTS_ABSOLUTE = /isabs\s*\(|is_absolute\s*\(|startswith\s*\(\s*(\(\s*)?(['"]\/|os\.sep)/;

/** Calls and attributes that take a part of a file name or path: its extension, its last component. */
const PART_CALLS = new Set(['split', 'rsplit', 'splitext', 'partition', 'rpartition', 'basename', 'dirname']);
const PART_ATTRIBUTES = new Set(['suffix', 'suffixes', 'stem', 'name', 'parent', 'parts']);

/**
 * Whether `value` is a part of a name rather than the whole of it: `name.rsplit(".", 1)[1]`,
 * `os.path.splitext(name)[1]`, `Path(name).suffix`, `name[-4:]`, or a variable holding one.
 */
function isPartOfName(ctx: RuleContext, value: Node): boolean {
  let part = false;
  walkValue(ctx, value, (n) => {
    if (n.type === 'call' && PART_CALLS.has(ctx.file.callAt(n)?.name ?? '')) part = true;
    else if (n.type === 'attribute' && PART_ATTRIBUTES.has(n.childForFieldName('attribute')?.text ?? ''))
      part = true;
    else if (n.type === 'subscript') {
      // An index or a slice takes a part; `request.files["doc"]` picks the whole upload.
      const index = n.childForFieldName('subscript');
      if (index?.type === 'slice' || index?.type === 'integer' || index?.type === 'unary_operator')
        part = true;
    }
    return part ? 'stop' : undefined;
  });
  return part;
}

/** String methods that only accept values without `/` and `.`. */
const CHARACTER_CHECKS = new Set(['isalnum', 'isalpha', 'isdigit', 'isdecimal', 'isnumeric', 'isidentifier']);

/** An anchored regex that cannot match `/` (nor `..` unless dots are allowed one at a time). */
function isStrictPattern(pattern: string, full: boolean): boolean {
  if (!full && !pattern.startsWith('^') && !pattern.startsWith('\\A')) return false;
  if (!/(\$|\\Z|\\z)$/.test(pattern) && !full) return false;
  return !pattern.includes('/') && !/\.[*+]|\\S|\\W|\[\^/.test(pattern);
}

/**
 * Is the path `arg` used at `sink` validated before (see the module comment)? `relevant` says which
 * identifiers carry the untrusted part (tainted ones, archive member names...).
 */
export function isGuardedPath(
  ctx: RuleContext,
  sink: Node,
  arg: Node,
  relevant: (id: Node) => boolean,
): boolean {
  const names = relevantNames(ctx, arg, relevant);
  if (names.size === 0) return false;
  const scope = ctx.file.scopeAt(sink);
  const body = scope.node;
  // if statements (and relative_to calls) inside the function, before the sink
  const candidates = body.descendantsOfType(['if_statement', 'call']);
  for (const candidate of candidates) {
    if (!candidate || candidate.startIndex >= sink.startIndex) continue;
    if (ctx.file.scopeAt(candidate) !== scope) continue;
    if (candidate.type === 'call') {
      const site = ctx.file.callAt(candidate);
      if (site?.name !== 'relative_to' || !site.receiver) continue;
      const subject = namesIn(ctx, site.receiver);
      if (subject.normalized && shares(subject.names, names) && encloses(candidate, sink)) return true;
      continue;
    }
    const condition = candidate.childForFieldName('condition');
    if (!condition || !validates(ctx, condition, names)) continue;
    if (contains(candidate, sink)) return true;
    // Either branch leaving counts, unlike isValidatedBefore's: checks here may reject (`".." in name`).
    if (encloses(candidate, sink) && ifBranches(candidate).some((b) => leavesOrRebinds(ctx.file, b)))
      return true;
  }
  // `assert` on the path also counts (commonly used in helpers)
  for (const assertion of body.descendantsOfType('assert_statement')) {
    if (!assertion || assertion.startIndex >= sink.startIndex || ctx.file.scopeAt(assertion) !== scope)
      continue;
    if (encloses(assertion, sink) && validates(ctx, assertion, names)) return true;
  }
  return false;
}

/**
 * A path made by a same-file helper that checks it before every `return` of it: `resolve_share_path(sid,
 * rel)` returning `candidate` after `if not candidate.startswith(base + os.sep): abort(404)`. The value
 * is followed through one assignment (`path = resolve_share_path(...)`).
 */
export function isCheckedByHelper(ctx: RuleContext, node: Node): boolean {
  const value = ctx.file.resolveValue(node);
  const site = value.type === 'call' ? ctx.file.callAt(value) : undefined;
  const helper = site ? ctx.taint.sameFileCallee(site) : null;
  if (!helper || helper.returns.length === 0) return false;
  return helper.returns.every(
    (returned) => returned.type === 'identifier' && isGuardedPath(ctx, returned, returned, () => true),
  );
}

/** The statement holding `earlier` sits in a block that also holds `later` (so it runs first). */
function encloses(earlier: Node, later: Node): boolean {
  let statement: Node | null = earlier;
  while (
    statement &&
    statement.parent &&
    statement.parent.type !== 'block' &&
    statement.parent.type !== 'module'
  )
    statement = statement.parent;
  const block = statement?.parent;
  if (!block) return false;
  if (contains(block, later)) return true;
  // Inside a `try:` whose handlers stop the request: the try statement's own block counts.
  const tryStatement = block.parent?.type === 'try_statement' ? block.parent : null;
  return !!tryStatement && !!tryStatement.parent && contains(tryStatement.parent, later);
}

/** Name of the callee as written, for messages. */
export function calleeLabel(site: CallSite): string {
  return site.calleeText ?? (site.callee ? lastSegment(site.callee) : site.name);
}

/** Qualified name of a node or its dotted text. */
export function qualifiedName(ctx: RuleContext, node: Node | null): string | null {
  return ctx.file.imports.resolve(node) ?? dottedName(node);
}

/** Sinks FS602 owns: a write of an uploaded file's client name (`open(join(d, f.filename), "wb")`). */
export function isUploadWriteSink(ctx: RuleContext, site: CallSite, path: Node): boolean {
  const writes =
    (site.callee !== null && OPEN_CALLEES.has(site.callee) && opensForWriting(site)) ||
    (site.callee !== null && PATH_FUNCTIONS.has(site.callee) && argumentAt(site, 1, 'dst')?.id === path.id) ||
    (site.receiver?.id === path.id &&
      (['write_bytes', 'write_text'].includes(site.name) ||
        (site.name === 'open' && /[wax+]/.test(argumentAt(site, 0, 'mode')?.text ?? ''))));
  return writes && clientFilenamesIn(ctx, path).some((f) => f.origin !== null);
}
