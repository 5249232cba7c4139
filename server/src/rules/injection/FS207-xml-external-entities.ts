import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Taint } from '../../engine/taint';
import type { OffsetEdit } from '../../engine/types';
import { contains, dottedName, lastSegment, stringValue, topLevelStatement } from '../../engine/syntax';
import { addArgument, replaceNode } from '../support/edits';
import { argumentAt } from '../support/files';
import { importedCallee, moduleAlias } from '../support/deserialization';
import { possibleValues, returnedByCall, splatKeywords } from '../support/values';
import type { Constant } from '../../engine/constants';
import { defineRule } from '../rule';

const LXML_MODULES = ['lxml.etree', 'lxml.objectify'];
/** lxml functions that parse their first argument with the parser given second (or the default one). */
const LXML_PARSE = new Set(
  LXML_MODULES.flatMap((m) =>
    ['fromstring', 'XML', 'parse', 'fromstringlist', 'XMLID', 'XMLDTDID'].map((f) => `${m}.${f}`),
  ),
);
/** lxml parser constructors, and `iterparse`, which takes the same flags itself. */
const LXML_PARSERS = new Set([
  'lxml.etree.XMLParser',
  'lxml.etree.XMLPullParser',
  'lxml.etree.ETCompatXMLParser',
  'lxml.objectify.makeparser',
  'lxml.etree.iterparse',
]);

/** Python's own parsers and their defusedxml replacements. */
const STDLIB_MODULES: readonly [string, string][] = [
  ['xml.etree.ElementTree', 'defusedxml.ElementTree'],
  ['xml.etree.cElementTree', 'defusedxml.ElementTree'],
  ['xml.dom.minidom', 'defusedxml.minidom'],
  ['xml.dom.pulldom', 'defusedxml.pulldom'],
  ['xml.dom.expatbuilder', 'defusedxml.expatbuilder'],
  ['xml.sax', 'defusedxml.sax'],
];
const STDLIB_PARSE = new Map<string, string>(
  STDLIB_MODULES.flatMap(([m, safe]) =>
    ['fromstring', 'XML', 'parse', 'parseString', 'iterparse', 'fromstringlist', 'XMLID'].map(
      (f): [string, string] => [`${m}.${f}`, `${safe}.${f}`],
    ),
  ),
);

const SAX_EXTERNAL_FEATURES = new Set([
  'xml.sax.handler.feature_external_ges',
  'xml.sax.handler.feature_external_pes',
  'http://xml.org/sax/features/external-general-entities',
  'http://xml.org/sax/features/external-parameter-entities',
]);

/** A flag of an lxml parser that lets a document reach files or the network, and its safe value. */
interface DangerousFlag {
  value: Node;
  safe: string;
  effect: string;
}

interface LxmlParser {
  site: CallSite;
  /** `false`: entities are not substituted (`resolve_entities=False`/`"internal"`); `default`: not given. */
  resolve: 'false' | 'true' | 'default' | 'unknown';
  dangerous: DangerousFlag[];
}

