import * as z from 'zod';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { Diagnostic } from 'vscode-languageserver';
import { ruleDocUrl } from '../rules/docs';
import type { AnalysisNote, Finding, Severity } from '../engine/types';

export const SOURCE = 'flask-sentinel';

const PositionSchema = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) });
const RangeSchema = z.object({ start: PositionSchema, end: PositionSchema });

/** What a diagnostic carries back to the server in a code-action request: enough to fix it statelessly. */
export const DiagnosticDataSchema = z.object({
  v: z.literal(1),
  ruleId: z.string().regex(/^FS\d{3}$/),
  version: z.number().int(),
  cwe: z.array(z.string()).optional(),
  fix: z
    .object({
      title: z.string().min(1),
      safety: z.enum(['safe', 'unsafe']),
      edits: z.array(z.object({ range: RangeSchema, newText: z.string() })).min(1),
    })
    .optional(),
});

export type DiagnosticData = z.infer<typeof DiagnosticDataSchema>;

export function parseDiagnosticData(data: unknown): DiagnosticData | undefined {
  const result = DiagnosticDataSchema.safeParse(data);
  return result.success ? result.data : undefined;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toDiagnostic(finding: Finding, version: number, uri: string): Diagnostic {
  const data: DiagnosticData = { v: 1, ruleId: finding.ruleId, version, cwe: finding.cwe };
  if (finding.fix)
    data.fix = { title: finding.fix.title, safety: finding.fix.safety, edits: finding.fix.edits };
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY[finding.severity],
    source: SOURCE,
    code: finding.ruleId,
    codeDescription: { href: ruleDocUrl({ id: finding.ruleId, name: finding.ruleName }) },
    message: finding.cwe.length > 0 ? `${finding.message} (${finding.cwe.join(', ')})` : finding.message,
    data,
  };
  if (finding.related && finding.related.length > 0) {
    diagnostic.relatedInformation = finding.related.map((r) => ({
      location: { uri, range: r.range },
      message: r.message,
    }));
  }
  return diagnostic;
}

/** A document version's diagnostics: its findings (stamped with the version), then its notes. */
export function documentDiagnostics(
  findings: readonly Finding[],
  notes: readonly AnalysisNote[],
  version: number,
  uri: string,
): Diagnostic[] {
  return [...findings.map((f) => toDiagnostic(f, version, uri)), ...noteDiagnostics(notes)];
}

/**
 * A rule that crashed on this file, as an information diagnostic without a rule code. Syntax errors are left
 * to the Python language server: reporting them on every keystroke would only be noise.
 */
export function noteDiagnostics(notes: readonly AnalysisNote[]): Diagnostic[] {
  return notes
    .filter((note) => note.kind === 'skipped')
    .map((note) => ({
      range: note.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      severity: DiagnosticSeverity.Information,
      source: SOURCE,
      message: note.message,
    }));
}

/** One diagnostic explaining why a file was not analysed and what to do about it. */
export function skippedDiagnostic(reason: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: SOURCE,
    message: `Flask Sentinel did not analyse this file: ${reason}.`,
  };
}
