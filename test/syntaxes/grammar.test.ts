/**
 * Tokenization tests for syntaxes/flask-sentinel.injection.tmLanguage.json, with the libraries VS Code itself
 * tokenizes with (vscode-textmate + vscode-oniguruma) and VS Code's own grammars from `tm-grammars`: the host
 * `source.python` is VS Code's MagicPython.tmLanguage.json and `source.sql` is VS Code's SQL grammar. The
 * injection is wired the way VS Code wires it, from the `contributes.grammars` entry of package.json.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import { INITIAL, Registry, parseRawGrammar } from 'vscode-textmate';
import type { IGrammar, IOnigLib, IRawGrammar, IToken, StateStack } from 'vscode-textmate';
import type { Node } from 'web-tree-sitter';
import { collectSuppressions } from '../../server/src/engine/suppressions';

const ROOT = path.resolve(__dirname, '..', '..');
const INJECTION = 'flask-sentinel.injection';
const SQL = 'meta.embedded.sql';
const RULE_ID = 'constant.other.rule-id.flask-sentinel';
const NOSEC = 'keyword.other.suppression.flask-sentinel';

interface GrammarContribution {
  scopeName: string;
  path: string;
  injectTo?: string[];
  embeddedLanguages?: Record<string, string>;
}

function contribution(): GrammarContribution {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes?: { grammars?: GrammarContribution[] };
  };
  const entry = pkg.contributes?.grammars?.find((g) => g.scopeName === INJECTION);
  assert.ok(entry, `package.json contributes.grammars has no entry for ${INJECTION}`);
  return entry;
}

const HOST_GRAMMARS: Record<string, string> = {
  'source.python': require.resolve('tm-grammars/grammars/python.json'),
  'source.sql': require.resolve('tm-grammars/grammars/sql.json'),
};

let onigLib: Promise<IOnigLib> | undefined;
function onig(): Promise<IOnigLib> {
  onigLib ??= oniguruma
    .loadWASM(readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')))
    .then((): IOnigLib => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }));
  return onigLib;
}

function readGrammar(file: string): IRawGrammar {
  return parseRawGrammar(readFileSync(file, 'utf8'), file);
}

/** A registry like VS Code's: the injection is offered for the scopes its package.json entry injects into. */
function registry(withInjection: boolean): Registry {
  const entry = contribution();
  const files: Record<string, string> = { ...HOST_GRAMMARS, [entry.scopeName]: path.join(ROOT, entry.path) };
  return new Registry({
    onigLib: onig(),
    loadGrammar: (scopeName) => {
      const file = files[scopeName];
      return Promise.resolve(file ? readGrammar(file) : null);
    },
    getInjections: (scopeName) =>
      withInjection && entry.injectTo?.includes(scopeName) ? [entry.scopeName] : undefined,
  });
}

const grammars = new Map<boolean, Promise<IGrammar>>();
function python(withInjection = true): Promise<IGrammar> {
  let grammar = grammars.get(withInjection);
  if (!grammar) {
    grammar = registry(withInjection)
      .loadGrammar('source.python')
      .then((g) => {
        assert.ok(g, 'source.python did not load');
        return g;
      });
    grammars.set(withInjection, grammar);
  }
  return grammar;
}

interface Token {
  text: string;
  scopes: string[];
}

function tokenizeLines(grammar: IGrammar, source: string): { line: string; tokens: IToken[] }[] {
  let state: StateStack = INITIAL;
  return source.split(/\r?\n/).map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return { line, tokens: result.tokens };
  });
}

/** Tokens of every line of `source`, tokenized line by line as an editor does (the rule stack carries over). */
async function tokenize(source: string, withInjection = true): Promise<Token[][]> {
  return tokenizeLines(await python(withInjection), source).map(({ line, tokens }) =>
    tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes })),
  );
}

/** The scopes of the `nth` token whose text is exactly `text`. */
function scopesOf(line: Token[] | undefined, text: string, nth = 0): string[] {
  assert.ok(line, 'no such line');
  const found = line.filter((t) => t.text === text)[nth];
  assert.ok(
    found,
    `no token ${JSON.stringify(text)} (#${nth}) in ${JSON.stringify(line.map((t) => t.text))}`,
  );
  return found.scopes;
}

