import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engine } from '../helpers/engine';

const SOURCE = `TEST_PASSWORD = "correct horse battery staple"
SECRET_KEY = "not-for-production"
`;

const rulesAt = async (path: string) =>
  (await engine())
    .analyzeText(SOURCE, path)
    .findings.map((f) => f.ruleId)
    .sort();

describe('credentials in test code', () => {
  it('are left out under a tests/ folder, as in conftest.py and test_*.py', async () => {
    assert.deepEqual(await rulesAt('project/tests/factories.py'), []);
    assert.deepEqual(await rulesAt('project/tests/conftest.py'), []);
  });

  it('are reported anywhere else', async () => {
    assert.deepEqual(await rulesAt('project/app/factories.py'), ['FS402', 'FS403']);
  });
});
