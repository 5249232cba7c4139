import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/**
 * Loading the CLI's bundle (dist/cliMain.js) with a V8 code cache: the bytecode of the functions a scan
 * runs, written by the build (scripts/build.mjs) as the CLI exits from a scan of examples/. Without it,
 * every thread compiles the 1.5 MB bundle and then each function it calls for the first time. On two
 * cores, 50k-line bench code base, 21 alternated runs: wall 1.24 -> 1.19 s, CPU 2.28 -> 2.19 s, peak RSS
 * +1 MiB; a scan of one file 0.18 -> 0.17 s.
 *
 * The cache is only a shortcut. V8 refuses one made by another V8 version or under other V8 flags on
 * node's command line (those the CLI sets at run time, v8Flags.ts, do not enter its check), and this file
 * ignores one made from other source (a SHA-256 of the bundle heads the cache file: V8 itself compares
 * only the source's length) or damaged. Refused, ignored or missing, the bundle is compiled as usual.
 */
/** The cache file beside a bundle. */
export function codeCachePath(bundle: string): string {
  return `${bundle}.v8cache`;
}

/**
 * When set, `loadBundle` on the main thread writes the cache of each bundle it loads as the process
 * exits: the functions the run compiled. The build sets it for one scan of examples/ (scripts/build.mjs).
 */
export const WRITE_CODE_CACHE_ENV = 'FLASK_SENTINEL_WRITE_CODE_CACHE';

/** Heads a cache file, before the bundle's SHA-256, the data's SHA-256, and V8's data. */
const MAGIC = Buffer.from('flask-sentinel code cache 2\n');
const DIGEST_BYTES = 32;
const DATA_START = MAGIC.length + 2 * DIGEST_BYTES;

function digestOf(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * V8's data from the cache file, if that file was made from the bundle whose SHA-256 is `sourceDigest` and
 * is whole. V8 checks its data's length and header, but in a release build not the data itself: a damaged
 * file would be deserialized.
 */
function readCodeCache(bundle: string, sourceDigest: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = fs.readFileSync(codeCachePath(bundle));
  } catch {
    return undefined;
  }
  if (file.length <= DATA_START || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, MAGIC.length + DIGEST_BYTES).equals(sourceDigest)) return undefined;
  const data = file.subarray(DATA_START);
  return file.subarray(MAGIC.length + DIGEST_BYTES, DATA_START).equals(digestOf(data)) ? data : undefined;
}

function writeCodeCache(bundle: string, sourceDigest: Buffer, data: Buffer): void {
  fs.writeFileSync(codeCachePath(bundle), Buffer.concat([MAGIC, sourceDigest, digestOf(data), data]));
}

/** How a load took the bundle's cache. */
export type CacheOutcome = 'used' | 'refused by V8' | 'none';

/**
 * `require(bundle)` for a CommonJS bundle with no module graph of its own (esbuild's output: it requires
 * only node's built-in modules), compiled from its code cache when there is a valid one: its exports, and
 * how the cache was taken. The bundle must not use `import()`: Node 20 fails it in functions compiled
 * from a cache (the build turns each into a `require`, scripts/build.mjs).
 */
export function loadBundle(bundle: string): { exports: unknown; cache: CacheOutcome } {
  const source = fs.readFileSync(bundle);
  const digest = digestOf(source);
  const cachedData = readCodeCache(bundle, digest);
  const script = new vm.Script(Module.wrap(source.toString('utf8')), {
    filename: bundle,
    cachedData,
  });
  if (process.env[WRITE_CODE_CACHE_ENV] && isMainThread) {
    // At exit, the cache holds every function the run compiled, not only the bundle's top level. Worker
    // threads load the same bundle and do not write it a second time.
    process.once('exit', () => {
      try {
        writeCodeCache(bundle, digest, script.createCachedData());
      } catch (error) {
        // A read-only install: the run itself is done and its exit code stands.
        process.stderr.write(`flask-sentinel: no code cache written for ${bundle}: ${String(error)}\n`);
      }
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} as unknown };
  wrapper.call(
    module.exports,
    module.exports,
    Module.createRequire(bundle),
    module,
    bundle,
    path.dirname(bundle),
  );
  return {
    exports: module.exports,
    cache: !cachedData ? 'none' : script.cachedDataRejected ? 'refused by V8' : 'used',
  };
}
