import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

/** A Have I Been Pwned check: the password's SHA-1, of which five hex digits are sent to the range API. */
const PWNED_CHECK = `import hashlib
import requests


def breached(password):
    digest = hashlib.sha1(password.encode()).hexdigest().upper()
    prefix, suffix = digest[:5], digest[5:]
    body = requests.get(f"https://api.pwnedpasswords.com/range/{prefix}", timeout=5).text
    return suffix in body
`;

describe('weak hashes: a short digest prefix sent out is a range query', () => {
  it('is not a password hash (FS401), and FS406 reports SHA-1 at low confidence with no SHA-256 fix', async () => {
    const findings = (await engine()).analyzeText(PWNED_CHECK, 'breach.py').findings;
    assert.deepEqual(
      findings.filter((f) => f.ruleId === 'FS401'),
      [],
    );
    const weak = findings.filter((f) => f.ruleId === 'FS406');
    assert.equal(weak.length, 1);
    assert.equal(weak[0]?.confidence, 'low');
    assert.equal(weak[0]?.fix, undefined, 'SHA-256 would break the range API');
    assert.match(weak[0]?.message ?? '', /usedforsecurity=False/);
  });

  it('a long slice of a stored password digest is still a password hash', async () => {
    const source = PWNED_CHECK.replace('digest[:5]', 'digest[:40]');
    const findings = (await engine()).analyzeText(source, 'breach.py').findings;
    assert.deepEqual(
      findings.filter((f) => f.ruleId === 'FS401').map((f) => f.range.start.line),
      [5],
    );
  });
});
