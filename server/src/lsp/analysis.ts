import type { Connection, Diagnostic } from 'vscode-languageserver';
import type { Tree } from 'web-tree-sitter';
import {
  analysisSteps,
  analyzeModels,
  buildModels,
  syntaxNote,
  withoutFixesIn,
  workspaceFactsOf,
} from '../engine/analyze';
import type { AnalysisNote, FileAnalysis, Finding } from '../engine/types';
import type { Engine } from '../engine/engine';
import { releaseNodeMemo } from '../engine/nodeMemo';
import { blankStands } from '../engine/recovery';
import type { Blank } from '../engine/recovery';
import type { Focus } from '../engine/context';
import { partialVersion, releaseState, wholeFileVersion } from '../engine/reanalysis';
import type { SegmentedState, VersionAnalysis } from '../engine/reanalysis';
import { changedAgainst } from '../git/baseVersions';
import type { BaseVersion, BaseVersions } from '../git/baseVersions';
import { touches } from '../git/changedLines';
import type { ChunkedDocument } from './chunkedDocument';
import { documentDiagnostics, skippedDiagnostic } from './diagnostics';
import { QuietEdits } from './quietEdits';
import type { TextChange } from './quietEdits';
import { RecoveredTrees } from './recoveredTrees';
import { routesOf } from './routes';
import type { RouteInfo } from './routes';
import type { EffectiveSettings, SettingsManager } from './settings';
import { later, nextTick } from './tick';
import type { TreeStore } from './trees';
import type { WorkspaceIndex } from './workspace';
import { isExcluded } from './workspaceDiagnostics';

/** The result of analysing one version of one document. */
export interface DocumentAnalysis {
  uri: string;
  version: number;
  /** Settings and workspace generations the result depends on. */
  key: string;
  diagnostics: Diagnostic[];
  findings: Finding[];
  routes: RouteInfo[];
}

/**
 * Analyses open documents: at most once per (version, settings, workspace facts), never throwing. The
 * result is cached per document; a result for a version that is no longer current is dropped by callers
 * through `isCurrent`.
 */
export class Analyzer {
  private readonly cache = new Map<string, DocumentAnalysis>();
  /** Per document, what the keystroke path re-analyses from (see engine/reanalysis.ts). */
  private readonly segmented = new Map<string, { key: string; state: SegmentedState<RouteInfo> }>();
  private readonly inFlight = new Map<
    string,
    { key: string; promise: Promise<DocumentAnalysis | undefined> }
  >();
  /** Called when an open document's own facts changed what other documents see. */
  onFactsChanged: () => void = () => undefined;
  /** Counts real analyses (tests and logs). */
  runs = 0;
  private readonly recovered: RecoveredTrees;
  private readonly quiet = new QuietEdits();

  constructor(
    private readonly connection: Connection,
    private readonly engine: Engine,
    private readonly trees: TreeStore,
    private readonly settings: SettingsManager,
    private readonly workspace: WorkspaceIndex,
    private readonly document: (uri: string) => ChunkedDocument | undefined,
    /** The path a document is keyed by (ServerHost.pathOf). */
    private readonly pathOf: (uri: string) => string | undefined,
    /** Base versions for the "changed lines only" filter (`flaskSentinel.changedLinesOnly`). */
    private readonly baseVersions?: BaseVersions,
  ) {
    this.recovered = new RecoveredTrees(engine.parser);
  }

  cached(uri: string): DocumentAnalysis | undefined {
    return this.cache.get(uri);
  }

  isCurrent(result: DocumentAnalysis): boolean {
    return this.document(result.uri)?.version === result.version && result.key === this.generationKey();
  }

  /** A content change of an open document (before it is analysed again). */
  noteChange(uri: string, change: TextChange): void {
    this.quiet.changed(uri, change);
  }

  /** A full-text change of an open document. */
  noteReplaced(uri: string): void {
    this.quiet.forget(uri);
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.inFlight.delete(uri);
    this.forgetTree(uri);
  }

  private generationKey(): string {
    return `${this.settings.generation}:${this.workspace.generation}:${this.baseVersions?.generation ?? 0}`;
  }

  /** The analysis of the document's current version (from the cache when it is still valid). */
  async analyze(uri: string): Promise<DocumentAnalysis | undefined> {
    const doc = this.document(uri);
    if (!doc) return undefined;
    const key = `${doc.version}@${this.generationKey()}`;
    const cached = this.cache.get(uri);
    if (cached && `${cached.version}@${cached.key}` === key) return cached;
    const running = this.inFlight.get(uri);
    if (running && running.key === key) return running.promise;
    const promise = this.run(uri).finally(() => {
      if (this.inFlight.get(uri)?.promise === promise) this.inFlight.delete(uri);
    });
    this.inFlight.set(uri, { key, promise });
    return promise;
  }

