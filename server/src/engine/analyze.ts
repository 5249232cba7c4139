import type { Node, Tree } from 'web-tree-sitter';
import type { Rule } from '../rules/rule';
import { HTTP_CLIENT_MODULES, outboundUrl } from '../rules/support/outbound';
import type { OutboundUrl } from '../rules/support/outbound';
import { urlTextHostTaint } from '../rules/support/requests';
import { NO_WORKSPACE_FACTS, RuleContext } from './context';
import type { Focus, RuleSettings, WorkspaceFacts } from './context';
import { FlaskModel } from './flask';
import type { AppSetting } from './flask';
import { FileModel } from './model';
import type { CallSite } from './model';
import { LineIndex } from './positions';
import type { Blank } from './recovery';
import { requestArguments } from './requestArguments';
import type { ViewParameter } from './requestArguments';
import type { Scope } from './scopes';
import type { Segment } from './segments';
import { holdsSyntaxError } from './syntax';
import { collectSuppressions, isSuppressed } from './suppressions';
import { TaintAnalyzer } from './taint';
import { TriggerTests } from './triggers';
import type { AnalysisNote, FileAnalysis, Finding, Range, Severity } from './types';
import { compareCodeUnits } from './compareCodeUnits';
import { recordingFacts } from './workspaceReads';
import type { WorkspaceTrace } from './workspaceReads';

export interface AnalyzeOptions {
  /** Rule ids or id prefixes to run (`FS2`, `FS201`, `ALL`); default all. */
  select?: readonly string[];
  ignore?: readonly string[];
  severity?: Readonly<Record<string, Severity>>;
  authDecorators?: readonly string[];
  workspace?: WorkspaceFacts;
  /** Only findings that start in these ranges are wanted (see RuleContext.inFocus); default the whole file. */
  focus?: Focus;
  /** When given, each rule's check time (ms) is added here: for the benchmark and for finding slow rules. */
  profile?: Map<string, number>;
  /**
   * When the models were built from a recovered text (`recovery.ts`): the tree of the text as written,
   * whose syntax errors are the ones reported, and what was blanked out of it.
   */
  written?: { tree: Tree; blanks: readonly Blank[] };
  /**
   * When given, the analysis fills it in: the facts this file contributes to its workspace, and every
   * question the rules asked of the workspace facts with its answer (`workspaceReads.ts`).
   */
  trace?: WorkspaceTrace;
}

export function ruleSelected(
  id: string,
  select: readonly string[] | undefined,
  ignore: readonly string[] | undefined,
): boolean {
  const matches = (pattern: string) => pattern === 'ALL' || id.startsWith(pattern.toUpperCase());
  if (ignore?.some(matches)) return false;
  return !select || select.length === 0 || select.some(matches);
}

/** The per-file models, built once and shared by every rule. */
export interface FileModels {
  file: FileModel;
  flask: FlaskModel;
}

export function buildModels(tree: Tree, text: string, path: string): FileModels {
  const file = new FileModel(tree, text, path);
  return { file, flask: new FlaskModel(file) };
}

/**
 * Files that can contribute workspace facts (auth decorators, before_request guards, app-wide settings):
 * only these get the first pass of a scan.
 */
export const DEFINES_FACTS =
  /before_(app_)?request|@(functools\.)?wraps\b|SERVER_NAME|TRUSTED_HOSTS|trusted_hosts|host_is_trusted|AllowedHosts|autoescape|CORS_(ORIGINS|RESOURCES)|init_app\([^)]*\b(origins|resources)\s*=|MAIL_USE_(TLS|SSL)|([Pp]ass|[Pp]w)\w*\.setter\b|validates\([^)]*([Pp]ass|[Pp]w)|PasswordType/;

/** Facts one file contributes to its workspace. */
export function workspaceFactsOf(models: FileModels): WorkspaceFacts {
  return {
    authDecorators: models.flask.authDecoratorDefinitions,
    guardedOwners: models.flask.guardedOwners,
    appSettings: models.flask.appSettings,
  };
}

export function mergeFacts(parts: Iterable<WorkspaceFacts>): WorkspaceFacts {
  const authDecorators = new Set<string>();
  const guardedOwners = new Set<string>();
  const appSettings = new Set<AppSetting>();
  for (const part of parts) {
    for (const name of part.authDecorators) authDecorators.add(name);
    for (const owner of part.guardedOwners) guardedOwners.add(owner);
    for (const setting of part.appSettings) appSettings.add(setting);
  }
  return { authDecorators, guardedOwners, appSettings };
}

