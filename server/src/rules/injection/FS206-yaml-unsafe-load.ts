import type { Node } from 'web-tree-sitter';
import { evaluate, truthy } from '../../engine/constants';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { dottedName, lastSegment, stringValue } from '../../engine/syntax';
import { keywordArgumentOf, removeArgument, replaceNode } from '../support/edits';
import { argumentAt } from '../support/files';
import { importedCallee, moduleAlias } from '../support/deserialization';
import { defineRule } from '../rule';

/** Loaders that build only plain data (str, int, list, dict, dates...). */
const SAFE_LOADERS = new Set(['SafeLoader', 'CSafeLoader', 'BaseLoader', 'CBaseLoader', 'RoundTripLoader']);
/** Loaders that build Python objects from `!!python/...` tags. FullLoader did so with code until 5.4. */
const UNSAFE_LOADERS = new Set([
  'Loader',
  'CLoader',
  'UnsafeLoader',
  'CUnsafeLoader',
  'FullLoader',
  'CFullLoader',
]);
const YAML_MODULE = /^(yaml|ruamel\.yaml)(\.[A-Za-z_]\w*)*$/;

/** `load(stream, Loader=...)`: unsafe without a Loader (before PyYAML 6 and ruamel.yaml 0.18). */
const LOADS_WITH_LOADER = new Set([
  'yaml.load',
  'yaml.load_all',
  'ruamel.yaml.load',
  'ruamel.yaml.load_all',
  'ruamel.yaml.main.load',
  'ruamel.yaml.main.load_all',
]);
/** Functions that always use an unsafe loader. */
const ALWAYS_UNSAFE = new Set([
  'yaml.unsafe_load',
  'yaml.unsafe_load_all',
  'yaml.full_load',
  'yaml.full_load_all',
  'ruamel.yaml.unsafe_load',
  'ruamel.yaml.unsafe_load_all',
]);
const RUAMEL_YAML = new Set(['ruamel.yaml.YAML', 'ruamel.yaml.main.YAML']);

/**
 * `safe`/`unsafe`: a stock loader; `custom`: a class of this file built on an unsafe loader (it may
 * register constructors of its own, so no automatic fix); `unknown`: nothing to say.
 */
type Verdict = 'safe' | 'unsafe' | 'custom' | 'unknown';

