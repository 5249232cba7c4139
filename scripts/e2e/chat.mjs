// The chat panel ("Security Agents" webview view) in the real workbench, driven like a person would: the
// command palette, the editor, the webview's own DOM (an iframe inside an iframe). Used by run.mjs in its UI
// session, after the Problems/Routes check, on the same page.
//
// offlineCheck: no API key -> "Ask Agent About Selection" on the SQL f-string of app/views.py -> the chips
//   show the file and the line range -> Enter in the prompt box -> an answer labelled offline that names
//   FS201, with a finding card. Screenshot chat-offline.png.
// modelCheck: the real @anthropic-ai/sdk against the loopback fake Messages server (test/helpers/
//   fakeAnthropic.ts, bundled by bundle.mjs; `flaskSentinel.chat.baseURL` points at it in the user
//   settings) -> "Set Anthropic API Key" through its input box -> a question to another persona streams in,
//   markdown code block included; the request carried the selection inside <untrusted_code …> and the key
//   only in `Authorization`; then an answer full of HTML/markdown-image payloads renders inert (no <img>,
//   nothing loaded, no handler ran). Screenshots chat-model.png, chat-model-inert.png.
// applyCheck: the model answer's code block (a drop-in rewrite of the selected lines) -> "Show diff" opens a
//   diff editor -> "Apply" asks in a modal dialog; Cancel changes nothing, Apply replaces the lines (editor,
//   then disk after Ctrl+S) -> undone, a character typed into the lines, "Apply" is refused with a warning
//   and changes nothing. Screenshots chat-apply-diff.png, chat-apply-dialog.png, chat-apply.png,
//   chat-apply-refused.png.
/* global document -- the functions given to evaluate() run in the browser */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const EXTENSION_ID = 'flask-sentinel.flask-sentinel';
const WEBVIEW = `iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`;
/** Where the chat's DOM lives: the workbench's webview iframe, and inside it the content frame. */
export const chatFrame = (page) => page.frameLocator(WEBVIEW).frameLocator('iframe#active-frame');

/** The persona the model check picks (the offline check uses the default, the first built-in). */
const MODEL_PERSONA = 'backend-security-expert';
const MODEL_MARKER = 'FAKE-MODEL-ANSWER';
const XSS_MARKER = 'E2E-XSS';

/** The replies of the fake Messages server: the inert-HTML answer when the question asks for it. */
export function fakeScript(state) {
  return async (request) => {
    const { textEvents } = state.fakeModule;
    if (request.rawBody.includes(XSS_MARKER)) {
      return { kind: 'stream', steps: textEvents(xssAnswer(state.baseURL), { delayMs: 20 }) };
    }
    // Slow enough (~2 s) that the panel is seen streaming before the answer is done.
    return { kind: 'stream', steps: textEvents(MODEL_ANSWER, { delayMs: 250, outputTokens: 97 }) };
  };
}

const MODEL_ANSWER = [
  `${MODEL_MARKER} from the loopback server: `,
  '`term` reaches the SQL text through an f-string, ',
  'so `/search?q=%25%27 OR 1=1 --` dumps the table (CWE-89).\n\n',
  'Bind it as a parameter instead (the selected lines, rewritten):\n\n```python\n',
  '    term = request.args.get("q", "")\n    conn = sqlite3.connect("shop.db")\n',
  '    rows = conn.execute(\n        "SELECT name, price FROM products WHERE name LIKE ?",\n',
  '        (f"%{term}%",),\n    ).fetchall()\n```\n\n',
  'That closes the injection; keep `LIKE` wildcards in the bound value.',
];

/** The code block of MODEL_ANSWER: a drop-in replacement for the selected lines, which "Apply" puts there. */
const MODEL_FIX = /```python\n([\s\S]*?)\n```/.exec(MODEL_ANSWER.join(''))[1];

function xssAnswer(baseURL) {
  return [
    `${XSS_MARKER}-ANSWER: the payloads below must stay text.\n\n`,
    `<img src=x onerror="document.body.dataset.pwned='img'">\n\n`,
    `![beacon](${baseURL}/beacon.png?leak=e2e)\n\n`,
    `<script>document.body.dataset.pwned='script'</script>\n\n`,
    `[a javascript: link](javascript:document.body.dataset.pwned='link')\n\n`,
    `<svg onload="document.body.dataset.pwned='svg'"><circle r="5"/></svg>\n\n`,
    'End of payloads.',
  ];
}

async function retry(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${last.message})` : ''}`,
      );
    }
    await sleep(150);
  }
}

