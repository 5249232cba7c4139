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

/**
 * A whole scan: discover, read, gather workspace facts (a decorator defined in one file protects views in
 * another), then analyse every file. Unreadable files are skipped with a reason, never fatal.
 */
export function scan(engine: Engine, options: ScanOptions): ScanResult {
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

  const files: ScannedFile[] = [];
  const analysed = options.analyze ? sources.filter((s) => options.analyze?.(s.path)) : sources;
  analysed.forEach((source, index) => {
    const relative = relativePath(options.root, source.path);
    const { findings, notes } = engine.analyzeText(source.text, source.path, analyzeOptions);
    const lines = new LineIndex(source.text);
    files.push({
      path: relative,
      findings,
      notes,
      fingerprints: fingerprintFindings(relative, findings, (line) => lines.lineText(line)),
    });
    options.onProgress?.(index + 1, analysed.length);
  });
  return {
    root: options.root,
    files,
    skipped: skipped
      .filter((s) => !options.analyze || options.analyze(s.path))
      .map((s) => ({ ...s, path: relativePath(options.root, s.path) })),
    fileCount: analysed.length,
  };
}

export function relativePath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
}
