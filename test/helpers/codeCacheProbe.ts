/**
 * Run in a child process by test/cli/codeCache.test.ts (a code cache is written as a process exits):
 * loads the bundle given on the command line with `loadBundle` and prints, as JSON, how its cache was
 * taken and what the bundle exports. `--cli-flags` first sets the V8 flags the CLI sets (bin.ts).
 */
import * as path from 'node:path';
import { scanV8Flags } from '../../server/src/cli/v8Flags';
import { codeCacheOutcome, loadBundle } from '../../server/src/cli/codeCache';
import { setFlagsFromString } from 'node:v8';

const [bundleArgument = '', option] = process.argv.slice(2);
if (option === '--cli-flags') for (const flag of scanV8Flags(process.versions.v8)) setFlagsFromString(flag);
const bundle = path.resolve(bundleArgument);
const exported = loadBundle(bundle) as Record<string, unknown>;
const answer = typeof exported.answer === 'function' ? (exported.answer as () => unknown)() : null;
process.stdout.write(
  JSON.stringify({ outcome: codeCacheOutcome(bundle), answer, exports: Object.keys(exported).sort() }),
);
