import type { Node } from 'web-tree-sitter';
import type { FileModel } from './model';
import { isFalsyLiteral, lastSegment, stringValue } from './syntax';

/** What Jinja's `select_autoescape(enabled_extensions, disabled_extensions, default_for_string, default)` escapes. */
export interface AutoescapeSelection {
  /** The extensions escaped (lower case, no dot); null when they cannot be read from the code. */
  extensions: string[] | null;
  /** Templates of the other extensions are escaped too (`default=True`; a value not known counts). */
  byDefault: boolean;
  /** Templates built from strings are escaped (`default_for_string`, on unless turned off). */
  forStrings: boolean;
}

/** Jinja's default `enabled_extensions`. */
const DEFAULT_EXTENSIONS = ['html', 'htm', 'xml'];

/** The selection a `select_autoescape(...)` call (or a name bound to one) makes; null for anything else. */
export function selectAutoescapeOf(file: FileModel, node: Node): AutoescapeSelection | null {
  const value = file.resolveValue(node);
  const site = value.type === 'call' ? file.callAt(value) : undefined;
  if (!site || lastSegment(site.callee ?? '') !== 'select_autoescape') return null;
  const option = (name: string, index: number) => site.args.keywords.get(name) ?? site.args.positional[index];
  const on = (name: string, index: number, byDefault: boolean) => {
    const given = option(name, index);
    return given ? !isFalsyLiteral(file.resolveValue(given)) : byDefault;
  };
  const listed = option('enabled_extensions', 0);
  const collection = listed ? file.resolveValue(listed) : null;
  let extensions: string[] | null = DEFAULT_EXTENSIONS;
  if (collection) {
    const names = ['list', 'tuple', 'set'].includes(collection.type)
      ? collection.namedChildren.map((c) => stringValue(c ?? null))
      : [undefined];
    extensions = names.some((n) => n === undefined)
      ? null
      : (names as string[]).map((n) => n.replace(/^\./, '').toLowerCase());
  }
  return { extensions, byDefault: on('default', 3, false), forStrings: on('default_for_string', 2, true) };
}
