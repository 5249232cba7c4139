import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A thin, dependency-free way to run `git`: a real process (no shell, so no quoting), output as bytes, and
 * errors that say what went wrong in words a user can act on.
 */
export class GitError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing-git' | 'not-a-repo' | 'bad-ref' | 'failed',
  ) {
    super(message);
  }
}

export interface GitRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Options every call gets: never a pager, never colour, never a prompt, `core.quotePath` off so that
 * non-ASCII names arrive as UTF-8 (names with control characters or quotes are still C-quoted).
 */
const COMMON = ['-c', 'core.quotePath=false', '-c', 'color.ui=false'];

export async function runGit(args: readonly string[], cwd: string, input?: string): Promise<GitRun> {
  // Loaded on first use: a scan without --diff never runs git, and node's child_process module costs each
  // CLI thread ~5 ms to load.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn('git', [...COMMON, ...args], {
        cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' },
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(asGitError(error));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(asGitError(error)));
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8').trim(),
      }),
    );
    child.stdin.on('error', () => undefined); // git may exit before reading its input
    child.stdin.end(input ?? '');
  });
}

function asGitError(error: unknown): GitError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new GitError('git is not installed or not on PATH', 'missing-git');
  return new GitError(`git could not be started: ${String(error)}`, 'failed');
}

/** The repository's top folder (symlinks resolved), or a GitError('not-a-repo'). */
export async function gitToplevel(dir: string): Promise<string> {
  let cwd = dir;
  // git needs an existing folder to start in: walk up from a folder that is not there (yet).
  while (!isDirectory(cwd) && path.dirname(cwd) !== cwd) cwd = path.dirname(cwd);
  const run = await runGit(['rev-parse', '--show-toplevel'], cwd);
  const top = run.stdout.toString('utf8').trim();
  if (run.code !== 0 || !top) {
    throw new GitError(
      `${dir} is not inside a git repository${run.stderr ? ` (${run.stderr})` : ''}`,
      'not-a-repo',
    );
  }
  return realPath(path.resolve(cwd, top));
}

/**
 * The commit a revision names. `A...` (or `A...B`) means the merge base of A and HEAD (or B), as in
 * `git diff A...B`: what a pull request from this branch would change.
 */
export async function resolveCommit(toplevel: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new GitError(`'${ref}' is not a git revision`, 'bad-ref');
  const range = /^(.*?)\.\.\.(.*)$/.exec(ref);
  if (range) {
    const left = await resolveCommit(toplevel, range[1] || 'HEAD');
    const right = await resolveCommit(toplevel, range[2] || 'HEAD');
    const base = await runGit(['merge-base', left, right], toplevel);
    const sha = base.stdout.toString('utf8').trim();
    if (base.code !== 0 || !sha)
      throw new GitError(`'${ref}': the two sides have no common ancestor`, 'bad-ref');
    return sha;
  }
  const run = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], toplevel);
  const sha = run.stdout.toString('utf8').trim();
  if (run.code !== 0 || !/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new GitError(
      `'${ref}' is not a commit in ${toplevel} (unknown revision, or no commits yet)`,
      'bad-ref',
    );
  }
  return sha;
}

export function realPath(file: string): string {
  try {
    return fs.realpathSync.native(file);
  } catch {
    return path.resolve(file);
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Undoes git's C-style quoting of a path (`"a/t\303\251st \"x\".py"`): octal escapes are UTF-8 bytes.
 * Unquoted input is returned as is.
 */
export function unquoteGitPath(raw: string): string {
  if (!raw.startsWith('"') || !raw.endsWith('"') || raw.length < 2) return raw;
  const body = Array.from(raw.slice(1, -1));
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1, i + 4).join(''))?.[0] ?? '0';
      bytes.push(parseInt(octal, 8));
      i += octal.length;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
