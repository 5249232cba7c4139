import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

/**
 * Loads web-tree-sitter and the Python grammar exactly once per process.
 *
 * The `.wasm` files are looked up beside the running bundle first (esbuild copies them into `dist/`), then in
 * `node_modules` (tests run from source). Nothing is ever fetched.
 */
let loading: Promise<Language> | undefined;

function locate(fileName: string, packageName: string): string {
  const besideBundle = path.join(__dirname, fileName);
  if (fs.existsSync(besideBundle)) return besideBundle;
  return require.resolve(`${packageName}/${fileName}`);
}

export function loadPython(): Promise<Language> {
  loading ??= (async () => {
    await Parser.init({
      locateFile: (name: string) => locate(name, 'web-tree-sitter'),
    });
    const bytes = fs.readFileSync(locate('tree-sitter-python.wasm', 'tree-sitter-python'));
    return Language.load(bytes);
  })();
  return loading;
}

/** A parser bound to the Python grammar. Parsers are cheap; each caller (CLI worker, server) owns its own. */
export async function createPythonParser(): Promise<Parser> {
  const language = await loadPython();
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}