export default defineRule({
  meta: {
    id: 'FS206',
    name: 'yaml-unsafe-load',
    title: 'YAML loaded with a loader that builds Python objects',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-502', 'CWE-20'],
    owasp: ['A08:2021'],
    fix: { title: 'Use yaml.safe_load()', safety: 'safe' },
    docs: {
      summary:
        'Finds PyYAML `yaml.load`/`yaml.load_all` without a `Loader` or with `Loader=yaml.Loader`, `UnsafeLoader`, `FullLoader`, `CLoader` (and their C variants, also through `getattr` fallbacks, conditional expressions and classes of the same file derived from them), `yaml.unsafe_load`, `yaml.full_load` and their `_all` forms, the old `ruamel.yaml.load` API likewise, and ruamel.yaml `YAML(typ="unsafe").load()`. It fires whatever the document is, because configuration files and fixtures are data too; confidence is high when request data reaches the loader. `yaml.safe_load`, `Loader=yaml.SafeLoader`/`CSafeLoader`/`BaseLoader`, and ruamel\'s default (round-trip) and `typ="safe"` loaders are not reported.',
      why: 'PyYAML\'s full and unsafe loaders turn tags into Python objects: `!!python/object/apply:os.system ["id"]` calls `os.system` while the document is parsed, and `FullLoader` before PyYAML 5.4 allowed the same through `!!python/object/new`. Anyone who can write the YAML — an upload, a request body, a file in a shared directory, a pull request to a config — runs code in the server.',
      example: 'config = yaml.load(request.data, Loader=yaml.Loader)',
      fix: 'config = yaml.safe_load(request.data)',
    },
    references: [
      'https://pyyaml.org/wiki/PyYAMLDocumentation',
      'https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://yaml.readthedocs.io/en/latest/basicuse/',
    ],
  },
  // yaml's load, load_all, unsafe_load or full_load (safe_load is not reported).
  trigger: /\b(?:unsafe_|full_)?load(?:_all)?\b/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = importedCallee(ctx, site);
      let verdict: Verdict;
      let how = '';
      let loaderArgument: Node | null = null;
      if (callee && LOADS_WITH_LOADER.has(callee)) {
        loaderArgument = argumentAt(site, 1, 'Loader');
        if (!loaderArgument && site.args.hasSplat) continue;
        verdict = loaderArgument ? loaderVerdict(ctx, loaderArgument) : 'unsafe';
        how = loaderArgument ? ` with Loader=${loaderArgument.text}` : ' without a safe Loader';
      } else if (callee && ALWAYS_UNSAFE.has(callee)) {
        verdict = 'unsafe';
      } else if (isUnsafeRuamelLoad(ctx, site)) {
        verdict = 'custom';
        how = ' of YAML(typ="unsafe")';
      } else {
        continue;
      }
      if (verdict === 'safe' || verdict === 'unknown') continue;
      const stream = argumentAt(site, 0, 'stream');
      const taint = stream ? ctx.taint.reaches(stream, 'code', site.scope) : null;
      // `YAML(typ="unsafe").load(x)` has no dotted callee: name it by its receiver.
      const written = site.calleeText ?? `${site.receiver?.text ?? ''}.${site.name}`;
      const loader = `${written}()${site.calleeText ? how : ''}`;
      const subject = taint ? `Request data (${taint.label}) is parsed by ${loader}, which` : loader;
      const all = site.name.endsWith('_all') ? '_all' : '';
      const advice = callee?.startsWith('yaml.')
        ? `use yaml.safe_load${all}() or Loader=yaml.SafeLoader`
        : 'use YAML(typ="safe") or the default round-trip loader';
      const fix = verdict === 'unsafe' && callee ? safeLoadFix(ctx, site, callee, loaderArgument) : null;
      // FullLoader lost !!python/object/apply in PyYAML 5.4, but still builds Python objects.
      const full = /full_load|FullLoader/.test(`${callee ?? ''} ${how}`);
      const effect = full
        ? 'builds Python objects from !!python tags (arbitrary code execution before PyYAML 5.4, CVE-2020-14343)'
        : 'builds Python objects from tags like !!python/object/apply and so runs code written in the document';
      ctx.report(site.node, `${subject} ${effect}: ${advice}.`, {
        confidence: taint ? 'high' : 'medium',
        taint,
        fix: fix?.edits ?? [],
        fixTitle: fix?.title,
      });
    }
  },
});

function loaderVerdict(ctx: RuleContext, node: Node, depth = 0): Verdict {
  if (depth > 6) return 'unknown';
  if (node.type === 'parenthesized_expression' && node.namedChildren[0])
    return loaderVerdict(ctx, node.namedChildren[0], depth + 1);
  if (node.type === 'conditional_expression') {
    // `yaml.SafeLoader if 7 * 42 - num > 200 else yaml.UnsafeLoader`: a constant condition picks one.
    const [whenTrue, condition, whenFalse] = node.namedChildren;
    const folded = condition ? evaluate(ctx.file, condition) : undefined;
    const taken = folded === undefined ? [whenTrue, whenFalse] : [truthy(folded) ? whenTrue : whenFalse];
    return worst(taken.map((b) => (b ? loaderVerdict(ctx, b, depth + 1) : 'unknown')));
  }
  if (node.type === 'call') {
    // getattr(yaml, "CSafeLoader", yaml.SafeLoader): the C loader when libyaml is there, else the default.
    const site = ctx.file.callAt(node);
    if (site?.callee !== 'getattr') return 'unknown';
    const [module, name, fallback] = site.args.positional;
    const attribute = stringValue(name ?? null);
    const qualified = module ? ctx.file.imports.resolve(module) : null;
    if (!attribute || !qualified || !YAML_MODULE.test(qualified)) return 'unknown';
    const named = stockVerdict(attribute);
    return fallback ? worst([named, loaderVerdict(ctx, fallback, depth + 1)]) : named;
  }
  const dotted = dottedName(node);
  if (dotted === null) return 'unknown';
  const resolved = ctx.file.resolveValue(node);
  if (resolved !== node) return loaderVerdict(ctx, resolved, depth + 1);
  if (!ctx.file.imports.isImportedName(dotted.split('.')[0] ?? dotted)) {
    // Not an import: maybe a loader class of this file, judged by what it derives from. A subclass of
    // SafeLoader that adds an `!include` constructor is still safe.
    const local = ctx.file.classes.find((c) => c.name === dotted);
    if (!local) return 'unknown';
    const bases = local.bases.map((b) => loaderVerdict(ctx, b, depth + 1));
    if (bases.includes('safe')) return 'safe';
    return bases.some((b) => b === 'unsafe' || b === 'custom') ? 'custom' : 'unknown';
  }
  const qualified = ctx.file.imports.qualify(dotted);
  const dot = qualified.lastIndexOf('.');
  if (dot < 0 || !YAML_MODULE.test(qualified.slice(0, dot))) return 'unknown';
  return stockVerdict(qualified.slice(dot + 1));
}

