import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Taint } from '../../engine/taint';
import { REQUEST_DATA_TEXT } from '../../engine/taint';
import { stringValue } from '../../engine/syntax';
import { refinedTaint } from '../support/flows';
import { isLoggerCall } from '../support/logging';
import { isValidatedBefore } from '../support/queries';
import { preciseTaint, unwrap } from '../support/xss';
import { defineRule } from '../rule';

/**
 * printf conversions that cannot put a line break into the message: `%r`/`%a` escape it, the numeric ones
 * raise on text (the record is then dropped with a logging error, not forged).
 */
const ESCAPING_CONVERSIONS = /^[radiufFeEgGxXo]$/;
const PRINTF_CONVERSION = /%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?[hlL]?([a-zA-Z%])/g;

/** Helpers a project writes to neutralise log values: `sanitize_log(x)`, `strip_newlines(x)`. */
const LOG_CLEANER_NAME = /sanitiz|newline|crlf|(escape|clean|safe)_?(for_)?log|log_?(safe|escape|clean)/i;

export default defineRule({
  meta: {
    id: 'FS214',
    name: 'log-injection',
    title: 'Request data written to a log without neutralising line breaks',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-117', 'CWE-93'],
    owasp: ['A09:2021', 'A03:2021'],
    docs: {
      summary:
        'Finds request data (query and form values, JSON, headers, cookies, the path, URL parameters, and what is derived from them through variables, f-strings, `%`, `.format`, concatenation and helpers of the same file) written into a log message by `logging.*`, `logging.getLogger(...)` loggers, `app.logger`, `current_app.logger`, loguru and structlog: in the message itself or as a `%s` argument of a `"...%s..."` message. Not reported: values logged with `%r`/`{x!r}`/`repr()` or `json.dumps()` (line breaks come out escaped), numbers (`%d`, `int()`, `uuid.UUID()`), values cleaned of line breaks (`.replace("\\n", ...)`, `re.sub(r"[\\r\\n]", "", x)`, `"".join(x.splitlines())`, `x.encode("unicode_escape")`, `translate()` with a table that drops them, a same-file helper whose every return does, a helper named like `sanitize_log`), values another function looked up or computed from the request (a database row, a parsed date, a slug), values checked against an allow-list or a strict pattern first (one without `\\s`, which matches line breaks) or found equal to a value of the logged-in user, `g` or the session, and structured fields (`extra={...}`, structlog keyword arguments). `escape()`, `html.escape()` and `.strip()` keep inner line breaks and do not count.',
      why: 'Log lines are trusted: they are read by people during an incident, parsed by SIEM rules and alerting, and shown in log viewers. A value with a line break (`%0d%0a` in a URL or form field) ends the real record and starts a forged one ("INFO admin logged in from 10.0.0.1"), hiding an attack or framing another user; terminal escape sequences in a value can rewrite what `tail -f` shows.',
      example:
        '@app.route("/login", methods=["POST"])\ndef login():\n    username = request.form["username"]\n    app.logger.warning(f"failed login for {username}")',
      fix: '@app.route("/login", methods=["POST"])\ndef login():\n    username = request.form["username"]\n    app.logger.warning("failed login for %r", username)  # repr escapes \\r and \\n',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/117.html',
      'https://owasp.org/www-community/attacks/Log_Injection',
      'https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html',
      'https://codeql.github.com/codeql-query-help/python/py-log-injection/',
    ],
  },
  // A logger (logging, loguru, structlog, a name ending in log, logger or audit) and request data.
  trigger: [/log|audit/i, REQUEST_DATA_TEXT],
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node) || !isLoggerCall(ctx, site)) continue;
      for (const value of loggedText(ctx, site)) {
        const taint = taintOf(ctx, value);
        if (!taint || isValidatedBefore(ctx, value, value, { lineBreaks: true })) continue;
        ctx.report(
          value,
          `Request data (${taint.label}) is written into the log as it is: a value with a line break (%0d%0a) ends this record and forges the next ones, and control characters reach whoever reads the log. Log it with %r (or {value!r}), or strip \\r and \\n first.`,
          { taint },
        );
        break;
      }
    }
  },
});

/**
 * The parts of a logging call that become the text of the record: the message, and each argument a
 * `%s`-like conversion of a constant message formats (not those shown with `%r` or as numbers).
 */
