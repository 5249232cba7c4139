import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import { leavesOrRebinds } from '../../engine/branches';
import { statementOf } from '../support/queries';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { contains, dottedName, isFalsyLiteral, lastSegment, stringValue } from '../../engine/syntax';
import { nameWords } from '../support/crypto';
import { channelPhrase, outOfBandUses } from '../support/mail';
import type { OutOfBand } from '../support/mail';
import { defineRule } from '../rule';

const URL_FOR = new Set(['flask.url_for', 'flask.helpers.url_for', 'quart.url_for', 'quart.helpers.url_for']);

/** `request.<attr>` values that are (or start with) the host the client named in its Host header. */
const HOST_ATTRIBUTES = new Set(['host_url', 'url_root', 'root_url', 'host', 'base_url']);
const MAY_NAME_HOST = /host|url_root|root_url|base_url/i;
/** Header and WSGI environ keys holding the client-chosen host. */
const HOST_KEYS = /^(host|x-forwarded-host|x-host|x-original-host|http_host|http_x_forwarded_host)$/i;

/** Words saying a link carries a secret or belongs to an account flow whose link must reach only its owner. */
const TOKEN_WORDS = new Set([
  'token',
  'code',
  'key',
  'signature',
  'sig',
  'otp',
  'nonce',
  'secret',
  'hash',
  'reset',
  'confirm',
  'confirmation',
  'verify',
  'verification',
  'activate',
  'activation',
  'invite',
  'invitation',
  'magic',
  'password',
  'login',
  'signin',
  'signup',
  'register',
  'registration',
  'unsubscribe',
]);

export default defineRule({
  meta: {
    id: 'FS108',
    name: 'host-header-trusted',
    title: 'Link built from the Host header is sent by e-mail or message',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-644', 'CWE-20'],
    owasp: ['A05:2021'],
    docs: {
      summary:
        "Finds absolute URLs taken from the request's Host header that leave the app out of band: `url_for(..., _external=True)`, `request.host_url`, `request.url_root`, `request.base_url`, `request.host` and `request.headers[\"Host\"]`/`X-Forwarded-Host` flowing — through variables, f-strings, `+`, `urljoin`, `render_template(...)` and helpers in the same file — into an e-mail (Flask-Mail `Message(...)` and `msg.body`/`msg.html`, Flask-Mailman, smtplib/`email`, SendGrid, project helpers such as `send_email(...)` or a `send_reset_email.delay(...)` task), an SMS (Twilio, `send_sms`) or, with low confidence, a webhook payload (`requests.post(url, json=...)`). Nothing is reported when the app sets `SERVER_NAME` (which fixes the host of `url_for(..., _external=True)`) or `TRUSTED_HOSTS` (Flask 3.1+; also Werkzeug's `trusted_hosts`) in any file of the scan; `ProxyFix` does not count, as it makes `X-Forwarded-Host` the host. Links with a token, or built in a reset/confirmation/invitation flow, have high confidence; other links medium. Hosts compared with the app's own first in the same function (`if request.host not in ALLOWED_HOSTS: abort(400)`) are not reported. `url_for(..., _external=True)` rendered into the page or returned in a response is not reported: the browser that sent the Host header is the one that gets the link back.",
      why: "Without a configured server name, Flask builds absolute URLs from whatever Host header the client sent. An attacker asks for a password reset for the victim's account with `Host: evil.example`; the app e-mails the victim a genuine-looking message whose link points at evil.example and carries the reset token. One click — or a mail scanner prefetching the link — hands the token to the attacker, who then resets the password (password-reset poisoning). Invitation, e-mail confirmation and magic-login links are stolen the same way.",
      example:
        'def send_reset_email(user):\n    token = user.get_reset_token()\n    msg = Message("Password reset", recipients=[user.email])\n    msg.body = f"Reset your password: {url_for(\'auth.reset\', token=token, _external=True)}"\n    mail.send(msg)',
      fix: '# config.py\nSERVER_NAME = "shop.example.com"           # url_for(..., _external=True) uses it\nTRUSTED_HOSTS = ["shop.example.com"]        # Flask 3.1+: other Host headers are refused\n\n# or build e-mailed links from a configured base URL\nlink = current_app.config["PUBLIC_URL"] + url_for("auth.reset", token=token)',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/644.html',
      'https://portswigger.net/web-security/host-header/exploiting/password-reset-poisoning',
      'https://flask.palletsprojects.com/en/stable/config/#TRUSTED_HOSTS',
      'https://flask.palletsprojects.com/en/stable/config/#SERVER_NAME',
      'https://cheatsheetseries.owasp.org/cheatsheets/Forgot_Password_Cheat_Sheet.html',
    ],
  },
  // url_for(_external=True), or the request's host in any spelling (host_url, Host, X-Forwarded-Host...).
  trigger: /_external|host|url_root|root_url|base_url/i,
  check(ctx: RuleContext) {
    const settings = ctx.workspace.appSettings;
    // TRUSTED_HOSTS refuses requests for other hosts before any view runs.
    if (settings.has('TRUSTED_HOSTS')) return;
    const serverName = settings.has('SERVER_NAME');

    // url_for(..., _external=True): SERVER_NAME, when set, is the host it uses.
    if (!serverName) {
      for (const site of ctx.file.calls) {
        if (!ctx.inFocus(site.node) || !isUrlFor(ctx, site)) continue;
        const external = site.args.keywords.get('_external');
        if (!external || isFalsyLiteral(ctx.file.resolveValue(external))) continue;
        if (outsideRequests(site.scope)) continue;
        const use = strongest(outOfBandUses(ctx, site.node));
        if (!use) continue;
        const token = keywordsSayToken(site) || flowSaysToken(ctx, site.node);
        ctx.report(
          site.node,
          `url_for(..., _external=True) takes its host from the request's Host header and this link is sent ${channelPhrase(use.channel)}, so a forged Host sends ${token ? 'users (and their tokens)' : 'users'} to the attacker's server: set SERVER_NAME or TRUSTED_HOSTS, or build the link from a configured base URL.`,
          { confidence: confidenceOf(use, token) },
        );
      }
    }

    // request.host_url + "reset/" + token, request.headers["Host"]: the header itself. Since Flask 3.1,
    // SERVER_NAME no longer refuses other hosts, so only TRUSTED_HOSTS makes these values safe.
    for (const source of hostSources(ctx)) {
      // `if request.host not in ALLOWED_HOSTS: abort(400)` before: the host is one of the app's own.
      if (hostCheckedBefore(ctx, source.node)) continue;
      const use = strongest(outOfBandUses(ctx, source.node));
      if (!use) continue;
      const token = flowSaysToken(ctx, source.node);
      const since = serverName ? ' (SERVER_NAME no longer refuses other hosts since Flask 3.1)' : '';
      ctx.report(
        source.node,
        `${source.label} is the host named in the request's Host header and a link built from it is sent ${channelPhrase(use.channel)}, so a forged Host sends ${token ? 'users (and their tokens)' : 'users'} to the attacker's server: set TRUSTED_HOSTS${since}, or build the link from a configured base URL.`,
        { confidence: serverName ? 'low' : confidenceOf(use, token) },
      );
    }
  },
});

