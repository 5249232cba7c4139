import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Tree } from 'web-tree-sitter';
import { analyzeModels, buildModels } from '../../server/src/engine/analyze';
import { Engine } from '../../server/src/engine/engine';
import { LineIndex } from '../../server/src/engine/positions';
import { generateSingleFile } from '../../bench/generate';
import { keystrokeScript } from '../../bench/keystrokes';
import { NO_WORKSPACE_FACTS } from '../../server/src/engine/context';
import type { Focus } from '../../server/src/engine/context';
import { analyzeVersion, releaseState } from '../../server/src/engine/reanalysis';
import type { Located, RunAnalysis, SegmentedState } from '../../server/src/engine/reanalysis';
import { segmentsOf } from '../../server/src/engine/segments';
import { treeSitterEdit } from '../../server/src/engine/treeEdits';
import { routesOf } from '../../server/src/lsp/routes';
import { FOCUS_FIXTURES, RULE_FIXTURES, pythonFiles } from '../helpers/fixtures';

/**
 * Differential: re-analysing only the edited top-level statement (and what it reaches) gives exactly the
 * findings of a whole-file analysis, over every rule's fixture (the spellings each rule knows) and random
 * edits typed inside function bodies — the keystroke path's only correctness argument that matters.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'rules');

/** Text typed into a body: sources, sinks, helpers called, names rebound, half-typed lines. */
const FRAGMENTS = [
  'x',
  '(',
  ')',
  '"',
  '\n    ',
  '\n    value = request.args.get("q")',
  '\n    helper(request.form["name"])',
  '\n    os.system("ls " + value)',
  '\n    cursor.execute("SELECT * FROM t WHERE id = " + value)',
  '\n    return redirect(request.args["next"])',
  '\n    data = request.get_json()',
  '\n    global CACHE',
  '\n    import subprocess',
  '\n    app.config["SECRET_KEY"] = "dev"',
  '  # nosec',
  'request.args["q"]',
  ', methods=["POST"]',
  '@login_required\n',
  'POST',
  // At the start of a line: a module-level name bound for the first time, read by the statements below.
  '\nvalue = request.args.get("q")\n',
];

interface Edit {
  at: number;
  remove: number;
  fragment: number;
}

const editArb = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.nat({ max: 6 }),
  fragment: fc.nat({ max: FRAGMENTS.length - 1 }),
});

/**
 * Offsets inside function bodies (after the first line of a def), where people type most, in decorator
 * lines (routes change their methods, auth decorators come and go), and in the class-level lines of class
 * bodies (fields of models and forms, class attributes).
 */
