import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Taint } from '../../engine/taint';
import type { OffsetEdit } from '../../engine/types';
import { lastSegment, stringPrefix, stringValue } from '../../engine/syntax';
import { argumentAt, walkValue } from '../support/files';
import { isValidatedBefore } from '../support/queries';
import { preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

/** Methods that evaluate their first argument as XPath on any receiver (lxml, parsel/Scrapy, libxml2). */
const XPATH_METHODS = new Set(['xpath', 'xpathEval', 'xpathEval2', 'xpathEvalExpression']);
/** ElementTree/lxml methods that evaluate ElementPath, a subset of XPath with `[@attr='value']` predicates. */
const ELEMENTPATH_METHODS = new Set(['find', 'findall', 'findtext', 'iterfind']);
/** Functions/classes that compile or evaluate an XPath expression, with the argument position of it. */
const XPATH_FUNCTIONS = new Map<string, { position: number; keywords: string[] }>([
  ['lxml.etree.XPath', { position: 0, keywords: ['path'] }],
  ['lxml.etree.ETXPath', { position: 0, keywords: ['path'] }],
  ['elementpath.select', { position: 1, keywords: ['path'] }],
  ['elementpath.iter_select', { position: 1, keywords: ['path'] }],
  ['elementpath.Selector', { position: 0, keywords: ['path'] }],
]);

const XML_MODULES = ['xml.etree', 'lxml', 'defusedxml', 'elementpath'];
/** Module prefixes whose parse/construct functions return ElementTree/lxml elements or trees. */
const XML_FACTORY_MODULES =
  /^(xml\.etree\.(c?ElementTree)|lxml\.(etree|html|objectify)|defusedxml\.(c?ElementTree|lxml))\./;
const XML_FACTORIES = new Set([
  'parse',
  'fromstring',
  'fromstringlist',
  'XML',
  'HTML',
  'ElementTree',
  'Element',
  'SubElement',
  'document_fromstring',
  'fragment_fromstring',
]);
/** Methods of elements/trees that return elements or trees again. */
const ELEMENT_METHODS = new Set([
  'getroot',
  'getroottree',
  'find',
  'findall',
  'iterfind',
  'iter',
  'getiterator',
  'getparent',
  'getnext',
  'getprevious',
  'getchildren',
  'xpath',
]);
/** ElementPath syntax in a template: `[@name=`, `//`, `./`, `[tag=`, `[1]`. */
const PATH_SYNTAX = /\[@|\/\/|\.\/|\[\s*\w+\s*=|\[\s*\d|\[\s*text\(\)/;

export default defineRule({
  meta: {
    id: 'FS209',
    name: 'xpath-injection',
    title: 'Request data in an XPath expression',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-643'],
    owasp: ['A03:2021'],
    fix: { title: 'Pass the value as an XPath variable', safety: 'unsafe' },
    docs: {
      summary:
        'Finds request data spliced (f-string, `%`, `.format()`, `+`) into an XPath expression: lxml\'s `tree.xpath(...)`, `etree.XPath(...)`/`etree.ETXPath(...)`, `.xpath()` of parsel/Scrapy selectors, libxml2\'s `xpathEval`, `elementpath.select(...)`/`Selector(...)`, and the ElementPath of ElementTree/lxml `find`/`findall`/`findtext`/`iterfind` on trees and elements the file parses or builds (or, when the receiver cannot be traced, on a path template in a file that imports an XML library). Expressions that take the value through an XPath variable (`tree.xpath("//user[@name=$name]", name=name)`) are constant and not reported; neither are values checked before use (allow-list, anchored regex, `isalnum()`).',
      why: "A quote in the value closes the XPath string literal: `' or '1'='1` makes `//user[@name='...' and @password='...']` match every user, so a login backed by an XML user store lets anyone in, and a lookup returns other people's records. With full XPath 1.0 the attacker can also walk the whole document (`count()`, `substring()`), reading it out one character at a time.",
      example:
        '@app.route("/user")\ndef user():\n    name = request.args["name"]\n    return str(USERS.xpath(f"//user[@name=\'{name}\']/email/text()"))',
      fix: '@app.route("/user")\ndef user():\n    name = request.args["name"]\n    # lxml binds $name as a string value: quotes in it cannot end the literal\n    return str(USERS.xpath("//user[@name=$name]/email/text()", name=name))',
    },
    references: [
      'https://owasp.org/www-community/attacks/XPATH_Injection',
      'https://cwe.mitre.org/data/definitions/643.html',
      'https://lxml.de/xpathxslt.html#the-xpath-method',
    ],
  },
  trigger: [/xpath|xml|elementpath/, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    const xmlFile = XML_MODULES.some((m) => ctx.file.imports.imports(m));
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const sink = expressionOf(ctx, site, xmlFile);
      if (!sink) continue;
      const taint = taintOf(ctx, sink.expression);
      if (!taint || isValidatedBefore(ctx, site.node, sink.expression)) continue;
      ctx.report(
        sink.expression,
        `Request data (${taint.label}) reaches the XPath expression of ${sink.what}: a quote in it (' or '1'='1) rewrites the query. ${sink.advice}`,
        {
          taint,
          confidence: sink.confidence,
          fix: site.name === 'xpath' ? variablesFix(site, sink.expression) : [],
        },
      );
    }
  },
});

interface Sink {
  expression: Node;
  what: string;
  advice: string;
  confidence: 'high' | 'medium';
}

const VARIABLES_ADVICE =
  'Pass the value as an XPath variable instead: .xpath("//user[@name=$name]", name=name).';

function expressionOf(ctx: RuleContext, site: CallSite, xmlFile: boolean): Sink | null {
  const call = site.callee ? XPATH_FUNCTIONS.get(site.callee) : undefined;
  if (call) {
    const expression = argumentAt(site, call.position, ...call.keywords);
    if (!expression) return null;
    const lxml = site.callee?.startsWith('lxml.') ?? false;
    return {
      expression,
      what: `${site.calleeText ?? lastSegment(site.callee ?? '')}()`,
      advice: lxml
        ? 'Use an XPath variable ($name) in a constant expression and pass its value when evaluating it.'
        : 'Use a constant expression with variables (elementpath: variables={"name": value}).',
      confidence: 'high',
    };
  }
  if (!site.receiver || site.node.childForFieldName('function')?.type !== 'attribute') return null;
  if (XPATH_METHODS.has(site.name)) {
    if (ctx.file.imports.isImportedName(site.receiver.text)) return null;
    const expression = argumentAt(site, 0, '_path', 'query', 'path');
    if (!expression) return null;
    return {
      expression,
      what: `.${site.name}()`,
      advice: site.name === 'xpath' ? VARIABLES_ADVICE : 'Validate the value against an allow-list first.',
      confidence: 'high',
    };
  }
  if (ELEMENTPATH_METHODS.has(site.name) && xmlFile) {
    const expression = argumentAt(site, 0, 'path');
    if (!expression) return null;
    const receiver = isXmlValue(ctx, site.receiver);
    if (receiver === false) return null;
    // A receiver we cannot trace (a parameter, an attribute): only a path template says it is ElementPath.
    if (receiver === null && !looksLikePath(ctx, expression)) return null;
    return {
      expression,
      what: `.${site.name}()`,
      advice:
        'ElementPath has no variables: check the value against an allow-list or a strict pattern, or compare it in Python (`[e for e in root.iter("user") if e.get("name") == name]`).',
      confidence: receiver ? 'high' : 'medium',
    };
  }
  return null;
}

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  // Request text, not values another function computed from it.
  return preciseTaint(ctx, node, { sink: 'xpath', followCalls: false });
}

/**
 * Is the value an ElementTree/lxml tree or element (true), surely something else (false), or untraceable
 * (null)? Followed through assignments, `with` and `for` statements, subscripts and element methods.
 */
function isXmlValue(ctx: RuleContext, receiver: Node, depth = 0): boolean | null {
  if (depth > 8) return null;
  const node = unwrap(receiver);
  switch (node.type) {
    case 'call': {
      const site = ctx.file.callAt(node);
      if (!site) return null;
      if (site.callee && XML_FACTORY_MODULES.test(site.callee) && XML_FACTORIES.has(lastSegment(site.callee)))
        return true;
      if (ELEMENT_METHODS.has(site.name) && site.receiver) return isXmlValue(ctx, site.receiver, depth + 1);
      return site.callee && ctx.file.imports.isImportedName(site.callee.split('.')[0] ?? '') ? false : null;
    }
    case 'subscript':
      return isXmlValue(ctx, node.childForFieldName('value') ?? node, depth + 1);
    case 'identifier': {
      if (ctx.file.imports.isImportedName(node.text)) return false;
      const bindings = ctx.file.reaching(node.text, node, ctx.file.scopeAt(node));
      let result: boolean | null = null;
      for (const binding of bindings) {
        if (!['assign', 'with', 'walrus', 'for'].includes(binding.kind) || !binding.value) return null;
        const value = isXmlValue(ctx, binding.value, depth + 1);
        if (value === true) return true;
        result = value;
      }
      return result;
    }
    case 'string':
    case 'concatenated_string':
    case 'list':
    case 'dictionary':
      return false;
    default:
      return null;
  }
}

/** Does the expression's constant text (following names) contain ElementPath syntax? */
function looksLikePath(ctx: RuleContext, node: Node): boolean {
  let found = false;
  walkValue(ctx, node, (n) => {
    if (n.type === 'string_content' && PATH_SYNTAX.test(n.text)) found = true;
    if (n.type === 'string' && PATH_SYNTAX.test(n.text)) found = true;
    return found ? 'stop' : undefined;
  });
  return found;
}

/**
 * `tree.xpath(f"//user[@name='{name}']")` → `tree.xpath("//user[@name=$name]", name=name)`, and the same
 * for `"...'%s'..." % name`: each value, a plain name quoted in the expression, becomes an XPath variable.
 * lxml compares a string variable exactly as it compared the quoted literal.
 */
function variablesFix(site: CallSite, expression: Node): OffsetEdit[] {
  if (site.args.positional.length !== 1 || site.args.positional[0] !== expression || site.args.hasSplat)
    return [];
  const node = unwrap(expression);
  let parts: { text: string; value: string | null }[] | null = null;
  if (node.type === 'string' && node.namedChildren.some((c) => c?.type === 'interpolation')) {
    // Text copied into a plain literal keeps its meaning unless it was raw or held `{{`/`}}`.
    if (
      stringPrefix(node).includes('r') ||
      /[{}]/.test(
        node.namedChildren
          .filter((c) => c?.type === 'string_content')
          .map((c) => c?.text ?? '')
          .join(''),
      )
    )
      return [];
    parts = [];
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'string_content' || child.type === 'escape_sequence')
        parts.push({ text: child.text, value: null });
      else if (child.type === 'interpolation') {
        const inner = child.namedChildren[0];
        if (!inner || child.namedChildren.length > 1 || inner.type !== 'identifier') return [];
        parts.push({ text: '', value: inner.text });
      } else if (child.type !== 'string_start' && child.type !== 'string_end') return [];
    }
  } else if (node.type === 'binary_operator' && node.childForFieldName('operator')?.text === '%') {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const template = stringValue(left);
    if (template === undefined || !right || !left || /[rb]/.test(stringPrefix(left))) return [];
    const values =
      unwrap(right).type === 'tuple'
        ? unwrap(right).namedChildren.filter((c): c is Node => !!c)
        : [unwrap(right)];
    if (values.some((v) => v.type !== 'identifier')) return [];
    const pieces = template.split('%s');
    if (pieces.length !== values.length + 1 || pieces.some((p) => p.includes('%'))) return [];
    parts = [];
    for (const [i, piece] of pieces.entries()) {
      parts.push({ text: piece, value: null });
      const value = values[i];
      if (value) parts.push({ text: '', value: value.text });
    }
  }
  if (!parts) return [];
  // Every value must sit alone inside quotes ('{name}' or "{name}"), which the variable replaces.
  let text = '';
  const names: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (part.value === null) {
      text += part.text;
      continue;
    }
    const before = parts[i - 1]?.text ?? '';
    const after = parts[i + 1]?.text ?? '';
    const quote = before.slice(-1);
    if ((quote !== "'" && quote !== '"') || after.charAt(0) !== quote) return [];
    if (['namespaces', 'extensions', 'smart_strings', '_path'].includes(part.value)) return [];
    text = text.slice(0, -1) + `$${part.value}`;
    if (parts[i + 1]) parts[i + 1] = { text: after.slice(1), value: null };
    if (!names.includes(part.value)) names.push(part.value);
  }
  const quote = text.includes('"') ? (text.includes("'") ? null : "'") : '"';
  if (!quote || text.includes('\n')) return [];
  const keywords = names.map((n) => `${n}=${n}`).join(', ');
  return [
    {
      start: expression.startIndex,
      end: expression.endIndex,
      newText: `${quote}${text}${quote}, ${keywords}`,
    },
  ];
}