/**
 * F1, the command's title typed, its row clicked (Enter on a fuzzy match once ran another command).
 * Throws when the palette does not list the command.
 */
export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  try {
    await row.waitFor({ timeout: 8_000 });
  } catch {
    const listed = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    await page.keyboard.press('Escape');
    throw new Error(
      `the command palette does not list "${title}" (a \`when\` clause in contributes.menus.commandPalette?); ` +
        `it shows ${JSON.stringify(listed.map((t) => t.split('\n')[0]))}`,
    );
  }
  await row.click();
}

/**
 * Ctrl+P with `text` typed into the quick-open box. Tried again when the box is not usable: right after a
 * modal dialog closes, the workbench is still inert for a moment and the focus it gives back closes the
 * box (seen once in CI: "element is inert", then "element is not visible" for 30 s).
 */
async function quickOpen(page, text) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    // A modal dialog marks the rest of the workbench inert; wait for it to be lifted (not fatal: the retry
    // below still covers a box that closes under us).
    await page
      .waitForFunction(() => !document.querySelector('[inert]'), null, { timeout: 5_000 })
      .catch(() => {});
    await page.keyboard.press('Control+P');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(text, { timeout: 5_000 });
      return input;
    } catch (error) {
      if (attempt === 3) throw error;
      console.log(
        `[e2e] quick open "${text}": the box was not usable (${String(error.message).split('\n')[0]}); again`,
      );
      await page.keyboard.press('Escape');
      await sleep(500);
    }
  }
}

async function openFile(page, relative) {
  await quickOpen(page, relative);
  const name = relative.split('/').pop();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
}

