import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { fixTouches } from '../../server/src/engine/analyze';
import type { Engine } from '../../server/src/engine/engine';
import { blankStands, recover } from '../../server/src/engine/recovery';
import type { Recovered } from '../../server/src/engine/recovery';
import type { Finding } from '../../server/src/engine/types';
import { engine } from '../helpers/engine';

/**
 * Recovery from a bracket that is never closed (engine/recovery.ts): the statement that opens it is
 * blanked out, and the code after it is analysed as written instead of as tree-sitter's error recovery
 * swallowed it.
 */
let sentinel: Engine;
before(async () => {
  sentinel = await engine();
});

/** What recovery blanks in `text`: the lines of each blank (0-based, end exclusive) and the bracket. */
function blanksOf(text: string): { lines: [number, number]; bracket: string; at: [number, number] }[] {
  const result = sentinel.parsed(text, (recovered: Recovered) => {
    assert.equal(
      recovered.tree.rootNode.hasError,
      false,
      `still an error after recovery:\n${recovered.text}`,
    );
    return recovered.blanks.map((b) => ({
      lines: [b.range.start.line, b.range.end.line] as [number, number],
      bracket: b.opener,
      at: [b.bracket.line, b.bracket.character] as [number, number],
    }));
  });
  assert.ok(result);
  return result;
}

function noBlanks(text: string): void {
  const count = sentinel.parsed(text, (recovered) => recovered.blanks.length);
  assert.equal(count, 0, text);
}

const VIEW = `@app.route("/run")
def run():
    return os.system("ls " + request.args["dir"])
`;

describe('recovery from a bracket never closed: where it applies', () => {
  it('blanks a module-level call left open before a definition', () => {
    assert.deepEqual(blanksOf(`import os\nx = foo(1,\n\n\n${VIEW}`), [
      { lines: [1, 4], bracket: '(', at: [1, 7] },
    ]);
  });

  it('blanks a model field whose closing parenthesis was deleted, and only that line', () => {
    const text = `class Payment(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    status = db.Column(db.String(32), default="draft", nullable=False
    amount = db.Column(db.Numeric(10, 2))

    def to_dict(self):
        return {"id": self.id}


class Lead(db.Model):
    id = db.Column(db.Integer, primary_key=True)
`;
    assert.deepEqual(blanksOf(text), [{ lines: [2, 3], bracket: '(', at: [2, 22] }]);
  });

  it('blanks a half-typed return at the end of a block, a decorator, a list and a dict', () => {
    assert.deepEqual(blanksOf(`def f(value):\n    return (value or ""\n\n\n${VIEW}`), [
      { lines: [1, 4], bracket: '(', at: [1, 11] },
    ]);
    assert.deepEqual(blanksOf(`@app.route("/x", methods=["POST"]\ndef x():\n    return 1\n`), [
      { lines: [0, 1], bracket: '(', at: [0, 10] },
    ]);
    assert.deepEqual(blanksOf(`ALLOWED = [\n    "a",\n    "b",\n\n${VIEW}`), [
      { lines: [0, 4], bracket: '[', at: [0, 10] },
    ]);
    assert.deepEqual(blanksOf(`CONFIG = {\n    "a": 1,\n${VIEW}`), [
      { lines: [0, 2], bracket: '{', at: [0, 9] },
    ]);
  });

  it('blanks a block whose header never closes its bracket, body included', () => {
    const text = `def f(x):\n    if check(x:\n        return 1\n    return 2\n`;
    assert.deepEqual(blanksOf(text), [{ lines: [1, 3], bracket: '(', at: [1, 12] }]);
  });

  it('reads strings, comments and line continuations as the tokenizer does', () => {
    // Brackets inside strings and comments do not count; a string left open ends at its line.
    const text = `def f():\n    x = call(")", '(' # )\n    y = 2 + \\\n3\n    return x\n`;
    assert.deepEqual(blanksOf(text), [{ lines: [1, 2], bracket: '(', at: [1, 12] }]);
    assert.deepEqual(blanksOf(`def f():\n    flash("Please check\n    return 1\n`), [
      { lines: [1, 2], bracket: '(', at: [1, 9] },
    ]);
  });

  it('handles CRLF line breaks, tabs and more than one unclosed statement', () => {
    assert.deepEqual(blanksOf('def f():\r\n\tx = foo(\r\n\treturn 1\r\n'), [
      { lines: [1, 2], bracket: '(', at: [1, 8] },
    ]);
    // A lone `\r` is a line break for positions (LineIndex), not for tree-sitter's rows.
    assert.deepEqual(blanksOf('# a\rb = 1\ndef f():\n    x = foo(\n    return 1\n'), [
      { lines: [3, 4], bracket: '(', at: [3, 11] },
    ]);
    const two = `def a():\n    x = foo(\n    return 1\n\n\ndef b():\n    y = bar[\n    return 2\n`;
    assert.deepEqual(blanksOf(two), [
      { lines: [1, 2], bracket: '(', at: [1, 11] },
      { lines: [6, 7], bracket: '[', at: [6, 11] },
    ]);
  });
});

