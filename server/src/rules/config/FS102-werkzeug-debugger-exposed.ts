import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { isFalsyLiteral, isTruthyLiteral, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { replaceNode } from '../support/edits';
import { argumentOf, calledName, calleeNode } from '../support/config';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS102',
    name: 'werkzeug-debugger-exposed',
    title: 'Werkzeug interactive debugger is switched on',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-489'],
    owasp: ['A05:2021'],
    fix: { title: 'Turn the debugger off', safety: 'unsafe' },
    docs: {
      summary:
        "Finds the Werkzeug debugger enabled from code without Flask's `debug` flag: `run_simple(..., use_debugger=True)` (keyword or positional), `app.run(use_debugger=True)` or `app.run(use_evalex=True)`, `DebuggedApplication(app, evalex=True)` (also as `app.wsgi_app = DebuggedApplication(app.wsgi_app, True)`), `pin_security=False`, and `WERKZEUG_DEBUG_PIN` set to `off` from code.",
      why: 'With `evalex` on, every error page of the Werkzeug debugger has a Python console that runs code in the server process. The console is guarded only by a PIN derived from guessable machine data (and not at all with `pin_security=False` or `WERKZEUG_DEBUG_PIN=off`): whoever reaches the app and can trigger an exception gets remote code execution. Even without the console, tracebacks show source code and local variables.',
      example:
        'from werkzeug.debug import DebuggedApplication\nfrom werkzeug.serving import run_simple\n\napp.wsgi_app = DebuggedApplication(app.wsgi_app, evalex=True)\nrun_simple("0.0.0.0", 5000, app, use_debugger=True)',
      fix: 'from werkzeug.serving import run_simple\n\n# Debug with `flask run --debug` on your own machine; never enable the debugger in deployed code.\nrun_simple("127.0.0.1", 5000, app, use_debugger=False)',
    },
    references: [
      'https://werkzeug.palletsprojects.com/en/stable/debug/',
      'https://werkzeug.palletsprojects.com/en/stable/serving/#werkzeug.serving.run_simple',
      'https://flask.palletsprojects.com/en/stable/debugging/',
      'https://cwe.mitre.org/data/definitions/489.html',
    ],
  },
  trigger: /run_simple|DebuggedApplication|use_debugger|use_evalex|WERKZEUG_DEBUG_PIN/,
  check(ctx: RuleContext) {
    const value = (node: Node) => ctx.file.resolveValue(node);
    /** Turns a literal `True` into `False`; values from variables are left for a person to change. */
    const turnOff = (node: Node): OffsetEdit[] => (node.type === 'true' ? [replaceNode(node, 'False')] : []);

    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const name = calledName(site);
      if (name === 'run_simple') checkRunSimple(ctx, site, value, turnOff);
      else if (name === 'DebuggedApplication') checkDebuggedApplication(ctx, site, value, turnOff);
      else if (site.name === 'run') checkAppRun(ctx, site, value, turnOff);
    }

    // os.environ["WERKZEUG_DEBUG_PIN"] = "off" / os.environ.setdefault(...) / os.putenv(...)
    for (const scope of ctx.file.scopes) {
      for (const binding of scope.bindings.get('os.environ') ?? []) {
        if (!ctx.inFocus(binding.node)) continue;
        const left = binding.node.childForFieldName('left');
        const key = left?.type === 'subscript' ? stringValue(left.childForFieldName('subscript')) : undefined;
        if (key === 'WERKZEUG_DEBUG_PIN' && pinDisabled(binding.value)) {
          ctx.report(binding.node, pinMessage);
        }
      }
    }
    for (const site of ctx.file.callsTo('os.environ.setdefault', 'os.environ.__setitem__', 'os.putenv')) {
      if (!ctx.inFocus(site.node)) continue;
      const key = stringValue(site.args.positional[0] ?? null);
      if (key === 'WERKZEUG_DEBUG_PIN' && pinDisabled(site.args.positional[1] ?? null)) {
        ctx.report(site.node, pinMessage);
      }
    }
  },
});

