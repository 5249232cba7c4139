import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { literalValue, stringPrefix, stringValue } from '../../engine/syntax';
import { leadingText } from './dynamic';

/** What OS-command sinks look like, and how a command value is taken apart (FS202). */

/** Functions that hand their argument to a shell: callee → position and keyword of the command. */
export const SHELL_FUNCTIONS: ReadonlyMap<string, { index: number; keyword: string }> = new Map([
  ['os.system', { index: 0, keyword: 'command' }],
  ['os.popen', { index: 0, keyword: 'cmd' }],
  ['os.popen2', { index: 0, keyword: 'cmd' }],
  ['os.popen3', { index: 0, keyword: 'cmd' }],
  ['os.popen4', { index: 0, keyword: 'cmd' }],
  ['popen2.popen2', { index: 0, keyword: 'cmd' }],
  ['popen2.popen3', { index: 0, keyword: 'cmd' }],
  ['popen2.popen4', { index: 0, keyword: 'cmd' }],
  ['platform.popen', { index: 0, keyword: 'cmd' }],
  ['commands.getoutput', { index: 0, keyword: 'cmd' }],
  ['commands.getstatusoutput', { index: 0, keyword: 'cmd' }],
  ['subprocess.getoutput', { index: 0, keyword: 'cmd' }],
  ['subprocess.getstatusoutput', { index: 0, keyword: 'cmd' }],
  ['asyncio.create_subprocess_shell', { index: 0, keyword: 'cmd' }],
  ['asyncio.subprocess.create_subprocess_shell', { index: 0, keyword: 'cmd' }],
]);

/** subprocess functions that run a shell only with `shell=True`. */
export const SUBPROCESS_FUNCTIONS = new Set([
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.Popen',
]);

/**
 * Functions that start a program without a shell: where the program is, and where its argument vector
 * starts (`list`: one list argument; otherwise the remaining positional arguments).
 */
export const EXEC_FUNCTIONS: ReadonlyMap<string, { program: number; argv: number; list: boolean }> = new Map([
  ...['execl', 'execle', 'execlp', 'execlpe'].map(
    (f) => [`os.${f}`, { program: 0, argv: 1, list: false }] as const,
  ),
  ...['execv', 'execve', 'execvp', 'execvpe'].map(
    (f) => [`os.${f}`, { program: 0, argv: 1, list: true }] as const,
  ),
  ...['spawnl', 'spawnle', 'spawnlp', 'spawnlpe'].map(
    (f) => [`os.${f}`, { program: 1, argv: 2, list: false }] as const,
  ),
  ...['spawnv', 'spawnve', 'spawnvp', 'spawnvpe'].map(
    (f) => [`os.${f}`, { program: 1, argv: 2, list: true }] as const,
  ),
  ['os.posix_spawn', { program: 0, argv: 1, list: true }],
  ['os.posix_spawnp', { program: 0, argv: 1, list: true }],
  ['asyncio.create_subprocess_exec', { program: 0, argv: 1, list: false }],
  ['asyncio.subprocess.create_subprocess_exec', { program: 0, argv: 1, list: false }],
]);

/** Sanitizers that quote a value for a POSIX shell. */
export const SHELL_QUOTERS = new Set(['shlex.quote', 'pipes.quote', 'shlex.join']);

/**
 * Programs that run their next argument as a script: shells (`sh -c`, `cmd /c`, `powershell -Command`) and
 * interpreters (`python -c`, `perl -e`, `node -e`). `kind` tells which sanitizers matter for the script.
 */
const SCRIPT_RUNNERS: { program: RegExp; flag: RegExp; kind: 'command' | 'code' }[] = [
  { program: /^(sh|bash|dash|zsh|ksh|mksh|csh|tcsh|ash|fish)$/, flag: /^-[a-z]*c[a-z]*$/i, kind: 'command' },
  { program: /^cmd$/, flag: /^[/-][ck]$/i, kind: 'command' },
  { program: /^(powershell|pwsh)$/, flag: /^-(c|command)$/i, kind: 'command' },
  { program: /^(python[\d.]*|pypy[\d.]*)$/, flag: /^-c$/, kind: 'code' },
  { program: /^(perl|ruby|lua|rscript)$/, flag: /^-[eE]$/, kind: 'code' },
  { program: /^(node|nodejs)$/, flag: /^(-e|--eval|-p|--print)$/, kind: 'code' },
  { program: /^php$/, flag: /^-r$/, kind: 'code' },
];

