import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateCodebase } from '../../bench/generate';
import { Engine } from '../../server/src/engine/engine';
import { ALL_RULES } from '../../server/src/rules/index';
import type { Rule } from '../../server/src/rules/rule';
import { EXAMPLES, pythonFiles } from '../helpers/fixtures';

const ALL_FIXTURES = join(__dirname, '..', 'fixtures');

/**
 * A rule's triggers (Rule.triggers) let files without a match skip the rule. Each must be a necessary
 * condition of every finding: here every fixture, the example app and generated Flask modules give the
 * same findings with triggers as with every rule run on every file. (The re-analysis tests check the same
 * statement by statement, on reduced files that hold only what a statement needs.)
 */
describe('rule triggers', () => {
  let triggered: Engine;
  let untriggered: Engine;
  before(async () => {
    triggered = await Engine.create(ALL_RULES);
    untriggered = await Engine.create(ALL_RULES.map(withoutTrigger));
  });

  it('are plain regular expressions: no g or y flag, whose test() would depend on the last call', () => {
    const stateful = ALL_RULES.filter((r) => r.triggers.some((t) => /[gy]/.test(t.flags))).map(
      (r) => r.meta.id,
    );
    assert.deepEqual(stateful, []);
  });

  it('are set on most rules: each spares a rule on the files that never mention what it looks for', () => {
    const count = ALL_RULES.filter((r) => r.triggers.length > 0).length;
    assert.ok(count >= ALL_RULES.length / 2, `only ${count} of ${ALL_RULES.length} rules have a trigger`);
  });

  it('hide no finding of any fixture or example', () => {
    let compared = 0;
    for (const file of pythonFiles(ALL_FIXTURES, EXAMPLES)) {
      const text = readFileSync(file, 'utf8');
      const expected = untriggered.analyzeText(text, file).findings;
      assert.deepEqual(triggered.analyzeText(text, file).findings, expected, file);
      compared += expected.length;
    }
    assert.ok(compared > 500, `only ${compared} findings compared`);
  });

  it('are necessary: with every match of its trigger written over, no fixture gives a rule a finding', () => {
    // Each match becomes a run of x (`redirect(` -> `xxxxxxxx(`, `<int:id>` -> `xxxxxid>`): the file no longer
    // says what the trigger looks for, so the rule, run without its trigger, must find nothing in it.
    const files = pythonFiles(ALL_FIXTURES, EXAMPLES).map((file) => ({
      file,
      text: readFileSync(file, 'utf8'),
    }));
    let checked = 0;
    for (const rule of ALL_RULES) {
      for (const trigger of rule.triggers) {
        const everyMatch = new RegExp(trigger.source, `${trigger.flags}g`);
        for (const { file, text } of files) {
          if (!rule.triggers.every((t) => t.test(text))) continue;
          const without = text.replace(everyMatch, (match) => 'x'.repeat(match.length));
          if (trigger.test(without)) continue; // writing over one match made another: nothing to learn
          const { findings } = untriggered.analyzeText(without, file, { select: [rule.meta.id] });
          assert.deepEqual(
            findings.map((f) => `${f.range.start.line + 1}: ${f.message}`),
            [],
            `${rule.meta.id} reports in ${file} with its trigger ${String(trigger)} written over`,
          );
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} files checked`);
  });

  it('hide no finding in the files of a generated Flask code base', () => {
    let compared = 0;
    for (const file of generateCodebase(20000, 7).files) {
      const expected = untriggered.analyzeText(file.text, file.path).findings;
      assert.deepEqual(triggered.analyzeText(file.text, file.path).findings, expected, file.path);
      compared += expected.length;
    }
    assert.ok(compared > 30, `only ${compared} findings compared`);
  });
});

function withoutTrigger(rule: Rule): Rule {
  return { meta: rule.meta, triggers: [], check: (ctx) => rule.check(ctx) };
}
