import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { Confidence, OffsetEdit } from '../../engine/types';
import { ExceptionFlow } from '../support/config';
import type { Carry } from '../support/config';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

const GENERIC_MESSAGE = '"An internal error occurred."';

export default defineRule({
  meta: {
    id: 'FS107',
    name: 'exception-details-in-response',
    title: 'Exception details or stack trace sent to the client',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-209', 'CWE-497'],
    owasp: ['A04:2021', 'A05:2021'],
    fix: { title: 'Return a generic error message', safety: 'unsafe' },
    docs: {
      summary:
        'Finds views and error handlers that send a caught exception or a stack trace to the client: `return str(e)`, `return f"error: {e}", 500`, `jsonify(error=str(e))`, `jsonify({"error": repr(err)})`, `make_response(str(e), 500)`, `abort(500, str(e))`, `render_template(..., error=e)`, `flash(f"failed: {e}")`, `traceback.format_exc()` in a response, also through local variables (`msg = str(e)`) and helpers defined in the file (`return error_response(str(e), 500)`). `e` is a name bound by `except ... as e` or the parameter of an `@app.errorhandler(Exception)` handler. Validation and HTTP errors, and exception classes defined in the same file, are treated as messages meant for the client; exceptions that are only logged are fine.',
      why: 'Exception messages and tracebacks describe the inside of the application: file paths, library versions, SQL statements and table names, hostnames, sometimes credentials from connection strings or the data being processed. Attackers provoke errors on purpose to collect this, and use it to shape injection and other attacks.',
      example:
        '@app.route("/orders/<int:order_id>")\ndef order(order_id):\n    try:\n        return jsonify(load_order(order_id))\n    except Exception as e:\n        return jsonify(error=str(e), trace=traceback.format_exc()), 500',
      fix: '@app.route("/orders/<int:order_id>")\ndef order(order_id):\n    try:\n        return jsonify(load_order(order_id))\n    except Exception:\n        app.logger.exception("loading order %s failed", order_id)\n        return jsonify(error="An internal error occurred."), 500',
    },
    references: [
      'https://owasp.org/www-community/Improper_Error_Handling',
      'https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/209.html',
      'https://flask.palletsprojects.com/en/stable/errorhandling/',
    ],
  },
  // An exception's details come from an except clause, an error handler, traceback or sys.
  trigger: /except|error_?handler|traceback|exc_info|sys/,
  check(ctx: RuleContext) {
    const flow = new ExceptionFlow(ctx);
    if (!flow.active) return;

    // Exception text put into a response builder: jsonify/make_response/Response/abort/flash/render_template.
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node) || !flow.hasSources(site.scope) || !site.args.list) continue;
      if (!flow.isResponseBuilder(site)) continue;
      const carry = flow.carry(site.args.list);
      if (carry.raw.length === 0) continue;
      ctx.report(site.node, message(carry, `${site.calleeText ?? site.name}()`), {
        confidence: confidenceOf(carry),
        fix: genericMessage(carry),
      });
    }

    // Exception text returned from a view or error handler as the response body.
    for (const scope of ctx.file.functions) {
      if (!ctx.inFocus(scope.node) || !flow.hasSources(scope) || !flow.isResponder(scope)) continue;
      for (const value of scope.returns) {
        const carry = flow.carry(value);
        if (carry.raw.length === 0) continue;
        ctx.report(value, message(carry, 'the response'), {
          confidence: confidenceOf(carry),
          fix: genericMessage(carry),
        });
      }
    }
  },
});

function describe(node: Node): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const TRACE = /\btraceback\b|exc_info|format_exc|format_exception|format_tb/;

function isTrace(carry: Carry): boolean {
  return carry.raw.some((n) => TRACE.test(n.text));
}

function message(carry: Carry, where: string): string {
  const trace = isTrace(carry);
  const first = carry.raw.find((n) => !trace || TRACE.test(n.text)) ?? carry.raw[0];
  const what = trace ? 'A stack trace' : 'Exception details';
  const verb = trace ? 'is' : 'are';
  const how = where === 'the response' ? 'returned to the client' : `sent to the client through ${where}`;
  return `${what} (${first ? describe(first) : 'the exception'}) ${verb} ${how}: log the exception server-side and return a generic message.`;
}

function confidenceOf(carry: Carry): Confidence {
  if (isTrace(carry)) return 'high';
  return carry.leak === 'broad' ? 'medium' : 'low';
}

/**
 * Replaces each carrying expression with a generic message. Several bare names (`status, headers, body =
 * result`) are left alone: some of them are probably not text.
 */
function genericMessage(carry: Carry): OffsetEdit[] {
  if (carry.raw.length > 1 && carry.raw.some((node) => node.type === 'identifier')) return [];
  return carry.raw.map((node) => replaceNode(node, GENERIC_MESSAGE));
}