function loggedText(ctx: RuleContext, site: CallSite): Node[] {
  const first = site.name === 'log' ? 1 : 0;
  const message = site.args.positional[first] ?? site.args.keywords.get('msg');
  if (!message) return [];
  const args = site.args.positional.slice(first + 1);
  const format = stringValue(ctx.file.resolveValue(message));
  if (format === undefined) return [message, ...args];
  const conversions = printfConversions(format);
  // `%(user)s` with a mapping argument: the mapping is one argument, formatted by key.
  if (/%\(/.test(format)) return conversions.every((c) => ESCAPING_CONVERSIONS.test(c)) ? [] : args;
  return args.filter((_, i) => {
    const conversion = conversions[i];
    return conversion === undefined || !ESCAPING_CONVERSIONS.test(conversion);
  });
}

/**
 * Request text that reaches the log as text: carried only by operations that keep it (a value another
 * function looked up or computed from it, such as a database row, a parsed date or a slug, is not it),
 * and not through anything that removes line breaks.
 */
/** The conversion letters of a printf-style format, `%%` left out: `"%s at %(t)d"` gives s, d. */
function printfConversions(format: string): string[] {
  return [...format.matchAll(PRINTF_CONVERSION)].map((m) => m[5] ?? '').filter((c) => c !== '%');
}

function taintOf(ctx: RuleContext, node: Node): Taint | null {
  if (!preciseTaint(ctx, node, { sink: 'log', followCalls: false })) return null;
  return refinedTaint(ctx, node, { sink: 'log', cleans: (n) => removesLineBreaks(ctx, n) });
}

/** Does this expression leave no raw line break in the text it produces? */
function removesLineBreaks(ctx: RuleContext, node: Node, depth = 0): boolean {
  if (depth > 3) return false;
  const value = unwrap(node);
  // f"{name!r}"
  if (value.type === 'interpolation') {
    return value.namedChildren.some((c) => c?.type === 'type_conversion' && /^!(r|a)$/.test(c.text));
  }
  // "user %r" % name
  if (value.type === 'binary_operator' && value.childForFieldName('operator')?.type === '%') {
    const format = stringValue(value.childForFieldName('left'));
    if (format === undefined) return false;
    const conversions = printfConversions(format);
    return conversions.length > 0 && conversions.every((c) => ESCAPING_CONVERSIONS.test(c));
  }
  // order.id, user.pk: a key the database generated, also of a record just built from request data.
  if (value.type === 'attribute') {
    const object = value.childForFieldName('object');
    return (
      /^(id|pk|uuid|created_at|updated_at)$/.test(value.childForFieldName('attribute')?.text ?? '') &&
      !!object &&
      !ctx.taint.isRequestObject(object)
    );
  }
  if (value.type !== 'call') return false;
  const site = ctx.file.callAt(value);
  if (!site) return false;
  // "Author {0!r}".format(author): every field shown with repr.
  if (site.name === 'format' && site.receiver) {
    const format = stringValue(site.receiver);
    const fields = format?.match(/\{[^{}]*\}/g) ?? [];
    return fields.length > 0 && fields.every((f) => /!r\}$|!a\}$/.test(f));
  }
  if (/^(hexdigest|digest|hash|b64encode|urlsafe_b64encode|hexlify)$/.test(site.name)) return true;
  // A same-file helper whose every return removes line breaks: `def clean(v): return v.replace("\n", " ")`.
  if (!site.receiver && site.callee && !site.callee.includes('.')) {
    const helpers = ctx.file.functionsNamed(site.callee);
    if (
      helpers.length === 1 &&
      helpers[0]!.returns.length > 0 &&
      helpers[0]!.returns.every((r) => removesLineBreaks(ctx, r, depth + 1))
    )
      return true;
  }
  const first = stringValue(ctx.file.resolveValue(site.args.positional[0] ?? value));
  switch (site.name) {
    case 'replace':
      // x.replace("\n", " ").replace("\r", " "): the outermost call is tested; "\n" or "\r\n" counts.
      // (Escape sequences are kept as written: "\n" is a backslash and an n.)
      return first !== undefined && /\\[rn]|[\r\n]/.test(first);
    case 'sub':
    case 'subn': {
      // re.sub(r"[\r\n]+", " ", x), re.sub(r"\s", "", x), re.sub(r"[^\w.@-]", "", x), CRLF.sub(" ", x)
      let pattern: string | undefined;
      if (/^(re|regex)\.subn?$/.test(site.callee ?? '')) pattern = first;
      else if (site.receiver) {
        const compiled = ctx.file.resolveValue(site.receiver);
        const compile = compiled.type === 'call' ? ctx.file.callAt(compiled) : undefined;
        if (/^(re|regex)\.compile$/.test(compile?.callee ?? ''))
          pattern = stringValue(ctx.file.resolveValue(compile?.args.positional[0] ?? compiled));
      }
      return pattern !== undefined && /\\[nrsR]|[\r\n]|\[\^|\\W|\\v/.test(pattern);
    }
    case 'splitlines':
      return true;
    case 'translate': {
      // x.translate(str.maketrans({"\n": None, "\r": None})), a table that maps the line breaks away.
      const table = site.args.positional[0];
      const text = table ? ctx.file.resolveValue(table).text : '';
      return /\\n|\\r|\\x0[ad]|ord\(\s*["']\\n/.test(text);
    }
    case 'join': {
      // "".join(x.splitlines()), " ".join(x.split())
      const joined = unwrap(site.args.positional[0] ?? value);
      const inner = joined.type === 'call' ? ctx.file.callAt(joined) : undefined;
      return (
        !!inner &&
        (inner.name === 'splitlines' || (inner.name === 'split' && inner.args.positional.length === 0))
      );
    }
    case 'encode':
      return first !== undefined && /unicode[_-]escape|backslashreplace/.test(first);
    default:
      return LOG_CLEANER_NAME.test(site.name);
  }
}
