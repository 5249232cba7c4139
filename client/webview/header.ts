import type { PersonaInfo } from '../src/chat/protocol';
import { button, h, uid } from './dom';
import { post, saveState, savedState } from './vscode';

/** The personaId that asks the four built-in agents at once (answers shown side by side). */
export const ALL_PERSONAS = '*all';

/**
 * The top of the panel: persona picker (built-in and workspace agents labelled, broken agent files listed
 * with their error), model and API-key status, restricted-mode note, history actions.
 */
export class Header {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly description: HTMLParagraphElement;
  private readonly invalid: HTMLDetailsElement;
  private readonly model: HTMLSpanElement;
  private readonly key: HTMLSpanElement;
  private readonly keyButton: HTMLButtonElement;
  private readonly restricted: HTMLParagraphElement;
  private readonly exportButton: HTMLButtonElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly confirm: HTMLDivElement;
  private readonly confirmCancel: HTMLButtonElement;
  private personas: readonly PersonaInfo[] = [];
  private historySize = 0;

  constructor(private readonly onClearConfirmed: () => void) {
    const selectId = uid('persona');
    this.select = h('select', { class: 'persona-select', attrs: { id: selectId, disabled: '' } });
    this.select.append(h('option', { text: 'Loading agents…', attrs: { value: '' } }));
    this.select.addEventListener('change', () => this.chosen());
    this.description = h('p', { class: 'persona-description' });
    this.invalid = h('details', { class: 'invalid-agents', attrs: { hidden: '' } });

    this.model = h('span', { class: 'model' });
    this.key = h('span', { class: 'key-status' });
    this.keyButton = button('Set API key', () => post({ type: 'setApiKey' }), {
      class: 'btn btn-small btn-secondary',
    });
    this.restricted = h('p', {
      class: 'restricted',
      text: 'Restricted mode: workspace agents and project context are not loaded until you trust this folder.',
      attrs: { hidden: '' },
    });

    this.exportButton = button('Export to Markdown', () => post({ type: 'exportHistory' }), {
      class: 'btn btn-small btn-secondary',
    });
    this.clearButton = button('Clear history…', () => this.askToClear(), {
      class: 'btn btn-small btn-secondary',
    });
    const confirmText = h('span', { class: 'confirm-text' });
    this.confirmCancel = button('Cancel', () => this.closeConfirm(true), {
      class: 'btn btn-small btn-secondary',
    });
    const confirmDelete = button(
      'Delete history',
      () => {
        this.closeConfirm(false);
        this.onClearConfirmed();
        this.clearButton.focus();
      },
      { class: 'btn btn-small btn-danger' },
    );
    this.confirm = h(
      'div',
      {
        class: 'confirm',
        attrs: { role: 'group', 'aria-label': 'Confirm clearing the history', hidden: '' },
      },
      confirmText,
      confirmDelete,
      this.confirmCancel,
    );
    this.confirm.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.closeConfirm(true);
      }
    });

    this.element = h(
      'header',
      { class: 'panel-header' },
      h('h1', { class: 'sr-only', text: 'Flask Sentinel security agents' }),
      h(
        'div',
        { class: 'persona-row' },
        h('label', { class: 'persona-label', text: 'Agent', attrs: { for: selectId } }),
        this.select,
      ),
      this.description,
      this.invalid,
      h('div', { class: 'status-row' }, this.model, this.key, this.keyButton),
      this.restricted,
      h('div', { class: 'history-actions' }, this.exportButton, this.clearButton),
      this.confirm,
    );
  }

  /** The persona the next question goes to ('*all' for the four built-ins), or '' if none can be chosen. */
  get personaId(): string {
    return this.select.value;
  }

  setPersonas(personas: readonly PersonaInfo[], preferred?: string): void {
    this.personas = personas;
    const current = preferred ?? (this.select.value || savedState().personaId);
    const valid = personas.filter((p) => !p.error);
    const builtIn = valid.filter((p) => p.source === 'built-in');
    const workspace = valid.filter((p) => p.source === 'workspace');
    const broken = personas.filter((p) => p.error);

    const option = (p: PersonaInfo, text: string): HTMLOptionElement =>
      h('option', { text, attrs: { value: p.id, title: p.description } });
    const groups: HTMLElement[] = [];
    if (builtIn.length > 0) {
      groups.push(
        h('optgroup', { attrs: { label: 'Built-in agents' } }, ...builtIn.map((p) => option(p, p.name))),
      );
    }
    if (builtIn.length > 1) {
      groups.push(
        h(
          'optgroup',
          { attrs: { label: 'Together' } },
          h('option', {
            text: `All ${builtIn.length === 4 ? 'four' : builtIn.length} (answers side by side)`,
            attrs: { value: ALL_PERSONAS },
          }),
        ),
      );
    }
    if (workspace.length > 0) {
      groups.push(
        h(
          'optgroup',
          { attrs: { label: 'Workspace agents' } },
          ...workspace.map((p) => option(p, `${p.name} (workspace)`)),
        ),
      );
    }
    if (broken.length > 0) {
      groups.push(
        h(
          'optgroup',
          { attrs: { label: 'Agent files with errors' } },
          ...broken.map((p) =>
            h('option', {
              text: `${p.name} (invalid)`,
              attrs: { value: `invalid:${p.id}`, disabled: '', title: p.error },
            }),
          ),
        ),
      );
    }
    if (valid.length === 0) groups.push(h('option', { text: 'No agents available', attrs: { value: '' } }));
    this.select.replaceChildren(...groups);
    this.select.disabled = valid.length === 0;

    const choosable = new Set([...valid.map((p) => p.id), ...(builtIn.length > 1 ? [ALL_PERSONAS] : [])]);
    const first = builtIn[0] ?? workspace[0];
    this.select.value = current && choosable.has(current) ? current : (first?.id ?? '');
    this.describe();

    this.invalid.hidden = broken.length === 0;
    this.invalid.replaceChildren(
      h('summary', {
        text: `${broken.length} agent ${broken.length === 1 ? 'file' : 'files'} could not be loaded`,
      }),
      h(
        'ul',
        {},
        ...broken.map((p) =>
          h('li', {}, h('strong', { text: p.name }), ` (${p.source}): `, h('span', { text: p.error ?? '' })),
        ),
      ),
    );
  }

  setStatus(status: { model?: string; hasApiKey?: boolean; trusted?: boolean }): void {
    if (status.model !== undefined) this.model.textContent = `Model: ${status.model}`;
    if (status.hasApiKey !== undefined) {
      this.key.textContent = status.hasApiKey
        ? 'API key set'
        : 'No API key: answers come from the local analysis (offline)';
      this.key.className = status.hasApiKey ? 'key-status key-set' : 'key-status key-missing';
      this.keyButton.textContent = status.hasApiKey ? 'Change API key' : 'Set API key';
    }
    if (status.trusted !== undefined) this.restricted.hidden = status.trusted;
  }

  setHistorySize(size: number): void {
    this.historySize = size;
    this.exportButton.disabled = size === 0;
    this.clearButton.disabled = size === 0;
    if (size === 0 && !this.confirm.hidden) this.closeConfirm(false);
  }

  private chosen(): void {
    const id = this.select.value;
    this.describe();
    if (!id) return;
    saveState({ personaId: id });
    if (id !== ALL_PERSONAS) post({ type: 'selectPersona', personaId: id });
  }

  private describe(): void {
    const id = this.select.value;
    const persona = this.personas.find((p) => p.id === id);
    const text =
      id === ALL_PERSONAS
        ? 'Ask every built-in agent the same question; their answers appear side by side.'
        : (persona?.description ?? '');
    this.description.textContent = text.length > 240 ? `${text.slice(0, 239)}…` : text;
    this.description.title = text;
    this.description.hidden = text === '';
  }

  private askToClear(): void {
    const n = this.historySize;
    const text = this.confirm.querySelector('.confirm-text');
    if (text)
      text.textContent = `Delete all ${n} ${n === 1 ? 'answer' : 'answers'} of this workspace’s history?`;
    this.confirm.hidden = false;
    this.confirmCancel.focus();
  }

  private closeConfirm(refocus: boolean): void {
    this.confirm.hidden = true;
    if (refocus) this.clearButton.focus();
  }
}
