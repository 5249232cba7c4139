import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatCsp, newNonce, renderChatHtml } from '../../client/src/chat/html';

const cspSource = 'https://*.vscode-cdn.net';

describe('chat webview html', () => {
  it('sets the strict policy: nonce scripts, no inline or eval, no remote images, no connections', () => {
    const nonce = newNonce();
    assert.equal(
      chatCsp(cspSource, nonce),
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; font-src ${cspSource}; ` +
        `img-src ${cspSource} data:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-src 'none'`,
    );
  });

  it('makes a fresh 16-byte base64 nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => newNonce()));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) {
      assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
      assert.equal(Buffer.from(nonce, 'base64').length, 16);
    }
  });

  it('loads only the bundled script (by nonce) and stylesheet, with the policy in a meta tag first', () => {
    const nonce = newNonce();
    const html = renderChatHtml({
      cspSource,
      nonce,
      scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js',
      styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.css',
      title: 'Agents <&>',
    });
    const meta = html.indexOf('http-equiv="Content-Security-Policy"');
    assert.ok(meta > 0 && meta < html.indexOf('<link') && meta < html.indexOf('<script'));
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(
      html.includes(
        `<script nonce="${nonce}" src="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js" defer></script>`,
      ),
    );
    assert.ok(html.includes('<title>Agents &lt;&amp;&gt;</title>'));
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|https:(?!\/\/)| style=/);
  });

  it('escapes the URIs it is given and refuses a source list or nonce that could break out', () => {
    const html = renderChatHtml({
      cspSource,
      nonce: newNonce(),
      scriptUri: 'https://x/chat.js"><script>alert(1)</script>',
      styleUri: 'https://x/chat.css',
    });
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(html.includes('chat.js&quot;&gt;&lt;script&gt;'));
    assert.throws(() => chatCsp("https://x; script-src 'unsafe-inline'", newNonce()), /cspSource/);
    assert.throws(() => chatCsp('https://x"', newNonce()), /cspSource/);
    assert.throws(() => chatCsp(cspSource, "abc' 'unsafe-inline"), /nonce/);
    assert.throws(() => chatCsp(cspSource, 'short'), /nonce/);
  });
});