export default defineRule({
  meta: {
    id: 'FS207',
    name: 'xml-external-entities',
    title: 'XML parsed with external entity resolution',
    severity: 'error',
    confidence: 'medium',
    cwe: ['CWE-611', 'CWE-776'],
    owasp: ['A05:2021'],
    fix: { title: 'Turn off entity resolution', safety: 'unsafe' },
    docs: {
      summary:
        'Finds lxml parsers built with `resolve_entities=True`, `no_network=False` or `load_dtd=True` (`etree.XMLParser`, `XMLPullParser`, `objectify.makeparser`, `etree.iterparse`), request data parsed by lxml (`etree.fromstring`, `XML`, `parse`, `iterparse`, `objectify.*`) with the default parser or a parser that does not set `resolve_entities=False`, and SAX parsers with `feature_external_ges`/`feature_external_pes` turned on. These are errors, with high confidence when request data reaches the parser. Request data parsed by the standard library (`xml.etree.ElementTree`, `minidom`, `pulldom`, `xml.sax`) is a warning with medium confidence: those parsers do not fetch external entities (since Python 3.7.1), but with an expat older than 2.4.1 they expand nested entities without limit (billion laughs, CWE-776). defusedxml is never reported.',
      why: 'An XML document can declare an entity as `<!ENTITY x SYSTEM "file:///etc/passwd">` and use `&x;` in a field the app echoes back: a parser that resolves external entities pastes the server\'s file (or the answer of an internal URL) into the document. lxml before 5.0 resolves them by default. Nested internal entities (`<!ENTITY a "&b;&b;&b;...">`) grow a kilobyte document into gigabytes in memory and take the worker down.',
      example:
        '@app.post("/import")\ndef import_feed():\n    tree = etree.fromstring(request.data)\n    return tree.findtext("title")',
      fix: '@app.post("/import")\ndef import_feed():\n    parser = etree.XMLParser(resolve_entities=False, no_network=True)\n    tree = etree.fromstring(request.data, parser)\n    return tree.findtext("title")\n\n# or: import defusedxml.ElementTree as ET; ET.fromstring(request.data)',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/XML_External_Entity_Prevention_Cheat_Sheet.html',
      'https://docs.python.org/3/library/xml.html#xml-vulnerabilities',
      'https://lxml.de/api/lxml.etree.XMLParser-class.html',
      'https://github.com/tiran/defusedxml',
    ],
  },
  trigger: /xml|setFeature/,
  check(ctx: RuleContext) {
    // The parser a call builds, asked of any call: a parse call in focus may use one built elsewhere.
    const parsers = new Map<number, LxmlParser | null>();
    const parserAt = (node: Node): LxmlParser | undefined => {
      let parser = parsers.get(node.id);
      if (parser === undefined) {
        const site = ctx.file.callAt(node);
        const callee = site ? importedCallee(ctx, site) : null;
        parser = site && callee && LXML_PARSERS.has(callee) ? lxmlParser(ctx, site) : null;
        parsers.set(node.id, parser);
      }
      return parser ?? undefined;
    };
    // Explicitly dangerous parsers: reported where they are built, high when request data goes through them
    // in the same top-level statement. (Uses elsewhere would make the finding depend on other statements,
    // which a re-analysis of this one alone cannot see; a tainted parse elsewhere is a sink of its own.)
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const parser = parserAt(site.node);
      const first = parser?.dangerous[0];
      if (!parser || !first) continue;
      const taint = requestDataThrough(ctx, parser);
      const effects = parser.dangerous.map((d) => d.effect).join(' and ');
      const what = `${parser.site.calleeText ?? parser.site.name}()`;
      ctx.report(
        first.value.parent ?? first.value,
        `${taint ? `Request data (${taint.label}) is parsed by ${what}, which` : what} ${effects}: a document can read local files or internal URLs through external entities. Pass resolve_entities=False and keep no_network=True, or use defusedxml.`,
        {
          confidence: taint ? 'high' : 'medium',
          taint,
          fix: parser.dangerous.map((d) => replaceNode(d.value, d.safe)),
        },
      );
    }
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = importedCallee(ctx, site);
      if (!callee) continue;
      if (LXML_PARSE.has(callee) || callee === 'lxml.etree.iterparse')
        checkLxmlSink(ctx, site, callee, parserAt);
      else if (STDLIB_PARSE.has(callee)) checkStdlibSink(ctx, site, STDLIB_PARSE.get(callee) ?? 'defusedxml');
    }
    const setFeatures = ctx.file.callsNamed('setFeature');
    for (const site of setFeatures) {
      if (ctx.inFocus(site.node)) checkSaxFeature(ctx, site);
    }
    // Module-level parsers configured by a module-level setFeature(): their parses of request data.
    const opened: OpenedSaxParser[] = [];
    for (const site of setFeatures) {
      const feature = externalFeature(ctx, site);
      if (!feature || !site.receiver || ctx.file.scopeAt(site.node).kind !== 'module') continue;
      opened.push({ site, feature, isParser: saxParserMatcher(ctx, site.receiver) });
    }
    if (opened.length > 0) {
      for (const site of ctx.file.calls) {
        if (ctx.inFocus(site.node)) checkSaxParse(ctx, site, opened);
      }
    }
  },
});

