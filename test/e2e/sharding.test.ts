// Sources spread over replicas: `trueup run --shard` processes (three, then one killed, then a
// fourth) and 30 sources, each a local folder declaring one ConfigMap in its own namespace,
// against the Kubernetes API emulator in RBAC mode (test/support/shard-cluster.ts). Each replica
// has its own token, so the emulator's request log says which replica made each write; the test
// checks, write by write, that each write to a source's namespace came from the replica holding
// that source's Lease at that moment: at every instant at most one writer per source. A second
// group of one replica loses its Lease rights mid-run: it must abort its sources by the renew
// deadline and write no more.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HOOK_SECRET, startShardCluster, type ShardCluster } from '../support/shard-cluster.ts';
import type { SourceStatus } from '../../src/controller/status.ts';
import { waitFor } from './support.ts';

const LEASE_SECONDS = 4;
const RETRY_MS = (LEASE_SECONDS * 1000) / 5;

describe('sources sharded over replicas with one Lease per source', () => {
  let c: ShardCluster;
  let stopped = false;
  before(async () => {
    c = await startShardCluster({ sources: 30, leaseSeconds: LEASE_SECONDS, replicas: ['replica-a', 'replica-b', 'replica-c', 'replica-d'] });
  });
  after(async () => {
    stopped = true;
    await c.stop();
  });

  it('three replicas share 30 sources; a killed one\'s sources move; a fourth takes some over; never two writers per source', async () => {
    const three = ['replica-a', 'replica-b', 'replica-c'];
    await Promise.all(three.map((r) => c.start(r)));
    const views = await waitFor('30 sources converged over three replicas', c.settled(three), 30_000, 250);
    const spread = c.perReplica(three);
    assert.equal(spread.reduce((a, b) => a + b, 0), 30);
    for (const n of spread) assert.ok(n >= 5 && n <= 15, `sources per replica: ${spread.join(', ')}`);

    // What a replica says: /readyz, its gauges, the JSON API; a source held elsewhere is answered by its holder.
    const a = c.daemons.get('replica-a');
    assert.ok(a);
    const readyz = await waitFor('replica-a ready', async () => {
      const res = await fetch(`${a.url}/readyz`);
      return res.status === 200 && res.text();
    }, 10_000, 250);
    assert.match(readyz, /^ready: shard member of group trueup\/trueup \(3 members\), holding \d+ of 30 sources\n$/);
    const held = c.leaseHolders();
    const mine = c.sources.filter((s) => held.get(s) === 'replica-a');
    const other = c.sources.find((s) => held.get(s) !== 'replica-a') ?? '';
    assert.deepEqual(views[0]?.held, mine);
    assert.equal(views[0]?.holders[other], held.get(other));
    // (Waited for: on a loaded machine a renewal can miss its deadline and the source is taken again.)
    await waitFor('replica-a\'s gauges', async () => {
      const metrics = await a.metrics();
      return new RegExp(`^trueup_source_lease_held\\{source="${mine[0]}"\\} 1$`, 'm').test(metrics)
        && new RegExp(`^trueup_source_lease_held\\{source="${other}"\\} 0$`, 'm').test(metrics)
        && /^trueup_shard_members 3$/m.test(metrics);
    }, 10_000, 250);
    const forwarded = await a.status(other);
    assert.equal(forwarded.name, other);
    assert.ok(forwarded.lastAppliedRevision, `${other}'s status comes from its holder ${held.get(other)}, which applied it`);

    // A webhook for every source, sent to one replica: it wakes its own and passes the signed
    // delivery to each other holder once.
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const hook = await fetch(`${a.url}/hooks/push`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-signature-256': `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}` } });
    assert.equal(hook.status, 202);
    const answer = await hook.json() as { triggered: string[]; forwarded: Record<string, string[]> };
    assert.deepEqual(answer.triggered, mine);
    assert.deepEqual(answer.forwarded, {
      'replica-b': c.sources.filter((s) => held.get(s) === 'replica-b'),
      'replica-c': c.sources.filter((s) => held.get(s) === 'replica-c'),
    });
    const b = c.daemons.get('replica-b');
    await waitFor('replica-b accepted the forwarded delivery', () => b?.logs.some((l) => l.msg === 'webhook accepted' && JSON.stringify(l.sources) === JSON.stringify(answer.forwarded['replica-b'])), 5000, 100);

    // SIGKILL one replica while every source keeps changing: its sources move once their Leases expire.
    const victim = 'replica-c';
    const orphans = c.sources.filter((s) => c.leaseHolders().get(s) === victim);
    let changing = true;
    const churn = (async () => {
      while (changing && !stopped) {
        await c.bump();
        await new Promise((r) => setTimeout(r, 700));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    await c.daemons.get(victim)?.stop('SIGKILL');
    c.daemons.delete(victim);
    const two = ['replica-a', 'replica-b'];
    // The bench measures how long (bench/sharding.ts); the bound here is generous.
    await waitFor(`${orphans.length} sources of ${victim} taken over`, () => orphans.every((s) => two.includes(c.leaseHolders().get(s) ?? '')), 4 * (LEASE_SECONDS * 1000 + RETRY_MS), 100);
    for (const s of orphans) {
      const takeover = c.holders.filter((h) => h.source === s).at(-1);
      assert.ok(takeover && takeover.at > killedAt, `${s} taken over after the kill`);
    }
    changing = false;
    await churn;
    await waitFor('converged again on two replicas', c.settled(two), 20_000, 250);

    // A fourth replica joins: sources are handed over to it (stopped, released, taken), no overlap.
    const beforeD = c.leaseHolders();
    await c.start('replica-d');
    const next = ['replica-a', 'replica-b', 'replica-d'];
    await waitFor('replica-d took sources over', () => (c.perReplica(next)[2] ?? 0) > 0 && c.sources.every((s) => next.includes(c.leaseHolders().get(s) ?? '')), 20_000, 100);
    await c.bump();
    await waitFor('converged on a, b and d', c.settled(next), 20_000, 250);
    assert.ok(c.perReplica(next).every((n) => n >= 5 && n <= 15), `sources per replica: ${c.perReplica(next).join(', ')}`);

    // A source that moved away: the old replica's status says who holds it now, and its per-source
    // gauges are gone there (a sum over replicas counts it once, at its holder).
    const moved = c.sources.filter((s) => c.leaseHolders().get(s) === 'replica-d' && ['replica-a', 'replica-b'].includes(beforeD.get(s) ?? ''));
    assert.ok(moved.length > 0, 'replica-d took sources from a or b');
    const from = beforeD.get(moved[0] ?? '') ?? '';
    const old = c.daemons.get(from);
    assert.ok(old);
    const left = moved.filter((s) => beforeD.get(s) === from);
    const stale = await waitFor(`${from}'s view of ${moved[0]} says replica-d holds it`, async () => {
      const body = (await (await fetch(`${old.url}/api/v1/sources`)).json()) as { sources: SourceStatus[] };
      const s = body.sources.find((x) => x.name === moved[0]);
      return s?.heldBy === 'replica-d' && s;
    }, 10_000, 250);
    const heldCondition = stale.conditions.find((x) => x.type === 'Held');
    assert.equal(heldCondition?.status, 'False');
    assert.equal(heldCondition?.reason, 'HeldElsewhere');
    assert.match(heldCondition?.message ?? '', new RegExp(`^reconciled by replica-d; the rest of this status is what ${from} last saw$`));
    const own = (await (await fetch(`${c.daemons.get('replica-d')?.url}/api/v1/sources`)).json()) as { sources: SourceStatus[] };
    assert.equal(own.sources.find((x) => x.name === moved[0])?.conditions.find((x) => x.type === 'Held')?.reason, 'HeldHere');
    // One source's status, asked of the old replica, is forwarded to the holder, which says it holds it.
    assert.equal((await old.status(moved[0] ?? '')).heldBy, 'replica-d');
    await waitFor(`${from}'s gauges of ${left.join(', ')} dropped`, async () => {
      const metrics = await old.metrics();
      return left.every((s) => !metrics.includes(`trueup_source_condition{source="${s}"`) && !metrics.includes(`trueup_resources_managed{source="${s}"`)
        && !metrics.includes(`trueup_last_applied_revision_info{source="${s}"`) && metrics.includes(`trueup_source_lease_held{source="${s}"} 0`));
    }, 10_000, 250);
    const ready = new RegExp(`^trueup_source_condition\\{source="${moved[0]}",condition="ready"\\} 1$`, 'm');
    await waitFor(`replica-d's gauge says ${moved[0]} is ready`, async () => ready.test(await c.daemons.get('replica-d')?.metrics() ?? ''), 10_000, 250);

    // The killed replica's membership Lease is collected by the survivors once silent for two lease durations.
    await waitFor('replica-c\'s membership lease collected', () => !c.memberLeases().includes('trueup-member-replica-c'), 4 * LEASE_SECONDS * 1000, 250);

    // A graceful stop: each replica releases the sources it holds once their work stopped, and leaves.
    const codes = await Promise.all([...c.daemons.values()].map((d) => d.stop('SIGTERM')));
    c.daemons.clear();
    assert.deepEqual(codes, [0, 0, 0]);
    assert.deepEqual(c.sources.filter((s) => c.leaseHolders().get(s) !== ''), [], 'every source lease released');
    assert.deepEqual(c.memberLeases(), [], 'every replica left the group (its membership lease deleted)');

    // Every write, checked against the Lease history: it came from the source's holder at that moment.
    const writes = c.writes();
    assert.ok(writes.length >= 90, `${writes.length} writes recorded`);
    assert.ok(writes.some((w) => w.replica === victim && orphans.includes(w.source)), `${victim} wrote its sources before it was killed`);
    for (const s of orphans) {
      assert.ok(writes.some((w) => w.source === s && w.replica !== victim && w.at > killedAt), `${s} was written by its next holder after the kill`);
    }
    const { violations, maxWriters } = c.checkWriters();
    assert.deepEqual(violations, []);
    assert.equal(maxWriters, 1);
  });
});

describe('a replica that cannot renew a source lease stops writing it before the lease can expire', () => {
  let c: ShardCluster;
  let stopped = false;
  before(async () => {
    c = await startShardCluster({ sources: 4, leaseSeconds: LEASE_SECONDS, replicas: ['solo'] });
  });
  after(async () => {
    stopped = true;
    await c.stop();
  });

  it('its Lease rights revoked mid-run, it aborts every source within 2/3 of the lease duration and writes no more', async () => {
    const solo = await c.start('solo');
    await waitFor('4 sources converged', c.settled(['solo']), 20_000, 250);
    let changing = true;
    const churn = (async () => {
      while (changing && !stopped) {
        await c.bump();
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    // RBAC now refuses every Lease request: renewals fail; the ConfigMap grant stays, so only
    // the renew deadline can stop the writes.
    await c.admin('DELETE', '/apis/rbac.authorization.k8s.io/v1/namespaces/trueup/rolebindings/trueup-leader-election');
    const lost = await waitFor('every source lost', () => {
      const entries = solo.logs.filter((l) => l.msg === 'sharding: lost the source lease; aborting its work (another replica may take it over)');
      return entries.length === 4 && entries;
    }, 4 * LEASE_SECONDS * 1000, 100);
    assert.ok(lost.every((l) => String(l.reason).startsWith('could not renew its lease for')), 'lost by the renew deadline');
    const lostAt = Math.max(...lost.map((l) => Number(l.time)));
    await new Promise((r) => setTimeout(r, 1500));
    changing = false;
    await churn;
    assert.match(await solo.metrics(), /^trueup_source_lease_held\{source="s01"\} 0$/m);
    // Aborting cancels what is in flight; after that, nothing more (the files kept changing).
    const late = c.writes().filter((w) => w.at > lostAt + 250);
    assert.deepEqual(late, [], 'no write after the sources were aborted');
    const before = c.writes().filter((w) => w.at <= lostAt);
    assert.ok(before.length >= 4, `${before.length} writes before`);
  });
});
