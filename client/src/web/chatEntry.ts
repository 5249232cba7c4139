/**
 * The chat of the web extension: the desktop's panel, agents and offline answers, bundled into
 * dist/web/extension.js (a web extension cannot load a second bundle on demand). What differs:
 *
 * - No model is called. The Anthropic SDK runs in a web page only with `dangerouslyAllowBrowser`, sending the
 *   user's API key from the page straight to the API (and only to endpoints that allow it cross-origin, which
 *   a corporate `baseURL` gateway usually does not); the key would also live in the browser's storage rather
 *   than the OS keychain. Every answer is the offline one, built from Flask Sentinel's own analysis, and the
 *   panel says why.
 * - The four built-in agents come from this bundle; agent files and project context from the workspace
 *   (`.claude/agents`, `CLAUDE.md`...) are not read.
 * - Reviewing a diff needs git: not available.
 */
import * as vscode from 'vscode';
import type { RuleSummary } from '../../../server/src/lsp/protocol';
import { ChatController as DesktopChatController } from '../chatController';
import type { ChatFs } from '../chat/fsAccess';
import type { ProposalDocuments } from '../proposals';
import backendPythonExpert from '../../../agents/backend-python-expert.md';
import backendSecurityArchitect from '../../../agents/backend-security-architect.md';
import backendSecurityExpert from '../../../agents/backend-security-expert.md';
import flaskSecurityArchitect from '../../../agents/flask-security-architect.md';

export { ProposalDocuments, PROPOSAL_SCHEME } from '../proposals';
export {
  askAboutFinding,
  askAboutSelection,
  clearApiKey,
  openChatInEditor,
  reviewWithAll,
} from '../chatCommands';

export const OFFLINE_IN_THE_BROWSER =
  "In the browser (vscode.dev, github.dev) the agents answer from Flask Sentinel's own analysis; no model is called. The Anthropic SDK only runs in a web page in its 'dangerouslyAllowBrowser' mode, which would send your API key from the page straight to the API, so the web extension does not use a key. For a model's review, use VS Code desktop.";

const AGENTS_DIR = '/agents';
const BUILTIN_AGENTS = new Map<string, string>([
  [`${AGENTS_DIR}/backend-python-expert.md`, backendPythonExpert],
  [`${AGENTS_DIR}/backend-security-architect.md`, backendSecurityArchitect],
  [`${AGENTS_DIR}/backend-security-expert.md`, backendSecurityExpert],
  [`${AGENTS_DIR}/flask-security-architect.md`, flaskSecurityArchitect],
]);

/** The built-in agent files, from the bundle; nothing else exists. */
export const bundledAgents: ChatFs = {
  readDir(dir) {
    const prefix = `${dir.replace(/\/+$/, '')}/`;
    return Promise.resolve(
      [...BUILTIN_AGENTS.keys()].filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length)),
    );
  },
  readText(file, _root, maxBytes) {
    const text = BUILTIN_AGENTS.get(file);
    if (text === undefined) return Promise.resolve({ missing: true as const });
    if (new TextEncoder().encode(text).length > maxBytes) {
      return Promise.resolve({ error: `the file is larger than ${Math.round(maxBytes / 1024)} KB` });
    }
    return Promise.resolve({ text });
  },
};

export class ChatController extends DesktopChatController {
  constructor(
    context: vscode.ExtensionContext,
    output: vscode.LogOutputChannel,
    proposals: ProposalDocuments,
    fetchRules: () => Promise<RuleSummary[]>,
  ) {
    super(context, output, proposals, fetchRules, {
      fs: bundledAgents,
      builtinDir: AGENTS_DIR,
      offlineOnly: OFFLINE_IN_THE_BROWSER,
    });
  }
}

export function reviewDiff(): Promise<void> {
  return Promise.reject(
    new Error('reviewing a diff needs git, which the browser does not have: use VS Code desktop for it'),
  );
}

export function setApiKey(): Promise<void> {
  void vscode.window.showInformationMessage(`Flask Sentinel: ${OFFLINE_IN_THE_BROWSER}`);
  return Promise.resolve();
}
