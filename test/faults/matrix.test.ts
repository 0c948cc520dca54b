// The fault matrix: each fault of the proxy (test/support/moto-proxy.ts) hits the first write of
// a 20-record zone, against Route 53 (moto) and Cloud DNS (the emulator). For each: the passes
// until a plan is empty (bounded), that no pass planned a deletion, that every record is live
// exactly once, and the time taken. The table is printed (docs/operations.md has a run's figures).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import type { PreparedPlan } from '../../src/engine/pipeline.ts';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { MotoProxy, type FaultRule, type ProxiedRequest } from '../support/moto-proxy.ts';
import { engine, errorResponseXml, settings, startEnv, type Env } from '../route53/support.ts';
import { gcpHarness, gcpSettings } from '../gcp-dns/support.ts';

type Fault = 'throttle' | '5xx' | 'reset' | 'drop' | 'hang';
const FAULTS: Fault[] = ['throttle', '5xx', 'reset', 'drop', 'hang'];
const RECORDS = 20;
const MAX_PASSES = 3;

const zoneDoc = (zone: string) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  records:
${Array.from({ length: RECORDS }, (_, i) => `    host${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n')}
`;

function rule(fault: Fault, match: (r: ProxiedRequest) => boolean, aws: boolean): FaultRule {
  switch (fault) {
    case 'throttle':
      return aws ? { match, status: 400, body: errorResponseXml('Throttling', 'Rate exceeded'), times: 1 }
        : { match, status: 429, body: JSON.stringify({ error: { code: 429, message: 'rate', errors: [{ reason: 'rateLimitExceeded' }] } }), times: 1 };
    case '5xx':
      return aws ? { match, status: 503, body: errorResponseXml('ServiceUnavailable', 'try again', 'Receiver'), times: 1 }
        : { match, status: 503, body: JSON.stringify({ error: { code: 503, message: 'backend error' } }), times: 1 };
    default:
      return { match, fault, times: 1 };
  }
}

interface Row { provider: string; fault: Fault; passes: number; deletions: number; live: number; ms: number }
const rows: Row[] = [];

/** Plan and apply until the plan is empty; counts passes and planned deletions. */
async function converge(plan: () => Promise<PreparedPlan>): Promise<{ passes: number; deletions: number }> {
  let deletions = 0;
  for (let pass = 1; pass <= MAX_PASSES + 1; pass += 1) {
    const prepared = await plan();
    assert.deepEqual(prepared.plan.errors, []);
    deletions += prepared.plan.changes.filter((c) => c.action === 'delete').length;
    if (prepared.plan.changes.length === 0) return { passes: pass - 1, deletions };
    await applyPrepared(prepared);
  }
  throw new Error(`not converged within ${MAX_PASSES} passes`);
}

describe('fault matrix', () => {
  let env: Env;
  let gcp: CloudDnsEmulator;
  const gcpProxy = new MotoProxy();
  before(async () => {
    env = await startEnv();
    gcp = await startCloudDnsEmulator({ port: 0 });
    await gcpProxy.start(gcp.url);
  });
  after(async () => {
    console.log(['| provider | fault | passes to converge | deletions | records live (of 20) | ms |', '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.provider} | ${r.fault} | ${r.passes} | ${r.deletions} | ${r.live} | ${r.ms} |`)].join('\n'));
    await gcpProxy.stop();
    await gcp?.stop();
    await env?.stop();
  });

  for (const fault of FAULTS) {
    it(`Route 53, ${fault} on the first ChangeResourceRecordSets`, async () => {
      const zone = `${fault}.faults.example.com`;
      const e = engine(settings(env.proxy.endpoint, { maxAttempts: 3, requestTimeoutMs: 500 }), { scopes: [`zone/${zone}.`] });
      await e.converge(zoneDoc(zone).replace(/records:\n[^]*$/, 'records: {}\n'));
      env.proxy.rules.push(rule(fault, (r) => r.method === 'POST' && r.path.endsWith('/rrset'), true));
      const started = Date.now();
      const { passes, deletions } = await converge(() => e.plan(zoneDoc(zone)));
      const z = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.find((h) => h.Name === `${zone}.`);
      const sets = (await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: z?.Id ?? '' }))).ResourceRecordSets ?? [];
      const live = sets.filter((s) => s.Type === 'A').flatMap((s) => s.ResourceRecords ?? []).length;
      rows.push({ provider: 'Route 53 (moto)', fault, passes, deletions, live, ms: Date.now() - started });
      assert.ok(passes <= 2, `passes ${passes}`);
      assert.equal(deletions, 0);
      assert.equal(live, RECORDS, 'every record once');
    });
  }

  for (const fault of FAULTS) {
    it(`Cloud DNS, ${fault} on the first changes.create`, async () => {
      const zone = `${fault}.faults.example.com`;
      const h = gcpHarness(gcpSettings(gcpProxy.endpoint, `faults-${fault}`, { timeoutMs: 500 }));
      await h.converge(zoneDoc(zone).replace(/records:\n[^]*$/, 'records: {}\n'));
      gcpProxy.rules.push(rule(fault, (r) => r.method === 'POST' && /\/changes(\?|$)/.test(r.path), false));
      const started = Date.now();
      const { passes, deletions } = await converge(() => h.plan(zoneDoc(zone)));
      const res = await fetch(`${gcp.url}/dns/v1/projects/faults-${fault}/managedZones`);
      const managed = ((await res.json()) as { managedZones: { name: string; dnsName: string }[] }).managedZones.find((m) => m.dnsName === `${zone}.`);
      const rr = await fetch(`${gcp.url}/dns/v1/projects/faults-${fault}/managedZones/${managed?.name}/rrsets`);
      const live = ((await rr.json()) as { rrsets: { type: string; rrdatas: string[] }[] }).rrsets.filter((s) => s.type === 'A').flatMap((s) => s.rrdatas).length;
      rows.push({ provider: 'Cloud DNS (emulator)', fault, passes, deletions, live, ms: Date.now() - started });
      assert.ok(passes <= 2, `passes ${passes}`);
      assert.equal(deletions, 0);
      assert.equal(live, RECORDS, 'every record once');
      await h.close();
    });
  }
});
