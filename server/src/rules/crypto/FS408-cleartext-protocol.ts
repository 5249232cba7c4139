import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';
import type { ConfigWrite } from '../../engine/flask';
import { configWritesOfKeys } from '../support/config';
import { nameWords, saysPassword } from '../support/crypto';
import { defineRule } from '../rule';
import { outboundUrl } from '../support/outbound';
import { isLocalHost, plainHttpUrl, startedTls } from '../support/transport';
import { receiverConstruction, receiverConstructor } from '../support/values';

/** Clients of protocols that send credentials as they are unless TLS is started. */
const MAIL_CLIENTS = new Map<string, { login: RegExp; tls: RegExp; protocol: string; secure: string }>([
  [
    'smtplib.SMTP',
    {
      login: /^(login|auth|auth_plain|auth_login)$/,
      tls: /^starttls$/,
      protocol: 'SMTP',
      secure: 'smtplib.SMTP_SSL, or call starttls() before login()',
    },
  ],
  [
    'smtplib.LMTP',
    { login: /^(login|auth)$/, tls: /^starttls$/, protocol: 'LMTP', secure: 'starttls() before login()' },
  ],
  [
    'poplib.POP3',
    {
      login: /^(user|pass_|apop|rpop)$/,
      tls: /^stls$/,
      protocol: 'POP3',
      secure: 'poplib.POP3_SSL, or call stls() first',
    },
  ],
  [
    'imaplib.IMAP4',
    {
      login: /^(login|login_cram_md5|authenticate)$/,
      tls: /^starttls$/,
      protocol: 'IMAP',
      secure: 'imaplib.IMAP4_SSL, or call starttls() first',
    },
  ],
]);
/** HTTP client calls whose first argument (or `url=`) is the URL. */
/** XML-RPC proxies: the URL (with any user:password in it) is their first argument. */
/** python-ldap's binds that send a password: `(who, cred)`. */
const LDAP_BINDS = new Set(['simple_bind_s', 'simple_bind', 'bind_s', 'bind']);

const XMLRPC_PROXIES = /^(xmlrpc\.client|xmlrpclib)\.ServerProxy$/;
const CREDENTIAL_HEADER =
  /^(authorization|proxy-authorization|x-api-key|x-auth-token|api-key|apikey|x-access-token|cookie|private-token)$/i;
/** Words of a field name that carries a credential (`api_key`, `access_token`, `client_secret`). */
const SECRET_WORDS = new Set(['token', 'secret', 'apikey', 'credential', 'credentials', 'bearer']);

/** A form, JSON or query field that carries a credential; `key` or `session` alone name too much else. */
function isCredentialField(key: string): boolean {
  const words = nameWords(key);
  if (saysPassword(key) || words.some((w) => SECRET_WORDS.has(w))) return true;
  return (
    words.includes('key') &&
    words.some((w) => w === 'api' || w === 'access' || w === 'private' || w === 'auth')
  );
}