function lxmlParser(ctx: RuleContext, site: CallSite): LxmlParser {
  // `etree.XMLParser(**PARSER_OPTIONS)` with a dict literal of this file reads as its keywords.
  const splatted = splatKeywords(ctx, site);
  const keyword = (name: string) => site.args.keywords.get(name) ?? splatted?.get(name);
  const resolveArg = keyword('resolve_entities');
  const noNetwork = keyword('no_network');
  const loadDtd = keyword('load_dtd');
  let resolve: LxmlParser['resolve'] = site.args.hasSplat && !splatted ? 'unknown' : 'default';
  if (resolveArg) {
    // A flag chosen at run time resolves entities when any path that runs turns it on.
    const values = possibleValues(ctx, resolveArg).map((v) => v.constant);
    if (values.every((v) => v === false || v === 0 || v === 'internal')) resolve = 'false';
    else if (values.some(isOn)) resolve = 'true';
    else resolve = 'unknown';
  }
  const dangerous: DangerousFlag[] = [];
  if (resolve === 'true' && resolveArg)
    dangerous.push({ value: resolveArg, safe: 'False', effect: 'resolves external entities' });
  const dtd = mayBe(ctx, loadDtd, isOn);
  // Without entity substitution, the network matters only for fetching a DTD.
  if (noNetwork && mayBe(ctx, noNetwork, isOff) && (resolve !== 'false' || dtd))
    dangerous.push({ value: noNetwork, safe: 'True', effect: 'fetches entities and DTDs over the network' });
  if (loadDtd && dtd && resolve !== 'false')
    dangerous.push({ value: loadDtd, safe: 'False', effect: 'loads external DTDs' });
  return { site, resolve, dangerous };
}

/** The data an lxml parser is given: the parser's sinks in this file whose input carries request data. */
function requestDataThrough(ctx: RuleContext, parser: LxmlParser): Taint | null {
  if (parser.site.callee === 'lxml.etree.iterparse') return sinkTaint(ctx, parser.site);
  const statement = topLevelStatement(parser.site.node);
  for (const site of ctx.file.calls) {
    if (!contains(statement, site.node)) continue;
    let input: Node | null = null;
    if (site.name === 'feed' && site.receiver && sameValue(ctx, site.receiver, parser.site.node)) {
      input = site.args.positional[0] ?? null;
    } else if (site.callee && LXML_PARSE.has(site.callee)) {
      const given = argumentAt(site, 1, 'parser');
      if (given && sameValue(ctx, given, parser.site.node)) input = argumentAt(site, 0);
    }
    const taint = input ? ctx.taint.reaches(input, 'code', site.scope) : null;
    if (taint && !taint.sanitized.has('path')) return taint;
  }
  return null;
}

/** Request data in the document a parse call reads; a file name reduced by secure_filename() is not. */
function sinkTaint(ctx: RuleContext, site: CallSite): Taint | null {
  const input = argumentAt(site, 0, 'text', 'source', 'xml', 'strings', 'string', 'file');
  const taint = input ? ctx.taint.reaches(input, 'code', site.scope) : null;
  return taint && !taint.sanitized.has('path') ? taint : null;
}

function sameValue(ctx: RuleContext, node: Node, target: Node): boolean {
  return node.id === target.id || ctx.file.resolveValue(node).id === target.id;
}

