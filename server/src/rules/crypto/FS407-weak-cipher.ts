import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import { lastSegment, literalValue } from '../../engine/syntax';
import { argument, isConstantBytes, numberOf, qualifiedValue } from '../support/crypto';
import { replaceNode } from '../support/edits';
import { receiverConstructor } from '../support/values';
import { defineRule } from '../rule';

const PYCRYPTO_WEAK = /^(?:Crypto|Cryptodome)\.Cipher\.(DES|DES3|ARC2|ARC4|Blowfish|XOR|CAST)\.new$/;
/** pyDes, a pure-Python DES and Triple DES (`pyDes.des(key, pyDes.ECB)`). */
const PYDES = /^(pyDes\.(?:des|triple_des))$/;
const PYCRYPTO_CIPHER = /^(?:Crypto|Cryptodome)\.Cipher\.(AES|DES|DES3|ARC2|Blowfish|CAST)\.new$/;
const CRYPTOGRAPHY_WEAK =
  /^cryptography\.hazmat\.(?:primitives|decrepit)\.ciphers\.algorithms\.(TripleDES|Blowfish|ARC4|IDEA|CAST5|SEED|RC4)$/;
const CRYPTOGRAPHY_ECB = /^cryptography\.hazmat\.primitives\.ciphers\.modes\.ECB$/;
const CRYPTOGRAPHY_IV_MODES =
  /^cryptography\.hazmat\.primitives\.ciphers\.modes\.(CBC|CFB|CFB8|OFB|CTR|GCM|XTS)$/;
const AEAD_CONSTRUCTORS =
  /^cryptography\.hazmat\.primitives\.ciphers\.aead\.(AESGCM|AESCCM|AESOCB3|AESSIV|ChaCha20Poly1305)$/;
const MIN_RSA_BITS = 2048;
/** Elliptic curves under 224 bits. */
const WEAK_CURVES = new Set(['SECP192R1', 'SECT163K1', 'SECT163R2', 'SECP160R1', 'SECP160K1']);
/** Protocol constants for SSL 2/3 and TLS 1.0/1.1. */
const OLD_PROTOCOLS =
  /^(ssl\.(PROTOCOL_SSLv2|PROTOCOL_SSLv3|PROTOCOL_TLSv1|PROTOCOL_TLSv1_1|TLSVersion\.SSLv3|TLSVersion\.TLSv1|TLSVersion\.TLSv1_1)|OpenSSL\.SSL\.(SSLv2_METHOD|SSLv3_METHOD|TLSv1_METHOD|TLSv1_1_METHOD))$/;

