// A change request Route 53 applied whose answer was lost (the connection dropped after the
// server finished): the SDK retries it and AWS refuses the retry ("already exists", the whole
// batch). That is not 60 failures and not a bisection into 119 requests: the zone is read again,
// what is live counts as applied, and only what is really missing is sent again.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangeResourceRecordSetsCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { engine, invalidChangeBatchXml, settings, startEnv, type Env } from './support.ts';

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

const isRrsetPost = (r: { method: string; path: string }) => r.method === 'POST' && r.path.endsWith('/rrset');

/** AWS's refusal of a retried CREATE batch: one message per CREATE in the request. */
function alreadyExists(body: string): string {
  const creates = [...body.matchAll(/<Action>CREATE<\/Action><ResourceRecordSet><Name>([^<]+)<\/Name><Type>([^<]+)<\/Type>/g)];
  return invalidChangeBatchXml(creates.map((m) => `Tried to create resource record set [name='${m[1]}', type='${m[2]}'] but it already exists`));
}

const zoneDoc = (zone: string, count: number) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  records:${count === 0 ? ' {}' : ''}
${Array.from({ length: count }, (_, i) => `    host${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n')}
`;

async function liveA(zone: string): Promise<string[]> {
  const z = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.find((h) => h.Name === `${zone}.`);
  const sets = await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: z?.Id ?? '', MaxItems: 1000 }));
  return (sets.ResourceRecordSets ?? []).filter((s) => s.Type === 'A').map((s) => `${s.Name} ${(s.ResourceRecords ?? []).map((r) => r.Value).join(',')}`);
}

describe('Route 53: a lost answer is not a failure', () => {
  it('counts the records a dropped-then-refused batch already created as applied, with one re-read and no bisection', async () => {
    const zone = 'lost.example.com';
    const e = engine(settings(env.proxy.endpoint, { maxAttempts: 3 }), { scopes: [`zone/${zone}.`] });
    // The zone first (its own wave), then the records' batch loses its answer once.
    await e.converge(zoneDoc(zone, 0));
    const drop = { match: isRrsetPost, fault: 'drop' as const, times: 1 };
    const refuse = { match: (r: { method: string; path: string }) => isRrsetPost(r) && drop.times === 0, status: 400, body: (r: { body: string }) => alreadyExists(r.body), times: 1 };
    env.proxy.rules.push(drop, refuse);
    const prepared = await e.plan(zoneDoc(zone, 60));
    assert.equal(prepared.plan.changes.length, 60);
    const before = env.proxy.seen.length;
    const result = await applyPrepared(prepared);
    env.proxy.rules.splice(env.proxy.rules.indexOf(drop), 1);
    env.proxy.rules.splice(env.proxy.rules.indexOf(refuse), 1);

    assert.equal(result.failed, 0, result.reports.filter((r) => r.status === 'failed').map((r) => r.error?.message).slice(0, 3).join('\n'));
    assert.equal(result.applied, 60);
    assert.match(result.reports[0]?.detail ?? '', /found live after a refused retry/);
    const sent = env.proxy.seen.slice(before);
    assert.deepEqual(sent.filter(isRrsetPost).map((r) => (r.fault === 'drop' ? 'drop' : r.status)), ['drop', 400], 'the dropped request and its refused retry, nothing more');
    assert.equal(sent.filter((r) => r.method === 'GET' && r.path.includes('/rrset')).length, 1, 'one re-read of the zone');
    const live = await liveA(zone);
    assert.equal(live.length, 60, 'every record live, none twice');
    assert.equal(new Set(live).size, 60);
    // And the next plan is empty.
    assert.equal((await e.plan(zoneDoc(zone, 60))).plan.changes.length, 0);
  });

  it('sends again only what the re-read shows missing', async () => {
    const zone = 'half-lost.example.com';
    const e = engine(settings(env.proxy.endpoint, { maxAttempts: 2 }), { scopes: [`zone/${zone}.`] });
    await e.converge(zoneDoc(zone, 0));
    const prepared = await e.plan(zoneDoc(zone, 20));
    assert.equal(prepared.plan.changes.length, 20);
    // Half of them appear before the request lands (as if an interrupted earlier pass had
    // written them): AWS refuses the whole request.
    const z = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.find((h) => h.Name === `${zone}.`);
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: z?.Id, ChangeBatch: { Changes: Array.from({ length: 10 }, (_, i) => ({
      Action: 'CREATE' as const, ResourceRecordSet: { Name: `host${i}.${zone}.`, Type: 'A' as const, TTL: 300, ResourceRecords: [{ Value: `192.0.2.${i + 1}` }] },
    })) } }));
    const refuse = { match: isRrsetPost, status: 400, body: (r: { body: string }) => alreadyExists(r.body), times: 1 };
    env.proxy.rules.push(refuse);
    const before = env.proxy.seen.length;
    const result = await applyPrepared(prepared);
    env.proxy.rules.splice(env.proxy.rules.indexOf(refuse), 1);
    assert.equal(result.failed, 0, result.reports.filter((r) => r.status === 'failed').map((r) => r.error?.message).slice(0, 3).join('\n'));
    assert.equal(result.applied, 20);
    const posts = env.proxy.seen.slice(before).filter(isRrsetPost);
    assert.deepEqual(posts.map((r) => r.status), [400, 200], 'refused, then one request with the 10 missing');
    assert.equal((posts[1]?.body.match(/<Action>CREATE<\/Action>/g) ?? []).length, 10);
    assert.equal((await liveA(zone)).length, 20);
  });
});