  private async run(uri: string): Promise<DocumentAnalysis | undefined> {
    let settings: EffectiveSettings;
    try {
      settings = await this.settings.effective(uri);
    } catch (error) {
      this.connection.console.error(`Flask Sentinel: settings failed: ${String(error)}`);
      return undefined;
    }
    // The base text is cached per file and revision: only the first analysis of a file waits for git.
    const file = this.pathOf(uri);
    const base =
      settings.changedLinesOnly && file && this.baseVersions
        ? await this.baseVersions.baseOf(file, settings.changedLinesBase)
        : undefined;
    // Read the document only now: it may have changed while the settings were fetched.
    const doc = this.document(uri);
    if (!doc) return undefined;
    const key = this.generationKey();
    const cached = this.cache.get(uri);
    if (cached && cached.version === doc.version && cached.key === key) return cached;
    const result = await this.analyzeNow(doc, settings, key, base);
    // Undefined: a newer version or other settings came while the whole file was being analysed.
    if (result) this.cache.set(uri, result);
    return result;
  }

  private async analyzeNow(
    doc: ChunkedDocument,
    settings: EffectiveSettings,
    key: string,
    baseVersion?: BaseVersion,
  ): Promise<DocumentAnalysis | undefined> {
    const base: DocumentAnalysis = {
      uri: doc.uri,
      version: doc.version,
      key,
      diagnostics: [],
      findings: [],
      routes: [],
    };
    const file = this.pathOf(doc.uri);
    if (!settings.enable || (file && isExcluded(file, settings))) {
      this.forgetTree(doc.uri);
      return base;
    }
    const skipped = whyNotAnalysed(doc, settings.maxFileSizeKb);
    if (skipped) {
      this.forgetTree(doc.uri);
      return { ...base, diagnostics: [skippedDiagnostic(skipped)] };
    }
    const last = this.cache.get(doc.uri);
    const quietNotes =
      last && last.key === key && !baseVersion
        ? this.quiet.quietSince(doc.uri, last.version, (blank) => blankStandsIn(doc, blank))
        : undefined;
    if (last && quietNotes) {
      this.quiet.reused(doc.uri, doc.version);
      // Typed inside a statement whose bracket is still open (quietEdits.ts): the text the analysis reads
      // is what it was, so are the results. The document's tree is parsed when an edit needs it, and its
      // text is not even joined (chunkedDocument.ts).
      return {
        ...last,
        version: doc.version,
        diagnostics: documentDiagnostics(last.findings, quietNotes, doc.version, doc.uri),
      };
    }
    const text = doc.getText();
    this.runs++;
    try {
      const written = this.trees.get(doc.uri, text, doc.version);
      if (!written) return base;
      // What the analysis reads: the text, or the text with a statement whose bracket is never closed
      // blanked out (same lines and positions; offsets after it differ). Everything below works on it,
      // but the syntax note, which comes from the written tree.
      const recovered = this.recovered.of(doc.uri, written, text);
      const { tree, blanks } = recovered;
      const analysedText = recovered.text;
      const path = file ?? doc.uri;
      const workspace = this.workspace.factsFor(file);
      const options = { ...settings.analyze, workspace };
      const authDecorators = settings.analyze.authDecorators ?? [];
      const run = (analysed: Tree, analysedText: string, focus?: Focus) => {
        const models = buildModels(analysed, analysedText, path);
        const analysis = analyzeModels(models, this.engine.rules, { ...options, focus });
        return { models, analysis, extras: routesOf(models, doc.uri, workspace, authDecorators, focus) };
      };
      let findings: Finding[];
      let routes: RouteInfo[];
      let notes: AnalysisNote[];
      const previous = this.segmented.get(doc.uri);
      // A state kept under other settings or workspace facts cannot be re-analysed from.
      if (previous && previous.key !== key) releaseState(previous.state);
      const reusable = previous?.key === key ? previous.state : undefined;
      const partial = partialVersion(reusable, tree, analysedText, this.engine.parser, run);
      let version: VersionAnalysis<RouteInfo>;
      if (partial.kind === 'partial') version = partial;
      else {
        releaseState(reusable);
        this.segmented.delete(doc.uri);
        // `doc` is the live document, updated in place by edits: compare with the version analysed.
        const analysed = base.version;
        const isCurrent = () => this.document(doc.uri)?.version === analysed && this.generationKey() === key;
        const models = buildModels(tree, analysedText, path);
        const steps = analysisSteps(models, this.engine.rules, {
          ...options,
          written: { tree: written, blanks },
        });
        const analysis = await analyzeInSlices(steps, isCurrent);
        // Superseded: the tree may already be edited for the newer version; nothing here may touch it.
        if (!analysis) return undefined;
        const result = { models, analysis, extras: routesOf(models, doc.uri, workspace, authDecorators) };
        version = wholeFileVersion(tree, analysedText, result, partial.reason, reusable?.segments);
      }
      if (version.state) this.segmented.set(doc.uri, { key, state: version.state });
      else this.segmented.delete(doc.uri);
      if (version.kind === 'partial') {
        // As analysisSteps does on the whole-file path.
        version.state.findings = withoutFixesIn(version.state.findings, blanks);
        ({ findings, extras: routes } = version.state);
        // The document keeps its line offsets up to date: no need to index the whole text again.
        const lines = {
          rangeOf: (start: number, end: number) => ({
            start: doc.positionAt(start),
            end: doc.positionAt(end),
          }),
        };
        const syntax = syntaxNote(written, blanks, lines, version.state.segments);
        notes = syntax ? [syntax] : [];
      } else {
        const { models, analysis, extras } = version.result;
        ({ findings, notes } = analysis);
        routes = extras;
        if (file && this.workspace.setOpen(file, workspaceFactsOf(models)))
          later(() => this.onFactsChanged());
      }
      // The document's tree stays until the next edit; what was memoized about its nodes need not.
      releaseNodeMemo(written);
      if (tree !== written) releaseNodeMemo(tree);
      // The next versions can reuse this analysis while the edits stay quiet, unless the document moved on
      // during it (its edits were not measured against this version).
      if (this.document(doc.uri)?.version === base.version)
        this.quiet.analysed(doc.uri, base.version, blanks, notes);
      else this.quiet.forget(doc.uri);
      // "Changed lines only": hide findings on lines the document has not changed against the base.
      const changed = baseVersion ? changedAgainst(baseVersion, text) : undefined;
      const shown = changed ? findings.filter((f) => touches(changed, f.range)) : findings;
      return {
        ...base,
        key: this.generationKey(),
        // Fix-all and hovers act on what is shown.
        findings: shown,
        routes,
        diagnostics: documentDiagnostics(shown, notes, doc.version, doc.uri),
      };
    } catch (error) {
      // A crash in the analysis must never take the server down: log it and show nothing for this version.
      this.forgetTree(doc.uri);
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.connection.console.error(`Flask Sentinel: analysis of ${doc.uri} failed: ${detail}`);
      return base;
    }
  }

