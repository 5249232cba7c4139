// Helpers for the web extension's suite: it runs in the web extension host of VS Code's web build
// (@vscode/test-web), on a copy of examples/vulnerable-app mounted as `vscode-test-web://mount/`.
import * as vscode from 'vscode';
import type { FlaskSentinelApi } from '../../../client/src/web/extension';

import { extensionApiOf, findings, ruleOf } from '../shared/editor';

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

/** The web extension's API, once its language server (a web worker) is running. */
export const extensionApi = (): Promise<FlaskSentinelApi> => extensionApiOf<FlaskSentinelApi>();

export const describeFindings = (uri: vscode.Uri) =>
  findings(uri)
    .map((d) => `${ruleOf(d)}@${d.range.start.line}`)
    .join(' ');

export const hasRuleOnLine = (diagnostics: vscode.Diagnostic[], rule: string, line: number) =>
  diagnostics.some((d) => ruleOf(d) === rule && d.range.start.line === line);

/** Resolves with the first truthy value of `probe`, checked on every diagnostics change and every 200 ms. */
export function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  detail?: () => string,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | undefined, value?: T) => {
      if (done) return;
      done = true;
      subscription.dispose();
      clearInterval(interval);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value as T);
    };
    const check = () =>
      void Promise.resolve()
        .then(probe)
        .then(
          (value) => value && finish(undefined, value),
          (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
        );
    const subscription = vscode.languages.onDidChangeDiagnostics(check);
    const interval = setInterval(check, 200);
    const timer = setTimeout(
      () =>
        finish(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? ` (${detail()})` : ''}`),
        ),
      timeoutMs,
    );
    check();
  });
}

/** Waits until the file's Flask Sentinel diagnostics satisfy `predicate`, and returns them. */
export function waitForFindings(
  uri: vscode.Uri,
  predicate: (diagnostics: vscode.Diagnostic[]) => boolean,
  what: string,
): Promise<vscode.Diagnostic[]> {
  return waitFor(
    () => {
      const current = findings(uri);
      return predicate(current) ? current : undefined;
    },
    `${what} in ${uri.path}`,
    () => `has: ${describeFindings(uri)}`,
  );
}
