// One Zone document served by Route 53 (moto) and Cloud DNS (the emulator) at once
// (`metadata.provider: [route53, clouddns]`): one preparePlan/applyPrepared converges both, and
// a second plan is empty on both. Each provider reads its own block and ignores the other's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import type { ProviderDefinition } from '../../src/sdk/index.ts';
import gcpProvider from '../../providers/gcp-dns/index.ts';
import route53Provider from '../../providers/aws-route53/index.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import { changeLines, gcpSettings, harness, type Harness } from './support.ts';

for (const [k, v] of Object.entries(MOTO_ENV)) process.env[k] ??= v;

const PROJECT = 'multi-project';
const zone = (apex: string) => `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata:
  name: multi.example.
  provider: [route53, clouddns]
spec:
  ttl: 600
  gcp: { description: served twice }
  records:
    '@':
      - { type: A, values: [${apex}, 192.0.2.2] }
      - { type: MX, value: "10 mail.multi.example" }
      - { type: TXT, value: "${'k'.repeat(600)}" }
    www: [{ type: CNAME, value: multi.example. }]
    _sip._tcp: [{ type: SRV, value: "10 5 5060 sip.multi.example" }]
    api:
      # Route 53 serves the plain values; Cloud DNS serves its weighted policy
      - type: A
        values: [192.0.2.50]
        gcp: { routingPolicy: { wrr: [{ weight: 1, values: [192.0.2.50] }, { weight: 1, values: [192.0.2.51] }] } }
`;

let moto: Moto;
let dns: CloudDnsEmulator;
let h: Harness;

before(async () => {
  [moto, dns] = await Promise.all([startMoto(), startCloudDnsEmulator()]);
  h = harness([
    { name: 'route53', provider: route53Provider as ProviderDefinition, settings: route53Provider.settings.parse({ endpoint: moto.endpoint, rateLimit: 1000 }) },
    { name: 'clouddns', provider: gcpProvider as ProviderDefinition, settings: gcpSettings(dns.url, PROJECT) },
  ]);
});
after(async () => {
  await h?.close();
  await Promise.all([moto?.stop(), dns?.stop()]);
});

describe('one Zone on Route 53 and Cloud DNS', () => {
  it('converges on both in one apply, and a second plan is empty on both', async () => {
    const first = await h.plan(zone('192.0.2.1'));
    const byProvider = (p: string) => first.plan.changes.filter((c) => c.provider === p).length;
    assert.equal(byProvider('route53'), 7, changeLines(first).join('\n'));
    assert.equal(byProvider('clouddns'), 7, changeLines(first).join('\n'));
    await h.converge(zone('192.0.2.1'));
    const again = await h.plan(zone('192.0.2.1'));
    assert.deepEqual(again.plan.errors, []);
    assert.deepEqual(changeLines(again), [], 'nothing left to do on either provider');

    // what each serves
    const gcpApi = dns.state.getRrset(PROJECT, 'multi-example', 'api.multi.example.', 'A');
    assert.equal((gcpApi.routingPolicy?.wrr as { items: unknown[] } | undefined)?.items.length, 2);
    assert.equal(dns.state.zone(PROJECT, 'multi-example').zone.description, 'served twice');

    // a change in Git reaches both
    const changed = await h.plan(zone('192.0.2.3'));
    assert.deepEqual(changeLines(changed).sort(), ['update multi.example. A', 'update multi.example. A']);
    assert.deepEqual([...new Set(changed.plan.changes.map((c) => c.provider))].sort(), ['clouddns', 'route53']);
    await h.converge(zone('192.0.2.3'));
    assert.deepEqual(changeLines(await h.plan(zone('192.0.2.3'))), []);
    assert.deepEqual(dns.state.getRrset(PROJECT, 'multi-example', 'multi.example.', 'A').rrdatas, ['192.0.2.2', '192.0.2.3']);
  });
});
