// What both real-editor suites need (the desktop one in code-server / test-electron, the web one in
// @vscode/test-web): only the `vscode` API, so it bundles for node and for the browser alike.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'flask-sentinel.flask-sentinel';
export const SOURCE = 'flask-sentinel';

let api: Promise<unknown> | undefined;

/** The extension's API (desktop or web shape), once its language server is running. */
export function extensionApiOf<T extends { ready: Promise<void> }>(): Promise<T> {
  api ??= (async () => {
    const extension = vscode.extensions.getExtension<T>(EXTENSION_ID);
    if (!extension) throw new Error(`${EXTENSION_ID} is not loaded in this extension host`);
    const exported = await extension.activate();
    await exported.ready;
    return exported;
  })();
  return api as Promise<T>;
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

/** Flask Sentinel's diagnostics of a file. */
export function findings(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

/** The 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let line = 0; line < doc.lineCount; line++) if (doc.lineAt(line).text.includes(needle)) return line;
  throw new Error(`no line of ${doc.uri.path} contains ${JSON.stringify(needle)}`);
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
      what: `${what} in ${uri.path.split('/').pop() ?? uri.path}`,
      timeoutMs,
      detail: () => `has: ${describeFindings(uri)}`,
    },
  );
}

export const hasRuleOnLine = (diagnostics: vscode.Diagnostic[], rule: string, line: number) =>
  diagnostics.some((d) => ruleOf(d) === rule && d.range.start.line === line);

/**
 * The code actions the workbench offers on `range` once `wanted` holds for them. Quick fixes are built from
 * the diagnostics of the workbench's marker service, which hears of a change a moment after the extension
 * host's `languages.getDiagnostics` does: asked right after `waitForFindings`, the list can still be empty.
 */
export function waitForCodeActions(
  uri: vscode.Uri,
  range: vscode.Range,
  kind: vscode.CodeActionKind,
  wanted: (actions: vscode.CodeAction[]) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<vscode.CodeAction[]> {
  let last: vscode.CodeAction[] = [];
  return waitFor(
    async () => {
      last =
        (await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>(
          'vscode.executeCodeActionProvider',
          uri,
          range,
          kind.value,
        )) ?? [];
      return wanted(last) ? last : undefined;
    },
    {
      what: `${what} among the ${kind.value} actions`,
      timeoutMs,
      detail: () => `offered: ${JSON.stringify(last.map((a) => a.title))}`,
    },
  );
}
