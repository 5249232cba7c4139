import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { isFalsyLiteral, literalValue, stringValue } from '../../engine/syntax';
import type { OffsetEdit } from '../../engine/types';
import { configWritesOfKey } from '../support/access';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** PyJWT and python-jose decoding functions (module functions and `PyJWT()`/`PyJWS()` methods). */
const DECODERS = new Set([
  'jwt.decode',
  'jwt.decode_complete',
  'jwt.api_jwt.decode',
  'jwt.api_jwt.decode_complete',
  'jwt.api_jws.decode',
  'jwt.api_jws.decode_complete',
  'jose.jwt.decode',
  'jose.jws.verify',
]);
const ENCODERS = new Set(['jwt.encode', 'jwt.api_jwt.encode', 'jwt.api_jws.encode', 'jose.jwt.encode']);
const PYJWT_CLASSES = new Set(['jwt.PyJWT', 'jwt.PyJWS', 'jwt.api_jwt.PyJWT', 'jwt.api_jws.PyJWS']);

type Library = 'pyjwt' | 'jose';

export default defineRule({
  meta: {
    id: 'FS503',
    name: 'jwt-verification-disabled',
    title: 'JWT signature verification is disabled or weakened',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-347', 'CWE-345'],
    owasp: ['A02:2021', 'A07:2021'],
    fix: { title: 'Verify the token signature', safety: 'unsafe' },
    docs: {
      summary:
        'Finds JSON Web Tokens decoded without checking their signature or with the `none` algorithm, with PyJWT and python-jose: `jwt.decode(token, verify=False)` (PyJWT 1.x), `options={"verify_signature": False}` (inline or through a variable), `algorithms` that include `"none"`, `jwt.encode(..., algorithm="none")`, an empty signing key, `python_jwt.process_jwt()` never followed by `verify_jwt()`, flask-jwt-extended `JWT_ALGORITHM`/`JWT_DECODE_ALGORITHMS` set to `none`, and (as warnings) `verify_exp: False` and a decode with no `algorithms` list given a public key (algorithm confusion). python-jose `get_unverified_claims()` in a function that never verifies the token, and `algorithms` taken from the token\'s own `get_unverified_header()["alg"]`, are reported too. Reading the header with `jwt.get_unverified_header()` to pick a key is not flagged.',
      why: 'A token whose signature is not checked is just JSON the client wrote: anyone can change `sub`, `role` or `is_admin` and the server believes it. The `none` algorithm means no signature at all, and accepting any algorithm with an RSA public key lets an attacker sign tokens with HMAC using that public key.',
      example:
        'payload = jwt.decode(token, options={"verify_signature": False})\nuser = User.query.get(payload["sub"])',
      fix: 'payload = jwt.decode(token, current_app.config["JWT_SECRET"], algorithms=["HS256"])\nuser = User.query.get(payload["sub"])',
    },
    references: [
      'https://pyjwt.readthedocs.io/en/stable/api.html#jwt.decode',
      'https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/347.html',
    ],
  },
  // PyJWT, python-jose, python_jwt and Flask-JWT-Extended's JWT_* settings are all imported or named
  // with one of these words.
  trigger: /jwt|jose/i,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node) && !optionsInFocus(ctx, site)) continue;
      const library = libraryOf(ctx, site);
      if (!library) continue;
      if (isDecoder(ctx, site)) checkDecode(ctx, site);
      else if (isEncoder(ctx, site)) checkEncode(ctx, site);
    }
    checkPythonJwt(ctx);
    checkUnverifiedClaims(ctx);
    checkExtendedConfig(ctx);
  },
});

/**
 * A decode call out of focus still reports in focus when its `options` are a dictionary defined elsewhere
 * (the disabled entry is reported there).
 */
function optionsInFocus(ctx: RuleContext, site: CallSite): boolean {
  const options = site.args.keywords.get('options');
  return options !== undefined && ctx.inFocus(ctx.file.resolveValue(options));
}

