import { Parser } from 'web-tree-sitter';

/**
 * The size of web-tree-sitter's WebAssembly memory, in bytes.
 *
 * web-tree-sitter 0.27 keeps its Emscripten module private, but Emscripten writes the heap views (`HEAPU8`,
 * refreshed on every `memory.grow`) onto the options object given to the first `Parser.init()`, and later
 * `init` calls reuse that module. So this must run before anything else in the process creates a parser;
 * `createPythonParser()` afterwards shares the same module. Linear memory never shrinks: the figure is the
 * heap's high-water mark, so any growth after a warm-up means memory that was not given back.
 */
export async function wasmHeapProbe(): Promise<() => number> {
  const module: { locateFile: (name: string) => string; HEAPU8?: Uint8Array } = {
    locateFile: (name: string) => require.resolve(`web-tree-sitter/${name}`),
  };
  await Parser.init(module);
  if (!module.HEAPU8) {
    throw new Error('web-tree-sitter was initialised before wasmHeapProbe(): call it first in the process');
  }
  return () => (module.HEAPU8 as Uint8Array).buffer.byteLength;
}
