import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { renderRuleDoc, ruleDocFileName } from '../../server/src/rules/docs';
import { ALL_RULES } from '../../server/src/rules/index';

const DOCS = path.join(__dirname, '..', '..', 'docs', 'rules');

/** docs/rules is generated from rule metadata (`npm run gen:docs`); this fails when someone forgets. */
describe('generated rule docs', () => {
  for (const rule of ALL_RULES) {
    it(`${rule.meta.id} page is up to date`, () => {
      const file = path.join(DOCS, ruleDocFileName(rule.meta));
      assert.ok(fs.existsSync(file), `missing ${file}: run npm run gen:docs`);
      assert.equal(
        fs.readFileSync(file, 'utf8'),
        renderRuleDoc(rule.meta),
        `${file} is stale: run npm run gen:docs`,
      );
    });
  }

  it('has no pages for rules that no longer exist', () => {
    const expected = new Set([...ALL_RULES.map((r) => ruleDocFileName(r.meta)), 'README.md']);
    const stale = fs.readdirSync(DOCS).filter((f) => !expected.has(f));
    assert.deepEqual(stale, [], 'remove these pages (or run npm run gen:docs after deleting docs/rules)');
  });
});
