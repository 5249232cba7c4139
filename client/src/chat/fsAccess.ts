import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * File access for agent files and the project-context file, kept behind an interface so tests (and a
 * virtual-workspace build, one day) can replace it. Reads are size-capped and confined: a file whose real
 * path (after symlinks) leaves its root is refused, so a repository cannot point `.claude/agents/x.md` or
 * `CLAUDE.md` at `~/.ssh/id_rsa` and have it sent to the model.
 */
export interface ChatFs {
  /** The names in a directory; [] when it does not exist. */
  readDir(dir: string): Promise<string[]>;
  /**
   * The text of `file`, or a reason it was not read. `root` confines the read: the file's real path must be
   * inside the real path of `root`.
   */
  readText(
    file: string,
    root: string,
    maxBytes: number,
    options?: { truncate?: boolean },
  ): Promise<{ text: string; truncated?: boolean } | { missing: true } | { error: string }>;
}

export const nodeChatFs: ChatFs = {
  async readDir(dir) {
    try {
      return await fs.readdir(dir);
    } catch {
      return [];
    }
  },
  async readText(file, root, maxBytes, options) {
    let real: string;
    let realRoot: string;
    try {
      real = await fs.realpath(file);
      realRoot = await fs.realpath(root);
    } catch {
      return { missing: true };
    }
    const rel = path.relative(realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      return { error: 'the file is a link to a place outside its folder, so it is not read' };
    }
    try {
      const stat = await fs.stat(real);
      if (!stat.isFile()) return { missing: true };
      if (stat.size > maxBytes) {
        if (!options?.truncate) return { error: `the file is larger than ${Math.round(maxBytes / 1024)} KB` };
        const handle = await fs.open(real, 'r');
        try {
          const buffer = Buffer.alloc(maxBytes);
          const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
          // Drop a UTF-8 sequence cut in half at the end.
          return {
            text: buffer
              .subarray(0, bytesRead)
              .toString('utf8')
              .replace(/\uFFFD$/, ''),
            truncated: true,
          };
        } finally {
          await handle.close();
        }
      }
      const buffer = await fs.readFile(real);
      return { text: buffer.toString('utf8') };
    } catch (err) {
      return { error: `it could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  },
};
