/**
 * Flask Sentinel's own LSP requests, shared by the server and the VS Code client. Only names and types
 * live here (no runtime imports), so the client bundle stays small.
 */
import type { Range } from '../engine/types';

/** `flaskSentinel/routes`: the routes of the workspace (or of one document) with their protection. */
export const ROUTES_REQUEST = 'flaskSentinel/routes';
/** `flaskSentinel/rules`: every rule's metadata, for pickers and docs. */
export const RULES_REQUEST = 'flaskSentinel/rules';
/** `flaskSentinel/scanWorkspace`: re-reads the workspace from disk and refreshes its diagnostics. */
export const SCAN_WORKSPACE_REQUEST = 'flaskSentinel/scanWorkspace';

export interface RouteInfo {
  uri: string;
  methods: string[];
  rule: string | null;
  view: string;
  owner: string;
  /** The route decorator or `add_url_rule` call. */
  range: Range;
  auth: { protected: boolean; by: string | null };
}

export interface RuleSummary {
  id: string;
  name: string;
  title: string;
  severity: 'error' | 'warning' | 'info';
  cwe: string[];
  summary: string;
  docsUrl: string;
  hasFix: boolean;
  /** "Why it matters" and the "use instead" example of the rule's docs (for offline answers). */
  why?: string;
  fixExample?: string;
}

export interface ScanResult {
  files: number;
}

/**
 * `flaskSentinel/workspaceFiles` (client → server notification), used where the server has no disk (the web
 * extension's server is a web worker): the client reads the workspace's Python files through
 * `vscode.workspace.fs` and sends them, and sends again what changed or was deleted.
 */
export const WORKSPACE_FILES_NOTIFICATION = 'flaskSentinel/workspaceFiles';

export interface WorkspaceFile {
  uri: string;
  /** Size in bytes. */
  size: number;
  /** The text, when the client read it (not for files over the size limit, binary or non-UTF-8 files). */
  text?: string;
  /** Why the text is not there (binary, not UTF-8, unreadable); a file without either is too large. */
  reason?: string;
}

export interface WorkspaceFilesParams {
  files?: WorkspaceFile[];
  /** URIs of files that are gone. */
  deleted?: string[];
}
