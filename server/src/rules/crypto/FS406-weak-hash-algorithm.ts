import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { OffsetEdit } from '../../engine/types';
import { lastSegment } from '../../engine/syntax';
import {
  BROKEN_HASHES,
  destinations,
  hashConstruction,
  isFalse,
  nameWords,
  passwordHashAlgorithmCalls,
  prefixQueried,
  stringOf,
} from '../support/crypto';
import { replaceNode } from '../support/edits';
import { defineRule } from '../rule';

/** `cryptography` hash classes that are broken. */
const CRYPTOGRAPHY_BROKEN = new Set(['MD5', 'SHA1']);

/** Names of what a digest is used for when it is not security: these lower the confidence. */
const NON_SECURITY =
  /^(etag|cache|checksum|fingerprint|gravatar|avatar|filename|file|fname|dedup|dedupe|bucket|shard|partition|color|colour|slug|version|build|asset|static|content|md5sum|cachekey|hash_key|cache_key)$/;

export default defineRule({
  meta: {
    id: 'FS406',
    name: 'weak-hash-algorithm',
    title: 'Broken hash algorithm (MD5, SHA-1) used',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-327', 'CWE-328'],
    owasp: ['A02:2021'],
    fix: { title: 'Use SHA-256', safety: 'unsafe' },
    docs: {
      summary:
        "Finds MD5, SHA-1, MD4 and MD2: `hashlib.md5()`/`hashlib.sha1()` (also `from hashlib import md5`), `hashlib.new('md5'|'sha1'|'sha'|'md4'|...)` and `hashlib.file_digest(f, 'md5')` in any case and through a variable, pycryptodome/pycrypto `Crypto.Hash.MD5/MD4/MD2/SHA/SHA1.new()` (and `Cryptodome.*`), and `cryptography`'s `hashes.MD5()`/`hashes.SHA1()`. Calls with `usedforsecurity=False` are not reported, and neither are password hashes, which FS401 reports. Digests used as cache keys, ETags, checksums or Gravatar ids are reported with low confidence.",
      why: 'MD5 and SHA-1 collisions can be computed cheaply (SHA-1: SHAttered, 2017; MD5 in seconds). Signatures, integrity checks, token derivations or deduplication that rely on them let an attacker substitute a different document, file or certificate with the same digest.',
      example: 'def sign(payload: bytes) -> str:\n    return hashlib.md5(SECRET + payload).hexdigest()',
      fix: 'def sign(payload: bytes) -> str:\n    return hmac.new(SECRET, payload, hashlib.sha256).hexdigest()\n\n# Not for security (cache keys): hashlib.md5(data, usedforsecurity=False)',
    },
    references: [
      'https://docs.python.org/3/library/hashlib.html',
      'https://cwe.mitre.org/data/definitions/328.html',
      'https://bandit.readthedocs.io/en/latest/plugins/b324_hashlib.html',
      'https://shattered.io/',
    ],
  },
  trigger: /hashlib|Crypto|cryptography/,
  check(ctx: RuleContext) {
    const passwordHashes = passwordHashAlgorithmCalls(ctx);
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const found = brokenHash(ctx, site);
      if (!found || passwordHashes.has(site.node.id)) continue;
      const usedForSecurity = site.args.keywords.get('usedforsecurity');
      if (usedForSecurity && isFalse(ctx, usedForSecurity)) continue;
      // A short prefix of the digest sent out is a range query (Have I Been Pwned takes SHA-1 prefixes):
      // the algorithm is the service's, so SHA-256 would break it.
      const rangeQuery = prefixQueried(ctx, site.node);
      const nonSecurity = rangeQuery || looksNonSecurity(ctx, site.node);
      ctx.report(
        site.node,
        `${found.name} is broken (practical collisions): use SHA-256 or better${nonSecurity ? ', or pass usedforsecurity=False if this digest protects nothing' : ''}.`,
        { confidence: nonSecurity ? 'low' : undefined, fix: rangeQuery ? [] : (sha256Fix(ctx, site) ?? []) },
      );
    }
  },
});

function brokenHash(ctx: RuleContext, site: CallSite): { name: string } | null {
  const callee = site.callee ?? '';
  const cryptography = /^cryptography\.hazmat\.primitives\.hashes\.(\w+)$/.exec(callee);
  if (cryptography) {
    return CRYPTOGRAPHY_BROKEN.has(cryptography[1] as string)
      ? { name: `hashes.${cryptography[1]}()` }
      : null;
  }
  const hash = hashConstruction(ctx, site);
  if (!hash || hash.algorithmCall.id !== site.node.id || !hash.algorithm) return null;
  if (!BROKEN_HASHES.has(hash.algorithm)) return null;
  return {
    name:
      callee === 'hashlib.new'
        ? `hashlib.new("${hash.algorithm}")`
        : callee === 'hashlib.file_digest'
          ? `hashlib.file_digest(..., "${hash.algorithm}")`
          : `${site.calleeText ?? callee}()`,
  };
}

function looksNonSecurity(ctx: RuleContext, node: Node): boolean {
  return destinations(ctx, node, 1).some((d) => {
    const words = nameWords(lastSegment(d.name));
    return words.some((w) => NON_SECURITY.test(w)) || NON_SECURITY.test(words.join('_'));
  });
}

/** `hashlib.md5(x)` → `hashlib.sha256(x)`, `hashlib.new("md5")` → `hashlib.new("sha256")`, also file_digest's. */
function sha256Fix(ctx: RuleContext, site: CallSite): OffsetEdit[] | null {
  const fn = site.node.childForFieldName('function');
  if (fn?.type !== 'attribute' || ctx.file.imports.resolve(fn.childForFieldName('object')) !== 'hashlib')
    return null;
  const attribute = fn.childForFieldName('attribute');
  if (!attribute) return null;
  if (attribute.text === 'md5' || attribute.text === 'sha1') return [replaceNode(attribute, 'sha256')];
  if (attribute.text === 'new' || attribute.text === 'file_digest') {
    const name =
      attribute.text === 'new'
        ? (site.args.positional[0] ?? site.args.keywords.get('name'))
        : (site.args.positional[1] ?? site.args.keywords.get('digest'));
    if (name?.type === 'string' && stringOf(ctx, name) !== undefined) {
      const quote = name.text.endsWith("'") ? "'" : '"';
      return [replaceNode(name, `${quote}sha256${quote}`)];
    }
  }
  return null;
}
