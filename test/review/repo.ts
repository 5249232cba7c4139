import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The environment of every git call the tests make: no user or system config, a fixed author and date. */
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: os.devNull,
  GIT_AUTHOR_NAME: 'Reviewer',
  GIT_AUTHOR_EMAIL: 'reviewer@example.com',
  GIT_AUTHOR_DATE: '2024-01-01T12:00:00Z',
  GIT_COMMITTER_NAME: 'Reviewer',
  GIT_COMMITTER_EMAIL: 'reviewer@example.com',
  GIT_COMMITTER_DATE: '2024-01-01T12:00:00Z',
};

/** A real git repository in a temporary folder, for tests: write files, commit, branch. */
export class Repo {
  readonly root: string;

  constructor(files: Record<string, string> = {}) {
    // Resolved: on macOS the temp folder is behind a symlink, and git reports real paths.
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-git-')));
    this.git('init', '-q', '-b', 'main');
    this.write(files);
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, env: GIT_ENV, encoding: 'utf8' });
  }

  write(files: Record<string, string>): this {
    for (const [name, content] of Object.entries(files)) {
      const full = path.join(this.root, name);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, content);
    }
    return this;
  }

  read(name: string): string {
    return fs.readFileSync(path.join(this.root, name), 'utf8');
  }

  remove(name: string): this {
    fs.rmSync(path.join(this.root, name));
    return this;
  }

  /** Stages everything (additions, edits, deletions) and commits. */
  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  path(name: string): string {
    return path.join(this.root, name);
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** `count` numbered lines, `line 1` ... `line N`, each ending with `eol`. */
export function numberedLines(count: number, eol = '\n'): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}${eol}`).join('');
}
