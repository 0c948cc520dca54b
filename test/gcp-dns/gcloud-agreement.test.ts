// What gcloud writes, trueup reads identically (import of a zone built with gcloud plans
// nothing), and what trueup writes, gcloud lists exactly as declared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { providerContext } from '../../src/engine/pipeline.ts';
import { silentLogger } from '../../src/report/log.ts';
import { scopeMatcher, type JsonObject } from '../../src/sdk/index.ts';
import { gcloudFor, type Gcloud } from './gcloud.ts';
import { changeLines, gcpHarness, gcpSettings, type Harness } from './support.ts';

const PROJECT = 'agreement-project';

interface Listed { name: string; type: string; ttl: number; rrdatas?: string[]; routingPolicy?: { wrr?: { items: { weight: number; rrdatas: string[] }[] }; geo?: { items: { location: string; rrdatas: string[] }[] } } }

let dns: CloudDnsEmulator;
let gcloud: Gcloud;
let h: Harness;

before(async () => {
  dns = await startCloudDnsEmulator();
  gcloud = await gcloudFor(dns.url, PROJECT);
  h = gcpHarness(gcpSettings(dns.url, PROJECT));
});
after(async () => {
  await h?.close();
  await gcloud?.cleanup();
  await dns?.stop();
});

describe('gcloud and trueup agree', () => {
  it('a zone built with gcloud imports into a Zone document that plans nothing', async () => {
    await gcloud.dns(['managed-zones', 'create', 'legacy', '--dns-name', 'legacy.example.', '--description', 'made by hand']);
    await gcloud.dns(['record-sets', 'create', 'www.legacy.example.', '--zone', 'legacy', '--type', 'A', '--ttl', '300', '--rrdatas', '192.0.2.2,192.0.2.1']);
    await gcloud.dns(['record-sets', 'create', 'legacy.example.', '--zone', 'legacy', '--type', 'TXT', '--ttl', '300', '--rrdatas', 'v=spf1 include:_spf.example.net ~all']);
    await gcloud.dns(['record-sets', 'create', 'legacy.example.', '--zone', 'legacy', '--type', 'MX', '--ttl', '3600', '--rrdatas', '10 mx1.legacy.example.,20 mx2.legacy.example.']);
    await gcloud.dns(['record-sets', 'create', 'lb.legacy.example.', '--zone', 'legacy', '--type', 'A', '--ttl', '60', '--routing-policy-type', 'WRR',
      '--routing-policy-item=weight=2,rrdatas=192.0.2.20', '--routing-policy-item=weight=1,rrdatas=192.0.2.21']);
    await gcloud.dns(['record-sets', 'create', 'near.legacy.example.', '--zone', 'legacy', '--type', 'A', '--ttl', '60', '--routing-policy-type', 'GEO',
      '--routing-policy-item=location=us-east1,rrdatas=192.0.2.30', '--routing-policy-item=location=europe-west1,rrdatas=192.0.2.31']);

    const entry = h.entries.get('clouddns');
    assert.ok(entry?.instance.import);
    const ctx = providerContext(entry, { log: silentLogger(), ownerId: 'test-owner' });
    const [doc] = await entry.instance.import({ selector: 'legacy.example', allowedScopes: scopeMatcher(['zone/*']) }, ctx);
    const spec = doc?.spec as { gcp: JsonObject; records: Record<string, JsonObject[]> };
    assert.deepEqual(spec.gcp, { name: 'legacy', description: 'made by hand' });
    assert.deepEqual(spec.records.www?.[0]?.values, ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(spec.records.lb?.[0]?.gcp, { routingPolicy: { wrr: [{ weight: 2, values: ['192.0.2.20'] }, { weight: 1, values: ['192.0.2.21'] }] } });
    assert.deepEqual((spec.records.near?.[0]?.gcp as JsonObject).routingPolicy, { geo: [{ location: 'europe-west1', values: ['192.0.2.31'] }, { location: 'us-east1', values: ['192.0.2.30'] }] });
    assert.deepEqual(spec.records['@']?.map((r) => r.type), ['MX', 'TXT'], 'the apex SOA and NS belong to Cloud DNS and are not imported');

    assert.deepEqual((doc?.metadata as JsonObject).annotations, { 'trueup.dev/adopt': 'true' }, 'a zone nobody labelled is imported to be adopted');
    const plan = await h.plan(stringify(doc));
    assert.deepEqual(plan.plan.conflicts, []);
    assert.deepEqual(changeLines(plan), ['update zone legacy.example.'], 'import, commit, and the plan shows only the adoption');
    await h.converge(stringify(doc));
    const described = await gcloud.json<{ labels?: Record<string, string> }>(['managed-zones', 'describe', 'legacy']);
    assert.equal(described.labels?.['trueup-owner'], 'test-owner', 'gcloud sees the owner label');
    assert.deepEqual(changeLines(await h.plan(stringify(doc))), [], 'then nothing');
  });

  it('what trueup writes, gcloud lists as declared', async () => {
    const longTxt = 'x'.repeat(600);
    await h.converge(`apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: written.example. }
spec:
  records:
    '@': [{ type: TXT, values: ["${longTxt}", "plain text"] }, { type: MX, value: "10 mail.written.example" }]
    api: [{ type: A, ttl: 60, gcp: { routingPolicy: { wrr: [{ weight: 0.5, values: [192.0.2.1] }, { weight: 1.5, values: [192.0.2.2] }] } } }]
`);
    const listed = await gcloud.json<Listed[]>(['record-sets', 'list', '--zone', 'written-example']);
    const find = (name: string, type: string) => listed.find((r) => r.name === name && r.type === type);
    assert.deepEqual(find('written.example.', 'TXT')?.rrdatas, ['"plain text"', `"${'x'.repeat(255)}" "${'x'.repeat(255)}" "${'x'.repeat(90)}"`]);
    assert.deepEqual(find('written.example.', 'MX')?.rrdatas, ['10 mail.written.example.']);
    assert.deepEqual(find('api.written.example.', 'A')?.routingPolicy?.wrr?.items.map((i) => [i.weight, i.rrdatas]), [[0.5, ['192.0.2.1']], [1.5, ['192.0.2.2']]]);
    assert.equal(find('api.written.example.', 'A')?.ttl, 60);
  });
});
