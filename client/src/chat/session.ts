import { randomUUID } from 'node:crypto';
import {
  AnthropicChat,
  type AnthropicChatOptions,
  type StreamRequest,
  type StreamResult,
} from './anthropicChat';
import { extractFindings, FindingsBlockFilter } from './findingsBlock';
import { ChatHistory, type HistoryOptions } from './history';
import { offlineAnswer } from './offline';
import { BUILTIN_PERSONA_IDS, type Persona } from './personas';
import type { PriceTable } from './pricing';
import type { ProjectContext } from './projectContext';
import { buildPrompt, prepareContext, type PromptLimits } from './prompt';
import { ToWebviewSchema, type ContextChip, type ToWebview, type Turn } from './protocol';
import type { CancellationLike, ChatContext, ChatLog, KeyValueStore, RuleDoc } from './types';

/**
 * Orchestrates questions: persona → prepared context (redacted, flagged, capped) → prompt → model stream
 * (or the offline answer when there is no key) → protocol messages for the webview (`turnStart`, `delta`…,
 * `turnEnd` with findings and usage) → history.
 *
 * - `ask` with `personaId: '*all'` runs the four built-in personas in parallel under one group id.
 * - `stop(turnId)` aborts that turn's HTTP request (status `stopped`, partial answer kept).
 * - `retry(turnId)` asks again with the same persona, question and context, as a NEW turn (the failed one
 *   stays in the history as it was). The context is kept in memory only (never persisted: it holds code),
 *   so after a reload a retry says to ask again.
 * - Every error keeps the partial answer; every outgoing message is validated with ToWebviewSchema.
 * - The findings block is held back from the streamed deltas and removed from the final answer (it becomes
 *   `turn.findings`); see findingsBlock.ts.
 */

export interface SessionSettings {
  /** The configured model (used by personas with `inherit` or no model; already resolved into Persona.model). */
  model: string;
  maxTokens: number;
  baseURL: string;
  maxRetries: number;
  timeoutMs: number;
  idleTimeoutMs?: number;
  prices?: PriceTable;
  limits?: PromptLimits;
  fetchOptions?: AnthropicChatOptions['fetchOptions'];
  /** The route of the model calls (proxy.ts `resolveProxy`); direct when absent. */
  proxy?: AnthropicChatOptions['proxy'];
}

export interface ChatStreamer {
  stream(req: StreamRequest): Promise<StreamResult>;
}

export interface ChatSessionDeps {
  personas(): readonly Persona[];
  /** The project-context file (load it with loadProjectContext; undefined when untrusted or absent). */
  projectContext(): ProjectContext | undefined;
  /** Rule metadata for offline answers. */
  rules(): readonly RuleDoc[];
  /** The key from SecretStorage, or undefined (→ offline answers). */
  getApiKey(): Promise<string | undefined>;
  settings(): SessionSettings;
  /** workspaceState. */
  store: KeyValueStore;
  historyOptions?: Omit<HistoryOptions, 'secrets'>;
  post(message: ToWebview): void;
  log?: ChatLog;
  /** Replaces the offline answer's "add an API key" line where no model can be called (the web extension). */
  offlineNote?: string;
  /** Replaces the SDK client (tests); defaults to `new AnthropicChat(options)`. */
  createChat?(options: AnthropicChatOptions): ChatStreamer;
  newId?(): string;
  now?(): number;
}

export interface AskInput {
  /** A persona id, or '*all' for the four built-in personas side by side. */
  personaId: string;
  prompt: string;
  context: ChatContext;
  cancellation?: CancellationLike;
  /** Answer from the local analysis even when a key is set. */
  offline?: boolean;
}

interface AskRecord {
  personaId: string;
  prompt: string;
  context: ChatContext;
  offline?: boolean;
}

const MAX_DELTA = 100_000;
const MAX_ANSWER = 500_000;
const MAX_REMEMBERED = 200;

export class ChatSession {
  readonly history: ChatHistory;
  private readonly controllers = new Map<string, AbortController>();
  private readonly records = new Map<string, AskRecord>();
  private lastKey: string | undefined;

