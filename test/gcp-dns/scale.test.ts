// Observe and apply at scale: every page of a zone the server pages small, changes packed up to
// 1,000 additions each, a no-op plan costs one zone list plus ⌈sets/page⌉ record set lists;
// a zone removed from Git is emptied in changes of 1,000 deletions before it is deleted; and
// `waitForDone` polls until Cloud DNS reports the change done.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { changeLines, gcpHarness, gcpSettings } from './support.ts';

const PROJECT = 'scale-project';
const zone = (count: number, offset = 0) => {
  const lines = [`apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: big.example. }\nspec:\n  records:`];
  for (let i = 0; i < count; i += 1) lines.push(`    h${i}: [{ type: A, value: 10.${(i >> 8) & 255}.${i & 255}.${1 + offset} }]`);
  return `${lines.join('\n')}\n`;
};

let dns: CloudDnsEmulator;

before(async () => {
  // the server returns at most 300 sets per page whatever the client asks (as the API may)
  dns = await startCloudDnsEmulator({ maxPageSize: 300, changeDoneAfterMs: 150 });
});
after(async () => {
  await dns?.stop();
});

describe('Cloud DNS provider at scale', () => {
  it('creates 2,300 record sets in three changes and reads every page back', async (t) => {
    const h = gcpHarness(gcpSettings(dns.url, PROJECT), { scopes: ['zone/big.example.'] });
    const t0 = performance.now();
    await h.converge(zone(2300));
    const applyMs = performance.now() - t0;
    assert.equal(h.callCount('clouddns', 'changes.create'), 3, '1,000 + 1,000 + 300 additions');
    const sizes = dns.requests.filter((r) => r.operation === 'changes.create').map((r) => (r.body as { additions: unknown[] }).additions.length);
    assert.deepEqual(sizes, [1000, 1000, 300]);
    assert.equal(dns.state.rrsets(PROJECT, 'big-example').length, 2302);

    h.resetCalls();
    const t1 = performance.now();
    const again = await h.plan(zone(2300));
    const planMs = performance.now() - t1;
    assert.deepEqual(changeLines(again), []);
    assert.equal(h.callCount('clouddns', 'resourceRecordSets.list'), Math.ceil(2302 / 300), 'every page, each once');
    assert.equal(h.callCount('clouddns', 'managedZones.list'), 1);
    t.diagnostic(`2,300 record sets: create+apply ${Math.round(applyMs)} ms, no-op plan ${Math.round(planMs)} ms with ${h.callCount('clouddns')} API calls`);

    // an update of every set packs deletions and additions: 1,000 of each per change
    h.resetCalls();
    await h.converge(zone(2300, 1));
    const updates = dns.requests.filter((r) => r.operation === 'changes.create').slice(-3).map((r) => {
      const body = r.body as { additions: unknown[]; deletions: unknown[] };
      return [body.additions.length, body.deletions.length];
    });
    assert.deepEqual(updates, [[1000, 1000], [1000, 1000], [300, 300]]);
    await h.close();
  });

  it('deletes the 2,300-set zone once removed from Git: 1,000 deletions per change, then the zone', async (t) => {
    const h = gcpHarness(gcpSettings(dns.url, PROJECT), { scopes: ['zone/big.example.', 'zone/small.example.'] });
    const keep = zone(1).replace('big.example.', 'small.example.');
    const from = dns.requests.length;
    const t0 = performance.now();
    const prepared = await h.plan(keep, { force: true });
    assert.equal(prepared.plan.summary.delete, 2301, '2,300 record sets and the zone');
    const result = await h.apply(prepared);
    const ms = performance.now() - t0;
    assert.equal(result.failed, 0);
    const writes = dns.requests.slice(from).filter((r) => r.method !== 'GET' && r.path.includes('/big-example')).map((r) => r.operation === 'changes.create'
      ? `${r.operation} -${(r.body as { deletions?: unknown[] }).deletions?.length ?? 0} +${(r.body as { additions?: unknown[] }).additions?.length ?? 0}` : r.operation);
    assert.deepEqual(writes, ['changes.create -1000 +0', 'changes.create -1000 +0', 'changes.create -300 +0', 'managedZones.delete']);
    assert.equal(dns.state.zones(PROJECT).some((z) => z.zone.name === 'big-example'), false);
    t.diagnostic(`removing a 2,300-set zone: plan + apply ${Math.round(ms)} ms, ${h.callCount('clouddns')} API calls`);
    await h.close();
  });

  it('keeps every instance on one project under one client-side rate limit', async () => {
    // two instances (two engine configs' worth) on the same project share a 5 requests/s bucket
    const a = gcpHarness(gcpSettings(dns.url, 'limited-project', { rateLimit: 5 }));
    const b = gcpHarness(gcpSettings(dns.url, 'limited-project', { rateLimit: 5 }));
    const doc = zone(2).replace('big.example.', 'limited.example.');
    await a.converge(doc); // zone list, zone create, change: 3 requests from the burst of 5
    const t0 = Date.now();
    await Promise.all([a.plan(doc), b.plan(doc), a.plan(doc), b.plan(doc)]); // 8 more requests
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 900, `11 requests at 5/s after a burst of 5 take over a second (took ${elapsed} ms)`);
    await Promise.all([a.close(), b.close()]);
  });

  it('waits for changes to be done when waitForDone is set', async () => {
    const h = gcpHarness(gcpSettings(dns.url, PROJECT, { waitForDone: true, pollIntervalMs: 25 }), { scopes: ['zone/wait.example.'] });
    const t0 = Date.now();
    await h.converge(zone(3).replace('big.example.', 'wait.example.'));
    assert.ok(Date.now() - t0 >= 140, 'apply returned only after the change was done');
    assert.ok(h.callCount('clouddns', 'changes.get') >= 2, 'polled changes.get until done');
    const id = dns.state.changes(PROJECT, 'wait-example').at(-1)?.id;
    assert.equal(id, '1');
    await h.close();
  });

  it('reports a change still pending after the wait limit as a transient failure', async () => {
    dns.state.changeDoneAfterMs = 60_000;
    const h = gcpHarness(gcpSettings(dns.url, PROJECT, { waitForDone: true, pollIntervalMs: 20, waitTimeoutMs: 100 }), { scopes: ['zone/slow.example.'] });
    const prepared = await h.plan(zone(1).replace('big.example.', 'slow.example.'));
    const result = await h.apply(prepared);
    const failed = result.reports.filter((r) => r.status === 'failed');
    assert.ok(failed.length >= 1);
    assert.match(failed[0]?.error?.message ?? '', /still pending after 100 ms/);
    assert.equal(failed[0]?.error?.transient, true);
    dns.state.changeDoneAfterMs = 0;
    await h.close();
  });
});
