// The planner's decision table, as data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DesiredObject, JsonValue, ObservedObject, Ownership, Resource } from '../../src/sdk/index.ts';
import { planInstance } from '../../src/plan/plan-objects.ts';

const resource = { location: { file: 'r.yaml', line: 3, column: 1 }, locate: () => ({ file: 'r.yaml', line: 7, column: 5 }) } as unknown as Resource;
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
