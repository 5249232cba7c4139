/**
 * The small interfaces through which the chat modules get what they need from VS Code. Nothing under
 * client/src/chat (except the lead's provider) imports `vscode`, so every module runs under node's test
 * runner; the provider adapts `ExtensionContext.workspaceState`, `CancellationToken`, `workspace.isTrusted`
 * and the output channel to these shapes.
 */

/** The title of the command that stores the key (the lead contributes it as `flaskSentinel.setApiKey`). */
export const SET_KEY_COMMAND_TITLE = 'Flask Sentinel: Set Anthropic API Key';

/** `ExtensionContext.workspaceState` (or `globalState`) as the chat uses it. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

/** A thenable as VS Code's API returns it. */
export interface Thenable<T> {
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2>;
}

/** `vscode.CancellationToken` as the chat uses it. */
export interface CancellationLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** Where the chat writes its own diagnostics (the output channel). Messages never contain prompts or keys. */
export type ChatLog = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;

/** A finding of the local analysis (a Flask Sentinel diagnostic), as the host passes it to the chat. */
export interface LocalFinding {
  ruleId: string;
  /** 1-based line in the file. */
  line: number;
  endLine?: number;
  message: string;
  severity: 'error' | 'warning' | 'info';
  cwe?: string[];
}

/** What a question is about: a selection, a finding, or a diff — whatever the entry point collected. */
export interface ChatContext {
  /** Workspace-relative path shown to the model and the user (never an absolute path with a user name). */
  path?: string;
  languageId?: string;
  /** The selected code and its 1-based, inclusive line range. */
  selection?: { text: string; startLine: number; endLine: number };
  /** Linter findings inside (or overlapping) the selection. */
  findings?: LocalFinding[];
  /** `git diff` of the file, for "Review this diff with agent". */
  diff?: string;
}

/** Rule metadata for offline answers: `RuleSummary` from server/src/lsp/protocol.ts plus the docs text. */
export interface RuleDoc {
  id: string;
  name: string;
  title: string;
  severity: 'error' | 'warning' | 'info';
  cwe: string[];
  summary: string;
  /** "Why it matters" of the rule's docs page, when the host has it. */
  why?: string;
  /** "Use instead" Python of the rule's docs page, when the host has it. */
  fix?: string;
  docsUrl?: string;
  hasFix?: boolean;
}