function bodyOffsets(text: string): number[] {
  const out: number[] = [];
  for (const match of text.matchAll(/^@[^\n]*/gm)) {
    for (let i = 1; i < match[0].length; i += 5) out.push((match.index ?? 0) + i);
  }
  const block = /^([ \t]*)(async\s+def|def|class) [^\n]*\n/gm;
  for (const match of text.matchAll(block)) {
    const start = (match.index ?? 0) + match[0].length;
    const end = text.indexOf('\n\n', start);
    for (let i = start; i < (end < 0 ? text.length : end); i += 7) out.push(i);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Where each statement starts, counted afresh (the re-analysis moves the previous lines instead). */
function linesOf(segments: readonly { start: number }[], text: string): number[] {
  const index = new LineIndex(text);
  return segments.map((s) => index.positionAt(s.start).line);
}

/** A document being edited: every version is re-analysed and a partial result checked against a whole one. */
class EditedDocument {
  tree: Tree;
  state: SegmentedState<Located> | undefined;
  partial = 0;
  total = 0;
  /** The statements the last partial re-analysis ran the rules on (the reduced file also holds context). */
  focused: string[] = [];
  private readonly run: RunAnalysis<Located>;

  constructor(
    private readonly engine: Engine,
    public text: string,
    run: RunAnalysis<Located>,
  ) {
    this.run = (tree, analysed, focus) => {
      if (focus) this.focused = focus.map((span) => analysed.slice(span.start, span.end));
      return run(tree, analysed, focus);
    };
    this.tree = engine.parser.parse(text) as Tree;
    this.state = analyzeVersion<Located>(undefined, this.tree, text, engine.parser, this.run).state;
  }

  /** Whether the last partial re-analysis ran the rules on a statement that matches `pattern`. */
  reanalysed(pattern: RegExp): boolean {
    return this.focused.some((statement) => pattern.test(statement));
  }

  /** Replaces text[start, end) with `inserted`, re-analyses, and checks the result. */
  edit(start: number, end: number, inserted: string, label = ''): 'partial' | 'whole' {
    this.tree.edit(treeSitterEdit(this.text, start, end, inserted));
    this.text = this.text.slice(0, start) + inserted + this.text.slice(end);
    const next = this.engine.parser.parse(this.text, this.tree) as Tree;
    this.tree.delete();
    this.tree = next;
    // A reduced file of any size: small fixtures must take the partial path too.
    const version = analyzeVersion(this.state, this.tree, this.text, this.engine.parser, this.run, 1);
    this.state = version.state;
    this.total++;
    if (version.kind === 'partial') {
      this.partial++;
      const fresh = this.run(this.tree, this.text);
      assert.deepEqual(version.state.findings, fresh.analysis.findings, `${label}\n${this.text}`);
      assert.deepEqual(version.state.extras, fresh.extras, `routes: ${label}\n${this.text}`);
      assert.deepEqual(version.state.lines, linesOf(version.state.segments, this.text));
      // Statements reused from the last version are what cutting the text afresh gives.
      assert.deepEqual(version.state.segments, segmentsOf(this.tree, this.text), `segments: ${label}`);
    }
    return version.kind;
  }

  /** Types `inserted` just after the first `anchor` in the text. */
  typeAfter(anchor: string, inserted: string): 'partial' | 'whole' {
    const found = this.text.indexOf(anchor);
    assert.ok(found >= 0, anchor);
    const at = found + anchor.length;
    return this.edit(at, at, inserted, anchor);
  }

  /** The reduced file the last partial re-analysis ran on. */
  get reduced(): string {
    return this.state?.reduced?.text ?? '';
  }

  dispose(): void {
    this.tree.delete();
    releaseState(this.state);
  }
}

describe('re-analysis of the edited statement (differential)', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.create();
  });

  const run = (tree: Tree, text: string, focus?: Focus) => {
    const models = buildModels(tree, text, 'app/views.py');
    // The language server's extras: routes, re-computed for the statements in focus only.
    const extras: Located[] = routesOf(models, 'file:///app/views.py', NO_WORKSPACE_FACTS, [], focus);
    return { models, analysis: analyzeModels(models, engine.rules, { focus }), extras };
  };

  it('equals a whole-file analysis after every edit, on every rule fixture', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.py'));
    let partial = 0;
    let total = 0;
    for (const file of files) {
      const original = readFileSync(join(FIXTURES, file), 'utf8');
      if (bodyOffsets(original).length === 0) continue;
      fc.assert(
        fc.property(fc.array(editArb, { minLength: 1, maxLength: 6 }), (edits: Edit[]) => {
          const doc = new EditedDocument(engine, original, run);
          try {
            for (const edit of edits) {
              const candidates = bodyOffsets(doc.text);
              if (candidates.length === 0) return;
              const at = candidates[Math.floor(edit.at * candidates.length)] as number;
              doc.edit(
                at,
                Math.min(doc.text.length, at + edit.remove),
                FRAGMENTS[edit.fragment] as string,
                file,
              );
            }
          } finally {
            partial += doc.partial;
            total += doc.total;
            doc.dispose();
          }
        }),
        { numRuns: 8, seed: Number(process.env.FC_SEED ?? 20261201) },
      );
    }
    // The fast path must actually be taken, or this test proves nothing. Rule fixtures are dense with
    // statements that reach out (config writes, hooks) and random edits often join statements, so most
    // edits here rightly take the whole-file path.
    assert.ok(partial > total / 10, `only ${partial} of ${total} edits were re-analysed partially`);
  });

  it('equals a whole-file analysis when any one statement is touched, on the rule and focus fixtures', () => {
    // Each statement touched, one after another: whatever a rule decides about one statement from another
    // (a workbook set up elsewhere, a warning silenced at module level) must be in the reduced file, or the
    // statement must take the whole-file path.
    const files = pythonFiles(RULE_FIXTURES, FOCUS_FIXTURES);
    let partial = 0;
    let total = 0;
    for (const file of files) {
      const doc = new EditedDocument(engine, readFileSync(file, 'utf8'), run);
      try {
        const count = doc.tree.rootNode.childCount;
        for (let i = 0; i < count; i++) {
          const statement = doc.tree.rootNode.child(i);
          if (!statement || statement.type === 'comment') continue;
          // One more space after the first space or parenthesis of its first line (`import  os`,
          // `def  view():`, `@app.route( "/")`): the statement's text changes, its meaning does not.
          const lineEnd = doc.text.indexOf('\n', statement.startIndex);
          const line = doc.text.slice(statement.startIndex, lineEnd < 0 ? doc.text.length : lineEnd);
          const gap = line.search(/[ (]/);
          if (gap < 0) continue;
          const at = statement.startIndex + gap + 1;
          doc.edit(at, at, ' ', `${file}, statement ${i}`);
        }
      } finally {
        partial += doc.partial;
        total += doc.total;
        doc.dispose();
      }
    }
    assert.ok(partial > total / 2, `only ${partial} of ${total} edits were re-analysed partially`);
  });

  it('equals a whole-file analysis while typing in a generated Flask module, mostly without the whole file', () => {
    const doc = new EditedDocument(engine, generateSingleFile(1000, 7), run);
    const edits = keystrokeScript(doc.text, 80, 11);
    try {
      for (const edit of edits) doc.edit(edit.start, edit.end, edit.text);
    } finally {
      doc.dispose();
    }
    assert.ok(
      doc.partial > edits.length / 2,
      `only ${doc.partial} of ${edits.length} keystrokes were re-analysed partially`,
    );
  });

  it('leaves out classes reached only by self calls or a shared name, and still equals the whole file', () => {
    const source = [
      'from flask import Flask, request',
      'import smtplib',
      'app = Flask(__name__)',
      '',
      'class Mailer:',
      '    def send(self, to, body):',
      '        smtplib.SMTP("localhost").sendmail("a@example.com", to, body)',
      '',
      '    def notify(self, body):',
      '        self.send(request.form["to"], body)',
      '',
      'class Reports:',
      '    def send(self, rows):',
      '        return rows',
      '',
      '    def build(self, rows):',
      '        total = len(rows)',
      '        return self.send(rows)',
      '',
      'class Reports:',
      '    def build(self, rows):',
      '        return rows',
      '',
      '@app.route("/notify", methods=["POST"])',
      'def notify():',
      '    Mailer().notify(request.form["body"])',
      '    return "ok"',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    try {
      // A method body of the first Reports: not Mailer (its self.send is its own), not the other Reports.
      assert.equal(doc.typeAfter('total = len(rows)', ' + 1'), 'partial');
      assert.doesNotMatch(doc.reduced, /class Mailer/);
      assert.equal(doc.reduced.match(/class Reports/g)?.length, 1);
      // Mailer's body: the route that builds a Mailer, not Reports (whose send is only called on self).
      assert.equal(doc.typeAfter('self.send(request.form["to"], body', ', body'), 'partial');
      assert.match(doc.reduced, /def notify\(\):/);
      assert.doesNotMatch(doc.reduced, /class Reports/);
      // A method added: lookups that count functions by name may now answer differently everywhere.
      doc.typeAfter('        return rows\n', '\n    def notify(self, body):\n        return body\n');
      doc.typeAfter('total = len(rows) + 1', ' + 2');
    } finally {
      doc.dispose();
    }
  });

  it('re-analyses the callers of the methods a class edit changes, not of every method it has', () => {
    // Models share method names (`to_dict`, `summary`), and a call `x.to_dict()` is looked up by name: when
    // every definition of an edited class counted as changed, typing in one model's field re-analysed
    // every view that serialises any model.
    const source = [
      'from flask import Flask, jsonify, request',
      'from flask_sqlalchemy import SQLAlchemy',
      'import sqlite3',
      'app = Flask(__name__)',
      'db = SQLAlchemy(app)',
      '',
      'class Order(db.Model):',
      '    id = db.Column(db.Integer, primary_key=True)',
      '    status = db.Column(db.String(32))',
      '',
      '    def summary(self):',
      '        return "order"',
      '',
      '    def to_dict(self):',
      '        return {"id": self.id, "summary": self.summary()}',
      '',
      '    def label(self):',
      '        return "label"',
      '',
      'class Invoice(db.Model):',
      '    id = db.Column(db.Integer, primary_key=True)',
      '',
      '    def to_dict(self):',
      '        return {"id": self.id}',
      '',
      'class Repo:',
      '    def _raw(self):',
      '        return "1"',
      '',
      '    def query(self):',
      '        return "SELECT * FROM t WHERE id = " + self._raw()',
      '',
      'repo = Repo()',
      '',
      '@app.route("/orders/<int:order_id>")',
      'def show_order(order_id):',
      '    return jsonify(Order.query.get_or_404(order_id).to_dict())',
      '',
      '@app.route("/invoices/<int:invoice_id>")',
      'def show_invoice(invoice_id):',
      '    return jsonify(Invoice.query.get_or_404(invoice_id).to_dict())',
      '',
      '@app.route("/rows")',
      'def rows():',
      '    return jsonify(sqlite3.connect("db").execute(repo.query()).fetchall())',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    try {
      // A field: the views that use Order, not the one that calls another model's to_dict().
      assert.equal(doc.typeAfter('status = db.Column(db.String(32)', ', nullable=False'), 'partial');
      assert.match(doc.reduced, /def show_order/);
      assert.doesNotMatch(doc.reduced, /def show_invoice/);
      // A method no other method of the class calls: still not show_invoice.
      assert.equal(doc.typeAfter('return "label', 'x'), 'partial');
      assert.doesNotMatch(doc.reduced, /def show_invoice/);
      // summary(), which to_dict() calls on self: every caller of a to_dict() now.
      assert.equal(doc.typeAfter('return "order', 's'), 'partial');
      assert.match(doc.reduced, /def show_invoice/);
      // A helper method starts returning request data: the query built from it is injectable, in a view
      // that calls query() on a module-level instance.
      const raw = doc.text.indexOf('"1"');
      assert.equal(doc.edit(raw, raw + 3, 'request.args["id"]', '_raw'), 'partial');
      assert.deepEqual(
        doc.state?.findings.map((f) => f.ruleId),
        ['FS201'],
        'the query built from _raw() is reported in rows()',
      );
      // A method renamed, then a field of the renamed class: counted whole, as the names differ.
      doc.typeAfter('def label', 's');
      doc.typeAfter('primary_key=True', ', index=True');
    } finally {
      doc.dispose();
    }
  });

  it("leaves a class's users alone when only a method body no one calls implicitly changed", () => {
    // Typing in a form's validator re-analysed every view that builds the form (the class name counted
    // as changed): 10-25 ms a key on a 5k-line file. A class-based view is different: Flask calls its
    // get/post without the name being written, and FS501 reports at the registration, elsewhere, from
    // what the body writes.
    const source = [
      'from flask import Flask, render_template',
      'from flask.views import MethodView',
      'from flask_sqlalchemy import SQLAlchemy',
      'from flask_wtf import FlaskForm',
      'from wtforms import StringField',
      'from wtforms.validators import ValidationError',
      'app = Flask(__name__)',
      'db = SQLAlchemy(app)',
      '',
      'class NoteForm(FlaskForm):',
      '    name = StringField("Name")',
      '',
      '    def validate_name(self, field):',
      '        if not field.data:',
      '            raise ValidationError("A name is required.")',
      '',
      'class Notes(MethodView):',
      '    def get(self):',
      '        return self.render()',
      '',
      '    def render(self):',
      '        return "notes"',
      '',
      'app.add_url_rule("/notes", view_func=Notes.as_view("notes"))',
      '',
      '@app.route("/notes/new", methods=["GET", "POST"])',
      'def new_note():',
      '    form = NoteForm()',
      '    if form.validate_on_submit():',
      '        return "ok"',
      '    return render_template("new.html", form=form)',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    /** Whether FS501 reports the class-based view's registration. */
    const registrationReported = () => {
      const line = doc.text.slice(0, doc.text.indexOf('app.add_url_rule')).split('\n').length - 1;
      return doc.state?.findings.some((f) => f.ruleId === 'FS501' && f.range.start.line === line) ?? false;
    };
    try {
      assert.equal(doc.typeAfter('raise ValidationError("A name is required', ' here'), 'partial');
      // The reduced file still holds the view (callers are context); the rules do not run on it.
      assert.ok(!doc.reanalysed(/def new_note/), 'the view that builds the form is not re-analysed');
      // A field of the form, outside its methods: the views that use the form again.
      assert.equal(doc.typeAfter('StringField("Name"', ', default=""'), 'partial');
      assert.ok(doc.reanalysed(/def new_note/));
      // The view's GET starts writing to the database: FS501 at the registration, another statement.
      assert.equal(registrationReported(), false);
      const get = doc.text.indexOf('return self.render()');
      assert.equal(doc.edit(get, get, 'db.session.commit()\n        ', 'commit in get'), 'partial');
      assert.equal(registrationReported(), true, 'the GET route now changes state');
      // ... and stops again.
      const commit = doc.text.indexOf('db.session.commit()\n');
      assert.equal(
        doc.edit(commit, commit + 'db.session.commit()\n        '.length, '', 'no commit'),
        'partial',
      );
      assert.equal(registrationReported(), false);
      // A helper the view's get calls on self: the registration again.
      assert.equal(doc.typeAfter('return "notes', 's'), 'partial');
      assert.ok(doc.reanalysed(/add_url_rule/));
    } finally {
      doc.dispose();
    }
  });

  it('gives a module-level statement the findings the whole file gives it when edited alone', () => {
    // FS405 reported urllib3.disable_warnings() only when the file had no other FS405 finding: edited on
    // its own, the reduced file (without fetch) reported it and the whole file did not.
    const source = [
      'import requests',
      'import urllib3',
      '',
      'urllib3.disable_warnings()',
      '',
      '',
      'def other():',
      '    return 1',
      '',
      '',
      'def fetch(url):',
      '    return requests.get(url, verify=False)',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    try {
      const at = doc.text.indexOf('disable_warnings(') + 'disable_warnings('.length;
      assert.equal(doc.edit(at, at, ' ', 'disable_warnings'), 'partial');
      assert.doesNotMatch(doc.state?.reduced?.text ?? '', /def fetch/);
    } finally {
      doc.dispose();
    }
  });

  it('re-analyses a Celery task when the view that queues it with .delay() is edited', () => {
    const source = [
      'from celery import shared_task',
      'from flask import Flask, request',
      '',
      'app = Flask(__name__)',
      '',
      '',
      '@shared_task',
      'def apply_rule(expression):',
      '    return eval(expression, {})',
      '',
      '',
      '@app.route("/rules", methods=["POST"])',
      'def queue_rule():',
      '    apply_rule.delay("1 + 1")',
      '    return "queued"',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    try {
      const start = doc.text.indexOf('"1 + 1"');
      // The view now queues request data: the task's eval() is reported, as the whole file reports it.
      assert.equal(doc.edit(start, start + '"1 + 1"'.length, 'request.form["rule"]', 'delay'), 'partial');
      assert.ok(doc.reanalysed(/def apply_rule/));
      assert.ok(doc.state?.findings.some((f) => f.ruleId === 'FS203'));
    } finally {
      doc.dispose();
    }
  });

  it('re-analyses the readers of a module-level name the edit binds for the first time, not the whole file', () => {
    const source = [
      'import requests',
      '',
      '',
      'def fetch(url):',
      '    return requests.get(url, verify=VERIFY, timeout=10)',
      '',
      '',
      'def other():',
      '    return 1',
      '',
    ].join('\n');
    const doc = new EditedDocument(engine, source, run);
    try {
      // Typed whole, then changed: the first binds VERIFY where nothing did, the second rebinds it.
      const at = doc.text.indexOf('\n\n\ndef fetch') + 1;
      assert.equal(doc.edit(at, at, 'VERIFY = False\n', 'bind VERIFY'), 'partial');
      assert.deepEqual(
        doc.state?.findings.map((f) => f.ruleId),
        ['FS405'],
        'fetch() is re-analysed with the new binding',
      );
      assert.doesNotMatch(doc.state?.reduced?.text ?? '', /def other/);
      const value = doc.text.indexOf('False');
      assert.equal(doc.edit(value, value + 'False'.length, 'True', 'rebind VERIFY'), 'partial');
      assert.deepEqual(doc.state?.findings, []);
    } finally {
      doc.dispose();
    }
  });

  it('copies a statement that error recovery started mid-line together with the one before it', () => {
    // Found by the bench's typing script: once the `)` of a Column(...) in a model class of the generated
    // 20k-line file is deleted, the parser starts top-level statements at the end of a line while the
    // typing goes on. How it recovers depends on thousands of lines around, so the test rebuilds that text
    // (a prefix of the file) and replays the script from there.
    const full = generateSingleFile(20000, 20280701);
    const script = keystrokeScript(full, 100, 20280701);
    let text = full;
    let from = -1;
    for (const [i, e] of script.entries()) {
      const line = text.slice(text.lastIndexOf('\n', e.start) + 1, text.indexOf('\n', e.start));
      if (text.slice(e.start, e.end) === ')' && line.includes('Column(')) {
        from = i;
        break;
      }
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
    }
    assert.ok(from > 0, 'the script deletes no `)` of a Column(...): find such a case again');
    const at = (script[from] as { start: number }).start;
    const doc = new EditedDocument(engine, text.slice(0, text.indexOf('\n\n\n', at + 20000) + 1), run);
    let sharedAndPartial = 0;
    try {
      for (const e of script.slice(from)) {
        if (e.end > doc.text.length) continue;
        const kind = doc.edit(e.start, e.end, e.text, 'typing after an unclosed Column(');
        if (kind === 'partial' && doc.state?.segments.some((s, i) => i > 0 && s.indent === null))
          sharedAndPartial++;
      }
    } finally {
      doc.dispose();
    }
    assert.ok(
      sharedAndPartial > 0,
      'no edit re-analysed a statement that starts mid-line: this proves nothing',
    );
  });

  it('moves every later finding when blank lines are typed or deleted between statements', () => {
    const doc = new EditedDocument(engine, generateSingleFile(600, 5), run);
    const gaps = (text: string) =>
      [...text.matchAll(/\n\n(?=def |class |@)/g)].map((m) => (m.index ?? 0) + 1);
    try {
      for (let k = 0; k < 12; k++) {
        // Insert a blank line at a gap, or delete one (gaps move as lines are added: found again each time).
        const at = gaps(doc.text)[k] as number;
        const kind = k % 3 === 2 ? doc.edit(at, at + 1, '') : doc.edit(at, at, '\n');
        assert.equal(kind, 'partial', 'a blank line alone never needs the whole file');
      }
    } finally {
      doc.dispose();
    }
  });
});