/** Ctrl+P ":line": the cursor to line `line` (1-based) of the active editor, which gets the focus. */
async function goToLine(page, line) {
  const input = await quickOpen(page, `:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Selects whole lines first..last (1-based) of the active editor: Ctrl+P ":first", Shift+Down. */
async function selectLines(page, first, last) {
  await goToLine(page, first);
  await page.keyboard.press('Home');
  await page.keyboard.press('Home'); // (twice: the first goes to the first non-blank character)
  for (let line = first; line <= last; line++) await page.keyboard.press('Shift+ArrowDown');
  // The status bar confirms it: "Ln <last+1>, Col 1 (N selected)".
  const status = page.locator('[id="status.editor.selection"]');
  await retry('the selection in the status bar', 10_000, async () =>
    new RegExp(`Ln ${last + 1}, Col 1 \\(\\d+ selected\\)`).test(await status.innerText()),
  );
  return status.innerText();
}

/** Drags the sash between the sidebar and the editor to the right, so the screenshots show more of the
 * chat (cosmetic only: nothing is checked on it). */
async function widenSidebar(page, width = 600) {
  try {
    const at = await page.evaluate(() => {
      const side = document.querySelector('.part.sidebar')?.getBoundingClientRect();
      if (!side) return undefined;
      const sash = Array.from(document.querySelectorAll('.monaco-sash.vertical'))
        .map((s) => s.getBoundingClientRect())
        .find((r) => r.height > side.height / 2 && Math.abs(r.left + r.width / 2 - side.right) < 6);
      return sash && { x: sash.left + sash.width / 2, y: side.top + side.height / 2, left: side.left };
    });
    if (!at || at.x - at.left >= width) return;
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    await page.mouse.move(at.x + 20, at.y, { steps: 2 });
    await page.mouse.move(at.left + width, at.y, { steps: 5 });
    await page.mouse.up();
  } catch {
    // narrower screenshots
  }
}

/** Gives the chat the sidebar's height (the Routes view shares the container). */
async function collapseRoutes(page) {
  const routes = page.locator('.part.sidebar .pane-header[aria-expanded="true"]', { hasText: 'Routes' });
  if (await routes.count()) await routes.first().click();
}

/** The chat panel's turns as rendered: status, badges, answer text, finding cards, code blocks. */
function readTurns(chat) {
  return chat.locator('article.turn').evaluateAll((articles) =>
    articles.map((a) => ({
      status: /status-(\w+)/.exec(a.className)?.[1],
      persona: a.querySelector('.turn-title')?.textContent?.trim(),
      badges: Array.from(a.querySelectorAll('.badge')).map((b) => b.textContent?.trim()),
      prompt: a.querySelector('.turn-prompt')?.textContent?.trim(),
      answer: a.querySelector('.answer')?.textContent ?? '',
      findings: Array.from(a.querySelectorAll('.finding .finding-title')).map((t) => t.textContent?.trim()),
      codeBlocks: Array.from(a.querySelectorAll('.answer .code-block')).map((b) => ({
        language: b.querySelector('.code-lang')?.textContent?.trim(),
        code: b.querySelector('pre code')?.textContent ?? '',
        buttons: Array.from(b.querySelectorAll('button')).map((x) => x.textContent?.trim()),
      })),
      usage: a.querySelector('.usage')?.textContent?.trim(),
      error: a.querySelector('.turn-error')?.textContent?.trim(),
    })),
  );
}

/** The 1-based lines of the SQL f-string's function body in the workspace copy of app/views.py. */
function sqlLines(folder) {
  const lines = readFileSync(join(folder, 'app', 'views.py'), 'utf8').split('\n');
  const sql = lines.findIndex((l) => l.includes('conn.execute(f"SELECT')) + 1;
  if (sql < 3) throw new Error('app/views.py: no conn.execute(f"SELECT line');
  return { first: sql - 2, last: sql };
}

async function typeAndSend(page, chat, prompt) {
  const box = chat.locator('textarea.prompt');
  await box.click();
  if (prompt !== undefined) await box.fill(prompt);
  const value = await box.inputValue();
  if (!value.trim()) throw new Error('the prompt box is empty: nothing to send');
  await page.keyboard.press('Enter');
  return value;
}

export async function offlineCheck({ page, folder, artifacts, log }) {
  const { first, last } = sqlLines(folder);
  await openFile(page, 'app/views.py');
  const status = await selectLines(page, first, last);
  log(`chat offline: selected lines ${first}-${last} of app/views.py (${status.trim()})`);
  await runCommand(page, 'Flask Sentinel: Ask Agent About Selection');

  const chat = chatFrame(page);
  await chat.locator('.composer .chips').waitFor({ timeout: 30_000 });
  await collapseRoutes(page);
  await widenSidebar(page);
  const range = `lines ${first}–${last}`;
  const chips = await retry(`chips "app/views.py" and "${range}"`, 15_000, async () => {
    const labels = await chat.locator('.composer .chip').allInnerTexts();
    const text = labels.map((t) => t.replace(/\s+/g, ' ').trim());
    return text.some((t) => t.includes('app/views.py')) && text.some((t) => t.includes(range))
      ? text
      : undefined;
  });
  log(`chat offline: context chips ${JSON.stringify(chips)}`);
  if (!chips.some((t) => /\d+ findings? in range/.test(t)))
    throw new Error(`no "N findings in range" chip: ${JSON.stringify(chips)}`);
  const keyStatus = await chat.locator('.key-status').innerText();
  if (!/No API key/.test(keyStatus)) throw new Error(`expected no API key, the header says "${keyStatus}"`);

  const prompt = await typeAndSend(page, chat, undefined);
  log(`chat offline: Enter in the prompt box ("${prompt}")`);
  const turn = await retry('an offline answer', 20_000, async () => {
    const turns = await readTurns(chat);
    const t = turns.at(-1);
    return t && t.status === 'done' ? t : undefined;
  });
  const problems = [];
  if (!turn.badges.some((b) => /offline/i.test(b ?? '')))
    problems.push(`no offline badge: ${JSON.stringify(turn.badges)}`);
  if (!/Offline answer/.test(turn.answer)) problems.push('the answer does not say it is offline');
  if (!turn.answer.includes('FS201')) problems.push('the answer does not name FS201');
  if (!turn.findings.some((f) => f?.startsWith('FS201')))
    problems.push(`no FS201 card: ${JSON.stringify(turn.findings)}`);
  if (problems.length > 0)
    throw new Error(`offline answer: ${problems.join('; ')}\n${JSON.stringify(turn, null, 1)}`);
  await chat.locator('article.turn .turn-header').last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'chat-offline.png') });
  log(
    `chat offline: ${turn.persona} answered offline (badges ${JSON.stringify(turn.badges)}), ` +
      `${turn.answer.length} characters naming FS201, cards ${JSON.stringify(turn.findings)}; ` +
      'screenshot test-results/e2e/chat-offline.png',
  );
}

export async function modelCheck({ page, folder, artifacts, log, fake, repoRoot }) {
  const { first, last } = sqlLines(folder);
  const chat = chatFrame(page);
  const key = `sk-ant-e2e-${randomBytes(24).toString('hex')}`;
  const before = fake.requests.length;

  // The key, through the real command and its (password) input box. If the palette does not offer the
  // command, the check fails, but goes on through the panel's "Set API key" button (the same command) so
  // the rest is still checked and reported.
  const problems = [];
  let via = 'the command palette';
  try {
    await runCommand(page, 'Flask Sentinel: Set Anthropic API Key');
  } catch (error) {
    problems.push(error.message);
    log(`chat model: FAILURE: ${error.message}; going on with the panel's "Set API key" button`);
    via = 'the panel\'s "Set API key" button';
    await chat.locator('.status-row button', { hasText: 'Set API key' }).click();
  }
  const keyInput = page.locator('.quick-input-widget input[type="password"]');
  await keyInput.waitFor({ state: 'visible', timeout: 15_000 });
  const title = await page.locator('.quick-input-widget .quick-input-title').innerText();
  if (!/Anthropic API key/.test(title)) throw new Error(`unexpected input box "${title}"`);
  await keyInput.fill(key);
  await page.keyboard.press('Enter');
  await keyInput.waitFor({ state: 'hidden', timeout: 10_000 });
  await chat.locator('.key-status.key-set').waitFor({ timeout: 15_000 });
  log(
    `chat model: API key set through "Flask Sentinel: Set Anthropic API Key" (from ${via}); the panel says "API key set"`,
  );

  // Another persona; the context (the selection) is still the one the chips show.
  await chat.locator('select.persona-select').selectOption(MODEL_PERSONA);
  const question = 'Is the search query injectable, and what is the fix?';
  await typeAndSend(page, chat, question);
  const streamed = await retry('the answer streaming in', 15_000, async () => {
    const t = (await readTurns(chat)).at(-1);
    return t && t.status === 'streaming' && t.answer.includes(MODEL_MARKER) ? t : undefined;
  });
  log(
    `chat model: streaming (${streamed.answer.length} characters so far, badges ${JSON.stringify(streamed.badges)})`,
  );
  const turn = await retry('the model answer to finish', 20_000, async () => {
    const t = (await readTurns(chat)).at(-1);
    return t && t.status !== 'streaming' && t.answer.includes(MODEL_MARKER) ? t : undefined;
  });
  const answerProblems = [];
  if (turn.status !== 'done') answerProblems.push(`status ${turn.status} (${turn.error})`);
  if (turn.persona !== MODEL_PERSONA)
    answerProblems.push(`answered by ${turn.persona}, not ${MODEL_PERSONA}`);
  if (turn.badges.some((b) => /offline/i.test(b ?? ''))) answerProblems.push('labelled offline');
  if (!turn.answer.includes('That closes the injection'))
    answerProblems.push('the end of the answer is missing');
  const block = turn.codeBlocks[0];
  if (!block || block.language !== 'python' || !block.code.includes('WHERE name LIKE ?'))
    answerProblems.push(`no python code block with the fix: ${JSON.stringify(turn.codeBlocks)}`);
  else if (!block.buttons.includes('Show diff') || !block.buttons.includes('Apply'))
    answerProblems.push(`the code block has no Show diff/Apply: ${JSON.stringify(block.buttons)}`);
  if (turn.answer.includes('```')) answerProblems.push('the fence markers show as text');
  if (!/97 out/.test(turn.usage ?? '')) answerProblems.push(`usage "${turn.usage}" is not the server's`);
  if (answerProblems.length > 0)
    throw new Error(`model answer: ${answerProblems.join('; ')}\n${JSON.stringify(turn, null, 1)}`);
  await collapseRoutes(page);
  await chat.locator('article.turn .code-block').last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, 'chat-model.png') });
  log(
    `chat model: ${turn.persona} answered from the fake server (${turn.badges.join(', ')}; ${turn.usage}); ` +
      `code block ${block.language} with ${JSON.stringify(block.buttons)}; screenshot test-results/e2e/chat-model.png`,
  );

  // What reached the server.
  const sent = fake.requests.slice(before);
  const described = sent.map((r) => `${r.method} ${r.url}`);
  if (sent.length !== 1)
    throw new Error(`expected 1 request to the fake server, got ${JSON.stringify(described)}`);
  checkRequest(sent[0], { key, first, last, question, repoRoot });
  log(
    `chat model: the server got POST ${sent[0].url} with <untrusted_code path="app/views.py" lines="${first}-${last}">, ` +
      `the ${MODEL_PERSONA} persona's system prompt, and the key only in Authorization`,
  );

  // Model output that tries HTML, a remote image, script, a javascript: link and SVG.
  const pageRequests = [];
  const onRequest = (request) => pageRequests.push(request.url());
  page.on('request', onRequest);
  try {
    await typeAndSend(page, chat, `${XSS_MARKER}: show the payloads as text`);
    const inert = await retry('the payload answer to finish', 20_000, async () => {
      const t = (await readTurns(chat)).at(-1);
      return t && t.status !== 'streaming' && t.answer.includes(`${XSS_MARKER}-ANSWER`) ? t : undefined;
    });
    await sleep(500); // time for anything that would load or run
    const dom = await chat.locator('body').evaluate((body) => {
      const app = body.querySelector('#app');
      const handlers = [];
      for (const el of Array.from(app?.querySelectorAll('*') ?? [])) {
        for (const attr of Array.from(el.attributes)) {
          if (/^on/i.test(attr.name) || /^\s*javascript:/i.test(attr.value))
            handlers.push(`${el.tagName} ${attr.name}`);
        }
      }
      return {
        images: document.images.length,
        imgTags: document.querySelectorAll('img').length,
        svg: app?.querySelectorAll('svg').length ?? -1,
        scripts: app?.querySelectorAll('script').length ?? -1,
        hrefs: Array.from(app?.querySelectorAll('a[href]') ?? []).map((a) => a.getAttribute('href')),
        handlers,
        pwned: body.dataset.pwned ?? null,
        imageSpans: Array.from(app?.querySelectorAll('.md-image') ?? []).map((s) => s.textContent),
      };
    });
    const trouble = [];
    if (inert.status !== 'done') trouble.push(`status ${inert.status}`);
    if (dom.images !== 0 || dom.imgTags !== 0) trouble.push(`${dom.imgTags} <img> in the webview`);
    if (dom.svg !== 0 || dom.scripts !== 0)
      trouble.push(`svg ${dom.svg}, script ${dom.scripts} in the panel`);
    if (dom.hrefs.length > 0) trouble.push(`links with href: ${JSON.stringify(dom.hrefs)}`);
    if (dom.handlers.length > 0) trouble.push(`handlers: ${JSON.stringify(dom.handlers)}`);
    if (dom.pwned !== null) trouble.push(`a payload ran (${dom.pwned})`);
    if (!inert.answer.includes(`<img src=x onerror="document.body.dataset.pwned='img'">`))
      trouble.push('the <img onerror> payload is not shown as text');
    if (!dom.imageSpans.some((s) => s?.includes('/beacon.png?leak=e2e')))
      trouble.push(`the markdown image is not shown as text: ${JSON.stringify(dom.imageSpans)}`);
    const beacons = [
      ...fake.requests
        .filter((r) => r.url.includes('beacon'))
        .map((r) => `fake server: ${r.method} ${r.url}`),
      ...pageRequests
        .filter((u) => u.includes('beacon') || u.startsWith(fake.baseURL))
        .map((u) => `page: ${u}`),
    ];
    if (beacons.length > 0) trouble.push(`the image was requested: ${JSON.stringify(beacons)}`);
    const hasKey = await chat.locator('html').evaluate((html, k) => html.outerHTML.includes(k), key);
    if (hasKey) trouble.push('the key is in the webview DOM');
    if (trouble.length > 0)
      throw new Error(`payload answer: ${trouble.join('; ')}\n${JSON.stringify({ inert, dom }, null, 1)}`);
    for (const r of fake.requests.slice(before)) checkKeyOnlyInAuthorization(r, key);
    await chat.locator('article.turn').last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'chat-model-inert.png') });
    log(
      `chat model: the payload answer rendered inert (0 <img>, 0 svg/script, no href, no handler, nothing requested; ` +
        `image shown as ${JSON.stringify(dom.imageSpans[0])}); screenshot test-results/e2e/chat-model-inert.png`,
    );
  } finally {
    page.off('request', onRequest);
  }
  // Nor in what the workbench and code-server logged (the SDK's messages, errors, the console).
  for (const file of ['workbench.log', 'code-server.log']) {
    let text;
    try {
      text = readFileSync(join(artifacts, file), 'utf8');
    } catch {
      continue;
    }
    if (text.includes(key)) problems.push(`the key is in test-results/e2e/${file}`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  log('chat model: the key is in neither the webview DOM nor the workbench or code-server logs');
}

/** Editor text as the DOM renders it: non-breaking spaces back to spaces, no zero-width joiners. */
const normalise = (text) => (text ?? '').replace(/\u00a0/g, ' ').replace(/\u200c/g, '');

/** The rendered lines of the visible text editor (not a diff editor's), top to bottom. */
function visibleEditorLines(page) {
  return page.evaluate(() => {
    const editor = Array.from(document.querySelectorAll('.part.editor .monaco-editor')).find(
      (e) => !e.closest('.monaco-diff-editor') && e.getBoundingClientRect().width > 0,
    );
    if (!editor) return [];
    return Array.from(editor.querySelectorAll('.view-lines > .view-line'))
      .map((line) => ({ top: parseFloat(line.style.top) || 0, text: line.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text);
  });
}

/** Waits until the editor shows `run` as adjacent lines (what it shows, when it does not). */
async function editorShows(page, run, what) {
  let shown = [];
  try {
    await retry(what, 10_000, async () => {
      shown = (await visibleEditorLines(page)).map(normalise);
      for (let i = 0; i + run.length <= shown.length; i++) {
        if (run.every((line, j) => shown[i + j] === line)) return true;
      }
      return false;
    });
  } catch (error) {
    throw new Error(`${error.message}; the editor shows ${JSON.stringify(shown)}`, {
      cause: error,
    });
  }
}

/** The first line where two texts differ, for the error messages. */
function firstDifference(actual, expected) {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return `line ${i + 1} is ${JSON.stringify(a[i])}, expected ${JSON.stringify(e[i])}`;
  }
  return 'no difference';
}

/**
 * "Show diff", then "Apply" on the model answer's code block (the answer modelCheck got; its question was
 * about lines first..last of app/views.py, the SQL f-string):
 * - Show diff opens a diff editor titled "views.py ↔ <persona>'s proposal" whose proposed side holds the
 *   code block; it is closed again.
 * - Apply shows VS Code's modal dialog "Apply the agent's change to lines a-b of app/views.py?"; Cancel
 *   leaves the editor clean and the file as it was; Apply again + the dialog's Apply puts the code block in
 *   place of lines a-b (seen in the editor, then on disk after Ctrl+S: every other line unchanged).
 * - Ctrl+Z brings the question's lines back; one character typed into them; Apply is now refused with the
 *   warning "lines a-b of app/views.py changed since the question" and no dialog, and the file (Ctrl+S)
 *   holds the typed character and nothing of the proposal. (Undone first so that it is the typed character
 *   that makes the lines differ: right after a successful apply they differ anyway.)
 * Screenshots chat-apply-diff.png, chat-apply-dialog.png, chat-apply.png, chat-apply-refused.png.
 */
export async function applyCheck({ page, folder, artifacts, log }) {
  const relative = 'app/views.py';
  const file = join(folder, 'app', 'views.py');
  const original = readFileSync(file, 'utf8');
  const { first, last } = sqlLines(folder);
  const lines = original.split('\n');
  const fixLines = MODEL_FIX.split('\n');
  const applied = [...lines.slice(0, first - 1), ...fixLines, ...lines.slice(last)].join('\n');
  // What the editor shows around the lines: the line before, the lines, the line after.
  const around = (middle) => [lines[first - 2], ...middle, lines[last]];
  const originalRun = around(lines.slice(first - 1, last));

  const chat = chatFrame(page);
  const block = chat.locator('article.turn', { hasText: MODEL_MARKER }).last().locator('.code-block').first();
  if ((await block.count()) === 0)
    throw new Error(
      'no model answer with a code block in the panel (the chat model check did not get there)',
    );
  const rendered = (await block.locator('pre code').textContent())?.replace(/\n$/, '');
  if (rendered !== MODEL_FIX)
    throw new Error(`the panel's code block is not the server's: ${JSON.stringify(rendered)}`);
  const button = (label) => block.locator('button', { hasText: new RegExp(`^${label}$`) });
  // views.py's tab, not the diff's "views.py ↔ …" (the label also shows the problem count, "9+").
  const viewsTab = page.locator('.tab', { hasText: 'views.py', hasNotText: '↔' });
  const isDirty = async () =>
    /\bdirty\b/.test((await viewsTab.first().getAttribute('class', { timeout: 5_000 })) ?? '');
  const dialog = page.locator('.monaco-dialog-box');
  const dialogButton = (label) =>
    dialog.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${label}$`) });
  /** Focus in the views.py editor (the cursor on `line`), Ctrl+S, and the file on disk once it is saved. */
  const saveAndRead = async (line, expected, what) => {
    await viewsTab.first().click();
    await goToLine(page, line);
    await page.keyboard.press('Control+S');
    await retry(`views.py saved (${what})`, 10_000, async () => !(await isDirty()));
    let text = '';
    try {
      await retry(`app/views.py on disk ${what}`, 5_000, async () => {
        text = readFileSync(file, 'utf8');
        return text === expected;
      });
    } catch (error) {
      throw new Error(`${error.message}: ${firstDifference(text, expected)}`, { cause: error });
    }
  };

  // 1. Show diff: a diff editor with the proposal, closed again.
  const title = `views.py ↔ ${MODEL_PERSONA}'s proposal`;
  await button('Show diff').click();
  const diffTab = page.locator('.tabs-container .tab.active', { hasText: title });
  await diffTab.waitFor({ timeout: 15_000 });
  const diff = page.locator('.part.editor .monaco-diff-editor').first();
  await diff.waitFor({ state: 'visible', timeout: 15_000 });
  const proposed = await retry('the proposal in the diff editor', 10_000, async () => {
    const text = normalise(await diff.locator('.editor.modified .view-lines:not(.line-delete)').innerText());
    return text.includes('WHERE name LIKE ?",') && text.includes('(f"%{term}%",),') ? text : undefined;
  });
  await page.screenshot({ path: join(artifacts, 'chat-apply-diff.png') });
  await diffTab.locator('.tab-actions .action-label').first().click();
  await diffTab.waitFor({ state: 'detached', timeout: 10_000 });
  await page
    .locator('.part.editor .monaco-diff-editor')
    .first()
    .waitFor({ state: 'hidden', timeout: 10_000 });
  // (A preview tab of views.py is replaced by the diff: open it again then.)
  const reopened = (await viewsTab.count()) === 0;
  await openFile(page, relative);
  if (await isDirty()) throw new Error('views.py is dirty after Show diff');
  log(
    `chat apply: "Show diff" opened a diff editor "${title}" (${proposed.split('\n').length} lines rendered on the ` +
      `proposed side, the code block among them), closed${reopened ? ' (views.py opened again: it was a preview tab)' : ''}; ` +
      'screenshot test-results/e2e/chat-apply-diff.png',
  );

  // 2. Apply: the modal dialog; Cancel changes nothing.
  const message = `Apply the agent's change to lines ${first}-${last} of ${relative}?`;
  const openDialog = async () => {
    await button('Apply').click();
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    const text = normalise(await dialog.locator('.dialog-message-text').innerText()).trim();
    if (!text.includes(message)) throw new Error(`the dialog says "${text}", not "${message}"`);
    const buttons = (await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t) =>
      t.trim(),
    );
    if (!buttons.includes('Apply') || !buttons.includes('Cancel'))
      throw new Error(`the dialog's buttons are ${JSON.stringify(buttons)}, not Apply and Cancel`);
    return buttons;
  };
  const buttons = await openDialog();
  await page.screenshot({ path: join(artifacts, 'chat-apply-dialog.png') });
  await dialogButton('Cancel').click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  await sleep(500); // time for an edit that should not come
  await viewsTab.first().click();
  await goToLine(page, first);
  await editorShows(page, originalRun, 'the original lines in the editor after Cancel');
  if (await isDirty()) throw new Error('views.py is dirty after Cancel');
  if (readFileSync(file, 'utf8') !== original) throw new Error('app/views.py changed on disk after Cancel');
  log(
    `chat apply: "Apply" showed the modal "${message}" with ${JSON.stringify(buttons)} ` +
      '(screenshot test-results/e2e/chat-apply-dialog.png); Cancel: the editor is clean and the file unchanged',
  );

  // Apply again, confirmed: the code block replaces the lines, in the editor and (saved) on disk.
  await openDialog();
  await dialogButton('Apply').click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  await retry('views.py dirty after the confirmed Apply', 10_000, isDirty);
  await viewsTab.first().click();
  await goToLine(page, first);
  await editorShows(page, around(fixLines), 'the code block in place of the lines in the editor');
  await page.screenshot({ path: join(artifacts, 'chat-apply.png') });
  await saveAndRead(first, applied, 'with the code block in place of the lines');
  log(
    `chat apply: Apply + the dialog's Apply: lines ${first}-${last} of ${relative} became the code block's ` +
      `${fixLines.length} lines in the editor, and on disk after Ctrl+S with the other ${lines.length - (last - first + 1)} ` +
      'lines unchanged; screenshot test-results/e2e/chat-apply.png',
  );

  // 3. Undo; one character typed into the lines; Apply is refused, no dialog, nothing changes.
  await page.keyboard.press('Control+Z');
  await editorShows(page, originalRun, 'the original lines back after Ctrl+Z');
  await goToLine(page, first + 1);
  await page.keyboard.press('End');
  await page.keyboard.type('#');
  const edited = lines.map((line, i) => (i === first ? `${line}#` : line));
  await editorShows(page, around(edited.slice(first - 1, last)), 'the typed character in the editor');
  // The workbench shows no toasts with the smoke-test driver on (code-server runs with it): the warning is
  // read in the notification center.
  const center = page.locator('.notifications-center');
  const stale = center.locator('.notification-list-item', { hasText: 'changed since the question' });
  const staleBefore = await stale.count();
  await button('Apply').click();
  await sleep(1_000); // a dialog or an edit would show by now
  if (await dialog.isVisible()) throw new Error('Apply asked for confirmation on lines that changed');
  await runCommand(page, 'Notifications: Show Notifications');
  await center.waitFor({ state: 'visible', timeout: 10_000 });
  await retry('the "changed since the question" warning in the notification center', 10_000, async () => {
    return (await stale.count()) > staleBefore;
  });
  const warning = normalise(await stale.first().innerText())
    .replace(/\s+/g, ' ')
    .trim();
  const expectedWarning = `lines ${first}-${last} of ${relative} changed since the question`;
  if (!warning.includes(expectedWarning))
    throw new Error(`the warning says "${warning}", not "…${expectedWarning}…"`);
  if ((await stale.first().locator('.codicon-warning, .codicon-notifications-warning').count()) === 0)
    throw new Error(`the notification "${warning}" is not shown as a warning`);
  await page.screenshot({ path: join(artifacts, 'chat-apply-refused.png') });
  await page.keyboard.press('Escape');
  await center.waitFor({ state: 'hidden', timeout: 10_000 });
  await saveAndRead(first + 1, edited.join('\n'), 'with the typed character only');
  log(
    `chat apply: Ctrl+Z restored the lines; after "#" was typed on line ${first + 1}, Apply was refused ` +
      `(warning "${warning}"), no dialog, and the saved file holds the typed character and nothing ` +
      'of the proposal; screenshot test-results/e2e/chat-apply-refused.png',
  );
}

function checkKeyOnlyInAuthorization(request, key) {
  if (request.headers['authorization'] !== `Bearer ${key}`)
    throw new Error(
      `Authorization header is not "Bearer <the key>": ${JSON.stringify(request.headers['authorization'] ? 'Bearer …' : undefined)}`,
    );
  const elsewhere = [];
  if (request.url.includes(key)) elsewhere.push('url');
  if (request.rawBody.includes(key)) elsewhere.push('body');
  for (const [name, value] of Object.entries(request.headers)) {
    if (name !== 'authorization' && String(value).includes(key)) elsewhere.push(`header ${name}`);
  }
  if (elsewhere.length > 0)
    throw new Error(`the key was sent outside Authorization: ${elsewhere.join(', ')}`);
}

function checkRequest(request, { key, first, last, question, repoRoot }) {
  if (request.method !== 'POST' || !request.url.startsWith('/v1/messages'))
    throw new Error(`unexpected request ${request.method} ${request.url}`);
  checkKeyOnlyInAuthorization(request, key);
  const body = request.body;
  const user = JSON.stringify(body?.messages ?? []);
  const fence = `<untrusted_code path="app/views.py" lines="${first}-${last}">`;
  if (!request.rawBody.includes('<untrusted_code')) throw new Error('the body has no <untrusted_code');
  if (!user.includes(JSON.stringify(fence).slice(1, -1)))
    throw new Error(`the user message has no ${fence}: ${user.slice(0, 600)}`);
  if (!user.includes('conn.execute(f\\"SELECT'))
    throw new Error('the selected code is not in the user message');
  if (!user.includes(question)) throw new Error('the question is not in the user message');
  if (body?.stream !== true) throw new Error(`stream: ${body?.stream}`);
  const persona = readFileSync(join(repoRoot, 'agents', `${MODEL_PERSONA}.md`), 'utf8')
    .split(/^---$/m)[2]
    ?.trim()
    .split('\n')[0];
  const system = JSON.stringify(body?.system ?? '');
  if (
    !system.includes(`# Your persona: ${MODEL_PERSONA}`) ||
    !persona ||
    !system.includes(persona.slice(0, 60))
  )
    throw new Error(`the system prompt is not ${MODEL_PERSONA}'s: ${system.slice(0, 300)}`);
}