function has(scopes: string[], scope: string): boolean {
  return scopes.some((s) => s === scope || s.startsWith(`${scope}.`));
}

function assertSql(scopes: string[], last: string, what = last): void {
  assert.ok(has(scopes, SQL), `${what}: expected ${SQL} in ${scopes.join(' ')}`);
  assert.equal(scopes.at(-1), last, `${what}: ${scopes.join(' ')}`);
}

function assertNoSql(tokens: Token[][]): void {
  for (const t of tokens.flat()) {
    assert.ok(
      !t.scopes.some((s) => s === SQL || s.endsWith('.sql') || s.endsWith('.flask-sentinel')),
      `${JSON.stringify(t.text)} got ${t.scopes.join(' ')}`,
    );
  }
}

async function assertSameAsHost(source: string): Promise<void> {
  assert.deepEqual(await tokenize(source), await tokenize(source, false));
}

/**
 * Tokenizes `source` with and without the injection and checks that they differ only where the injection is
 * meant to act: embedded SQL inside what the host scopes as a string, and nosec directives inside what the
 * host scopes as a comment. Returns the tokens with the injection.
 */
async function compareWithHost(source: string, label: string): Promise<IToken[][]> {
  const ours = tokenizeLines(await python(true), source);
  const theirs = tokenizeLines(await python(false), source);
  const scopesAt = (list: IToken[] | undefined, offset: number) =>
    list?.find((t) => t.startIndex <= offset && offset < t.endIndex)?.scopes.join(' ') ?? '';
  ours.forEach(({ line, tokens }, index) => {
    for (let offset = 0; offset < line.length; offset++) {
      const mine = scopesAt(tokens, offset);
      const base = scopesAt(theirs[index]?.tokens, offset);
      if (mine === base) continue;
      const where = `${label}:${index + 1}:${offset + 1}\n  with: ${mine}\n  host: ${base}`;
      if (mine.includes(SQL)) {
        assert.match(base, /\bstring\.|meta\.fstring\.python/, where);
      } else if (mine.includes('.flask-sentinel')) {
        assert.match(base, /comment\.line\.number-sign\.python/, where);
      } else {
        // The host scopes lower-case r-strings as regular expressions; ours are raw strings holding SQL.
        assert.match(base, /string\.regexp\./, where);
      }
    }
  });
  return ours.map(({ tokens }) => tokens);
}

describe('grammar wiring', () => {
  it('is contributed in package.json as an injection into source.python that embeds SQL', () => {
    const entry = contribution();
    assert.deepEqual(entry.injectTo, ['source.python']);
    assert.deepEqual(entry.embeddedLanguages, { [SQL]: 'sql' });
    const raw = JSON.parse(readFileSync(path.join(ROOT, entry.path), 'utf8')) as {
      scopeName: string;
      injectionSelector: string;
    };
    assert.equal(raw.scopeName, INJECTION);
    assert.match(raw.injectionSelector, /^L:source\.python /);
  });

  it("tests against VS Code's own Python (MagicPython) and SQL grammars", async () => {
    const { grammars: infos } = await import('tm-grammars');
    const info = (name: string) => infos.find((g) => g.name === name);
    assert.match(
      info('python')?.source ?? '',
      /github\.com\/microsoft\/vscode\/.*MagicPython\.tmLanguage\.json$/,
    );
    assert.match(info('sql')?.source ?? '', /github\.com\/microsoft\/vscode\/.*sql\.tmLanguage\.json$/);
    assert.equal(info('python')?.license, 'MIT');
    assert.equal(info('sql')?.license, 'MIT');
  });

  it('refers only to rules that exist, in itself and in the host grammar, and every regex compiles', async () => {
    const lib = await onig();
    const file = path.join(ROOT, contribution().path);
    const own = JSON.parse(readFileSync(file, 'utf8')) as { repository: Record<string, unknown> };
    const host = JSON.parse(readFileSync(HOST_GRAMMARS['source.python'] ?? '', 'utf8')) as {
      repository: Record<string, unknown>;
    };
    const includes: string[] = [];
    const regexes: string[] = [];
    // vscode-textmate fills an end pattern's back-references with the text its begin pattern captured.
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'include' && typeof value === 'string') includes.push(value);
          else if (['match', 'begin'].includes(key) && typeof value === 'string') regexes.push(value);
          else if (['end', 'while'].includes(key) && typeof value === 'string') {
            regexes.push(value.replace(/\\\d+/g, '"'));
          } else walk(value);
        }
      }
    };
    walk(own);
    for (const include of includes) {
      if (include.startsWith('#')) assert.ok(include.slice(1) in own.repository, `missing rule ${include}`);
      else if (include.startsWith('source.python#')) {
        const name = include.slice('source.python#'.length);
        assert.ok(name in host.repository, `the Python grammar has no rule ${name}`);
      } else assert.equal(include, 'source.sql');
    }
    assert.ok(includes.includes('source.sql'));
    for (const source of regexes) {
      // vscode-textmate replaces \G when the anchor is not allowed; both forms must compile.
      for (const variant of [source, source.replace(/\\G/g, '\uFFFF')]) {
        assert.doesNotThrow(() => lib.createOnigScanner([variant]), `regex does not compile: ${source}`);
      }
    }
  });
});