type Resolve = (node: Node) => Node;
type TurnOff = (node: Node) => OffsetEdit[];

const pinMessage =
  'WERKZEUG_DEBUG_PIN is set to "off" from code: the Werkzeug debugger console opens without a PIN. Remove it.';

function pinDisabled(node: Node | null): boolean {
  return stringValue(node)?.toLowerCase() === 'off';
}

/** `run_simple(hostname, port, application, use_reloader, use_debugger, use_evalex, ...)` */
function checkRunSimple(ctx: RuleContext, site: CallSite, value: Resolve, turnOff: TurnOff): void {
  const debugger_ = argumentOf(site, 'use_debugger', 4);
  if (!debugger_ || !isTruthyLiteral(value(debugger_))) return;
  const evalex = argumentOf(site, 'use_evalex', 5);
  const consoleOff = evalex !== null && isFalsyLiteral(value(evalex));
  ctx.report(
    calleeNode(site),
    consoleOff
      ? 'run_simple() serves the Werkzeug debugger (use_debugger=True): tracebacks with source code are shown to every client. Set use_debugger=False outside development.'
      : 'run_simple() serves the Werkzeug debugger with its interactive console (use_debugger=True): anyone who triggers an error can run Python code. Set use_debugger=False.',
    {
      fix: turnOff(debugger_),
      confidence: consoleOff ? 'medium' : 'high',
      severity: consoleOff ? 'warning' : 'error',
    },
  );
}

/** `DebuggedApplication(app, evalex=False, ..., pin_security=True, ...)` */
function checkDebuggedApplication(ctx: RuleContext, site: CallSite, value: Resolve, turnOff: TurnOff): void {
  const evalex = argumentOf(site, 'evalex', 1);
  if (!evalex || !isTruthyLiteral(value(evalex))) return;
  const pin = site.args.keywords.get('pin_security');
  const noPin = pin !== undefined && isFalsyLiteral(value(pin));
  ctx.report(
    calleeNode(site),
    noPin
      ? 'DebuggedApplication(evalex=True, pin_security=False) gives every client a Python console without a PIN: remote code execution. Remove the debugger from deployed code.'
      : 'DebuggedApplication(evalex=True) gives every client who triggers an error a Python console, guarded only by a guessable PIN. Set evalex=False or remove the debugger from deployed code.',
    { fix: turnOff(evalex) },
  );
}

/** `app.run(use_debugger=True)` / `app.run(use_evalex=True)`: Flask passes these on to run_simple. */
function checkAppRun(ctx: RuleContext, site: CallSite, value: Resolve, turnOff: TurnOff): void {
  const debugger_ = site.args.keywords.get('use_debugger');
  const evalex = site.args.keywords.get('use_evalex');
  if (debugger_ && isTruthyLiteral(value(debugger_))) {
    const consoleOff = evalex !== undefined && isFalsyLiteral(value(evalex));
    ctx.report(
      calleeNode(site),
      consoleOff
        ? 'The app is run with use_debugger=True: the Werkzeug debugger shows tracebacks with source code to every client. Set use_debugger=False.'
        : 'The app is run with use_debugger=True: the Werkzeug debugger console lets anyone who triggers an error run Python code. Set use_debugger=False.',
      {
        fix: turnOff(debugger_),
        confidence: consoleOff ? 'medium' : 'high',
        severity: consoleOff ? 'warning' : 'error',
      },
    );
    return;
  }
  // use_evalex=True alone: the console opens as soon as debug mode is on (FLASK_DEBUG, app.debug).
  if (!evalex || !isTruthyLiteral(value(evalex))) return;
  if (debugger_ && isFalsyLiteral(value(debugger_))) return;
  const debug = site.args.keywords.get('debug');
  if (debug && isTruthyLiteral(value(debug))) return; // FS101 reports debug=True
  ctx.report(
    calleeNode(site),
    'The app is run with use_evalex=True: whenever debug mode is on, the Werkzeug debugger console lets anyone who triggers an error run Python code. Remove use_evalex or set it False.',
    { fix: turnOff(evalex), confidence: 'low', severity: 'warning' },
  );
}
