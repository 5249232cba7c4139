import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LspClient } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';

/**
 * Typing a call is mostly typing with its bracket open. The findings below the half-typed line stay where
 * they are meanwhile (engine/recovery.ts), and closing it brings the statement's own findings in. (The
 * server leaves syntax errors to the editor's Python support: the CLI's note is tested with the engine.)
 */
const TEXT = `import os
from flask import Flask, request

app = Flask(__name__)


def helper(value):
    return value


@app.route("/run")
def run():
    return os.system("ls " + request.args["dir"])


@app.route("/eval")
def evaluate():
    return str(eval(request.args["code"]))
`;

/** Diagnostics to compare across versions and documents: without the version, the document named DOC. */
const comparable = (list: Diagnostic[], name: string) =>
  JSON.parse(
    JSON.stringify(list.map((d) => ({ ...d, data: { ...(d.data as object), version: 0 } }))).replaceAll(
      name,
      'DOC',
    ),
  ) as unknown;

const findingsOf = (items: Diagnostic[]) =>
  items.filter((d) => d.code !== undefined).map((d) => `${String(d.code)}@${d.range.start.line}`);

describe('language server: a bracket left open while typing', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ pull: true });
  });
  after(() => client.stop());

  it('keeps the findings below the half-typed line, then finds the completed statement', async () => {
    const uri = 'untitled:recovery.py';
    await client.open(uri, TEXT, 1);
    const complete = findingsOf(await client.pull(uri));
    assert.ok(complete.includes('FS202@12') && complete.includes('FS203@17'), complete.join(' '));

    // A new line in `helper`, then typed one character at a time, its bracket never closed.
    let version = 1;
    const line = 7;
    const opened = '    os.system(request.args["d"]';
    await client.change(uri, ++version, [
      { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: `${opened}\n` },
    ]);
    let items = await client.pull(uri);
    const moved = complete.map((f) => f.replace(/@(\d+)/, (_, n: string) => `@${Number(n) + 1}`));
    assert.deepEqual(findingsOf(items), moved);
    const typed = ' + "x"';
    for (const [i, ch] of [...typed].entries()) {
      const at = { line, character: opened.length + i };
      await client.change(uri, ++version, [{ range: { start: at, end: at }, text: ch }]);
      items = await client.pull(uri);
      assert.deepEqual(findingsOf(items), moved, `after typing ${ch}`);
    }

    // Closed: the new statement is analysed.
    const end = { line, character: opened.length + typed.length };
    await client.change(uri, version + 1, [{ range: { start: end, end }, text: ')' }]);
    items = await client.pull(uri);
    assert.ok(findingsOf(items).includes(`FS202@${line}`), findingsOf(items).join(' '));

    // And the same text opened afresh gets the same diagnostics.
    const text = TEXT.replace('def helper(value):\n', `def helper(value):\n${opened}${typed})\n`);
    await client.close(uri);
    await client.open(uri, text, 1);
    assert.deepEqual(comparable(await client.pull(uri), uri), comparable(items, uri));
    await client.close(uri);
  });

  it('answers keys typed inside the open bracket as a fresh analysis would, with the current version', async () => {
    // Such keys leave the analysed text as it was, so the server reuses its last analysis (quietEdits.ts)
    // instead of parsing the file again: the diagnostics must still be exactly a fresh analysis's, and
    // carry the document's version, which quick fixes are checked against.
    const uri = 'untitled:quiet.py';
    const opened = '    rows = db.execute(text(f"SELECT * FROM t WHERE name = {name}'.replace('{name}', '');
    let text = TEXT.replace('def helper(value):\n', `def helper(value):\n${opened}\n`);
    await client.open(uri, text, 1);
    await client.pull(uri);
    let version = 1;
    const line = 7;
    const fresh = async (content: string, n: number) => {
      const other = `untitled:fresh-${n}.py`;
      await client.open(other, content, 1);
      const items = await client.pull(other);
      await client.close(other);
      return items;
    };
    // Inside the f-string: letters, spaces, dots, a deletion; then the string closed, `text(` closed, a
    // comment, and `execute(` closed at last: only that key changes what is analysed.
    const typed = (from: number, chars: string) =>
      [...chars].map((ch, i) => ({ at: from + i, remove: 0, insert: ch }));
    const steps: { at: number; remove: number; insert: string }[] = [
      ...typed(opened.length, ' x.id, 5'),
      { at: opened.length + 2, remove: 3, insert: '' },
      ...typed(opened.length + 5, '")  # ('),
      { at: opened.length + 7, remove: 0, insert: ')' },
    ];
    for (const step of steps) {
      const lines = text.split('\n');
      const current = lines[line] as string;
      lines[line] = current.slice(0, step.at) + step.insert + current.slice(step.at + step.remove);
      text = lines.join('\n');
      await client.change(uri, ++version, [
        {
          range: { start: { line, character: step.at }, end: { line, character: step.at + step.remove } },
          text: step.insert,
        },
      ]);
      const items = await client.pull(uri);
      const other = await fresh(text, version);
      assert.deepEqual(
        comparable(items, uri),
        comparable(other, `untitled:fresh-${version}.py`),
        JSON.stringify(step),
      );
      for (const d of items.filter((item) => item.code !== undefined)) {
        assert.equal((d.data as { version: number }).version, version);
      }
    }
    await client.close(uri);
  });
});
