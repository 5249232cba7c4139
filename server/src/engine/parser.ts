import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { installNodeMemo } from './nodeMemo';

/**
 * Loads web-tree-sitter and the Python grammar exactly once per process (or web worker).
 *
 * In node (the CLI, the language server, tests) the `.wasm` files are read from disk: beside the running
 * bundle first (esbuild copies them into `dist/`), then from `node_modules` (tests run from source). In a
 * browser the host says where they are (`WasmFiles`: URLs of the extension's own files, or bytes). Nothing
 * is ever fetched from anywhere else.
 */
export interface WasmFiles {
  /** Where web-tree-sitter's own files (`web-tree-sitter.wasm`) are: a path (node) or a URL (browser). */
  locateFile(name: string): string;
  /** The Python grammar (`tree-sitter-python.wasm`): its bytes, or a URL to fetch them from. */
  grammar: Uint8Array | string;
}

let loading: Promise<Language> | undefined;

/** Where the `.wasm` files are in node: beside the bundle, else in node_modules. */
function nodeWasmFiles(): WasmFiles {
  const locate = (fileName: string, packageName: string): string => {
    const besideBundle = path.join(__dirname, fileName);
    if (fs.existsSync(besideBundle)) return besideBundle;
    return require.resolve(`${packageName}/${fileName}`);
  };
  return {
    locateFile: (name) => locate(name, 'web-tree-sitter'),
    grammar: fs.readFileSync(locate('tree-sitter-python.wasm', 'tree-sitter-python')),
  };
}

/** The Python grammar, loaded on first use. `wasm` is only read by the first call (one runtime per process). */
export function loadPython(wasm?: WasmFiles): Promise<Language> {
  loading ??= (async () => {
    const files = wasm ?? nodeWasmFiles();
    await Parser.init({ locateFile: (name: string) => files.locateFile(name) });
    installNodeMemo();
    return Language.load(files.grammar);
  })();
  return loading;
}

/** A parser bound to the Python grammar. Parsers are cheap; each caller (CLI worker, server) owns its own. */
export async function createPythonParser(wasm?: WasmFiles): Promise<Parser> {
  const language = await loadPython(wasm);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