function libraryOf(ctx: RuleContext, site: CallSite): Library | null {
  const callee = site.callee ?? '';
  if (callee.startsWith('jose.')) return 'jose';
  if (callee.startsWith('jwt.')) return ctx.file.imports.imports('jwt') ? 'pyjwt' : null;
  const built = site.receiver ? ctx.file.constructorOf(site.receiver) : null;
  return built && PYJWT_CLASSES.has(built) ? 'pyjwt' : null;
}

function isDecoder(ctx: RuleContext, site: CallSite): boolean {
  if (DECODERS.has(site.callee ?? '')) return true;
  return ['decode', 'decode_complete'].includes(site.name) && isPyJwtObject(ctx, site.receiver);
}

function isEncoder(ctx: RuleContext, site: CallSite): boolean {
  if (ENCODERS.has(site.callee ?? '')) return true;
  return site.name === 'encode' && isPyJwtObject(ctx, site.receiver);
}

function isPyJwtObject(ctx: RuleContext, node: Node | null): boolean {
  const built = node ? ctx.file.constructorOf(node) : null;
  return built !== null && PYJWT_CLASSES.has(built);
}

function falsy(ctx: RuleContext, node: Node | null | undefined): boolean {
  return (
    !!node && isFalsyLiteral(ctx.file.resolveValue(node)) && literalValue(ctx.file.resolveValue(node)) !== ''
  );
}

function flip(node: Node): OffsetEdit[] {
  return node.type === 'false' ? [replaceNode(node, 'True')] : [];
}

/** `"none"` in an algorithm value: a string, or a list/tuple/set holding one. */
function noneAlgorithm(ctx: RuleContext, node: Node | null | undefined): Node | null {
  if (!node) return null;
  const value = ctx.file.resolveValue(node);
  if (stringValue(value)?.toLowerCase() === 'none') return value;
  if (['list', 'tuple', 'set'].includes(value.type)) {
    for (const item of value.namedChildren) {
      if (item && stringValue(ctx.file.resolveValue(item))?.toLowerCase() === 'none') return item;
    }
  }
  return null;
}

/** A value that looks like an RSA/EC public key: named so, a PEM text, or read from a `.pem` file. */
function looksLikePublicKey(ctx: RuleContext, node: Node | null | undefined): boolean {
  if (!node) return false;
  const text = `${node.text} ${ctx.file.resolveValue(node).text}`;
  return /pub(lic)?_?key|public|BEGIN (RSA )?PUBLIC KEY|\.pem\b|\bjwks?\b|certificate|\bcert\b/i.test(text);
}

/**
 * The `options` entry that turns a check off: `{"verify_signature": False}` (inline or through a name, also
 * `dict(verify_signature=False)` and `[("verify_signature", False)]`). Returns the node to report (the
 * entry, or the whole call when the options are written inline) and the literal to flip.
 */
function disabledOption(
  ctx: RuleContext,
  options: Node | null | undefined,
  key: string,
): { entry: Node; value: Node } | null {
  if (!options) return null;
  const value = ctx.file.resolveValue(options);
  const entries: { entry: Node; key: string | undefined; value: Node | null }[] = [];
  if (value.type === 'dictionary') {
    for (const pair of value.namedChildren) {
      if (pair?.type !== 'pair') continue;
      entries.push({
        entry: pair,
        key: stringValue(pair.childForFieldName('key')),
        value: pair.childForFieldName('value'),
      });
    }
  } else if (value.type === 'call' && ctx.file.callAt(value)?.callee === 'dict') {
    for (const [name, v] of ctx.file.callAt(value)?.args.keywords ?? []) {
      entries.push({ entry: v.parent ?? v, key: name, value: v });
    }
  } else if (value.type === 'list' || value.type === 'tuple') {
    for (const item of value.namedChildren) {
      if (item?.type !== 'tuple' || item.namedChildren.length !== 2) continue;
      entries.push({
        entry: item,
        key: stringValue(item.namedChildren[0] ?? null),
        value: item.namedChildren[1] ?? null,
      });
    }
  }
  for (const candidate of entries) {
    if (candidate.key === key && candidate.value && falsy(ctx, candidate.value)) {
      return { entry: candidate.entry, value: candidate.value };
    }
  }
  return null;
}

