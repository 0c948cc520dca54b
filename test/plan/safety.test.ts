// Safety refusals as a table: octoDNS thresholds (30% updates, 30% deletes, from 10 managed),
// dangerous changes, deletions from an empty revision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeAction, PlannedChange } from '../../src/sdk/index.ts';
import { safetyRefusals } from '../../src/plan/safety.ts';

const policy = { maxUpdateShare: 0.3, maxDeleteShare: 0.3, minExisting: 10 };
const changes = (action: ChangeAction, n: number, scope = 'zone/a.'): PlannedChange[] =>
  Array.from({ length: n }, (_, i) => ({ action, key: `${action}${i}`, type: 't', display: `${action}${i}`, scope, provider: 'r53', diffs: [], dependsOn: [] }));
const managed = (n: number, scope = 'zone/a.') => new Map([[`r53 ${scope}`, n]]);

describe('safety refusals', () => {
  const table: { name: string; changes: PlannedChange[]; managed: number; empty?: boolean; refused: RegExp[] }[] = [
    { name: '3 of 10 updated (30%) is allowed', changes: changes('update', 3), managed: 10, refused: [] },
    { name: '4 of 10 updated (40%) is refused', changes: changes('update', 4), managed: 10, refused: [/r53 zone\/a\.: too many updates, 40\.00% is over 30\.00% \(4\/10\), force required/] },
    { name: 'replaces count as updates', changes: [...changes('update', 2), ...changes('replace', 2)], managed: 10, refused: [/too many updates, 40\.00%/] },
    { name: '9 of 20 deleted (45%) is refused', changes: changes('delete', 9), managed: 20, refused: [/too many deletes, 45\.00% is over 30\.00% \(9\/20\)/] },
    { name: 'below 10 managed, thresholds do not apply', changes: changes('delete', 9), managed: 9, refused: [] },
    { name: 'creates never count', changes: changes('create', 500), managed: 10, refused: [] },
    { name: 'an empty revision never deletes', changes: changes('delete', 1), managed: 1, empty: true, refused: [/declares no resources but the plan deletes 1 object/] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const refusals = safetyRefusals({ changes: row.changes, managed: managed(row.managed), emptyRevision: row.empty ?? false, policy });
      assert.equal(refusals.length, row.refused.length, refusals.join('\n'));
      row.refused.forEach((re, i) => assert.match(refusals[i] ?? '', re));
    });
  }

  it('checks each scope on its own', () => {
    const refusals = safetyRefusals({
      changes: [...changes('delete', 5, 'zone/a.'), ...changes('delete', 1, 'zone/b.')],
      managed: new Map([['r53 zone/a.', 10], ['r53 zone/b.', 100]]), emptyRevision: false, policy,
    });
    assert.equal(refusals.length, 1);
    assert.match(refusals[0] ?? '', /zone\/a\./);
  });

  it('refuses dangerous changes', () => {
    const [c] = changes('update', 1);
    const refusals = safetyRefusals({ changes: [{ ...c!, dangerous: 'changes the apex NS of example.com.' }], managed: managed(1), emptyRevision: false, policy });
    assert.deepEqual(refusals, ['r53 update0: changes the apex NS of example.com., force required']);
  });
});