export default defineRule({
  meta: {
    id: 'FS408',
    name: 'cleartext-protocol',
    title: 'Credentials or data sent over an unencrypted protocol',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-319', 'CWE-523'],
    owasp: ['A02:2021'],
    docs: {
      summary:
        'Finds connections that send credentials without encryption: Telnet (`telnetlib.Telnet`, any use), FTP logins over `ftplib.FTP` (not `FTP_TLS`; an anonymous `login()` is not reported), `smtplib.SMTP`/`LMTP` `login()` without `starttls()` first (a local relay on localhost is not reported), `poplib.POP3` and `imaplib.IMAP4` logins without `stls()`/`starttls()`, Flask-Mail configuration (a config class, `app.config.update(...)` or the `app.config[...]` writes of a function) that names a remote `MAIL_SERVER` and credentials but neither `MAIL_USE_TLS` nor `MAIL_USE_SSL` (both default to False) when no file of the workspace sets either, LDAP binds with a password over `ldap://` (python-ldap `simple_bind_s`/`bind_s` on `ldap.initialize("ldap://...")`) without `start_tls_s()` first, and HTTP requests (`requests`, `httpx`, sessions, `urllib.request`, XML-RPC) to an `http://` URL of a host other than localhost that carry credentials: `auth=`, a user and password in the URL, an Authorization, API-key, token or Cookie header, or a password, token, secret or API key in the form, JSON or query parameters.',
      why: 'Anyone on the network path (shared Wi-Fi, a compromised router or switch, a cloud neighbour on a flat network, the ISP) reads plain-text traffic as it passes. A password or API key sent this way is as good as published, and since the same credential is usually valid elsewhere, one sniffed login gives the attacker the mailbox, the FTP server and whatever reuses the password.',
      example:
        'smtp = smtplib.SMTP("mail.example.com", 587)\nsmtp.login(app.config["MAIL_USER"], app.config["MAIL_PASSWORD"])',
      fix: 'smtp = smtplib.SMTP("mail.example.com", 587)\nsmtp.starttls(context=ssl.create_default_context())\nsmtp.login(app.config["MAIL_USER"], app.config["MAIL_PASSWORD"])\n# or smtplib.SMTP_SSL("mail.example.com", 465)',
    },
    references: [
      'https://cwe.mitre.org/data/definitions/319.html',
      'https://docs.python.org/3/library/smtplib.html#smtplib.SMTP.starttls',
      'https://bandit.readthedocs.io/en/latest/blacklists/blacklist_calls.html#b321-ftplib',
    ],
  },
  trigger:
    /telnetlib|ftplib|FTP|smtplib|SMTP|poplib|POP3|imaplib|IMAP4|http:\/\/|ldap:\/\/|HTTPConnection|MAIL_SERVER/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      // telnetlib.Telnet(host): everything, the login first, crosses the network as typed.
      if (callee === 'telnetlib.Telnet') {
        ctx.report(
          site.node,
          'Telnet sends the login, the password and every command in plain text: use SSH (paramiko, asyncssh) instead.',
        );
        continue;
      }
      // ftplib.FTP(host, user, passwd) / ftp.login(user, passwd)
      if (callee === 'ftplib.FTP' && (site.args.positional.length >= 3 || site.args.keywords.has('passwd'))) {
        ctx.report(
          site.node,
          'ftplib.FTP logs in with the password in plain text (and sends the files unencrypted): use ftplib.FTP_TLS (and call prot_p()), or SFTP.',
        );
        continue;
      }
      if (site.name === 'login' && site.receiver && receiverConstructor(ctx, site) === 'ftplib.FTP') {
        if (site.args.positional.length >= 2 || site.args.keywords.has('passwd')) {
          ctx.report(
            site.node,
            'This FTP login sends the password in plain text: use ftplib.FTP_TLS (and call prot_p()), or SFTP.',
          );
        }
        continue;
      }
      // smtp.login(...) with no starttls() before it
      const client = site.receiver ? receiverConstructor(ctx, site) : null;
      const mail = client ? MAIL_CLIENTS.get(client) : undefined;
      if (mail && mail.login.test(site.name) && site.receiver) {
        if (startedTls(ctx, site, mail.tls) || isLocalMailHost(ctx, site)) continue;
        ctx.report(
          site.node,
          `${site.receiver.text}.${site.name}() sends the ${mail.protocol} credentials in plain text: no TLS was started on this connection. Use ${mail.secure}.`,
        );
        continue;
      }
      // ldap.initialize("ldap://...").simple_bind_s(dn, password) with no start_tls_s() before it
      if (
        LDAP_BINDS.has(site.name) &&
        site.receiver &&
        receiverConstructor(ctx, site) === 'ldap.initialize'
      ) {
        const construction = receiverConstruction(ctx, site);
        const uri = construction ? ctx.file.callAt(construction)?.args.positional[0] : undefined;
        const host = uri ? /^ldap:\/\/([^/:]*)/i.exec(stringValue(ctx.file.resolveValue(uri)) ?? '') : null;
        const password = site.args.positional[1] ?? site.args.keywords.get('cred');
        const anonymous = !password || stringValue(ctx.file.resolveValue(password)) === '';
        if (host && !isLocalHost(host[1] ?? '') && !anonymous && !startedTls(ctx, site, /^start_tls_s$/)) {
          ctx.report(
            site.node,
            `${site.receiver.text}.${site.name}() sends the LDAP password in plain text over ldap://: anyone on the network path can read it. Call start_tls_s() before binding, or connect to ldaps://.`,
          );
        }
        continue;
      }
      // http.client.HTTPConnection(host).request("POST", "/print", headers={"Authorization": ...})
      if (site.name === 'request' && receiverConstructor(ctx, site) === 'http.client.HTTPConnection') {
        const construction = receiverConstruction(ctx, site);
        const host = construction ? ctx.file.callAt(construction)?.args.positional[0] : undefined;
        const value = host ? stringValue(ctx.file.resolveValue(host)) : undefined;
        const credential = credentialOf(ctx, site);
        if (credential && !(value && isLocalHost(value))) {
          ctx.report(
            site.node,
            `HTTPConnection sends ${credential} over plain HTTP: anyone on the network path can read it. Use http.client.HTTPSConnection.`,
          );
        }
        continue;
      }
      // httpx.Client(base_url="http://...", headers={"Authorization": ...})
      if (/^httpx\.(Client|AsyncClient)$/.test(callee)) {
        const base = site.args.keywords.get('base_url');
        const plain = base ? plainHttpUrl(ctx, base) : null;
        const credential = plain ? credentialOf(ctx, site) : null;
        if (plain && credential) {
          ctx.report(
            site.node,
            `${site.calleeText ?? 'httpx.Client'}() sends ${credential} to ${plain.origin} over plain HTTP with every request: anyone on the network path can read it. Use https://.`,
          );
        }
        continue;
      }
      // requests.post("http://partner.example/api", auth=(user, pw))
      const url = httpUrlArgument(ctx, site);
      if (!url) continue;
      const plain = plainHttpUrl(ctx, url);
      if (!plain) continue;
      const credential = plain.userinfo
        ? 'a user and password in the URL'
        : plain.queryCredential
          ? `the ${plain.queryCredential} query parameter`
          : (credentialOf(ctx, site) ?? sessionCredential(ctx, site));
      if (!credential) continue;
      ctx.report(
        site.node,
        `${site.calleeText ?? site.name}() sends ${credential} to ${plain.origin} over plain HTTP: anyone on the network path can read it. Use https://.`,
        // The host comes from elsewhere: it may be a sidecar on localhost.
        { confidence: plain.origin.endsWith('…') ? 'medium' : 'high' },
      );
    }
    checkMailConfig(ctx);
  },
});

