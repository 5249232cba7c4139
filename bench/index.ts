/**
 * `npm run bench`: the Flask Sentinel benchmark (issue 7). Not a test: it measures and prints.
 *
 * 1. Whole-process scans, round-robin in one run: the CLI, the parse+query floor (and a parse+walk one: the
 *    engine collects its nodes with a walk, not a query, bench/floor.ts), ruff's S rules (WASM) and
 *    bandit (when installed), on the repo's examples and on generated ~50k and ~160k-line Flask code bases.
 * 2. Typing against the real language server (incremental didChange + diagnostic pull per keystroke) on
 *    5,000 and 20,000-line files, next to the incremental parse alone for the same edits.
 * 3. Memory: WASM heap and RSS every 1,000 edits over 10,000 incremental edits through the TreeStore.
 *
 * Options: --quick (a short run), --reps N, --typing-budget S (seconds per file), --memory-edits N,
 * --no-bandit, --keep (keep the generated code bases), --out FILE (default bench/results/latest.json).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import * as prettier from 'prettier';
import { Engine } from '../server/src/engine/engine';
import { wasmHeapProbe } from '../test/helpers/wasmHeap';
import { generateCodebase, generateSingleFile, writeCodebase } from './generate';
import { keystrokeScript } from './keystrokes';
import { detectMeter, measureProcess, median } from './measure';
import type { Meter, ProcessSample } from './measure';
import { memoryRun } from './memory';
import type { MemoryResult } from './memory';
import { pythonFiles } from './walk';
import { typingRun } from './typing';
import type { TypingResult } from './typing';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, '.bench', 'bin');
const SEED = 20260701;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    'typing-budget': { type: 'string' },
    'memory-edits': { type: 'string' },
    'no-bandit': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(ROOT, 'bench', 'results', 'latest.json') },
  },
});
const quick = args.quick;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ------------------------------------------------------------------------------------------- helpers

function machineInfo() {
  const cpus = os.cpus();
  const git = (a: string[]) => spawnSync('git', a, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirtyWorkingTree: git(['status', '--porcelain']).length > 0,
  };
}

/**
 * Whether this node takes the CLI's code cache (dist/cliMain.js.v8cache, server/src/cli/codeCache.ts) under
 * the flags the CLI sets: without it every scan compiles its bundle, and the figures are not the CLI's.
 * Asked in a child process, as this one runs under other V8 flags (`--expose-gc`), which V8 checks.
 */
function cliCodeCacheStatus(): string {
  const probe = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'test', 'helpers', 'codeCacheProbe.ts'),
      path.join(ROOT, 'dist', 'cliMain.js'),
      '--cli-flags',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  try {
    return (JSON.parse(probe.stdout) as { outcome: string }).outcome;
  } catch {
    return `unknown (${probe.stderr.trim().split('\n')[0] ?? 'no answer'})`;
  }
}

/** The floor and ruff scripts, bundled like the CLI so that every node tool starts the same way. */
async function bundleScripts(): Promise<void> {
  fs.mkdirSync(BIN, { recursive: true });
  for (const [pkg, file] of [
    ['web-tree-sitter', 'web-tree-sitter.wasm'],
    ['tree-sitter-python', 'tree-sitter-python.wasm'],
  ] as const) {
    fs.copyFileSync(require.resolve(`${pkg}/${file}`), path.join(BIN, file));
  }
  await build({
    entryPoints: { floor: path.join(ROOT, 'bench/floor.ts'), ruff: path.join(ROOT, 'bench/ruff.ts') },
    outdir: BIN,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    // ruff's package loads its .wasm beside itself: leave it in node_modules (found from .bench/bin).
    external: ['@astral-sh/ruff-wasm-nodejs'],
    alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
  });
}

function banditVersion(): string | null {
  if (args['no-bandit']) return null;
  const r = spawnSync('bandit', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || r.error) return null;
  return (r.stdout || r.stderr).split('\n')[0]?.trim() ?? 'bandit';
}

const countLines = (files: string[]) =>
  files.reduce((n, f) => n + fs.readFileSync(f, 'utf8').split('\n').length - 1, 0);