function stockVerdict(name: string): Verdict {
  if (SAFE_LOADERS.has(name)) return 'safe';
  if (UNSAFE_LOADERS.has(name)) return 'unsafe';
  return 'unknown';
}

/** Several possible loaders: unsafe if any is, safe only if all are. */
function worst(verdicts: Verdict[]): Verdict {
  for (const bad of ['custom', 'unsafe', 'unknown'] as const) if (verdicts.includes(bad)) return bad;
  return 'safe';
}

/** `YAML(typ="unsafe").load(x)`, also through a variable or `self.yaml`. */
function isUnsafeRuamelLoad(ctx: RuleContext, site: CallSite): boolean {
  if ((site.name !== 'load' && site.name !== 'load_all') || !site.receiver) return false;
  return constructedBy(ctx, site.receiver, site).some((constructor) => {
    const made = ctx.file.callAt(constructor);
    if (!made?.callee || !RUAMEL_YAML.has(made.callee)) return false;
    const typ = made.args.keywords.get('typ');
    if (!typ) return false;
    const values =
      typ.type === 'list' || typ.type === 'tuple'
        ? typ.namedChildren.map((c) => stringValue(c ?? null))
        : [stringValue(ctx.file.resolveValue(typ))];
    return values.includes('unsafe');
  });
}

/**
 * The calls that built an object: its one reaching assignment, or for `self.x` read in another method, what
 * the class's methods assign to `self.x` (typically in `__init__`).
 */
function constructedBy(ctx: RuleContext, receiver: Node, site: CallSite): Node[] {
  const resolved = ctx.file.resolveValue(receiver, site.scope);
  if (resolved.type === 'call') return [resolved];
  const name = dottedName(receiver);
  const owner = site.scope.ownerClass;
  if (resolved !== receiver || !name?.startsWith('self.') || !owner) return [];
  const out: Node[] = [];
  for (const method of ctx.file.functions) {
    if (method.ownerClass !== owner) continue;
    for (const binding of method.bindings.get(name) ?? []) {
      if (binding.kind === 'assign' && binding.value?.type === 'call') out.push(binding.value);
    }
  }
  return out;
}

/** `yaml.load(x, Loader=yaml.Loader)` → `yaml.safe_load(x)`, through the module's local name. */
function safeLoadFix(
  ctx: RuleContext,
  site: CallSite,
  callee: string,
  loader: Node | null,
): { edits: OffsetEdit[]; title: string } | null {
  if (!callee.startsWith('yaml.') || site.args.hasSplat) return null;
  const fn = site.node.childForFieldName('function');
  if (!fn) return null;
  const target = lastSegment(callee).endsWith('_all') ? 'safe_load_all' : 'safe_load';
  let replacement: string | null = null;
  if (ctx.file.imports.isImportedName(target) && ctx.file.imports.qualify(target) === `yaml.${target}`) {
    replacement = target;
  } else {
    const alias = moduleAlias(ctx, site, 'yaml');
    if (alias) replacement = `${alias}.${target}`;
  }
  if (!replacement) return null;
  const edits = [replaceNode(fn, replacement)];
  if (loader) edits.push(removeArgument(ctx, keywordArgumentOf(loader) ?? loader));
  return { edits, title: `Use ${replacement}()` };
}