/**
 * Runs the rules over one parsed file. Never throws for bad input: a rule that crashes is reported as a
 * note and the other rules still run; a file with syntax errors is analysed in its intact parts.
 */
export function analyzeTree(
  tree: Tree,
  text: string,
  path: string,
  rules: readonly Rule[],
  options: AnalyzeOptions = {},
): FileAnalysis {
  const models = buildModels(tree, text, path);
  return analyzeModels(models, rules, options);
}

export function analyzeModels(
  models: FileModels,
  rules: readonly Rule[],
  options: AnalyzeOptions = {},
): FileAnalysis {
  const steps = analysisSteps(models, rules, options);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * `analyzeModels`, one rule per step: the language server runs a large file's rules a slice at a time and
 * lets newer edits and other requests in between (`lsp/analysis.ts`).
 */
export function* analysisSteps(
  models: FileModels,
  rules: readonly Rule[],
  options: AnalyzeOptions = {},
): Generator<void, FileAnalysis, void> {
  const { file, flask } = models;
  const lines = new LineIndex(file.text);
  const notes: AnalysisNote[] = [];
  const findings: Finding[] = [];
  const own = workspaceFactsOf(models);
  const merged = mergeFacts([options.workspace ?? NO_WORKSPACE_FACTS, own]);
  if (options.trace) options.trace.own = own;
  const facts = options.trace ? recordingFacts(merged, options.trace.reads) : merged;
  const settings: RuleSettings = { authDecorators: options.authDecorators ?? [] };
  const viewParameters = new Map<Scope, ReadonlyMap<string, boolean | ViewParameter>>();
  const taint = new TaintAnalyzer(file, (scope) => {
    let parameters = viewParameters.get(scope);
    if (!parameters) viewParameters.set(scope, (parameters = viewParametersOf(file, flask, scope)));
    return parameters;
  });
  const suppressions = collectSuppressions(file.comments);
  const seen = new Set<string>();
  const keep = (finding: Finding) => {
    const key = `${finding.ruleId}:${finding.range.start.line}:${finding.range.start.character}`;
    if (seen.has(key)) return;
    if (isSuppressed(suppressions, finding.ruleId, finding.range.start.line, finding.range.end.line)) return;
    seen.add(key);
    const override = options.severity?.[finding.ruleId];
    if (override) finding.severity = override;
    findings.push(finding);
  };
  const context = new RuleContext(file, flask, taint, facts, settings, lines, keep, options.focus ?? null);
  // Which calls send requests is asked of every call the taint engine reads (summaries ask again): only in
  // files that import an HTTP client, once per call.
  if (HTTP_CLIENT_MODULES.some((module) => file.imports.imports(module))) {
    const outboundOf = new Map<CallSite, OutboundUrl | null>();
    taint.fixedHostRequest = (site, taintOf) => {
      let outbound = outboundOf.get(site);
      if (outbound === undefined) outboundOf.set(site, (outbound = outboundUrl(context, site)));
      return (
        outbound !== null && outbound.certain && urlTextHostTaint(context, outbound.url, taintOf) === null
      );
    };
  }
  // Rules share triggers (the request-data one is used by nine): each is tested once per file.
  const triggers = new TriggerTests(file.text);

  for (const rule of rules) {
    if (!ruleSelected(rule.meta.id, options.select, options.ignore)) continue;
    if (!rule.triggers.every((trigger) => triggers.matches(trigger))) continue;
    const started = options.profile ? performance.now() : 0;
    try {
      rule.check(context.forRule(rule.meta));
    } catch (error) {
      notes.push({
        kind: 'skipped',
        message: `${rule.meta.id} (${rule.meta.name}) failed on this file and was skipped: ${String(error)}`,
      });
    }
    if (options.profile) {
      const id = rule.meta.id;
      options.profile.set(id, (options.profile.get(id) ?? 0) + performance.now() - started);
    }
    yield;
  }
  const syntax = options.written
    ? syntaxNote(options.written.tree, options.written.blanks, lines)
    : syntaxErrorNote(file.tree, lines);
  if (syntax) notes.push(syntax);
  findings.sort(compareFindings);
  return { findings: withoutFixesIn(findings, options.written?.blanks ?? []), notes };
}

/** Findings in document order (then by rule id): the order every consumer shows them in. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    compareCodeUnits(a.ruleId, b.ruleId)
  );
}

/**
 * The note for a tree with syntax errors, pointing at the first one; null for a tree without. `lines` maps
 * offsets to positions: a LineIndex, or the language server's document, which keeps its line offsets.
 */
export function syntaxErrorNote(
  tree: Tree,
  lines: Pick<LineIndex, 'rangeOf'>,
  statements?: readonly Pick<Segment, 'hasError'>[],
): AnalysisNote | null {
  const root = tree.rootNode;
  if (!root.hasError) return null;
  // The keystroke path knows which top-level statements hold an error (`segmentsOf`, one per child of the
  // root): the search starts at the first of them instead of asking every statement before it.
  const index = statements?.findIndex((s) => s.hasError) ?? -1;
  const statement = index >= 0 ? root.child(index) : null;
  const first = (statement && firstSyntaxError(statement)) ?? firstSyntaxError(root);
  return {
    kind: 'syntax-error',
    message: `Syntax error${first ? ` (${first.isMissing ? `missing "${first.type}"` : 'unexpected text'})` : ''}: only the parts of the file that parse were analysed. Fix the syntax to get complete results.`,
    ...(first ? { range: lines.rangeOf(first.startIndex, first.endIndex) } : {}),
  };
}

/**
 * The note for a file analysed from a recovered text: the first bracket that is never closed, else the
 * written tree's first syntax error.
 */
export function syntaxNote(
  written: Tree,
  blanks: readonly Blank[],
  lines: Pick<LineIndex, 'rangeOf'>,
  statements?: readonly Pick<Segment, 'hasError'>[],
): AnalysisNote | null {
  const first = blanks[0];
  if (!first) return syntaxErrorNote(written, lines, statements);
  return {
    kind: 'syntax-error',
    message: first.cut
      ? `Syntax error ("${first.opener}" is never closed): until it is closed, its statement is analysed as the code before it; the rest of the file is analysed.`
      : `Syntax error ("${first.opener}" is never closed): the statement it opens is left out of the analysis until it is closed; the rest of the file is analysed.`,
    range: { start: first.bracket, end: { ...first.bracket, character: first.bracket.character + 1 } },
  };
}

/**
 * Whether a finding's fix edits text that was blanked out for the analysis: its replacement would be
 * computed from the blanks, not from what the user wrote there.
 */
export function fixTouches(finding: Finding, blanked: readonly Range[]): boolean {
  return finding.fix?.edits.some((edit) => blanked.some((range) => overlaps(edit.range, range))) ?? false;
}

/** Findings without the fixes that would edit blanked-out text (the same list when nothing was blanked). */
export function withoutFixesIn(findings: Finding[], blanks: readonly Blank[]): Finding[] {
  if (blanks.length === 0) return findings;
  const ranges = blanks.map((b) => b.range);
  return findings.map((finding) => {
    if (!fixTouches(finding, ranges)) return finding;
    const copy = { ...finding };
    delete copy.fix;
    return copy;
  });
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']) =>
    p.line < q.line || (p.line === q.line && p.character < q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

/** The first ERROR or MISSING node, descending only into subtrees that contain one. */
function firstSyntaxError(root: Node): Node | null {
  if (root.isError || root.isMissing) return root;
  for (const child of root.children) {
    if (child && holdsSyntaxError(child)) return firstSyntaxError(child);
  }
  return null;
}

/** A view's parameters that carry request data: URL converters, and what request-parsing decorators pass. */
function viewParametersOf(
  file: FileModel,
  flask: FlaskModel,
  scope: Scope,
): ReadonlyMap<string, boolean | ViewParameter> {
  const routes = flask.routesOf(scope);
  const merged = new Map<string, boolean | ViewParameter>();
  for (const route of routes) {
    for (const [name, isText] of route.urlParameters) merged.set(name, merged.get(name) === true || isText);
  }
  if (scope.decorators.length === 0) return merged;
  for (const [name, parameter] of requestArguments(file, scope, new Set(merged.keys())))
    merged.set(name, parameter);
  return merged;
}
