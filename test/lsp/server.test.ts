import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LspClient, applyTextEdits, editsOf } from '../helpers/lspClient';
import type { Diagnostic } from '../helpers/lspClient';

const APP = `from flask import Flask, request
import sqlite3

app = Flask(__name__)


@app.route("/search")
def search():
    term = request.args.get("q", "")
    conn = sqlite3.connect("shop.db")
    return conn.execute(f"SELECT * FROM t WHERE name = '{term}'").fetchall()


@app.route("/delete", methods=["POST"])
def delete():
    return "ok"


app.run(debug=True)
`;

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => String(d.code)).sort();
const byCode = (diagnostics: Diagnostic[], code: string) => {
  const found = diagnostics.find((d) => d.code === code);
  assert.ok(found, `expected a ${code} diagnostic in ${JSON.stringify(codes(diagnostics))}`);
  return found;
};

describe('language server: pull diagnostics', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ pull: true });
  });
  after(() => client.stop());

  it('reports findings with code, docs link, severity, CWE, related information and fix data', async () => {
    const uri = 'untitled:pull-basic.py';
    await client.open(uri, APP);
    const diagnostics = await client.pull(uri);
    assert.deepEqual(codes(diagnostics), ['FS101', 'FS201', 'FS501']);
    const sql = byCode(diagnostics, 'FS201');
    assert.equal(sql.source, 'flask-sentinel');
    assert.equal(sql.severity, 1);
    assert.match(sql.codeDescription?.href ?? '', /FS201-sql-built-from-strings\.md$/);
    assert.match(sql.message, /CWE-89/);
    assert.deepEqual(sql.range, { start: { line: 10, character: 24 }, end: { line: 10, character: 64 } });
    assert.deepEqual(sql.relatedInformation?.[0]?.location.range, {
      start: { line: 8, character: 11 },
      end: { line: 8, character: 23 },
    });
    const data = sql.data as { v: number; ruleId: string; version: number; fix?: { safety: string } };
    assert.equal(data.v, 1);
    assert.equal(data.ruleId, 'FS201');
    assert.equal(data.version, 1);
    assert.equal(data.fix?.safety, 'unsafe');
    await client.close(uri);
  });

  it('follows incremental edits, including several changes in one event, emoji and CRLF', async () => {
    const uri = 'untitled:pull-edits.py';
    const crlf = APP.replace(/\n/g, '\r\n');
    await client.open(uri, crlf);
    const first = await client.pull(uri);
    assert.deepEqual(byCode(first, 'FS201').range.start, { line: 10, character: 24 });
    // One event, two changes: the second is measured against the text after the first.
    await client.change(uri, 2, [
      // insert a line with emoji and non-ASCII text above everything (shifts every line by one)
      {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        text: '# 😀 café – ünïcode\r\n',
      },
      // now on line 11 (was 10): prefix the return with an emoji-bearing comment-free expression on the same line
      { range: { start: { line: 11, character: 4 }, end: { line: 11, character: 4 } }, text: 'x = "😀é"; ' },
    ]);
    const second = await client.pull(uri);
    // 'x = "😀é"; ' is 11 UTF-16 units (the emoji counts 2)
    assert.deepEqual(byCode(second, 'FS201').range, {
      start: { line: 11, character: 35 },
      end: { line: 11, character: 75 },
    });
    // Delete the debug=True call entirely (line 19 → 20 after the inserted line), across a CRLF.
    await client.change(uri, 3, [
      { range: { start: { line: 19, character: 0 }, end: { line: 20, character: 0 } }, text: '' },
    ]);
    const third = await client.pull(uri);
    assert.deepEqual(codes(third), ['FS201', 'FS501']);
    // Replace the whole text: a full change drops the old tree.
    await client.change(uri, 4, [{ text: 'print("hello")\n' }]);
    assert.deepEqual(await client.pull(uri), []);
    await client.close(uri);
  });

  it('offers the rule fix, a # nosec suppression and documentation; the fix removes the finding', async () => {
    const uri = 'untitled:pull-fix.py';
    await client.open(uri, APP);
    const debug = byCode(await client.pull(uri), 'FS101');
    const actions = await client.codeActions(uri, debug.range, [debug]);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Turn debug mode off (FS101)'), titles.join('; '));
    assert.ok(titles.includes('Suppress FS101 on this line (# nosec FS101)'));
    assert.ok(titles.includes('Show documentation for FS101'));
    const fix = actions.find((a) => a.title === 'Turn debug mode off (FS101)');
    assert.equal(fix?.isPreferred, false); // unsafe fixes are never preferred
    assert.equal(fix?.edit?.documentChanges?.[0]?.textDocument.version, 1);
    const fixed = applyTextEdits(APP, editsOf(fix));
    assert.match(fixed, /app\.run\(debug=False\)/);
    await client.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(codes(await client.pull(uri)), ['FS201', 'FS501']);

    // Suppression: applying it silences the finding; a second rule is appended to the same comment.
    const sql = byCode(await client.pull(uri), 'FS201');
    const suppress = (await client.codeActions(uri, sql.range, [sql])).find((a) =>
      a.title.startsWith('Suppress FS201'),
    );
    const suppressed = applyTextEdits(fixed, editsOf(suppress!));
    assert.match(suppressed, /\.fetchall\(\) {2}# nosec FS201\n/);
    await client.change(uri, 3, [{ text: suppressed }]);
    assert.deepEqual(codes(await client.pull(uri)), ['FS501']);
    const route = byCode(await client.pull(uri), 'FS501');
    // An existing `# nosec` comment (here with a bandit id) gets the rule appended instead of a second comment.
    const withBandit = suppressed.replace('methods=["POST"])', 'methods=["POST"])  # nosec B101');
    await client.change(uri, 4, [{ text: withBandit }]);
    const routeAgain = byCode(await client.pull(uri), 'FS501');
    const append = (await client.codeActions(uri, routeAgain.range, [routeAgain])).find((a) =>
      a.title.startsWith('Suppress FS501'),
    );
    const appended = applyTextEdits(withBandit, editsOf(append!));
    assert.match(appended, /methods=\["POST"\]\) {2}# nosec B101, FS501\n/);
    await client.change(uri, 5, [{ text: appended }]);
    assert.deepEqual(codes(await client.pull(uri)), []);

    // Documentation: a command the server executes by asking the client to open the page.
    const docs = (await client.codeActions(uri, route.range, [route])).find(
      (a) => a.title === 'Show documentation for FS501',
    );
    assert.equal(docs?.command?.command, 'flaskSentinel.showDocumentation');
    await client.request('workspace/executeCommand', docs.command);
    await client.close(uri);
  });

  it('does not apply a quick fix computed for an older version', async () => {
    const uri = 'untitled:pull-stale.py';
    await client.open(uri, APP);
    const debug = byCode(await client.pull(uri), 'FS101');
    await client.change(uri, 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' },
    ]);
    const actions = await client.codeActions(uri, debug.range, [debug]);
    assert.ok(!actions.some((a) => a.title.startsWith('Turn debug mode off')));
    await client.close(uri);
  });

  it('answers unchanged while the findings stay as they were, and their quick fixes still apply', async () => {
    const uri = 'untitled:pull-unchanged.py';
    await client.open(uri, APP);
    const first = await client.pullReport(uri);
    assert.equal(first.kind, 'full');
    assert.ok(first.resultId);
    const debug = byCode(first.items ?? [], 'FS101');
    // A comment typed after `return "ok"` (line 15) moves no finding.
    const comment = (version: number, column: number, text: string) =>
      client.change(uri, version, [
        { range: { start: { line: 15, character: column }, end: { line: 15, character: column } }, text },
      ]);
    await comment(2, 15, '  # d');
    const second = await client.pullReport(uri, first.resultId);
    assert.deepEqual(second, { kind: 'unchanged', resultId: first.resultId });
    await comment(3, 20, 'one');
    assert.equal((await client.pullReport(uri, first.resultId)).kind, 'unchanged');
    // The client still holds the diagnostics of version 1: their fix holds for version 3.
    const actions = await client.codeActions(uri, debug.range, [debug]);
    const fix = actions.find((a) => a.title === 'Turn debug mode off (FS101)');
    assert.equal(fix?.edit?.documentChanges?.[0]?.textDocument.version, 3);
    const current = APP.replace('    return "ok"\n', '    return "ok"  # done\n');
    assert.match(applyTextEdits(current, editsOf(fix)), /app\.run\(debug=False\)/);
    // A line inserted above moves every finding: a full report under a new id.
    await client.change(uri, 4, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n' },
    ]);
    const moved = await client.pullReport(uri, first.resultId);
    assert.equal(moved.kind, 'full');
    assert.notEqual(moved.resultId, first.resultId);
    assert.equal(byCode(moved.items ?? [], 'FS101').range.start.line, debug.range.start.line + 1);
    // An id of another server process is never taken for this one's.
    assert.equal((await client.pullReport(uri, `x:4@${String(moved.resultId).split('@')[1]}`)).kind, 'full');
    await client.close(uri);
  });

  it('fix-all applies every safe fix and leaves unsafe ones to the user', async () => {
    const uri = 'untitled:pull-fixall.py';
    const text = APP.replace('import sqlite3', 'import sqlite3\nimport requests').replace(
      '    return "ok"',
      '    requests.post("https://audit.example/log", json={}, verify=False, timeout=5)\n    return "ok"',
    );
    await client.open(uri, text);
    assert.deepEqual(codes(await client.pull(uri)), ['FS101', 'FS201', 'FS405', 'FS501']);
    const actions = await client.codeActions(
      uri,
      { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      [],
      ['source.fixAll.flaskSentinel'],
    );
    assert.equal(actions.length, 1);
    assert.equal(actions[0]?.kind, 'source.fixAll.flaskSentinel');
    const fixed = applyTextEdits(text, editsOf(actions[0]));
    assert.match(fixed, /requests\.post\("https:\/\/audit\.example\/log", json=\{\}, timeout=5\)/);
    // The unsafe fixes (debug flag, SQL parameters) are not applied by fix-all.
    assert.match(fixed, /debug=True/);
    assert.match(fixed, /\{term\}/);
    await client.change(uri, 2, [{ text: fixed }]);
    assert.deepEqual(codes(await client.pull(uri)), ['FS101', 'FS201', 'FS501']);
    await client.close(uri);
  });

  it('hovers a finding with the rule documentation, and lenses every route with its protection', async () => {
    const uri = 'untitled:pull-hover.py';
    const text = APP.replace(
      'def delete():',
      'def delete():\n    pass\n\n\n@app.route("/admin")\n@login_required\ndef admin():',
    ).replace('from flask import', 'from flask_login import login_required\nfrom flask import');
    await client.open(uri, text);
    const sql = byCode(await client.pull(uri), 'FS201');
    const hover = await client.request<{ contents: { kind: string; value: string } } | null>(
      'textDocument/hover',
      {
        textDocument: { uri },
        position: sql.range.start,
      },
    );
    assert.equal(hover?.contents.kind, 'markdown');
    assert.match(hover?.contents.value ?? '', /^# FS201 sql-built-from-strings/);
    const nothing = await client.request('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 0 },
    });
    assert.equal(nothing, null);
    const lenses = await client.request<{ range: { start: { line: number } }; command: { title: string } }[]>(
      'textDocument/codeLens',
      { textDocument: { uri } },
    );
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command.title]),
      [
        [7, 'GET · no auth'],
        [14, 'POST · no auth'],
        [19, 'GET · login_required'],
      ],
    );
    const { routes } = await client.request<{
      routes: { rule: string; view: string; methods: string[]; auth: { protected: boolean } }[];
    }>('flaskSentinel/routes', { uri });
    assert.deepEqual(
      routes.map((r) => [r.rule, r.view, r.methods.join(), r.auth.protected]),
      [
        ['/search', 'search', 'GET', false],
        ['/delete', 'delete', 'POST', false],
        ['/admin', 'admin', 'GET', true],
      ],
    );
    await client.close(uri);
  });
});
