import type { Diagnostic } from 'vscode-languageserver';

/** Told apart from the ids of an earlier server process, which a client may still send back. */
const SESSION = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * The `resultId`s of pulled diagnostics reports, per open document. A report that reads like the last one
 * keeps its id, so a client that sends it back (`previousResultId`, as VS Code does) is answered
 * `unchanged`: most keystrokes (typed inside a call, or a name that no rule cares about) leave every
 * finding where it was, and then neither the report is sent nor the editor's problem list rebuilt.
 *
 * Reports are compared without the document version that each diagnostic's data is stamped with: the
 * client keeps the diagnostics it has, stamped with the version they were first reported at, and the code
 * actions accept those for a later version whose analysis has the same finding (actions.ts).
 */
export class ReportIds {
  private readonly last = new Map<string, { resultId: string; signature: string }>();

  /** The id of a report of `diagnostics` for `version` of `uri`, under settings and workspace `key`. */
  idFor(uri: string, version: number, key: string, diagnostics: readonly Diagnostic[]): string {
    const signature = signatureOf(diagnostics);
    const last = this.last.get(uri);
    if (last?.signature === signature) return last.resultId;
    const resultId = `${SESSION}:${version}@${key}`;
    this.last.set(uri, { resultId, signature });
    return resultId;
  }

  forget(uri: string): void {
    this.last.delete(uri);
  }
}

/** The report as JSON, without the version stamp in each diagnostic's data. */
function signatureOf(diagnostics: readonly Diagnostic[]): string {
  return JSON.stringify(diagnostics, function (this: unknown, key: string, value: unknown) {
    return key === 'version' && isDiagnosticData(this) ? undefined : value;
  });
}

function isDiagnosticData(holder: unknown): boolean {
  return typeof holder === 'object' && holder !== null && 'ruleId' in holder && 'v' in holder;
}
