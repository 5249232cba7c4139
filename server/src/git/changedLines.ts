import * as path from 'node:path';
import { GitError, gitToplevel, realPath, resolveCommit, runGit } from './git';
import { parseUnifiedDiff } from './unifiedDiff';

/** The lines of one file that a change added or modified: every line, or 1-based inclusive ranges. */
export type LineSet = { all: true } | { all: false; ranges: readonly [number, number][] };

export interface ChangedFiles {
  /** The repository's top folder, symlinks resolved. */
  toplevel: string;
  /** The commit the working tree was compared with. */
  commit: string;
  /** Changed files by absolute path (under `toplevel`, symlinks resolved); deleted files are absent. */
  files: Map<string, LineSet>;
}

/**
 * What changed in the working tree since `ref`: committed, staged and unstaged edits
 * (`git diff --unified=0 -M ref`), renames under their new name, plus untracked files (all lines new).
 * Throws GitError with a message for the user when `cwd` is not in a repository or `ref` is unknown.
 */
export async function changedSince(ref: string, cwd: string): Promise<ChangedFiles> {
  const toplevel = await gitToplevel(cwd);
  const commit = await resolveCommit(toplevel, ref);
  const diff = await runGit(
    [
      'diff',
      '--unified=0',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '-M',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      commit,
      '--',
    ],
    toplevel,
  );
  if (diff.code !== 0) throw new GitError(`git diff ${ref} failed: ${diff.stderr}`, 'failed');
  const files = new Map<string, LineSet>();
  for (const file of parseUnifiedDiff(diff.stdout.toString('utf8'))) {
    if (file.newPath === undefined) continue;
    const absolute = path.join(toplevel, file.newPath);
    // A file git diffs as binary (or marked `-diff`) has no line hunks: all of it counts, nothing is hidden.
    const all = file.status === 'added' || file.binary;
    files.set(absolute, all ? { all: true } : { all: false, ranges: file.added });
  }
  const untracked = await runGit(['ls-files', '--others', '--exclude-standard', '-z'], toplevel);
  if (untracked.code !== 0) throw new GitError(`git ls-files failed: ${untracked.stderr}`, 'failed');
  for (const name of untracked.stdout.toString('utf8').split('\0')) {
    if (name) files.set(path.join(toplevel, name), { all: true });
  }
  return { toplevel, commit, files };
}

/** The changed lines of a file (absolute path, any symlinks), or `undefined` when the file did not change. */
export function changedLinesOf(changed: ChangedFiles, file: string): LineSet | undefined {
  return changed.files.get(path.resolve(file)) ?? changed.files.get(realPath(file));
}

interface Span {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/**
 * Whether a range (0-based lines, as findings and diagnostics carry) touches a changed line. A range that
 * ends at column 0 of a line does not cover that line.
 */
export function touches(lines: LineSet, range: Span): boolean {
  if (lines.all) return true;
  const first = range.start.line + 1;
  const endLine =
    range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
  const last = Math.max(endLine, range.start.line) + 1;
  return lines.ranges.some(([a, b]) => a <= last && b >= first);
}
