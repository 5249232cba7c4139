import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { dottedName, isFString, isStringLiteral, lastSegment, literalValue } from '../../engine/syntax';
import { isDeadCode } from './xss';

/**
 * Helpers of the rules about parsers that do more than read data: unpicklers (FS205), YAML loaders (FS206)
 * and XML parsers (FS207).
 */

/**
 * The qualified callee of a call on an imported module or an imported function (`pickle.loads`,
 * `loads` from `from pickle import loads`), or null when the call's head name is not an import or is
 * rebound in the file: `yaml = YAML(); yaml.load(f)` is ruamel's object, not PyYAML's `yaml.load`.
 */
export function importedCallee(ctx: RuleContext, site: CallSite): string | null {
  const { callee, calleeText } = site;
  if (!callee || !calleeText) return null;
  // FS205, FS207 (twice) and FS212 ask this of every call of the file; the answer depends on the file
  // alone. One map per analysis, keyed by call site: a WeakMap keyed by the call sites themselves cost
  // three times as much.
  let answers = importedCallees.get(ctx);
  if (!answers) {
    answers = new Map();
    importedCallees.set(ctx, answers);
  }
  let answer = answers.get(site);
  if (answer === undefined) {
    answer = headIsImport(ctx, site, calleeText) ? callee : null;
    answers.set(site, answer);
  }
  return answer;
}

const importedCallees = new WeakMap<RuleContext, Map<CallSite, string | null>>();

/** Is the first name of `calleeText` an import where the call is (not rebound to something else)? */
function headIsImport(ctx: RuleContext, site: CallSite, calleeText: string): boolean {
  const dot = calleeText.indexOf('.');
  const head = dot < 0 ? calleeText : calleeText.slice(0, dot);
  if (!ctx.file.imports.isImportedName(head)) return false;
  // `except ImportError: etree = None` keeps the module name for the import that succeeded.
  return ctx.file
    .reaching(head, site.node, site.scope)
    .every((b) => b.kind === 'assign' && b.value?.type === 'none');
}

/** The local name a module is imported as (`yaml`, `y` for `import yaml as y`), if there is one. */
export function moduleAlias(ctx: RuleContext, site: CallSite, module: string): string | null {
  const text = site.calleeText ?? '';
  const dot = text.lastIndexOf('.');
  if (dot > 0 && ctx.file.imports.qualify(text.slice(0, dot)) === module) return text.slice(0, dot);
  const last = lastSegment(module);
  if (ctx.file.imports.isImportedName(last) && ctx.file.imports.qualify(last) === module) return last;
  return null;
}

/** `True`, `1` (also through a name assigned once). */
export function isTrue(ctx: RuleContext, node: Node | null | undefined): boolean {
  if (!node) return false;
  const value = literalValue(ctx.file.resolveValue(node));
  return value === true || value === 1;
}

/** `False`, `0` (also through a name assigned once). */
export function isFalse(ctx: RuleContext, node: Node | null | undefined): boolean {
  if (!node) return false;
  const value = literalValue(ctx.file.resolveValue(node));
  return value === false || value === 0;
}

/** Calls whose result is trusted when their arguments are: paths, files opened at them, settings. */
const TRUSTED_WHEN_ARGUMENTS_ARE = new Set([
  'open',
  'io.open',
  'gzip.open',
  'bz2.open',
  'lzma.open',
  'codecs.open',
  'str',
  'bytes',
  'os.fspath',
  'os.getcwd',
  'os.getenv',
  'os.environ.get',
  'os.path.join',
  'os.path.abspath',
  'os.path.dirname',
  'os.path.realpath',
  'os.path.normpath',
  'os.path.expanduser',
  'os.path.expandvars',
  'pathlib.Path',
  'pathlib.PurePath',
  'pathlib.Path.home',
  'pathlib.Path.cwd',
  'importlib.resources.files',
  'importlib.resources.open_binary',
  'importlib.resources.read_binary',
  'pkg_resources.resource_filename',
  'pkg_resources.resource_stream',
  'pkg_resources.resource_string',
  'pkgutil.get_data',
  'tempfile.gettempdir',
  'io.BytesIO',
  'io.StringIO',
  // Encodings of constant bytes are constant bytes.
  'base64.b64decode',
  'base64.b64encode',
  'base64.urlsafe_b64decode',
  'base64.urlsafe_b64encode',
  'base64.standard_b64decode',
  'base64.decodebytes',
  'binascii.a2b_base64',
  'binascii.unhexlify',
  'bytes.fromhex',
  'codecs.decode',
  'zlib.decompress',
  'gzip.decompress',
]);

/** Methods that open or read the app's own files (`app.open_resource("model.pkl")`). */
const RESOURCE_METHODS = new Set(['open_resource', 'open_instance_resource']);

