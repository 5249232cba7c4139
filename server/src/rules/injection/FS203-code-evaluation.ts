import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { builtAtRunTime, shortText, validatedBefore } from '../support/dynamic';
import { replaceNode } from '../support/edits';
import { stringShape } from '../support/strings';
import { defineRule } from '../rule';

/** Builtins that run a string as Python code (through `builtins.` too). */
const EVALUATORS = new Map([
  ['eval', 'eval'],
  ['exec', 'exec'],
  ['compile', 'compile'],
  ['builtins.eval', 'eval'],
  ['builtins.exec', 'exec'],
  ['builtins.compile', 'compile'],
  ['__builtin__.eval', 'eval'],
  ['__builtin__.compile', 'compile'],
]);
/** `getattr(obj, name)`: when its result is called, `name` picks the code that runs. */
const REFLECTORS = new Set(['getattr', 'builtins.getattr']);
/** Calls that import a module by name: importing runs the module's top-level code. */
const IMPORTERS = new Set([
  '__import__',
  'builtins.__import__',
  'importlib.import_module',
  'importlib.__import__',
]);

export default defineRule({
  meta: {
    id: 'FS203',
    name: 'code-evaluation',
    title: 'Python code evaluated from request data or a run-time string',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-94', 'CWE-95', 'CWE-470'],
    owasp: ['A03:2021'],
    fix: { title: 'Parse literals with ast.literal_eval() instead of eval()', safety: 'unsafe' },
    docs: {
      summary:
        'Finds `eval()`, `exec()` and `compile()` (also as `builtins.eval`) given request data — query string, form, JSON, headers, cookies, URL parameters, also through variables, string formatting and helpers of the same file — `timeit.timeit/repeat/Timer()`, `code.InteractiveInterpreter().runsource()` and `runpy.run_path()`/`run_module()` given request data, `__import__()`/`importlib.import_module()` given a module name from the request, and `getattr(obj, name)` with a name from the request whose result is called (`getattr(handlers, request.args["action"])()`: the client chooses the function that runs), with medium confidence. A string assembled at run time from other values (`eval(f"{a} {op} {b}")`) is reported with medium confidence. Constant code, `ast.literal_eval()`, values converted with `int()`/`float()` and values checked against an allow-list or a full regular-expression match before use are not reported; restricted globals (`eval(expr, {"__builtins__": {}})`) are no defence and are still reported.',
      why: 'Whatever reaches `eval`/`exec` runs as Python inside the server process: `__import__("os").system("...")` runs commands, reads the secret key and the database credentials, or rewrites the application. Emptying `__builtins__` does not help: `().__class__.__base__.__subclasses__()` reaches every loaded class. Importing a module named by the client runs that module\'s code and can load any module on the path.',
      example: '@app.route("/calc")\ndef calc():\n    return str(eval(request.args["expr"]))',
      fix: 'import ast\n\n@app.route("/calc")\ndef calc():\n    # literals only (numbers, strings, lists, dicts): no names, calls or attributes\n    return str(ast.literal_eval(request.args["expr"]))\n\n# structured data: json.loads(request.args["data"]); arithmetic: a small parser over ast with an allow-list of node types',
    },
    references: [
      'https://owasp.org/www-community/attacks/Code_Injection',
      'https://cwe.mitre.org/data/definitions/95.html',
      'https://docs.python.org/3/library/ast.html#ast.literal_eval',
      'https://docs.python.org/3/library/functions.html#eval',
    ],
  },
  trigger: /\beval\b|\bexec\b|\bcompile\b|getattr|__import__|import_module|timeit|runpy|Interactive/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const builtin = EVALUATORS.get(callee);
      if (builtin && !isShadowed(ctx, callee)) {
        const code = site.args.positional[0] ?? site.args.keywords.get('source');
        // `exec(compile(src, ...))`: the compile() call is checked on its own.
        if (
          !code ||
          (code.type === 'call' && EVALUATORS.get(ctx.file.callAt(code)?.callee ?? '') === 'compile')
        )
          continue;
        const what = `${site.calleeText ?? builtin}()`;
        const advice =
          builtin === 'eval'
            ? 'parse the value instead: ast.literal_eval() for literals, json.loads() for data, int()/float() for numbers.'
            : 'never run code from outside the program; map the request to functions chosen from an allow-list instead.';
        const taint = ctx.taint.reaches(code, 'code', site.scope);
        if (taint) {
          if (validatedBefore(ctx, code)) continue;
          ctx.report(
            code,
            `Request data (${taint.label}) reaches ${what} and runs as Python code: ${advice}`,
            {
              taint,
              fix: builtin === 'eval' ? literalEval(ctx, site) : [],
            },
          );
          continue;
        }
        const part = builtAtRunTime(ctx, code, (n) => isSanitized(ctx, n));
        if (!part || validatedBefore(ctx, code)) continue;
        ctx.report(
          code,
          `A string built at run time (from \`${shortText(part)}\`) reaches ${what} and runs as Python code: ${advice}`,
          { confidence: 'medium', fix: builtin === 'eval' ? literalEval(ctx, site) : [] },
        );
        continue;
      }
      if (REFLECTORS.has(callee) && !isShadowed(ctx, callee)) {
        const attribute = site.args.positional[1];
        const taint = attribute ? ctx.taint.reaches(attribute, 'code', site.scope) : null;
        // Not validatedBefore(): a name that passed `re.fullmatch(r"\w+", name)` is still any method's name.
        if (!attribute || !taint || !resultIsCalled(ctx, site)) continue;
        ctx.report(
          attribute,
          `Request data (${taint.label}) names the attribute ${site.calleeText ?? callee}() looks up, and the result is called: the client chooses which function or method runs, including ones never meant to be reached. Map the value to a handler from an allow-list.`,
          { taint, confidence: 'medium' },
        );
        continue;
      }
      // timeit.timeit(stmt), runpy.run_path(path), code.InteractiveInterpreter().runsource(src): they run
      // the code (or the file, or the module) they are given.
      const runner = otherRunner(ctx, site);
      if (runner) {
        const taint = ctx.taint.reaches(runner.code, 'code', site.scope);
        if (!taint || validatedBefore(ctx, runner.code)) continue;
        ctx.report(
          runner.code,
          `Request data (${taint.label}) reaches ${site.calleeText ?? site.name}(), which ${runner.what}: never run code from outside the program; map the request to functions chosen from an allow-list instead.`,
          { taint },
        );
        continue;
      }
      if (IMPORTERS.has(callee) && !isShadowed(ctx, callee)) {
        const name = site.args.positional[0] ?? site.args.keywords.get('name');
        const taint = name ? ctx.taint.reaches(name, 'code', site.scope) : null;
        if (!name || !taint || validatedBefore(ctx, name)) continue;
        ctx.report(
          name,
          `Request data (${taint.label}) chooses the module imported by ${site.calleeText ?? callee}(): importing runs the module's code, so map the value to a module from an allow-list.`,
          { taint },
        );
      }
    }
  },
});