  constructor(private readonly deps: ChatSessionDeps) {
    this.history = new ChatHistory(deps.store, { ...deps.historyOptions, secrets: () => [this.lastKey] });
  }

  /** The chips for what a question with this context would carry (the `context` message before sending). */
  contextChips(context: ChatContext, prompt?: string): ContextChip[] {
    const prepared = prepareContext(context, {
      question: prompt,
      projectContext: this.deps.projectContext(),
      limits: this.deps.settings().limits,
    });
    return prepared.chips;
  }

  /** Turn ids that are still streaming. */
  running(): string[] {
    return [...this.controllers.keys()];
  }

  stop(turnId: string): boolean {
    const c = this.controllers.get(turnId);
    if (!c) return false;
    c.abort();
    return true;
  }

  stopAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  /** Asks one persona, or all four built-in ones; resolves with the finished turns. */
  async ask(input: AskInput): Promise<Turn[]> {
    const personas = this.deps.personas();
    let chosen: Persona[];
    if (input.personaId === '*all') {
      chosen = BUILTIN_PERSONA_IDS.map((id) => personas.find((p) => p.id === id)).filter(
        (p): p is Persona => !!p && !p.error,
      );
    } else {
      const p = personas.find((x) => x.id === input.personaId);
      if (!p) {
        this.post({
          type: 'notice',
          level: 'error',
          message: 'That agent is no longer available; pick another.',
        });
        return [];
      }
      if (p.error) {
        this.post({
          type: 'notice',
          level: 'error',
          message: `The agent file of “${p.name}” is invalid: ${p.error}`.slice(0, 2000),
        });
        return [];
      }
      chosen = [p];
    }
    if (chosen.length === 0) return [];
    const group = chosen.length > 1 ? this.newId() : undefined;
    const key = input.offline ? undefined : await this.deps.getApiKey();
    if (key) this.lastKey = key;
    return Promise.all(
      chosen.map((persona) => this.runTurn(persona, { ...input, personaId: persona.id }, key, group)),
    );
  }

  /** Asks the same persona the same question with the same context again, as a new turn. */
  async retry(turnId: string, cancellation?: CancellationLike): Promise<Turn | undefined> {
    const record = this.records.get(turnId);
    if (!record) {
      this.post({
        type: 'notice',
        level: 'warning',
        message: 'The context of that answer is no longer in memory (the window was reloaded). Ask again.',
      });
      return undefined;
    }
    const persona = this.deps.personas().find((p) => p.id === record.personaId && !p.error);
    if (!persona) {
      this.post({
        type: 'notice',
        level: 'error',
        message: 'That agent is no longer available; pick another.',
      });
      return undefined;
    }
    const key = record.offline ? undefined : await this.deps.getApiKey();
    if (key) this.lastKey = key;
    return this.runTurn(persona, { ...record, cancellation }, key, undefined);
  }

  private newId(): string {
    return this.deps.newId?.() ?? randomUUID();
  }

  private post(message: ToWebview): void {
    const r = ToWebviewSchema.safeParse(message);
    if (!r.success) {
      const where = r.error.issues[0]?.path.join('.') ?? '';
      this.deps.log?.('error', `chat: dropped an invalid ${message.type} message (${where})`);
      return;
    }
    this.deps.post(r.data);
  }

  private remember(turnId: string, record: AskRecord): void {
    this.records.set(turnId, record);
    while (this.records.size > MAX_REMEMBERED) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }

  private postDelta(turnId: string, text: string): void {
    for (let i = 0; i < text.length; i += MAX_DELTA) {
      this.post({ type: 'delta', turnId, text: text.slice(i, i + MAX_DELTA) });
    }
  }

