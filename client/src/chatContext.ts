import { execFile } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChatContext, LocalFinding } from './chat/types';
import { DIAGNOSTIC_SOURCE } from './findingsStatusBar';

/** Where a question's code came from: what a proposed change is applied to, and checked against. */
export interface QuestionTarget {
  uri: vscode.Uri;
  /** 1-based inclusive lines that were sent. */
  startLine: number;
  endLine: number;
  /** The text of those lines when the question was asked: an edit is only applied if they are unchanged. */
  text: string;
}

export interface GatheredContext {
  context: ChatContext;
  target?: QuestionTarget;
}

const SEVERITY: Record<number, LocalFinding['severity']> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
};

/** Flask Sentinel's findings in a document overlapping 0-based lines [start, end]. */
export function findingsIn(uri: vscode.Uri, start: number, end: number): LocalFinding[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === DIAGNOSTIC_SOURCE && d.code !== undefined)
    .filter((d) => d.range.end.line >= start && d.range.start.line <= end)
    .map((d) => ({
      ruleId: String(typeof d.code === 'object' ? d.code.value : d.code),
      line: d.range.start.line + 1,
      endLine: d.range.end.line + 1,
      message: d.message,
      severity: SEVERITY[d.severity] ?? 'info',
      cwe: d.message.match(/CWE-\d+/g) ?? undefined,
    }));
}

/** The workspace-relative path shown to the model (never an absolute path with the user's name in it). */
export function displayPath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

/** Lines [start, end] (0-based, inclusive) of a document as a question's code. */
export function rangeContext(document: vscode.TextDocument, start: number, end: number): GatheredContext {
  const first = Math.max(0, start);
  const last = Math.min(document.lineCount - 1, Math.max(first, end));
  const range = new vscode.Range(first, 0, last, document.lineAt(last).text.length);
  const text = document.getText(range);
  return {
    context: {
      path: displayPath(document.uri),
      languageId: document.languageId,
      selection: { text, startLine: first + 1, endLine: last + 1 },
      findings: findingsIn(document.uri, first, last),
    },
    target: { uri: document.uri, startLine: first + 1, endLine: last + 1, text },
  };
}

/** The editor's selection (whole lines), or the current function-sized window around the cursor when empty. */
export function selectionContext(editor: vscode.TextEditor): GatheredContext {
  const { selection, document } = editor;
  if (!selection.isEmpty) {
    const end =
      selection.end.character === 0 && selection.end.line > selection.start.line
        ? selection.end.line - 1
        : selection.end.line;
    return rangeContext(document, selection.start.line, end);
  }
  return rangeContext(document, selection.active.line - 15, selection.active.line + 15);
}

/** A finding and the code around it. */
export function findingContext(
  document: vscode.TextDocument,
  diagnostic: vscode.Diagnostic,
): GatheredContext {
  return rangeContext(document, diagnostic.range.start.line - 10, diagnostic.range.end.line + 10);
}

/**
 * `git diff HEAD -- file`: the change a reviewer is looking at. External diff drivers and textconv filters
 * are disabled: in an untrusted repository they are commands its config could make git run.
 */
export async function diffContext(uri: vscode.Uri): Promise<GatheredContext> {
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
  const diff = await new Promise<string>((resolve, reject) => {
    execFile(
      'git',
      [
        '-c',
        'core.pager=cat',
        'diff',
        '--no-ext-diff',
        '--no-textconv',
        '--no-color',
        'HEAD',
        '--',
        uri.fsPath,
      ],
      { cwd: folder, maxBuffer: 4 * 1024 * 1024, timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim() || error.message));
        else resolve(stdout);
      },
    );
  });
  if (!diff.trim()) throw new Error(`${displayPath(uri)} has no changes against HEAD.`);
  const changed = new Set<number>();
  let line = 0;
  for (const row of diff.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(row);
    if (hunk) line = Number(hunk[1]);
    else if (row.startsWith('+') && !row.startsWith('+++')) changed.add(line++);
    else if (!row.startsWith('-')) line++;
  }
  const findings = vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === DIAGNOSTIC_SOURCE && changed.has(d.range.start.line + 1));
  return {
    context: {
      path: displayPath(uri),
      languageId: 'python',
      diff,
      findings: findings.flatMap((d) => findingsIn(uri, d.range.start.line, d.range.start.line)),
    },
  };
}
