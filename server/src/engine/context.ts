import type { Node } from 'web-tree-sitter';
import type { RuleMeta } from '../rules/rule';
import type { AppSetting, FlaskModel } from './flask';
import type { FileModel } from './model';
import type { LineIndex } from './positions';
import type { Taint, TaintAnalyzer } from './taint';
import type { Confidence, Finding, OffsetEdit, Severity } from './types';

/** Facts merged across the files of a workspace, so that one file's rules can see another's definitions. */
export interface WorkspaceFacts {
  /** Names of functions defined somewhere in the workspace that work as auth decorators. */
  authDecorators: ReadonlySet<string>;
  /** Route owners (`app`, `admin_bp`) guarded by a refusing `before_request` hook; '*' = every route. */
  guardedOwners: ReadonlySet<string>;
  /** App-wide settings made in some file (`SERVER_NAME`, `TRUSTED_HOSTS`, `autoescape`): see FlaskModel. */
  appSettings: ReadonlySet<AppSetting>;
}

export const NO_WORKSPACE_FACTS: WorkspaceFacts = {
  authDecorators: new Set(),
  guardedOwners: new Set(),
  appSettings: new Set(),
};

export interface RuleSettings {
  /** Extra decorator names that count as authentication (`flaskSentinel.authDecorators`). */
  authDecorators: readonly string[];
}

export interface ReportOptions {
  confidence?: Confidence;
  severity?: Severity;
  /** Edits that fix the finding; titled by the rule's `meta.fix` unless `fixTitle` is given. */
  fix?: OffsetEdit[];
  fixTitle?: string;
  /** The taint path's source, shown as related information. */
  taint?: Taint | null;
}

/**
 * The parts of the analysed text whose findings are wanted, as sorted, disjoint offset ranges: a re-analysis
 * after an edit keeps only the findings of the statements the edit can change, and the rest of the reduced
 * file is there as context.
 */
export type Focus = readonly { start: number; end: number }[];

/** What a rule sees: the file's models, the workspace facts, and a way to report. */
export class RuleContext {
  constructor(
    readonly file: FileModel,
    readonly flask: FlaskModel,
    readonly taint: TaintAnalyzer,
    readonly workspace: WorkspaceFacts,
    readonly settings: RuleSettings,
    private readonly lines: LineIndex,
    private readonly sink: (finding: Finding) => void,
    private readonly focus: Focus | null = null,
  ) {}

  /** The rule being run (see forRule). */
  private meta: RuleMeta | null = null;

  /**
   * Whether findings at this node are wanted. A rule may skip a site that is not in focus, but only where
   * what it reports there starts inside the site's statement and depends on no other site having been
   * visited (the focus contract test checks every rule against the whole-file answer). Lookups that decide
   * about other sites (is CSRFProtect called anywhere?) must still walk the whole file.
   */
  inFocus(node: Node): boolean {
    const focus = this.focus;
    if (!focus) return true;
    const at = node.startIndex;
    let low = 0;
    let high = focus.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const range = focus[middle] as { start: number; end: number };
      if (at < range.start) high = middle - 1;
      else if (at >= range.end) low = middle + 1;
      else return true;
    }
    return false;
  }

  /** Binds the context to the rule being run (the engine does this; rules never call it). */
  forRule(meta: RuleMeta): this {
    this.meta = meta;
    return this;
  }

  report(node: Node, message: string, options: ReportOptions = {}): void {
    const meta = this.meta;
    if (!meta) throw new Error('report() called outside a rule');
    const finding: Finding = {
      ruleId: meta.id,
      ruleName: meta.name,
      message,
      severity: options.severity ?? meta.severity,
      confidence: options.confidence ?? meta.confidence,
      range: this.lines.rangeOf(node.startIndex, node.endIndex),
      cwe: meta.cwe,
    };
    if (options.fix && options.fix.length > 0) {
      finding.fix = {
        title: options.fixTitle ?? meta.fix?.title ?? 'Apply fix',
        safety: meta.fix?.safety ?? 'unsafe',
        edits: options.fix.map((e) => ({ range: this.lines.rangeOf(e.start, e.end), newText: e.newText })),
      };
    }
    if (options.taint) {
      const source = options.taint.source;
      finding.related = [
        {
          range: this.lines.rangeOf(source.startIndex, source.endIndex),
          message: `untrusted input from ${options.taint.label} enters here`,
        },
      ];
    }
    this.sink(finding);
  }

  /** Text of the analysed file between two offsets (for building fixes). */
  slice(start: number, end: number): string {
    return this.file.text.slice(start, end);
  }
}