describe('# nosec suppression comments', () => {
  it('gives nosec and each rule id its own scope; the rest stays a comment', async () => {
    const [line] = await tokenize('app.run(debug=True)  # nosec: FS201, FS202 reviewed by security');
    assert.deepEqual(scopesOf(line, '#').slice(1), [
      'comment.line.number-sign.python',
      'punctuation.definition.comment.python',
    ]);
    assert.equal(scopesOf(line, 'nosec').at(-1), NOSEC);
    assert.equal(scopesOf(line, ':').at(-1), 'punctuation.separator.suppression.flask-sentinel');
    assert.equal(scopesOf(line, 'FS201').at(-1), RULE_ID);
    assert.equal(scopesOf(line, 'FS202').at(-1), RULE_ID);
    const rest = scopesOf(line, ' reviewed by security');
    assert.ok(rest.includes('comment.line.number-sign.python'));
    assert.ok(!rest.some((s) => s.startsWith('constant') || s.startsWith('keyword')));
    // The code before the comment is untouched.
    const host = (await tokenize('app.run(debug=True)', false))[0];
    assert.deepEqual(line?.slice(0, host?.length), host);
  });

  it('highlights bare nosec and bandit ids too', async () => {
    const [bare, bandit] = await tokenize('x = 1  # nosec\ncursor.execute(q)  # nosec B608');
    assert.equal(scopesOf(bare, 'nosec').at(-1), NOSEC);
    assert.equal(scopesOf(bandit, 'B608').at(-1), RULE_ID);
  });

  it('highlights exactly the ids the engine honours', async () => {
    const comments = [
      '# nosec',
      '# nosec FS201',
      '# nosec: FS201, FS202',
      '# nosec B608',
      '#nosec:FS201,B101',
      '# NOSEC fs201',
      '# nosec FS201 because of the allow-list',
      '# nosec because reasons',
      '# nosec FS201: reviewed',
      '# noqa: E501 # nosec B608',
      '# nosec FS201 # nosec FS202',
      '# nosecret FS201',
      '# this is nosec FS201',
      '# TODO: FS201 later',
    ];
    for (const comment of comments) {
      const [line] = await tokenize(`call()  ${comment}`);
      assert.ok(line);
      const highlighted = line.filter((t) => t.scopes.at(-1) === RULE_ID).map((t) => t.text.toUpperCase());
      const keyword = line.some((t) => t.scopes.at(-1) === NOSEC);
      const fake = { text: comment, startPosition: { row: 0, column: 0 } } as unknown as Node;
      const honoured = collectSuppressions([fake]).byLine.get(0);
      if (honoured === undefined) {
        assert.ok(!keyword && highlighted.length === 0, `${comment}: nothing should be highlighted`);
      } else if (honoured === 'all') {
        assert.ok(keyword && highlighted.length === 0, `${comment}: bare nosec`);
      } else {
        assert.ok(keyword, comment);
        assert.deepEqual(highlighted, [...honoured], comment);
      }
    }
  });

  it('keeps type comments and code tags as the host has them', async () => {
    const [typed] = await tokenize('x = []  # type: List[int]  # nosec FS201');
    assert.equal(scopesOf(typed, 'List').at(-1), 'comment.typehint.type.notation.python');
    assert.equal(scopesOf(typed, 'FS201').at(-1), RULE_ID);
    const [tagged] = await tokenize('x = 1  # nosec FS201 TODO remove');
    assert.equal(scopesOf(tagged, 'TODO').at(-1), 'keyword.codetag.notation.python');
  });

  it('does nothing to "# nosec" inside a string or to a comment without the directive', async () => {
    await assertSameAsHost('log = "# nosec FS201"\nmsg = f"{x} # nosec"\n"""\n# nosec\n"""');
    await assertSameAsHost('x = 1  # a comment that mentions nosec FS201');
    const tokens = await tokenize('cursor.execute("SELECT 1 # nosec FS201")');
    assert.ok(!tokens.flat().some((t) => t.scopes.some((s) => s.endsWith('.flask-sentinel'))));
  });
});