  private async runTurn(
    persona: Persona,
    input: AskInput,
    key: string | undefined,
    group: string | undefined,
  ): Promise<Turn> {
    const settings = this.deps.settings();
    const projectContext = this.deps.projectContext();
    const question = input.prompt.slice(0, 20_000);
    const prepared = prepareContext(input.context, {
      question,
      projectContext,
      limits: settings.limits,
    });
    const offline = !key;
    const turn: Turn = {
      id: this.newId(),
      ...(group ? { group } : {}),
      personaId: persona.id,
      personaName: persona.name.slice(0, 100),
      prompt: question,
      context: prepared.chips,
      answer: '',
      status: 'streaming',
      ...(offline ? { offline: true } : { model: persona.model.slice(0, 100) }),
      at: Math.trunc(this.deps.now?.() ?? Date.now()),
    };
    this.remember(turn.id, {
      personaId: persona.id,
      prompt: input.prompt,
      context: input.context,
      offline: input.offline,
    });
    this.post({ type: 'turnStart', turn });
    await this.saveQuietly(() => this.history.append(turn));

    let final: Turn;
    if (offline) {
      const { answer } = offlineAnswer(persona, input.context, this.deps.rules(), this.deps.offlineNote);
      const extracted = extractFindings(answer);
      this.postDelta(turn.id, extracted.display);
      final = { ...turn, answer: extracted.display, findings: extracted.findings, status: 'done' };
    } else {
      final = await this.streamTurn(turn, persona, prepared, key, settings, input.cancellation);
    }
    this.post({ type: 'turnEnd', turn: final });
    await this.saveQuietly(() => this.history.update(final.id, final));
    return final;
  }

  private async streamTurn(
    turn: Turn,
    persona: Persona,
    prepared: ReturnType<typeof prepareContext>,
    key: string,
    settings: SessionSettings,
    cancellation: CancellationLike | undefined,
  ): Promise<Turn> {
    const prompt = buildPrompt(persona, prepared);
    const options: AnthropicChatOptions = {
      apiKey: key,
      baseURL: settings.baseURL,
      maxRetries: settings.maxRetries,
      timeoutMs: settings.timeoutMs,
      ...(settings.idleTimeoutMs ? { idleTimeoutMs: settings.idleTimeoutMs } : {}),
      ...(settings.prices ? { prices: settings.prices } : {}),
      ...(settings.fetchOptions ? { fetchOptions: settings.fetchOptions } : {}),
      ...(settings.proxy ? { proxy: settings.proxy } : {}),
      ...(this.deps.log ? { log: this.deps.log } : {}),
    };
    const chat = this.deps.createChat?.(options) ?? new AnthropicChat(options);
    const controller = new AbortController();
    this.controllers.set(turn.id, controller);
    const filter = new FindingsBlockFilter();
    let result: StreamResult;
    try {
      result = await chat.stream({
        model: persona.model,
        maxTokens: settings.maxTokens,
        system: prompt.system,
        messages: prompt.messages,
        signal: controller.signal,
        ...(cancellation ? { cancellation } : {}),
        onText: (delta) => {
          const visible = filter.push(delta);
          if (visible) this.postDelta(turn.id, visible);
        },
      });
    } finally {
      this.controllers.delete(turn.id);
    }
    const rest = filter.flush();
    if (rest) this.postDelta(turn.id, rest);

    const extracted = extractFindings(result.text);
    let answer = extracted.display;
    const notes: string[] = [];
    if (extracted.parseError) notes.push(extracted.parseError);
    if (extracted.dropped > 0) {
      notes.push(
        `${extracted.dropped} finding${extracted.dropped === 1 ? '' : 's'} in the agent's block did not match the expected shape and ${extracted.dropped === 1 ? 'was' : 'were'} left out.`,
      );
    }
    if (notes.length > 0) answer = `${answer}\n\n${notes.map((n) => `_${n}_`).join('\n\n')}`;
    if (answer.length > MAX_ANSWER) answer = `${answer.slice(0, MAX_ANSWER - 40)}\n\n_(answer cut)_`;
    return {
      ...turn,
      answer,
      status: result.status,
      model: result.model.slice(0, 100),
      ...(result.usage ? { usage: result.usage } : {}),
      ...(extracted.findings.length > 0 ? { findings: extracted.findings } : {}),
      ...(result.error
        ? { error: { message: result.error.message.slice(0, 2000), retryable: result.error.retryable } }
        : {}),
    };
  }

  private async saveQuietly(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.deps.log?.(
        'error',
        `chat: could not save the history (${err instanceof Error ? err.message : 'error'})`,
      );
    }
  }
}
