import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateCodebase } from '../../bench/generate';
import {
  alternatives,
  distinctWords,
  matchesOnlyWords,
  TriggerTests,
} from '../../server/src/engine/triggers';
import { ALL_RULES } from '../../server/src/rules/index';
import { EXAMPLES, pythonFiles } from '../helpers/fixtures';

const ALL_TRIGGERS = [...new Set(ALL_RULES.flatMap((rule) => rule.triggers))];

/**
 * A trigger whose every match is made of word characters is tested on the file's distinct words instead
 * of its text (`engine/triggers.ts`): the answer must be the one the text gives, for every trigger.
 */
describe('trigger tests', () => {
  it('tell the patterns that match only word characters from the others', () => {
    for (const pattern of [
      /subprocess|system|popen/,
      /password|passwd|pw/i,
      /\beval\b|__import__/,
      /fetch_?(?:all|one)?\b/,
      /SSLv[23]|TLSv1/,
      /x\w*y|\d{2,4}/,
    ]) {
      assert.equal(matchesOnlyWords(pattern), true, String(pattern));
    }
    for (const pattern of [
      /set[-_]cookie/i, // '-'
      /\.execute\(/,
      /http:\/\//,
      /<\w*[(:>"']/,
      /a\sb/,
      /a.b/,
      /[^a]b/,
      /a(?=b)/,
      /a(?!b)/,
      /\Bab/,
      /(a)\1/,
      /route/g, // test() would move lastIndex
      /route/u,
    ]) {
      assert.equal(matchesOnlyWords(pattern), false, String(pattern));
    }
  });

  it('split a pattern at its top-level alternatives only', () => {
    assert.deepEqual(alternatives('a|(b|c)|[|]|\\||d'), ['a', '(b|c)', '[|]', '\\|', 'd']);
    assert.deepEqual(alternatives('[\\]|]x|y'), ['[\\]|]x', 'y']);
    assert.deepEqual(alternatives('abc'), ['abc']);
    assert.deepEqual(alternatives('a|'), ['a', '']);
  });

  it('lists each maximal run of word characters once', () => {
    assert.equal(distinctWords('a.b(a, c_1)  # ä d'), 'a\nb\nc_1\nd');
    assert.equal(distinctWords(''), '');
    assert.equal(distinctWords('(), []'), '');
  });

  it('give the answer of the text for every rule trigger on every fixture, example and edge case', () => {
    const texts = [
      ...pythonFiles(join(__dirname, '..', 'fixtures'), EXAMPLES).map((file) => readFileSync(file, 'utf8')),
      ...generateCodebase(3000, 11).files.map((file) => file.text),
      // Word boundaries at the ends of the text and of runs, next to digits, underscores and non-ASCII
      // letters (not word characters to a regular expression without the u flag).
      'eval',
      'x = eval',
      'evaluate()',
      'my_eval(x)',
      'pässword = 1',
      'token2 = 1\r\nre.compile("a")',
      'SSLv2',
      'fetchall',
      'fetch_one()',
      // Triggers split into word and other alternatives, matched only by the others.
      '@app.route("/<id>")\ndef show(id):\n    return id\n',
      'resp.headers["Set-Cookie"] = value',
      'db.execute_sql(q)',
      '',
    ];
    let compared = 0;
    for (const text of texts) {
      const tests = new TriggerTests(text);
      for (const trigger of ALL_TRIGGERS) {
        assert.equal(
          tests.matches(trigger),
          trigger.test(text),
          `${String(trigger)} on ${text.slice(0, 80)}`,
        );
        compared++;
      }
    }
    assert.ok(ALL_TRIGGERS.filter(matchesOnlyWords).length > ALL_TRIGGERS.length / 2);
    assert.ok(compared > 5000, `only ${compared} comparisons`);
  });
});
