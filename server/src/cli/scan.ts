import * as path from 'node:path';
import { DEFINES_FACTS, mergeFacts } from '../engine/analyze';
import type { AnalyzeOptions } from '../engine/analyze';
import { NO_WORKSPACE_FACTS } from '../engine/context';
import type { WorkspaceFacts } from '../engine/context';
import type { Engine } from '../engine/engine';
import { fingerprintFindings } from '../engine/fingerprint';
import { LineIndex } from '../engine/positions';
import type { AnalysisNote, Finding, Severity } from '../engine/types';
import { readsHold } from '../engine/workspaceReads';
import type { WorkspaceTrace } from '../engine/workspaceReads';
import { discoverFiles, readSource } from './files';
import type { Discovery, SkippedFile, SourceFile } from './files';

export interface ScanOptions {
  paths: string[];
  /** Paths in reports are relative to this folder. */
  root: string;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, Severity>;
  authDecorators?: string[];
  exclude?: string[];
  maxFileSizeKb?: number;
  /**
   * Only these files (absolute paths) are analysed, e.g. the ones a diff touches; the others are still
   * read for workspace facts, so a decorator defined in an unchanged file keeps protecting changed views.
   */
  analyze?: (file: string) => boolean;
  onProgress?: (done: number, total: number) => void;
  /** Told of trouble the scan recovered from (a worker thread that stopped): the report is complete. */
  onWarning?: (message: string) => void;
}

export interface ScannedFile {
  /** Path relative to the scan root, with `/` separators. */
  path: string;
  findings: Finding[];
  fingerprints: string[];
  notes: AnalysisNote[];
}

export interface ScanResult {
  root: string;
  files: ScannedFile[];
  skipped: SkippedFile[];
  fileCount: number;
}

export const DEFAULT_MAX_FILE_SIZE_KB = 1024;

/** Everything a scan decides before analysing: the files, the skipped ones, and the analysis options. */
export interface PreparedScan {
  analysed: SourceFile[];
  skipped: SkippedFile[];
  /** Without the workspace facts: a scan learns those from the files it analyses (`ScanRun`). */
  analyzeOptions: AnalyzeOptions;
  /** Per analysed file: whether it can define workspace facts (`DEFINES_FACTS`). */
  definesFacts: boolean[];
  /** Facts of the files that are read but not analysed (`ScanOptions.analyze`). */
  factsOfOthers: WorkspaceFacts;
}

/** The files a scan reads, found but not read yet. */
export function discoverScan(options: ScanOptions): Discovery {
  return discoverFiles(options.paths, options.exclude ?? [], options.root);
}

/**
 * Discover the files (unless `discovery` has) and read them. Unreadable files are skipped with a reason,
 * never fatal. The facts of files that are only read, not analysed (a decorator defined in an unchanged
 * file protects views in a changed one), are gathered here; the analysed files' facts come with their
 * analysis.
 */
export function prepareScan(
  engine: Engine,
  options: ScanOptions,
  discovery: Discovery = discoverScan(options),
): PreparedScan {
  const skipped = [...discovery.skipped];
  const maxBytes = (options.maxFileSizeKb ?? DEFAULT_MAX_FILE_SIZE_KB) * 1024;
  const sources: SourceFile[] = [];
  for (const file of discovery.files) {
    const source = readSource(file, maxBytes);
    if ('text' in source) sources.push(source);
    else skipped.push(source);
  }
  const analyse = options.analyze;
  const analysed = analyse ? sources.filter((s) => analyse(s.path)) : sources;
  const others = analyse ? sources.filter((s) => !analyse(s.path) && DEFINES_FACTS.test(s.text)) : [];
  const analyzeOptions: AnalyzeOptions = {
    ...(options.select ? { select: options.select } : {}),
    ...(options.ignore ? { ignore: options.ignore } : {}),
    ...(options.severity ? { severity: options.severity } : {}),
    ...(options.authDecorators ? { authDecorators: options.authDecorators } : {}),
  };
  return {
    analysed,
    skipped: skipped.filter((s) => !analyse || analyse(s.path)),
    analyzeOptions,
    definesFacts: analysed.map((s) => DEFINES_FACTS.test(s.text)),
    factsOfOthers: mergeFacts(others.map((s) => engine.factsOf(s.text, s.path))),
  };
}

