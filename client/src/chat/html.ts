import { randomBytes } from 'node:crypto';

/**
 * The chat webview's HTML: an empty shell that loads the bundled script (by nonce) and stylesheet (from the
 * webview's own resource origin) under a strict Content-Security-Policy. Everything visible is built by
 * `dist/webview/chat.js` with DOM APIs, never from HTML strings. No `vscode` import, so tests can serve the
 * exact same page from a loopback server.
 */
export interface ChatHtmlOptions {
  /** `webview.cspSource`: the origin the webview may load the stylesheet (and fonts, images) from. */
  cspSource: string;
  /** A fresh `newNonce()` per render. */
  nonce: string;
  /** `webview.asWebviewUri(<extension>/dist/webview/chat.js)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(<extension>/dist/webview/chat.css)`, as a string. */
  styleUri: string;
  /** The document title (screen readers announce it). */
  title?: string;
}

/** A random nonce for the script tag and the CSP: 16 bytes from the system's CSPRNG, base64. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
/** A CSP source list: scheme/host sources and keywords, nothing that could end the directive or the attribute. */
const SOURCE_LIST = /^[A-Za-z0-9 .:/*+_'-]+$/;

/**
 * The policy: nothing by default; scripts only with the nonce (no 'unsafe-inline', no 'unsafe-eval');
 * styles and fonts only from the webview's resource origin (so no inline styles either); images only from
 * there and `data:` — no `https:`, which closes the markdown-image exfiltration beacon; no fetch/XHR/
 * WebSocket, no form posts, no `<base>`, no frames.
 */
export function chatCsp(cspSource: string, nonce: string): string {
  if (!SOURCE_LIST.test(cspSource))
    throw new Error(`unexpected webview cspSource: ${JSON.stringify(cspSource)}`);
  if (!NONCE.test(nonce)) throw new Error('the nonce must be at least 16 base64 characters');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
  ].join('; ');
}

function escapeAttr(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function renderChatHtml(options: ChatHtmlOptions): string {
  const { cspSource, nonce, scriptUri, styleUri } = options;
  const csp = chatCsp(cspSource, nonce);
  const title = options.title ?? 'Flask Sentinel: security agents';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeAttr(title)}</title>
<link rel="stylesheet" href="${escapeAttr(styleUri)}">
<script nonce="${escapeAttr(nonce)}" src="${escapeAttr(scriptUri)}" defer></script>
</head>
<body>
<div id="app" class="app"><p class="loading">Loading the security agents…</p></div>
</body>
</html>
`;
}
