/**
 * Lets other work run (requests, edits) in the middle of a long loop. `setImmediate` in node, as before; a
 * web worker has no `setImmediate`, so a zero timeout there.
 */
export function nextTick(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/** Runs `callback` once the current work is done (`setImmediate` in node, a zero timeout in a web worker). */
export function later(callback: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(callback);
  else setTimeout(callback, 0);
}

/** The length of a text in UTF-8 bytes (`Buffer.byteLength` in node; a web worker has no Buffer). */
export function utf8Length(text: string): number {
  if (typeof Buffer !== 'undefined') return Buffer.byteLength(text, 'utf8');
  return new TextEncoder().encode(text).length;
}
