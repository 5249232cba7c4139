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
  fileUri,
  findings,
  lineOf,
  openFile,
  ruleOf,
  workspaceRoot,
} from '../shared/editor';

/** The desktop extension's API, once its language server is running. */
export const extensionApi = (): Promise<FlaskSentinelApi> => extensionApiOf<FlaskSentinelApi>();

export function findingsOf(uri: vscode.Uri, rule: string): vscode.Diagnostic[] {
  return findings(uri).filter((d) => ruleOf(d) === rule);
}

/** "FS201@21" for each finding, for messages. */
export function describeFindings(uri: vscode.Uri): string {
  return findings(uri)
    .map((d) => `${ruleOf(d)}@${d.range.start.line}`)
    .join(' ');
}

export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  /** Re-check this often too, for state that changes without a diagnostics event (default 200 ms). */
  intervalMs?: number;
  /** Extra context for the timeout message, computed when it fires. */
  detail?: () => string;
}

/**
 * Resolves with the first truthy value of `probe`, checked now, on every diagnostics change, and on an
 * interval (status-bar counts and API results change without a diagnostics event). Rejects on timeout.
 */
export function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let checking = false;
    let again = false;
    const finish = (error: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      subscription.dispose();
      clearInterval(interval);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    const check = async () => {
      if (done) return;
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        const value = await probe();
        if (value) finish(undefined, value);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      } finally {
        checking = false;
      }
      if (again && !done) {
        again = false;
        void check();
      }
    };
    const subscription = vscode.languages.onDidChangeDiagnostics(() => void check());
    const interval = setInterval(() => void check(), options.intervalMs ?? 200);
    const timer = setTimeout(() => {
      const detail = options.detail ? ` (${options.detail()})` : '';
      finish(new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${detail}`));
    }, timeoutMs);
    void check();
  });
}

/** Waits until the file's Flask Sentinel diagnostics satisfy `predicate`, and returns them. */
export function waitForFindings(
  uri: vscode.Uri,
  predicate: (diagnostics: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<vscode.Diagnostic[]> {
  return waitFor(
    () => {
      const current = findings(uri);
      return predicate(current) ? current : undefined;
    },
    {
      what: `${what} in ${path.basename(uri.fsPath)}`,
      timeoutMs,
      detail: () => `has: ${describeFindings(uri)}`,
    },
  );
}

export const hasRuleOnLine = (diagnostics: vscode.Diagnostic[], rule: string, line: number) =>
  diagnostics.some((d) => ruleOf(d) === rule && d.range.start.line === line);

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