describe('SQL embedded in the first argument of execute(...) and friends', () => {
  it('tokenizes a plain string as SQL and keeps the quotes and the other arguments Python', async () => {
    const [line] = await tokenize('cursor.execute("SELECT * FROM users WHERE id = ?", (uid,))');
    for (const keyword of ['SELECT', 'FROM', 'WHERE'])
      assertSql(scopesOf(line, keyword), 'keyword.other.DML.sql');
    assertSql(scopesOf(line, '*'), 'keyword.operator.star.sql');
    const open = scopesOf(line, '"', 0);
    const close = scopesOf(line, '"', 1);
    assert.deepEqual(open.slice(-2), [
      'string.quoted.single.python',
      'punctuation.definition.string.begin.python',
    ]);
    assert.deepEqual(close.slice(-2), [
      'string.quoted.single.python',
      'punctuation.definition.string.end.python',
    ]);
    assert.ok(!has(open, SQL) && !has(close, SQL));
    assert.ok(
      scopesOf(line, 'SELECT').includes('string.quoted.single.python'),
      'the SQL is still inside the string',
    );
    assert.equal(scopesOf(line, 'execute').at(-1), 'meta.function-call.generic.python');
    assert.equal(scopesOf(line, 'uid').at(-1), 'meta.function-call.arguments.python');
    assert.equal(scopesOf(line, ')', 1).at(-1), 'punctuation.definition.arguments.end.python');
  });

  it('keeps f-string interpolations Python', async () => {
    const source = `execute(f"SELECT {col} FROM t WHERE owner = '{who}'")`;
    const [line] = await tokenize(source);
    const [host] = await tokenize(source, false);
    assertSql(scopesOf(line, 'SELECT'), 'keyword.other.DML.sql');
    assertSql(scopesOf(line, 'FROM'), 'keyword.other.DML.sql');
    for (const name of ['col', 'who']) {
      const scopes = scopesOf(line, name);
      assert.equal(scopes.at(-1), 'meta.fstring.python');
      assert.ok(!has(scopes, SQL) && !scopes.some((s) => s.startsWith('string.')), scopes.join(' '));
      assert.deepEqual(scopes, scopesOf(host, name), 'same scopes as without the injection');
    }
    assert.deepEqual(scopesOf(line, '{'), scopesOf(host, '{'));
    assert.equal(scopesOf(line, 'f').at(-1), 'storage.type.string.python');
    // '{who}' is one SQL string literal around a Python interpolation.
    assert.equal(scopesOf(line, "'", 0).at(-1), 'punctuation.definition.string.begin.sql');
    assert.equal(scopesOf(line, "'", 1).at(-1), 'punctuation.definition.string.end.sql');
  });

  it('tracks triple-quoted SQL across lines and gives the following code back to Python', async () => {
    const source = [
      'cur.execute(',
      '    """',
      "    SELECT id, name  -- the user's name",
      '    FROM users',
      '    WHERE name = %s',
      '    """,',
      '    (name,),',
      ')',
      'x = "SELECT 1"',
    ].join('\n');
    const lines = await tokenize(source);
    assert.deepEqual(scopesOf(lines[1], '"""').slice(-2), [
      'string.quoted.multi.python',
      'punctuation.definition.string.begin.python',
    ]);
    assertSql(scopesOf(lines[2], 'SELECT'), 'keyword.other.DML.sql');
    assertSql(scopesOf(lines[2], '--'), 'punctuation.definition.comment.sql');
    assertSql(scopesOf(lines[2], " the user's name"), 'comment.line.double-dash.sql');
    assertSql(scopesOf(lines[3], 'FROM'), 'keyword.other.DML.sql');
    assertSql(scopesOf(lines[4], 'WHERE'), 'keyword.other.DML.sql');
    assertSql(
      scopesOf(lines[4], '%s'),
      'constant.character.format.placeholder.other.python',
      'the %s parameter',
    );
    assert.equal(scopesOf(lines[5], '"""').at(-1), 'punctuation.definition.string.end.python');
    assert.equal(scopesOf(lines[6], 'name').at(-1), 'meta.function-call.arguments.python');
    assert.equal(scopesOf(lines[7], ')').at(-1), 'punctuation.definition.arguments.end.python');
    assertNoSql([lines[8] ?? []]);
    await compareWithHost(source, 'triple-quoted');
    const host = await tokenize(source, false);
    assert.deepEqual(lines.slice(6), host.slice(6), 'after the closing quotes, the same as the host');
  });

  it('embeds the SQL of text(...), executemany, executescript, read_sql and raw/u/rf strings', async () => {
    const lines = await tokenize(
      [
        'db.session.execute(text("SELECT * FROM orders WHERE region = :region"), {"region": region})',
        'cursor.executemany("INSERT INTO t VALUES (?, ?)", rows)',
        "conn.executescript('DELETE FROM t')",
        'frame = pd.read_sql("SELECT 1", db.engine)',
        'cursor.execute(r"SELECT 1", [])',
        "cursor.execute(u'SELECT 1', [])",
        'cursor.execute(rf"SELECT {col} FROM t", [])',
        'Person.objects.raw("SELECT * FROM person")',
      ].join('\n'),
    );
    assertSql(scopesOf(lines[0], 'SELECT'), 'keyword.other.DML.sql');
    assert.ok(!has(scopesOf(lines[0], 'region', 1), SQL), 'the dict key after text(...) is a plain string');
    assertSql(scopesOf(lines[1], 'INSERT INTO'), 'keyword.other.DML.sql');
    assertSql(scopesOf(lines[2], 'DELETE'), 'keyword.other.DML.sql');
    for (const n of [3, 4, 5, 6, 7])
      assertSql(scopesOf(lines[n], 'SELECT'), 'keyword.other.DML.sql', `line ${n}`);
    assert.equal(scopesOf(lines[6], 'col').at(-1), 'meta.fstring.python');
  });

  it('embeds implicitly concatenated and parenthesized strings of the first argument', async () => {
    const lines = await tokenize(
      ['cursor.execute(', '    "SELECT a "', '    "FROM t",', '    ("WHERE",),', ')'].join('\n'),
    );
    assertSql(scopesOf(lines[1], 'SELECT'), 'keyword.other.DML.sql');
    assertSql(scopesOf(lines[2], 'FROM'), 'keyword.other.DML.sql');
    assertNoSql([lines[3] ?? []]);
    const wrapped = await tokenize('cursor.execute(("SELECT a "\n    "FROM t"), args)');
    assertSql(scopesOf(wrapped[0], 'SELECT'), 'keyword.other.DML.sql');
    assertSql(scopesOf(wrapped[1], 'FROM'), 'keyword.other.DML.sql');
  });

  it('never lets SQL run past the Python string', async () => {
    for (const source of [
      `cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")`,
      `cursor.execute("SELECT 1 -- comment", params)`,
      `cursor.execute("SELECT a/b FROM t", x/y)`,
      `cursor.execute("SELECT [a /* x", b)`,
      `cursor.execute('SELECT "a', b)`,
      `cursor.execute(f"SELECT '{a}' -- {b}", c)`,
    ]) {
      await compareWithHost(source, source);
    }
    const [concatenated] = await tokenize(
      `cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")`,
    );
    assert.equal(scopesOf(concatenated, 'name', 1).at(-1), 'meta.function-call.arguments.python');
    assert.equal(scopesOf(concatenated, '+').at(-1), 'keyword.operator.arithmetic.python');
  });

  it('maps the SQL to the sql language and the interpolations to python, as VS Code will', async () => {
    const [PYTHON, SQL_ID] = [1, 2];
    const embedded = Object.fromEntries(
      Object.entries(contribution().embeddedLanguages ?? {}).map(([scope, language]) => [
        scope,
        language === 'sql' ? SQL_ID : 0,
      ]),
    );
    const grammar = await registry(true).loadGrammarWithEmbeddedLanguages('source.python', PYTHON, embedded);
    assert.ok(grammar);
    const line = 'execute(f"SELECT {col} FROM t")';
    const { tokens } = grammar.tokenizeLine2(line, INITIAL);
    const languageAt = (offset: number): number => {
      let language = -1;
      for (let i = 0; i < tokens.length; i += 2) {
        if ((tokens[i] ?? Infinity) <= offset) language = (tokens[i + 1] ?? 0) & 0xff;
      }
      return language;
    };
    assert.equal(languageAt(line.indexOf('SELECT')), SQL_ID);
    assert.equal(languageAt(line.indexOf('col')), PYTHON);
    assert.equal(languageAt(line.indexOf('execute')), PYTHON);
  });
});

