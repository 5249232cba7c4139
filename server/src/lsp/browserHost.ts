import * as path from 'node:path';
import picomatch from 'picomatch';
import type { InitializeParams } from 'vscode-languageserver';
import { ALWAYS_SKIPPED_DIRS, tooLargeReason } from '../cli/sourceText';
import type { SkippedFile, SourceFile } from '../cli/files';
import type { WasmFiles } from '../engine/parser';
import type { PushedFiles, ServerHost, WorkspaceFiles } from './host';
import type { WorkspaceFile } from './protocol';
import { isInside } from './settings';

/** `initializationOptions` of the web extension's client: where the worker's `.wasm` files are. */
export interface BrowserInitializationOptions {
  /** The URL of the folder holding `web-tree-sitter.wasm` and `tree-sitter-python.wasm`, ending in `/`. */
  wasmBase?: string;
}

/**
 * The files the client sent, by path: the web worker's stand-in for the disk. The client reads the
 * workspace's Python files through `vscode.workspace.fs` (github.dev's, vscode.dev's and test-web's file
 * systems alike) and sends them with `flaskSentinel/workspaceFiles`.
 */
export class MemoryFiles implements WorkspaceFiles, PushedFiles {
  private readonly files = new Map<string, WorkspaceFile & { version: number }>();
  private version = 0;

  set(file: string, entry: WorkspaceFile): void {
    this.files.set(file, { ...entry, version: ++this.version });
  }

  delete(file: string): void {
    this.files.delete(file);
  }

  discover(folder: string, exclude: readonly string[]): string[] {
    const excluded = exclude.length > 0 ? picomatch([...exclude], { dot: true }) : undefined;
    return [...this.files.keys()]
      .filter((file) => isInside(folder, file) && !this.skipped(file))
      .filter((file) => !excluded?.(path.relative(folder, file)))
      .sort();
  }

  read(file: string, maxBytes: number): SourceFile | SkippedFile {
    const entry = this.files.get(file);
    if (!entry) return { path: file, reason: 'cannot read: the file is gone' };
    if (entry.size > maxBytes) return { path: file, reason: tooLargeReason(maxBytes, entry.size) };
    if (entry.text !== undefined) return { path: file, text: entry.text };
    return { path: file, reason: entry.reason ?? tooLargeReason(maxBytes, entry.size) };
  }

  stamp(file: string): string | undefined {
    const entry = this.files.get(file);
    return entry ? `${entry.version}:${entry.size}` : undefined;
  }

  skipped(file: string): boolean {
    return path
      .dirname(file)
      .split('/')
      .some((part) => ALWAYS_SKIPPED_DIRS.has(part));
  }
}

/**
 * The language server in a web worker (the web extension): no disk, no git, no `pyproject.toml`. Documents
 * are keyed by the path of their URI (`vscode-vfs://github/owner/repo/app.py` → `/owner/repo/app.py`), so
 * folders, exclude globs and workspace facts work as on the desktop; `untitled:` documents have no path.
 */
export function createBrowserHost(): ServerHost & { pushedFiles: MemoryFiles } {
  const uris = new Map<string, string>();
  const files = new MemoryFiles();
  const pathOf = (uri: string): string | undefined => {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      return undefined;
    }
    if (parsed.protocol === 'untitled:' || !parsed.pathname.startsWith('/')) return undefined;
    let file: string;
    try {
      file = decodeURIComponent(parsed.pathname);
    } catch {
      return undefined;
    }
    if (file.length > 1) file = file.replace(/\/+$/, '');
    // Two folders of different file systems with the same path would share it: the first one keeps it.
    if (!uris.has(file)) uris.set(file, uri.replace(/\/+$/, ''));
    return file;
  };
  const uriOf = (file: string): string => {
    const known = uris.get(file);
    if (known) return known;
    // A path under a known one (a folder): that URI with the rest of the path appended.
    let best: string | undefined;
    for (const candidate of uris.keys()) {
      if (isInside(candidate, file) && (!best || candidate.length > best.length)) best = candidate;
    }
    const base = best !== undefined ? uris.get(best) : undefined;
    if (best === undefined || base === undefined) return `file://${encodeURI(file)}`;
    const rest = path.relative(best, file).split('/').map(encodeURIComponent).join('/');
    return `${base}/${rest}`;
  };
  return {
    kind: 'browser',
    wasm(params: InitializeParams): WasmFiles | undefined {
      const options = params.initializationOptions as BrowserInitializationOptions | undefined;
      const base = options?.wasmBase;
      if (!base) throw new Error('initializationOptions.wasmBase is missing: cannot load the parser');
      return {
        locateFile: (name) => new URL(name, base).href,
        grammar: new URL('tree-sitter-python.wasm', base).href,
      };
    },
    pathOf,
    uriOf,
    files,
    pushedFiles: files,
  };
}
