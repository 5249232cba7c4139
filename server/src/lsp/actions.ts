import { CodeActionKind } from 'vscode-languageserver';
import type {
  CodeAction,
  CodeActionParams,
  CodeLens,
  Diagnostic,
  Hover,
  Position,
  Range,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { renderRuleDoc, ruleDocUrl } from '../rules/docs';
import type { Rule } from '../rules/rule';
import type { DocumentAnalysis } from './analysis';
import { SOURCE, parseDiagnosticData } from './diagnostics';
import type { DiagnosticData } from './diagnostics';
import { lensTitle } from './routes';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.flaskSentinel`;
export const SHOW_DOCS_COMMAND = 'flaskSentinel.showDocumentation';

export interface ActionOptions {
  /** The client understands versioned `documentChanges` (edits are refused if the document moved on). */
  documentChanges: boolean;
  rules: readonly Rule[];
}

function workspaceEdit(doc: TextDocument, edits: TextEdit[], options: ActionOptions): WorkspaceEdit {
  return options.documentChanges
    ? { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] }
    : { changes: { [doc.uri]: edits } };
}

function wants(only: readonly string[] | undefined, kind: string): boolean {
  return !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/**
 * Whether the document as it is now still takes the fix a diagnostic carries. The fix was computed for the
 * version the diagnostic is stamped with; a client that was answered `unchanged` since (reportIds.ts) still
 * holds it, and it holds for a later version whose analysis has the same finding with the same fix.
 */
function fixApplies(
  data: DiagnosticData,
  diagnostic: Diagnostic,
  doc: TextDocument,
  analysis: DocumentAnalysis | undefined,
): boolean {
  if (data.version === doc.version) return true;
  const fix = data.fix;
  if (!fix || analysis?.version !== doc.version) return false;
  const sameEdits = (edits: readonly TextEdit[]) =>
    edits.length === fix.edits.length &&
    edits.every((edit, i) => {
      const other = fix.edits[i] as TextEdit;
      return edit.newText === other.newText && sameRange(edit.range, other.range);
    });
  return analysis.findings.some(
    (finding) =>
      finding.ruleId === data.ruleId &&
      sameRange(finding.range, diagnostic.range) &&
      finding.fix?.title === fix.title &&
      finding.fix.safety === fix.safety &&
      sameEdits(finding.fix.edits),
  );
}

function sameRange(a: Range, b: Range): boolean {
  return (
    a.start.line === b.start.line &&
    a.start.character === b.start.character &&
    a.end.line === b.end.line &&
    a.end.character === b.end.character
  );
}

/**
 * Whether `codeActions` needs the analysis of the document's current version: for fix-all, and for a fix
 * stamped with an earlier version (`fixApplies`).
 */
export function needsCurrentAnalysis(doc: TextDocument, params: CodeActionParams): boolean {
  if (params.context.only?.some((o) => FIX_ALL_KIND.startsWith(o))) return true;
  return params.context.diagnostics.some((diagnostic) => {
    if (diagnostic.source !== SOURCE) return false;
    const data = parseDiagnosticData(diagnostic.data);
    return data?.fix !== undefined && data.version !== doc.version;
  });
}

/** Quick fixes, `# nosec` suppressions and documentation links for our diagnostics, and fix-all. */
export function codeActions(
  doc: TextDocument,
  params: CodeActionParams,
  analysis: DocumentAnalysis | undefined,
  options: ActionOptions,
): CodeAction[] {
  const actions: CodeAction[] = [];
  const only = params.context.only;
  const quickfix = wants(only, CodeActionKind.QuickFix);
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== SOURCE) continue;
    const data = parseDiagnosticData(diagnostic.data);
    if (!data) continue;
    if (quickfix && data.fix && fixApplies(data, diagnostic, doc, analysis)) {
      actions.push({
        title: `${data.fix.title} (${data.ruleId})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: data.fix.safety === 'safe',
        edit: workspaceEdit(doc, data.fix.edits, options),
      });
    }
    if (quickfix) {
      actions.push({
        title: `Suppress ${data.ruleId} on this line (# nosec ${data.ruleId})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: workspaceEdit(doc, [suppressionEdit(doc, diagnostic.range.start.line, data.ruleId)], options),
      });
      const rule = options.rules.find((r) => r.meta.id === data.ruleId);
      if (rule) {
        const url = ruleDocUrl(rule.meta);
        actions.push({
          title: `Show documentation for ${data.ruleId}`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          command: {
            title: `Show documentation for ${data.ruleId}`,
            command: SHOW_DOCS_COMMAND,
            arguments: [url],
          },
        });
      }
    }
  }
  if (only?.some((o) => FIX_ALL_KIND === o || FIX_ALL_KIND.startsWith(`${o}.`)) && analysis) {
    const action = fixAllAction(doc, analysis, options);
    if (action) actions.push(action);
  }
  return actions;
}

