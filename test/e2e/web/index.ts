// The entry point @vscode/test-web loads as `extensionTestsPath` in the web extension host (a web worker):
// bundled for the browser with the test files by scripts/e2e/web-run.mjs into dist/e2e/web/suite.js. Mocha's
// browser build (which sets up the globals the test files call through `mocha` imports, see web-run.mjs) runs
// the tests; the counts go out on one line the runner reads.
import 'mocha/mocha.js';

export const START_MARKER = '[flask-sentinel-web] start';
export const RESULT_MARKER = '[flask-sentinel-web] result';

interface BrowserMocha {
  setup(options: { ui: string; reporter?: string; color?: boolean; timeout?: number }): void;
  run(done: (failures: number) => void): { stats?: { passes: number; failures: number; pending: number } };
}

export function run(): Promise<void> {
  const mocha = (globalThis as unknown as { mocha: BrowserMocha }).mocha;
  mocha.setup({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000 });
  // Required only now: their describe/it are the globals mocha.setup just made.
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('./diagnostics.web');
  require('./fixes.web');
  require('./workspace.web');
  require('./chat.web');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new Promise((resolve, reject) => {
    console.log(START_MARKER);
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      console.log(
        `${RESULT_MARKER} ${JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending })}`,
      );
      if (failures > 0) reject(new Error(`${failures} web extension tests failed`));
      else resolve();
    });
  });
}
