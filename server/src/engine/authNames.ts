/**
 * Names of decorators that refuse callers who are not signed in or not allowed: the known ones of Flask-Login,
 * flask-jwt-extended, Flask-Security, Flask-HTTPAuth and friends, and names built the same way
 * (`admin_required`, `require_login`, `token_required`). Shared by the Flask model (a `before_request` hook
 * wrapped in one guards its blueprint) and the access rules (a view decorated with one is authenticated).
 */
const KNOWN_AUTH = new Set([
  'login_required',
  'fresh_login_required',
  'jwt_required',
  'jwt_refresh_token_required',
  'fresh_jwt_required',
  'roles_required',
  'roles_accepted',
  'permissions_required',
  'permissions_accepted',
  'auth_required',
  'auth_token_required',
  'http_auth_required',
  'token_auth_required',
  'require',
  'requires',
  'permission_required',
  'admin_required',
  'verify_password',
  'oidc_auth',
  'require_oauth',
]);

const AUTH_NAME =
  /(login|auth|authn|authz|token|jwt|admin|role|roles|permission|permissions|perm|perms|scope|scopes|user|staff|superuser|session|signed_in|logged_in|api_key|apikey|key)_?(required|needed|only|accepted|protected|check|checked)$|^(require|requires|ensure|check|verify)_?(login|auth|authentication|token|jwt|admin|role|roles|permission|permissions|user|api_key|apikey|session|signed_in|logged_in)\w*$|^(authenticated|authorized|authorised|protected|secured|login|authenticate|authorize|restricted|private)$/i;

/** Whether a decorator's last name segment says it authenticates the caller. */
export function isAuthDecoratorName(name: string): boolean {
  return KNOWN_AUTH.has(name) || AUTH_NAME.test(name);
}
