import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { ConfigError, findPyproject, loadProjectConfig } from '../config/projectConfig';
import { Engine } from '../engine/engine';
import { SEVERITY_RANK } from '../engine/types';
import type { Severity } from '../engine/types';
import { renderRuleDoc, ruleDocFileName, ruleDocUrl } from '../rules/docs';
import { formatGithub } from './formats/github';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import { changedLinesOf, changedSince } from '../git/changedLines';
import type { ChangedFiles } from '../git/changedLines';
import { GitError, gitToplevel, realPath } from '../git/git';
import { BaselineError, loadBaseline, restrictToChanges, subtractBaseline } from './review';
import { scanInParallel } from './parallel';
import { defaultJobs } from './scanThreads';
import { relativePath } from './scan';

// The bundle's second entry point: scan worker threads load this bundle too (scanWorkerEntry.ts says why).
export { serveScanWorker } from './scanWorker';

declare const FLASK_SENTINEL_VERSION: string | undefined;
const VERSION = typeof FLASK_SENTINEL_VERSION === 'string' ? FLASK_SENTINEL_VERSION : '0.0.0-dev';

/** Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration error. */
export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

const USAGE = `Flask Sentinel ${VERSION} — security linter for Flask code

Usage:
  flask-sentinel scan [PATH...] [options]   scan files and folders (default: .)
  flask-sentinel rules [--format text|json]  list the rules
  flask-sentinel docs --out DIR              write one Markdown page per rule
  flask-sentinel --version | --help

Scan options:
  --format text|json|sarif|github   output format (default: text)
  --output FILE                     write the report to FILE instead of stdout
  --select IDS                      only these rules/prefixes, comma-separated (FS201,FS3)
  --ignore IDS                      skip these rules/prefixes
  --fail-on error|warning|info|never
                                    exit 1 when a finding is at least this severe (default: info)
  --config FILE                     pyproject.toml to read [tool.flask-sentinel] from
                                    (default: the nearest one above the first PATH)
  --diff REF                        only findings on lines added or changed since the git revision REF
                                    (committed, staged and unstaged edits, and untracked files);
                                    REF... means the merge base of REF and HEAD
  --baseline FILE                   only findings not in FILE, an earlier --format json or sarif report
  --jobs N, -j N                    threads to analyse with (default: one per core, at most 8)
  --no-color                        plain text output

Exit codes: 0 no findings at the threshold, 1 findings, 2 usage or configuration error.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
  cwd: string;
}

class UsageError extends Error {}

const csv = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * `startedWorkers`: scan worker threads the entry point started before loading the CLI
 * (`bin.ts`), for a scan to take.
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  startedWorkers: readonly Worker[] = [],
): Promise<number> {
  try {
    return await dispatch(argv, io, startedWorkers);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`flask-sentinel: ${error.message}\nRun 'flask-sentinel --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError || error instanceof GitError || error instanceof BaselineError) {
      io.stderr(`flask-sentinel: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

async function dispatch(argv: string[], io: CliIo, startedWorkers: readonly Worker[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return command ? EXIT_CLEAN : EXIT_USAGE;
  }
  if (command === '--version' || command === '-V') {
    io.stdout(`${VERSION}\n`);
    return EXIT_CLEAN;
  }
  switch (command) {
    case 'scan':
      return scanCommand(rest, io, startedWorkers);
    case 'rules':
      return rulesCommand(rest, io);
    case 'docs':
      return docsCommand(rest, io);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function scanCommand(args: string[], io: CliIo, startedWorkers: readonly Worker[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', default: 'text' },
      output: { type: 'string', short: 'o' },
      select: { type: 'string' },
      ignore: { type: 'string' },
      'fail-on': { type: 'string', default: 'info' },
      config: { type: 'string' },
      'no-color': { type: 'boolean', default: false },
      diff: { type: 'string' },
      baseline: { type: 'string' },
      jobs: { type: 'string', short: 'j' },
    },
  });
  const format = String(values.format);
  if (!['text', 'json', 'sarif', 'github'].includes(format)) {
    throw new UsageError(`--format must be one of text, json, sarif, github (got '${format}')`);
  }
  const failOn = String(values['fail-on']);
  if (!['error', 'warning', 'info', 'never'].includes(failOn)) {
    throw new UsageError(`--fail-on must be one of error, warning, info, never (got '${failOn}')`);
  }
  const paths = positionals.length > 0 ? positionals.map((p) => path.resolve(io.cwd, p)) : [io.cwd];
  const configFile = values.config
    ? path.resolve(io.cwd, String(values.config))
    : findPyproject(paths[0] ?? io.cwd);
  if (values.config && !fs.existsSync(configFile ?? ''))
    throw new UsageError(`--config: no such file ${String(values.config)}`);
  const config = configFile ? loadProjectConfig(configFile) : {};
  if (values.diff !== undefined && !values.diff.trim())
    throw new UsageError(
      '--diff needs a git revision, e.g. --diff main, --diff HEAD~1 or --diff origin/main...',
    );
  const baseline = values.baseline ? loadBaseline(path.resolve(io.cwd, values.baseline)) : undefined;
  const changed = values.diff
    ? await changedSince(values.diff.trim(), gitFolder(paths[0] ?? io.cwd))
    : undefined;
  const engine = await Engine.create();
  const select = csv(values.select) ?? config.select;
  const ignore = [...(config.ignore ?? []), ...(csv(values.ignore) ?? [])];
  for (const id of [...(select ?? []), ...ignore]) {
    if (!/^(ALL|FS\d{0,3})$/i.test(id))
      throw new UsageError(`'${id}' is not a rule id or prefix (e.g. FS201, FS2, ALL)`);
  }
  const progress = io.isTty && format !== 'text' ? undefined : io.isTty ? makeProgress(io) : undefined;
  const jobs = values.jobs === undefined ? defaultJobs() : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new UsageError(`--jobs must be a whole number of at least 1 (got '${String(values.jobs)}')`);
  }
  const scanned = await scanInParallel(
    engine,
    {
      paths,
      root: io.cwd,
      ...(select ? { select } : {}),
      ignore,
      ...(config.severity ? { severity: config.severity } : {}),
      ...(config['auth-decorators'] ? { authDecorators: config['auth-decorators'] } : {}),
      ...(config.exclude ? { exclude: config.exclude } : {}),
      ...(config['max-file-size-kb'] ? { maxFileSizeKb: config['max-file-size-kb'] } : {}),
      ...(changed ? { analyze: (file: string) => changedLinesOf(changed, file) !== undefined } : {}),
      ...(progress ? { onProgress: progress } : {}),
      onWarning: (message) => io.stderr(`flask-sentinel: ${message}\n`),
    },
    jobs,
    { started: startedWorkers },
  );
  let result = changed ? restrictToChanges(scanned, changed) : scanned;
  if (changed) {
    const count = changed.files.size;
    io.stderr(
      `Reviewing lines changed since ${values.diff?.trim() ?? ''} (${changed.commit.slice(0, 12)}): ${count} changed file${count === 1 ? '' : 's'} in the repository.\n`,
    );
  }
  if (baseline) {
    const subtracted = subtractBaseline(result, baseline);
    result = subtracted.result;
    io.stderr(
      `Baseline ${String(values.baseline)}: ${subtracted.known} known finding${subtracted.known === 1 ? '' : 's'} left out.\n`,
    );
  }
  const report =
    format === 'json'
      ? formatJson(result, engine.rules, VERSION)
      : format === 'sarif'
        ? formatSarif(result, engine.rules, VERSION)
        : format === 'github'
          ? formatGithub(result, await repositoryPaths(result.root, changed))
          : formatText(result, engine.rules, {
              color: io.isTty && !values['no-color'] && !process.env.NO_COLOR,
            });
  if (values.output) {
    const target = path.resolve(io.cwd, String(values.output));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, report);
    io.stderr(`Report written to ${path.relative(io.cwd, target) || target}\n`);
  } else {
    io.stdout(report);
  }
  if (failOn === 'never') return EXIT_CLEAN;
  const threshold = SEVERITY_RANK[failOn as Severity];
  const failing = result.files.some((f) => f.findings.some((x) => SEVERITY_RANK[x.severity] >= threshold));
  return failing ? EXIT_FINDINGS : EXIT_CLEAN;
}

/** A folder to run git in for a scan path (a file's folder; the nearest existing folder). */
function gitFolder(target: string): string {
  try {
    return fs.statSync(target).isDirectory() ? target : path.dirname(target);
  } catch {
    return path.dirname(target);
  }
}

/**
 * GitHub annotations name files relative to the repository, not to the folder the scan ran in: map report
 * paths (relative to the scan root) onto the repository's top folder when there is one.
 */
async function repositoryPaths(
  root: string,
  changed: ChangedFiles | undefined,
): Promise<((relative: string) => string) | undefined> {
  let toplevel = changed?.toplevel;
  if (!toplevel) {
    try {
      toplevel = await gitToplevel(root);
    } catch {
      return undefined;
    }
  }
  const top = toplevel;
  const realRoot = realPath(root);
  return (relative) => relativePath(top, path.resolve(realRoot, relative));
}

function makeProgress(io: CliIo): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (total < 50 || (now - last < 100 && done < total)) return;
    last = now;
    io.stderr(`\rScanning ${done}/${total} files${done === total ? '\n' : ''}`);
  };
}

async function rulesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse({ args, strict: true, options: { format: { type: 'string', default: 'text' } } });
  const engine = await Engine.create();
  if (values.format === 'json') {
    io.stdout(
      JSON.stringify(
        engine.rules.map((r) => ({ ...r.meta, docsUrl: ruleDocUrl(r.meta) })),
        null,
        2,
      ) + '\n',
    );
    return EXIT_CLEAN;
  }
  for (const { meta } of engine.rules) {
    io.stdout(
      `${meta.id}  ${meta.name.padEnd(36)} ${meta.severity.padEnd(8)} ${meta.cwe.join(',').padEnd(18)} ${meta.title}\n`,
    );
  }
  return EXIT_CLEAN;
}

const README_START = '<!-- rules:start (generated by npm run gen:docs) -->';
const README_END = '<!-- rules:end -->';

/** Rewrites the rule table between the markers of the project README, so its rule list cannot drift. */
function updateReadme(readme: string, docsDir: string, engine: Engine): void {
  const text = fs.readFileSync(readme, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start)
    throw new UsageError(`${readme} has no ${README_START} ... ${README_END} section`);
  const rows = ['| Rule | Name | What it finds | Severity | CWE | Fix |', '|---|---|---|---|---|---|'];
  for (const { meta } of engine.rules) {
    const link = `${docsDir.split(path.sep).join('/')}/${ruleDocFileName(meta)}`;
    rows.push(
      `| [${meta.id}](${link}) | ${meta.name} | ${meta.title} | ${meta.severity} | ${meta.cwe.join(', ')} | ${meta.fix ? 'yes' : ''} |`,
    );
  }
  fs.writeFileSync(
    readme,
    `${text.slice(0, start + README_START.length)}\n${rows.join('\n')}\n${text.slice(end)}`,
  );
}

async function docsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse({
    args,
    strict: true,
    options: { out: { type: 'string' }, readme: { type: 'string' } },
  });
  if (!values.out) throw new UsageError('docs needs --out DIR');
  const out = path.resolve(io.cwd, String(values.out));
  fs.mkdirSync(out, { recursive: true });
  const engine = await Engine.create();
  const index = [
    '# Flask Sentinel rules',
    '',
    '| Rule | Name | Severity | CWE | OWASP |',
    '|---|---|---|---|---|',
  ];
  for (const { meta } of engine.rules) {
    fs.writeFileSync(path.join(out, ruleDocFileName(meta)), renderRuleDoc(meta));
    index.push(
      `| [${meta.id}](${ruleDocFileName(meta)}) | ${meta.name} | ${meta.severity} | ${meta.cwe.join(', ')} | ${meta.owasp.join(', ')} |`,
    );
  }
  fs.writeFileSync(path.join(out, 'README.md'), index.join('\n') + '\n');
  if (values.readme)
    updateReadme(
      path.resolve(io.cwd, values.readme),
      path.relative(path.dirname(path.resolve(io.cwd, values.readme)), out),
      engine,
    );
  io.stderr(`Wrote ${engine.rules.length} rule pages to ${path.relative(io.cwd, out) || out}\n`);
  return EXIT_CLEAN;
}