const fmt = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
const mib = (bytes: number | null | undefined) =>
  bytes === null || bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ------------------------------------------------------------------------------------------- scans

interface Corpus {
  name: string;
  dir: string;
  files: number;
  lines: number;
  reps: number;
}

interface Tool {
  name: 'flask-sentinel' | 'floor' | 'floor-walk' | 'ruff-S' | 'bandit';
  command: string;
  args: (dir: string) => string[];
  okCodes: number[];
  /** What the tool reported, from its output (findings, captures...). */
  summarize: (stdout: string) => Record<string, unknown>;
}

function tools(bandit: string | null): Tool[] {
  const node = process.execPath;
  const list: Tool[] = [
    {
      name: 'flask-sentinel',
      command: node,
      args: (dir) => [path.join(ROOT, 'dist/cli.js'), 'scan', dir, '--format', 'json', '--fail-on', 'never'],
      okCodes: [0],
      summarize: (out) => {
        const r = JSON.parse(out) as {
          summary: Record<string, number>;
          notes: unknown[];
          skipped: unknown[];
        };
        return { ...r.summary, notes: r.notes.length, skipped: r.skipped.length };
      },
    },
    {
      name: 'floor',
      command: node,
      args: (dir) => [path.join(BIN, 'floor.js'), dir],
      okCodes: [0],
      summarize: (out) => JSON.parse(out) as Record<string, unknown>,
    },
    // The floor of what the scan itself does: parse + the engine's walk over the nodes it models, which
    // replaced the query of the floor above (bench/floor.ts).
    {
      name: 'floor-walk',
      command: node,
      args: (dir) => [path.join(BIN, 'floor.js'), '--walk', dir],
      okCodes: [0],
      summarize: (out) => JSON.parse(out) as Record<string, unknown>,
    },
    {
      name: 'ruff-S',
      command: node,
      args: (dir) => [path.join(BIN, 'ruff.js'), dir],
      okCodes: [0],
      summarize: (out) => JSON.parse(out) as Record<string, unknown>,
    },
  ];
  if (bandit) {
    list.push({
      name: 'bandit',
      command: 'bandit',
      args: (dir) => ['-r', dir, '-f', 'json', '-q'],
      okCodes: [0, 1],
      summarize: (out) => {
        const r = JSON.parse(out) as { results: unknown[]; errors: unknown[] };
        return { findings: r.results.length, errors: r.errors.length };
      },
    });
  }
  return list;
}

interface ScanCell {
  corpus: string;
  tool: string;
  samples: ProcessSample[];
  median: { wallMs: number; cpuMs: number | null; maxRssKb: number | null };
  /** What the tool printed in its last repetition (counts, versions). */
  reported: Record<string, unknown>;
  /** Median of the `workMs` the floor and ruff scripts report: their file loop alone, start-up excluded. */
  selfReportedWorkMs: number | null;
}

