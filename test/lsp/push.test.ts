import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTree } from '../helpers/cli';
import { LspClient, fileUri } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';

const APP = `from flask import Flask, request
import sqlite3

app = Flask(__name__)


@app.route("/search")
def search():
    term = request.args.get("q", "")
    conn = sqlite3.connect("shop.db")
    return conn.execute(f"SELECT * FROM t WHERE name = '{term}'").fetchall()


@app.route("/delete", methods=["POST"])
def delete():
    return "ok"


app.run(debug=True)
`;

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => String(d.code)).sort();

describe('language server: push diagnostics and settings', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ pull: false, configuration: true });
  });
  after(() => client.stop());

  it('pushes diagnostics on open, debounced on change, never for a superseded version', async () => {
    const uri = 'untitled:push-basic.py';
    await client.open(uri, APP);
    assert.deepEqual(codes(await client.pushedFor(uri, 1)), ['FS101', 'FS201', 'FS501']);
    const before = client.pushHistory.length;
    // Three quick edits: only the last version is analysed and published.
    for (let version = 2; version <= 4; version++) {
      await client.change(uri, version, [
        { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' },
      ]);
    }
    const latest = await client.pushedFor(uri, 4);
    assert.equal(latest.find((d) => d.code === 'FS201')?.range.start.line, 13);
    const published = client.pushHistory.slice(before).filter((p) => p.uri === uri);
    assert.deepEqual(
      published.map((p) => p.version),
      [4],
    );
    await client.close(uri);
    await client.waitFor(
      () => (client.pushed.get(uri)?.diagnostics.length === 0 ? true : undefined),
      'cleared',
    );
  });

  it('applies workspace/configuration settings, and names an invalid key without stopping', async () => {
    const uri = 'untitled:push-settings.py';
    await client.open(uri, APP);
    await client.pushedFor(uri, 1);
    client.settings = { ignore: ['FS2'], severity: { FS101: 'info' } };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const ignored = await client.waitForPushed(uri, (d) => !d.some((x) => x.code === 'FS201'), 'FS2 ignored');
    assert.deepEqual(codes(ignored), ['FS101', 'FS501']);
    assert.equal(ignored.find((d) => d.code === 'FS101')?.severity, 3);

    client.settings = { select: 42, ignore: ['FS5'], maxFileSizeKb: 'big' };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const message = await client.waitFor(
      () => client.messages.find((m) => m.message.includes('flaskSentinel.select')),
      'a message naming flaskSentinel.select',
    );
    assert.equal(message.type, 2); // warning
    await client.waitFor(
      () => client.messages.find((m) => m.message.includes('flaskSentinel.maxFileSizeKb')),
      'a message naming flaskSentinel.maxFileSizeKb',
    );
    // The valid key still applies; the invalid ones fall back to their defaults (select = every rule).
    const after = await client.waitForPushed(uri, (d) => !d.some((x) => x.code === 'FS501'), 'FS5 ignored');
    assert.deepEqual(codes(after), ['FS101', 'FS201']);
    // One message per problem, not one per document or per analysis.
    const count = client.messages.filter((m) => m.message.includes('flaskSentinel.select')).length;
    await client.open('untitled:push-settings-2.py', APP);
    await client.pushedFor('untitled:push-settings-2.py', 1);
    assert.equal(client.messages.filter((m) => m.message.includes('flaskSentinel.select')).length, count);

    client.settings = { enable: false };
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.waitForPushed(uri, (d) => d.length === 0, 'disabled');
    client.settings = {};
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await client.waitForPushed(uri, (d) => d.length === 3, 'enabled again');
    await client.close(uri);
    await client.close('untitled:push-settings-2.py');
  });

  it('survives hostile input and keeps answering', async () => {
    const huge = 'x = 1\n'.repeat(1_800_000); // ~10 MB
    await client.open('untitled:huge.py', huge);
    const hugeDiagnostics = await client.pushedFor('untitled:huge.py', 1, 20_000);
    assert.equal(hugeDiagnostics.length, 1);
    assert.match(hugeDiagnostics[0]!.message, /larger than the 1024 KiB limit.*maxFileSizeKb/);

    await client.open('untitled:binary.py', 'import os\n\0\0\x01\x02garbage\0\xff');
    const binary = await client.pushedFor('untitled:binary.py', 1);
    assert.equal(binary.length, 1);
    assert.match(binary[0]!.message, /NUL bytes/);

    const nested = `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n` + APP;
    await client.open('untitled:nested.py', nested);
    await client.pushedFor('untitled:nested.py', 1, 20_000);

    const surrogates = `${APP}\ns = "\ud800 lone \udfff"  # \ud83d\n`;
    await client.open('untitled:surrogates.py', surrogates);
    assert.ok((await client.pushedFor('untitled:surrogates.py', 1)).some((d) => d.code === 'FS201'));

    // Edits inside a huge document (no tree is kept for it) and a request afterwards.
    await client.change('untitled:huge.py', 2, [
      { range: { start: { line: 5, character: 0 }, end: { line: 5, character: 0 } }, text: '\0' },
    ]);
    const hover = await client.request('textDocument/hover', {
      textDocument: { uri: 'untitled:surrogates.py' },
      position: { line: 0, character: 0 },
    });
    assert.equal(hover, null);
    assert.equal(client.exitCode, undefined);
    for (const name of ['huge', 'binary', 'nested', 'surrogates']) await client.close(`untitled:${name}.py`);
  });
});

describe('language server: workspace facts', () => {
  let root: string;
  let client: LspClient;
  const auth = `from functools import wraps
from flask import abort
from flask_login import current_user


def must_be_member(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(403)
        return view(*args, **kwargs)
    return wrapper
`;
  const views = `from flask import Flask
from .auth import must_be_member

app = Flask(__name__)


@app.route("/delete", methods=["POST"])
@must_be_member
def delete():
    return "ok"
`;
  before(async () => {
    root = makeTree({ 'pkg/auth.py': auth, 'pkg/views.py': views, 'pkg/__init__.py': '' });
    client = await LspClient.start({ pull: false, workspaceFolders: [root] });
  });
  after(async () => {
    await client.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('a decorator defined in another file protects views, and watched-file changes keep that current', async () => {
    const uri = fileUri(path.join(root, 'pkg/views.py'));
    await client.open(uri, views);
    await client.waitForPushed(
      uri,
      (d) => !d.some((x) => x.code === 'FS501'),
      'no FS501 once the workspace is scanned',
    );
    const { routes } = await client.request<{
      routes: { view: string; uri: string; auth: { by: string } }[];
    }>('flaskSentinel/routes', {});
    assert.deepEqual(
      routes.map((r) => [r.view, r.auth.by]),
      [['delete', 'must_be_member']],
    );
    // The decorator stops checking anything: views.py must be re-analysed and flagged.
    fs.writeFileSync(path.join(root, 'pkg/auth.py'), 'def must_be_member(view):\n    return view\n');
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: fileUri(path.join(root, 'pkg/auth.py')), type: 2 }],
    });
    await client.waitForPushed(
      uri,
      (d) => d.some((x) => x.code === 'FS501'),
      'FS501 after the decorator changed',
    );
  });
});
