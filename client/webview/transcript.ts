import type { AgentFinding, PersonaInfo, Turn, TurnStatus, Usage } from '../src/chat/protocol';
import { renderChips } from './chips';
import { button, h, srOnly, uid } from './dom';
import { fenceLanguage, renderMarkdown } from './markdown';
import { post } from './vscode';

/**
 * The conversation: one `<article>` per turn, turns of a "review with all four" group side by side in a
 * `<section>` grid. Streaming deltas are appended as plain text at once and the sanitized markdown is
 * re-rendered on a throttle whose interval grows with the cost of rendering, so long answers stay fluid.
 * Every button posts ids (turn id, block or finding index), never code: the host looks the code up itself.
 */

const MAX_ANSWER = 500_000;
const MIN_RENDER_INTERVAL = 60;
const MAX_RENDER_INTERVAL = 1000;

const SEVERITY: Record<AgentFinding['severity'], { icon: string; text: string }> = {
  critical: { icon: '‼', text: 'Critical' },
  high: { icon: '▲', text: 'High' },
  medium: { icon: '◆', text: 'Medium' },
  low: { icon: '▽', text: 'Low' },
  info: { icon: 'ℹ', text: 'Info' },
};

const STATUS_TEXT: Record<TurnStatus, string> = {
  streaming: 'Answering…',
  done: '',
  stopped: 'Stopped',
  error: 'Failed',
  refusal: 'The model declined to answer',
  max_tokens: 'Cut off at the token limit',
};

const PERSONA_COLORS = new Set(['blue', 'cyan', 'green', 'yellow', 'magenta', 'red', 'orange', 'purple']);

const numberFormat = new Intl.NumberFormat('en-US');

export function formatUsage(usage: Usage): string {
  const parts = [
    `${numberFormat.format(usage.inputTokens)} in`,
    `${numberFormat.format(usage.outputTokens)} out`,
  ];
  if (usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0) {
    parts.push(
      `cache ${numberFormat.format(usage.cacheReadTokens)} read / ${numberFormat.format(usage.cacheWriteTokens)} written`,
    );
  }
  if (usage.costUsd !== undefined) {
    parts.push(usage.costUsd < 0.01 ? `≈ $${usage.costUsd.toFixed(4)}` : `≈ $${usage.costUsd.toFixed(2)}`);
  }
  return `Tokens: ${parts.join(' · ')}`;
}

function headingTag(level: number): 'h2' | 'h3' | 'h4' | 'h5' {
  return `h${Math.min(5, Math.max(2, level))}` as 'h2' | 'h3' | 'h4' | 'h5';
}

/** Which element had focus inside `root` (by its `data-fk` key), so a rebuild can give it back. */
function focusKey(root: HTMLElement): string | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !root.contains(active)) return undefined;
  return active.closest<HTMLElement>('[data-fk]')?.dataset.fk ?? '';
}

function restoreFocus(root: HTMLElement, key: string | undefined, fallback: HTMLElement): void {
  if (key === undefined) return;
  const target = key ? root.querySelector<HTMLElement>(`[data-fk="${CSS.escape(key)}"]`) : null;
  (target ?? fallback).focus();
}

function keyed<T extends HTMLElement>(el: T, key: string): T {
  el.dataset.fk = key;
  return el;
}

class TurnView {
  readonly element: HTMLElement;
  private readonly headingId = uid('turn');
  private answerEl!: HTMLDivElement;
  private tail: Text | undefined;
  private answer: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renderInterval = MIN_RENDER_INTERVAL;

  constructor(
    public turn: Turn,
    private readonly level: number,
    private readonly personas: () => readonly PersonaInfo[],
  ) {
    this.answer = turn.answer;
    this.element = h('article', { class: 'turn', attrs: { 'aria-labelledby': this.headingId } });
    this.build();
  }

  update(turn: Turn): void {
    this.turn = turn;
    this.answer = turn.answer;
    this.cancelRender();
    this.build();
  }

