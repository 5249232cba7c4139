import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { ALL_RULES } from '../../server/src/rules/index';
import { RuleMetaSchema } from '../../server/src/rules/ruleMetaSchema';
import { parseAnnotations } from '../helpers/annotations';
import { fixturePath } from './fixtures.test';

/** Completeness: a rule is done only with metadata, docs, and a fixture with both kinds of lines. */
describe('rule completeness', () => {
  it('has at least 30 rules with unique ids and names', () => {
    assert.ok(ALL_RULES.length >= 30, `only ${ALL_RULES.length} rules`);
    assert.equal(new Set(ALL_RULES.map((r) => r.meta.id)).size, ALL_RULES.length);
    assert.equal(new Set(ALL_RULES.map((r) => r.meta.name)).size, ALL_RULES.length);
  });

  for (const rule of ALL_RULES) {
    const { id, name } = rule.meta;
    it(`${id} ${name} has metadata of the rule schema`, () => {
      const checked = RuleMetaSchema.safeParse(rule.meta);
      assert.ok(checked.success, `${id}: ${checked.error?.message ?? ''}`);
    });
    it(`${id} ${name} has a fixture with ≥3 ruleid and ≥3 ok lines`, () => {
      const file = fixturePath(id, name);
      assert.ok(fs.existsSync(file), `missing fixture ${file}`);
      const annotations = parseAnnotations(fs.readFileSync(file, 'utf8')).filter((a) => a.ruleId === id);
      const count = (kind: string) => annotations.filter((a) => a.kind === kind).length;
      assert.ok(count('ruleid') >= 3, `${id}: ${count('ruleid')} ruleid lines`);
      assert.ok(count('ok') >= 3, `${id}: ${count('ok')} ok lines`);
    });
  }
});
