import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import type { Tree } from 'web-tree-sitter';
import { installNodeMemo } from './nodeMemo';
import { changedRegion } from './textDiff';
import { treeSitterEdit } from './treeEdits';

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

/** How much of the text a re-parse hands the lexer at a time (UTF-16 code units). */
const REPARSE_CHUNK = 1024;

/**
 * `parser.parse(text, oldTree)`, reading the text in small chunks. web-tree-sitter reads a string through a
 * callback that copies up to 10 KiB from wherever the lexer asks; a re-parse asks again after every
 * statement it reuses, so on a 20,000-line file each keystroke copied about 1 MB into WASM memory. 1 KiB
 * chunks copy 0.3 MB and make that re-parse 15-25% faster (smaller chunks gain no more); a fresh parse
 * takes the same time either way. Once the parse is done, the tree reads node text (`node.text`) in one
 * slice, as before.
 */
export function reparse(parser: Parser, text: string, oldTree: Tree | null): Tree | null {
  let parsing = true;
  // A chunk may end between the halves of a surrogate pair: the lexer then asks for the next chunk.
  const read = (index: number): string =>
    parsing ? text.slice(index, index + REPARSE_CHUNK) : text.slice(index);
  try {
    return parser.parse(read, oldTree);
  } finally {
    parsing = false;
  }
}

/**
 * `text` parsed incrementally from an older text and its tree, which is used up (edited with the one
 * change between the two texts, then deleted). For trees the engine keeps of texts it derives itself (the
 * keystroke path's reduced file, the recovered text): the language server's documents describe their own
 * edits instead.
 */
export function reparseFrom(parser: Parser, old: { text: string; tree: Tree }, text: string): Tree | null {
  try {
    const { head, tail } = changedRegion(old.text, text);
    old.tree.edit(
      treeSitterEdit(old.text, head, old.text.length - tail, text.slice(head, text.length - tail)),
    );
    return reparse(parser, text, old.tree);
  } finally {
    parser.reset();
    old.tree.delete();
  }
}
