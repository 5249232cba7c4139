import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { stringShape } from '../support/strings';
import { possibleValues } from '../support/values';
import { defineRule } from '../rule';

/**
 * SQL methods whose names other APIs use too (`Model.objects.raw`, the `databases` package's
 * `fetch_all(query=...)`, asyncpg's `await conn.fetchrow(...)`): reported for text that reads as SQL.
 */
const SQL_ONLY_IF_IT_READS_AS_SQL = new Set([
  'raw',
  'fetch_all',
  'fetch_one',
  'fetch_val',
  'fetch',
  'fetchrow',
  'fetchval',
]);
/** Calls that run their first argument as SQL, whatever the driver or ORM object they are called on. */
const SQL_METHODS = new Set([
  'execute',
  'executemany',
  'executescript',
  'mogrify',
  'read_sql',
  'read_sql_query',
  'exec_driver_sql',
  'execute_sql', // peewee
  ...SQL_ONLY_IF_IT_READS_AS_SQL,
]);
/** SQLAlchemy's methods that bind values to a text() statement or describe its result. */
const BINDING_METHODS = new Set(['bindparams', 'params', 'columns']);
const SQL_FUNCTIONS = new Set([
  'sqlalchemy.text',
  'sqlalchemy.sql.text',
  'sqlalchemy.sql.expression.text',
  // Rendered into the statement as written, unlike column(), which quotes what needs quoting.
  'sqlalchemy.literal_column',
  'sqlalchemy.sql.literal_column',
  'sqlalchemy.sql.expression.literal_column',
  'pandas.read_sql',
  'pandas.read_sql_query',
  // Django: an SQL fragment put into the query as written.
  'django.db.models.expressions.RawSQL',
  'django.db.models.RawSQL',
]);