function runScans(meter: Meter, corpora: Corpus[], list: Tool[], scratch: string): ScanCell[] {
  const cells = new Map<string, ScanCell>();
  const key = (c: Corpus, t: Tool) => `${c.name}\u0000${t.name}`;
  const outFile = (c: Corpus, t: Tool) => path.join(scratch, `${c.name}.${t.name}.out`);
  const run = (c: Corpus, t: Tool) =>
    measureProcess(meter, t.command, t.args(c.dir), {
      stdoutFile: outFile(c, t),
      stderrFile: `${outFile(c, t)}.err`,
      cwd: ROOT,
      okCodes: t.okCodes,
    });
  // Warm-up: every tool once on the smallest corpus (page cache, node's code cache), not counted.
  const smallest = corpora[0] as Corpus;
  for (const t of list) run(smallest, t);
  const maxReps = Math.max(...corpora.map((c) => c.reps));
  const work = new Map<ScanCell, number[]>();
  for (let rep = 0; rep < maxReps; rep++) {
    for (const c of corpora) {
      if (rep >= c.reps) continue;
      // Round-robin, with the starting tool rotated every repetition so no tool always runs first.
      const order = list.map((_, i) => list[(i + rep) % list.length] as Tool);
      for (const t of order) {
        const s = run(c, t);
        const cell = cells.get(key(c, t)) ?? {
          corpus: c.name,
          tool: t.name,
          samples: [],
          median: { wallMs: 0, cpuMs: null, maxRssKb: null },
          reported: {},
          selfReportedWorkMs: null,
        };
        cell.samples.push(s);
        try {
          cell.reported = t.summarize(fs.readFileSync(outFile(c, t), 'utf8'));
        } catch (error) {
          cell.reported = { error: String(error) };
        }
        if (typeof cell.reported.workMs === 'number')
          work.set(cell, [...(work.get(cell) ?? []), cell.reported.workMs]);
        cells.set(key(c, t), cell);
        log(
          `rep ${rep + 1}/${c.reps} ${c.name.padEnd(8)} ${t.name.padEnd(14)} wall ${fmt(s.wallMs / 1000)} s  cpu ${fmt((s.cpuMs ?? NaN) / 1000)} s  rss ${mib((s.maxRssKb ?? NaN) * 1024)} MiB`,
        );
      }
    }
  }
  for (const c of corpora) {
    for (const t of list) {
      const cell = cells.get(key(c, t));
      if (!cell) continue;
      const nums = (f: (s: ProcessSample) => number | null) => {
        const v = cell.samples.map(f).filter((x): x is number => x !== null);
        return v.length > 0 ? median(v) : null;
      };
      cell.median = {
        wallMs: median(cell.samples.map((s) => s.wallMs)),
        cpuMs: nums((s) => s.cpuMs),
        maxRssKb: nums((s) => s.maxRssKb),
      };
      const w = work.get(cell);
      cell.selfReportedWorkMs = w ? median(w) : null;
    }
  }
  return [...cells.values()];
}

