import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/**
 * Whole-process measurements of a child: wall time (taken here, around the spawn), CPU time (user + sys) and
 * peak RSS (taken by the kernel: `wait4` rusage of the child, so worker threads and child processes count).
 *
 * Node cannot read a child's rusage, so the child is started under a meter: GNU `/usr/bin/time -f` when it
 * exists, else a three-line python3 wrapper reading `RUSAGE_CHILDREN`, else nothing (wall time only).
 */
export type Meter = 'gnu-time' | 'python3' | 'none';

export interface ProcessSample {
  wallMs: number;
  userMs: number | null;
  sysMs: number | null;
  cpuMs: number | null;
  maxRssKb: number | null;
  exitCode: number;
}

const PY_METER = `import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(json.dumps({"user": r.ru_utime, "sys": r.ru_stime, "maxrss": r.ru_maxrss}))
sys.exit(code)
`;

export function detectMeter(): Meter {
  const probe = path.join(os.tmpdir(), `fs-bench-meter-${process.pid}`);
  try {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', probe, 'true'], { stdio: 'ignore' });
    if (r.status === 0 && /^\d+\s*$/.test(fs.readFileSync(probe, 'utf8'))) return 'gnu-time';
  } catch {
    // no GNU time
  } finally {
    fs.rmSync(probe, { force: true });
  }
  const py = spawnSync('python3', ['-c', 'import resource'], { stdio: 'ignore' });
  return py.status === 0 ? 'python3' : 'none';
}

export interface RunOptions {
  /** The child's stdout goes to this file (the report; parsed afterwards for counts). */
  stdoutFile: string;
  stderrFile: string;
  cwd?: string;
  /** Exit codes that mean "ran to completion" (bandit exits 1 when it finds something). */
  okCodes?: readonly number[];
}

export function measureProcess(
  meter: Meter,
  command: string,
  args: readonly string[],
  options: RunOptions,
): ProcessSample {
  const stats = `${options.stdoutFile}.rusage`;
  let file = command;
  let argv = [...args];
  if (meter === 'gnu-time') {
    file = '/usr/bin/time';
    argv = ['-f', '%U %S %M', '-o', stats, command, ...args];
  } else if (meter === 'python3') {
    file = 'python3';
    argv = ['-c', PY_METER, stats, command, ...args];
  }
  const out = fs.openSync(options.stdoutFile, 'w');
  const err = fs.openSync(options.stderrFile, 'w');
  const started = performance.now();
  const result = spawnSync(file, argv, { stdio: ['ignore', out, err], cwd: options.cwd });
  const wallMs = performance.now() - started;
  fs.closeSync(out);
  fs.closeSync(err);
  const exitCode = result.status ?? -1;
  if (result.error) throw result.error;
  if (!(options.okCodes ?? [0]).includes(exitCode)) {
    const stderr = fs.readFileSync(options.stderrFile, 'utf8').slice(-2000);
    throw new Error(`${command} ${args.join(' ')} exited with ${exitCode}\n${stderr}`);
  }
  let userMs: number | null = null;
  let sysMs: number | null = null;
  let maxRssKb: number | null = null;
  if (meter === 'gnu-time') {
    // GNU time may write "Command exited with non-zero status N" first: the figures are on the last line.
    const last = fs.readFileSync(stats, 'utf8').trim().split('\n').pop() ?? '';
    const [u, s, m] = last.split(/\s+/).map(Number);
    userMs = (u ?? NaN) * 1000;
    sysMs = (s ?? NaN) * 1000;
    maxRssKb = m ?? null;
  } else if (meter === 'python3') {
    const r = JSON.parse(fs.readFileSync(stats, 'utf8')) as { user: number; sys: number; maxrss: number };
    userMs = r.user * 1000;
    sysMs = r.sys * 1000;
    maxRssKb = r.maxrss;
  }
  fs.rmSync(stats, { force: true });
  return {
    wallMs,
    userMs,
    sysMs,
    cpuMs: userMs !== null && sysMs !== null ? userMs + sysMs : null,
    maxRssKb,
    exitCode,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

/** Resident set size of a live process, from /proc (Linux only; null elsewhere or once it exited). */
export function rssOfPid(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
