import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One annotated fixture per rule. */
export const RULE_FIXTURES = join(__dirname, '..', 'fixtures', 'rules');
/** Files whose findings another top-level statement decides (see test/engine/focus.test.ts). */
export const FOCUS_FIXTURES = join(__dirname, '..', 'fixtures', 'focus');
export const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** The Python files under these folders, subfolders included, as paths. */
export function pythonFiles(...dirs: string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.py'))
      .map((f) => join(dir, f)),
  );
}