function programName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).toLowerCase().replace(/\.exe$/, '');
}

export function isScriptRunner(program: string): boolean {
  const name = programName(program);
  return SCRIPT_RUNNERS.some((r) => r.program.test(name));
}

/**
 * `["bash", "-c", script]`: the script argument that follows the runner's flag in an argument vector whose
 * program is `program` (the vector may start with the program itself, as `os.execv` wants).
 */
export function scriptArgument(
  program: string,
  argv: readonly Node[],
): { node: Node; kind: 'command' | 'code'; flag: string } | null {
  const runner = SCRIPT_RUNNERS.find((r) => r.program.test(programName(program)));
  if (!runner) return null;
  for (let i = 0; i < argv.length - 1; i++) {
    const flag = stringValue(argv[i] ?? null);
    if (flag !== undefined && runner.flag.test(flag)) {
      const script = argv[i + 1];
      return script ? { node: script, kind: runner.kind, flag } : null;
    }
  }
  return null;
}

/**
 * What decides the program a command value runs:
 * - `element`: the first element of an argument list (`list` is that list literal, when known);
 * - `string`: a command string (its first word is the program);
 * - `opaque`: a value whose shape cannot be seen (a parameter, a call result).
 */
export type Head =
  | { kind: 'element'; node: Node; list: Node | null }
  | { kind: 'string'; node: Node }
  | { kind: 'opaque'; node: Node };

/** The heads a command value can have, through names (`cmd = [...]; cmd.append(x)`), `+` and `shlex.split`. */
export function commandHeads(ctx: RuleContext, node: Node, depth = 0): Head[] {
  if (depth > 8) return [{ kind: 'opaque', node }];
  switch (node.type) {
    case 'parenthesized_expression':
      return node.namedChildren[0] ? commandHeads(ctx, node.namedChildren[0], depth + 1) : [];
    case 'list':
    case 'tuple': {
      const first = node.namedChildren.find((c) => c && c.type !== 'comment');
      if (!first) return [];
      if (first.type === 'list_splat')
        return first.namedChildren[0] ? commandHeads(ctx, first.namedChildren[0], depth + 1) : [];
      return [{ kind: 'element', node: first, list: node }];
    }
    case 'string':
    case 'concatenated_string':
      return [{ kind: 'string', node }];
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const operator = node.childForFieldName('operator')?.text;
      if (!left) return [{ kind: 'opaque', node }];
      if (operator === '%' && stringValue(left) !== undefined) return [{ kind: 'string', node }];
      if (operator !== '+') return [{ kind: 'opaque', node }];
      // `BASE_CMD + [x]` starts where its left operand starts; `"ls " + x` is a command string.
      const heads = commandHeads(ctx, left, depth + 1);
      return heads.some((h) => h.kind === 'string') ? [{ kind: 'string', node }] : heads;
    }
    case 'call': {
      const site = ctx.file.callAt(node);
      const fn = node.childForFieldName('function');
      if (site?.callee === 'shlex.split') {
        const text = site.args.positional[0] ?? site.args.keywords.get('s');
        return text ? [{ kind: 'string', node: text }] : [];
      }
      if (fn?.type === 'attribute' && site?.name === 'split' && site.receiver)
        return [{ kind: 'string', node: site.receiver }];
      if (fn?.type === 'attribute' && site?.name === 'format' && stringValue(site.receiver) !== undefined)
        return [{ kind: 'string', node }];
      if (site?.callee === 'list' || site?.callee === 'tuple') {
        const inner = site.args.positional[0];
        return inner ? commandHeads(ctx, inner, depth + 1) : [];
      }
      return [{ kind: 'opaque', node }];
    }
    case 'identifier': {
      const bindings = ctx.file.reaching(node.text, node, ctx.file.scopeAt(node));
      if (bindings.length === 0) return [{ kind: 'opaque', node }];
      const out: Head[] = [];
      for (const binding of bindings) {
        if ((binding.kind === 'assign' || binding.kind === 'walrus') && binding.value && !binding.weak) {
          out.push(...commandHeads(ctx, binding.value, depth + 1));
        } else if (binding.kind === 'mutate') {
          // Appending keeps the program; `cmd.insert(0, x)` / `appendleft(x)` replaces it.
          const call = ctx.file.callAt(binding.node);
          const [first, second] = call?.args.positional ?? [];
          if (call?.name === 'insert' && first && literalValue(first) === 0 && second)
            out.push({ kind: 'element', node: second, list: null });
          else if (call?.name === 'appendleft' && first)
            out.push({ kind: 'element', node: first, list: null });
          else if (call?.name === 'insert') out.push({ kind: 'opaque', node });
        } else if (binding.kind === 'augassign' || binding.weak) {
          // `cmd += [x]` / `cmd += " x"` adds at the end; `cmd[0] = x` replaces the program.
          const left = binding.node.childForFieldName('left');
          if (left?.type === 'subscript') out.push({ kind: 'opaque', node: binding.value ?? node });
        } else {
          return [{ kind: 'opaque', node }];
        }
      }
      return out;
    }
    default:
      return [{ kind: 'opaque', node }];
  }
}

