// A batch with bad changes: the good ones apply, each bad one is reported with the API's message.
// AWS's documented InvalidChangeBatch reply comes from a wire-level proxy in front of moto, for a
// conflict moto does not detect (a CNAME beside an existing record; moto accepts it, and also
// accepts DELETEs of records that are gone). Plus throttling classified as transient.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { changeLines, engine, errorResponseXml, invalidChangeBatchXml, settings, startEnv, type Env } from './support.ts';

let env: Env;
before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

async function live(zone: string) {
  const z = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.find((h) => h.Name === `${zone}.`);
  const sets = await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: z?.Id ?? '' }));
  return { id: z?.Id ?? '', sets: sets.ResourceRecordSets ?? [] };
}

const zoneDoc = (zone: string, records: string, extra = '') => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  management: shared
${extra}
  records:
${records}
`;

void describe('a batch with an invalid change', () => {
  const conflictMessage = (zone: string) => `RRSet of type CNAME with DNS name www.${zone}. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone ${zone}.`;

  async function setup(zone: string) {
    const created = await env.client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${zone}-${Date.now()}` }));
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: created.HostedZone?.Id, ChangeBatch: { Changes: [
      { Action: 'CREATE', ResourceRecordSet: { Name: `www.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '198.51.100.1' }] } },
    ] } }));
    // AWS refuses any request that adds a CNAME at www (moto does not): answer as AWS documents.
    env.proxy.rules.push({
      match: (r) => r.method === 'POST' && r.path.endsWith('/rrset') && r.body.includes(`<Name>www.${zone}.</Name><Type>CNAME</Type>`),
      status: 400, body: invalidChangeBatchXml([conflictMessage(zone)]),
    });
  }

  const records = Array.from({ length: 7 }, (_, i) => `    host${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n') + '\n    www: [{ type: CNAME, value: web.example.net }]';

  void it('applies the valid changes and reports the invalid one with the API message', async () => {
    const zone = 'reject.example.com';
    await setup(zone);
    const e = engine(settings(env.proxy.endpoint), { scopes: [`zone/${zone}.`] });
    const before = env.proxy.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/rrset')).length;
    const prepared = await e.plan(zoneDoc(zone, records));
    assert.equal(prepared.plan.changes.length, 8);
    const result = await applyPrepared(prepared);
    const failed = result.reports.filter((r) => r.status === 'failed');
    assert.deepEqual(failed.map((r) => r.change.display), [`www.${zone}. CNAME`]);
    assert.equal(failed[0]?.error?.transient, false);
    assert.equal(failed[0]?.error?.message, `www.${zone}. CNAME: ChangeResourceRecordSets: InvalidChangeBatch: ${conflictMessage(zone)}`);
    assert.equal(result.applied, 7);
    const sets = (await live(zone)).sets;
    for (let i = 0; i < 7; i += 1) assert.ok(sets.some((s) => s.Name === `host${i}.${zone}.`), `host${i} applied`);
    assert.ok(sets.some((s) => s.Name === `www.${zone}.` && s.Type === 'A'), 'the existing record is untouched');
    const requests = env.proxy.seen.filter((r) => r.method === 'POST' && r.path.endsWith('/rrset')).length - before;
    assert.ok(requests <= 7, `isolating one bad change among 8 took ${requests} requests`);
    // The next plan shows only what is still wrong.
    assert.deepEqual(changeLines(await e.plan(zoneDoc(zone, records))), [`create www.${zone}. CNAME`]);
  });

  void it('with allOrNothing, applies nothing of a rejected batch', async () => {
    const zone = 'atomic.example.com';
    await setup(zone);
    const e = engine(settings(env.proxy.endpoint), { scopes: [`zone/${zone}.`] });
    const result = await applyPrepared(await e.plan(zoneDoc(zone, records, '  route53: { allOrNothing: true }')));
    assert.equal(result.failed, 8);
    assert.equal(result.applied, 0);
    assert.equal((await live(zone)).sets.filter((s) => s.Name?.startsWith('host')).length, 0);
  });
});

void describe('throttling', () => {
  void it('is reported as transient, in observe and in apply, and the next pass converges', async () => {
    const zone = 'throttle.example.com';
    const e = engine(settings(env.proxy.endpoint, { maxAttempts: 2 }), { scopes: [`zone/${zone}.`] });
    const doc = zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.1 }]').replace('shared', 'full');
    env.proxy.rules.push({ match: (r) => r.method === 'GET' && r.path.startsWith('/2013-04-01/hostedzone'), status: 400, body: errorResponseXml('Throttling', 'Rate exceeded'), times: 2 });
    const throttled = await e.plan(doc);
    assert.equal(throttled.plan.errors.length, 1);
    assert.equal(throttled.plan.errors[0]?.transient, true);
    assert.match(throttled.plan.errors[0]?.message ?? '', /ListHostedZones: Throttling: Rate exceeded/);
    assert.deepEqual(e.apiCalls.slice(0, 2), ['ListHostedZones throttled', 'ListHostedZones throttled'], 'each attempt reaches the metrics hook');
    await e.converge(doc);
    env.proxy.rules.push({ match: (r) => r.method === 'POST' && r.path.endsWith('/rrset'), status: 400, body: errorResponseXml('PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.'), times: 2 });
    const update = await e.plan(doc.replace('192.0.2.1', '192.0.2.2'));
    const result = await applyPrepared(update);
    assert.equal(result.failed, 1);
    assert.equal(result.reports[0]?.error?.transient, true, 'not isolated as a rejection: retried next pass');
    await e.converge(doc.replace('192.0.2.1', '192.0.2.2'));
    assert.deepEqual(changeLines(await e.plan(doc.replace('192.0.2.1', '192.0.2.2'))), []);
  });
});

void describe('waiting for INSYNC', () => {
  void it('reports changes still PENDING after the timeout as transient failures, naming the change', async () => {
    const zone = 'pending.example.com';
    env.proxy.rules.push({
      match: (r) => r.method === 'GET' && r.path.includes('/change/'),
      status: 200,
      body: `<?xml version="1.0"?>\n<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C2PENDING</Id><Status>PENDING</Status><SubmittedAt>2026-11-22T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`,
    });
    const e = engine(settings(env.proxy.endpoint, { waitForSync: true, syncTimeoutSeconds: 0.2, syncPollMs: 50 }), { scopes: [`zone/${zone}.`] });
    const result = await applyPrepared(await e.plan(zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.1 }]').replace('shared', 'full')));
    const record = result.reports.find((r) => r.change.display === `www.${zone}. A`);
    assert.equal(record?.status, 'failed');
    assert.equal(record?.error?.transient, true);
    assert.match(record?.error?.message ?? '', /change \/change\/\w+ applied but still PENDING after 0.2s/);
    assert.ok(e.apiCalls.filter((c) => c === 'GetChange ok').length >= 2, 'polled more than once');
    // It was applied: the next plan has nothing to do.
    assert.deepEqual(changeLines(await e.plan(zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.1 }]').replace('shared', 'full'))), []);
  });
});
