import { TurnSchema, type Turn } from './protocol';
import { formatCost } from './pricing';
import type { KeyValueStore } from './types';

/**
 * The per-workspace transcript, kept in `workspaceState` (a KeyValueStore) across reloads.
 *
 * - Capped: at most `maxTurns` turns (default 200) and `maxBytes` of JSON (default 2 MB); the oldest go
 *   first, and a single oversized answer is cut.
 * - Never stores the API key: every string is scrubbed of the secrets `secrets()` returns (the key) and of
 *   anything shaped like an Anthropic key, before it is written. Selections are not stored at all — only
 *   the context chips (file, range, counts) and the answer.
 * - Loaded turns are validated with TurnSchema; invalid ones are dropped, and a turn that was still
 *   streaming when the window closed is marked stopped.
 * - Writes are serialised, so an update never overtakes the append it follows.
 */

export const HISTORY_KEY = 'flaskSentinel.chat.history.v1';

export interface HistoryOptions {
  key?: string;
  maxTurns?: number;
  maxBytes?: number;
  /** Secrets that must never be written (the API key). */
  secrets?: () => readonly (string | undefined)[];
}

const ANTHROPIC_KEY = /sk-ant-[A-Za-z0-9_-]{8,}/g;

export class ChatHistory {
  private turns: Turn[] | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly key: string;
  private readonly maxTurns: number;
  private readonly maxBytes: number;

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: HistoryOptions = {},
  ) {
    this.key = options.key ?? HISTORY_KEY;
    this.maxTurns = options.maxTurns ?? 200;
    this.maxBytes = options.maxBytes ?? 2 * 1024 * 1024;
  }

  /** The turns, oldest first. */
  list(): Turn[] {
    if (!this.turns) this.turns = this.load();
    return this.turns.map((t) => ({ ...t }));
  }

  get(turnId: string): Turn | undefined {
    const t = this.list().find((x) => x.id === turnId);
    return t ? { ...t } : undefined;
  }

  async append(turn: Turn): Promise<void> {
    this.list();
    this.turns = [...(this.turns ?? []).filter((t) => t.id !== turn.id), this.clean(turn)];
    await this.save();
  }

  /** Merges `patch` into the turn; returns the updated turn (undefined when it is not in the history). */
  async update(turnId: string, patch: Partial<Omit<Turn, 'id'>>): Promise<Turn | undefined> {
    this.list();
    const index = (this.turns ?? []).findIndex((t) => t.id === turnId);
    if (index < 0 || !this.turns) return undefined;
    const updated = this.clean({ ...this.turns[index], ...patch, id: turnId } as Turn);
    this.turns = this.turns.map((t, i) => (i === index ? updated : t));
    await this.save();
    return { ...updated };
  }

  async clear(): Promise<void> {
    this.turns = [];
    await this.save();
  }

  private load(): Turn[] {
    const raw = this.store.get<unknown>(this.key);
    const list =
      raw && typeof raw === 'object' && Array.isArray((raw as { turns?: unknown }).turns)
        ? (raw as { turns: unknown[] }).turns
        : [];
    const turns: Turn[] = [];
    for (const item of list) {
      const r = TurnSchema.safeParse(item);
      if (!r.success) continue;
      turns.push(
        r.data.status === 'streaming'
          ? {
              ...r.data,
              status: 'stopped',
              error: {
                message: 'Interrupted: the window was closed while the answer streamed.',
                retryable: false,
              },
            }
          : r.data,
      );
    }
    return turns.slice(-this.maxTurns);
  }

  private scrub(text: string): string {
    let out = text.replace(ANTHROPIC_KEY, '[REDACTED:anthropic-key]');
    for (const s of this.options.secrets?.() ?? []) {
      if (s && s.length >= 8) out = out.split(s).join('[REDACTED:api-key]');
    }
    return out;
  }

  /** A copy of the turn with every string scrubbed. */
  private clean(turn: Turn): Turn {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.scrub(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') {
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
      }
      return v;
    };
    return walk(turn) as Turn;
  }

  private capped(): Turn[] {
    let turns = (this.turns ?? []).slice(-this.maxTurns);
    const size = (ts: Turn[]): number => Buffer.byteLength(JSON.stringify({ v: 1, turns: ts }), 'utf8');
    while (turns.length > 1 && size(turns) > this.maxBytes) turns = turns.slice(1);
    const only = turns[0];
    if (turns.length === 1 && only && size(turns) > this.maxBytes) {
      const overflow = size(turns) - this.maxBytes + 200;
      const keep = Math.max(0, only.answer.length - overflow);
      turns = [
        {
          ...only,
          answer: `${only.answer.slice(0, keep)}\n\n_(cut: the history keeps at most ${Math.round(this.maxBytes / 1024)} KB)_`,
        },
      ];
    }
    return turns;
  }

  private save(): Promise<void> {
    this.turns = this.capped();
    const snapshot = { v: 1, turns: this.turns };
    const write = this.writing.then(() => this.store.update(this.key, snapshot));
    this.writing = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  /** The transcript as Markdown, for "Export history". */
  toMarkdown(options: { title?: string; now?: Date } = {}): string {
    const turns = this.list();
    const out: string[] = [
      `# ${options.title ?? 'Flask Sentinel — security agent chat'}`,
      '',
      `_Exported ${(options.now ?? new Date()).toISOString()} · ${turns.length} turn${turns.length === 1 ? '' : 's'}. Costs are estimates from an editable price table._`,
    ];
    turns.forEach((t, i) => {
      const when = new Date(t.at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
      out.push('', '---', '', `## ${i + 1}. ${t.personaName} — ${when}`, '');
      out.push(`**Question:**`, '', ...t.prompt.split('\n').map((l) => `> ${l}`), '');
      if (t.context.length > 0) {
        out.push(
          `**Context:** ${t.context.map((c) => (c.kind === 'file' ? `\`${c.label}\`` : c.label)).join(' · ')}`,
          '',
        );
      }
      const meta = [
        t.model ? `**Model:** ${t.model}` : undefined,
        `**Status:** ${t.status}${t.offline ? ' (offline answer from the local analysis)' : ''}`,
        t.group ? `**Asked together:** ${t.group}` : undefined,
      ].filter(Boolean);
      out.push(meta.join(' · '));
      if (t.usage) {
        const u = t.usage;
        out.push(
          '',
          `**Usage:** ${u.inputTokens} input · ${u.outputTokens} output · ${u.cacheReadTokens} cache read · ${u.cacheWriteTokens} cache write tokens · ${formatCost(u.costUsd)}`,
        );
      }
      if (t.error) out.push('', `**Error:** ${t.error.message}`);
      out.push('', '### Answer', '', t.answer.trim() || '_(no answer)_');
      if (t.findings && t.findings.length > 0) {
        const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
        out.push('', '### Findings', '', '| Severity | Lines | CWE | Title |', '|---|---|---|---|');
        for (const f of t.findings) {
          const lines = f.line
            ? f.endLine && f.endLine !== f.line
              ? `${f.line}–${f.endLine}`
              : `${f.line}`
            : '';
          out.push(`| ${f.severity} | ${lines} | ${f.cwe ?? ''} | ${cell(f.title)} |`);
        }
      }
    });
    return `${out.join('\n')}\n`;
  }
}