describe('look-alikes stay as the Python grammar has them', () => {
  it('leaves other calls, names that merely contain execute, and definitions alone', async () => {
    await assertSameAsHost(
      [
        'print("SELECT nothing")',
        'executor.execute_async("SELECT nothing")',
        'my_execute("SELECT nothing")',
        'st.text("Select a user from the list")',
        'text(name)',
        'def execute(self, sql="SELECT default"):',
        'class text(Base):',
        'cur.execute(b"SELECT bytes")',
      ].join('\n'),
    );
  });

  it('keeps a normal string next to an SQL one a plain string', async () => {
    const [line] = await tokenize('cursor.execute("SELECT 1", "SELECT 2"); label = "SELECT 3"');
    assertSql(scopesOf(line, 'SELECT'), 'keyword.other.DML.sql');
    for (const text of ['SELECT 2', 'SELECT 3']) {
      assert.equal(scopesOf(line, text).at(-1), 'string.quoted.single.python', text);
    }
  });
});

describe('real files', () => {
  function pythonFiles(dir: string, out: string[] = []): string[] {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) pythonFiles(full, out);
      else if (entry.endsWith('.py')) out.push(full);
    }
    return out;
  }

  it('tokenize exactly like the Python grammar outside the embedded SQL and nosec directives', async () => {
    const files = [
      path.join(__dirname, 'fixtures', 'sql_and_nosec.py'),
      ...pythonFiles(path.join(ROOT, 'examples')),
      ...pythonFiles(path.join(ROOT, 'test', 'fixtures', 'rules')),
    ];
    let sqlTokens = 0;
    let ruleIds = 0;
    for (const file of files) {
      const tokens = (await compareWithHost(readFileSync(file, 'utf8'), path.relative(ROOT, file))).flat();
      sqlTokens += tokens.filter((t) => t.scopes.at(-1) === 'keyword.other.DML.sql').length;
      ruleIds += tokens.filter((t) => t.scopes.at(-1) === RULE_ID).length;
    }
    assert.ok(sqlTokens > 100, `only ${sqlTokens} SQL keywords found`);
    assert.ok(ruleIds >= 5, `only ${ruleIds} rule ids found`);
  });
});
