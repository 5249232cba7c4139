// Helpers for the end-to-end suite: it runs inside a real VS Code extension host (code-server, or
// @vscode/test-electron), with examples/vulnerable-app copied to a temporary workspace folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FlaskSentinelApi } from '../../../client/src/extension';

import { extensionApiOf, findings, ruleOf, workspaceRoot } from '../shared/editor';

export {
  EXTENSION_ID,
  SOURCE,
  describeFindings,
  fileUri,
  findings,
  hasRuleOnLine,
  lineOf,
  openFile,
  ruleOf,
  waitFor,
  waitForCodeActions,
  waitForFindings,
  workspaceRoot,
} from '../shared/editor';
export type { WaitOptions } from '../shared/editor';

/** The desktop extension's API, once its language server is running. */
export const extensionApi = (): Promise<FlaskSentinelApi> => extensionApiOf<FlaskSentinelApi>();

export function findingsOf(uri: vscode.Uri, rule: string): vscode.Diagnostic[] {
  return findings(uri).filter((d) => ruleOf(d) === rule);
}

/** Sets a `flaskSentinel.*` setting in the workspace folder's settings (undefined removes it). */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace
    .getConfiguration('flaskSentinel', workspaceRoot())
    .update(key, value, vscode.ConfigurationTarget.Workspace);
}

/**
 * The text of the status bar's Flask Sentinel item as the workbench renders it. The extension host cannot
 * read other parts of the UI, so the code-server driver (scripts/e2e/run.mjs) mirrors it from the DOM into
 * `$FLASK_SENTINEL_E2E_EXCHANGE/statusbar.json`. Undefined when no driver does that (test-electron).
 */
export function statusBarMirror(): (() => string | undefined) | undefined {
  const exchange = process.env.FLASK_SENTINEL_E2E_EXCHANGE;
  if (!exchange) return undefined;
  const file = path.join(exchange, 'statusbar.json');
  return () => {
    try {
      const mirrored = JSON.parse(fs.readFileSync(file, 'utf8')) as { text?: string | null };
      return mirrored.text ?? undefined;
    } catch {
      return undefined;
    }
  };
}
