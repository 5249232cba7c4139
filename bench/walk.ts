import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIP = new Set(['node_modules', '__pycache__', '.git', '.venv', 'venv', '.tox', '.mypy_cache']);

/** Every `.py` file under the given folders, sorted (the floor and ruff scripts read the same set). */
export function pythonFiles(roots: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile() && entry.name.endsWith('.py')) out.push(full);
    }
  };
  for (const root of roots) {
    if (fs.statSync(root).isDirectory()) visit(root);
    else out.push(root);
  }
  return out.sort();
}
