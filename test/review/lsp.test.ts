import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LspClient, fileUri } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';
import { Repo } from './repo';

const APP = `from flask import Flask, request
import os

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host")
    os.system("ping -c 1 " + host)
    return "ok"
`;

/** The same app with a new line at the end: the only change against the committed version. */
const EDITED = `${APP}\n\napp.run(debug=True)\n`;

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => String(d.code)).sort();
const findingCodes = (diagnostics: Diagnostic[]) => codes(diagnostics.filter((d) => d.code !== undefined));

describe('language server: flaskSentinel.changedLinesOnly', () => {
  let repo: Repo;
  let client: LspClient;
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'flask-sentinel-nogit-'));

  before(async () => {
    repo = new Repo({ 'app.py': APP, 'pkg/other.py': APP });
    repo.commit('base');
    client = await LspClient.start({
      pull: false,
      configuration: true,
      settings: { changedLinesOnly: true },
      workspaceFolders: [repo.root],
    });
  });
  after(async () => {
    await client.stop();
    repo.dispose();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('shows only the findings on lines the unsaved document changed against HEAD', async () => {
    const uri = fileUri(repo.path('app.py'));
    await client.open(uri, EDITED);
    const shown = await client.pushedFor(uri, 1);
    assert.deepEqual(findingCodes(shown), ['FS101']);
    assert.equal(shown[0]?.range.start.line, 13);

    // Typing above the finding moves it; it stays the one changed line.
    await client.change(uri, 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# note\n' },
    ]);
    const moved = await client.pushedFor(uri, 2);
    assert.deepEqual(findingCodes(moved), ['FS101']);

    // Editing the vulnerable line makes its finding "changed" too.
    await client.change(uri, 3, [{ text: `# note\n${EDITED.replace('ping -c 1', 'ping -c 2')}` }]);
    assert.deepEqual(findingCodes(await client.pushedFor(uri, 3)), ['FS101', 'FS202']);

    // Turning the setting off shows everything again.
    client.settings = { changedLinesOnly: false };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.change(uri, 4, [{ text: EDITED }]);
    const all = await client.waitForPushed(uri, (d) => d.some((x) => x.code === 'FS202'), 'every finding');
    assert.deepEqual(findingCodes(all), ['FS101', 'FS202']);
    client.settings = { changedLinesOnly: true };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.waitForPushed(uri, (d) => !d.some((x) => x.code === 'FS202'), 'filtered again');
    await client.close(uri);
  });

  it('an unchanged file shows nothing; a file HEAD does not have shows everything', async () => {
    const unchanged = fileUri(repo.path('pkg/other.py'));
    await client.open(unchanged, APP);
    assert.deepEqual(findingCodes(await client.pushedFor(unchanged, 1)), []);
    const fresh = fileUri(repo.path('pkg/new_module.py')); // not even on disk yet
    await client.open(fresh, EDITED);
    assert.deepEqual(findingCodes(await client.pushedFor(fresh, 1)), ['FS101', 'FS202']);
    await client.close(unchanged);
    await client.close(fresh);
  });

  it('follows the base when it moves (a commit), and honours changedLinesBase', async () => {
    const uri = fileUri(repo.path('app.py'));
    repo.write({ 'app.py': EDITED });
    await client.open(uri, EDITED);
    assert.deepEqual(findingCodes(await client.pushedFor(uri, 1)), ['FS101']);
    repo.commit('run the app');
    // What the editor's file watcher reports when HEAD moves.
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: fileUri(repo.path('.git/refs/heads/main')), type: 2 }],
    });
    await client.waitForPushed(
      uri,
      (d) => findingCodes(d).length === 0,
      'nothing changed against the new HEAD',
    );

    client.settings = { changedLinesOnly: true, changedLinesBase: 'HEAD~1' };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const againstParent = await client.waitForPushed(
      uri,
      (d) => findingCodes(d).length > 0,
      'against HEAD~1',
    );
    assert.deepEqual(findingCodes(againstParent), ['FS101']);
    client.settings = { changedLinesOnly: true };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.close(uri);
  });

  it('outside a repository, or with a base that does not exist, shows everything and says why once', async () => {
    const first = fileUri(path.join(outside, 'a.py'));
    const second = fileUri(path.join(outside, 'b.py'));
    await client.open(first, APP);
    assert.deepEqual(findingCodes(await client.pushedFor(first, 1)), ['FS202']);
    await client.open(second, APP);
    assert.deepEqual(findingCodes(await client.pushedFor(second, 1)), ['FS202']);
    const notes = client.logs.filter((l) => l.includes('changed-lines filter off') && l.includes(outside));
    assert.equal(notes.length, 1, client.logs.join('\n'));
    assert.match(notes[0] ?? '', /not inside a git repository/);
    await client.close(first);
    await client.close(second);

    client.settings = { changedLinesOnly: true, changedLinesBase: 'no-such-branch' };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const uri = fileUri(repo.path('pkg/other.py'));
    await client.open(uri, APP);
    assert.deepEqual(findingCodes(await client.pushedFor(uri, 1)), ['FS202']);
    await client.waitFor(
      () => client.logs.find((l) => l.includes("'no-such-branch' is not a commit")),
      'a note about the unknown base',
    );
    await client.close(uri);
  });
});

describe('language server: changedLinesOnly with pull diagnostics', () => {
  it('filters document pulls and workspace reports of closed files alike', async () => {
    const repo = new Repo({ 'app.py': APP, 'closed.py': APP, 'closed_edited.py': APP });
    repo.commit('base');
    repo.write({ 'closed_edited.py': EDITED });
    const client = await LspClient.start({
      pull: true,
      configuration: true,
      settings: { changedLinesOnly: true },
      workspaceFolders: [repo.root],
    });
    try {
      const uri = fileUri(repo.path('app.py'));
      await client.open(uri, EDITED);
      assert.deepEqual(findingCodes(await client.pull(uri)), ['FS101']);
      const report = await client.request<{ items: { uri: string; items?: Diagnostic[] }[] }>(
        'workspace/diagnostic',
        { previousResultIds: [] },
      );
      const byFile = Object.fromEntries(
        report.items.map((i) => [path.basename(i.uri), findingCodes(i.items ?? [])]),
      );
      assert.deepEqual(byFile, { 'closed.py': [], 'closed_edited.py': ['FS101'] });
    } finally {
      await client.stop();
      repo.dispose();
    }
  });
});