  appendDelta(text: string): void {
    if (this.turn.status !== 'streaming') return;
    const room = MAX_ANSWER - this.answer.length;
    if (room <= 0) return;
    const piece = text.length > room ? text.slice(0, room) : text;
    this.answer += piece;
    if (!this.tail) {
      this.tail = document.createTextNode('');
      this.answerEl.append(h('span', { class: 'stream-tail' }, this.tail));
    }
    this.tail.appendData(piece);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.renderAnswer();
    }, this.renderInterval);
  }

  dispose(): void {
    this.cancelRender();
  }

  private cancelRender(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private build(): void {
    const turn = this.turn;
    const key = focusKey(this.element);
    const grouped = turn.group !== undefined;
    const persona = this.personas().find((p) => p.id === turn.personaId);
    const color = persona?.color && PERSONA_COLORS.has(persona.color) ? persona.color : undefined;

    this.element.className = `turn status-${turn.status}`;
    const heading = h(
      headingTag(this.level),
      { class: 'turn-title', attrs: { id: this.headingId, tabindex: '-1' } },
      color ? h('span', { class: `persona-dot persona-${color}`, attrs: { 'aria-hidden': 'true' } }) : null,
      turn.personaName,
    );
    const badges = h('div', { class: 'badges' });
    if (turn.offline) {
      badges.append(
        h('span', {
          class: 'badge badge-offline',
          text: 'Offline: local analysis',
          attrs: { title: 'Composed from the local analysis; set an API key for a model’s answer' },
        }),
      );
    }
    if (turn.model && !turn.offline) badges.append(h('span', { class: 'badge', text: turn.model }));
    if (STATUS_TEXT[turn.status]) {
      badges.append(
        h('span', { class: `badge badge-status badge-${turn.status}`, text: STATUS_TEXT[turn.status] }),
      );
    }
    const time = new Date(turn.at);
    const header = h(
      'header',
      { class: 'turn-header' },
      heading,
      badges,
      Number.isNaN(time.getTime())
        ? null
        : h('time', {
            class: 'turn-time',
            text: time.toLocaleTimeString(),
            attrs: { datetime: time.toISOString() },
          }),
    );

    const prompt = grouped
      ? null
      : h('div', { class: 'turn-prompt' }, srOnly('You asked: '), h('span', { text: turn.prompt }));
    const context =
      !grouped && turn.context.length > 0
        ? renderChips(turn.context, 'Context sent with this question')
        : null;

    this.answerEl = h('div', { class: 'answer markdown' });
    this.tail = undefined;

    const error = turn.error
      ? h(
          'p',
          { class: 'turn-error' },
          h('span', { class: 'error-icon', text: '✖', attrs: { 'aria-hidden': 'true' } }),
          srOnly('Error: '),
          turn.error.message,
        )
      : null;

    const actions = h('div', { class: 'turn-actions' });
    if (turn.status === 'streaming') {
      actions.append(
        keyed(
          button('Stop', () => post({ type: 'stop', turnId: turn.id }), {
            label: `Stop ${turn.personaName}’s answer`,
            class: 'btn btn-secondary',
          }),
          'stop',
        ),
      );
    } else {
      if (turn.status !== 'done') {
        actions.append(
          keyed(
            button('Retry', () => post({ type: 'retry', turnId: turn.id }), {
              label: `Retry ${turn.personaName}’s answer`,
              class: 'btn',
            }),
            'retry',
          ),
        );
      }
      actions.append(
        keyed(
          button('Copy', () => post({ type: 'copy', turnId: turn.id }), {
            label: `Copy ${turn.personaName}’s answer`,
            class: 'btn btn-secondary',
          }),
          'copy',
        ),
      );
    }
    const footer = h(
      'footer',
      { class: 'turn-footer' },
      turn.usage ? h('span', { class: 'usage', text: formatUsage(turn.usage) }) : null,
      actions,
    );

    const findings = turn.findings && turn.findings.length > 0 ? this.findings(turn.findings) : null;
    this.element.replaceChildren(
      ...[header, prompt, context, this.answerEl, findings, error, footer].filter((n) => n !== null),
    );
    this.renderAnswer();
    restoreFocus(this.element, key, heading);
  }

  private renderAnswer(): void {
    const key = focusKey(this.answerEl);
    const started = performance.now();
    const streaming = this.turn.status === 'streaming';
    const rendered = renderMarkdown(this.answer);
    rendered.links.forEach(({ element, url }, i) => {
      keyed(element, `link-${i}`);
      const open = (): void => void post({ type: 'openLink', url });
      element.addEventListener('click', (event) => {
        event.preventDefault();
        open();
      });
      element.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          open();
        }
      });
    });
    rendered.fences.forEach((pre, index) => {
      const language = fenceLanguage(pre);
      const wrapper = h('div', { class: 'code-block' });
      pre.replaceWith(wrapper);
      const toolbar = h(
        'div',
        { class: 'code-toolbar' },
        h('span', { class: 'code-lang', text: language ?? 'code' }),
      );
      if (!streaming) {
        const which = `code block ${index + 1}`;
        toolbar.append(
          keyed(
            button(
              'Show diff',
              () => post({ type: 'showDiff', turnId: this.turn.id, target: 'codeBlock', index }),
              { label: `Show diff for ${which}`, class: 'btn btn-small btn-secondary' },
            ),
            `cb-${index}-diff`,
          ),
          keyed(
            button(
              'Apply',
              () => post({ type: 'applyFix', turnId: this.turn.id, target: 'codeBlock', index }),
              {
                label: `Apply ${which} (shows the change and asks first)`,
                class: 'btn btn-small',
              },
            ),
            `cb-${index}-apply`,
          ),
          keyed(
            button('Insert', () => post({ type: 'insertAtCursor', turnId: this.turn.id, index }), {
              label: `Insert ${which} at the cursor in the editor`,
              class: 'btn btn-small btn-secondary',
            }),
            `cb-${index}-insert`,
          ),
          keyed(
            button('Copy', () => post({ type: 'copyBlock', turnId: this.turn.id, index }), {
              label: `Copy ${which}`,
              class: 'btn btn-small btn-secondary',
            }),
            `cb-${index}-copy`,
          ),
        );
      }
      wrapper.append(toolbar, pre);
    });
    this.answerEl.replaceChildren(rendered.fragment);
    this.tail = undefined;
    this.answerEl.setAttribute('aria-busy', streaming ? 'true' : 'false');
    if (streaming && this.answer.length === 0) {
      this.answerEl.append(h('p', { class: 'placeholder', text: 'Waiting for the first words…' }));
    }
    const cost = performance.now() - started;
    this.renderInterval = Math.min(MAX_RENDER_INTERVAL, Math.max(MIN_RENDER_INTERVAL, cost * 4));
    if (key !== undefined)
      restoreFocus(this.answerEl, key, this.answerEl.closest('article') ?? this.answerEl);
  }

  private findings(findings: readonly AgentFinding[]): HTMLElement {
    const turn = this.turn;
    const id = uid('findings');
    const list = h('ol', { class: 'findings-list' });
    findings.forEach((finding, index) => {
      const severity = SEVERITY[finding.severity];
      const where =
        finding.line !== undefined
          ? finding.endLine !== undefined && finding.endLine !== finding.line
            ? `Lines ${finding.line}–${finding.endLine}`
            : `Line ${finding.line}`
          : undefined;
      const meta = h(
        'div',
        { class: 'finding-meta' },
        h(
          'span',
          { class: `severity severity-${finding.severity}` },
          h('span', { class: 'severity-icon', text: severity.icon, attrs: { 'aria-hidden': 'true' } }),
          severity.text,
        ),
        finding.cwe ? h('span', { class: 'cwe', text: finding.cwe }) : null,
        where
          ? keyed(
              button(where, () => post({ type: 'reveal', turnId: turn.id, index }), {
                label: `Go to ${where.toLowerCase()}`,
                class: 'btn-link',
              }),
              `f-${index}-reveal`,
            )
          : null,
      );
      const card = h(
        'li',
        { class: `finding finding-${finding.severity}` },
        h(headingTag(this.level + 2), { class: 'finding-title', text: finding.title }),
        meta,
        finding.explanation ? h('p', { class: 'finding-explanation', text: finding.explanation }) : null,
      );
      if (finding.replacement !== undefined) {
        card.append(
          h(
            'div',
            { class: 'code-block' },
            h(
              'div',
              { class: 'code-toolbar' },
              h('span', { class: 'code-lang', text: 'Suggested replacement' }),
            ),
            h('pre', {}, h('code', { text: finding.replacement })),
          ),
        );
        if (turn.status !== 'streaming') {
          card.append(
            h(
              'div',
              { class: 'finding-actions' },
              keyed(
                button(
                  'Show diff',
                  () => post({ type: 'showDiff', turnId: turn.id, target: 'finding', index }),
                  {
                    label: `Show diff for finding ${index + 1}: ${finding.title}`,
                    class: 'btn btn-secondary',
                  },
                ),
                `f-${index}-diff`,
              ),
              keyed(
                button('Apply', () => post({ type: 'applyFix', turnId: turn.id, target: 'finding', index }), {
                  label: `Apply the fix for finding ${index + 1}: ${finding.title} (shows the change and asks first)`,
                  class: 'btn',
                }),
                `f-${index}-apply`,
              ),
            ),
          );
        }
      }
      list.append(card);
    });
    return h(
      'section',
      { class: 'findings', attrs: { 'aria-labelledby': id } },
      h(headingTag(this.level + 1), {
        class: 'findings-title',
        text: `Findings (${findings.length})`,
        attrs: { id },
      }),
      list,
    );
  }
}

