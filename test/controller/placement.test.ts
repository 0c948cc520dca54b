// Placement of sources on replicas (rendezvous hashing) and the names of the sharding Leases:
// pure functions, checked on their own.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedName, memberLeaseName, placeSources, preferredMember, sourceLeaseName } from '../../src/controller/placement.ts';

const sources = Array.from({ length: 3000 }, (_, i) => `source-${i}`);
const counts = (placement: Map<string, string>) => {
  const out = new Map<string, number>();
  for (const member of placement.values()) out.set(member, (out.get(member) ?? 0) + 1);
  return out;
};

describe('placement by rendezvous hashing', () => {
  it('spreads sources evenly: 3,000 sources on 3 replicas, each within ±10% of 1,000', () => {
    const placed = placeSources(sources, ['trueup-7c9f-a', 'trueup-7c9f-b', 'trueup-7c9f-c']);
    assert.equal(placed.size, sources.length);
    for (const [member, n] of counts(placed)) assert.ok(n >= 900 && n <= 1100, `${member} got ${n}`);
  });

  it('the same answer whatever the order the members were listed in', () => {
    const a = placeSources(sources.slice(0, 200), ['x', 'y', 'z']);
    const b = placeSources(sources.slice(0, 200), ['z', 'x', 'y']);
    assert.deepEqual([...a], [...b]);
  });

  it('30 sources on 3 replicas: loads are bounded (at most 25% over the mean), so none is left idle', () => {
    const few = Array.from({ length: 30 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
    for (const members of [['replica-a', 'replica-b', 'replica-c'], ['replica-a', 'replica-b', 'replica-c', 'replica-d'], ['a', 'b']]) {
      const n = counts(placeSources(few, members));
      assert.equal(n.size, members.length, `every one of ${members.join(', ')} gets sources`);
      for (const [member, k] of n) assert.ok(k <= Math.ceil((1.25 * 30) / members.length), `${member} got ${k}`);
    }
  });

  it('a member joining takes about a quarter, from every other member; little else moves', () => {
    const before = placeSources(sources, ['a', 'b', 'c']);
    const after = placeSources(sources, ['a', 'b', 'c', 'd']);
    const moved = sources.filter((s) => before.get(s) !== after.get(s));
    const toNew = moved.filter((s) => after.get(s) === 'd');
    assert.ok(toNew.length >= 650 && toNew.length <= 850, `${toNew.length} of 3,000 moved to the new member (a quarter is 750)`);
    assert.ok(moved.length - toNew.length <= 30, `${moved.length - toNew.length} moved between old members (bounded loads cascading)`);
    const from = counts(new Map(toNew.map((s) => [s, before.get(s) ?? ''])));
    for (const m of ['a', 'b', 'c']) assert.ok((from.get(m) ?? 0) >= 200, `${from.get(m)} taken from ${m}`);
  });

  it('a member leaving: its sources move, spread over the others; little else moves', () => {
    const before = placeSources(sources, ['a', 'b', 'c']);
    const after = placeSources(sources, ['a', 'c']);
    const orphans = sources.filter((s) => before.get(s) === 'b');
    const others = sources.filter((s) => before.get(s) !== 'b' && after.get(s) !== before.get(s));
    assert.ok(others.length <= 30, `${others.length} sources of live members moved`);
    const to = counts(new Map(orphans.map((s) => [s, after.get(s) ?? ''])));
    for (const m of ['a', 'c']) assert.ok((to.get(m) ?? 0) >= orphans.length * 0.4, `${to.get(m)} of ${orphans.length} went to ${m}`);
  });

  it('no members, no placement', () => {
    assert.equal(preferredMember('s', []), undefined);
  });
});

describe('lease names', () => {
  const dns1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it('short, valid names are kept as they are', () => {
    assert.equal(sourceLeaseName('trueup', 'team-web'), 'trueup-source-team-web');
    assert.equal(memberLeaseName('trueup', 'trueup-5d8f7-x2x9q'), 'trueup-member-trueup-5d8f7-x2x9q');
  });

  it('long or unsafe names are DNS-1123 labels of at most 63 characters, kept apart by a hash', () => {
    const long = 'a'.repeat(80);
    const names = [sourceLeaseName('trueup', long), sourceLeaseName('trueup', `${long}b`), memberLeaseName('trueup', 'Host_Name.local-1234'), boundedName('trueup', 'x--y')];
    for (const n of names) {
      assert.match(n, dns1123);
      assert.ok(n.length <= 63, `${n} is ${n.length} characters`);
    }
    assert.notEqual(names[0], names[1]);
    assert.notEqual(boundedName('t', 'A'), boundedName('t', 'a'), 'case folding does not merge names');
  });
});
