import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exponentialBacktracking } from '../../server/src/rules/support/redos';

/**
 * The structural ReDoS test behind FS215, on patterns whose behaviour in CPython's `re` is known: each
 * exponential one takes seconds on about thirty characters of an almost-matching string; each linear one
 * stays fast on thousands.
 */
describe('exponential backtracking in regular expressions', () => {
  const exponential = [
    String.raw`^(a+)+$`,
    String.raw`^(\w+\s?)*$`,
    String.raw`^([a-zA-Z0-9]+)*@example\.com$`,
    String.raw`(x+x+)+y`,
    String.raw`^(\d+)*x`,
    String.raw`^(.*)*!$`,
    String.raw`^(a|aa)+$`,
    String.raw`^(a|a)*$`,
    String.raw`^(\s|.)*$`,
    String.raw`^([a-z0-9]+([._-][a-z0-9]+)*)+@`,
    String.raw`^(([a-z])+.)+[A-Z]([a-z])+$`,
    String.raw`^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$`,
    String.raw`^(?:(?:\w+)\s*)+;`,
    String.raw`"((?:\\.|[^"])*)"`,
    String.raw`(\s*,\s*)*;`,
    String.raw`^(a*)*b`,
  ];
  const linear = [
    String.raw`^([a-z]+\.)+[a-z]+$`,
    String.raw`^(ab+)+$`,
    String.raw`^(\d{3}-)+\d{4}$`,
    String.raw`^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$`,
    String.raw`^[\w.-]+@[\w.-]+\.[a-z]{2,}$`,
    String.raw`^(\d{1,3}\.){3}\d{1,3}$`,
    String.raw`^(a|b)+$`,
    String.raw`(a+)+`,
    String.raw`^(a+b)+$`,
    String.raw`^([a-z]+[0-9])+$`,
    String.raw`\d+`,
    String.raw`^(\w+)=(\w+)$`,
    String.raw`^(a+)+\1$`,
    String.raw`"(?:[^"\\]|\\.)*"`,
    String.raw`^(\s*,)*;`,
    String.raw`^\d+(?:,\d{3})*(?:\.\d+)?$`,
  ];

  for (const pattern of exponential) {
    it(`flags ${pattern}`, () => assert.ok(exponentialBacktracking(pattern), pattern));
  }
  for (const pattern of linear) {
    it(`leaves ${pattern} alone`, () => assert.equal(exponentialBacktracking(pattern), null, pattern));
  }

  it('with fullmatch, a trailing repetition can fail too', () => {
    assert.equal(exponentialBacktracking(String.raw`(\w+\s?)+`), null);
    assert.ok(exponentialBacktracking(String.raw`(\w+\s?)+`, { fullMatch: true }));
  });

  it('for the regex module, only overlapping alternatives count', () => {
    assert.equal(exponentialBacktracking(String.raw`^(\w+\s?)*$`, { alternativesOnly: true }), null);
    assert.ok(exponentialBacktracking(String.raw`^(?:\d|\d\d)+$`, { alternativesOnly: true }));
  });
});
