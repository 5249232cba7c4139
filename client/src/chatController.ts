import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { RuleSummary } from '../../server/src/lsp/protocol';
import { DEFAULT_CHAT_SETTINGS, parseChatSettings } from '../../server/src/lsp/settingsSchema';
import type { ChatSettings } from '../../server/src/lsp/settingsSchema';
import { codeBlocks } from './chat/codeBlocks';
import { newNonce, renderChatHtml } from './chat/html';
import { loadPersonas, toPersonaInfo } from './chat/personas';
import type { Persona } from './chat/personas';
import { loadProjectContext } from './chat/projectContext';
import type { ProjectContext } from './chat/projectContext';
import { FromWebviewSchema } from './chat/protocol';
import { resolveProxy } from './chat/proxy';
import type { ProxyChoice } from './chat/proxy';
import type { FromWebview, ToWebview, Turn } from './chat/protocol';
import { ChatSession } from './chat/session';
import type { ChatFs } from './chat/fsAccess';
import type { RuleDoc } from './chat/types';
import type { GatheredContext, QuestionTarget } from './chatContext';
import { proposalForTarget } from './proposals';
import type { Proposal, ProposalDocuments } from './proposals';

export const API_KEY_SECRET = 'flaskSentinel.anthropicApiKey';
const SELECTED_PERSONA_KEY = 'flaskSentinel.chat.selectedPersona';

/** Where the chat runs differently: the web extension (no disk, no model calls). Empty on the desktop. */
export interface ChatPlatform {
  /** Reads agent files and project context (node's fs by default). */
  fs?: ChatFs;
  /** Where `fs` finds the built-in agents (default: the extension's `agents/` folder). */
  builtinDir?: string;
  /** Set where no model is called: every answer is the offline one, and this says why (in the panel and in
   * each answer). */
  offlineOnly?: string;
}

/**
 * The host side of the chat: one session shared by the activity-bar view and any editor panels. It feeds
 * webviews validated messages, validates everything they send back (`FromWebviewSchema`), and resolves their
 * id-only requests against its own state: the code a proposal applies to comes from the host's record of the
 * question, never from the webview.
 */