function checkLxmlSink(
  ctx: RuleContext,
  site: CallSite,
  callee: string,
  parserAt: (node: Node) => LxmlParser | undefined,
): void {
  const taint = sinkTaint(ctx, site);
  if (!taint) return;
  let fix: OffsetEdit[] = [];
  if (callee === 'lxml.etree.iterparse') {
    const own = parserAt(site.node);
    if (!own || own.resolve !== 'default' || own.dangerous.length > 0 || !site.args.list) return;
    fix = [addArgument(ctx, site.args.list, 'resolve_entities=False')];
  } else {
    const given = argumentAt(site, 1, 'parser');
    if (given) {
      // A parser built in this file without resolve_entities: lxml's default (before 5.0) resolves them.
      let built = ctx.file.resolveValue(given);
      // `etree.fromstring(data, make_parser())` where make_parser returns the parser it builds.
      const returned = returnedByCall(ctx, built);
      if (returned) built = ctx.file.resolveValue(returned);
      const parser = built.type === 'call' ? parserAt(built) : undefined;
      if (!parser) return;
      if (parser.dangerous.length > 0) {
        // The parser is reported where it is built, with this request data when it is parsed in the same
        // statement; parsed in another one, this parse is the finding.
        if (!contains(topLevelStatement(parser.site.node), site.node)) {
          ctx.report(
            site.node,
            `Request data (${taint.label}) is parsed by ${site.calleeText ?? callee}() with a parser that ${parser.dangerous.map((d) => d.effect).join(' and ')}: a document can read local files or internal URLs through external entities. Build the parser with resolve_entities=False and no_network=True, or use defusedxml.`,
            { confidence: 'high', taint },
          );
        }
        return;
      }
      if (parser.resolve !== 'default') return;
      if (parser.site.args.list && !parser.site.args.hasSplat)
        fix = [addArgument(ctx, parser.site.args.list, 'resolve_entities=False')];
    } else if (site.args.list && !site.args.hasSplat && site.args.positional.length === 1) {
      const parser = safeParserSource(ctx, site, callee);
      if (parser) fix = [addArgument(ctx, site.args.list, `parser=${parser}`)];
    }
  }
  ctx.report(
    site.node,
    `Request data (${taint.label}) is parsed by ${site.calleeText ?? callee}() with a parser that does not set resolve_entities=False, and lxml before 5.0 resolves external entities by default: pass a parser built with resolve_entities=False, no_network=True, or use defusedxml.`,
    { confidence: 'high', taint, fix, fixTitle: 'Parse with resolve_entities=False' },
  );
}

/** `etree.XMLParser(resolve_entities=False, no_network=True)` spelled with the file's own lxml names. */
function safeParserSource(ctx: RuleContext, site: CallSite, callee: string): string | null {
  const module = callee.slice(0, callee.lastIndexOf('.'));
  const constructor = module === 'lxml.objectify' ? 'makeparser' : 'XMLParser';
  const flags = '(resolve_entities=False, no_network=True)';
  const alias = moduleAlias(ctx, site, module);
  if (alias) return `${alias}.${constructor}${flags}`;
  const imports = ctx.file.imports;
  if (imports.isImportedName(constructor) && imports.qualify(constructor) === `${module}.${constructor}`)
    return `${constructor}${flags}`;
  return null;
}

function checkStdlibSink(ctx: RuleContext, site: CallSite, replacement: string): void {
  const taint = sinkTaint(ctx, site);
  if (!taint) return;
  ctx.report(
    site.node,
    `Request data (${taint.label}) is parsed by ${site.calleeText ?? lastSegment(replacement)}(), which with an expat older than 2.4.1 expands nested entities without limit (billion laughs): parse untrusted XML with ${replacement}() instead.`,
    { confidence: 'medium', severity: 'warning', taint },
  );
}

/** `parser.setFeature(feature_external_ges, True)` on a SAX parser. */
function checkSaxFeature(ctx: RuleContext, site: CallSite): void {
  const name = externalFeature(ctx, site);
  const value = site.args.positional[1];
  if (!name || !value) return;
  const taint = site.receiver ? saxInputTaint(ctx, site.receiver) : null;
  ctx.report(
    site.node,
    `${taint ? `Request data (${taint.label}) is parsed by a SAX parser that` : 'This SAX parser'} resolves external entities (${featureName(name)}): a document can read local files or internal URLs through them. Leave the feature off, or use defusedxml.sax.`,
    {
      confidence: taint ? 'high' : 'medium',
      taint,
      fix: [replaceNode(value, 'False')],
      fixTitle: 'Turn the feature off',
    },
  );
}