const MAIL_KEYS = ['MAIL_SERVER', 'MAIL_USERNAME', 'MAIL_PASSWORD', 'MAIL_USE_TLS', 'MAIL_USE_SSL'];

/**
 * Flask-Mail logs in with MAIL_USERNAME/MAIL_PASSWORD after starting TLS only if MAIL_USE_TLS or
 * MAIL_USE_SSL is set; both default to False. Reported where a config class (with its same-file bases), an
 * `app.config.update(...)` or the `app.config[...]` writes of one function name a remote MAIL_SERVER and
 * credentials but neither setting, and no file of the workspace turns either on. Module-level settings are
 * left alone: their lines are separate statements, which an edit re-analyses one at a time.
 */
function checkMailConfig(ctx: RuleContext): void {
  if (!/MAIL_SERVER/.test(ctx.file.text)) return;
  if (ctx.workspace.appSettings.has('MAIL_TLS') || ctx.flask.appSettings.has('MAIL_TLS')) return;
  const groups = new Map<number, ConfigWrite[]>();
  for (const write of configWritesOfKeys(ctx, MAIL_KEYS)) {
    const owner = groupOf(ctx, write);
    if (owner === null) continue;
    groups.set(owner.id, [...(groups.get(owner.id) ?? []), ...inherited(ctx, owner, write)]);
  }
  for (const writes of groups.values()) {
    const server = writes.find((w) => w.key === 'MAIL_SERVER');
    if (!server || !ctx.inFocus(server.node)) continue;
    const host = stringValue(ctx.file.resolveValue(server.value));
    if (host === undefined || isLocalHost(host)) continue;
    const credentials = writes.some(
      (w) =>
        (w.key === 'MAIL_PASSWORD' || w.key === 'MAIL_USERNAME') &&
        ctx.file.resolveValue(w.value).type !== 'none',
    );
    if (!credentials || writes.some((w) => w.key === 'MAIL_USE_TLS' || w.key === 'MAIL_USE_SSL')) continue;
    ctx.report(
      server.node,
      `Flask-Mail logs in to ${host} with MAIL_USERNAME/MAIL_PASSWORD, but neither MAIL_USE_TLS nor MAIL_USE_SSL is set (both default to False): the password crosses the network in plain text. Set MAIL_USE_TLS = True (port 587) or MAIL_USE_SSL = True (port 465).`,
      { confidence: 'medium' },
    );
  }
}

/** The statement a group of config writes belongs to: a config class, an update call, a function. */
function groupOf(ctx: RuleContext, write: ConfigWrite): Node | null {
  if (write.via === 'module') return null;
  const scope = ctx.file.scopeAt(write.node);
  if (write.via === 'class') return scope.kind === 'class' ? scope.node : null;
  if (write.via === 'update') {
    let call: Node | null = write.node;
    while (call && call.type !== 'call') call = call.parent;
    return call;
  }
  return scope.kind === 'function' ? scope.node : null;
}

