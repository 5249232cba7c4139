/**
 * The engine's public vocabulary. Positions are zero-based lines and UTF-16 code-unit columns — the units
 * web-tree-sitter reports for JavaScript strings and the default LSP position encoding — so findings go to
 * the editor and to SARIF without conversion.
 */
export type Severity = 'error' | 'warning' | 'info';
export type Confidence = 'high' | 'medium' | 'low';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
export const CONFIDENCE_RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A text replacement, in UTF-16 offsets of the analysed text (the same units as `Node.startIndex`). */
export interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  /** `safe` fixes keep behaviour for correct programs and may be applied in bulk (fix-all); `unsafe` ones only on request. */
  safety: 'safe' | 'unsafe';
  edits: TextEdit[];
}

export interface RelatedLocation {
  range: Range;
  message: string;
}

export interface Finding {
  ruleId: string;
  ruleName: string;
  message: string;
  severity: Severity;
  confidence: Confidence;
  range: Range;
  cwe: string[];
  fix?: Fix;
  /** Where the untrusted data came from, when the finding is the end of a taint path. */
  related?: RelatedLocation[];
}

/** What a broken input did to the analysis; surfaced to the user, never thrown. */
export interface AnalysisNote {
  kind: 'syntax-error' | 'skipped';
  message: string;
  range?: Range;
}

export interface FileAnalysis {
  findings: Finding[];
  notes: AnalysisNote[];
}