class GroupView {
  readonly element: HTMLElement;
  readonly grid: HTMLDivElement;
  private readonly promptEl: HTMLSpanElement;
  private readonly chipsSlot: HTMLDivElement;

  constructor(first: Turn) {
    const id = uid('group');
    this.promptEl = h('span', { text: first.prompt });
    this.chipsSlot = h('div');
    this.grid = h('div', { class: 'group-grid' });
    this.element = h(
      'section',
      { class: 'group', attrs: { 'aria-labelledby': id } },
      h('h2', { class: 'group-title', attrs: { id, tabindex: '-1' } }, 'Review with all four'),
      h('div', { class: 'turn-prompt' }, srOnly('You asked: '), this.promptEl),
      this.chipsSlot,
      this.grid,
    );
    this.setContext(first);
  }

  setContext(turn: Turn): void {
    this.promptEl.textContent = turn.prompt;
    this.chipsSlot.replaceChildren(
      turn.context.length > 0 ? renderChips(turn.context, 'Context sent with this question') : '',
    );
  }
}

export class Transcript {
  readonly element: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly views = new Map<string, TurnView>();
  private readonly groups = new Map<string, GroupView>();
  /** Follow the end of the conversation (until the user scrolls up, and again once they scroll back down). */
  private pinned = true;
  private scrollFrame: number | undefined;

