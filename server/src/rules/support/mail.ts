import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Scope } from '../../engine/scopes';
import { dottedName, stringValue } from '../../engine/syntax';
import { destinations, destinationsOfName, nameWords } from './crypto';
import type { Destination } from './crypto';

/**
 * Messages that leave the app out of band — e-mail (Flask-Mail, Flask-Mailman, smtplib/email, SendGrid,
 * SES, project helpers such as `send_email`), SMS (Twilio, `send_sms`) and webhook payloads — and which part
 * of such a message a value lands in (HTML or plain text). FS108 asks whether a Host-derived link is sent
 * out; FS304 whether a rendered template becomes an HTML e-mail or a plain-text one.
 */

export type Channel = 'e-mail' | 'SMS' | 'message' | 'webhook';
export type Part = 'html' | 'text' | 'unknown';

export interface OutOfBand {
  channel: Channel;
  part: Part;
  /** The call or assignment that sends or builds the message. */
  node: Node;
}

/** Classes that build an e-mail from their arguments, with the argument positions of text and HTML bodies. */
const MAIL_CLASSES = new Map<string, { text?: number; html?: number }>(
  Object.entries({
    'flask_mail.Message': { text: 2, html: 3 },
    'flask_mailman.EmailMessage': { text: 1 },
    'flask_mailman.EmailMultiAlternatives': { text: 1 },
    'django.core.mail.EmailMessage': { text: 1 },
    'django.core.mail.EmailMultiAlternatives': { text: 1 },
    'django.core.mail.send_mail': { text: 1 },
    'flask_emails.Message': {},
    'emails.Message': {},
    'email.mime.text.MIMEText': {},
    'email.message.EmailMessage': {},
    'email.message.Message': {},
    'sendgrid.helpers.mail.Mail': { text: 3, html: 4 },
    'sendgrid.Mail': { text: 3, html: 4 },
  }),
);

/** Keyword (or variable) names of a message part. */
const HTML_WORDS = new Set(['html', 'htm', 'alternatives', 'alternative']);
const TEXT_WORDS = new Set(['body', 'text', 'txt', 'plain', 'content', 'message', 'msg']);

/** Methods that send or fill in a message whatever object they are called on. */
const MAIL_METHODS = new Set([
  'sendmail',
  'send_message',
  'set_content',
  'add_alternative',
  'attach_alternative',
  'send_mail',
  'send_email',
  'send_mass_mail',
]);

/** Words of a function or receiver name that make it a message sender or mailer. */
const MAIL_NOUNS = new Set(['mail', 'email', 'mailer', 'emailer', 'sendmail', 'smtp', 'postmark', 'mailgun']);
const SMS_NOUNS = new Set(['sms', 'mms', 'twilio', 'whatsapp', 'text']);
const MESSAGE_NOUNS = new Set(['notification', 'notify', 'invite', 'invitation', 'message', 'msg', 'letter']);
const SEND_VERBS = new Set(['send', 'queue', 'enqueue', 'deliver', 'dispatch', 'schedule', 'notify', 'post']);

/** Task-queue entry points: the task's own name says what it does. */
const TASK_METHODS = new Set(['delay', 'apply_async', 'send', 'enqueue', 'defer', 'kiq']);

const WEBHOOK_CALLEES = /^(requests|httpx|aiohttp\.ClientSession|requests\.Session)\.(post|put|patch)$/;

/**
 * What sending channel a call is: an e-mail class or method, an SMS API, a project helper named after sending
 * mail/SMS/messages, a task of such a name queued with `.delay()`. Null for anything else.
 */
export function channelOfCall(site: CallSite): Channel | null {
  const callee = site.callee ?? '';
  if (MAIL_CLASSES.has(callee)) return 'e-mail';
  if (MAIL_METHODS.has(site.name)) return 'e-mail';
  // twilio: client.messages.create(body=..., to=...)
  if (site.name === 'create' && /(^|\.)messages$/.test(dottedName(site.receiver) ?? '')) return 'SMS';
  const own = channelOfName(site.name);
  if (own) return own;
  // `from .email_utils import send_plain`: a sending function of the project's mail module.
  const module = callee.includes('.') ? callee.slice(0, callee.lastIndexOf('.')) : '';
  if (
    module &&
    !site.receiver &&
    nameWords(site.name).some((w) => SEND_VERBS.has(w)) &&
    module.split('.').some((part) => nameWords(part).some((w) => MAIL_NOUNS.has(w)))
  )
    return 'e-mail';
  if (site.receiver && (TASK_METHODS.has(site.name) || site.name === 'send')) {
    const receiver = dottedName(site.receiver) ?? '';
    const last = receiver.slice(receiver.lastIndexOf('.') + 1);
    // `send_reset_email.delay(...)`, `mail.send(msg)`, `mailer.send(...)`
    return channelOfName(last) ?? (MAIL_NOUNS.has(last.toLowerCase()) ? 'e-mail' : null);
  }
  // Project mail services: `mailer.password_reset(user, link)`, `email_service.invite(...)` (not string
  // methods of an address: `user.email.lower()`).
  const receiver = dottedName(site.receiver) ?? '';
  const words = nameWords(receiver.slice(receiver.lastIndexOf('.') + 1));
  const last = words[words.length - 1] ?? '';
  if (!SERVICE_WORDS.has(last)) return null;
  if (words.some((w) => MAIL_NOUNS.has(w))) return 'e-mail';
  if (words.some((w) => w === 'sms' || w === 'twilio')) return 'SMS';
  return null;
}

