import type { InitializeParams } from 'vscode-languageserver';
import type { SkippedFile, SourceFile } from '../cli/files';
import type { ProjectConfig } from '../config/projectConfig';
import type { WasmFiles } from '../engine/parser';
import type { BaseVersions, BaseVersionsOptions } from '../git/baseVersions';
import type { WorkspaceFile } from './protocol';

/**
 * What the language server needs from the place it runs in. One server (`startServer`), two hosts:
 *
 * - node (`nodeHost.ts`, `flask-sentinel-ls` and the desktop extension): files and `pyproject.toml` from disk,
 *   `git` for "changed lines only", the wasm read from beside the bundle;
 * - a web worker (`browserHost.ts`, the web extension on vscode.dev / github.dev): no disk and no processes.
 *   Files come from the client (it reads the workspace through `vscode.workspace.fs` and sends their text),
 *   the wasm from the extension's URL.
 *
 * Types only here: importing this module brings nothing of either host into a bundle.
 */
export interface ServerHost {
  readonly kind: 'node' | 'browser';
  /** Where the parser's `.wasm` files are; undefined: node's default (from disk, beside the bundle). */
  wasm: (params: InitializeParams) => WasmFiles | undefined;
  /** The path the server keys a document by (workspace facts, folders, exclude globs), or undefined. */
  pathOf: (uri: string) => string | undefined;
  /** The URI of a path the server got from `pathOf` or from the workspace's files. */
  uriOf: (path: string) => string;
  /** The workspace's files. */
  files: WorkspaceFiles;
  /** Base versions from git, for `changedLinesOnly`; undefined where no process can run (the filter is off). */
  baseVersions?(options: BaseVersionsOptions): BaseVersions;
  /** Set where the client sends the files (`flaskSentinel/workspaceFiles`) instead of the server reading them. */
  pushedFiles?: PushedFiles;
  /** `pyproject.toml` files; undefined where there are none to read (editor settings only). */
  projectFiles?: ProjectFiles;
}

/** The `pyproject.toml` that applies to a file, read with its `[tool.flask-sentinel]` table. */
export interface ProjectFiles {
  /** The nearest `pyproject.toml` above a file, or undefined. */
  find(file: string): string | undefined;
  /** Its modification time (a cached configuration is used while it stays the same), undefined when gone. */
  mtimeMs(pyproject: string): number | undefined;
  /** Its configuration; throws `ConfigError` when it is invalid. */
  load(pyproject: string): ProjectConfig;
}

/** The Python files of the workspace that are not open: on disk (node), or as the client sent them (browser). */
export interface WorkspaceFiles {
  /** Every Python file a scan of `folder` covers (exclude globs relative to it), as paths. */
  discover(folder: string, exclude: readonly string[]): string[];
  /** A file's text, or why it is not analysed (too large, binary, not UTF-8, unreadable). */
  read(file: string, maxBytes: number): SourceFile | SkippedFile;
  /** Changes whenever the file's content may have: (mtime, size) on disk, a counter in memory. */
  stamp(file: string): string | undefined;
  /** True when a path lies in a folder a scan never enters (virtualenvs, caches, VCS folders). */
  skipped(file: string): boolean;
}

/** The files the client sent, by path (`files` reads them). */
export interface PushedFiles {
  set(file: string, entry: WorkspaceFile): void;
  delete(file: string): void;
}
