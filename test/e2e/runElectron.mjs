// The end-to-end suite (test/e2e/suite) in desktop VS Code, through @vscode/test-electron, for machines that
// can download VS Code (update.code.visualstudio.com) or have one: `npm run build && node test/e2e/runElectron.mjs`.
// The offline machines of this project cannot (there is no Electron VS Code in npm or apt): there,
// `npm run test:e2e` runs the same suite in code-server (scripts/e2e/run.mjs).
//
// Environment: VSCODE_VERSION (default "stable"), VSCODE_EXECUTABLE (use this VS Code instead of downloading
// one). The status-bar comparison of the suite is skipped here (nothing mirrors the workbench DOM for it).
import { runTests } from '@vscode/test-electron';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ROOT, bundleSuite, checkBuild, copyExample } from '../../scripts/e2e/bundle.mjs';

const RESULT_MARKER = '[flask-sentinel-e2e] result';

checkBuild();
const testsPath = await bundleSuite();
const temp = mkdtempSync(join(tmpdir(), 'flask-sentinel-e2e-electron-'));
const workspace = copyExample(join(temp, 'workspace', 'vulnerable-app'));
const userData = join(temp, 'user-data');
mkdirSync(join(userData, 'User'), { recursive: true });
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'git.enabled': false,
  }),
);

// Pass VS Code's output through, and pick mocha's counts out of it.
let counts;
let pending = '';
const stdout = new Writable({
  write(chunk, _encoding, callback) {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf(RESULT_MARKER);
      if (at >= 0) counts = JSON.parse(line.slice(at + RESULT_MARKER.length));
    }
    callback();
  },
});

let exitCode = 1;
try {
  exitCode = await runTests({
    version: process.env.VSCODE_VERSION || 'stable',
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: testsPath,
    stdout,
    launchArgs: [
      workspace,
      '--user-data-dir',
      userData,
      '--disable-extensions', // other extensions; the one under development still loads
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
    ],
  });
} catch (error) {
  console.error(`VS Code tests failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  rmSync(temp, { recursive: true, force: true });
}
const passed = counts?.passed ?? 0;
const failed = counts ? counts.failed : 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode === 0 && failed === 0 ? 0 : 1);