  dispose(): void {
    this.recovered.dispose();
  }

  private forgetTree(uri: string): void {
    this.quiet.forget(uri);
    this.trees.close(uri);
    this.recovered.close(uri);
    releaseState(this.segmented.get(uri)?.state);
    this.segmented.delete(uri);
  }
}

/** Why a document is not analysed (too large, binary), or undefined. */
export function whyNotAnalysed(doc: ChunkedDocument, maxFileSizeKb: number): string | undefined {
  const limit = maxFileSizeKb * 1024;
  if (doc.utf8Length > limit) {
    return `it is larger than the ${maxFileSizeKb} KiB limit (${Math.round(doc.utf8Length / 1024)} KiB); raise flaskSentinel.maxFileSizeKb (or max-file-size-kb in pyproject.toml) to analyse it`;
  }
  if (doc.hasNul) {
    return 'it contains NUL bytes, so it looks binary rather than Python source; remove them to analyse it';
  }
  return undefined;
}

/**
 * `blankStands` asked of the blank's line and the line after it only: the scan it makes reads no further
 * when the blank stands (the next line starts a statement), and running out of text reads as "does not
 * stand", as more text would. Reading the whole text would join it on every keystroke.
 */
function blankStandsIn(doc: ChunkedDocument, blank: Blank): boolean {
  const from = doc.offsetAt({ line: blank.range.start.line, character: 0 });
  const to = doc.offsetAt({ line: blank.range.end.line + 1, character: 0 });
  return blankStands(
    doc.slice(from, to),
    doc.offsetAt(blank.range.start) - from,
    doc.offsetAt(blank.bracket) - from,
    doc.offsetAt(blank.range.end) - from,
  );
}

/** How long a whole-file analysis runs before it lets other messages in. */
const SLICE_MS = 15;

/**
 * Runs an analysis's steps (one rule each) in slices of about `SLICE_MS`, letting the server take other
 * messages in between — a newer edit, a hover, a code action — so that a long analysis of a large file
 * never blocks them for its whole length. Returns undefined, having stopped, as soon as `isCurrent` says
 * the result would be for a version the user no longer has.
 */
export async function analyzeInSlices(
  steps: Generator<void, FileAnalysis, void>,
  isCurrent: () => boolean,
): Promise<FileAnalysis | undefined> {
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart < SLICE_MS) continue;
    await nextTick();
    if (!isCurrent()) return undefined;
    sliceStart = performance.now();
  }
}
