/**
 * Node's `path` for the web extension's bundles (esbuild puts this in place of `node:path` there; see
 * scripts/build.mjs): POSIX rules, with `/` as the working directory. Only what the shared code calls, and the
 * same answers as `path.posix` for it (test/lsp/browserPath.test.ts compares them).
 */
export const sep = '/';
export const delimiter = ':';

function segments(p: string): string[] {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else out.push('..');
    } else out.push(part);
  }
  return out;
}

export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

export function normalize(p: string): string {
  if (p === '') return '.';
  const absolute = isAbsolute(p);
  const trailing = p.endsWith('/');
  let parts = segments(p);
  // Above the root is the root.
  if (absolute)
    parts = parts.filter((part, i) => !(part === '..' && parts.slice(0, i).every((x) => x === '..')));
  const joined = parts.join('/');
  if (joined === '') return absolute ? '/' : trailing ? './' : '.';
  return `${absolute ? '/' : ''}${joined}${trailing ? '/' : ''}`;
}

export function join(...paths: string[]): string {
  const joined = paths.filter((p) => p !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

export function resolve(...paths: string[]): string {
  let resolved = '';
  for (let i = paths.length - 1; i >= 0 && !isAbsolute(resolved); i--) {
    const p = paths[i];
    if (p) resolved = resolved === '' ? p : `${p}/${resolved}`;
  }
  const parts = segments(`/${resolved}`).filter((part) => part !== '..');
  return `/${parts.join('/')}`;
}

export function relative(from: string, to: string): string {
  const a = segments(resolve(from));
  const b = segments(resolve(to));
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

export function dirname(p: string): string {
  if (p === '') return '.';
  const hasRoot = p.startsWith('/');
  let end = -1;
  let matchedSlash = true;
  for (let i = p.length - 1; i >= 1; --i) {
    if (p[i] === '/') {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else matchedSlash = false;
  }
  if (end === -1) return hasRoot ? '/' : '.';
  if (hasRoot && end === 1) return '//';
  return p.slice(0, end);
}

export function basename(p: string, ext?: string): string {
  const trimmed = p.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return ext && base.endsWith(ext) && base !== ext ? base.slice(0, -ext.length) : base;
}

export function extname(p: string): string {
  const base = basename(p);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || base === '..' ? '' : base.slice(dot);
}

const path = { sep, delimiter, isAbsolute, normalize, join, resolve, relative, dirname, basename, extname };
export const posix = path;
export default path;
