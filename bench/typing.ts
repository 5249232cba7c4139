import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Tree } from 'web-tree-sitter';
import { analyzeModels, buildModels } from '../server/src/engine/analyze';
import type { Engine } from '../server/src/engine/engine';
import type { Focus } from '../server/src/engine/context';
import { analyzeVersion, releaseState } from '../server/src/engine/reanalysis';
import type { Located } from '../server/src/engine/reanalysis';
import { treeSitterEdit } from '../server/src/engine/treeEdits';
import { RecoveredTrees } from '../server/src/lsp/recoveredTrees';
import { TreeStore } from '../server/src/lsp/trees';
import { LspClient, fileUri } from '../test/helpers/lspClient';
import type { KeyEdit } from './keystrokes';
import { median, percentile, rssOfPid } from './measure';

export interface Distribution {
  median: number;
  p95: number;
  max: number;
}

export interface TypingResult {
  lines: number;
  /** Keystrokes measured: the script's length unless the time budget ran out first. */
  keystrokes: number;
  planned: number;
  budgetExhausted: boolean;
  server: {
    /** Spawn of `node dist/server.js --stdio` to the `initialize` answer. */
    readyMs: number;
    /** didOpen to the first pulled diagnostics (a full parse and analysis). */
    firstDiagnosticsMs: number;
    /** Per keystroke: didChange sent to the pulled diagnostics received, as the client sees it. */
    keystrokeMs: Distribution;
    /**
     * The same keystrokes typed again, into a copy of the file, by the same server after the first run: a
     * server that has been running a while, its JIT warm (as the parse alone is measured warm).
     */
    warmKeystrokeMs: Distribution;
    /** The incremental parse alone of each key, in the bench's process, right after the server answered it. */
    parseAlongsideMs: Distribution;
    /** The same for the warm run's keys. */
    warmParseAlongsideMs: Distribution;
    diagnosticsAtEnd: number;
    /** Share of keystrokes answered `unchanged`: the findings stayed as they were (lsp/reportIds.ts). */
    unchangedReportShare: number;
    rssBytes: { afterOpen: number | null; peak: number | null; end: number | null };
  };
  inProcess: {
    /**
     * tree.edit + parser.parse(text, oldTree) through TreeStore, in the run that also analyses (after the
     * server's runs): the parse beside the analysis figures. The ratios use the parse measured alongside
     * the server's keys instead.
     */
    parseMs: Distribution;
    /**
     * What the server adds to the parse: the edited statement re-analysed (engine/reanalysis.ts), or the
     * whole file when the edit may reach further.
     */
    analysisMs: Distribution;
    /**
     * Share of keystrokes that leave the analysed text as it was (typed inside a bracket left open, which
     * recovery cuts away, or the key that opens it): no rule runs again, and in the server most of them do
     * not even parse. The median keystroke at 5k lines sits near the border of this group, so this share
     * moves the median ratio more than any cost does.
     */
    unchangedShare: number;
    /** The analysis alone of the other keys: the edited statement and its context re-analysed. */
    changedAnalysisMs: Distribution;
    /** Share of keystrokes re-analysed partially, and why the others took the whole file. */
    partialShare: number;
    wholeFileReasons: Record<string, number>;
    parsePlusAnalysisMs: Distribution;
  };
  ratios: {
    serverOverParseMedian: number;
    serverOverParseP95: number;
    warmServerOverParseMedian: number;
    warmServerOverParseP95: number;
    inProcessOverParseMedian: number;
    inProcessOverParseP95: number;
  };
}

const dist = (values: number[]): Distribution => ({
  median: median(values),
  p95: percentile(values, 95),
  max: Math.max(...values),
});

/** A document typed into key by key in this process, each key an incremental parse through TreeStore. */
class TypedDocument {
  private readonly store: TreeStore;
  private version = 1;
  text: string;
  /** The tree of the initial text. */
  readonly first: Tree;

  constructor(
    engine: Engine,
    private readonly uri: string,
    initial: string,
  ) {
    this.store = new TreeStore(engine.parser);
    this.text = initial;
    const first = this.store.get(uri, initial, 1);
    if (!first) throw new Error('parse failed');
    this.first = first;
  }