/** A file's part of the report, with what its analysis contributed to and asked of the workspace facts. */
export interface AnalysedFile {
  file: ScannedFile;
  trace: WorkspaceTrace;
}

/** One file's part of a scan report, analysed with the workspace facts known so far. */
export function scanSource(
  engine: Engine,
  source: SourceFile,
  root: string,
  analyzeOptions: AnalyzeOptions,
  workspace: WorkspaceFacts,
): AnalysedFile {
  const relative = relativePath(root, source.path);
  const trace: WorkspaceTrace = { own: NO_WORKSPACE_FACTS, reads: [] };
  const { findings, notes } = engine.analyzeText(source.text, source.path, {
    ...analyzeOptions,
    workspace,
    trace,
  });
  // Most files have no findings: index their lines only when a fingerprint needs one.
  let lines: LineIndex | undefined;
  const file: ScannedFile = {
    path: relative,
    findings,
    notes,
    fingerprints: fingerprintFindings(relative, findings, (line) =>
      (lines ??= new LineIndex(source.text)).lineText(line),
    ),
  };
  return { file, trace };
}

/**
 * The order a scan analyses files in: those that define workspace facts first, so that the facts are
 * complete before most files are analysed, then the largest first, so that no thread is left with a long
 * file at the end.
 */
export function scanOrder({ analysed, definesFacts }: PreparedScan): number[] {
  return analysed
    .map((_, i) => i)
    .sort(
      (a, b) =>
        Number(definesFacts[b]) - Number(definesFacts[a]) ||
        (analysed[b]?.text.length ?? 0) - (analysed[a]?.text.length ?? 0),
    );
}

/**
 * One scan's analyses as they come in, from this thread or a worker: the files' reports, progress, and
 * the workspace facts learnt so far (those of the files read but not analysed, and those of each analysed
 * file that can define facts, `DEFINES_FACTS`).
 */
export class ScanRun {
  private readonly results: (AnalysedFile | undefined)[];
  private readonly factParts: WorkspaceFacts[];
  private mergedFacts: WorkspaceFacts | undefined;
  private done = 0;

  constructor(
    private readonly engine: Engine,
    private readonly options: ScanOptions,
    private readonly prepared: PreparedScan,
  ) {
    this.results = prepared.analysed.map(() => undefined);
    this.factParts = [prepared.factsOfOthers];
  }

  /** The workspace facts known so far: what the next file is analysed with. */
  facts(): WorkspaceFacts {
    return (this.mergedFacts ??= mergeFacts(this.factParts));
  }

  get finished(): boolean {
    return this.done === this.prepared.analysed.length;
  }

  /** Analyses file `index` on this thread with the facts known so far. */
  analyse(index: number): void {
    const source = this.prepared.analysed[index] as SourceFile;
    this.record(
      index,
      scanSource(this.engine, source, this.options.root, this.prepared.analyzeOptions, this.facts()),
    );
  }

  record(index: number, analysed: AnalysedFile): void {
    this.results[index] = analysed;
    if (this.prepared.definesFacts[index]) {
      this.factParts.push(analysed.trace.own);
      this.mergedFacts = undefined;
    }
    this.done++;
    this.options.onProgress?.(this.done, this.prepared.analysed.length);
  }

  /**
   * The report, once every file is analysed and every file's facts are known: a file whose analysis asked
   * a question of the workspace facts that the complete facts answer differently is analysed again.
   */
  settle(): ScanResult {
    const { engine, options, prepared } = this;
    const complete = this.facts();
    const files = prepared.analysed.map((source, index) => {
      const result = this.results[index];
      if (!result) throw new Error(`${source.path} was never analysed`);
      if (readsHold(result.trace.reads, mergeFacts([complete, result.trace.own]))) return result.file;
      return scanSource(engine, source, options.root, prepared.analyzeOptions, complete).file;
    });
    return {
      root: options.root,
      files,
      skipped: prepared.skipped.map((s) => ({ ...s, path: relativePath(options.root, s.path) })),
      fileCount: prepared.analysed.length,
    };
  }
}

/** The analysis half of a scan, on this thread (`parallel.ts` spreads it over worker threads). */
export function scanPrepared(engine: Engine, options: ScanOptions, prepared: PreparedScan): ScanResult {
  const run = new ScanRun(engine, options, prepared);
  for (const index of scanOrder(prepared)) run.analyse(index);
  return run.settle();
}

export function relativePath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}