  constructor(
    private readonly personas: () => readonly PersonaInfo[],
    private readonly onStreamingChange: () => void,
  ) {
    this.empty = h(
      'p',
      { class: 'empty' },
      'Select code, a finding or a diff in the editor and ask an agent about it, or type a question below.',
    );
    this.element = h(
      'div',
      {
        class: 'transcript',
        attrs: {
          role: 'log',
          'aria-live': 'polite',
          'aria-relevant': 'additions',
          'aria-label': 'Conversation',
          tabindex: '0',
        },
      },
      this.empty,
    );
    this.element.addEventListener('scroll', () => {
      const el = this.element;
      this.pinned = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    });
  }

  get size(): number {
    return this.views.size;
  }

  streamingTurnIds(): string[] {
    return [...this.views.values()].filter((v) => v.turn.status === 'streaming').map((v) => v.turn.id);
  }

  setHistory(turns: readonly Turn[]): void {
    for (const view of this.views.values()) view.dispose();
    this.views.clear();
    this.groups.clear();
    this.element.replaceChildren();
    for (const turn of turns) this.add(turn);
    this.refreshEmpty();
    this.pinned = true;
    this.followEnd();
    this.onStreamingChange();
  }

  /** `turnStart` / `turnEnd`: a new turn, or the final state of one (replaces what was streamed). */
  upsert(turn: Turn): void {
    const view = this.views.get(turn.id);
    if (view) {
      view.update(turn);
      if (turn.group !== undefined) this.groups.get(turn.group)?.setContext(turn);
    } else {
      this.add(turn);
    }
    this.refreshEmpty();
    this.followEnd();
    this.onStreamingChange();
  }

  delta(turnId: string, text: string): void {
    const view = this.views.get(turnId);
    if (!view) {
      console.warn('[flask-sentinel] a delta for a turn this panel does not show was dropped');
      return;
    }
    view.appendDelta(text);
    this.followEnd();
  }

  private add(turn: Turn): void {
    let view: TurnView;
    if (turn.group !== undefined) {
      let group = this.groups.get(turn.group);
      if (!group) {
        group = new GroupView(turn);
        this.groups.set(turn.group, group);
        this.element.append(group.element);
      }
      view = new TurnView(turn, 3, this.personas);
      group.grid.append(view.element);
    } else {
      view = new TurnView(turn, 2, this.personas);
      this.element.append(view.element);
    }
    this.views.set(turn.id, view);
  }

  private refreshEmpty(): void {
    if (this.views.size === 0 && !this.empty.isConnected) this.element.append(this.empty);
    if (this.views.size > 0) this.empty.remove();
  }

  /** Scrolls to the end once per frame at most (reading layout on every delta would stall long streams). */
  private followEnd(): void {
    if (!this.pinned || this.scrollFrame !== undefined) return;
    this.scrollFrame = requestAnimationFrame(() => {
      this.scrollFrame = undefined;
      if (this.pinned) this.element.scrollTop = this.element.scrollHeight;
    });
  }
}
