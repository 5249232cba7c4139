import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import type { RouteInfo } from '../../../server/src/lsp/protocol';
import { EXTENSION_ID, SOURCE, extensionApi, fileUri, openFile, statusBarMirror, waitFor } from './helpers';

const COMMANDS = [
  'flaskSentinel.scanWorkspace',
  'flaskSentinel.restartServer',
  'flaskSentinel.showRules',
  'flaskSentinel.openRuleDocs',
  'flaskSentinel.showOutput',
  'flaskSentinel.refreshRoutes',
];

/** A route protected by a decorator, added to the workspace copy by the test. */
const STAFF_PY = `from flask import Blueprint
from flask_login import login_required

staff = Blueprint("staff", __name__)


@staff.route("/staff/users/<int:user_id>", methods=["DELETE"])
@login_required
def remove_user(user_id):
    return "", 204
`;

describe('the extension', () => {
  before(async () => {
    await extensionApi();
  });

  it('is active and registers its commands', async () => {
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    const commands = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !commands.has(c));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });

  it('rules() lists every rule with its metadata', async () => {
    const rules = await (await extensionApi()).rules();
    assert.ok(rules.length >= 40, `only ${rules.length} rules`);
    const ids = rules.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'rule ids are unique');
    for (const rule of rules) {
      assert.match(rule.id, /^FS\d{3}$/);
      assert.ok(rule.name && rule.title && rule.summary, `${rule.id} has a name, title and summary`);
      assert.ok(['error', 'warning', 'info'].includes(rule.severity), `${rule.id} severity ${rule.severity}`);
    }
    assert.equal(rules.find((r) => r.id === 'FS201')?.severity, 'error');
    assert.equal(rules.find((r) => r.id === 'FS405')?.hasFix, true);
  });

  it('findings() counts the workspace diagnostics, and the status bar shows the same count', async function () {
    const api = await extensionApi();
    // The workspace report covers files that are not open too, so the count goes well past one file's.
    await waitFor(() => api.findings().total >= 20, {
      what: 'at least 20 findings in the workspace',
      detail: () => JSON.stringify(api.findings()),
    });
    const recount = () => {
      let total = 0;
      for (const [, ds] of vscode.languages.getDiagnostics()) {
        total += ds.filter((d) => d.source === SOURCE && d.code !== undefined).length;
      }
      return total;
    };
    const counts = await waitFor(
      () => {
        const c = api.findings();
        return c.total === recount() ? c : undefined;
      },
      { what: 'findings() to match the diagnostics' },
    );
    assert.equal(counts.total, counts.errors + counts.warnings + counts.infos);
    assert.ok(counts.errors > 0 && counts.warnings > 0, JSON.stringify(counts));

    const mirror = statusBarMirror();
    if (!mirror) {
      // @vscode/test-electron: nothing reads the workbench DOM for us.
      this.skip();
      return;
    }
    let seen: string | undefined;
    await waitFor(
      () => {
        seen = mirror();
        const shown = /(\d+)/.exec(seen ?? '')?.[1];
        return shown !== undefined && Number(shown) === api.findings().total && Number(shown) > 0;
      },
      {
        what: 'the status bar to show findings().total',
        timeoutMs: 15_000,
        detail: () => `status bar ${JSON.stringify(seen)}, findings() ${JSON.stringify(api.findings())}`,
      },
    );
  });

  it('routes() lists the routes with their methods and protection', async () => {
    const api = await extensionApi();
    const staff = fileUri('app/staff.py');
    fs.writeFileSync(staff.fsPath, STAFF_PY);
    await openFile('app/staff.py');

    const find = (routes: RouteInfo[], file: string, rule: string) =>
      routes.find((r) => path.basename(vscode.Uri.parse(r.uri).fsPath) === file && r.rule === rule);
    let last: RouteInfo[] = [];
    const routes = await waitFor(
      async () => {
        last =
          (await vscode.commands.executeCommand<RouteInfo[] | undefined>('flaskSentinel.refreshRoutes')) ??
          (await api.routes());
        return find(last, 'staff.py', '/staff/users/<int:user_id>') && find(last, 'views.py', '/import')
          ? last
          : undefined;
      },
      {
        what: 'the routes of views.py and the new staff.py',
        intervalMs: 500,
        detail: () => last.map((r) => `${r.methods.join(',')} ${r.rule}`).join('; '),
      },
    );
    assert.deepEqual(await api.routes(), routes, 'routes() returns what the view shows');

    const protectedRoute = find(routes, 'staff.py', '/staff/users/<int:user_id>');
    assert.deepEqual(protectedRoute?.methods, ['DELETE']);
    assert.equal(protectedRoute?.view, 'remove_user');
    assert.deepEqual(protectedRoute?.auth, { protected: true, by: 'login_required' });

    const importCart = find(routes, 'views.py', '/import');
    assert.deepEqual(importCart?.methods, ['POST']);
    assert.equal(importCart?.view, 'import_cart');
    assert.deepEqual(importCart?.auth, { protected: false, by: null });

    assert.deepEqual(find(routes, 'views.py', '/search')?.methods, ['GET']);
    const adminRoutes = routes.filter((r) => r.owner === 'admin');
    assert.ok(adminRoutes.length >= 5, `admin blueprint routes: ${adminRoutes.length}`);
    const files = new Set(routes.map((r) => path.basename(vscode.Uri.parse(r.uri).fsPath)));
    for (const file of ['views.py', 'admin.py', 'auth.py', 'directory.py', 'staff.py']) {
      assert.ok(files.has(file), `routes of ${file}`);
    }
  });
});
