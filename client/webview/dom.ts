/**
 * A small element builder. Text is always set as text (`textContent` / text nodes), never parsed as HTML:
 * the only HTML this webview ever parses is sanitized markdown output (markdown.ts).
 */
type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  attrs?: Record<string, string | undefined>;
  onClick?: (event: Event) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== undefined) el.setAttribute(name, value);
  }
  if (props.text !== undefined) el.textContent = props.text;
  if (props.onClick) el.addEventListener('click', props.onClick);
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A `<button type="button">`: an accessible name is required (icon-only buttons pass `label`). */
export function button(
  text: string,
  onClick: () => void,
  options: { label?: string; class?: string; title?: string } = {},
): HTMLButtonElement {
  return h('button', {
    class: options.class ?? 'btn',
    text,
    attrs: { type: 'button', 'aria-label': options.label, title: options.title ?? options.label },
    onClick: () => onClick(),
  });
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'sr-only', text });
}

let counter = 0;
/** A fresh element id (host-supplied ids never go into the DOM as ids or selectors). */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}