/** A config class's writes with those of its same-file base classes (`class Production(Config)`). */
function inherited(ctx: RuleContext, owner: Node, write: ConfigWrite): ConfigWrite[] {
  if (write.via !== 'class') return [write];
  const scope = ctx.file.scopes.find((s) => s.node.id === owner.id);
  const out = [write];
  const seen = new Set<number>([owner.id]);
  const visit = (bases: readonly Node[], depth: number) => {
    for (const base of bases) {
      const parent = ctx.file.scopes.find((s) => s.kind === 'class' && s.name === base.text);
      if (!parent || seen.has(parent.node.id) || depth > 4) continue;
      seen.add(parent.node.id);
      for (const key of MAIL_KEYS) {
        for (const binding of parent.bindings.get(key) ?? []) {
          if (binding.value)
            out.push({ key, value: binding.value, node: binding.node, via: 'class', target: '' });
        }
      }
      visit(parent.bases, depth + 1);
    }
  };
  if (scope) visit(scope.bases, 0);
  return out;
}

/** An SMTP relay on this machine (`localhost`, `127.0.0.1`, `::1`): nothing crosses the network. */
function isLocalMailHost(ctx: RuleContext, site: CallSite): boolean {
  const construction = receiverConstruction(ctx, site);
  const built = construction ? ctx.file.callAt(construction) : undefined;
  const host = built?.args.positional[0] ?? built?.args.keywords.get('host');
  const value = host ? stringValue(ctx.file.resolveValue(host)) : undefined;
  return value !== undefined && isLocalHost(value);
}

/** The URL a call sends a request to (a known HTTP client's, not a client only named like one). */
function httpUrlArgument(ctx: RuleContext, site: CallSite): Node | null {
  if (XMLRPC_PROXIES.test(site.callee ?? ''))
    return site.args.positional[0] ?? site.args.keywords.get('uri') ?? null;
  const outbound = outboundUrl(ctx, site);
  return outbound?.certain ? outbound.url : null;
}

/** A session given credentials in the same function: `s.auth = (...)`, `s.headers.update({"Authorization": ...})`. */
function sessionCredential(ctx: RuleContext, site: CallSite): string | null {
  const receiver = site.receiver;
  if (!receiver || (receiver.type !== 'identifier' && receiver.type !== 'attribute')) return null;
  const name = receiver.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const text = ctx.slice(site.scope.start, site.node.startIndex);
  if (new RegExp(`\\b${name}\\.auth\\s*=`).test(text)) return 'the session credentials (auth)';
  const header = new RegExp(
    `\\b${name}\\.headers(\\.update\\([^)]*|\\[)\\s*["'](Authorization|X-API-Key|X-Auth-Token|Api-Key|Private-Token|Cookie)["']`,
    'i',
  ).exec(text);
  return header ? `the session's ${header[2]} header` : null;
}

/** What credential an HTTP call carries: `auth=`, a credential header, a secret in the data or parameters. */
function credentialOf(ctx: RuleContext, site: CallSite): string | null {
  const { keywords } = site.args;
  if (keywords.has('auth')) return 'the credentials given as auth=';
  const headers = keywords.get('headers');
  for (const key of dictionaryKeys(ctx, headers)) {
    if (CREDENTIAL_HEADER.test(key)) return `an ${key} header`;
  }
  for (const name of ['data', 'json', 'params', 'body']) {
    for (const key of dictionaryKeys(ctx, keywords.get(name))) {
      if (isCredentialField(key)) return `the ${key} field`;
    }
  }
  return null;
}

function dictionaryKeys(ctx: RuleContext, node: Node | undefined): string[] {
  if (!node) return [];
  const value = ctx.file.resolveValue(node);
  if (value.type === 'call') {
    const built = ctx.file.callAt(value);
    if (built?.callee === 'dict') return [...built.args.keywords.keys()];
    // urlencode({...}).encode(), json.dumps({...})
    if (built && /^(encode|urlencode|dumps)$/.test(built.name))
      return dictionaryKeys(
        ctx,
        built.name === 'encode' ? (built.receiver ?? undefined) : built.args.positional[0],
      );
    return [];
  }
  if (value.type !== 'dictionary') return [];
  return value.namedChildren
    .map((pair) => (pair?.type === 'pair' ? stringValue(pair.childForFieldName('key')) : undefined))
    .filter((key): key is string => key !== undefined);
}
