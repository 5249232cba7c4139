import * as fs from 'node:fs';
import * as path from 'node:path';
import { changedLinesOf, touches } from '../git/changedLines';
import type { ChangedFiles } from '../git/changedLines';
import { SARIF_FINGERPRINT_KEY } from './formats/sarif';
import type { ScanResult, ScannedFile } from './scan';

/**
 * Reviewing a change rather than a whole code base: keep only the findings on lines a diff added or
 * changed (`--diff REF`), or only those a previous report did not have (`--baseline FILE`).
 */

export class BaselineError extends Error {}

/** Keeps each file's findings (and their fingerprints) that `keep` accepts. */
function filterFindings(
  file: ScannedFile,
  keep: (finding: ScannedFile['findings'][number], fingerprint: string) => boolean,
): ScannedFile {
  const findings: ScannedFile['findings'] = [];
  const fingerprints: string[] = [];
  file.findings.forEach((finding, i) => {
    const fingerprint = file.fingerprints[i] ?? '';
    if (keep(finding, fingerprint)) {
      findings.push(finding);
      fingerprints.push(fingerprint);
    }
  });
  return { ...file, findings, fingerprints };
}

/**
 * Only findings whose range touches a line added or changed since the diff's base; files the diff does
 * not touch are dropped with their notes and skip reasons. Fingerprints are those of the full file, so a
 * report made with `--diff` matches one made without.
 */
export function restrictToChanges(result: ScanResult, changed: ChangedFiles): ScanResult {
  const linesOf = (relative: string) => changedLinesOf(changed, path.resolve(result.root, relative));
  const files: ScannedFile[] = [];
  for (const file of result.files) {
    const lines = linesOf(file.path);
    if (!lines) continue;
    files.push(filterFindings(file, (finding) => touches(lines, finding.range)));
  }
  return {
    ...result,
    files,
    skipped: result.skipped.filter((s) => linesOf(s.path) !== undefined),
    fileCount: files.length,
  };
}

/** Fingerprints of a baseline report, with how many findings carry each (a multiset). */
export type Baseline = Map<string, number>;

/**
 * Reads a report written by `flask-sentinel scan --format json` or `--format sarif` (any earlier scan, with
 * or without `--diff`/`--baseline`) as a baseline: the fingerprints of its findings.
 */
export function loadBaseline(file: string): Baseline {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BaselineError(
      `--baseline: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  let report: unknown;
  try {
    report = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new BaselineError(`--baseline: ${file} is not JSON (${(error as Error).message})`);
  }
  const prints = fingerprintsOf(report);
  if (!prints) {
    throw new BaselineError(
      `--baseline: ${file} is not a Flask Sentinel report (expected the output of 'flask-sentinel scan --format json' or '--format sarif')`,
    );
  }
  const baseline: Baseline = new Map();
  for (const print of prints) baseline.set(print, (baseline.get(print) ?? 0) + 1);
  return baseline;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fingerprintsOf(report: unknown): string[] | undefined {
  if (!isObject(report)) return undefined;
  // The JSON report: { version, tool: { name: 'flask-sentinel' }, findings: [{ fingerprint }] }.
  if (Array.isArray(report.findings) && isObject(report.tool) && report.tool.name === 'flask-sentinel') {
    const prints: string[] = [];
    for (const finding of report.findings) {
      if (!isObject(finding) || typeof finding.fingerprint !== 'string') return undefined;
      prints.push(finding.fingerprint);
    }
    return prints;
  }
  // SARIF: results of Flask Sentinel runs, with partialFingerprints[SARIF_FINGERPRINT_KEY].
  if (Array.isArray(report.runs)) {
    const prints: string[] = [];
    let ours = false;
    for (const run of report.runs) {
      if (!isObject(run) || !isObject(run.tool) || !isObject(run.tool.driver)) continue;
      if (run.tool.driver.name !== 'Flask Sentinel') continue;
      ours = true;
      for (const result of Array.isArray(run.results) ? run.results : []) {
        const print =
          isObject(result) && isObject(result.partialFingerprints)
            ? result.partialFingerprints[SARIF_FINGERPRINT_KEY]
            : undefined;
        if (typeof print !== 'string') return undefined;
        prints.push(print);
      }
    }
    return ours ? prints : undefined;
  }
  return undefined;
}

/**
 * Drops the findings the baseline already has. Matching is by fingerprint, as a multiset: a fingerprint
 * present twice in the baseline covers two findings, the third is new.
 */
export function subtractBaseline(
  result: ScanResult,
  baseline: Baseline,
): { result: ScanResult; known: number } {
  const left = new Map(baseline);
  let known = 0;
  const files = result.files.map((file) =>
    filterFindings(file, (_finding, fingerprint) => {
      const count = left.get(fingerprint) ?? 0;
      if (count === 0) return true;
      left.set(fingerprint, count - 1);
      known++;
      return false;
    }),
  );
  return { result: { ...result, files }, known };
}
