// The entry point VS Code loads as `extensionTestsPath` (bundled to dist/e2e/suite/index.js by
// scripts/e2e/bundle.mjs): runs every *.e2e.js beside it with mocha, inside the extension host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Lines the code-server driver looks for: where the suite's output starts, and its counts (mocha's own
 * summary is for people). */
export const START_MARKER = '[flask-sentinel-e2e] start';
export const RESULT_MARKER = '[flask-sentinel-e2e] result';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000 });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.e2e.js'))
    .sort();
  if (files.length === 0) return Promise.reject(new Error(`no *.e2e.js test files in ${__dirname}`));
  for (const file of files) mocha.addFile(path.join(__dirname, file));
  return new Promise((resolve, reject) => {
    console.log(`${START_MARKER} ${files.join(' ')}`);
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
        console.log(
          `${RESULT_MARKER} ${JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending })}`,
        );
        if (failures > 0) reject(new Error(`${failures} end-to-end tests failed`));
        else resolve();
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
