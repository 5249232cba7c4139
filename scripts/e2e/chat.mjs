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
  'Bind it as a parameter instead:\n\n```python\n',
  'rows = conn.execute(\n    "SELECT name, price FROM products WHERE name LIKE ?",\n',
  '    (f"%{term}%",),\n).fetchall()\n```\n\n',
  'That closes the injection; keep `LIKE` wildcards in the bound value.',
];

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

async function openFile(page, relative) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(relative);
  const name = relative.split('/').pop();
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 15_000 });
}

/** Selects whole lines first..last (1-based) of the active editor: Ctrl+P ":first", Shift+Down. */
async function selectLines(page, first, last) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${first}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
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
