/**
 * What makes a file's bytes Python source a scan analyses, shared by the disk (`files.ts`) and the web
 * extension, whose client reads files through `vscode.workspace.fs`. No imports: both bundles take it.
 */

/** Folders a scan never enters: virtual environments, caches, VCS folders, `node_modules`. */
export const ALWAYS_SKIPPED_DIRS: ReadonlySet<string> = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  'site-packages',
  '.eggs',
]);

/** How much of a file is looked at for NUL bytes (binary files). */
const BINARY_PROBE = 8000;

/** Why a file of `size` bytes is not analysed under a limit of `maxBytes`. */
export function tooLargeReason(maxBytes: number, size: number): string {
  return `larger than the ${Math.round(maxBytes / 1024)} KiB limit (${Math.round(size / 1024)} KiB); raise max-file-size-kb to scan it`;
}

/** The text of a file's bytes (a UTF-8 byte order mark dropped), or why it is not Python source. */
export function decodeSource(bytes: Uint8Array): { text: string } | { reason: string } {
  if (bytes.subarray(0, BINARY_PROBE).includes(0)) return { reason: 'binary file (contains NUL bytes)' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch {
    return { reason: 'not valid UTF-8 (re-save it as UTF-8 to scan it)' };
  }
}
