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
