import type { Node } from 'web-tree-sitter';
import { isAuthDecoratorName } from '../../engine/authNames';
import type { RuleContext } from '../../engine/context';
import type { Route } from '../../engine/flask';
import type { Scope } from '../../engine/scopes';
import { dottedName, lastSegment } from '../../engine/syntax';

/**
 * What counts as authentication on a Flask view: a known auth decorator (flask-login, flask-jwt-extended,
 * flask-security, flask-httpauth, flask-principal...), a decorator that reads like one, a decorator defined
 * in the workspace that checks the caller and refuses, a name the user configured, a refusing
 * `before_request` hook on the view's app or blueprint, or a check inside the view itself.
 */
export function isAuthDecorator(ctx: RuleContext, decorator: Node): boolean {
  const target = decorator.type === 'call' ? decorator.childForFieldName('function') : decorator;
  const dotted = dottedName(target);
  if (!dotted) return false;
  const name = lastSegment(dotted);
  if (ctx.settings.authDecorators.some((d) => d === name || d === dotted)) return true;
  if (ctx.workspace.authDecorators.has(name)) return true;
  return isAuthDecoratorName(name);
}

/**
 * The view checks the caller itself and refuses (`if not current_user.is_authenticated: abort(401)`), or
 * checks a request signature, as webhooks do (`if not hmac.compare_digest(sig, expected): abort(401)`,
 * Stripe's `Webhook.construct_event`), or calls a checker named for it (`if not _check_upload_token():
 * abort(401)`, `if not is_authorized(user, doc): abort(403)`).
 */
export function checksCallerInBody(ctx: RuleContext, view: Scope): boolean {
  const body = view.node.childForFieldName('body');
  if (!body) return false;
  const text = body.text;
  const mentionsIdentity =
    /current_user|get_jwt_identity|verify_jwt_in_request|get_jwt\(|\bg\.\w*user|session\s*(\.get\s*\(|\[)\s*['"]\w*(user|logged|auth|account)|['"]\w*(user|logged|auth|account)\w*['"]\s+(not\s+)?in\s+session\b|request\.authorization|headers(\.get\s*\(|\[)\s*['"](authorization|x-api-key|x-auth-token|[\w-]*signature)|compare_digest\s*\(|construct_event\s*\(|verify_(webhook|signature)\w*\s*\(|\b_?(check|verify|validate|authenticate|authorize)_?\w*(token|auth|api_?key|credential|signature|caller|permission)\w*\s*\(|\bis_(authenticated|authorized|authorised|allowed|admin)\w*\s*\(/i.test(
      text,
    );
  return mentionsIdentity && ctx.flask.refusesRequests(view);
}

export function isGuardedByHook(ctx: RuleContext, route: Route): boolean {
  const guarded = ctx.workspace.guardedOwners;
  if (guarded.has('*') || guarded.has(route.owner)) return true;
  // A hook on a blueprint of the same name counts when it is the same blueprint (`bp#admin` for admin.py's
  // `bp`), or when the route's blueprint is imported and so cannot be told apart.
  const key = ctx.flask.guardKey(route.owner);
  if (key !== route.owner) {
    if (guarded.has(key)) return true;
  } else {
    for (const other of guarded) if (other.startsWith(`${route.owner}#`)) return true;
  }
  // A refusing hook on the app covers the blueprints registered on it.
  for (const owner of guarded) {
    if (ctx.flask.appNames.has(owner) || /(^|\.)app$/.test(owner)) return true;
  }
  return false;
}

/**
 * As routeIsAuthenticated, but the view's own check must be explicit (`if not current_user.is_authenticated`,
 * `verify_jwt_in_request()`, a 401/403), not a mere use of `current_user`.
 */
export function routeIsAuthenticatedExplicitly(ctx: RuleContext, route: Route): boolean {
  return (
    route.decorators.some((d) => isAuthDecorator(ctx, d)) ||
    isGuardedByHook(ctx, route) ||
    (checksCallerInBody(ctx, route.view) &&
      /is_authenticated|is_anonymous|verify_jwt_in_request|\b40[13]\b|Unauthorized|Forbidden/.test(
        route.view.node.text,
      ))
  );
}

export function routeIsAuthenticated(ctx: RuleContext, route: Route): boolean {
  return (
    route.decorators.some((d) => isAuthDecorator(ctx, d)) ||
    isGuardedByHook(ctx, route) ||
    checksCallerInBody(ctx, route.view)
  );
}
