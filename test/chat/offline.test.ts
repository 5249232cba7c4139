import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractFindings } from '../../client/src/chat/findingsBlock';
import { OFFLINE_SECTIONS, offlineAnswer } from '../../client/src/chat/offline';
import { BUILTIN_PERSONA_IDS } from '../../client/src/chat/personas';
import { TurnSchema } from '../../client/src/chat/protocol';
import type { ChatContext, RuleDoc } from '../../client/src/chat/types';
import { ALL_RULES } from '../../server/src/rules/index';
import { ruleDocUrl } from '../../server/src/rules/docs';

/** What the host would build from the `flaskSentinel/rules` request plus the rule docs. */
const RULES: RuleDoc[] = ALL_RULES.map((r) => ({
  id: r.meta.id,
  name: r.meta.name,
  title: r.meta.title,
  severity: r.meta.severity,
  cwe: r.meta.cwe,
  summary: r.meta.docs.summary,
  why: r.meta.docs.why,
  fix: r.meta.docs.fix,
  docsUrl: ruleDocUrl(r.meta),
  hasFix: !!r.meta.fix,
}));

const CONTEXT: ChatContext = {
  path: 'app/views.py',
  languageId: 'python',
  selection: { text: '...', startLine: 10, endLine: 30 },
  findings: [
    {
      ruleId: 'FS201',
      line: 14,
      message: 'SQL built with an f-string from request.args',
      severity: 'error',
      cwe: ['CWE-89'],
    },
    { ruleId: 'FS105', line: 20, endLine: 21, message: 'Cookie set without Secure', severity: 'warning' },
    { ruleId: 'FS101', line: 40, message: 'outside the selection', severity: 'error' },
  ],
};

describe('offline answers', () => {
  for (const id of BUILTIN_PERSONA_IDS) {
    it(`${id}: local findings in the persona's structure, with a findings block`, () => {
      const { answer, findings } = offlineAnswer({ id, name: id }, CONTEXT, RULES);
      assert.match(answer, /^> \*\*Offline answer\*\*/);
      assert.match(answer, /Flask Sentinel: Set Anthropic API Key/);
      for (const [heading] of OFFLINE_SECTIONS[id] ?? [])
        assert.match(answer, new RegExp(`^### ${heading}$`, 'm'));
      const extracted = extractFindings(answer);
      assert.equal(extracted.dropped, 0);
      assert.deepEqual(extracted.findings, findings);
      assert.deepEqual(
        findings.map((f) => [f.severity, f.line, f.endLine, f.cwe]),
        [
          ['high', 14, undefined, 'CWE-89'],
          ['medium', 20, 21, RULES.find((r) => r.id === 'FS105')?.cwe[0]],
        ],
        'only findings inside lines 10-30, severity mapped, CWE from the finding or the rule',
      );
      assert.ok(!answer.includes('outside the selection'));
      assert.ok(TurnSchema.shape.findings.safeParse(findings).success);
    });
  }

  it('uses the rule documentation (what, why, the safe pattern) and the checklist items that apply', () => {
    const fs201 = RULES.find((r) => r.id === 'FS201');
    const expert = offlineAnswer(
      { id: 'backend-security-expert', name: 'backend-security-expert' },
      CONTEXT,
      RULES,
    );
    assert.ok(fs201?.why && expert.answer.includes(fs201.why.replace(/\s+/g, ' ').trim()));
    assert.ok(
      fs201?.fix && expert.answer.includes(fs201.fix.trim()),
      'the Fixes section has the safe pattern',
    );
    const python = offlineAnswer(
      { id: 'backend-python-expert', name: 'backend-python-expert' },
      CONTEXT,
      RULES,
    );
    assert.match(python.answer, /\*\*fail\*\* — Injection/);
    assert.match(python.answer, /\*\*fail\*\* — Tokens and sessions/);
    assert.match(python.answer, /\*\*unknown\*\* — Files and paths/);
  });

  it('says clearly when the local analysis found nothing', () => {
    const { answer, findings } = offlineAnswer(
      { id: 'flask-security-architect', name: 'flask-security-architect' },
      { ...CONTEXT, findings: [] },
      RULES,
    );
    assert.deepEqual(findings, []);
    assert.match(
      answer,
      /found no issues in `app\/views\.py`, lines 10–30\. That does not make the code safe/,
    );
    assert.deepEqual(extractFindings(answer).findings, []);
  });

  it('gives workspace personas a generic structure, and works without rule metadata', () => {
    const { answer, findings } = offlineAnswer({ id: 'workspace:claude/x', name: 'x' }, CONTEXT, []);
    for (const h of ['Summary', 'Findings', 'Fixes', 'Checklist'])
      assert.match(answer, new RegExp(`^### ${h}$`, 'm'));
    assert.equal(findings.length, 2);
    assert.equal(findings[0]?.title, 'FS201: SQL built with an f-string from request.args');
  });
});