/** Last words of an object that sends things: `mailer`, `email_service`, `sms_client`. */
const SERVICE_WORDS = new Set([
  'mail',
  'mailer',
  'emailer',
  'smtp',
  'mailgun',
  'postmark',
  'sendgrid',
  'ses',
  'service',
  'client',
  'sender',
  'gateway',
  'notifier',
  'messenger',
  'twilio',
]);

/** Words of helpers that look at addresses or messages without sending them (`is_valid_email`, `email_exists`). */
const NOT_SENDING = new Set([
  'valid',
  'validate',
  'validator',
  'exists',
  'address',
  'addresses',
  'domain',
  'normalize',
  'normalized',
  'is',
  'has',
  'check',
  'format',
  'regex',
  'pattern',
  'hash',
  'lookup',
  'get',
  'find',
  'parse',
  'confirmed',
  'verified',
  'count',
  'log',
]);

/** `send_email`, `send_password_reset_email`, `sendSms`, `queue_notification`, `email_user`, `mail_link`. */
function channelOfName(name: string): Channel | null {
  const words = nameWords(name);
  if (words.length === 0 || words.some((w) => NOT_SENDING.has(w))) return null;
  const verb = words.some((w) => SEND_VERBS.has(w));
  const first = words[0] as string;
  // A mail noun used as the verb (`email_user`, `mail_link`) or with a sending verb (`send_email`).
  if (words.some((w) => MAIL_NOUNS.has(w)) && (verb || MAIL_NOUNS.has(first))) return 'e-mail';
  if (words.some((w) => SMS_NOUNS.has(w)) && (verb || first === 'sms')) return 'SMS';
  if (verb && words.some((w) => MESSAGE_NOUNS.has(w))) return 'message';
  return null;
}

/** The part of a message an argument fills, from its keyword name or its position in a known class. */
export function partOfArgument(
  ctx: RuleContext,
  site: CallSite,
  keyword: string | null,
  index: number,
): Part {
  if (keyword) return partOfName(keyword);
  const callee = site.callee ?? '';
  const positions = MAIL_CLASSES.get(callee);
  if (positions?.html !== undefined && index === positions.html) return 'html';
  if (positions?.text !== undefined && index === positions.text) return 'text';
  // MIMEText(body, "html"), msg.set_content(body, subtype="html"), attach_alternative(body, "text/html")
  if (callee === 'email.mime.text.MIMEText' || ['set_content', 'add_alternative'].includes(site.name)) {
    const subtype = stringValue(
      ctx.file.resolveValue(
        site.args.keywords.get('_subtype') ??
          site.args.keywords.get('subtype') ??
          site.args.positional[1] ??
          site.node,
      ),
    );
    if (site.name === 'add_alternative') return subtype === 'plain' ? 'text' : 'html';
    return subtype === 'html' ? 'html' : 'text';
  }
  if (site.name === 'attach_alternative') {
    const type = stringValue(ctx.file.resolveValue(site.args.positional[1] ?? site.node)) ?? '';
    return /html/i.test(type) ? 'html' : 'text';
  }
  return 'unknown';
}

/** `html`, `html_body`, `html_content` → html; `body`, `text_body`, `plain_text_content` → text. */
export function partOfName(name: string): Part {
  const words = nameWords(name);
  if (words.some((w) => HTML_WORDS.has(w))) return 'html';
  if (words.some((w) => TEXT_WORDS.has(w))) return 'text';
  return 'unknown';
}

/** The part of an e-mail an assignment fills (`msg.html = ...` → html), or null when it is not one. */
export function messagePartOf(ctx: RuleContext, assignment: Node): Part | null {
  return messageAttribute(ctx, assignment)?.part ?? null;
}

