import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkspaceFacts } from '../../server/src/engine/context';
import { readsHold, recordingFacts } from '../../server/src/engine/workspaceReads';
import type { FactRead } from '../../server/src/engine/workspaceReads';

const facts = (authDecorators: string[], guardedOwners: string[] = []): WorkspaceFacts => ({
  authDecorators: new Set(authDecorators),
  guardedOwners: new Set(guardedOwners),
  appSettings: new Set(),
});

describe('recorded questions to the workspace facts', () => {
  it('answers as the facts do and records each question once, with its answer', () => {
    const reads: FactRead[] = [];
    const recorded = recordingFacts(facts(['gatekeeper']), reads);
    assert.equal(recorded.authDecorators.has('gatekeeper'), true);
    assert.equal(recorded.authDecorators.has('other'), false);
    assert.equal(recorded.authDecorators.has('gatekeeper'), true);
    assert.equal(recorded.appSettings.has('SERVER_NAME'), false);
    assert.deepEqual(reads, [
      { set: 'authDecorators', key: 'gatekeeper', answer: true },
      { set: 'authDecorators', key: 'other', answer: false },
      { set: 'appSettings', key: 'SERVER_NAME', answer: false },
    ]);
  });

  it('records the members once when a set is read whole, and nothing more for it after', () => {
    const reads: FactRead[] = [];
    const recorded = recordingFacts(facts([], ['admin_bp', 'app']), reads);
    assert.deepEqual([...recorded.guardedOwners], ['admin_bp', 'app']);
    assert.equal(recorded.guardedOwners.size, 2);
    const seen: string[] = [];
    recorded.guardedOwners.forEach((owner) => seen.push(owner));
    assert.deepEqual(seen, ['admin_bp', 'app']);
    assert.equal(recorded.guardedOwners.has('api_bp'), false);
    assert.deepEqual(reads, [{ set: 'guardedOwners', members: ['admin_bp', 'app'] }]);
  });

  it('holds under facts that answer every recorded question the same, and only then', () => {
    const reads: FactRead[] = [];
    const recorded = recordingFacts(facts(['gatekeeper']), reads);
    recorded.authDecorators.has('gatekeeper');
    recorded.authDecorators.has('other');
    assert.equal(
      readsHold(reads, facts(['gatekeeper', 'unrelated'])),
      true,
      'an unasked name changes nothing',
    );
    assert.equal(readsHold(reads, facts(['gatekeeper', 'other'])), false, 'a name asked about appeared');
    assert.equal(readsHold(reads, facts([])), false, 'a name asked about went away');

    const whole: FactRead[] = [];
    void [...recordingFacts(facts([], ['admin_bp']), whole).guardedOwners];
    assert.equal(readsHold(whole, facts([], ['admin_bp'])), true);
    assert.equal(readsHold(whole, facts([], ['admin_bp', 'api_bp'])), false, 'a set read whole grew');
    assert.equal(readsHold([], facts(['anything'], ['*'])), true, 'no question, any facts');
  });
});
