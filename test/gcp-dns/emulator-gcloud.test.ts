// The emulator agrees with Google's real client: gcloud creates and lists zones, creates,
// updates and deletes record sets (plain and routing-policy), runs a record-sets transaction,
// and sees the API's errors — all against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { gcloudFor, type Gcloud } from './gcloud.ts';

interface ListedSet { name: string; type: string; ttl: number; rrdatas?: string[]; routingPolicy?: { wrr?: { items: { weight: number; rrdatas: string[] }[] } } }

let dns: CloudDnsEmulator;
let gcloud: Gcloud;

before(async () => {
  dns = await startCloudDnsEmulator();
  gcloud = await gcloudFor(dns.url, 'gc-project');
});
after(async () => {
  await gcloud?.cleanup();
  await dns?.stop();
});

describe('Cloud DNS emulator driven by gcloud', () => {
  it('managed-zones create and list', async () => {
    await gcloud.dns(['managed-zones', 'create', 'shop', '--dns-name', 'shop.example.', '--description', 'the shop']);
    const zones = await gcloud.json<{ name: string; dnsName: string; description: string; visibility: string }[]>(['managed-zones', 'list']);
    assert.deepEqual(zones.map((z) => [z.name, z.dnsName, z.description, z.visibility]), [['shop', 'shop.example.', 'the shop', 'public']]);
    assert.equal(dns.state.zones('gc-project').length, 1);
  });

  it('record-sets create, update, list and delete, as the API stores them', async () => {
    await gcloud.dns(['record-sets', 'create', 'www.shop.example.', '--zone', 'shop', '--type', 'A', '--ttl', '300', '--rrdatas', '192.0.2.1,192.0.2.2']);
    await gcloud.dns(['record-sets', 'create', 'wrr.shop.example.', '--zone', 'shop', '--type', 'A', '--ttl', '60', '--routing-policy-type', 'WRR',
      '--routing-policy-item=weight=1,rrdatas=192.0.2.10', '--routing-policy-item=weight=3,rrdatas=192.0.2.11']);
    await gcloud.dns(['record-sets', 'update', 'www.shop.example.', '--zone', 'shop', '--type', 'A', '--ttl', '120', '--rrdatas', '192.0.2.3']);
    const listed = await gcloud.json<ListedSet[]>(['record-sets', 'list', '--zone', 'shop']);
    const www = listed.find((r) => r.name === 'www.shop.example.');
    assert.deepEqual([www?.ttl, www?.rrdatas], [120, ['192.0.2.3']]);
    const wrr = listed.find((r) => r.name === 'wrr.shop.example.');
    assert.deepEqual(wrr?.routingPolicy?.wrr?.items.map((i) => [i.weight, i.rrdatas]), [[1, ['192.0.2.10']], [3, ['192.0.2.11']]]);
    // what gcloud wrote is what the emulator holds
    assert.deepEqual(dns.state.getRrset('gc-project', 'shop', 'www.shop.example.', 'A').rrdatas, ['192.0.2.3']);
    // gcloud's update is one PATCH, its delete one DELETE
    const ops = dns.requests.map((r) => r.operation);
    assert.ok(ops.includes('resourceRecordSets.patch') && ops.includes('resourceRecordSets.create'));
    await gcloud.dns(['record-sets', 'delete', 'wrr.shop.example.', '--zone', 'shop', '--type', 'A']);
    assert.throws(() => dns.state.getRrset('gc-project', 'shop', 'wrr.shop.example.', 'A'));
  });

  it('record-sets transaction start/add/remove/execute is one atomic change (SOA serial bumped)', async () => {
    await gcloud.dns(['record-sets', 'transaction', 'start', '--zone', 'shop']);
    await gcloud.dns(['record-sets', 'transaction', 'add', '--zone', 'shop', '--name', 'mail.shop.example.', '--type', 'MX', '--ttl', '300', '10 mx1.shop.example.', '20 mx2.shop.example.']);
    await gcloud.dns(['record-sets', 'transaction', 'remove', '--zone', 'shop', '--name', 'www.shop.example.', '--type', 'A', '--ttl', '120', '192.0.2.3']);
    const before = dns.state.changes('gc-project', 'shop').length;
    await gcloud.dns(['record-sets', 'transaction', 'execute', '--zone', 'shop']);
    const changes = dns.state.changes('gc-project', 'shop');
    assert.equal(changes.length, before + 1, 'one change');
    const last = changes.at(-1);
    assert.deepEqual(last?.additions.map((r) => `${r.name} ${r.type}`).sort(), ['mail.shop.example. MX', 'shop.example. SOA']);
    assert.deepEqual(last?.deletions.map((r) => `${r.name} ${r.type}`).sort(), ['shop.example. SOA', 'www.shop.example. A']);
    const soa = dns.state.getRrset('gc-project', 'shop', 'shop.example.', 'SOA').rrdatas?.[0] ?? '';
    assert.equal(soa.split(' ')[2], '2', 'the transaction bumped the SOA serial');
    assert.deepEqual(dns.state.getRrset('gc-project', 'shop', 'mail.shop.example.', 'MX').rrdatas, ['10 mx1.shop.example.', '20 mx2.shop.example.']);
  });

  it('a stale transaction fails with the API message and changes nothing', async () => {
    await gcloud.dns(['record-sets', 'transaction', 'start', '--zone', 'shop']);
    await gcloud.dns(['record-sets', 'transaction', 'remove', '--zone', 'shop', '--name', 'mail.shop.example.', '--type', 'MX', '--ttl', '300', '10 mx1.shop.example.', '20 mx2.shop.example.']);
    await gcloud.dns(['record-sets', 'transaction', 'add', '--zone', 'shop', '--name', 'late.shop.example.', '--type', 'A', '--ttl', '300', '192.0.2.7']);
    // the record moves behind the transaction's back
    dns.state.putRrset('gc-project', 'shop', { name: 'mail.shop.example.', type: 'MX', ttl: 300, rrdatas: ['5 mx0.shop.example.'] });
    await assert.rejects(gcloud.dns(['record-sets', 'transaction', 'execute', '--zone', 'shop']), /Precondition not met for 'entity\.change\.deletions\[1\]'/);
    assert.throws(() => dns.state.getRrset('gc-project', 'shop', 'late.shop.example.', 'A'), 'nothing of the failed change applied');
  });

  it('gcloud meets the per-change rrdata quota and the delegation limit in the API\'s words', async () => {
    // two sets of 50 values of ~1,010 bytes: ~101,000 bytes in one change (one alone fits)
    // the transaction left over by the stale one above is aborted first
    await gcloud.dns(['record-sets', 'transaction', 'abort', '--zone', 'shop']).catch(() => undefined);
    const txt = (tag: string) => Array.from({ length: 50 }, (_, i) => `"${tag}${i}${'x'.repeat(240)}" "${'y'.repeat(250)}" "${'z'.repeat(250)}" "${'w'.repeat(250)}"`);
    await gcloud.dns(['record-sets', 'transaction', 'start', '--zone', 'shop']);
    for (const tag of ['a', 'b']) await gcloud.dns(['record-sets', 'transaction', 'add', '--zone', 'shop', '--name', `${tag}.big.shop.example.`, '--type', 'TXT', '--ttl', '300', ...txt(tag)]);
    await assert.rejects(gcloud.dns(['record-sets', 'transaction', 'execute', '--zone', 'shop']), /The change would exceed quota for total rrdata size per change/);
    assert.throws(() => dns.state.getRrset('gc-project', 'shop', 'a.big.shop.example.', 'TXT'), 'nothing of the refused change applied');
    await gcloud.dns(['record-sets', 'transaction', 'abort', '--zone', 'shop']);
    await gcloud.dns(['record-sets', 'create', 'a.big.shop.example.', '--zone', 'shop', '--type', 'TXT', '--ttl', '300', '--rrdatas', txt('a').join(',')]);

    const servers = (n: number) => Array.from({ length: n }, (_, i) => `ns${i}.example.net.`).join(',');
    await assert.rejects(gcloud.dns(['record-sets', 'create', 'sub.shop.example.', '--zone', 'shop', '--type', 'NS', '--ttl', '300', '--rrdatas', servers(9)]),
      /exceed quota for nameservers per delegation \(9 name servers, limit 8\)/);
    await gcloud.dns(['record-sets', 'create', 'sub.shop.example.', '--zone', 'shop', '--type', 'NS', '--ttl', '300', '--rrdatas', servers(8)]);
  });
});
