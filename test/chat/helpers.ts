import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CancellationLike, KeyValueStore } from '../../client/src/chat/types';

/** workspaceState in memory; values go through JSON like VS Code's storage. */
export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    this.writes++;
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
    return Promise.resolve();
  }
}

/** A CancellationToken look-alike with a `cancel()` for the test to call. */
export class TestCancellation implements CancellationLike {
  isCancellationRequested = false;
  private listeners: (() => void)[] = [];
  onCancellationRequested(listener: () => void): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }
  cancel(): void {
    this.isCancellationRequested = true;
    for (const l of this.listeners) l();
  }
}

/** A temporary folder with the given files (relative path → content). */
export function tempTree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-chat-'));
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return root;
}

export const repoRoot = path.join(__dirname, '..', '..');
export const agentsDir = path.join(repoRoot, 'agents');
/** The seed documents the personas were written from (a sibling checkout; tests skip when absent). */
export const seedsDir = path.join(repoRoot, '..', 'shared', 'seeds');
