import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { stringValue } from '../../engine/syntax';

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
const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|169\.254\.\d+\.\d+|0\.0\.0\.0)$/i;

/** Stands for text the URL has but this file does not know (a host or a password from configuration). */
const UNKNOWN = '\u0000';

/**
 * An `http://` URL to a host that is not this machine, from the text the URL is built of (unknown parts
 * stand as placeholders: `"http://" + host` is plain HTTP to some host).
 */
export function plainHttpUrl(ctx: RuleContext, url: Node): PlainHttpUrl | null {
  const text = urlText(ctx, url, 0);
  const match = /^http:\/\/(?:([^/@\s]*)@)?([^/:?#\s]+)/i.exec(text);
  if (!match) return null;
  const host = match[2] ?? '';
  if (LOCAL_HOST.test(host)) return null;
  const query =
    /[?&](access_token|token|api_?key|apikey|key|password|passwd|secret|auth|signature|sig)=/i.exec(text);
  return {
    origin: `http://${host.includes(UNKNOWN) ? '…' : host}`,
    userinfo: (match[1] ?? '').includes(':'),
    queryCredential: query?.[1] ?? null,
  };
}

/** The text a string expression is built of: literals, f-strings, `+`, `%`, names of constants. */
function urlText(ctx: RuleContext, node: Node, depth: number): string {
  if (depth > 6) return UNKNOWN;
  const value = ctx.file.resolveValue(node);
  const literal = stringValue(value);
  if (literal !== undefined) return literal;
  switch (value.type) {
    case 'string': {
      let text = '';
      for (const child of value.namedChildren) {
        if (!child) continue;
        if (child.type === 'string_content') text += child.text;
        else if (child.type === 'interpolation') {
          const expression = child.namedChildren[0];
          text += expression ? urlText(ctx, expression, depth + 1) : UNKNOWN;
        }
      }
      return text;
    }
    case 'binary_operator': {
      const operator = value.childForFieldName('operator')?.type;
      const left = value.childForFieldName('left');
      const right = value.childForFieldName('right');
      if (operator === '+' && left && right)
        return urlText(ctx, left, depth + 1) + urlText(ctx, right, depth + 1);
      const format = operator === '%' ? stringValue(left) : undefined;
      return format === undefined ? UNKNOWN : format.replace(/%[-#0 +]*\d*(\.\d+)?[sdrif]/g, UNKNOWN);
    }
    case 'concatenated_string':
      return value.namedChildren.map((part) => (part ? urlText(ctx, part, depth + 1) : '')).join('');
    default:
      return UNKNOWN;
  }
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