function checkDecode(ctx: RuleContext, site: CallSite): void {
  const { keywords, positional } = site.args;
  const key = keywords.get('key') ?? positional[1];
  // PyJWT 1.x: decode(jwt, key='', verify=True, algorithms=None, options=None); 2.x: decode(jwt, key, algorithms).
  const third = positional[2];
  const verify = keywords.get('verify') ?? (third && falsy(ctx, third) ? third : undefined);
  if (verify && falsy(ctx, verify)) {
    ctx.report(
      site.node,
      'jwt.decode() is called with verify=False: the signature is not checked, so anyone can forge the token. Pass the key and algorithms=["HS256"] (or your algorithm) instead.',
      { fix: flip(verify) },
    );
    return;
  }
  const options = keywords.get('options');
  const signature = disabledOption(ctx, options, 'verify_signature');
  if (signature) {
    const inline = options ? ctx.file.resolveValue(options) === options : false;
    ctx.report(
      inline ? site.node : signature.entry,
      `${site.calleeText ?? 'jwt.decode'}() is told not to verify the signature (verify_signature: False): the claims can be forged. Verify with the key and an explicit algorithms list.`,
      { fix: flip(signature.value) },
    );
    return;
  }
  const algorithms = keywords.get('algorithms') ?? (third && !falsy(ctx, third) ? third : undefined);
  const none = noneAlgorithm(ctx, algorithms);
  if (none) {
    const quote = none.text.startsWith("'") ? "'" : '"';
    ctx.report(
      site.node,
      'JWT decoding accepts the "none" algorithm: unsigned tokens pass. List only the algorithms you sign with, e.g. algorithms=["HS256"].',
      { fix: none.type === 'string' ? [replaceNode(none, `${quote}HS256${quote}`)] : [] },
    );
    return;
  }
  if (key && stringValue(ctx.file.resolveValue(key)) === '') {
    ctx.report(
      site.node,
      'JWT is verified with an empty key: anyone can sign a token that passes. Use a long random secret from configuration.',
    );
    return;
  }
  const expiry = disabledOption(ctx, options, 'verify_exp');
  if (expiry) {
    const inline = options ? ctx.file.resolveValue(options) === options : false;
    ctx.report(
      inline ? site.node : expiry.entry,
      'JWT expiry is not checked (verify_exp: False): a stolen or leaked token stays valid forever. Keep expiry verification on.',
      { severity: 'warning', confidence: 'medium', fix: flip(expiry.value) },
    );
    return;
  }
  // algorithms=[jwt.get_unverified_header(token)["alg"]]: the token names the algorithm it is checked with.
  const chosen = algorithms ? headerAlgorithm(ctx, algorithms) : null;
  if (chosen) {
    ctx.report(
      site.node,
      'JWT algorithms come from the token\'s own unverified header: an attacker picks "none" or HMAC with your public key as the secret (algorithm confusion). List the algorithm you sign with, e.g. algorithms=["RS256"].',
    );
    return;
  }
  if (!algorithms && looksLikePublicKey(ctx, key)) {
    ctx.report(
      site.node,
      'JWT is decoded without an algorithms list: the token header chooses the algorithm, and with a public key an attacker can sign with HMAC using that key (algorithm confusion). Pass algorithms=["RS256"] (or the one you use).',
      { severity: 'warning', confidence: 'medium' },
    );
  }
}