/** Whether a command string's first word is fixed text (`f"ping -c 1 {host}"`), so that it names no program the client picks. */
export function startsWithFixedProgram(ctx: RuleContext, command: Node): boolean {
  const lead = leadingText(ctx, command);
  return lead.complete || /^\s*[^\s$`;|&<>(]+\s/.test(lead.text);
}

/** The elements of a list/tuple literal (an argument vector), or null for anything else. */
export function listElements(node: Node | null): Node[] | null {
  if (!node || (node.type !== 'list' && node.type !== 'tuple')) return null;
  return node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
}

// ---------------------------------------------------------------------------------------------------------
// The argument-list fix

/** Characters whose meaning a shell would change; a command containing any of them is not split by the fix. */
const PLAIN_TEXT = /^[A-Za-z0-9 _\-./:=,@+%]*$/;
/** First words that are shell syntax or builtins, not programs `subprocess` could start. */
const SHELL_WORDS = new Set([
  'cd',
  'source',
  '.',
  'export',
  'exit',
  'exec',
  'eval',
  'set',
  'unset',
  'alias',
  'ulimit',
  'umask',
  'read',
  'wait',
  'trap',
  'shift',
  'local',
  'declare',
  'let',
  'if',
  'for',
  'while',
  'until',
  'case',
  'function',
  'time',
]);

type Piece = { text: string } | { value: Node; wrap: boolean };

/**
 * `"ping -c 1 " + host`, `f"ping -c 1 {host}"`, `"ping -c 1 %s" % host` → `["ping", "-c", "1", host]`: the
 * argument vector the shell would have built, when the constant text is plain words (no quotes, variables,
 * globs, redirections or pipes), each value is a whole word or glued to plain text, and the program is a
 * fixed word that is not itself a shell. `isText(value)` tells whether a value is already a `str`; other
 * values are wrapped in `str()` as the string formatting did. Null when no faithful list exists.
 */
export function argumentListOf(
  ctx: RuleContext,
  command: Node,
  isText: (value: Node) => boolean,
): string | null {
  const pieces = piecesOf(ctx, command, isText);
  if (!pieces || !pieces.some((p) => 'value' in p)) return null;
  const words: Piece[][] = [];
  let current: Piece[] = [];
  for (const piece of pieces) {
    if ('value' in piece) {
      current.push(piece);
      continue;
    }
    if (!PLAIN_TEXT.test(piece.text)) return null;
    const chunks = piece.text.split(' ');
    chunks.forEach((chunk, i) => {
      if (i > 0 && current.length > 0) {
        words.push(current);
        current = [];
      }
      if (chunk !== '') current.push({ text: chunk });
    });
  }
  if (current.length > 0) words.push(current);
  const first = words[0];
  if (!first || first.length !== 1 || !('text' in (first[0] as Piece))) return null;
  const program = (first[0] as { text: string }).text;
  if (SHELL_WORDS.has(program) || program.includes('=') || isScriptRunner(program)) return null;
  const rendered: string[] = [];
  for (const word of words) {
    const only = word.length === 1 ? word[0] : undefined;
    if (only && 'text' in only) rendered.push(`"${only.text}"`);
    else if (only && 'value' in only) rendered.push(only.wrap ? `str(${only.value.text})` : only.value.text);
    else {
      // `--name={value}` stays one word: an f-string of the same parts.
      let body = '';
      for (const part of word) {
        if ('text' in part) body += part.text;
        else if (/["'\\{}:!\n]/.test(part.value.text)) return null;
        else body += `{${part.value.text}}`;
      }
      rendered.push(`f"${body}"`);
    }
  }
  return `[${rendered.join(', ')}]`;
}

/** Expressions whose text the fix takes apart; any other operand of `+` is one value. */
const STRING_BUILDING = new Set([
  'string',
  'concatenated_string',
  'binary_operator',
  'parenthesized_expression',
]);

function piecesOf(ctx: RuleContext, node: Node, isText: (value: Node) => boolean, depth = 0): Piece[] | null {
  if (depth > 12) return null;
  const literal = literalText(node);
  if (literal !== null) return [{ text: literal }];
  switch (node.type) {
    case 'parenthesized_expression':
      return node.namedChildren[0] ? piecesOf(ctx, node.namedChildren[0], isText, depth + 1) : null;
    case 'string': {
      if (!/f/.test(stringPrefix(node)) || /b/.test(stringPrefix(node))) return null;
      const out: Piece[] = [];
      for (const child of node.namedChildren) {
        if (!child) continue;
        if (child.type === 'string_content') {
          if (child.namedChildCount > 0) return null; // escapes (`\t`, `{{`)
          out.push({ text: child.text });
        } else if (child.type === 'interpolation') {
          const value = child.namedChildren[0];
          if (!value || child.namedChildren.length > 1) return null; // `{x!r}`, `{x:>8}`
          out.push({ value, wrap: !isText(value) });
        }
      }
      return out;
    }
    case 'concatenated_string': {
      const out: Piece[] = [];
      for (const part of node.namedChildren) {
        const inner = part ? piecesOf(ctx, part, isText, depth + 1) : null;
        if (!inner) return null;
        out.push(...inner);
      }
      return out;
    }
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (!left || !right) return null;
      if (operator === '+') {
        // Operands of `+` on a string are strings already: no str() needed.
        const operand = (n: Node): Piece[] | null =>
          STRING_BUILDING.has(n.type) ? piecesOf(ctx, n, isText, depth + 1) : [{ value: n, wrap: false }];
        const a = operand(left);
        const b = operand(right);
        return a && b ? [...a, ...b] : null;
      }
      if (operator !== '%') return null;
      const format = literalText(left);
      if (format === null) return null;
      const values =
        right.type === 'tuple'
          ? right.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment')
          : [right];
      if (right.type === 'dictionary' || values.some((v) => v.type === 'list_splat')) return null;
      const chunks = format.replace(/%%/g, '\uE001').split('%s');
      if (chunks.some((c) => c.includes('%')) || chunks.length - 1 !== values.length) return null;
      const out: Piece[] = [];
      chunks.forEach((chunk, i) => {
        out.push({ text: chunk.replace(/\uE001/g, '%') });
        const value = values[i];
        if (value) out.push({ value, wrap: !isText(value) });
      });
      return out;
    }
    default:
      return null;
  }
}

/** The text of a plain (non-f, non-bytes) string literal without escape sequences, else null. */
function literalText(node: Node): string | null {
  if (node.type !== 'string' || /[bf]/.test(stringPrefix(node))) return null;
  if (node.namedChildren.some((c) => c?.type === 'string_content' && c.namedChildCount > 0)) return null;
  const value = stringValue(node);
  return value === undefined ? null : value;
}
