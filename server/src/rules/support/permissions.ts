import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { stringValue } from '../../engine/syntax';
import { listElements } from './commands';

/** The `stat` module's permission bits, by name. */
const STAT_BITS = new Map<string, number>([
  ['S_ISUID', 0o4000],
  ['S_ISGID', 0o2000],
  ['S_ISVTX', 0o1000],
  ['S_IRWXU', 0o700],
  ['S_IRUSR', 0o400],
  ['S_IWUSR', 0o200],
  ['S_IXUSR', 0o100],
  ['S_IREAD', 0o400],
  ['S_IWRITE', 0o200],
  ['S_IEXEC', 0o100],
  ['S_IRWXG', 0o070],
  ['S_IRGRP', 0o040],
  ['S_IWGRP', 0o020],
  ['S_IXGRP', 0o010],
  ['S_IRWXO', 0o007],
  ['S_IROTH', 0o004],
  ['S_IWOTH', 0o002],
  ['S_IXOTH', 0o001],
]);

/**
 * The permission bits an expression evaluates to: integer literals in any base (`0o777`, `511`, `0x1ff`,
 * and Python 2's `0777`), `stat.S_I*` constants, and `|`, `+`, `&`, `^`, `~` of those, through names
 * assigned once. Undefined when any part is not known, except in `x | known`, which has at least the
 * known bits (what the rules ask about).
 */
export function fileModeOf(ctx: RuleContext, node: Node | null | undefined, depth = 0): number | undefined {
  if (!node || depth > 8) return undefined;
  const value = ctx.file.resolveValue(node);
  switch (value.type) {
    case 'integer': {
      const text = value.text.replace(/_/g, '').toLowerCase();
      const n = /^0\d+$/.test(text) ? Number.parseInt(text, 8) : Number(text);
      return Number.isInteger(n) ? n : undefined;
    }
    case 'parenthesized_expression':
      return fileModeOf(ctx, value.namedChildren[0], depth + 1);
    case 'attribute':
    case 'identifier': {
      const name = ctx.file.imports.resolve(value) ?? '';
      const bit = /^stat\.(S_I\w+)$/.exec(name)?.[1];
      return bit ? STAT_BITS.get(bit) : undefined;
    }
    case 'unary_operator': {
      const operand = fileModeOf(ctx, value.childForFieldName('argument'), depth + 1);
      if (operand === undefined) return undefined;
      return value.text.trimStart().startsWith('~') ? ~operand & 0o7777 : undefined;
    }
    case 'binary_operator': {
      const left = fileModeOf(ctx, value.childForFieldName('left'), depth + 1);
      const right = fileModeOf(ctx, value.childForFieldName('right'), depth + 1);
      const operator = value.childForFieldName('operator')?.type ?? '';
      // `os.stat(p).st_mode | stat.S_IWOTH`: whatever the rest is, these bits are set.
      if (operator === '|' && (left === undefined) !== (right === undefined)) return left ?? right;
      if (left === undefined || right === undefined) return undefined;
      if (operator === '|') return left | right;
      if (operator === '+') return left + right;
      if (operator === '&') return left & right;
      if (operator === '^') return left ^ right;
      return undefined;
    }
    default:
      return undefined;
  }
}

/** `0o755`, the way Python 3 writes a mode. */
export function formatMode(mode: number): string {
  return `0o${mode.toString(8).padStart(3, '0')}`;
}

export interface ShellChmod {
  /** The mode as written in the command (`777`, `a+w`). */
  mode: string;
  otherWrite: boolean;
  recursive: boolean;
}

const CHMOD =
  /\bchmod\s+((?:-{1,2}[A-Za-z-]+\s+)*)([0-7]{3,4}\b|[ugoa]*[-+=][rwxXst]*(?:,[ugoa]*[-+=][rwxXst]*)*)/g;

/** The `chmod` invocations of a shell command given as a string or an argument list. */
export function shellChmodModes(ctx: RuleContext, command: Node): ShellChmod[] {
  const value = ctx.file.resolveValue(command);
  const elements = listElements(value);
  const text = elements
    ? elements.map((e) => stringValue(ctx.file.resolveValue(e)) ?? '{}').join(' ')
    : (stringValue(value) ?? constantParts(value));
  if (!/chmod/.test(text)) return [];
  const found: ShellChmod[] = [];
  for (const match of text.matchAll(CHMOD)) {
    const flags = match[1] ?? '';
    const mode = match[2] ?? '';
    found.push({
      mode,
      otherWrite: grantsOtherWrite(mode),
      recursive: /(^|\s)-(\w*R\w*)\s|--recursive/.test(` ${flags}`),
    });
  }
  return found;
}

function grantsOtherWrite(mode: string): boolean {
  if (/^[0-7]+$/.test(mode)) return (Number.parseInt(mode, 8) & 0o002) !== 0;
  return mode.split(',').some((clause) => {
    const parsed = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!parsed) return false;
    const [, who = '', op, perms = ''] = parsed;
    // No "who" means all users, minus the umask: `chmod +w` keeps the usual 022 out.
    return /[oa]/.test(who) && op !== '-' && perms.includes('w');
  });
}

/** The literal text of a string with interpolations (f-strings, `%`, `+`), the dynamic parts as `{}`. */
function constantParts(node: Node): string {
  if (node.type === 'string') {
    return node.namedChildren
      .map((part) =>
        part?.type === 'string_content' ? part.text : part?.type === 'interpolation' ? '{}' : '',
      )
      .join('');
  }
  if (node.type === 'binary_operator' || node.type === 'concatenated_string') {
    return node.namedChildren.map((part) => (part ? constantParts(part) : '')).join('');
  }
  return '';
}