/** The external-entity feature `parser.setFeature(feature, True)` turns on, or null. */
function externalFeature(ctx: RuleContext, site: CallSite): string | null {
  const [feature, value] = site.args.positional;
  if (!feature || !value || !mayBe(ctx, value, isOn)) return null;
  const name = stringValue(ctx.file.resolveValue(feature)) ?? ctx.file.imports.resolve(feature);
  return name && SAX_EXTERNAL_FEATURES.has(name) ? name : null;
}

/** Whether a node is the SAX parser `receiver` names: the same value, or the same name in the same scope. */
function saxParserMatcher(ctx: RuleContext, receiver: Node): (node: Node) => boolean {
  const resolved = ctx.file.resolveValue(receiver);
  if (resolved !== receiver) return (node) => ctx.file.resolveValue(node).id === resolved.id;
  const name = dottedName(receiver);
  const scope = ctx.file.scopeAt(receiver);
  return (node) => dottedName(node) === name && ctx.file.scopeAt(node) === scope;
}

/** The document a call gives the SAX parser: `parser.parse(x)`, `minidom.parse(x, parser=parser)`. */
function saxInput(site: CallSite, isParser: (node: Node) => boolean): Node | null {
  if (['parse', 'feed', 'parseString'].includes(site.name) && site.receiver)
    return isParser(site.receiver) ? (site.args.positional[0] ?? null) : null;
  const parser = site.args.keywords.get('parser');
  return parser && isParser(parser) ? (site.args.positional[0] ?? null) : null;
}

/**
 * Request data given to the SAX parser `receiver` in the same top-level statement (see the dangerous lxml
 * parsers for why only there).
 */
function saxInputTaint(ctx: RuleContext, receiver: Node): Taint | null {
  const statement = topLevelStatement(receiver);
  const isParser = saxParserMatcher(ctx, receiver);
  for (const site of ctx.file.calls) {
    if (!contains(statement, site.node)) continue;
    const input = saxInput(site, isParser);
    const taint = input ? ctx.taint.reaches(input, 'code', site.scope) : null;
    if (taint && !taint.sanitized.has('path')) return taint;
  }
  return null;
}

/**
 * `sax_parser.parse(request.files["doc"])` in a view, with a module-level parser whose external entities a
 * module-level setFeature() turns on: that call is reported where it is, without this request data (see
 * saxInputTaint), so this parse is reported here. Only module-level setFeature() calls count: they name the
 * parser this statement names, so every re-analysis of this statement includes them.
 */
function checkSaxParse(ctx: RuleContext, site: CallSite, opened: readonly OpenedSaxParser[]): void {
  const statement = topLevelStatement(site.node);
  for (const { site: enabling, feature, isParser } of opened) {
    if (contains(statement, enabling.node)) continue;
    const input = saxInput(site, isParser);
    const taint = input ? ctx.taint.reaches(input, 'code', site.scope) : null;
    if (!taint || taint.sanitized.has('path')) continue;
    ctx.report(
      site.node,
      `Request data (${taint.label}) is parsed by a SAX parser whose external entities are turned on at module level (${featureName(feature)}): a document can read local files or internal URLs through them. Leave the feature off, or use defusedxml.sax.`,
      { confidence: 'high', taint },
    );
    return;
  }
}

/** A module-level `parser.setFeature(<external entities>, True)`, and how to recognise that parser. */
interface OpenedSaxParser {
  site: CallSite;
  feature: string;
  isParser: (node: Node) => boolean;
}

const isOn = (value: Constant | undefined) => value === true || value === 1;
const isOff = (value: Constant | undefined) => value === false || value === 0;

/** Whether any value a path that runs gives `node` passes `test` (support/values.ts). */
function mayBe(
  ctx: RuleContext,
  node: Node | undefined,
  test: (value: Constant | undefined) => boolean,
): boolean {
  return !!node && possibleValues(ctx, node).some((v) => test(v.constant));
}

/** `feature_external_ges` for the constant or its URL (`http://xml.org/sax/features/external-general-entities`). */
function featureName(feature: string): string {
  if (feature.endsWith('external-general-entities')) return 'feature_external_ges';
  if (feature.endsWith('external-parameter-entities')) return 'feature_external_pes';
  return lastSegment(feature);
}