/** Every safe fix of the document at once; a fix overlapping an earlier one is left for the next round. */
export function fixAllAction(
  doc: TextDocument,
  analysis: DocumentAnalysis,
  options: ActionOptions,
): CodeAction | undefined {
  if (analysis.version !== doc.version) return undefined;
  const fixes = analysis.findings.flatMap((f) => (f.fix && f.fix.safety === 'safe' ? [f.fix.edits] : []));
  const edits = nonOverlapping(doc, fixes);
  if (edits.length === 0) return undefined;
  return {
    title: 'Flask Sentinel: apply all safe fixes',
    kind: FIX_ALL_KIND,
    edit: workspaceEdit(doc, edits, options),
  };
}

/** Keeps whole fixes (all their edits or none) whose edits overlap no edit already kept. */
export function nonOverlapping(
  doc: Pick<TextDocument, 'offsetAt'>,
  fixes: readonly TextEdit[][],
): TextEdit[] {
  const taken: [number, number][] = [];
  const out: TextEdit[] = [];
  // Half-open spans overlap when each starts before the other ends; two edits at one start point conflict too.
  const overlaps = (start: number, end: number) =>
    taken.some(([s, e]) => (start < e && s < end) || start === s);
  for (const fix of fixes) {
    const spans = fix.map(
      (e) => [doc.offsetAt(e.range.start), doc.offsetAt(e.range.end)] as [number, number],
    );
    if (spans.some(([s, e]) => overlaps(s, e))) continue;
    taken.push(...spans);
    out.push(...fix);
  }
  return out;
}

const NOSEC = /#\s*nosec\b:?([^#]*)/i;

/** Adds the rule to a `# nosec` comment on the line, or appends one. */
export function suppressionEdit(doc: TextDocument, line: number, ruleId: string): TextEdit {
  const lineText = doc
    .getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } })
    .replace(/\r?\n$|\r$/, '');
  const match = NOSEC.exec(lineText);
  if (match && match.index !== undefined) {
    const ids = match[1] ?? '';
    const idsEnd = match.index + match[0].length - (ids.length - ids.trimEnd().length);
    const hasIds = ids.trim().length > 0;
    const at: Position = { line, character: idsEnd };
    return { range: { start: at, end: at }, newText: hasIds ? `, ${ruleId}` : ` ${ruleId}` };
  }
  const end: Position = { line, character: lineText.length };
  const trimmed = lineText.trimEnd();
  return {
    range: { start: { line, character: trimmed.length }, end },
    newText: `${trimmed.length > 0 ? '  ' : ''}# nosec ${ruleId}`,
  };
}

function contains(range: Range, position: Position): boolean {
  const before = (a: Position, b: Position) =>
    a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(range.start, position) && before(position, range.end);
}

/** The documentation of the rules whose findings cover the position. */
export function hover(
  analysis: DocumentAnalysis | undefined,
  position: Position,
  rules: readonly Rule[],
): Hover | null {
  if (!analysis) return null;
  const hits = analysis.findings.filter((f) => contains(f.range, position));
  const ids = [...new Set(hits.map((f) => f.ruleId))];
  const docs = ids.flatMap((id) => {
    const rule = rules.find((r) => r.meta.id === id);
    return rule ? [renderRuleDoc(rule.meta)] : [];
  });
  if (docs.length === 0) return null;
  const first = hits[0] as (typeof hits)[number];
  return { contents: { kind: 'markdown', value: docs.join('\n\n---\n\n') }, range: first.range };
}

/** "POST · no auth" above each route registration. */
export function codeLenses(analysis: DocumentAnalysis | undefined): CodeLens[] {
  if (!analysis) return [];
  return analysis.routes.map((route) => ({
    range: { start: route.range.start, end: route.range.start },
    command: { title: lensTitle(route), command: '' },
  }));
}