const DUMPS = /(^|\.)(pickle|cPickle|_pickle|dill|cloudpickle|marshal)\.dumps$/;

/** `pickle.loads(pickle.dumps(x))`: a deep copy, which rebuilds only what the program serialized itself. */
export function isDeepCopy(ctx: RuleContext, input: Node): boolean {
  const value = ctx.file.resolveValue(input);
  return value.type === 'call' && DUMPS.test(ctx.file.callAt(value)?.callee ?? '');
}

/** Names of module-level settings by convention (`MODEL_PATH`, `settings.CACHE_DIR`). */
const CONSTANT_NAME = /^_?[A-Z][A-Z0-9_]*$/;

/**
 * Whether a value (a path, a file object, bytes) comes from the program or its deployment rather than from
 * outside: literals, `__file__`, UPPER_CASE settings, app and environment configuration, files opened at
 * such paths and what is read from them, and the output of `<serializer>.dumps()` (a deep-copy round trip).
 * Unknown values (parameters, attributes of objects, results of arbitrary calls) are not trusted.
 */
export function isTrustedValue(
  ctx: RuleContext,
  node: Node | null,
  depth = 0,
  seen = new Set<number>(),
): boolean {
  if (!node || depth > 10) return false;
  if (seen.has(node.id)) return true; // a cycle adds nothing new
  seen.add(node.id);
  const next = (n: Node | null): boolean => isTrustedValue(ctx, n, depth + 1, seen);
  if (isStringLiteral(node) || literalValue(node) !== undefined) return true;
  switch (node.type) {
    case 'string':
      return (
        isFString(node) &&
        node.namedChildren
          .filter((c) => c?.type === 'interpolation')
          .every((c) => next(c?.namedChildren[0] ?? null))
      );
    case 'concatenated_string':
    case 'parenthesized_expression':
      return node.namedChildren.every((c) => !c || c.type === 'comment' || next(c));
    case 'binary_operator':
      return next(node.childForFieldName('left')) && next(node.childForFieldName('right'));
    case 'identifier':
      return trustedName(ctx, node, node.text, depth, seen);
    case 'attribute': {
      const attribute = node.childForFieldName('attribute')?.text ?? '';
      const object = node.childForFieldName('object');
      if (CONSTANT_NAME.test(attribute)) return true;
      // Flask's own directories and configuration: chosen by the developer or the deployment.
      if (['root_path', 'instance_path', 'static_folder', 'template_folder', 'config'].includes(attribute))
        return true;
      if (ctx.file.imports.resolve(node) === 'os.environ') return true;
      const dotted = dottedName(node);
      if (dotted?.startsWith('self.')) return trustedName(ctx, node, dotted, depth, seen);
      // `Path(__file__).parent`, `MODEL.name`
      return next(object);
    }
    case 'subscript': {
      // A local dict, list or ConfigParser: what was stored at that place (`blobs["keyA"]`).
      const stored = ctx.taint.storedValues(node);
      if (stored) return stored.every(next);
      // `app.config["MODEL_PATH"]`, `os.environ["CACHE"]`, `PATHS["model"]`
      return next(node.childForFieldName('value'));
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return false;
      const stored = ctx.taint.storedValues(node);
      if (stored) return stored.every(next);
      const callee = site.callee;
      if (callee && DUMPS.test(callee)) return true;
      const args = [...site.args.positional, ...site.args.keywords.values()];
      if (site.args.hasSplat) return false;
      if (callee && TRUSTED_WHEN_ARGUMENTS_ARE.has(callee)) return args.every(next);
      if (RESOURCE_METHODS.has(site.name)) return args.every(next);
      // A method of a trusted value with trusted arguments: `f.read()`, `BASE.joinpath("m.pkl").open("rb")`.
      if (site.receiver && node.childForFieldName('function')?.type === 'attribute')
        return next(site.receiver) && args.every(next);
      return false;
    }
    default:
      return false;
  }
}

function trustedName(ctx: RuleContext, node: Node, name: string, depth: number, seen: Set<number>): boolean {
  if (name === '__file__' || name === '__name__') return true;
  const scope = ctx.file.scopeAt(node);
  // A branch constant conditions rule out assigns nothing (`if 7 * 42 - num > 200: bar = BLOB else: ...`).
  const bindings = ctx.file.reaching(name, node, scope).filter((b) => !isDeadCode(ctx, b.node));
  if (bindings.length === 0) {
    // An imported setting (`from config import MODEL_PATH`) or a module global defined elsewhere.
    return CONSTANT_NAME.test(lastSegment(name));
  }
  return bindings.every(
    (b) =>
      ['assign', 'walrus', 'with', 'augassign'].includes(b.kind) &&
      !!b.value &&
      isTrustedValue(ctx, b.value, depth + 1, seen),
  );
}
