import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SEARCH_APP_IN_DEBUG } from '../helpers/apps';
import { makeTree } from '../helpers/cli';
import { LspClient, fileUri } from '../helpers/lspClient';

// Mirrors PROJECT_LOOKUP_TTL_MS in server/src/lsp/settings.ts (the server runs as its own process).
const LOOKUP_TTL_MS = 1000;

const APP = SEARCH_APP_IN_DEBUG;

const ignoring = (rule: string) => `[tool.flask-sentinel]\nignore = ["${rule}"]\n`;

describe('language server: pyproject.toml settings', () => {
  let root: string;
  let pyproject: string;
  let client: LspClient;
  let uri: string;
  let version = 1;
  const codes = async () => (await client.pull(uri)).map((d) => String(d.code)).sort();
  const touch = async () => {
    version++;
    await client.change(uri, version, [{ text: `${APP}\n# edit ${version}\n` }]);
  };

  before(async () => {
    root = makeTree({ 'app.py': APP, 'pyproject.toml': ignoring('FS101') });
    pyproject = path.join(root, 'pyproject.toml');
    client = await LspClient.start({ pull: true, workspaceFolders: [root] });
    uri = fileUri(path.join(root, 'app.py'));
    await client.open(uri, APP, version);
  });
  after(async () => {
    await client.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('applies the project file, and a change the client reports at once', async () => {
    assert.deepEqual(await codes(), ['FS201']);
    fs.writeFileSync(pyproject, ignoring('FS201'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: fileUri(pyproject), type: 2 }],
    });
    assert.deepEqual(await codes(), ['FS101']);
  });

  it('sees an edit the client does not report at the next keystroke after the lookup expires', async () => {
    fs.writeFileSync(pyproject, '[tool.flask-sentinel]\n');
    await new Promise((resolve) => setTimeout(resolve, LOOKUP_TTL_MS + 100));
    await touch();
    assert.deepEqual(await codes(), ['FS101', 'FS201']);
  });
});