export default defineRule({
  meta: {
    id: 'FS407',
    name: 'weak-cipher',
    title: 'Broken cipher, ECB mode, fixed IV, short key or obsolete TLS version',
    severity: 'warning',
    confidence: 'high',
    cwe: ['CWE-327', 'CWE-326', 'CWE-329'],
    owasp: ['A02:2021'],
    fix: { title: 'Use a 2048-bit key', safety: 'unsafe' },
    docs: {
      summary:
        'Finds broken or obsolete encryption: pycryptodome/pycrypto `DES`, `DES3`, `ARC2`, `ARC4`, `Blowfish`, `CAST`, `XOR` ciphers (`Crypto.Cipher` and `Cryptodome.Cipher`) and pyDes `des`/`triple_des`; `cryptography`\'s `algorithms.TripleDES/Blowfish/ARC4/IDEA/CAST5/SEED`; ECB mode (`modes.ECB()`, `AES.new(key, AES.MODE_ECB)`, and PyCrypto\'s `AES.new(key)` whose default mode is ECB); RSA and DSA keys under 2048 bits (`rsa.generate_private_key(key_size=1024)`, `dsa.generate_private_key(1024)`, `RSA.generate(1024)`, python-rsa `rsa.newkeys(512)`, paramiko) and elliptic curves under 224 bits; SSL 2/3 or TLS 1.0/1.1 protocol constants (`ssl.PROTOCOL_TLSv1`, `OpenSSL.SSL.SSLv3_METHOD`, `ssl.TLSVersion.TLSv1`); and IVs or nonces fixed in the source (`AES.new(key, AES.MODE_CBC, b"\\x00" * 16)`, `modes.CBC(b"0123456789abcdef")`, `modes.GCM(IV)` with a constant `IV`, `AESGCM(key).encrypt(b"fixed-nonce", ...)`). AES in GCM/CBC/CTR mode with a fresh IV per message, `Fernet`, and 2048-bit or larger keys are fine.',
      why: 'DES keys are brute-forced in hours; RC4 and 64-bit block ciphers (3DES, Blowfish) leak plaintext through statistical and birthday attacks (Sweet32); ECB encrypts equal blocks to equal ciphertext, so the structure of the data shows through and blocks can be cut and pasted. 1024-bit RSA/DSA is within reach of well-funded attackers, and SSL 3/TLS 1.0 are open to POODLE/BEAST-style attacks.',
      example:
        'from Crypto.Cipher import AES, DES\n\ncipher = DES.new(key, DES.MODE_CBC, iv)\ntoken = AES.new(key, AES.MODE_ECB).encrypt(pad(data, 16))',
      fix: 'from Crypto.Cipher import AES\n\ncipher = AES.new(key, AES.MODE_GCM)  # 16/32-byte key from secrets.token_bytes()\nciphertext, tag = cipher.encrypt_and_digest(data)\n# Or simply: Fernet(key).encrypt(data)',
    },
    references: [
      'https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html',
      'https://cryptography.io/en/latest/hazmat/primitives/symmetric-encryption/',
      'https://www.pycryptodome.org/src/cipher/cipher',
      'https://cwe.mitre.org/data/definitions/327.html',
    ],
  },
  // A cipher or key from PyCryptodome, cryptography, paramiko, pyDes or python-rsa, or an old TLS/SSL protocol
  // constant.
  trigger: /Crypto|cryptography|paramiko|pyDes|newkeys|SSLv[23]|TLSv1|TLSVersion/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = site.callee ?? '';
      const weak = PYCRYPTO_WEAK.exec(callee) ?? CRYPTOGRAPHY_WEAK.exec(callee) ?? PYDES.exec(callee);
      if (weak) {
        ctx.report(
          site.node,
          `${weak[1]} is a broken or obsolete cipher: use AES-GCM (or Fernet / ChaCha20-Poly1305).`,
        );
        continue;
      }
      if (CRYPTOGRAPHY_ECB.test(callee)) {
        ctx.report(
          site.node,
          'ECB mode encrypts equal blocks to equal ciphertext and leaks the structure of the data: use GCM.',
        );
        continue;
      }
      const cipher = PYCRYPTO_CIPHER.exec(callee);
      if (cipher) {
        checkPycryptoMode(ctx, site, cipher[1] as string);
        checkStaticIv(ctx, site, argument(site, 2, 'iv', 'nonce', 'IV'));
        continue;
      }
      // modes.CBC(b"0123456789abcdef"), modes.GCM(iv), modes.CTR(nonce)
      if (CRYPTOGRAPHY_IV_MODES.test(callee)) {
        checkStaticIv(ctx, site, argument(site, 0, 'initialization_vector', 'nonce', 'tweak'));
        continue;
      }
      // AESGCM(key).encrypt(b"fixed nonce", data, aad), ChaCha20Poly1305(key).encrypt(nonce, ...)
      if (
        site.name === 'encrypt' &&
        site.receiver &&
        AEAD_CONSTRUCTORS.test(receiverConstructor(ctx, site) ?? '')
      ) {
        checkStaticIv(ctx, site, argument(site, 0, 'nonce'));
        continue;
      }
      checkKeySize(ctx, site);
    }
    // ssl.PROTOCOL_TLSv1, OpenSSL.SSL.SSLv3_METHOD, ssl.TLSVersion.TLSv1 anywhere
    // Walking every identifier is costly: only when an old protocol name occurs in the text at all.
    const mentionsOldProtocol = /SSLv[23]|TLSv1(_1)?(_METHOD)?\b|TLSVersion/.test(ctx.file.text);
    for (const node of mentionsOldProtocol ? ctx.file.nodesOfType(['attribute', 'identifier']) : []) {
      if (!node || node.parent?.type === 'attribute' || node.parent?.type === 'dotted_name') continue;
      if (node.parent?.type === 'aliased_import' || !ctx.inFocus(node)) continue;
      const name = ctx.file.imports.resolve(node);
      if (!name || !OLD_PROTOCOLS.test(name)) continue;
      ctx.report(
        node,
        `${lastSegment(name)} selects an obsolete SSL/TLS version: use ssl.PROTOCOL_TLS_CLIENT/ssl.create_default_context() (TLS 1.2+).`,
      );
    }
  },
});

