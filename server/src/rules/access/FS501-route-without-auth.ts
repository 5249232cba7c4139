import type { RuleContext } from '../../engine/context';
import { isStateChanging } from '../../engine/flask';
import type { Route } from '../../engine/flask';
import { routeIsAuthenticated } from '../support/auth';
import { defineRule } from '../rule';

/** Endpoints that are public by nature: signing in, signing up, recovering access, health checks. */
const PUBLIC_BY_NATURE =
  /log_?in|log_?out|sign_?in|sign_?up|sign_?out|register|auth|token|refresh|password|forgot|reset|verify|confirm|activate|callback|oauth|sso|health|ping|status|webhook|contact|subscribe|feedback|csp_report|report_uri/i;

/** Writes in a view body that change server state even on a GET. */
const STATE_WRITE =
  /\.(commit|delete|add|add_all|insert_one|insert_many|update_one|update_many|delete_one|delete_many|save|remove|destroy)\s*\(|\bsession\s*\[[^\]]+\]\s*=|\b(INSERT|UPDATE|DELETE)\s+(INTO|FROM|\w+\s+SET)\b/;

export default defineRule({
  meta: {
    id: 'FS501',
    name: 'route-without-auth',
    title: 'State-changing route has no authentication',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-306', 'CWE-862'],
    owasp: ['A01:2021', 'A07:2021'],
    docs: {
      summary:
        "Finds Flask routes that change state — `POST`, `PUT`, `PATCH` or `DELETE` routes, or any route whose body writes to the database or the session — with no authentication: no auth decorator (`login_required`, `jwt_required()`, `roles_required`, flask-httpauth's `auth.login_required`, flask-security, a `decorators = [...]` list on a `MethodView`, a decorator defined in the workspace that checks the caller, or one named in `flaskSentinel.authDecorators`), no refusing `before_request` hook on its app or blueprint, and no check of the caller in the view itself. Endpoints public by nature (login, sign-up, password reset, webhooks, health checks) are left out.",
      why: "Anyone who can reach the server can call an unauthenticated endpoint directly, whatever the UI shows: deleting records, changing other users' data, or triggering payments.",
      example:
        '@app.route("/accounts/<int:account_id>", methods=["DELETE"])\ndef delete_account(account_id):\n    Account.query.filter_by(id=account_id).delete()\n    db.session.commit()',
      fix: '@app.route("/accounts/<int:account_id>", methods=["DELETE"])\n@login_required\ndef delete_account(account_id):\n    account = Account.query.filter_by(id=account_id, owner_id=current_user.id).first_or_404()\n    db.session.delete(account)\n    db.session.commit()',
    },
    references: [
      'https://owasp.org/Top10/A01_2021-Broken_Access_Control/',
      'https://flask-login.readthedocs.io/en/latest/#flask_login.login_required',
      'https://flask-jwt-extended.readthedocs.io/en/stable/basic_usage.html',
    ],
  },
  // A route this file registers: .route, add_url_rule, add_resource, or a verb decorator (@bp.post).
  trigger: /route|add_url_rule|add_resource|@[^\n]*\.\s*(?:get|post|put|patch|delete)\b/,
  check(ctx: RuleContext) {
    for (const route of ctx.flask.routes) {
      if (!ctx.inFocus(route.registration) || !changesState(route)) continue;
      if (PUBLIC_BY_NATURE.test(route.view.name) || PUBLIC_BY_NATURE.test(route.rule ?? '')) continue;
      if (routeIsAuthenticated(ctx, route)) continue;
      const methods = route.methods.join(', ');
      const where = route.rule ? ` ${route.rule}` : '';
      ctx.report(
        route.registration,
        `${methods} route${where} (${route.view.name}) changes state but has no authentication: add an auth decorator such as @login_required or a guarding before_request hook.`,
      );
    }
  },
});

function changesState(route: Route): boolean {
  if (isStateChanging(route.methods)) return true;
  const body = route.view.node.childForFieldName('body');
  return body !== null && STATE_WRITE.test(body.text);
}
