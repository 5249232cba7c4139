import type { ContextChip } from '../src/chat/protocol';
import { renderChips } from './chips';
import { button, h, uid } from './dom';
import { post, saveState, savedState } from './vscode';

const MAX_PROMPT = 20000;

/**
 * The bottom of the panel: the context the next question will carry (chips, with "Clear"), the prompt box
 * (Enter sends, Shift+Enter is a new line; the draft survives reloads), Send, and Stop while answers stream.
 */
export class Composer {
  readonly element: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly context: HTMLDivElement;
  private readonly hint: HTMLParagraphElement;
  private streaming: string[] = [];

  constructor(
    private readonly persona: () => string,
    private readonly notify: (message: string) => void,
  ) {
    const promptId = uid('prompt');
    const hintId = uid('hint');
    this.textarea = h('textarea', {
      class: 'prompt',
      attrs: {
        id: promptId,
        rows: '3',
        maxlength: String(MAX_PROMPT),
        placeholder: 'Ask about the selection, a finding or a diff…',
        'aria-describedby': hintId,
      },
    });
    this.textarea.value = savedState().draft;
    this.textarea.addEventListener('input', () => saveState({ draft: this.textarea.value }));
    this.textarea.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey) {
        event.preventDefault();
        this.send();
      }
    });
    this.sendButton = button('Send', () => this.send(), { class: 'btn' });
    this.stopButton = button('Stop', () => this.stop(), {
      class: 'btn btn-danger',
      label: 'Stop the answer',
    });
    this.stopButton.hidden = true;
    this.context = h('div', { class: 'context', attrs: { hidden: '' } });
    this.hint = h('p', {
      class: 'hint',
      text: 'Enter sends, Shift+Enter starts a new line.',
      attrs: { id: hintId },
    });

    this.element = h(
      'section',
      { class: 'composer', attrs: { 'aria-label': 'Ask an agent' } },
      this.context,
      h('label', { class: 'sr-only', text: 'Your question', attrs: { for: promptId } }),
      h(
        'div',
        { class: 'prompt-row' },
        this.textarea,
        h('div', { class: 'prompt-buttons' }, this.sendButton, this.stopButton),
      ),
      this.hint,
    );
  }

  /**
   * The chips of what the next question will carry; `prompt` (from the host) pre-fills the box, once per
   * context `id` (the host repeats a context when the page reloads: a draft edited since is kept).
   */
  setContext(chips: readonly ContextChip[], prompt?: string, id?: string): void {
    if (chips.length === 0) {
      this.context.hidden = true;
      this.context.replaceChildren();
    } else {
      this.context.hidden = false;
      this.context.replaceChildren(
        h('span', { class: 'context-title', text: 'Will be sent with your question:' }),
        renderChips(chips, 'Context that will be sent'),
        button('Clear', () => this.clearContext(), {
          class: 'btn btn-small btn-secondary',
          label: 'Clear the context',
        }),
      );
    }
    if (prompt !== undefined && (id === undefined || id !== savedState().contextId)) {
      this.textarea.value = prompt;
      saveState({ draft: prompt, contextId: id });
      this.focus();
    }
  }

  setStreaming(turnIds: string[]): void {
    const stopHadFocus = document.activeElement === this.stopButton;
    this.streaming = turnIds;
    const busy = turnIds.length > 0;
    this.stopButton.hidden = !busy;
    this.sendButton.hidden = busy;
    this.stopButton.setAttribute('aria-label', turnIds.length > 1 ? 'Stop all answers' : 'Stop the answer');
    this.hint.textContent = busy
      ? 'Answering… Stop ends the answer and keeps what has arrived.'
      : 'Enter sends, Shift+Enter starts a new line.';
    if (busy && document.activeElement === this.sendButton) this.stopButton.focus();
    if (!busy && stopHadFocus) this.textarea.focus();
  }

  focus(): void {
    this.textarea.focus();
  }

  private send(): void {
    if (this.streaming.length > 0) {
      this.notify('An answer is still streaming: stop it or wait for it to finish before asking again.');
      return;
    }
    const prompt = this.textarea.value;
    if (prompt.trim() === '') return;
    if (prompt.length > MAX_PROMPT) {
      this.notify(`The question is too long (${prompt.length} characters; the limit is ${MAX_PROMPT}).`);
      return;
    }
    const personaId = this.persona();
    if (!personaId) {
      this.notify('Choose an agent first.');
      return;
    }
    if (post({ type: 'send', personaId, prompt })) {
      this.textarea.value = '';
      saveState({ draft: '' });
    }
  }

  private stop(): void {
    for (const turnId of this.streaming) post({ type: 'stop', turnId });
  }

  private clearContext(): void {
    post({ type: 'clearContext' });
    this.setContext([]);
    this.textarea.focus();
  }
}