export class ChatController implements vscode.Disposable {
  private readonly webviews = new Set<vscode.Webview>();
  private readonly session: ChatSession;
  private readonly targets = new Map<string, QuestionTarget | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private personas: Persona[] = [];
  private project: ProjectContext | undefined;
  private rules: RuleDoc[] = [];
  private pending: GatheredContext = { context: {} };
  /** The pending context's id and suggested prompt, sent again to a page that (re)loads (see `ready`). */
  private pendingId: string | undefined;
  private pendingPrompt: string | undefined;
  /** The target of the question being started: turnStart messages take it. */
  private asking: QuestionTarget | undefined;
  private lastEditor: vscode.TextEditor | undefined;
  private loaded: Promise<void>;
  /** The last route of the model calls written to the log (it is logged when it changes). */
  private loggedRoute: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly proposals: ProposalDocuments,
    private readonly fetchRules: () => Promise<RuleSummary[]>,
    private readonly platform: ChatPlatform = {},
  ) {
    this.session = new ChatSession({
      personas: () => this.personas,
      projectContext: () => this.project,
      rules: () => this.rules,
      getApiKey: async () =>
        this.platform.offlineOnly ? undefined : (await this.context.secrets.get(API_KEY_SECRET)) || undefined,
      offlineNote: this.platform.offlineOnly,
      settings: () => {
        const chat = this.chatSettings();
        return {
          model: chat.model,
          maxTokens: chat.maxTokens,
          baseURL: chat.baseURL,
          maxRetries: chat.maxRetries,
          timeoutMs: chat.timeoutSeconds * 1000,
          ...(this.platform.offlineOnly ? {} : { proxy: this.proxyRoute(chat) }),
        };
      },
      store: this.context.workspaceState,
      post: (message) => this.post(message),
      log: (level, message) => this.output[level](`chat: ${message}`),
    });
    this.loaded = this.reload();
    this.lastEditor = vscode.window.activeTextEditor;
    this.disposables.push(
      // The webview has the focus when its buttons are clicked: remember the editor the user was in.
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.lastEditor = editor;
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.reloadAndAnnounce()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reloadAndAnnounce()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('flaskSentinel.chat')) void this.reloadAndAnnounce();
      }),
      this.context.secrets.onDidChange((e) => {
        if (e.key === API_KEY_SECRET) void this.announceKey();
      }),
    );
  }

  /** Connects a webview (the activity-bar view or an editor panel). */
  attach(webview: vscode.Webview): vscode.Disposable {
    const root = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    webview.html = renderChatHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'chat.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'chat.css')).toString(),
      title: 'Flask Sentinel agents',
    });
    this.webviews.add(webview);
    const listener = webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw));
    return new vscode.Disposable(() => {
      listener.dispose();
      this.webviews.delete(webview);
    });
  }

  /** Sets what the next question is about and shows it as chips (with a suggested prompt). */
  async setContext(gathered: GatheredContext, prompt?: string): Promise<void> {
    await this.loaded;
    this.pending = gathered;
    this.pendingId = randomUUID();
    this.pendingPrompt = prompt;
    this.post({
      type: 'context',
      chips: this.session.contextChips(gathered.context, prompt),
      prompt,
      id: this.pendingId,
    });
  }

  /** Asks right away (the "Review with all four" command): the chips still show with the turns. */
  async askNow(gathered: GatheredContext, personaId: string, prompt: string): Promise<Turn[]> {
    await this.loaded;
    this.pending = gathered;
    this.pendingId = undefined;
    this.pendingPrompt = undefined;
    return this.ask(personaId, prompt);
  }

  private async ask(personaId: string, prompt: string): Promise<Turn[]> {
    const { context, target } = this.pending;
    this.asking = target;
    try {
      return await this.session.ask({ personaId, prompt, context });
    } finally {
      this.asking = undefined;
    }
  }

  private post(message: ToWebview): void {
    if (message.type === 'turnStart') this.targets.set(message.turn.id, this.asking);
    for (const webview of this.webviews) void webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = FromWebviewSchema.safeParse(raw);
    if (!parsed.success) {
      // Never log the message itself: it may hold code or model output.
      this.output.warn(
        `chat: ignored an invalid message from the webview (${parsed.error.issues.length} issues)`,
      );
      return;
    }
    try {
      await this.handle(parsed.data);
    } catch (error) {
      this.output.error(`chat: ${parsed.data.type} failed: ${String(error)}`);
      this.post({ type: 'notice', level: 'error', message: `That did not work: ${errorText(error)}` });
    }
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.loaded;
        this.post(await this.initMessage());
        if (this.platform.offlineOnly) {
          this.post({ type: 'notice', level: 'info', message: this.platform.offlineOnly });
        }
        // Also when the view was hidden or still loading as the question was set up (the "Ask agent…"
        // commands open it): the context message may not have reached this page, prompt included.
        if (this.pending.context.selection || this.pending.context.diff) {
          this.post({
            type: 'context',
            chips: this.session.contextChips(this.pending.context, this.pendingPrompt),
            prompt: this.pendingPrompt,
            id: this.pendingId,
          });
        }
        return;
      case 'send':
        await this.ask(message.personaId, message.prompt);
        return;
      case 'stop':
        this.session.stop(message.turnId);
        return;
      case 'retry': {
        this.asking = this.targets.get(message.turnId);
        try {
          await this.session.retry(message.turnId);
        } finally {
          this.asking = undefined;
        }
        return;
      }
      case 'copy': {
        const turn = this.session.history.get(message.turnId);
        if (turn) await vscode.env.clipboard.writeText(turn.answer);
        return;
      }
      case 'selectPersona':
        await this.context.workspaceState.update(SELECTED_PERSONA_KEY, message.personaId);
        return;
      case 'showDiff':
      case 'applyFix': {
        const proposal = this.proposalFor(message.turnId, message.target, message.index);
        if (!proposal) return;
        if (message.type === 'showDiff') await this.proposals.showDiff(proposal);
        else await this.proposals.apply(proposal);
        return;
      }
      case 'insertAtCursor':
        await this.insertAtCursor(message.turnId, message.index);
        return;
      case 'copyBlock': {
        const block = this.codeBlock(message.turnId, message.index);
        if (block) await vscode.env.clipboard.writeText(block);
        return;
      }
      case 'reveal':
        await this.reveal(message.turnId, message.index);
        return;
      case 'openLink':
        await this.openLink(message.url);
        return;
      case 'exportHistory': {
        const document = await vscode.workspace.openTextDocument({
          language: 'markdown',
          content: this.session.history.toMarkdown({ title: 'Flask Sentinel agents' }),
        });
        await vscode.window.showTextDocument(document);
        return;
      }
      case 'clearHistory':
        await this.session.history.clear();
        this.targets.clear();
        this.post({ type: 'history', history: [] });
        return;
      case 'setApiKey':
        await vscode.commands.executeCommand('flaskSentinel.setApiKey');
        return;
      case 'clearContext':
        this.pending = { context: {} };
        this.pendingId = undefined;
        this.pendingPrompt = undefined;
        this.post({ type: 'context', chips: [] });
        return;
    }
  }

  /** The change a card or code block proposes, resolved from the host's own copy of the turn. */
  private proposalFor(turnId: string, kind: 'codeBlock' | 'finding', index: number): Proposal | undefined {
    const turn = this.session.history.get(turnId);
    const target = this.targets.get(turnId);
    if (!turn) return this.notice('That answer is no longer in the history.');
    if (kind === 'finding') {
      const finding = turn.findings?.[index];
      if (!finding?.replacement || !finding.line) return this.notice('This finding proposes no replacement.');
      if (!target) return this.notice('The file this answer is about is not known any more; ask again.');
      const line = finding.line;
      const endLine = finding.endLine ?? line;
      return {
        uri: target.uri,
        startLine: line,
        endLine,
        replacement: finding.replacement.replace(/\n$/, ''),
        title: finding.title,
      };
    }
    const block = codeBlocks(turn.answer)[index];
    if (!block) return this.notice('That code block is not in the answer.');
    if (!target) {
      return this.notice(
        'This answer is not tied to a selection, so there is nothing to replace: copy the code instead.',
      );
    }
    return proposalForTarget(target, block.code, `${turn.personaName}'s proposal`);
  }

  /** The text of code block `index` of a turn, from the host's own copy of the answer. */
  private codeBlock(turnId: string, index: number): string | undefined {
    const turn = this.session.history.get(turnId);
    const block = turn ? codeBlocks(turn.answer)[index] : undefined;
    if (!block) return this.notice('That code block is not in the answer.');
    return block.code;
  }

  /** Inserts a code block at the cursor of the editor the user was last in (one undoable edit). */
  private async insertAtCursor(turnId: string, index: number): Promise<void> {
    const code = this.codeBlock(turnId, index);
    if (code === undefined) return;
    const editor = this.lastEditor;
    if (!editor || editor.document.isClosed) {
      this.notice('Open the file to insert into and put the cursor where the code should go.');
      return;
    }
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    await editor.edit((edit) => edit.replace(editor.selection, code.replace(/\n$/, '')));
  }

  private async reveal(turnId: string, index: number): Promise<void> {
    const finding = this.session.history.get(turnId)?.findings?.[index];
    const target = this.targets.get(turnId);
    if (!finding?.line || !target) return;
    const line = Math.max(finding.line - 1, 0);
    await vscode.window.showTextDocument(target.uri, { selection: new vscode.Range(line, 0, line, 0) });
  }

  private async openLink(url: string): Promise<void> {
    let parsed: vscode.Uri;
    try {
      parsed = vscode.Uri.parse(url, true);
    } catch {
      return;
    }
    if (parsed.scheme !== 'https' && parsed.scheme !== 'http') return;
    const choice = await vscode.window.showInformationMessage(
      `Open this link from an agent's answer in your browser?`,
      { modal: true, detail: url },
      'Open',
    );
    if (choice === 'Open') await vscode.env.openExternal(parsed);
  }

  private notice(message: string): undefined {
    this.post({ type: 'notice', level: 'warning', message });
    return undefined;
  }

  private async initMessage(): Promise<ToWebview> {
    return {
      type: 'init',
      personas: this.personas.map(toPersonaInfo),
      history: this.session.history.list(),
      hasApiKey: await this.hasKey(),
      trusted: vscode.workspace.isTrusted,
      model: this.chatSettings().model,
      selectedPersonaId: this.context.workspaceState.get<string>(SELECTED_PERSONA_KEY),
    };
  }

  private async hasKey(): Promise<boolean> {
    return !this.platform.offlineOnly && !!(await this.context.secrets.get(API_KEY_SECRET));
  }

  private chatSettings() {
    const raw = vscode.workspace.getConfiguration('flaskSentinel.chat');
    const values: Record<string, unknown> = {};
    for (const key of Object.keys(DEFAULT_CHAT_SETTINGS)) values[key] = raw.get(key);
    const { settings, problems } = parseChatSettings(values);
    for (const problem of problems) this.output.warn(`Invalid setting ${problem}; using the default.`);
    return settings;
  }

  /**
   * The route of the model calls (chat/proxy.ts): `flaskSentinel.chat.proxy`, else VS Code's `http.proxy` and
   * `http.noProxy` as the user set them (a workspace's value is ignored: it must not redirect the traffic),
   * else the environment. Written to the log, without credentials, when it changes.
   */
  private proxyRoute(chat: ChatSettings): ProxyChoice {
    const http = vscode.workspace.getConfiguration('http');
    const proxy = http.inspect<unknown>('proxy')?.globalValue;
    const noProxy = http.inspect<unknown>('noProxy')?.globalValue;
    const choice = resolveProxy({
      setting: chat.proxy,
      vscodeProxy: typeof proxy === 'string' ? proxy : undefined,
      vscodeNoProxy: Array.isArray(noProxy)
        ? noProxy.filter((e): e is string => typeof e === 'string')
        : undefined,
      env: process.env,
      baseURL: chat.baseURL,
    });
    const route =
      choice.kind === 'proxy'
        ? `through the proxy ${choice.display} (from ${choice.source})`
        : choice.kind === 'direct'
          ? `directly (${choice.reason})`
          : `nowhere: ${choice.message}`;
    if (route !== this.loggedRoute) {
      this.loggedRoute = route;
      this.output[choice.kind === 'invalid' ? 'warn' : 'info'](`chat: model calls go ${route}`);
    }
    return choice;
  }

  private async reload(): Promise<void> {
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const trusted = vscode.workspace.isTrusted;
    this.personas = await loadPersonas({
      builtinDir: this.platform.builtinDir ?? vscode.Uri.joinPath(this.context.extensionUri, 'agents').fsPath,
      workspaceFolders: folders,
      trusted,
      configuredModel: this.chatSettings().model,
      fs: this.platform.fs,
    });
    this.project = await loadProjectContext({ workspaceFolders: folders, trusted, fs: this.platform.fs });
    try {
      this.rules = (await this.fetchRules()).map((r) => ({ ...r, fix: r.fixExample }));
    } catch (error) {
      this.output.warn(`chat: rule metadata unavailable for offline answers (${String(error)})`);
    }
  }

  private async reloadAndAnnounce(): Promise<void> {
    this.loaded = this.reload();
    await this.loaded;
    this.post({ type: 'personas', personas: this.personas.map(toPersonaInfo) });
  }

  private async announceKey(): Promise<void> {
    this.post({ type: 'apiKey', hasApiKey: await this.hasKey() });
  }

  dispose(): void {
    this.session.stopAll();
    for (const d of this.disposables) d.dispose();
    this.webviews.clear();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
