import { DEFINES_FACTS, mergeFacts } from '../engine/analyze';
import type { WorkspaceFacts } from '../engine/context';
import type { Engine } from '../engine/engine';
import type { WorkspaceFiles } from './host';
import { nextTick } from './tick';

export interface ScanFolder {
  path: string;
  exclude: readonly string[];
  maxBytes: number;
}

export interface ScanProgress {
  report(done: number, total: number): void;
}

function sameFacts(a: WorkspaceFacts | undefined, b: WorkspaceFacts | undefined): boolean {
  const key = (f: WorkspaceFacts | undefined) =>
    f
      ? `${[...f.authDecorators].sort().join(',')}|${[...f.guardedOwners].sort().join(',')}|${[...f.appSettings].sort().join(',')}`
      : '||';
  return key(a) === key(b);
}

/**
 * Workspace facts per file: from disk (the background scan and watched-file events), overridden by the
 * in-memory text of open documents. A change bumps `generation`, which invalidates cached analyses.
 */
export class WorkspaceIndex {
  private readonly onDisk = new Map<string, WorkspaceFacts>();
  private readonly inMemory = new Map<string, WorkspaceFacts>();
  /** Every Python file the scans found (for `flaskSentinel/routes`). */
  readonly files = new Set<string>();
  generation = 0;
  scanning: Promise<void> | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly source: WorkspaceFiles,
  ) {}

  /** The facts of every file but `path` (a file's own facts come from its current text). */
  factsFor(path: string | undefined): WorkspaceFacts {
    const parts: WorkspaceFacts[] = [];
    for (const [file, facts] of this.onDisk) if (file !== path && !this.inMemory.has(file)) parts.push(facts);
    for (const [file, facts] of this.inMemory) if (file !== path) parts.push(facts);
    return mergeFacts(parts);
  }

  async scan(folders: readonly ScanFolder[], progress?: ScanProgress): Promise<void> {
    const all: { file: string; maxBytes: number }[] = [];
    for (const folder of folders) {
      for (const file of this.source.discover(folder.path, folder.exclude)) {
        all.push({ file, maxBytes: folder.maxBytes });
        this.files.add(file);
      }
    }
    let changed = false;
    for (let i = 0; i < all.length; i++) {
      const entry = all[i];
      if (!entry) continue;
      changed = this.readFile(entry.file, entry.maxBytes) || changed;
      if (i % 20 === 19) {
        progress?.report(i + 1, all.length);
        await nextTick();
      }
    }
    progress?.report(all.length, all.length);
    if (changed) this.generation++;
  }

  /** Re-reads one file from disk; true when its facts changed. */
  readFile(file: string, maxBytes: number): boolean {
    const source = this.source.read(file, maxBytes);
    let facts: WorkspaceFacts | undefined;
    if ('text' in source && DEFINES_FACTS.test(source.text)) facts = this.engine.factsOf(source.text, file);
    const before = this.onDisk.get(file);
    if (facts) this.onDisk.set(file, facts);
    else this.onDisk.delete(file);
    return !sameFacts(before, facts);
  }

  fileChanged(file: string, maxBytes: number): boolean {
    // Watchers report every *.py, including a virtualenv being installed: keep to what a scan would see.
    if (this.source.skipped(file)) return false;
    this.files.add(file);
    const changed = this.readFile(file, maxBytes);
    if (changed && !this.inMemory.has(file)) this.generation++;
    return changed && !this.inMemory.has(file);
  }

  fileDeleted(file: string): boolean {
    this.files.delete(file);
    const had = this.onDisk.delete(file);
    if (had) this.generation++;
    return had;
  }

  /** An open document's current facts; true when they changed what other files see. */
  setOpen(file: string, facts: WorkspaceFacts): boolean {
    const before = this.inMemory.get(file) ?? this.onDisk.get(file);
    this.inMemory.set(file, facts);
    if (sameFacts(before, facts)) return false;
    this.generation++;
    return true;
  }

  closeOpen(file: string): boolean {
    const before = this.inMemory.get(file);
    if (!before) return false;
    this.inMemory.delete(file);
    if (sameFacts(before, this.onDisk.get(file))) return false;
    this.generation++;
    return true;
  }
}
