/**
 * Loads the bundle given on the command line with `loadBundle` and prints, as JSON, how its cache was
 * taken and what the bundle exports; `--cli-flags` first sets the V8 flags the CLI sets (bin.ts). Run in a
 * child process (a code cache is written as a process exits) by test/cli/codeCache.test.ts, and by the
 * bench to say whether this node takes the CLI's cache.
 */
import * as path from 'node:path';
import { scanV8Flags } from '../../server/src/cli/v8Flags';
import { loadBundle } from '../../server/src/cli/codeCache';
import { setFlagsFromString } from 'node:v8';

const [bundleArgument = '', option] = process.argv.slice(2);
if (option === '--cli-flags') for (const flag of scanV8Flags(process.versions.v8)) setFlagsFromString(flag);
const bundle = path.resolve(bundleArgument);
const { exports, cache } = loadBundle(bundle);
const exported = exports as Record<string, unknown>;
const answer = typeof exported.answer === 'function' ? (exported.answer as () => unknown)() : null;
process.stdout.write(JSON.stringify({ outcome: cache, answer, exports: Object.keys(exported).sort() }));
