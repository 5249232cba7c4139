// Must stay the first import: it switches zod to jitless mode before the protocol's schemas are built.
import './zodSetup';
import { ToWebviewSchema } from '../src/chat/protocol';
import type { PersonaInfo, ToWebview } from '../src/chat/protocol';
import { Composer } from './composer';
import { button, h, srOnly } from './dom';
import { Header } from './header';
import { Transcript } from './transcript';
import { post } from './vscode';

/**
 * The chat panel's webview. It only talks to the extension host through `acquireVsCodeApi()`; every
 * incoming message is checked against `ToWebviewSchema` (invalid ones are dropped with a console warning),
 * every outgoing one against `FromWebviewSchema`. The host owns the conversation; this page shows it.
 */

const MAX_NOTICES = 3;

class ChatApp {
  private personas: readonly PersonaInfo[] = [];
  private readonly header: Header;
  private readonly transcript: Transcript;
  private readonly composer: Composer;
  private readonly notices: HTMLDivElement;

  constructor(root: HTMLElement) {
    this.header = new Header(() => {
      post({ type: 'clearHistory' });
      this.transcript.setHistory([]);
      this.header.setHistorySize(0);
    });
    this.transcript = new Transcript(
      () => this.personas,
      () => this.composer.setStreaming(this.transcript.streamingTurnIds()),
    );
    this.composer = new Composer(
      () => this.header.personaId,
      (message) => this.notice('warning', message),
    );
    this.notices = h('div', { class: 'notices', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.header.setHistorySize(0);
    root.replaceChildren(this.header.element, this.notices, this.transcript.element, this.composer.element);
  }

  handle(message: ToWebview): void {
    switch (message.type) {
      case 'init':
        this.personas = message.personas;
        this.header.setPersonas(message.personas, message.selectedPersonaId);
        this.header.setStatus({
          model: message.model,
          hasApiKey: message.hasApiKey,
          trusted: message.trusted,
        });
        this.transcript.setHistory(message.history);
        this.header.setHistorySize(this.transcript.size);
        break;
      case 'personas':
        this.personas = message.personas;
        this.header.setPersonas(message.personas);
        break;
      case 'history':
        this.transcript.setHistory(message.history);
        this.header.setHistorySize(this.transcript.size);
        break;
      case 'context':
        this.composer.setContext(message.chips, message.prompt, message.id);
        break;
      case 'turnStart':
      case 'turnEnd':
        this.transcript.upsert(message.turn);
        this.header.setHistorySize(this.transcript.size);
        break;
      case 'delta':
        this.transcript.delta(message.turnId, message.text);
        break;
      case 'apiKey':
        this.header.setStatus({ hasApiKey: message.hasApiKey });
        break;
      case 'notice':
        this.notice(message.level, message.message);
        break;
    }
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    const icon = { info: 'ℹ', warning: '⚠', error: '✖' }[level];
    const item = h(
      'div',
      { class: `notice notice-${level}` },
      h('span', { class: 'notice-icon', text: icon, attrs: { 'aria-hidden': 'true' } }),
      srOnly(`${level[0]?.toUpperCase() ?? ''}${level.slice(1)}: `),
      h('span', { class: 'notice-text', text: message }),
    );
    item.append(
      button(
        '×',
        () => {
          item.remove();
          this.composer.focus();
        },
        { label: 'Dismiss this message', class: 'btn-icon' },
      ),
    );
    this.notices.append(item);
    while (this.notices.children.length > MAX_NOTICES) this.notices.firstElementChild?.remove();
  }
}

function describe(data: unknown): string {
  if (typeof data === 'object' && data !== null && 'type' in data && typeof data.type === 'string') {
    return `"${data.type.slice(0, 40)}"`;
  }
  return typeof data;
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const app = new ChatApp(root);
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const parsed = ToWebviewSchema.safeParse(event.data);
    if (!parsed.success) {
      // The message content is not logged: it may carry code or secrets.
      console.warn(
        `[flask-sentinel] dropped an invalid ${describe(event.data)} message from the extension:`,
        parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; '),
      );
      return;
    }
    try {
      app.handle(parsed.data);
    } catch (error) {
      console.error('[flask-sentinel] could not show a message from the extension:', error);
    }
  });
  post({ type: 'ready' });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
