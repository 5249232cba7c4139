import * as path from 'node:path';
import { DEFINES_FACTS, mergeFacts } from '../engine/analyze';
import type { AnalyzeOptions } from '../engine/analyze';
import type { Engine } from '../engine/engine';
import { fingerprintFindings } from '../engine/fingerprint';
import { LineIndex } from '../engine/positions';
import type { AnalysisNote, Finding, Severity } from '../engine/types';
import { discoverFiles, readSource } from './files';
import type { SkippedFile, SourceFile } from './files';

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
  analyzeOptions: AnalyzeOptions;
}

/**
 * Discover and read the files and gather workspace facts (a decorator defined in one file protects views
 * in another). Unreadable files are skipped with a reason, never fatal.
 */
export function prepareScan(engine: Engine, options: ScanOptions): PreparedScan {
  const discovery = discoverFiles(options.paths, options.exclude ?? [], options.root);
  const skipped = [...discovery.skipped];
  const maxBytes = (options.maxFileSizeKb ?? DEFAULT_MAX_FILE_SIZE_KB) * 1024;
  const sources: SourceFile[] = [];
  for (const file of discovery.files) {
    const source = readSource(file, maxBytes);
    if ('text' in source) sources.push(source);
    else skipped.push(source);
  }

  const workspace = mergeFacts(
    sources.filter((s) => DEFINES_FACTS.test(s.text)).map((s) => engine.factsOf(s.text, s.path)),
  );
  const analyzeOptions: AnalyzeOptions = {
    ...(options.select ? { select: options.select } : {}),
    ...(options.ignore ? { ignore: options.ignore } : {}),
    ...(options.severity ? { severity: options.severity } : {}),
    ...(options.authDecorators ? { authDecorators: options.authDecorators } : {}),
    workspace,
  };
  const analysed = options.analyze ? sources.filter((s) => options.analyze?.(s.path)) : sources;
  return {
    analysed,
    skipped: skipped.filter((s) => !options.analyze || options.analyze(s.path)),
    analyzeOptions,
  };
}

/** One file's part of a scan report. */
export function scanSource(
  engine: Engine,
  source: SourceFile,
  root: string,
  analyzeOptions: AnalyzeOptions,
): ScannedFile {
  const relative = relativePath(root, source.path);
  const { findings, notes } = engine.analyzeText(source.text, source.path, analyzeOptions);
  // Most files have no findings: index their lines only when a fingerprint needs one.
  let lines: LineIndex | undefined;
  return {
    path: relative,
    findings,
    notes,
    fingerprints: fingerprintFindings(relative, findings, (line) =>
      (lines ??= new LineIndex(source.text)).lineText(line),
    ),
  };
}

export function scanResult(options: ScanOptions, prepared: PreparedScan, files: ScannedFile[]): ScanResult {
  return {
    root: options.root,
    files,
    skipped: prepared.skipped.map((s) => ({ ...s, path: relativePath(options.root, s.path) })),
    fileCount: prepared.analysed.length,
  };
}

/** The analysis half of a scan, on this thread (`parallel.ts` spreads it over worker threads). */
export function scanPrepared(engine: Engine, options: ScanOptions, prepared: PreparedScan): ScanResult {
  const files = prepared.analysed.map((source, index) => {
    const file = scanSource(engine, source, options.root, prepared.analyzeOptions);
    options.onProgress?.(index + 1, prepared.analysed.length);
    return file;
  });
  return scanResult(options, prepared, files);
}

export function relativePath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}
