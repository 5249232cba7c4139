import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { UNKNOWN, urlTextOf } from './requests';

/** Where an unencrypted connection goes (FS408): the URL's constant beginning, and TLS started in-band. */

export interface PlainHttpUrl {
  /** `http://host` as written. */
  origin: string;
  /** The URL carries `user:password@`. */
  userinfo: boolean;
  /** A query parameter that carries a credential (`?token=`), if any. */
  queryCredential: string | null;
}

/** Hosts where plain HTTP never leaves the machine (or the instance's link-local metadata service). */
const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|169\.254\.\d+\.\d+|0\.0\.0\.0)$/i;

/** A host where plain traffic never leaves the machine (or goes to the instance's link-local metadata). */
export function isLocalHost(host: string): boolean {
  return LOCAL_HOST.test(host);
}

/**
 * An `http://` URL to a host that is not this machine, from the text the URL is built of (unknown parts
 * stand as placeholders: `"http://" + host` is plain HTTP to some host).
 */
export function plainHttpUrl(ctx: RuleContext, url: Node): PlainHttpUrl | null {
  const text = urlTextOf(ctx, url);
  const match = /^http:\/\/(?:([^/@\s]*)@)?([^/:?#\s]+)/i.exec(text);
  if (!match) return null;
  const host = match[2] ?? '';
  if (isLocalHost(host)) return null;
  const query =
    /[?&](access_token|token|api_?key|apikey|key|password|passwd|secret|auth|signature|sig)=/i.exec(text);
  return {
    origin: `http://${host.includes(UNKNOWN) ? '…' : host}`,
    userinfo: (match[1] ?? '').includes(':'),
    queryCredential: query?.[1] ?? null,
  };
}

/** Whether `receiver.<tls>()` (starttls, stls) is called on the same receiver earlier in the function. */
export function startedTls(ctx: RuleContext, site: CallSite, tls: RegExp): boolean {
  const receiver = site.receiver?.text;
  if (!receiver) return false;
  return ctx.file.calls.some(
    (other) =>
      other.scope === site.scope &&
      other.node.startIndex < site.node.startIndex &&
      other.receiver?.text === receiver &&
      tls.test(other.name),
  );
}