/**
 * The host compared with the app's own before it is used, in the same function: after
 * `if request.host not in ALLOWED_HOSTS: abort(400)` (or `!= "example.com"` and a branch that leaves), or
 * inside `if request.host in ALLOWED_HOSTS:` / `== "example.com"`.
 */
function hostCheckedBefore(ctx: RuleContext, source: Node): boolean {
  const scope = ctx.file.scopeAt(source);
  if (scope.kind !== 'function') return false;
  const statement = statementOf(source);
  for (const test of scope.node.descendantsOfType('if_statement')) {
    if (!test || test.startIndex >= statement.startIndex || ctx.file.scopeAt(test) !== scope) continue;
    const condition = test.childForFieldName('condition');
    const comparison =
      condition?.type === 'parenthesized_expression' ? condition.namedChildren[0] : condition;
    if (comparison?.type !== 'comparison_operator') continue;
    const [left, right] = comparison.namedChildren;
    if (!left || !right || (left.text !== source.text && right.text !== source.text)) continue;
    const other = left.text === source.text ? right : left;
    const operators = comparison.children
      .filter((c) => c && !c.isNamed)
      .map((c) => c?.text ?? '')
      .join(' ');
    const membership = /\bin\b/.test(operators);
    if (membership ? other !== right : !/==|!=/.test(operators)) continue;
    if (!membership && stringValue(ctx.file.resolveValue(other)) === undefined) continue;
    const negative = /\bnot\b|!=/.test(operators);
    const body = test.childForFieldName('consequence');
    if (negative ? leavesOrRebinds(ctx.file, body) : !!body && contains(body, source)) return true;
  }
  return false;
}

