import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tree } from 'web-tree-sitter';
import { analyzeModels, buildModels } from '../../server/src/engine/analyze';
import { ALL_RULES } from '../../server/src/rules/index';
import { createPythonParser } from '../../server/src/engine/parser';
import { treeSitterEdit } from '../../server/src/engine/treeEdits';
import { TreeStore } from '../../server/src/lsp/trees';
import { wasmHeapProbe } from '../helpers/wasmHeap';

// Before anything else in this process creates a parser: the probe needs the first Parser.init().
const heapProbe = wasmHeapProbe();

const MiB = 1024 * 1024;

/** A 1,000-line Flask module: 40 views of 25 lines, each with an `if` block to type into. */
function source(): string {
  const out = [
    'from flask import Blueprint, abort, request',
    'from app import db',
    '',
    'bp = Blueprint("v", __name__)',
  ];
  for (let i = 0; out.length < 996; i++) {
    out.push(
      '',
      '',
      `@bp.route("/items/<int:item_id>/v${i}", methods=["GET", "POST"])`,
      `def view_${i}(item_id):`,
      '    item = db.session.get(Item, item_id)',
      '    if item is None:',
      '        abort(404)',
      '    name = request.args.get("name", "")',
      '    if name:',
      '        item.name = name.strip()',
      '    total = 0',
      '    for line in item.lines:',
      '        total += line.amount * line.quantity',
      '    result = {',
      '        "id": item.id,',
      '        "name": item.name,',
      '        "total": total,',
      '    }',
      '    if request.method == "POST":',
      '        db.session.commit()',
      '    return result',
    );
  }
  return `${out.join('\n')}\n`;
}

const STATEMENT = 'rows = db.session.execute(f"SELECT * FROM t WHERE name = \'{name}\'")';

describe('WASM heap under incremental edits', () => {
  it('does not grow between edit 500 and edit 2,000 (trees are deleted as they are replaced)', async () => {
    const heapBytes = await heapProbe;
    const parser = await createPythonParser();
    const store = new TreeStore(parser);
    const uri = 'file:///heap/views.py';
    let text = source();
    let version = 1;
    assert.ok(store.get(uri, text, version));

    const ifEnds = [...text.matchAll(/^ {4}if name:$/gm)].map((m) => (m.index ?? 0) + m[0].length);
    const edit = (start: number, end: number, inserted: string) => {
      store.edited(uri, treeSitterEdit(text, start, end, inserted));
      text = text.slice(0, start) + inserted + text.slice(end);
      version++;
      const tree = store.get(uri, text, version);
      assert.ok(tree, `parse ${version} failed`);
      return tree;
    };

    let edits = 0;
    let atEdit500 = 0;
    for (let burst = 0; edits < 2_000; burst++) {
      // Enter inside an `if` block, type a statement one key at a time (half-typed: unclosed `(` and
      // string), then delete it key by key: the text is back to the start after every burst.
      const at = ifEnds[(burst * 7) % ifEnds.length] as number;
      const typed = `\n        ${STATEMENT}`;
      let cursor = at;
      for (const ch of typed) {
        const tree = edit(cursor, cursor, ch);
        cursor++;
        if (++edits === 500) atEdit500 = heapBytes();
        if (edits % 200 === 0) analyzeModels(buildModels(tree, text, '/heap/views.py'), ALL_RULES, {});
      }
      while (cursor > at) {
        const tree = edit(cursor - 1, cursor, '');
        cursor--;
        if (++edits === 500) atEdit500 = heapBytes();
        if (edits % 200 === 0) analyzeModels(buildModels(tree, text, '/heap/views.py'), ALL_RULES, {});
      }
    }
    const atEdit2000 = heapBytes();
    assert.ok(atEdit500 > 0, 'the WASM heap was measured');
    assert.ok(
      atEdit2000 - atEdit500 <= MiB,
      `WASM heap grew from ${(atEdit500 / MiB).toFixed(1)} MiB at edit 500 to ${(atEdit2000 / MiB).toFixed(1)} MiB at edit ${edits}`,
    );

    // The probe does see leaks: the same parses without deleting the trees grow the heap.
    const before = heapBytes();
    const leaked: Tree[] = [];
    for (let i = 0; i < 100; i++) {
      const t = parser.parse(text);
      if (t) leaked.push(t);
    }
    const after = heapBytes();
    for (const t of leaked) t.delete();
    store.dispose();
    assert.ok(
      after - before > 16 * MiB,
      `100 undeleted trees grew the heap by only ${(after - before) / MiB} MiB`,
    );
  });
});