// ------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  // Before anything creates a parser in this process: the probe needs the first Parser.init().
  const heapBytes = await wasmHeapProbe();

  const machine = machineInfo();
  for (const f of ['dist/cli.js', 'dist/server.js']) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  await bundleScripts();
  const meter = detectMeter();
  const bandit = banditVersion();
  const codeCache = cliCodeCacheStatus();
  log(
    `meter: ${meter}; bandit: ${bandit ?? 'not installed (skipped)'}; CLI code cache: ${codeCache}; ${machine.cpuModel} × ${machine.cores}`,
  );
  if (codeCache !== 'used') {
    process.stdout.write(
      `note: the CLI's code cache is not used (${codeCache}): rebuild with this node (\`npm run build\`) and run node without V8 flags\n`,
    );
  }
  if (!bandit && !args['no-bandit']) {
    process.stdout.write(
      'note: bandit is not installed, so the bandit column is skipped (on Debian/Ubuntu: apt-get install bandit)\n',
    );
  }

  // Generated code bases, in a temp folder (deterministic: same seed, same files, every run).
  const scratch = path.join(os.tmpdir(), 'flask-sentinel-bench');
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  const repsOverride = args.reps ? Number(args.reps) : undefined;
  const sizes = quick
    ? [{ name: '50k', lines: 50_000, reps: 1 }]
    : [
        // Five, not three: a median of three moved the 50k ratio to the floor by 0.1-0.2 from run to run.
        { name: '50k', lines: 50_000, reps: 5 },
        { name: '160k', lines: 160_000, reps: 5 },
      ];
  const examples = path.join(ROOT, 'examples');
  const exampleFiles = pythonFiles([examples]);
  const corpora: Corpus[] = [
    {
      name: 'examples',
      dir: examples,
      files: exampleFiles.length,
      lines: countLines(exampleFiles),
      reps: repsOverride ?? (quick ? 1 : 5),
    },
  ];
  for (const size of sizes) {
    const codebase = generateCodebase(size.lines, SEED);
    const dir = path.join(scratch, `flask-${size.name}`);
    writeCodebase(dir, codebase);
    corpora.push({
      name: size.name,
      dir,
      files: codebase.files.length,
      lines: codebase.lines,
      reps: repsOverride ?? size.reps,
    });
  }
  log(`corpora: ${corpora.map((c) => `${c.name} (${c.files} files, ${c.lines} lines)`).join(', ')}`);

  const toolList = tools(bandit);
  const scans = runScans(meter, corpora, toolList, scratch);

  // Typing and memory run in this process (the engine from source, through tsx).
  const engine = await Engine.create();
  for (const f of exampleFiles) engine.analyzeText(fs.readFileSync(f, 'utf8'), f); // warm the JIT
  const typingBudgetMs = Number(args['typing-budget'] ?? (quick ? 20 : 30)) * 1000;
  const typing: TypingResult[] = [];
  for (const lines of quick ? [5_000] : [5_000, 20_000]) {
    const text = generateSingleFile(lines, SEED + lines);
    const edits = keystrokeScript(text, quick ? 50 : 200, SEED + lines);
    log(`typing: ${lines} lines, ${edits.length} keystrokes (budget ${typingBudgetMs / 1000} s)`);
    typing.push(
      await typingRun(engine, path.join(scratch, 'typing'), `views_${lines}.py`, text, edits, typingBudgetMs),
    );
  }

  const memoryEdits = Number(args['memory-edits'] ?? (quick ? 2_000 : 10_000));
  const memText = generateSingleFile(5_000, SEED + 1);
  log(`memory: ${memoryEdits} edits on ${memText.split('\n').length} lines`);
  const memory: MemoryResult = memoryRun(
    engine,
    heapBytes,
    memText,
    keystrokeScript(memText, memoryEdits, SEED + 2),
    {
      every: 1_000,
      analyzeEvery: 1_000,
    },
  );

  const result = {
    generatedAt: new Date().toISOString(),
    quick,
    seed: SEED,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)) },
    meter,
    tools: {
      node: process.version,
      cliCodeCache: codeCache,
      ruff: (scans.find((s) => s.tool === 'ruff-S')?.reported.version as string | undefined) ?? null,
      bandit,
    },
    corpora,
    scans,
    ratios: corpora.map((c) => {
      const m = (tool: string) => scans.find((s) => s.corpus === c.name && s.tool === tool)?.median;
      const scan = m('flask-sentinel');
      const vs = (tool: string) => ({
        wall: ratio(scan?.wallMs, m(tool)?.wallMs),
        cpu: ratio(scan?.cpuMs, m(tool)?.cpuMs),
        rss: ratio(scan?.maxRssKb, m(tool)?.maxRssKb),
      });
      // Start-up excluded. The floor and ruff scripts time their own file loop (ruff-wasm spends seconds
      // compiling its .wasm before the first file); for the scan and bandit, the start-up is taken out by
      // subtracting the same tool's median wall on examples/ (a few hundred lines).
      const work = (tool: string): number | null => {
        const cell = scans.find((s) => s.corpus === c.name && s.tool === tool);
        if (!cell || c.name === 'examples') return null;
        if (cell.selfReportedWorkMs !== null) return cell.selfReportedWorkMs;
        const base = scans.find((s) => s.corpus === 'examples' && s.tool === tool)?.median.wallMs;
        return base === undefined ? null : cell.median.wallMs - base;
      };
      const marginal = (tool: string) => ratio(work('flask-sentinel'), work(tool));
      return {
        corpus: c.name,
        scanOverFloor: vs('floor'),
        scanOverFloorWalk: vs('floor-walk'),
        scanOverRuff: vs('ruff-S'),
        scanOverBandit: vs('bandit'),
        marginalWall: {
          floor: marginal('floor'),
          floorWalk: marginal('floor-walk'),
          ruff: marginal('ruff-S'),
          bandit: marginal('bandit'),
        },
      };
    }),
    typing,
    memory,
    totalSeconds: 0,
  };
  result.totalSeconds = +((performance.now() - started) / 1000).toFixed(1);

  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  // Formatted like the rest of the repository, so `prettier --check .` stays clean after a run.
  const options = (await prettier.resolveConfig(args.out)) ?? {};
  fs.writeFileSync(args.out, await prettier.format(JSON.stringify(result), { ...options, parser: 'json' }));
  if (!args.keep) fs.rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(report({ ...result, codeCache }));
  process.stdout.write(
    `\nJSON: ${path.relative(process.cwd(), args.out)}   total ${result.totalSeconds} s\n`,
  );
}

