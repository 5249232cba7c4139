/**
 * Node's `crypto` for the web extension's bundle (esbuild puts this in place of `node:crypto` there; see
 * scripts/build.mjs): the two functions the chat uses, on the Web Crypto API.
 */
export function randomUUID(): string {
  return globalThis.crypto.randomUUID();
}

export function randomBytes(size: number): { toString(encoding: 'base64' | 'hex'): string } {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(size));
  return {
    toString(encoding) {
      if (encoding === 'hex') return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
      return btoa(String.fromCharCode(...bytes));
    },
  };
}