/** An `algorithms` value read from the token header: `[header["alg"]]`, `[alg]` with `alg = ...["alg"]`. */
function headerAlgorithm(ctx: RuleContext, algorithms: Node): Node | null {
  const value = ctx.file.resolveValue(algorithms);
  const items = ['list', 'tuple', 'set'].includes(value.type) ? value.namedChildren : [value];
  for (const item of items) {
    if (!item) continue;
    const read = ctx.file.resolveValue(item);
    const subscript =
      read.type === 'subscript'
        ? read
        : read.type === 'call' && ctx.file.callAt(read)?.name === 'get'
          ? read
          : null;
    if (!subscript) continue;
    const key =
      subscript.type === 'subscript'
        ? stringValue(subscript.childForFieldName('subscript'))
        : stringValue(ctx.file.callAt(subscript)?.args.positional[0] ?? null);
    const object =
      subscript.type === 'subscript'
        ? subscript.childForFieldName('value')
        : (ctx.file.callAt(subscript)?.receiver ?? null);
    if (key !== 'alg' || !object) continue;
    const header = ctx.file.resolveValue(object);
    const source = header.type === 'call' ? ctx.file.callAt(header)?.callee : undefined;
    if (source && UNVERIFIED_HEADER.test(source)) return item;
  }
  return null;
}

const UNVERIFIED_HEADER = /^(jwt|jose\.jwt|jose\.jws|jwt\.api_jws|jwt\.api_jwt)\.get_unverified_header$/;

/**
 * python-jose's `jwt.get_unverified_claims(token)` (and `jws`'s): the claims with no signature check, used
 * as they are unless the function verifies the token too.
 */
function checkUnverifiedClaims(ctx: RuleContext): void {
  for (const site of ctx.file.callsTo('jose.jwt.get_unverified_claims', 'jose.jws.get_unverified_claims')) {
    if (!ctx.inFocus(site.node)) continue;
    const verifiedToo = ctx.file
      .callsIn(site.scope.node)
      .some((call) => isDecoder(ctx, call) && call.name !== 'get_unverified_claims');
    if (verifiedToo) continue;
    ctx.report(
      site.node,
      `${site.calleeText ?? 'get_unverified_claims'}() reads the claims without checking the signature: anyone can forge them. Use jwt.decode(token, key, algorithms=[...]).`,
      { confidence: 'medium' },
    );
  }
}

function checkEncode(ctx: RuleContext, site: CallSite): void {
  const { keywords, positional } = site.args;
  const algorithm = keywords.get('algorithm') ?? positional[2];
  const key = keywords.get('key') ?? positional[1];
  if (algorithm) {
    const value = ctx.file.resolveValue(algorithm);
    if (stringValue(value)?.toLowerCase() === 'none' || value.type === 'none') {
      ctx.report(
        site.node,
        'JWT is created with the "none" algorithm: the token carries no signature and can be forged by anyone. Sign it, e.g. algorithm="HS256" with a secret key.',
      );
      return;
    }
  }
  if (key && stringValue(ctx.file.resolveValue(key)) === '') {
    ctx.report(
      site.node,
      'JWT is signed with an empty key: anyone can sign tokens the server accepts. Use a long random secret from configuration.',
    );
  }
}

/** python_jwt: `process_jwt()` only parses; `verify_jwt()` checks the signature. */
function checkPythonJwt(ctx: RuleContext): void {
  const verifies = ctx.file.callsTo('python_jwt.verify_jwt', 'jwt.verify_jwt');
  for (const site of ctx.file.callsTo('python_jwt.process_jwt', 'jwt.process_jwt')) {
    if (!ctx.inFocus(site.node)) continue;
    const fn = ctx.file.scopeAt(site.node);
    const verified = verifies.some(
      (v) => v.node.startIndex >= fn.node.startIndex && v.node.endIndex <= fn.node.endIndex,
    );
    if (verified) continue;
    ctx.report(
      site.node,
      'process_jwt() parses the token without checking its signature, and verify_jwt() is not called here: the claims can be forged. Call python_jwt.verify_jwt(token, key, ["RS256"]).',
      { confidence: 'medium' },
    );
  }
}

/** flask-jwt-extended accepting `none`. */
function checkExtendedConfig(ctx: RuleContext): void {
  for (const write of configWritesOfKey(ctx, 'JWT_ALGORITHM', 'JWT_DECODE_ALGORITHMS')) {
    if (!ctx.inFocus(write.node) || !noneAlgorithm(ctx, write.value)) continue;
    ctx.report(
      write.node,
      `${write.key} includes "none": flask-jwt-extended then accepts unsigned tokens. Use a signing algorithm such as HS256 or RS256.`,
    );
  }
}