// ------------------------------------------------------------------------------------------- report

function report(r: {
  machine: ReturnType<typeof machineInfo> & { loadAverageAtEnd: number[] };
  meter: Meter;
  codeCache: string;
  corpora: Corpus[];
  scans: ScanCell[];
  ratios: {
    corpus: string;
    marginalWall: {
      floor: number | null;
      floorWalk: number | null;
      ruff: number | null;
      bandit: number | null;
    };
  }[];
  typing: TypingResult[];
  memory: MemoryResult;
}): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Flask Sentinel benchmark — ${m.cpuModel} × ${m.cores}, ${m.totalMemoryGiB} GiB, ${m.platform}, node ${m.node}`,
    `commit ${m.commit}${m.dirtyWorkingTree ? ' (dirty)' : ''}; load average ${m.loadAverageAtStart.join(' ')} → ${m.loadAverageAtEnd.join(' ')}; CPU/RSS via ${r.meter}; CLI code cache ${r.codeCache}`,
    '',
    'Whole-process scans (median of the repetitions, tools alternated round-robin)',
  );
  const rows: string[][] = [];
  for (const c of r.corpora) {
    for (const s of r.scans.filter((x) => x.corpus === c.name)) {
      const rep = s.reported;
      const found =
        s.tool === 'floor'
          ? `${String(rep.captures)} captures`
          : s.tool === 'floor-walk'
            ? `${String(rep.nodes)} nodes`
            : s.tool === 'ruff-S'
              ? `${String(rep.diagnostics)} diagnostics`
              : `${String(rep.findings)} findings`;
      rows.push([
        `${c.name} (${c.files} files, ${c.lines} lines)`,
        s.tool,
        String(s.samples.length),
        fmt(s.median.wallMs / 1000),
        fmt((s.median.cpuMs ?? NaN) / 1000),
        mib((s.median.maxRssKb ?? NaN) * 1024),
        found,
      ]);
    }
  }
  out.push(table(['corpus', 'tool', 'n', 'wall s', 'cpu s', 'peak RSS MiB', 'reported'], rows), '');

  out.push('Ratios, flask-sentinel scan over each tool (wall / CPU / peak RSS; below 1 = the scan is ahead)');
  const ratioRows = r.corpora.map((c) => {
    const get = (tool: string) => r.scans.find((s) => s.corpus === c.name && s.tool === tool)?.median;
    const scan = get('flask-sentinel');
    const cell = (tool: string) => {
      const o = get(tool);
      if (!o) return 'skipped';
      return `${fmt(ratio(scan?.wallMs, o.wallMs))} / ${fmt(ratio(scan?.cpuMs, o.cpuMs))} / ${fmt(ratio(scan?.maxRssKb, o.maxRssKb))}`;
    };
    return [c.name, cell('floor'), cell('floor-walk'), cell('ruff-S'), cell('bandit')];
  });
  out.push(table(['corpus', 'scan/floor', 'scan/floor-walk', 'scan/ruff-S', 'scan/bandit'], ratioRows));
  const marginalRows = r.ratios
    .filter((x) => x.corpus !== 'examples')
    .map((x) => [
      x.corpus,
      fmt(x.marginalWall.floor),
      fmt(x.marginalWall.floorWalk),
      fmt(x.marginalWall.ruff),
      x.marginalWall.bandit === null ? 'skipped' : fmt(x.marginalWall.bandit),
    ]);
  out.push(
    'Start-up excluded (floor, ruff: their own file-loop time; scan, bandit: wall minus their examples/ wall):',
    table(['corpus', 'scan/floor', 'scan/floor-walk', 'scan/ruff-S', 'scan/bandit'], marginalRows),
    '',
  );

  out.push(
    'Typing: per keystroke, incremental didChange → pulled diagnostics (server), vs the incremental parse alone',
  );
  const tRows: string[][] = [];
  const typingNotes: string[] = [];
  for (const t of r.typing) {
    const label = `${t.lines} lines, ${t.keystrokes}/${t.planned} keys${t.budgetExhausted ? ' (budget)' : ''}`;
    const d = (x: { median: number; p95: number; max: number }) => [fmt(x.median), fmt(x.p95), fmt(x.max)];
    tRows.push([label, 'server: edit → diagnostics', ...d(t.server.keystrokeMs)]);
    tRows.push(['', 'incremental parse alone, each key after the server', ...d(t.server.parseAlongsideMs)]);
    tRows.push(['', 'server, same keys again (warm)', ...d(t.server.warmKeystrokeMs)]);
    tRows.push(['', 'incremental parse alone, alongside the warm keys', ...d(t.server.warmParseAlongsideMs)]);
    tRows.push(['', 'in-process: incremental parse (analysis run)', ...d(t.inProcess.parseMs)]);
    tRows.push(['', 'in-process: analysis (edited statement or file)', ...d(t.inProcess.analysisMs)]);
    tRows.push([
      '',
      'in-process: analysis, keys that change the analysed text',
      ...d(t.inProcess.changedAnalysisMs),
    ]);
    tRows.push(['', 'in-process: parse + analysis', ...d(t.inProcess.parsePlusAnalysisMs)]);
    const ratio = (label: string, median: number, p95: number) => [
      '',
      label,
      `${fmt(median, 1)}×`,
      `${fmt(p95, 1)}×`,
      '',
    ];
    tRows.push(ratio('ratio server / parse', t.ratios.serverOverParseMedian, t.ratios.serverOverParseP95));
    tRows.push(
      ratio('ratio warm server / parse', t.ratios.warmServerOverParseMedian, t.ratios.warmServerOverParseP95),
    );
    tRows.push(['', `partial re-analysis: ${fmt(t.inProcess.partialShare * 100, 0)}% of keys`, '', '', '']);
    tRows.push([
      '',
      `analysed text unchanged (no rule runs): ${fmt(t.inProcess.unchangedShare * 100, 0)}% of keys`,
      '',
      '',
      '',
    ]);
    tRows.push([
      '',
      `answered "unchanged" (findings as they were): ${fmt(t.server.unchangedReportShare * 100, 0)}% of keys`,
      '',
      '',
      '',
    ]);
    const reasons = Object.entries(t.inProcess.wholeFileReasons)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${reason} ×${n}`)
      .join('; ');
    if (reasons) typingNotes.push(`${t.lines} lines, keys analysed as a whole file: ${reasons}`);
    tRows.push([
      '',
      `server: ready ${fmt(t.server.readyMs, 0)} ms, first diagnostics ${fmt(t.server.firstDiagnosticsMs, 0)} ms`,
      '',
      '',
      '',
    ]);
    tRows.push([
      '',
      `server RSS MiB: after open ${mib(t.server.rssBytes.afterOpen)}, peak ${mib(t.server.rssBytes.peak)}, end ${mib(t.server.rssBytes.end)}`,
      '',
      '',
      '',
    ]);
  }
  out.push(table(['file', 'measure (ms)', 'median', 'p95', 'max'], tRows), ...typingNotes, '');

  const mem = r.memory;
  out.push(
    `Memory: ${mem.edits} incremental edits on ${mem.lines} lines through TreeStore (models + rules every ${mem.analyzeEvery} edits), ${fmt(mem.seconds, 0)} s`,
  );
  out.push(
    table(
      ['edit', 'WASM heap MiB', 'RSS MiB', 'JS heap used MiB'],
      mem.samples.map((s) => [String(s.edit), mib(s.wasmHeapBytes), mib(s.rssBytes), mib(s.jsHeapUsedBytes)]),
    ),
  );
  out.push(
    `WASM heap growth after the first 1,000 edits: ${mib(mem.wasmGrowthAfterWarmupBytes)} MiB; RSS: ${mib(mem.rssGrowthAfterWarmupBytes)} MiB`,
  );
  return `${out.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