  /** Applies the key, then edits and re-parses the tree: the tree and the milliseconds of that parse. */
  type(e: KeyEdit): { tree: Tree; ms: number } {
    const edit = treeSitterEdit(this.text, e.start, e.end, e.text);
    this.text = this.text.slice(0, e.start) + e.text + this.text.slice(e.end);
    this.version++;
    const t0 = performance.now();
    this.store.edited(this.uri, edit);
    const tree = this.store.get(this.uri, this.text, this.version);
    const ms = performance.now() - t0;
    if (!tree) throw new Error('parse failed');
    return { tree, ms };
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * Types `edits` into an open document (version 1 = `text`): per keystroke, didChange then a diagnostic pull,
 * then the same key parsed alone in this process.
 */
async function typeInto(
  client: LspClient,
  uri: string,
  text: string,
  edits: readonly KeyEdit[],
  deadline: number,
  engine: Engine,
  afterKey: () => void = () => undefined,
) {
  // The parse alone of the same keys, in this process, right after the server answered each: both figures
  // of a key come from the same moment of the machine's load (one run after the other, a load that changed
  // in between skewed their ratio either way).
  const reference = new TypedDocument(engine, `${uri}#reference`, text);
  const parse: number[] = [];
  const doc = TextDocument.create(uri, 'python', 1, text);
  const latencies: number[] = [];
  // As VS Code's client does: the id of the report it holds goes with the next pull, and an `unchanged`
  // answer keeps that report.
  let held = await client.pullReport(uri);
  let unchanged = 0;
  let version = 1;
  for (const edit of edits) {
    if (performance.now() > deadline) break;
    version++;
    const change = {
      range: { start: doc.positionAt(edit.start), end: doc.positionAt(edit.end) },
      text: edit.text,
    };
    const t = performance.now();
    await client.change(uri, version, [change]);
    const report = await client.pullReport(uri, held.resultId);
    latencies.push(performance.now() - t);
    if (report.kind === 'full') held = report;
    else unchanged++;
    TextDocument.update(doc, [change], version);
    parse.push(reference.type(edit).ms);
    afterKey();
  }
  reference.dispose();
  return { latencies, parse, diagnosticsAtEnd: held.items?.length ?? 0, unchanged };
}

/** The language server, as an editor drives it: incremental didChange, then a diagnostic pull, per keystroke. */
async function serverRun(
  engine: Engine,
  file: string,
  text: string,
  edits: readonly KeyEdit[],
  budgetMs: number,
) {
  const started = performance.now();
  const client = await LspClient.start({ pull: true, configuration: true, settings: {} });
  const readyMs = performance.now() - started;
  const pid = client.process.pid ?? -1;
  const uri = fileUri(file);
  try {
    const t0 = performance.now();
    await client.open(uri, text, 1);
    await client.pull(uri);
    const firstDiagnosticsMs = performance.now() - t0;
    const afterOpen = rssOfPid(pid);
    let peak = afterOpen ?? 0;
    const fresh = await typeInto(client, uri, text, edits, performance.now() + budgetMs, engine, () => {
      peak = Math.max(peak, rssOfPid(pid) ?? 0);
    });
    const end = rssOfPid(pid);
    // Again, warm: the keys the first run typed, into a copy of the file (the first one closed).
    await client.close(uri);
    const again = path.join(path.dirname(file), `again_${path.basename(file)}`);
    fs.writeFileSync(again, text);
    const againUri = fileUri(again);
    await client.open(againUri, text, 1);
    await client.pull(againUri);
    const typed = edits.slice(0, fresh.latencies.length);
    const warm = await typeInto(client, againUri, text, typed, Number.POSITIVE_INFINITY, engine);
    if (warm.diagnosticsAtEnd !== fresh.diagnosticsAtEnd) {
      throw new Error(
        `typing twice gave ${fresh.diagnosticsAtEnd} then ${warm.diagnosticsAtEnd} diagnostics`,
      );
    }
    return {
      readyMs,
      firstDiagnosticsMs,
      keystrokeMs: fresh.latencies,
      warmKeystrokeMs: warm.latencies,
      parseAlongsideMs: fresh.parse,
      warmParseAlongsideMs: warm.parse,
      diagnosticsAtEnd: fresh.diagnosticsAtEnd,
      unchangedReportShare: fresh.latencies.length > 0 ? fresh.unchanged / fresh.latencies.length : 0,
      rssBytes: { afterOpen, peak: peak || null, end },
    };
  } finally {
    await client.stop();
  }
}

/** The same edits in this process: the incremental parse alone, then the analysis the server runs. */
function inProcessRun(
  engine: Engine,
  file: string,
  initial: string,
  edits: readonly KeyEdit[],
  analyze = true,
) {
  const uri = fileUri(file);
  const doc = new TypedDocument(engine, uri, initial);
  // As the server does: a statement whose bracket is never closed is blanked out (engine/recovery.ts).
  const recovered = new RecoveredTrees(engine.parser);
  const run = (tree: Tree, analysed: string, focus?: Focus) => {
    const models = buildModels(tree, analysed, file);
    return { models, analysis: analyzeModels(models, engine.rules, { focus }), extras: [] as Located[] };
  };
  const firstRecovered = recovered.of(uri, doc.first, initial);
  let state = analyzeVersion<Located>(
    undefined,
    firstRecovered.tree,
    firstRecovered.text,
    engine.parser,
    run,
  ).state;
  const parse: number[] = [];
  const analysis: number[] = [];
  const both: number[] = [];
  let partial = 0;
  let unchanged = 0;
  let lastAnalysed = firstRecovered.text;
  const changedAnalysis: number[] = [];
  const reasons: Record<string, number> = {};
  for (const e of edits) {
    const { tree, ms } = doc.type(e);
    const t1 = performance.now();
    const text = doc.text;
    let same = false;
    if (analyze) {
      const analysed = recovered.of(uri, tree, text);
      same = analysed.text === lastAnalysed;
      lastAnalysed = analysed.text;
      if (same) unchanged++;
      const result = analyzeVersion(state, analysed.tree, analysed.text, engine.parser, run);
      state = result.state;
      if (result.kind === 'partial') partial++;
      else {
        // Named by kind, not by the identifiers in the message.
        const reason = result.reason
          .replace(/binds .+ at module level/, 'binds a name at module level')
          .replace(/ \(\d+ statements\)$/, '');
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
    }
    const t2 = performance.now();
    parse.push(ms);
    analysis.push(t2 - t1);
    if (analyze && !same) changedAnalysis.push(t2 - t1);
    both.push(ms + (t2 - t1));
  }
  doc.dispose();
  recovered.dispose();
  releaseState(state);
  const share = (n: number) => (edits.length > 0 ? n / edits.length : 0);
  return {
    parse,
    analysis,
    both,
    changedAnalysis,
    unchangedShare: share(unchanged),
    partialShare: share(partial),
    reasons,
  };
}

export async function typingRun(
  engine: Engine,
  dir: string,
  name: string,
  text: string,
  edits: readonly KeyEdit[],
  budgetMs: number,
): Promise<TypingResult> {
  const file = path.join(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, text);
  // Warm the JIT for the parse measured alongside the server (parse-only: an analysis can be slow).
  inProcessRun(engine, file, text, edits.slice(0, 3), false);
  const server = await serverRun(engine, file, text, edits, budgetMs);
  const done = edits.slice(0, server.keystrokeMs.length);
  const local = inProcessRun(engine, file, text, done);
  const keystrokeMs = dist(server.keystrokeMs);
  const warmKeystrokeMs = dist(server.warmKeystrokeMs);
  const parseAlongsideMs = dist(server.parseAlongsideMs);
  const warmParseAlongsideMs = dist(server.warmParseAlongsideMs);
  const parseMs = dist(local.parse);
  const parsePlusAnalysisMs = dist(local.both);
  return {
    lines: text.split('\n').length,
    keystrokes: done.length,
    planned: edits.length,
    budgetExhausted: done.length < edits.length,
    server: { ...server, keystrokeMs, warmKeystrokeMs, parseAlongsideMs, warmParseAlongsideMs },
    inProcess: {
      parseMs,
      analysisMs: dist(local.analysis),
      parsePlusAnalysisMs,
      unchangedShare: local.unchangedShare,
      changedAnalysisMs: dist(local.changedAnalysis.length > 0 ? local.changedAnalysis : [0]),
      partialShare: local.partialShare,
      wholeFileReasons: local.reasons,
    },
    ratios: {
      serverOverParseMedian: keystrokeMs.median / parseAlongsideMs.median,
      serverOverParseP95: keystrokeMs.p95 / parseAlongsideMs.p95,
      warmServerOverParseMedian: warmKeystrokeMs.median / warmParseAlongsideMs.median,
      warmServerOverParseP95: warmKeystrokeMs.p95 / warmParseAlongsideMs.p95,
      inProcessOverParseMedian: parsePlusAnalysisMs.median / parseMs.median,
      inProcessOverParseP95: parsePlusAnalysisMs.p95 / parseMs.p95,
    },
  };
}
