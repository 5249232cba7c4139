import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

/**
 * Model output → a sanitized DOM fragment. The answer is attacker-controllable (the selection we send can
 * carry a prompt injection), so three layers stand between it and the page:
 *  1. markdown-it with `html: false` (raw HTML is escaped as text) and `linkify: false`; images are never
 *     rendered as images (their alt text and address are shown as text); headings are demoted below the
 *     turn's own heading; no `style` attributes (table alignment) are emitted.
 *  2. DOMPurify with an allow-list: text formatting, lists, tables, code, links; no img/svg/math/iframe/
 *     script/style/form/inputs, no event handlers, no data-/aria- attributes, `href` only http(s).
 *  3. Links lose their `href` entirely: clicking one asks the host (`openLink`), which confirms with the
 *     user; the webview itself can never navigate. And the page's CSP blocks any script, remote image or
 *     connection that might slip through anyway.
 */

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: false });

md.core.ruler.push('flask_sentinel_safety', (state) => {
  const walk = (tokens: typeof state.tokens): void => {
    for (const token of tokens) {
      if (token.type === 'heading_open' || token.type === 'heading_close') {
        const level = Number(token.tag.slice(1));
        token.tag = `h${Math.min(6, level + 3)}`;
      }
      if (token.type === 'fence') token.attrJoin('class', 'md-fence');
      if (token.attrs) token.attrs = token.attrs.filter(([name]) => name !== 'style');
      if (token.children) walk(token.children);
    }
  };
  walk(state.tokens);
});

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (!token) return '';
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  const src = token.attrGet('src') ?? '';
  const text = `[image not loaded: ${alt || 'no description'}${src ? ` (${src})` : ''}]`;
  return `<span class="md-image">${md.utils.escapeHtml(text)}</span>`;
};

const ALLOWED_TAGS = [
  'p',
  'br',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'strong',
  'em',
  's',
  'del',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
];

const purify = DOMPurify(window);

/** Classes markdown-it (and our image rule) emit; anything else is dropped. */
const ALLOWED_CLASS = /^(md-fence|md-image|language-[A-Za-z0-9_+#.-]{1,40})$/;

purify.addHook('uponSanitizeAttribute', (_node, data) => {
  if (data.attrName === 'class') {
    const kept = data.attrValue.split(/\s+/).filter((c) => ALLOWED_CLASS.test(c));
    if (kept.length === 0) data.keepAttr = false;
    else data.attrValue = kept.join(' ');
  }
});

const PURIFY_CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: ['href', 'class', 'start', 'title'],
  ALLOWED_URI_REGEXP: /^https?:\/\//i,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  FORBID_TAGS: [
    'img',
    'svg',
    'math',
    'iframe',
    'frame',
    'object',
    'embed',
    'script',
    'style',
    'link',
    'meta',
    'base',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'video',
    'audio',
    'source',
    'picture',
  ],
  FORBID_ATTR: ['style', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'id', 'name'],
  KEEP_CONTENT: true,
  RETURN_DOM_FRAGMENT: true as const,
};

/** An http(s) URL, normalised, or undefined for anything else. */
export function safeHttpUrl(raw: string | null | undefined): string | undefined {
  if (!raw || raw.length > 2000) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username || url.password) return undefined;
    return url.href.length <= 2000 ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export interface RenderedMarkdown {
  fragment: DocumentFragment;
  /** The fenced code blocks' `<pre>`s in document order: block i is the answer's i-th ``` / ~~~ fence. */
  fences: HTMLPreElement[];
  /** Links, with the URL they stand for (their `href` has been removed). */
  links: { element: HTMLAnchorElement; url: string }[];
}

export function renderMarkdown(source: string): RenderedMarkdown {
  const html = md.render(source);
  // DOMPurify parses into an inert document (nothing loads, nothing runs); adopt the result into ours.
  const fragment = document.importNode(purify.sanitize(html, PURIFY_CONFIG), true);
  const links: RenderedMarkdown['links'] = [];
  for (const a of Array.from(fragment.querySelectorAll('a'))) {
    const url = safeHttpUrl(a.getAttribute('href'));
    if (!url) {
      a.replaceWith(...Array.from(a.childNodes));
      continue;
    }
    a.removeAttribute('href');
    a.setAttribute('role', 'link');
    a.setAttribute('tabindex', '0');
    a.className = 'md-link';
    a.title = `${url} (opens in your browser after you confirm)`;
    links.push({ element: a, url });
  }
  const fences: HTMLPreElement[] = [];
  for (const code of Array.from(fragment.querySelectorAll('pre > code'))) {
    const pre = code.parentElement;
    if (code.classList.contains('md-fence') && pre?.tagName === 'PRE') fences.push(pre as HTMLPreElement);
  }
  return { fragment, fences, links };
}

/** The language of a fenced block, from markdown-it's `language-x` class, if any. */
export function fenceLanguage(pre: HTMLPreElement): string | undefined {
  const code = pre.querySelector('code');
  for (const c of Array.from(code?.classList ?? [])) {
    if (c.startsWith('language-')) return c.slice('language-'.length);
  }
  return undefined;
}