describe('recovery from a bracket never closed: where it does not apply', () => {
  it('leaves valid code alone, dedented continuation lines included', () => {
    noBlanks(`x = foo(\na,\nb)\n\n\ndef f():\n    return [\n        1,\n    ]\n`);
    noBlanks(`SQL = """\nSELECT *\nFROM t\n"""\n${VIEW}`);
  });

  it('leaves errors that swallow nothing to tree-sitter', () => {
    noBlanks(`def f(x):\n    if x\n        return 1\n\n\n${VIEW}`);
    noBlanks(`print "hello"\n${VIEW}`);
    // Nothing after the open bracket starts a statement: the file just ends.
    noBlanks(`${VIEW}\nx = foo(\n`);
    // A continuation line more indented than the statement is still inside the brackets.
    noBlanks(`def f():\n    x = foo(\n        a,\n`);
  });

  it('does not guess past a triple-quoted string that is never closed', () => {
    noBlanks(`def f():\n    x = """abc\n    return x\n\n\n${VIEW}`);
  });
});

describe('recovery from a bracket never closed: the analysis', () => {
  it('keeps the findings after the half-typed statement where they are in the complete file', () => {
    const complete = `import os\nfrom flask import request\nx = foo(1)\n\n\n${VIEW}`;
    const broken = complete.replace('foo(1)', 'foo(1');
    const before = sentinel.analyzeText(complete, 'app.py');
    const after = sentinel.analyzeText(broken, 'app.py');
    assert.ok(before.findings.some((f) => f.ruleId === 'FS202'));
    assert.deepEqual(after.findings, before.findings);
    assert.deepEqual(after.notes, [
      {
        kind: 'syntax-error',
        message:
          'Syntax error ("(" is never closed): until it is closed, its statement is analysed as the code before it; the rest of the file is analysed.',
        range: { start: { line: 2, character: 7 }, end: { line: 2, character: 8 } },
      },
    ]);
  });

  it('keeps the positions of findings after a blank that spans several lines with non-ASCII text', () => {
    const complete = `import os\nfrom flask import request\nx = foo(\n    "café 😀",\n    2,\n)\n\n\n${VIEW}`;
    const broken = complete.replace('\n)\n', '\n\n');
    const after = sentinel.analyzeText(broken, 'app.py');
    assert.deepEqual(after.findings, sentinel.analyzeText(complete, 'app.py').findings);
    assert.equal(after.notes[0]?.kind, 'syntax-error');
  });

  it('finds nothing in the blanked statement itself', () => {
    const text = `import os\nfrom flask import request\n\n\n@app.route("/a")\ndef a():\n    return os.system("ls " + request.args["d"]\n\n\n${VIEW}`;
    const { findings } = sentinel.analyzeText(text, 'app.py');
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.range.start.line]).filter(([id]) => id === 'FS202'),
      [['FS202', 11]],
    );
  });

  it('drops fixes that would edit blanked text, and keeps the others', () => {
    const blanked = [{ start: { line: 3, character: 4 }, end: { line: 5, character: 0 } }];
    const finding = (line: number, character: number): Finding => ({
      ruleId: 'FS000',
      ruleName: 'x',
      message: 'x',
      severity: 'warning',
      confidence: 'high',
      cwe: [],
      range: { start: { line, character }, end: { line, character: character + 1 } },
      fix: {
        title: 'x',
        safety: 'safe',
        edits: [{ range: { start: { line, character }, end: { line, character } }, newText: 'y' }],
      },
    });
    assert.equal(fixTouches(finding(4, 0), blanked), true);
    assert.equal(fixTouches(finding(3, 8), blanked), true);
    assert.equal(fixTouches(finding(3, 2), blanked), false);
    assert.equal(fixTouches(finding(5, 0), blanked), false);
    assert.equal(fixTouches(finding(1, 0), blanked), false);
  });

  it('cuts a statement at its bracket where the code before it is a statement, else blanks it whole', () => {
    const recovered = (text: string) =>
      sentinel.parsed(text, (r) => {
        assert.equal(r.tree.rootNode.hasError, false, `still an error after recovery:\n${r.text}`);
        return { text: r.text, cut: r.blanks.map((b) => b.cut) };
      });
    const cases: [string, string, boolean][] = [
      ['    rows = db.execute(text(f"SELECT * FROM t WHERE id = {x}"', '    rows = db.execute', true],
      ['    return render(', '    return render', true],
      ['    return (value or ""', '    return ', true],
      ['    abort(', '    abort', true],
      ['    x = foo(a)[', '    x = foo(a)', true],
      ['    if check(x', '    pass', false],
      ['    for row in rows(', '    pass', false],
      ['    with open(', '    pass', false],
      ['    ALLOWED = [', '    pass', false],
      ['    x = a + (', '    pass', false],
      // Reads like an expression, does not parse as one: the parse has the last word.
      ['    x = a if b(', '    pass', false],
    ];
    for (const [line, analysed, cut] of cases) {
      const text = `def f(value, x, a, b):\n${line}\n    return 1\n`;
      assert.deepEqual(
        recovered(text),
        { text: `def f(value, x, a, b):\n${analysed}\n    return 1\n`, cut: [cut] },
        line,
      );
    }
    const decorated = `@app.route("/x", methods=["POST"]\ndef x():\n    return 1\n`;
    assert.deepEqual(recovered(decorated), { text: `pass\ndef x():\n    return 1\n`, cut: [false] });
  });

  it('leaves the recovered text and its tree as they were when the key typed opens the bracket', () => {
    const parser = sentinel.parser;
    const before = `def f():\n    rows = db.execute\n    return rows\n`;
    const after = before.replace('db.execute', 'db.execute(');
    const writtenBefore = parser.parse(before);
    const writtenAfter = parser.parse(after);
    assert.ok(writtenBefore && writtenAfter);
    const one = recover(parser, writtenBefore, before);
    assert.equal(one.tree, writtenBefore, 'nothing to recover from in valid code');
    const last = { text: before, tree: writtenBefore.copy() };
    const two = recover(parser, writtenAfter, after, last);
    assert.equal(two.text, before);
    assert.equal(two.tree, last.tree, 'no parse: the last tree is the tree of the recovered text');
    assert.equal(two.blanks[0]?.cut, true);
    two.tree.delete();
    writtenBefore.delete();
    writtenAfter.delete();
  });

  it('parses the next recovered text from the last one, and keeps its tree while it does not change', () => {
    const parser = sentinel.parser;
    const first = `def f():\n    x = foo(a\n    return 1\n`;
    const second = first.replace('foo(a', 'foo(ab');
    const writtenFirst = parser.parse(first);
    const writtenSecond = parser.parse(second);
    assert.ok(writtenFirst && writtenSecond);
    const one = recover(parser, writtenFirst, first);
    const two = recover(parser, writtenSecond, second, { text: one.text, tree: one.tree });
    assert.equal(two.text, one.text, 'typing on the blanked line leaves the recovered text as it was');
    assert.equal(two.tree, one.tree);
    assert.equal(two.tree.rootNode.hasError, false);
    two.tree.delete();
    writtenFirst.delete();
    writtenSecond.delete();
  });
});

describe('recovery from a bracket never closed: whether a blank still stands after its line is edited', () => {
  const stands = (line: string) => {
    const text = `def f():\n${line}\n    return 1\n`;
    return blankStands(text, text.indexOf('rows'), text.indexOf('execute(') + 7, text.indexOf('    return'));
  };

  it('stands while the first bracket stays open at the end of the line', () => {
    assert.ok(stands('    rows = db.execute('));
    assert.ok(stands('    rows = db.execute(text(f"SELECT * FROM t WHERE id = {x}"'));
    assert.ok(stands(`    rows = db.execute(text("it's"), bar(1)`));
    assert.ok(stands('    rows = db.execute("a string never closed ends with its line'));
    assert.ok(stands('    rows = db.execute(x  # )'));
  });

  it('falls when that bracket closes or a triple-quoted string opens', () => {
    assert.equal(stands('    rows = db.execute(text("x"))'), false);
    assert.equal(stands('    rows = db.execute(x) + ('), false, 'another bracket is open now');
    assert.equal(stands('    rows = db.execute("""'), false);
  });
});