export default defineRule({
  meta: {
    id: 'FS201',
    name: 'sql-built-from-strings',
    title: 'SQL query built by string formatting or concatenation',
    severity: 'error',
    confidence: 'medium',
    cwe: ['CWE-89'],
    owasp: ['A03:2021'],
    fix: { title: 'Pass the values as query parameters', safety: 'unsafe' },
    docs: {
      summary:
        'Finds SQL text assembled with f-strings, `%`, `.format()`, `+` or `join` and passed to `execute`/`executemany`/`executescript` of any DB-API cursor or SQLAlchemy session/connection, to `sqlalchemy.text()` or `literal_column()`, Django/peewee `.raw()`, Django `RawSQL(...)` and `.extra(where=/select=/tables=/order_by=...)`, asyncpg `fetch`/`fetchrow`/`fetchval` (for text that reads as SQL), peewee\'s `execute_sql()`, the `databases` package\'s `fetch_all`/`fetch_one`/`fetch_val` (for text that reads as SQL) or pandas `read_sql`; the query may also be passed as `query=` or `operation=`. It has high confidence when request data reaches the query. A value checked against an allow-list first is constant (`if sort not in SORTABLE: abort(400)`, `if column not in ("name", "email"): column = "name"`, `COLUMNS.get(key, "name")`, `"DESC" if desc else "ASC"`), and so is one checked to be digits (`if not uid.isdigit(): abort(400)`): that is how a column name or a sort order, which cannot be a query parameter, is put into SQL safely, and it is not reported. A check that lets other values through (`if column in ("password", "token"): abort(403)`, or an `if` that only logs) does not count.',
      why: "Values spliced into SQL text are parsed as SQL. A value such as `' OR 1=1 --` changes the query: the attacker reads or changes any table the database user can reach, and on some databases runs commands.",
      example: 'name = request.args["name"]\ncursor.execute(f"SELECT * FROM users WHERE name = \'{name}\'")',
      fix: 'name = request.args["name"]\ncursor.execute("SELECT * FROM users WHERE name = %s", (name,))\n# SQLAlchemy: db.session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})',
    },
    references: [
      'https://owasp.org/www-community/attacks/SQL_Injection',
      'https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html',
      'https://docs.sqlalchemy.org/en/20/core/sqlelement.html#sqlalchemy.sql.expression.text',
    ],
  },
  // A SQL method (execute*, mogrify, raw, read_sql*, exec_driver_sql) or sqlalchemy's text / literal_column.
  trigger:
    /execute|mogrify|\braw\b|read_sql|exec_driver_sql|fetch_?(?:all|one|val|row)?\b|\btext\b|literal_column|RawSQL|\.extra\(/,
  check(ctx: RuleContext) {
    // Each site reports at its own query argument.
    const sites = ctx.file.callsNamed(...SQL_METHODS).filter((site) => ctx.inFocus(site.node));
    for (const site of ctx.file.calls) {
      if (!site.callee || !SQL_FUNCTIONS.has(site.callee) || !ctx.inFocus(site.node)) continue;
      if (!sites.includes(site)) sites.push(site);
    }
    // Django's `.extra(where=[...], select={...}, tables=[...], order_by=[...])`: each string is raw SQL.
    for (const site of ctx.file.callsNamed('extra')) {
      if (!ctx.inFocus(site.node) || !site.receiver) continue;
      for (const keyword of ['where', 'select', 'tables', 'order_by']) {
        const value = site.args.keywords.get(keyword);
        const container = value ? ctx.file.resolveValue(value) : null;
        const parts = !container
          ? []
          : container.type === 'dictionary'
            ? container.namedChildren.map((pair) => pair?.childForFieldName('value') ?? null)
            : ['list', 'tuple'].includes(container.type)
              ? container.namedChildren
              : [container];
        for (const part of parts) {
          if (!part) continue;
          const taint = ctx.taint.reaches(part, 'sql', site.scope);
          if (!taint && stringShape(ctx, part, { words: true }) !== 'dynamic') continue;
          const what = taint
            ? `Request data (${taint.label}) reaches`
            : 'A string built at run time is passed to';
          ctx.report(
            part,
            `${what} .extra(${keyword}=...) as SQL text: use params=[...] with %s placeholders.`,
            {
              confidence: taint ? 'high' : 'medium',
              taint,
            },
          );
        }
      }
    }
    for (const site of sites) {
      let query =
        site.args.positional[0] ??
        site.args.keywords.get('sql') ??
        site.args.keywords.get('statement') ??
        site.args.keywords.get('query') ?? // psycopg2, pymysql, databases
        site.args.keywords.get('operation'); // mysql-connector
      if (!query) continue;
      // `text("... :n").bindparams(n=value)`: the values are bound as parameters, the statement is text().
      while (query.type === 'call') {
        const bound = ctx.file.callAt(query);
        if (!bound?.receiver || !BINDING_METHODS.has(bound.name)) break;
        query = bound.receiver;
      }
      // `execute(text(...))`: the inner text() call is checked on its own.
      if (
        query.type === 'call' &&
        ctx.file.callAt(query)?.callee &&
        SQL_FUNCTIONS.has(ctx.file.callAt(query)?.callee ?? '')
      )
        continue;
      const taint = ctx.taint.reaches(query, 'sql', site.scope);
      const shape = stringShape(ctx, query, { words: true });
      if (!taint && shape !== 'dynamic') continue;
      // `execute(select(Note).where(Note.title.contains(q)))`: a statement object binds every value it is
      // given; only a text() inside it holds SQL text, and that call is checked on its own. Asked only of
      // queries that would be reported: it follows a name to every value it may hold, and most queries
      // are ruled out by their shape first (1% of a scan's instructions on the 50k-line bench code base).
      if (isStatementObject(ctx, query)) continue;
      if (SQL_ONLY_IF_IT_READS_AS_SQL.has(site.name) && !looksLikeSql(ctx, query)) {
        // `Model.objects.raw(...)` is SQL whatever it holds; a `fetch_all(...)` of another API is not.
        if (site.name !== 'raw' || !taint) continue;
      }
      const what = taint
        ? `Request data (${taint.label}) reaches`
        : 'A string built at run time is passed to';
      ctx.report(query, `${what} ${describe(site)} as SQL text: use query parameters instead.`, {
        confidence: taint ? 'high' : 'medium',
        taint,
        fix: parameterize(ctx, site, query) ?? [],
      });
    }
  },
});

function describe(site: CallSite): string {
  return site.callee && SQL_FUNCTIONS.has(site.callee)
    ? `${site.calleeText ?? site.name}()`
    : `.${site.name}()`;
}

function looksLikeSql(ctx: RuleContext, node: Node): boolean {
  return /\b(select|insert|update|delete|from|where)\b/i.test(ctx.file.resolveValue(node).text);
}

type Placeholder = 'qmark' | 'format';

function placeholderStyle(ctx: RuleContext): Placeholder | null {
  const imports = ctx.file.imports;
  if (imports.imports('sqlite3')) return 'qmark';
  if (['psycopg2', 'psycopg', 'pymysql', 'MySQLdb', 'mysql.connector'].some((m) => imports.imports(m)))
    return 'format';
  return null;
}

/**
 * The simple, common case: `cursor.execute(f"... '{x}' ...")` or `cursor.execute("... '%s' ..." % x)` with
 * no parameters yet, on a driver whose placeholder style the imports tell. Quotes around a spliced value are
 * dropped, because the driver quotes parameters itself.
 */
function parameterize(ctx: RuleContext, site: CallSite, query: Node): OffsetEdit[] | null {
  if (
    !['execute', 'executemany'].includes(site.name) ||
    site.args.positional.length !== 1 ||
    site.args.keywords.size > 0
  ) {
    return null;
  }
  const style = placeholderStyle(ctx);
  if (!style) return null;
  const marker = style === 'qmark' ? '?' : '%s';
  let sql: string;
  let values: string[];
  if (query.type === 'string' && query.firstChild?.text.toLowerCase().includes('f')) {
    sql = '';
    values = [];
    for (const part of query.namedChildren) {
      if (!part) continue;
      if (part.type === 'string_content') sql += part.text;
      else if (part.type === 'escape_sequence') sql += part.text;
      else if (part.type === 'interpolation') {
        const expression = part.namedChildren[0];
        if (!expression || part.namedChildren.length > 1) return null; // format specs/conversions: leave alone
        sql += '\uE000';
        values.push(expression.text);
      }
    }
  } else if (query.type === 'binary_operator' && query.childForFieldName('operator')?.text === '%') {
    const left = query.childForFieldName('left');
    const right = query.childForFieldName('right');
    if (left?.type !== 'string' || !right || left.namedChildren.some((c) => c?.type === 'interpolation'))
      return null;
    sql = left.namedChildren
      .map((c) => (c?.type === 'string_content' || c?.type === 'escape_sequence' ? c.text : ''))
      .join('');
    if (/%[^s%]/.test(sql.replace(/%%/g, ''))) return null;
    const count = (sql.replace(/%%/g, '').match(/%s/g) ?? []).length;
    values =
      right.type === 'tuple'
        ? right.namedChildren.filter((c) => c && c.type !== 'comment').map((c) => c?.text ?? '')
        : [right.text];
    if (values.length !== count) return null;
    sql = sql
      .replace(/%%/g, '\uE001')
      .replace(/%s/g, '\uE000')
      .replace(/\uE001/g, '%');
  } else {
    return null;
  }
  if (values.length === 0) return null;
  // With `%s` placeholders a literal `%` (LIKE patterns) would have to be doubled: leave such queries alone.
  if (style === 'format' && sql.includes('%')) return null;
  const unquoted = sql.replace(/(['"]?)\uE000\1/g, '\uE002');
  // A value spliced inside a longer SQL literal (`LIKE '%{term}%'`) cannot become a bare placeholder.
  if (insideSqlLiteral(unquoted, '\uE002')) return null;
  const parameterized = unquoted.replace(/\uE002/g, marker);
  const quote = parameterized.includes('"') && !parameterized.includes("'") ? "'" : '"';
  if (parameterized.includes(quote) || parameterized.includes('\n')) return null;
  const tuple = values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
  return [
    { start: query.startIndex, end: query.endIndex, newText: `${quote}${parameterized}${quote}, ${tuple}` },
  ];
}

function insideSqlLiteral(sql: string, marker: string): boolean {
  let quote: string | null = null;
  for (const char of sql) {
    if (quote) {
      if (char === quote) quote = null;
      else if (char === marker) return true;
    } else if (char === "'" || char === '"') {
      quote = char;
    }
  }
  return false;
}

/** SQLAlchemy's statement constructors: `sqlalchemy.select`, Flask-SQLAlchemy's `db.select`, `table.insert()`. */
const STATEMENT_CONSTRUCTORS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'union',
  'union_all',
  'exists',
]);
/** Methods that refine a statement and return another statement. */
const STATEMENT_METHODS = new Set([
  'where',
  'filter',
  'filter_by',
  'values',
  'order_by',
  'group_by',
  'having',
  'limit',
  'offset',
  'join',
  'outerjoin',
  'options',
  'returning',
  'distinct',
  'select_from',
  'with_only_columns',
  'execution_options',
  'on_conflict_do_nothing',
  'on_conflict_do_update',
]);

/**
 * A SQLAlchemy Core/ORM statement built by its constructors, not SQL text: through a name refined step by
 * step (`stmt = select(Note)`, `stmt = stmt.where(...)` in branches, `stmt = stmt.limit(n)`).
 */
function isStatementObject(ctx: RuleContext, query: Node, depth = 0): boolean {
  if (depth > 12) return false;
  const values = possibleValues(ctx, query);
  return values.length > 0 && values.every(({ node }) => isStatementCall(ctx, node, depth));
}

function isStatementCall(ctx: RuleContext, start: Node, depth: number): boolean {
  let node = start;
  for (let step = 0; step < 20; step++) {
    if (node.type === 'identifier') return isStatementObject(ctx, node, depth + 1);
    if (node.type !== 'call') return false;
    const site = ctx.file.callAt(node);
    if (!site) return false;
    if (STATEMENT_METHODS.has(site.name) && site.receiver) {
      node = site.receiver;
      continue;
    }
    if (!STATEMENT_CONSTRUCTORS.has(site.name)) return false;
    // sqlalchemy.select(...), db.select(...) (Flask-SQLAlchemy), users_table.insert(), Note.__table__.delete()
    return (site.callee ?? '').startsWith('sqlalchemy.') || site.receiver !== null;
  }
  return false;
}
