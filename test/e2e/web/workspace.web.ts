import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { FlaskSentinelApi } from '../../../client/src/web/extension';
import { equal, ok } from './assert';
import {
  describeFindings,
  extensionApi,
  fileUri,
  openFile,
  ruleOf,
  waitFor,
  waitForFindings,
} from './helpers';

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

describe('web extension: the workspace, read through vscode.workspace.fs', () => {
  let api: FlaskSentinelApi;
  before(async () => {
    api = await extensionApi();
  });

  it('reports the findings of files that are not open (workspace diagnostics)', async () => {
    const uri = fileUri('app/directory.py');
    ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()),
      'app/directory.py is not open',
    );
    const diagnostics = await waitForFindings(
      uri,
      (ds) => ['FS208', 'FS209'].every((r) => ds.some((d) => ruleOf(d) === r)),
      'FS208 and FS209',
    );
    ok(diagnostics.length >= 2, describeFindings(uri));
  });

  it('lists the routes of every file, with their protection', async () => {
    const routes = await waitFor(async () => {
      const all = await api.routes();
      return all.some((r) => r.uri.endsWith('/app/reports.py')) ? all : undefined;
    }, 'the routes of app/reports.py (a file that is not open)');
    const send = routes.find((r) => r.rule === '/wallet/send');
    ok(send?.auth.protected, `/wallet/send is protected by @login_required: ${JSON.stringify(send)}`);
    const restore = routes.find((r) => r.rule === '/restore');
    ok(restore && !restore.auth.protected, `/restore has no auth: ${JSON.stringify(restore)}`);
  });

  it('counts an auth decorator defined in a file that is not open, once that file is written', async () => {
    await vscode.workspace.fs.writeFile(fileUri('app/notes.py'), new TextEncoder().encode(NOTES));
    const doc = await openFile('app/notes.py');
    await waitForFindings(
      doc.uri,
      (ds) => ds.some((d) => ruleOf(d) === 'FS501'),
      'FS501 (members_gate unknown)',
    );
    // The decorator's file is created and never opened: the client reads it and sends it to the server.
    await vscode.workspace.fs.writeFile(fileUri('app/guards.py'), new TextEncoder().encode(GUARD));
    await waitForFindings(doc.uri, (ds) => !ds.some((d) => ruleOf(d) === 'FS501'), 'FS501 gone');
    equal(
      vscode.workspace.textDocuments.some((d) => d.uri.path.endsWith('/app/guards.py')),
      false,
      'app/guards.py was never opened',
    );
  });

  it('shows every finding with changedLinesOnly on: there is no git in the browser', async () => {
    const config = vscode.workspace.getConfiguration('flaskSentinel');
    await config.update('changedLinesOnly', true, vscode.ConfigurationTarget.Workspace);
    try {
      const doc = await openFile('run.py');
      await waitForFindings(
        doc.uri,
        (ds) => ['FS101', 'FS103'].every((r) => ds.some((d) => ruleOf(d) === r)),
        'FS101 and FS103 with changedLinesOnly',
      );
    } finally {
      await config.update('changedLinesOnly', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
