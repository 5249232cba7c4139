import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { LspClient, lineStarts } from '../helpers/lspClient';
import type { Diagnostic, Position } from '../helpers/lspClient';

/**
 * Differential property: a document edited incrementally (trees edited and re-parsed incrementally on the
 * server) always gets exactly the diagnostics a fresh analysis of the final text gets.
 */
const BASES = [
  `from flask import Flask, request
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
`,
  'from flask import Flask\r\napp = Flask(__name__)\r\n# café 😀\r\napp.run(debug=True)\r\n',
  // Several top-level statements that call each other: edits inside one of them take the server's
  // partial re-analysis path (engine/reanalysis.ts), which must agree with a fresh analysis too.
  `from flask import Flask, request
import subprocess

app = Flask(__name__)


def run(cmd):
    return subprocess.call(cmd, shell=True)


@app.route("/a")
def a():
    name = request.args.get("n", "")
    return str(run("ls " + name))


@app.route("/b")
def b():
    value = "x"
    return value


def c(conn):
    return conn.execute("SELECT 1")
`,
  // Classes whose methods are called from views, through a module-level instance and by a shared name:
  // edits in a field or one method re-analyse only the callers of what they change (engine/classEdits.ts).
  `from flask import Flask, jsonify, request
import sqlite3

app = Flask(__name__)


class Repo:
    def _raw(self):
        return "1"

    def query(self):
        return "SELECT * FROM t WHERE id = " + self._raw()


class Order:
    status = "new"

    def to_dict(self):
        return {"status": self.status}


repo = Repo()


@app.route("/rows")
def rows():
    return jsonify(sqlite3.connect("db").execute(repo.query()).fetchall())


@app.route("/order")
def order():
    return jsonify(Order().to_dict())
`,
  '',
];

const FRAGMENTS = [
  '',
  '\n',
  '\r\n',
  ' ',
  '    ',
  '😀',
  'é',
  '(',
  ')',
  '"',
  "'",
  '#',
  '  # nosec FS201',
  'request.args["q"]',
  'conn.execute("SELECT " + term)',
  '\n@app.route("/x", methods=["POST"])\ndef x():\n    return 1\n',
  'app.run(debug=True)\n',
  'def f(a):\n    return a\n',
  '@login_required\n',
  'import os\n',
  // A statement whose bracket is never closed: the server blanks it out (engine/recovery.ts), and so
  // must a fresh analysis of the same text.
  '\n    rows = conn.execute(',
  '\nquery = (',
];

interface EditSpec {
  start: number;
  length: number;
  fragment: number;
}

const editArb = fc.record({
  start: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.nat({ max: 12 }),
  fragment: fc.nat({ max: FRAGMENTS.length - 1 }),
});

const scenarioArb = fc.record({
  base: fc.nat({ max: BASES.length - 1 }),
  events: fc.array(
    fc.record({ changes: fc.array(editArb, { minLength: 1, maxLength: 3 }), pull: fc.boolean() }),
    { minLength: 1, maxLength: 8 },
  ),
});

function positionAt(text: string, offset: number): Position {
  const starts = lineStarts(text);
  let line = 0;
  while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++;
  return { line, character: offset - (starts[line] as number) };
}

/** Offsets between `\r` and `\n` have no LSP position of their own: move them before the `\r`. */
function snap(text: string, offset: number): number {
  return offset > 0 && text[offset - 1] === '\r' && text[offset] === '\n' ? offset - 1 : offset;
}

function normalize(diagnostics: Diagnostic[]): unknown[] {
  return diagnostics.map((d) => {
    const data = (d.data ?? {}) as Record<string, unknown>;
    return {
      ...d,
      data: { ...data, version: 0 },
      relatedInformation: d.relatedInformation?.map((r) => ({ ...r, location: { ...r.location, uri: '' } })),
    };
  });
}

/** The document's routes, without its URI. */
async function routesOf(client: LspClient, uri: string): Promise<unknown[]> {
  const { routes } = await client.request<{ routes: Record<string, unknown>[] }>('flaskSentinel/routes', {
    uri,
  });
  return routes.map((route) => ({ ...route, uri: '' }));
}

describe('incremental edits (property)', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ pull: true });
  });
  after(() => client.stop());

  it('incremental analysis equals a fresh analysis of the final text', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ base, events }) => {
        run++;
        const uri = `untitled:incremental-${run}.py`;
        const fresh = `untitled:fresh-${run}.py`;
        let text = BASES[base] as string;
        let version = 1;
        await client.open(uri, text, version);
        await client.pull(uri);
        for (const event of events) {
          const changes = event.changes.map((spec: EditSpec) => {
            const start = snap(text, Math.floor(spec.start * text.length));
            const end = snap(text, Math.min(text.length, start + spec.length));
            const inserted = FRAGMENTS[spec.fragment] as string;
            const change = {
              range: { start: positionAt(text, start), end: positionAt(text, end) },
              text: inserted,
            };
            text = text.slice(0, start) + inserted + text.slice(end);
            return change;
          });
          await client.change(uri, ++version, changes);
          if (event.pull) await client.pull(uri);
        }
        const incremental = await client.pull(uri);
        const incrementalRoutes = await routesOf(client, uri);
        await client.open(fresh, text, 1);
        const expected = await client.pull(fresh);
        const expectedRoutes = await routesOf(client, fresh);
        await client.close(uri);
        await client.close(fresh);
        assert.deepEqual(normalize(incremental), normalize(expected), JSON.stringify(text));
        // Route insight (code lenses, the routes view) is re-computed for the edited statements only too.
        assert.deepEqual(incrementalRoutes, expectedRoutes, JSON.stringify(text));
      }),
      { numRuns: 2500, seed: Number(process.env.FC_SEED ?? 4242) },
    );
    assert.equal(client.exitCode, undefined);
  });
});
