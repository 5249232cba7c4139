import { unquoteGitPath } from './git';

/** One file of a `git diff --unified=0` patch. Paths are relative to the repository's top folder. */
export interface FileDiff {
  /** `undefined` for a file that did not exist before (added). */
  oldPath: string | undefined;
  /** `undefined` for a deleted file. */
  newPath: string | undefined;
  status: 'added' | 'deleted' | 'modified' | 'renamed' | 'copied';
  binary: boolean;
  /** Lines of the new file that were added or changed: 1-based, inclusive `[first, last]` ranges. */
  added: [number, number][];
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses the patch `git diff --unified=0 --src-prefix=a/ --dst-prefix=b/ [-M]` prints. Hunk bodies are
 * consumed by their counts, so a removed line that reads `--- a/x` or `diff --git` is never taken for a
 * header. CRLF files keep their `\r` inside body lines only, which are skipped; headers are trimmed of it.
 */
export function parseUnifiedDiff(patch: string): FileDiff[] {
  const files: FileDiff[] = [];
  const lines = patch.split('\n');
  let current: (FileDiff & { fallback: [string, string] | undefined }) | undefined;
  let oldLeft = 0;
  let newLeft = 0;
  const finish = () => {
    if (!current) return;
    const { fallback, ...file } = current;
    if (file.oldPath === undefined && file.status !== 'added') file.oldPath = fallback?.[0];
    if (file.newPath === undefined && file.status !== 'deleted') file.newPath = fallback?.[1];
    files.push(file);
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (oldLeft > 0 || newLeft > 0) {
      // Inside a hunk body: `-` old line, `+` new line, `\ No newline at end of file`.
      if (raw.startsWith('-')) oldLeft--;
      else if (raw.startsWith('+')) newLeft--;
      else if (raw.startsWith(' ')) {
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('diff --git ')) {
      finish();
      current = {
        oldPath: undefined,
        newPath: undefined,
        status: 'modified',
        binary: false,
        added: [],
        fallback: splitDiffGitLine(line.slice('diff --git '.length)),
      };
      continue;
    }
    if (!current) continue;
    const hunk = HUNK.exec(line);
    if (hunk) {
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      const start = Number(hunk[3]);
      if (newLeft > 0) current.added.push([start, start + newLeft - 1]);
      continue;
    }
    if (line.startsWith('--- ')) {
      const name = headerPath(line.slice(4), 'a/');
      if (name === undefined) current.status = 'added';
      else current.oldPath = name;
    } else if (line.startsWith('+++ ')) {
      const name = headerPath(line.slice(4), 'b/');
      if (name === undefined) current.status = 'deleted';
      else current.newPath = name;
    } else if (line.startsWith('new file mode')) current.status = 'added';
    else if (line.startsWith('deleted file mode')) current.status = 'deleted';
    else if (line.startsWith('rename from ')) {
      current.status = 'renamed';
      current.oldPath = unquoteGitPath(line.slice('rename from '.length));
    } else if (line.startsWith('rename to ')) {
      current.status = 'renamed';
      current.newPath = unquoteGitPath(line.slice('rename to '.length));
    } else if (line.startsWith('copy from ')) {
      current.status = 'copied';
      current.oldPath = unquoteGitPath(line.slice('copy from '.length));
    } else if (line.startsWith('copy to ')) {
      current.status = 'copied';
      current.newPath = unquoteGitPath(line.slice('copy to '.length));
    } else if (line.startsWith('Binary files ') || line === 'GIT binary patch') current.binary = true;
  }
  finish();
  for (const file of files) {
    if (file.status === 'added') file.oldPath = undefined;
    if (file.status === 'deleted') {
      file.newPath = undefined;
      file.added = [];
    }
  }
  return files;
}

/** A `---`/`+++` path without its prefix; `undefined` for `/dev/null`. */
function headerPath(raw: string, prefix: string): string | undefined {
  // git ends a name that contains a space with a tab (quoted or not), so the name's end is unambiguous.
  const text = raw.replace(/\t$/, '');
  if (text === '/dev/null') return undefined;
  const name = unquoteGitPath(text);
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * The two names of `diff --git a/X b/Y`, for entries that have no other header naming the file (a mode
 * change, an empty new file, a binary file). Unquoted names with spaces are split where both halves agree.
 */
function splitDiffGitLine(rest: string): [string, string] | undefined {
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*")$|^("(?:[^"\\]|\\.)*") (\S+)$/.exec(rest);
  if (quoted) {
    const a = unquoteGitPath(quoted[1] ?? quoted[3] ?? '');
    const b = unquoteGitPath(quoted[2] ?? quoted[4] ?? '');
    return [a.replace(/^a\//, ''), b.replace(/^b\//, '')];
  }
  // `a/NAME b/NAME`: the same name twice (the only case git leaves without other headers).
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.startsWith('a/') && b.startsWith('b/') && a.slice(2) === b.slice(2))
      return [a.slice(2), b.slice(2)];
  }
  const parts = /^a\/(.*) b\/(.*)$/.exec(rest);
  return parts ? [parts[1] as string, parts[2] as string] : undefined;
}
