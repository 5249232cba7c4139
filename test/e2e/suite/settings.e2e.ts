import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';
import { extensionApi, lineOf, openFile, ruleOf, setSetting, waitForFindings } from './helpers';

describe('settings take effect without a restart', () => {
  let views: vscode.TextDocument;

  before(async () => {
    await extensionApi();
    views = await openFile('app/views.py');
    const sql = lineOf(views, 'conn.execute(f"SELECT');
    await waitForFindings(
      views.uri,
      (ds) => ds.some((d) => ruleOf(d) === 'FS201' && d.range.start.line === sql),
      `FS201@${sql}`,
    );
  });

  after(async () => {
    await setSetting('ignore', undefined);
    await setSetting('severity', undefined);
  });

  it('flaskSentinel.ignore: ["FS201"] removes the FS201 findings, and removing it brings them back', async () => {
    await setSetting('ignore', ['FS201']);
    await waitForFindings(
      views.uri,
      (ds) => !ds.some((d) => ruleOf(d) === 'FS201') && ds.some((d) => ruleOf(d) === 'FS202'),
      'FS201 ignored (FS202 still reported)',
    );
    await setSetting('ignore', undefined);
    await waitForFindings(views.uri, (ds) => ds.some((d) => ruleOf(d) === 'FS201'), 'FS201 back');
  });

  it('flaskSentinel.severity: { FS202: "info" } turns the FS202 errors into information', async () => {
    const fs202 = (ds: vscode.Diagnostic[]) => ds.filter((d) => ruleOf(d) === 'FS202');
    const before = fs202(
      await waitForFindings(views.uri, (ds) => fs202(ds).length >= 2, 'two FS202 findings'),
    );
    assert.ok(
      before.every((d) => d.severity === vscode.DiagnosticSeverity.Error),
      'FS202 is an error',
    );

    await setSetting('severity', { FS202: 'info' });
    await waitForFindings(
      views.uri,
      (ds) =>
        fs202(ds).length === before.length &&
        fs202(ds).every((d) => d.severity === vscode.DiagnosticSeverity.Information) &&
        ds.some((d) => ruleOf(d) === 'FS201' && d.severity === vscode.DiagnosticSeverity.Error),
      'FS202 as information (FS201 still an error)',
    );

    await setSetting('severity', undefined);
    await waitForFindings(
      views.uri,
      (ds) =>
        fs202(ds).length === before.length &&
        fs202(ds).every((d) => d.severity === vscode.DiagnosticSeverity.Error),
      'FS202 an error again',
    );
  });
});
