import type { WorkspaceFacts } from './context';

/**
 * What a file's analysis asked of the workspace facts, and the answers it got.
 *
 * A scan learns the workspace facts (auth decorators, guarded blueprints, app settings) from the files it
 * analyses. Instead of a first pass over the files that define facts before any analysis starts, a scan
 * analyses every file once with the facts known so far, records each question the rules ask of them, and
 * at the end re-analyses only the files for which some answer differs under the complete facts. A file's
 * findings depend on the workspace only through these questions, so the report is the one a first pass
 * would have given.
 */
export type FactSet = keyof WorkspaceFacts;

export type FactRead =
  /** `facts[set].has(key)` answered `answer`. */
  | { set: FactSet; key: string; answer: boolean }
  /** The whole set was read (iterated, or its size taken) and held exactly `members`. */
  | { set: FactSet; members: string[] };

/** What one analysis contributed to, and asked of, its workspace (`AnalyzeOptions.trace`). */
export interface WorkspaceTrace {
  /** The facts the file itself defines. */
  own: WorkspaceFacts;
  reads: FactRead[];
}

/** `facts`, answering as it does, with every question it is asked appended to `reads` (each once). */
export function recordingFacts(facts: WorkspaceFacts, reads: FactRead[]): WorkspaceFacts {
  return {
    authDecorators: new RecordingSet('authDecorators', facts.authDecorators, reads),
    guardedOwners: new RecordingSet('guardedOwners', facts.guardedOwners, reads),
    appSettings: new RecordingSet('appSettings', facts.appSettings, reads),
  };
}

/** Whether every recorded question gets the same answer from `facts`. */
export function readsHold(reads: readonly FactRead[], facts: WorkspaceFacts): boolean {
  return reads.every((read) => {
    const set: ReadonlySet<string> = facts[read.set];
    if ('key' in read) return set.has(read.key) === read.answer;
    return set.size === read.members.length && read.members.every((member) => set.has(member));
  });
}

class RecordingSet<T extends string> implements ReadonlySet<T> {
  /** Keys already recorded. */
  private readonly asked = new Set<string>();
  /** Once the members are recorded, every later question is answered by that record. */
  private wholeRecorded = false;

  constructor(
    private readonly set: FactSet,
    private readonly inner: ReadonlySet<T>,
    private readonly reads: FactRead[],
  ) {}

  has(key: T): boolean {
    const answer = this.inner.has(key);
    if (!this.wholeRecorded && !this.asked.has(key)) {
      this.asked.add(key);
      this.reads.push({ set: this.set, key, answer });
    }
    return answer;
  }

  get size(): number {
    this.readWhole();
    return this.inner.size;
  }

  forEach(callback: (value: T, key: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    this.readWhole();
    for (const value of this.inner) callback.call(thisArg, value, value, this);
  }

  entries(): SetIterator<[T, T]> {
    this.readWhole();
    return this.inner.entries();
  }

  keys(): SetIterator<T> {
    this.readWhole();
    return this.inner.keys();
  }

  values(): SetIterator<T> {
    this.readWhole();
    return this.inner.values();
  }

  [Symbol.iterator](): SetIterator<T> {
    return this.values();
  }

  /** Reading every member answers every later question too: one record of the members suffices. */
  private readWhole(): void {
    if (this.wholeRecorded) return;
    this.wholeRecorded = true;
    this.reads.push({ set: this.set, members: [...this.inner] });
  }
}
