import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const view = (check: string) => `import hashlib
import hmac
import pickle
from flask import Flask, abort, request

app = Flask(__name__)
KEY = b"from-the-environment"


@app.post("/state")
def restore_state():
    blob = request.form["blob"].encode()
    sig = request.form["sig"]
    expected = hmac.new(KEY, blob, hashlib.sha256).hexdigest()
${check}
    return str(pickle.loads(blob))
`;

const fs205 = async (check: string) =>
  (await engine()).analyzeText(view(check), 'app.py').findings.filter((f) => f.ruleId === 'FS205');

describe('FS205: pickle of request data after a signature check', () => {
  it('is still reported, at medium confidence, saying the key is what protects it', async () => {
    const [finding] = await fs205('    if not hmac.compare_digest(sig, expected):\n        abort(403)');
    assert.equal(finding?.confidence, 'medium');
    assert.match(finding?.message ?? '', /after a signature check/);
  });

  it('without the check it is high confidence', async () => {
    const [finding] = await fs205('    pass');
    assert.equal(finding?.confidence, 'high');
  });
});
