import * as path from 'node:path';
import picomatch from 'picomatch';
import type {
  CancellationToken,
  Diagnostic,
  WorkspaceDiagnosticParams,
  WorkspaceDiagnosticReport,
  WorkspaceDocumentDiagnosticReport,
} from 'vscode-languageserver';
import type { Engine } from '../engine/engine';
import { changedAgainst } from '../git/baseVersions';
import type { BaseVersions } from '../git/baseVersions';
import { touches } from '../git/changedLines';
import { noteDiagnostics, skippedDiagnostic, toDiagnostic } from './diagnostics';
import type { WorkspaceFiles } from './host';
import type { EffectiveSettings } from './settings';
import { nextTick } from './tick';
import type { WorkspaceIndex } from './workspace';

/** `data.version` of a diagnostic for a file that is not open: no quick fix is ever computed against it. */
export const CLOSED_FILE_VERSION = -1;

interface FileReport {
  resultId: string;
  items: Diagnostic[];
}

export interface WorkspaceDiagnosticsDeps {
  engine: Engine;
  index: WorkspaceIndex;
  /** Where the files' text comes from (the disk, or what the client sent). */
  files: WorkspaceFiles;
  /** A file's URI. */
  uriOf(file: string): string;
  /** Settings of the folder that holds a file (per folder, not per file: one configuration request each). */
  settingsFor(file: string): Promise<EffectiveSettings>;
  /** Open documents get their diagnostics from the document pull, never from here. */
  isOpen(file: string): boolean;
  /** Settings generation: a change invalidates every cached report. */
  settingsGeneration(): number;
  log(message: string): void;
  /** Base versions for `changedLinesOnly`; a base moving bumps their generation. */
  baseVersions?: BaseVersions;
}

/**
 * `workspace/diagnostic`: findings of the workspace's Python files that are not open, read from disk.
 * Reports are cached per file on (mtime, size, settings, workspace facts); a file whose result id the
 * client already holds is answered `unchanged`. When nothing changed the request is held open until
 * something does (long polling, as the protocol intends), so the client does not spin.
 */
export class WorkspaceDiagnostics {
  private readonly cache = new Map<string, FileReport & { stamp: string }>();
  private wake: (() => void)[] = [];

  constructor(private readonly deps: WorkspaceDiagnosticsDeps) {}

  /** Drops every cached report (an explicit rescan re-reads every file). */
  forgetAll(): void {
    this.cache.clear();
    this.changed();
  }

  /** Something may have changed (a file on disk, settings, facts, a document closed): answer waiting requests. */
  changed(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }

  async report(
    params: WorkspaceDiagnosticParams,
    token: CancellationToken,
  ): Promise<WorkspaceDiagnosticReport> {
    const previous = new Map(params.previousResultIds.map((p) => [p.uri, p.value]));
    for (;;) {
      await this.deps.index.scanning;
      const items = await this.collect(previous, token);
      if (token.isCancellationRequested) return { items: [] };
      if (items.some((item) => item.kind === 'full')) return { items };
      // Everything is as the client has it: wait for a change or for the client to give up.
      await new Promise<void>((resolve) => {
        this.wake.push(resolve);
        token.onCancellationRequested(() => resolve());
      });
      if (token.isCancellationRequested) return { items: [] };
    }
  }

  private async collect(
    previous: ReadonlyMap<string, string>,
    token: CancellationToken,
  ): Promise<WorkspaceDocumentDiagnosticReport[]> {
    const items: WorkspaceDocumentDiagnosticReport[] = [];
    const seen = new Set<string>();
    const files = [...this.deps.index.files].sort();
    for (let i = 0; i < files.length; i++) {
      const file = files[i];
      if (file === undefined) continue;
      if (token.isCancellationRequested) return items;
      // Yield now and then so that document pulls and edits are served during a long workspace run.
      if (i % 10 === 9) await nextTick();
      const uri = this.deps.uriOf(file);
      seen.add(uri);
      if (this.deps.isOpen(file)) continue;
      const report = await this.fileReport(file, uri);
      if (previous.get(uri) === report.resultId) {
        items.push({ kind: 'unchanged', uri, version: null, resultId: report.resultId });
      } else {
        items.push({ kind: 'full', uri, version: null, resultId: report.resultId, items: report.items });
      }
    }
    // Files the client holds reports for that are gone from the workspace: clear what it shows.
    for (const uri of previous.keys()) {
      if (!seen.has(uri) && previous.get(uri) !== 'cleared') {
        items.push({ kind: 'full', uri, version: null, resultId: 'cleared', items: [] });
      }
    }
    return items;
  }

  private async fileReport(file: string, uri: string): Promise<FileReport> {
    const fileStamp = this.deps.files.stamp(file);
    if (fileStamp === undefined) return { resultId: 'cleared', items: [] };
    const stamp = `${fileStamp}:${this.deps.settingsGeneration()}:${this.deps.index.generation}:${this.deps.baseVersions?.generation ?? 0}`;
    const cached = this.cache.get(file);
    if (cached?.stamp === stamp) return cached;
    const items = await this.analyse(file, uri);
    const report = { stamp, resultId: `${stamp}:${items.length}`, items };
    this.cache.set(file, report);
    return report;
  }

  private async analyse(file: string, uri: string): Promise<Diagnostic[]> {
    try {
      const settings = await this.deps.settingsFor(file);
      if (!settings.enable || !settings.workspaceDiagnostics || isExcluded(file, settings)) return [];
      const source = this.deps.files.read(file, settings.maxFileSizeKb * 1024);
      if (!('text' in source)) return [skippedDiagnostic(source.reason)];
      const { findings, notes } = this.deps.engine.analyzeText(source.text, file, {
        ...settings.analyze,
        workspace: this.deps.index.factsFor(file),
      });
      const base =
        settings.changedLinesOnly && this.deps.baseVersions
          ? await this.deps.baseVersions.baseOf(file, settings.changedLinesBase)
          : undefined;
      const changed = base ? changedAgainst(base, source.text) : undefined;
      const shown = changed ? findings.filter((f) => touches(changed, f.range)) : findings;
      return [...shown.map((f) => toDiagnostic(f, CLOSED_FILE_VERSION, uri)), ...noteDiagnostics(notes)];
    } catch (error) {
      this.deps.log(`Flask Sentinel: analysis of ${file} failed: ${String(error)}`);
      return [];
    }
  }
}

/** Compiled exclude globs by their source: compiling on every analysis put glob parsing on the keystroke path. */
const MATCHERS = new Map<string, (path: string) => boolean>();

export function isExcluded(file: string, settings: EffectiveSettings): boolean {
  if (!settings.root || settings.exclude.length === 0) return false;
  const relative = path.relative(settings.root, file).split(path.sep).join('/');
  const key = settings.exclude.join('\n');
  let matches = MATCHERS.get(key);
  if (!matches) {
    if (MATCHERS.size > 32) MATCHERS.clear();
    matches = picomatch([...settings.exclude], { dot: true });
    MATCHERS.set(key, matches);
  }
  return matches(relative);
}
