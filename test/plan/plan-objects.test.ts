// The planner's decision table, as data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredObject, JsonValue, ObservedObject, Ownership, Resource } from '../../src/sdk/index.ts';
import { planInstance } from '../../src/plan/plan-objects.ts';

const resource = { metadata: { name: 'r' }, location: { file: 'r.yaml', line: 3, column: 1 }, locate: () => ({ file: 'r.yaml', line: 7, column: 5 }) } as unknown as Resource;
const adopting = { ...resource, metadata: { name: 'r', annotations: { 'trueup.dev/adopt': 'true' } } } as Resource;
const desired = (key: string, value: JsonValue, extra: Partial<DesiredObject> = {}): DesiredObject =>
  ({ key, type: 't', display: key, scope: 's', value, resource, ...extra });
const observed = (key: string, value: JsonValue, ownership: Ownership = { state: 'owned' }, extra: Partial<ObservedObject> = {}): ObservedObject =>
  ({ key, type: 't', display: key, scope: 's', value, ownership, ...extra });

const plan = (d: DesiredObject[], o: ObservedObject[], adoptUnowned = false) =>
  planInstance({ instance: 'i', desired: d, observed: o, objectTypes: { t: { replaceOn: ['path'], dangerous: (c) => (c.key === 'apex-ns' ? 'changes the apex NS' : undefined) } }, adoptUnowned });

describe('planInstance decision table', () => {
  const cases: { name: string; d: DesiredObject[]; o: ObservedObject[]; adopt?: boolean; expect: string[]; conflicts?: number }[] = [
    { name: 'declared, missing → create', d: [desired('a', { x: 1 })], o: [], expect: ['create a'] },
    { name: 'declared, equal, owned → nothing', d: [desired('a', { x: 1 })], o: [observed('a', { x: 1 })], expect: [] },
    { name: 'declared, differs, owned → update', d: [desired('a', { x: 2 })], o: [observed('a', { x: 1 })], expect: ['update a'] },
    { name: 'immutable field differs → replace', d: [desired('a', { path: '/b/' })], o: [observed('a', { path: '/a/' })], expect: ['replace a'] },
    { name: 'declared, exists unowned → conflict, untouched', d: [desired('a', { x: 2 })], o: [observed('a', { x: 1 }, { state: 'unowned' })], expect: [], conflicts: 1 },
    { name: 'declared, exists unowned, adoption allowed → update', d: [desired('a', { x: 1 })], o: [observed('a', { x: 1 }, { state: 'unowned' })], adopt: true, expect: ['update a'] },
    { name: 'declared, exists unowned, trueup.dev/adopt on the resource → update', d: [desired('a', { x: 1 }, { resource: adopting })], o: [observed('a', { x: 1 }, { state: 'unowned' })], expect: ['update a'] },
    { name: 'declared, foreign owner, trueup.dev/adopt → conflict', d: [desired('a', { x: 1 }, { resource: adopting })], o: [observed('a', { x: 1 }, { state: 'foreign', owner: 'other' })], expect: [], conflicts: 1 },
    { name: 'declared, foreign owner → conflict even with adoption', d: [desired('a', { x: 1 })], o: [observed('a', { x: 1 }, { state: 'foreign', owner: 'other' })], adopt: true, expect: [], conflicts: 1 },
    { name: 'undeclared, owned → delete', d: [], o: [observed('a', { x: 1 })], expect: ['delete a'] },
    { name: 'undeclared, owned but protected → left', d: [], o: [observed('a', { x: 1 }, { state: 'owned' }, { protected: true })], expect: [] },
    { name: 'undeclared, unowned → left', d: [], o: [observed('a', { x: 1 }, { state: 'unowned' })], expect: [] },
    { name: 'undeclared, foreign → left', d: [], o: [observed('a', { x: 1 }, { state: 'foreign', owner: 'x' })], expect: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = plan(c.d, c.o, c.adopt);
      assert.deepEqual(result.changes.map((ch) => `${ch.action} ${ch.key}`), c.expect);
      assert.equal(result.conflicts.length, c.conflicts ?? 0);
    });
  }

  it('says when a change adopts, and carries what a removal also does (effects, and a refusal as dangerous)', () => {
    const adopted = plan([desired('a', { x: 1 }, { resource: adopting })], [observed('a', { x: 1 }, { state: 'unowned' })]);
    assert.deepEqual(adopted.changes[0]?.effects, ['adopts it: writes this source\'s owner mark on an object trueup did not create']);
    assert.equal(adopted.conflicts.length, 0);
    const refused = plan([], [observed('p', { x: 1 }, { state: 'owned' }, { removal: { effects: ['detaches it from role r'], refuse: 'attached to role r' } })]);
    assert.deepEqual(refused.changes.map((c) => [c.action, c.effects, c.dangerous]), [['delete', ['detaches it from role r'], 'attached to role r']]);
    const replaced = plan([desired('p', { path: '/b/' })], [observed('p', { path: '/a/' }, { state: 'owned' }, { removal: { effects: ['detaches it from role r'] } })]);
    assert.deepEqual(replaced.changes.map((c) => [c.action, c.effects, c.dangerous]), [['replace', ['detaches it from role r'], undefined]]);
    const hint = plan([desired('a', { x: 1 })], [observed('a', { x: 1 }, { state: 'unowned' })]).conflicts[0]?.reason;
    assert.match(hint ?? '', /trueup import.*trueup\.dev\/adopt: "true"/);
  });

  it('gives field-level diffs and the declaring location', () => {
    const result = plan([desired('a', { ttl: 60, values: ['1.1.1.1'], keep: true })], [observed('a', { ttl: 300, values: ['1.1.1.1'], keep: true })]);
    assert.deepEqual(result.changes[0]?.diffs, [{ path: 'ttl', before: 300, after: 60 }]);
    assert.deepEqual(result.changes[0]?.location, { file: 'r.yaml', line: 7, column: 5 });
  });

  it('marks changes the provider calls dangerous', () => {
    const result = plan([desired('apex-ns', { v: ['a.'] })], [observed('apex-ns', { v: ['b.'] })]);
    assert.equal(result.changes[0]?.dangerous, 'changes the apex NS');
  });

  it('counts owned objects per scope for thresholds', () => {
    const result = plan([], [observed('a', 1), observed('b', 1, { state: 'owned' }, { scope: 'other' }), observed('c', 1, { state: 'unowned' })]);
    assert.deepEqual([...result.ownedByScope], [['s', 1], ['other', 1]]);
  });
});