/** `msg.body = ...` / `message.html = ...` on an e-mail object (built by a mail class or named like one). */
function messageAttribute(ctx: RuleContext, assignment: Node): OutOfBand | null {
  const left = assignment.childForFieldName('left');
  if (left?.type !== 'attribute') return null;
  const attribute = left.childForFieldName('attribute')?.text ?? '';
  const part = partOfName(attribute);
  if (part === 'unknown') return null;
  const object = left.childForFieldName('object');
  if (!object) return null;
  const built = ctx.file.constructorOf(object);
  const objectWords = nameWords(dottedName(object) ?? '');
  const isMessage =
    (built !== null && MAIL_CLASSES.has(built)) ||
    objectWords.some((w) => ['msg', 'message', 'mail', 'email', 'letter'].includes(w));
  return isMessage ? { channel: 'e-mail', part, node: assignment } : null;
}

/**
 * Where a value is sent out of band, following it through variables, formatting, template rendering and
 * function calls in the same file (into a helper's parameter, out of a helper's return value), one level
 * of helper each way. `[]` when it only stays in the app (a response, a database, a log).
 */
export function outOfBandUses(ctx: RuleContext, start: Node): OutOfBand[] {
  const out: OutOfBand[] = [];
  walk(ctx, destinations(ctx, start, 4), out, 1);
  return out;
}

function walk(ctx: RuleContext, found: Destination[], out: OutOfBand[], budget: number): void {
  let keyword: string | null = null;
  for (const destination of found) {
    if (destination.kind === 'keyword') {
      if (!destination.name.includes('.')) keyword = destination.name;
      continue;
    }
    if (destination.kind === 'target') {
      const attribute = messageAttribute(ctx, destination.node);
      if (attribute) out.push(attribute);
      keyword = null;
      continue;
    }
    if (destination.kind === 'return') {
      if (budget > 0) {
        for (const call of callsOfFunction(ctx, destination.node))
          walk(ctx, destinations(ctx, call, 3), out, budget - 1);
      }
      keyword = null;
      continue;
    }
    if (destination.kind !== 'argument' || !destination.call) continue;
    const site = destination.call;
    const index = destination.index ?? -1;
    const name = index < 0 ? keyword : null;
    keyword = null;
    // A helper of this file: what it does with its parameter says more than its name.
    const target = parameterOf(ctx, site, name, index);
    if (target && budget > 0) {
      walk(ctx, destinationsOfName(ctx, target.param, target.at, 3), out, budget - 1);
      continue;
    }
    const channel = channelOfCall(site);
    if (channel) {
      out.push({ channel, part: partOfArgument(ctx, site, name, index), node: site.node });
      continue;
    }
    if (WEBHOOK_CALLEES.test(site.callee ?? '') && (name === 'json' || name === 'data' || index === 1)) {
      out.push({ channel: 'webhook', part: 'unknown', node: site.node });
    }
  }
}

/** How a sentence says where the value goes: "by e-mail", "in a webhook payload". */
export function channelPhrase(channel: Channel): string {
  switch (channel) {
    case 'e-mail':
      return 'by e-mail';
    case 'SMS':
      return 'by SMS';
    case 'message':
      return 'in a message';
    case 'webhook':
      return 'in a webhook payload';
  }
}

/** The same-file function a call runs, and the parameter an argument fills. */
function parameterOf(
  ctx: RuleContext,
  site: CallSite,
  keyword: string | null,
  index: number,
): { param: string; at: Node } | null {
  const fn = sameFileFunction(ctx, site);
  const parameters = fn?.node.childForFieldName('parameters');
  if (!fn || !parameters) return null;
  const offset = fn.parent?.kind === 'class' && site.receiver ? 1 : 0;
  const param = keyword ?? (index >= 0 ? fn.params[index + offset] : undefined);
  return param && fn.params.includes(param) ? { param, at: parameters } : null;
}

/** As the taint engine resolves it: a method on `self` is its own class's, whatever other classes define. */
function sameFileFunction(ctx: RuleContext, site: CallSite): Scope | null {
  return ctx.taint.sameFileCallee(site);
}

/** The calls in this file of the function a `return` statement belongs to. */
function callsOfFunction(ctx: RuleContext, returned: Node): Node[] {
  const scope = ctx.file.scopeAt(returned);
  if (scope.kind !== 'function') return [];
  return ctx.file
    .callsNamed(scope.name)
    .filter((site) => sameFileFunction(ctx, site) === scope)
    .map((site) => site.node);
}