/** Library functions that run Python source, a file or a module, with the argument that says which. */
const RUNNERS = new Map<string, { index: number; keyword: string; what: string }>([
  ['timeit.timeit', { index: 0, keyword: 'stmt', what: 'runs it as Python code' }],
  ['timeit.repeat', { index: 0, keyword: 'stmt', what: 'runs it as Python code' }],
  ['timeit.Timer', { index: 0, keyword: 'stmt', what: 'runs it as Python code' }],
  ['runpy.run_path', { index: 0, keyword: 'path_name', what: 'runs the Python file it names' }],
  ['runpy.run_module', { index: 0, keyword: 'mod_name', what: 'runs the module it names' }],
]);
const INTERPRETERS = new Set(['code.InteractiveInterpreter', 'code.InteractiveConsole']);
const INTERPRETER_METHODS = new Set(['runsource', 'runcode', 'push']);

function otherRunner(ctx: RuleContext, site: CallSite): { code: Node; what: string } | null {
  const known = RUNNERS.get(site.callee ?? '');
  if (known) {
    const code = site.args.positional[known.index] ?? site.args.keywords.get(known.keyword);
    return code ? { code, what: known.what } : null;
  }
  if (!site.receiver || !INTERPRETER_METHODS.has(site.name)) return null;
  const receiver = site.receiver;
  const built =
    receiver.type === 'call'
      ? ctx.file.callAt(receiver)?.callee
      : ctx.file.constructorOf(receiver, site.scope);
  const code = site.args.positional[0] ?? site.args.keywords.get('source');
  return built && INTERPRETERS.has(built) && code ? { code, what: 'runs it as Python code' } : null;
}

/**
 * `getattr(handlers, name)(...)`, or `fn = getattr(handlers, name)` and a later `fn(...)` in the same
 * function: the looked-up attribute runs. Reading an attribute (`getattr(user, field)`) is not code.
 */
function resultIsCalled(ctx: RuleContext, site: CallSite): boolean {
  const parent = site.node.parent;
  if (parent?.type === 'call' && parent.childForFieldName('function')?.id === site.node.id) return true;
  const left = parent?.type === 'assignment' ? parent.childForFieldName('left') : null;
  if (left?.type !== 'identifier') return false;
  return ctx.file
    .callsNamed(left.text)
    .some((call) => call.scope === site.scope && call.node.startIndex > site.node.endIndex && !call.receiver);
}

/** `def eval(...)` or `eval = safe_eval` in this module: the name is not the builtin. */
function isShadowed(ctx: RuleContext, callee: string): boolean {
  return !callee.includes('.') && ctx.file.module.bindings.has(callee);
}

/** Data the taint analysis knows was made safe for code (`<int:n>` URL parameters). */
function isSanitized(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'identifier') return false;
  const taint = ctx.taint.taintOf(node);
  return taint !== null && taint.sanitized.has('code');
}

/** `eval(x)` → `ast.literal_eval(x)` (adding `import ast` when the file has no way to name it). */
function literalEval(ctx: RuleContext, site: CallSite): OffsetEdit[] {
  const fn = site.node.childForFieldName('function');
  const code = site.args.positional[0];
  if (!fn || !code || site.args.positional.length !== 1 || site.args.keywords.size > 0 || site.args.hasSplat)
    return [];
  // `eval(f"lambda row: {x}")` evaluates code written around the value: no literal to parse.
  if (stringShape(ctx, code) === 'dynamic') return [];
  const imports = ctx.file.imports;
  if (imports.qualify('literal_eval') === 'ast.literal_eval') return [replaceNode(fn, 'literal_eval')];
  if (imports.isImportedName('ast') && imports.qualify('ast') === 'ast')
    return [replaceNode(fn, 'ast.literal_eval')];
  if (imports.isImportedName('ast') || ctx.file.module.bindings.has('ast')) return [];
  return [replaceNode(fn, 'ast.literal_eval'), importEdit(ctx, 'import ast')];
}

function importEdit(ctx: RuleContext, line: string): OffsetEdit {
  let last: Node | null = null;
  for (const child of ctx.file.tree.rootNode.namedChildren) {
    if (
      child &&
      ['import_statement', 'import_from_statement', 'future_import_statement'].includes(child.type)
    )
      last = child;
  }
  const newline = ctx.file.text.includes('\r\n') ? '\r\n' : '\n';
  if (last) return { start: last.endIndex, end: last.endIndex, newText: `${newline}${line}` };
  return { start: 0, end: 0, newText: `${line}${newline}` };
}