/** `AES.new(key, AES.MODE_ECB)`, `AES.new(key, mode=1)`, PyCrypto's `AES.new(key)` (ECB by default). */
function checkPycryptoMode(ctx: RuleContext, site: CallSite, algorithm: string): void {
  if (algorithm !== 'AES' || site.args.hasSplat) return;
  const mode = argument(site, 1, 'mode');
  if (!mode) {
    ctx.report(
      site.node,
      `${site.calleeText ?? 'AES.new'}() without a mode uses ECB in PyCrypto: pass AES.MODE_GCM.`,
      {
        confidence: 'low',
      },
    );
    return;
  }
  const name = qualifiedValue(ctx, mode);
  const ecb =
    (name !== null && /(^|\.)MODE_ECB$/.test(name)) || literalValue(ctx.file.resolveValue(mode)) === 1;
  if (ecb) {
    ctx.report(
      mode,
      'ECB mode encrypts equal blocks to equal ciphertext and leaks the structure of the data: use AES.MODE_GCM.',
    );
  }
}

/**
 * An IV or nonce written in the source: every message then starts from the same state, so equal
 * plaintexts give equal ciphertexts (CBC), and CTR/GCM reuse the key stream, which reveals the XOR of two
 * messages and lets GCM tags be forged.
 */
function checkStaticIv(ctx: RuleContext, site: CallSite, iv: Node | undefined): void {
  if (!iv || !isConstantBytes(ctx, iv)) return;
  ctx.report(
    iv,
    `${site.calleeText ?? site.name}() is given an IV/nonce fixed in the source: every message is encrypted from the same starting point, so equal messages look equal and, in CTR or GCM mode, two messages XOR to their plaintexts. Draw a fresh one per message (os.urandom(12 or 16)) and store it with the ciphertext.`,
  );
}

function checkKeySize(ctx: RuleContext, site: CallSite): void {
  const callee = site.callee ?? '';
  let size: Node | undefined;
  let algorithm: string;
  if (/^cryptography\.hazmat\.primitives\.asymmetric\.rsa\.generate_private_key$/.test(callee)) {
    size = argument(site, 1, 'key_size');
    algorithm = 'RSA';
  } else if (
    /^cryptography\.hazmat\.primitives\.asymmetric\.dsa\.(generate_private_key|generate_parameters)$/.test(
      callee,
    )
  ) {
    size = argument(site, 0, 'key_size');
    algorithm = 'DSA';
  } else if (/^(Crypto|Cryptodome)\.PublicKey\.(RSA|DSA|ElGamal)\.generate$/.test(callee)) {
    size = argument(site, 0, 'bits');
    algorithm = callee.split('.')[2] ?? 'RSA';
  } else if (callee === 'rsa.newkeys') {
    // python-rsa: rsa.newkeys(512)
    size = argument(site, 0, 'nbits');
    algorithm = 'RSA';
  } else if (
    /^paramiko\.(RSAKey|DSSKey)\.generate$|^paramiko\.(rsakey\.RSAKey|dsskey\.DSSKey)\.generate$/.test(callee)
  ) {
    size = argument(site, 0, 'bits');
    algorithm = callee.includes('RSA') ? 'RSA' : 'DSA';
  } else if (/^cryptography\.hazmat\.primitives\.asymmetric\.ec\.generate_private_key$/.test(callee)) {
    const curve = argument(site, 0, 'curve');
    if (!curve) return;
    const resolved = ctx.file.resolveValue(curve);
    const name = resolved.type === 'call' ? ctx.file.callAt(resolved)?.callee : qualifiedValue(ctx, curve);
    if (name && WEAK_CURVES.has(lastSegment(name))) {
      ctx.report(curve, `The ${lastSegment(name)} curve is under 224 bits: use SECP256R1 or larger.`);
    }
    return;
  } else {
    return;
  }
  const bits = numberOf(ctx, size);
  if (!size || bits === undefined || bits >= MIN_RSA_BITS) return;
  ctx.report(
    size,
    `${bits}-bit ${algorithm} keys are too short to stay secure: use at least ${MIN_RSA_BITS} bits (3072 for use past 2030).`,
    {
      severity: bits < 1024 ? 'error' : undefined,
      fix: size.type === 'integer' ? [replaceNode(size, String(MIN_RSA_BITS))] : [],
    },
  );
}