function isUrlFor(ctx: RuleContext, site: CallSite): boolean {
  if (site.callee && URL_FOR.has(site.callee)) return true;
  // app.url_for(...) (Flask 2.2+)
  return site.name === 'url_for' && site.receiver !== null && ctx.flask.isApp(site.receiver);
}

/** Decorators of code that runs without a request: background tasks and CLI commands. */
const REQUESTLESS = /^(task|shared_task|periodic_task|command|group|job|scheduled_job|cron|actor|on_event)$/;

/**
 * A background task or CLI command: `url_for(..., _external=True)` fails there unless SERVER_NAME is set
 * (perhaps through the environment), so it is not the Host header it uses.
 */
function outsideRequests(scope: Scope): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) {
    for (const decorator of s.decorators) {
      const target = decorator.type === 'call' ? decorator.childForFieldName('function') : decorator;
      const name = dottedName(target) ?? '';
      if (REQUESTLESS.test(lastSegment(name))) return true;
    }
  }
  return false;
}

/** E-mail and SMS reach a victim; a webhook payload is only sometimes read by people. */
function strongest(uses: OutOfBand[]): OutOfBand | null {
  return uses.find((u) => u.channel !== 'webhook') ?? uses[0] ?? null;
}

function confidenceOf(use: OutOfBand, token: boolean): 'high' | 'medium' | 'low' {
  if (use.channel === 'webhook') return 'low';
  return token ? 'high' : 'medium';
}

/** `url_for("auth.reset", token=token, _external=True)`: the link carries a secret. */
function keywordsSayToken(site: CallSite): boolean {
  for (const [name] of site.args.keywords) {
    if (name.startsWith('_')) continue;
    if (nameWords(name).some((w) => TOKEN_WORDS.has(w))) return true;
  }
  const endpoint = stringValue(site.args.positional[0] ?? null) ?? '';
  return nameWords(endpoint).some((w) => TOKEN_WORDS.has(w));
}

/** The statement or function around the link is about a token or an account flow. */
function flowSaysToken(ctx: RuleContext, node: Node): boolean {
  let statement: Node | null = node;
  while (statement && !statement.type.endsWith('statement') && statement.type !== 'function_definition')
    statement = statement.parent;
  for (const id of statement?.descendantsOfType('identifier') ?? []) {
    if (id && nameWords(id.text).some((w) => TOKEN_WORDS.has(w))) return true;
  }
  for (let scope: Scope | null = ctx.file.scopeAt(node); scope; scope = scope.parent) {
    if (scope.kind === 'function' && nameWords(scope.name).some((w) => TOKEN_WORDS.has(w))) return true;
  }
  return false;
}

/** `request.host_url`, `request.headers["Host"]`, `request.environ.get("HTTP_HOST")`... */
function hostSources(ctx: RuleContext): { node: Node; label: string }[] {
  const out: { node: Node; label: string }[] = [];
  // Every source below names a host attribute or a host header/environ key: without one of these words
  // in the file, skip walking its (many) attribute nodes.
  if (!MAY_NAME_HOST.test(ctx.file.text)) return out;
  for (const attribute of ctx.file.nodesOfType('attribute')) {
    // What is reported starts with the attribute (`request.headers["Host"]` at `request`).
    if (!attribute || !ctx.inFocus(attribute)) continue;
    const object = attribute.childForFieldName('object');
    const name = attribute.childForFieldName('attribute')?.text ?? '';
    if (!object || !ctx.taint.isRequestObject(object)) continue;
    if (HOST_ATTRIBUTES.has(name)) {
      out.push({ node: attribute, label: `request.${name}` });
      continue;
    }
    if (name !== 'headers' && name !== 'environ') continue;
    // request.headers["Host"] / request.headers.get("Host")
    const parent = attribute.parent;
    let key: Node | null = null;
    let whole: Node | null = null;
    if (parent?.type === 'subscript' && parent.childForFieldName('value')?.id === attribute.id) {
      key = parent.childForFieldName('subscript');
      whole = parent;
    } else if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.text === 'get') {
      const call = parent.parent;
      const site = call?.type === 'call' ? ctx.file.callAt(call) : undefined;
      key = site?.args.positional[0] ?? null;
      whole = call ?? null;
    }
    const header = stringValue(key);
    if (whole && header !== undefined && HOST_KEYS.test(header))
      out.push({ node: whole, label: `request.${name}[${JSON.stringify(header)}]` });
  }
  return out;
}
