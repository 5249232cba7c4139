import * as path from 'node:path';
import { changedLineIndices, toRanges } from './lineDiff';
import type { LineSet } from './changedLines';
import { GitError, gitToplevel, realPath, resolveCommit, runGit } from './git';

/** A file's text in a base revision; `text: null` when the file does not exist there (new, untracked). */
export interface BaseVersion {
  commit: string;
  text: string | null;
}

export interface BaseVersionsOptions {
  /** Logged once per problem (git missing, a folder outside any repository, an unknown base). */
  log(message: string): void;
  /** A base revision now names another commit (a commit, checkout or fetch happened): filters changed. */
  onBaseMoved(): void;
  /** How long a resolved revision is trusted before it is checked again (in the background). */
  revalidateMs?: number;
  /** How many base texts to keep. */
  maxTexts?: number;
}

interface ResolvedBase {
  /** Whether a first answer came in (a revision that does not exist resolves to `undefined`). */
  resolved: boolean;
  commit: string | undefined;
  checkedAt: number;
  checking: Promise<void> | undefined;
}

/**
 * Base versions of files for the language server's "changed lines only" filter. Everything slow is
 * cached: the repository of each folder, the commit each (repository, revision) names, and each file's base
 * text per commit (immutable, so never stale). Revisions such as `HEAD` move, so their commit is re-checked
 * in the background at most every `revalidateMs` (or at once after `revalidate()`); when one moved,
 * `generation` goes up and `onBaseMoved` fires. A failure never hides findings: the caller gets
 * `undefined`, meaning "no filter", and the reason is logged once.
 */
export class BaseVersions {
  /** Bumped whenever a base revision moved to another commit. */
  generation = 0;
  private readonly toplevels = new Map<string, Promise<string | undefined>>();
  private readonly bases = new Map<string, ResolvedBase>();
  private readonly texts = new Map<string, Promise<string | null | undefined>>();
  private readonly logged = new Set<string>();
  private gitMissing = false;

  constructor(private readonly options: BaseVersionsOptions) {}

  /** The base version of `file` (absolute path) at revision `base`, or undefined when it cannot be known. */
  async baseOf(file: string, base: string): Promise<BaseVersion | undefined> {
    if (this.gitMissing) return undefined;
    const dir = realPath(path.dirname(file));
    const toplevel = await this.toplevelOf(dir);
    if (!toplevel) return undefined;
    const commit = await this.commitOf(toplevel, base);
    if (!commit) return undefined;
    const relative = path
      .relative(toplevel, path.join(dir, path.basename(file)))
      .split(path.sep)
      .join('/');
    if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    const text = await this.textOf(toplevel, commit, relative);
    return text === undefined ? undefined : { commit, text };
  }

  /** Check every known revision again now (e.g. `.git/HEAD` or a ref changed on disk). */
  revalidate(): void {
    // A folder that was outside any repository may be in one now (git init, clone).
    for (const [dir, pending] of this.toplevels) {
      void pending.then((top) => {
        if (top === undefined && this.toplevels.get(dir) === pending) this.toplevels.delete(dir);
      });
    }
    for (const [key, entry] of this.bases) {
      entry.checkedAt = 0;
      const [toplevel, base] = key.split('\0') as [string, string];
      void this.recheck(toplevel, base, entry);
    }
  }

  /** Forget everything (settings changed, or a folder became a repository). */
  clear(): void {
    this.toplevels.clear();
    this.bases.clear();
    this.texts.clear();
    this.gitMissing = false;
  }

  private toplevelOf(dir: string): Promise<string | undefined> {
    let pending = this.toplevels.get(dir);
    if (!pending) {
      pending = gitToplevel(dir).catch((error: unknown) => {
        this.failed(error, `outside:${dir}`);
        return undefined;
      });
      this.toplevels.set(dir, pending);
    }
    return pending;
  }

  private async commitOf(toplevel: string, base: string): Promise<string | undefined> {
    const key = `${toplevel}\0${base}`;
    let entry = this.bases.get(key);
    if (!entry) {
      entry = { resolved: false, commit: undefined, checkedAt: 0, checking: undefined };
      this.bases.set(key, entry);
      await this.recheck(toplevel, base, entry);
      return entry.commit;
    }
    if (Date.now() - entry.checkedAt > (this.options.revalidateMs ?? 2000))
      void this.recheck(toplevel, base, entry);
    if (!entry.resolved) await entry.checking;
    return entry.commit;
  }

  private recheck(toplevel: string, base: string, entry: ResolvedBase): Promise<void> {
    if (entry.checking) return entry.checking;
    entry.checking = (async () => {
      let commit: string | undefined;
      try {
        commit = await resolveCommit(toplevel, base);
      } catch (error) {
        this.failed(error, `base:${toplevel}:${base}`);
      }
      entry.checkedAt = Date.now();
      entry.checking = undefined;
      const moved = entry.resolved && commit !== entry.commit;
      entry.resolved = true;
      entry.commit = commit;
      if (moved) {
        this.generation++;
        this.options.onBaseMoved();
      }
    })();
    return entry.checking;
  }

  private textOf(toplevel: string, commit: string, relative: string): Promise<string | null | undefined> {
    const key = `${commit}:${toplevel}:${relative}`;
    let pending = this.texts.get(key);
    if (pending) {
      // Least recently used goes first: move this one to the end.
      this.texts.delete(key);
      this.texts.set(key, pending);
      return pending;
    }
    pending = readBlob(toplevel, commit, relative).catch((error: unknown) => {
      this.texts.delete(key);
      this.failed(error, `read:${toplevel}`);
      return undefined;
    });
    this.texts.set(key, pending);
    const max = this.options.maxTexts ?? 200;
    while (this.texts.size > max) this.texts.delete(this.texts.keys().next().value as string);
    return pending;
  }

  private failed(error: unknown, key: string): void {
    if (error instanceof GitError && error.kind === 'missing-git') {
      this.gitMissing = true;
      key = 'missing-git';
    }
    if (this.logged.has(key)) return;
    this.logged.add(key);
    const message = error instanceof Error ? error.message : String(error);
    this.options.log(`Flask Sentinel: changed-lines filter off here, showing every finding: ${message}`);
  }
}

/** A file's content at a commit (`null`: no such file there), through `git cat-file --batch`. */
async function readBlob(toplevel: string, commit: string, relative: string): Promise<string | null> {
  if (/[\n\r]/.test(relative))
    throw new GitError(`cannot look up a file name with a line break: ${relative}`, 'failed');
  const run = await runGit(['cat-file', '--batch'], toplevel, `${commit}:${relative}\n`);
  if (run.code !== 0) throw new GitError(`git cat-file failed: ${run.stderr}`, 'failed');
  const newline = run.stdout.indexOf(10);
  const header = run.stdout.subarray(0, newline < 0 ? run.stdout.length : newline).toString('utf8');
  const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
  if (!match) return null; // "<name> missing" (or ambiguous): the file is not in the base
  if (match[1] !== 'blob') return null;
  return run.stdout.subarray(newline + 1, newline + 1 + Number(match[2])).toString('utf8');
}

/** The changed lines of `text` against its base version: every line for a file the base does not have. */
export function changedAgainst(base: BaseVersion, text: string): LineSet {
  if (base.text === null) return { all: true };
  return { all: false, ranges: toRanges(changedLineIndices(base.text, text)) };
}
