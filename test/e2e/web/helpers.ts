// Helpers for the web extension's suite: it runs in the web extension host of VS Code's web build
// (@vscode/test-web), on a copy of examples/vulnerable-app mounted as `vscode-test-web://mount/`.
import type * as vscode from 'vscode';
import type { FlaskSentinelApi } from '../../../client/src/web/extension';

import {
  extensionApiOf,
  waitFor as sharedWaitFor,
  waitForFindings as sharedWaitForFindings,
} from '../shared/editor';

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
  waitForCodeActions,
  workspaceRoot,
} from '../shared/editor';

/** The web extension's API, once its language server (a web worker) is running. */
export const extensionApi = (): Promise<FlaskSentinelApi> => extensionApiOf<FlaskSentinelApi>();

/** The shared wait with this suite's positional arguments and longer default (a web worker starts slower). */
export const waitFor = <T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  detail?: () => string,
  timeoutMs = 30_000,
): Promise<T> => sharedWaitFor(probe, { what, timeoutMs, ...(detail ? { detail } : {}) });

export const waitForFindings = (
  uri: vscode.Uri,
  predicate: (diagnostics: vscode.Diagnostic[]) => boolean,
  what: string,
): Promise<vscode.Diagnostic[]> => sharedWaitForFindings(uri, predicate, what, 30_000);
