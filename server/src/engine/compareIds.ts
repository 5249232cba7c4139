/**
 * Orders rule ids (ASCII, e.g. "FS201") by code unit. `localeCompare` gives the same order for them, but its
 * first call loads ICU's collation data, about 12 ms of the language server's start.
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
