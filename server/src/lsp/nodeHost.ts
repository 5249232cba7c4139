import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { discoverFiles, inSkippedFolder, readSource } from '../cli/files';
import { findPyproject, loadProjectConfig } from '../config/projectConfig';
import { BaseVersions } from '../git/baseVersions';
import type { ServerHost } from './host';

/** The file system path of a `file:` URI; undefined for other schemes (`untitled:`...). */
export function fsPathOf(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

/** The language server in node (`flask-sentinel-ls`, the desktop extension): the disk, git, `pyproject.toml`. */
export const nodeHost: ServerHost = {
  kind: 'node',
  // The default: read from beside the bundle (engine/parser.ts).
  wasm: () => undefined,
  pathOf: fsPathOf,
  uriOf: (file) => pathToFileURL(file).href,
  files: {
    discover: (folder, exclude) => discoverFiles([folder], exclude, folder).files,
    read: readSource,
    stamp(file) {
      try {
        const stat = fs.statSync(file);
        return `${stat.mtimeMs}:${stat.size}`;
      } catch {
        return undefined;
      }
    },
    skipped: inSkippedFolder,
  },
  baseVersions: (options) => new BaseVersions(options),
  projectFiles: {
    find: (file) => findPyproject(path.dirname(file)),
    mtimeMs(pyproject) {
      try {
        return fs.statSync(pyproject).mtimeMs;
      } catch {
        return undefined;
      }
    },
    load: loadProjectConfig,
  },
};
