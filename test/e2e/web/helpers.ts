// Helpers for the web extension's suite: it runs in the web extension host of VS Code's web build
// (@vscode/test-web), on a copy of examples/vulnerable-app mounted as `vscode-test-web://mount/`.
import * as vscode from 'vscode';
import type { FlaskSentinelApi } from '../../../client/src/web/extension';

export const EXTENSION_ID = 'flask-sentinel.flask-sentinel';
export const SOURCE = 'flask-sentinel';

let api: Promise<FlaskSentinelApi> | undefined;

/** The extension's API, once its language server (a web worker) is running. */
export function extensionApi(): Promise<FlaskSentinelApi> {
  api ??= (async () => {
    const extension = vscode.extensions.getExtension<FlaskSentinelApi>(EXTENSION_ID);
    if (!extension) throw new Error(`${EXTENSION_ID} is not loaded in this extension host`);
    const exported = await extension.activate();
    await exported.ready;
    return exported;
  })();
  return api;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder (a copy of examples/vulnerable-app)');
  return folder.uri;
}

export function fileUri(relative: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...relative.split('/'));
}

export async function openFile(relative: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(fileUri(relative));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

export function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (code === undefined) return undefined;
  return String(typeof code === 'object' ? code.value : code);
}

export function findings(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

export const describeFindings = (uri: vscode.Uri) =>
  findings(uri)
    .map((d) => `${ruleOf(d)}@${d.range.start.line}`)
    .join(' ');

/** The 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let line = 0; line < doc.lineCount; line++) if (doc.lineAt(line).text.includes(needle)) return line;
  throw new Error(`no line of ${doc.uri.path} contains ${JSON.stringify(needle)}`);
}

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
