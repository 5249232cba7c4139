import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LspClient } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';
import type { RouteInfo, WorkspaceFilesParams } from '../../server/src/lsp/protocol';
import { WORKSPACE_FILES_NOTIFICATION } from '../../server/src/lsp/protocol';

// The web extension's server: no disk, the client sends the workspace's files (github.dev's URIs here).
const ROOT = 'vscode-vfs://github/acme/shop';
const SERVER_ARGS = [
  '--import',
  'tsx',
  path.join(__dirname, '..', 'helpers', 'browserHostServer.ts'),
  '--stdio',
];

const GUARD = `from functools import wraps
from flask import abort
from flask_login import current_user


def members_gate(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_member:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
`;

const NOTES = `from flask import Blueprint, request
from .guards import members_gate

notes = Blueprint("notes", __name__)


@notes.route("/notes", methods=["POST"])
@members_gate
def add_note():
    return {"note": request.form["note"]}
`;

const RUN = `from flask import Flask

app = Flask(__name__)
app.run(debug=True)
`;

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => String(d.code)).sort();

describe('language server on the web worker host (files sent by the client)', () => {
  let client: LspClient;
  const send = (params: WorkspaceFilesParams) =>
    client.connection.sendNotification(WORKSPACE_FILES_NOTIFICATION, params);
  const file = (relative: string, text: string) => ({
    uri: `${ROOT}/${relative}`,
    size: Buffer.byteLength(text),
    text,
  });

  before(async () => {
    client = await LspClient.start({ pull: true, serverArgs: SERVER_ARGS, workspaceFolderUris: [ROOT] });
  });
  after(() => client.stop());

  it('analyses an open document of a virtual file system', async () => {
    await client.open(`${ROOT}/app/notes.py`, NOTES);
    assert.deepEqual(codes(await client.pull(`${ROOT}/app/notes.py`)), ['FS501']);
  });

  it('takes workspace facts from a file the client sent (a custom auth decorator)', async () => {
    const refreshes = client.refreshes;
    await send({ files: [file('app/guards.py', GUARD)] });
    await client.waitFor(() => (client.refreshes > refreshes ? true : undefined), 'a diagnostics refresh');
    assert.deepEqual(codes(await client.pull(`${ROOT}/app/notes.py`)), []);
  });

  it('reports files that are not open, lists their routes, and forgets deleted ones', async () => {
    await send({ files: [file('run.py', RUN), file('.venv/lib/skipped.py', RUN)] });
    const report = await client.request<{ items: { uri: string; kind: string; items?: Diagnostic[] }[] }>(
      'workspace/diagnostic',
      { previousResultIds: [] },
    );
    const run = report.items.find((i) => i.uri === `${ROOT}/run.py`);
    assert.deepEqual(codes(run?.items ?? []), ['FS101']);
    assert.ok(!report.items.some((i) => i.uri.includes('.venv')), 'virtual environments are skipped');
    const { routes } = await client.request<{ routes: RouteInfo[] }>('flaskSentinel/routes', {});
    const notes = routes.find((r) => r.rule === '/notes');
    assert.equal(notes?.uri, `${ROOT}/app/notes.py`);
    assert.deepEqual(notes?.auth, { protected: true, by: 'members_gate' });

    const refreshes = client.refreshes;
    await send({ deleted: [`${ROOT}/app/guards.py`] });
    await client.waitFor(() => (client.refreshes > refreshes ? true : undefined), 'a diagnostics refresh');
    assert.deepEqual(codes(await client.pull(`${ROOT}/app/notes.py`)), ['FS501']);
  });

  it('says why a file is not analysed (too large, not UTF-8)', async () => {
    await client.change(`${ROOT}/app/notes.py`, 2, [{ text: NOTES }]);
    await send({
      files: [
        { uri: `${ROOT}/big.py`, size: 5 * 1024 * 1024 },
        { uri: `${ROOT}/latin1.py`, size: 10, reason: 'not valid UTF-8 (re-save it as UTF-8 to scan it)' },
      ],
    });
    const report = await client.request<{ items: { uri: string; items?: Diagnostic[] }[] }>(
      'workspace/diagnostic',
      { previousResultIds: [] },
    );
    const message = (name: string) =>
      report.items.find((i) => i.uri === `${ROOT}/${name}`)?.items?.[0]?.message ?? '';
    assert.match(message('big.py'), /larger than the 1024 KiB limit/);
    assert.match(message('latin1.py'), /not valid UTF-8/);
  });
});
