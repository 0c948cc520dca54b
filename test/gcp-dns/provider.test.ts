// The Cloud DNS provider through @google-cloud/dns against the emulator, driven by the real
// engine pipeline: every supported type converges and a second plan is empty; drift made with
// gcloud shows as one update; a change rejected because the record moved is reported with the
// API's message and healed by the next pass; throttling is retried; shared zones carry registry
// records in the same change; private zones and zone settings; bad blocks point at the line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { InvalidRevisionError } from '../../src/load/issues.ts';
import { gcloudFor, type Gcloud } from './gcloud.ts';
import { changeLines, gcpHarness, gcpSettings, type Harness } from './support.ts';

const PROJECT = 'trueup-test';
const DKIM = `v=DKIM1; k=rsa; p=${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(14)}`.slice(0, 600);
const HEX = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

const everyType = (apexA = '192.0.2.1', www = 'web.example.net') => `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: example.com }
spec:
  ttl: 300
  records:
    '@':
      - { type: A, values: [${apexA}, 192.0.2.2] }
      - { type: AAAA, value: "2001:DB8:0:0::1" }
      - { type: MX, values: ["10 mail.example.com", "20 mail2.example.com."] }
      - { type: TXT, values: ["v=spf1 include:_spf.example.net ~all", "google-site-verification=abc"] }
      - { type: CAA, values: ['0 issue "letsencrypt.org"', '0 iodef "mailto:security@example.com"'] }
      - { type: HTTPS, value: '1 . alpn="h2,h3"' }
    www: [{ type: CNAME, value: ${www} }]
    _sip._tcp: [{ type: SRV, values: ["10 5 5060 sip.example.com", "20 5 5060 sip2.example.com."] }]
    sub:
      - { type: NS, values: [ns1.other.net, ns2.other.net.] }
      - { type: DS, value: "12345 13 2 ${HEX.toUpperCase()}" }
    ptr: [{ type: PTR, value: host.example.com }]
    naptr: [{ type: NAPTR, value: '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .' }]
    ssh: [{ type: SSHFP, value: "4 2 ${HEX}" }]
    _443._tcp.www: [{ type: TLSA, value: "3 1 1 ${HEX}" }]
    svc: [{ type: SVCB, value: "1 svc.example.net. port=8443" }]
    '*.dev': [{ type: A, ttl: 60, value: 192.0.2.9 }]
    dkim._domainkey: [{ type: TXT, value: "${DKIM}" }]
    wrr:
      - type: A
        ttl: 60
        gcp:
          routingPolicy:
            wrr:
              - { weight: 3, values: [192.0.2.31, 192.0.2.30] }
              - { weight: 1, values: [192.0.2.40] }
    geo:
      - type: CNAME
        ttl: 60
        gcp:
          routingPolicy:
            geoFencing: true
            geo:
              - { location: us-east1, values: [us.example.net] }
              - { location: europe-west1, values: [eu.example.net.] }
    failover:
      - type: A
        ttl: 30
        gcp:
          routingPolicy:
            healthCheck: projects/${PROJECT}/global/healthChecks/web
            primaryBackup:
              primary: { externalEndpoints: [198.51.100.1, 198.51.100.2] }
              backup: [{ location: us-east1, values: [198.51.100.10] }]
              trickleTraffic: 0.1
`;

let dns: CloudDnsEmulator;
let gcloud: Gcloud;
let h: Harness;

const harnesses: Harness[] = [];
/** A harness whose source may touch only `zone`: zones other tests left behind are out of its
 * scope (in scope, zones this owner created and no longer declares would be deleted). */
const scoped = (zone: string): Harness => {
  const made = gcpHarness(gcpSettings(dns.url, PROJECT), { scopes: [`zone/${zone}`] });
  harnesses.push(made);
  return made;
};

before(async () => {
  dns = await startCloudDnsEmulator();
  gcloud = await gcloudFor(dns.url, PROJECT);
  h = scoped('example.com.');
});
after(async () => {
  for (const made of harnesses) await made.close();
  await gcloud?.cleanup();
  await dns?.stop();
});

describe('Cloud DNS provider', () => {
  it('creates a zone with every supported type, routing policies and a 600-character TXT; a second plan is empty', async () => {
    const first = await h.plan(everyType());
    assert.deepEqual(first.plan.errors, []);
    assert.ok(first.plan.changes.every((c) => c.action === 'create'));
    assert.equal(first.plan.changes.length, 21, changeLines(first).join('\n'));
    h.resetCalls();
    await h.converge(everyType());
    assert.equal(h.callCount('clouddns', 'managedZones.create'), 1);
    assert.equal(h.callCount('clouddns', 'changes.create'), 1, 'all record sets go in one atomic change');
    const dkim = dns.state.getRrset(PROJECT, 'example-com', 'dkim._domainkey.example.com.', 'TXT').rrdatas?.[0] ?? '';
    assert.deepEqual(dkim.match(/"[^"]*"/g)?.map((s) => s.length - 2), [255, 255, 90], 'the long TXT is stored as 255-byte strings');
    assert.ok(dns.state.getRrset(PROJECT, 'example-com', 'failover.example.com.', 'A').routingPolicy?.primaryBackup);

    h.resetCalls();
    const again = await h.plan(everyType());
    assert.deepEqual(changeLines(again), [], 'after apply, nothing to do');
    assert.equal(again.plan.summary.unchanged, 21);
    assert.equal(h.callCount('clouddns'), 2, 'a no-op plan is one zone list and one record set list');
  });

  it('shows a record changed with gcloud behind its back as one update, and corrects it', async () => {
    await gcloud.dns(['record-sets', 'update', 'example.com.', '--zone', 'example-com', '--type', 'A', '--ttl', '300', '--rrdatas', '192.0.2.1,192.0.2.77']);
    const drifted = await h.plan(everyType());
    assert.deepEqual(changeLines(drifted), ['update example.com. A']);
    assert.deepEqual(drifted.plan.changes[0]?.diffs, [{ path: 'values', before: ['192.0.2.1', '192.0.2.77'], after: ['192.0.2.1', '192.0.2.2'] }]);
    await h.converge(everyType());
    assert.deepEqual(changeLines(await h.plan(everyType())), []);
  });

  it('reports a change rejected because the record moved with the API message, and the next pass heals', async () => {
    const prepared = await h.plan(everyType('192.0.2.1', 'web2.example.net'));
    assert.deepEqual(changeLines(prepared), ['update www.example.com. CNAME']);
    // between plan and apply, someone moves the record
    await gcloud.dns(['record-sets', 'update', 'www.example.com.', '--zone', 'example-com', '--type', 'CNAME', '--ttl', '300', '--rrdatas', 'elsewhere.example.net.']);
    const result = await h.apply(prepared);
    assert.equal(result.failed, 1);
    const error = result.reports[0]?.error;
    assert.match(error?.message ?? '', /www\.example\.com\. CNAME: changes\.create: Precondition not met for 'entity\.change\.deletions\[0\]'/);
    assert.equal(error?.transient, true, 'the next pass re-reads the zone');
    assert.equal(dns.state.getRrset(PROJECT, 'example-com', 'www.example.com.', 'CNAME').rrdatas?.[0], 'elsewhere.example.net.', 'nothing applied');
    await h.converge(everyType('192.0.2.1', 'web2.example.net'));
    assert.equal(dns.state.getRrset(PROJECT, 'example-com', 'www.example.com.', 'CNAME').rrdatas?.[0], 'web2.example.net.');
    assert.deepEqual(changeLines(await h.plan(everyType('192.0.2.1', 'web2.example.net'))), []);
  });

  it('retries throttling (429 rateLimitExceeded) and 5xx with backoff, and counts each attempt', async () => {
    dns.injectFaults({ status: 429, count: 2, operation: 'changes.create' }, { status: 503, operation: 'resourceRecordSets.list' });
    h.resetCalls();
    await h.converge(everyType('192.0.2.5', 'web2.example.net'));
    assert.equal(h.calls.get('clouddns changes.create throttled'), 2);
    assert.equal(h.calls.get('clouddns changes.create ok'), 1);
    assert.equal(h.calls.get('clouddns resourceRecordSets.list error'), 1);
    assert.equal(dns.state.getRrset(PROJECT, 'example-com', 'example.com.', 'A').rrdatas?.includes('192.0.2.5'), true);
  });

  it('isolates the record set the API rejects and applies the rest of the batch', async () => {
    const h = scoped('batch.example.');
    const zone = (location: string) => `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: batch.example. }
spec:
  records:
    a: [{ type: A, value: 192.0.2.1 }]
    b: [{ type: A, value: 192.0.2.2 }]
    c: [{ type: A, gcp: { routingPolicy: { geo: [{ location: ${location}, values: [192.0.2.3] }] } } }]
    d: [{ type: A, value: 192.0.2.4 }]
`;
    await h.converge(zone('us-east1').replace(/ {4}[bcd]:.*\n/g, ''));
    const prepared = await h.plan(zone('atlantis-north1'));
    const result = await h.apply(prepared);
    const failed = result.reports.filter((r) => r.status === 'failed');
    assert.deepEqual(failed.map((r) => r.change.display), ['c.batch.example. A']);
    assert.match(failed[0]?.error?.message ?? '', /atlantis-north1.*not a Google Cloud region/);
    assert.equal(failed[0]?.error?.transient, false);
    assert.deepEqual(dns.state.rrsets(PROJECT, 'batch-example').map((r) => r.name).filter((n) => n !== 'batch.example.'), ['a.batch.example.', 'b.batch.example.', 'd.batch.example.']);
  });

  it('swaps a CNAME for an A record at the same name in one atomic change', async () => {
    const h = scoped('swap.example.');
    const zone = (set: string) => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: swap.example. }\nspec:\n  records:\n    app: [${set}]\n`;
    await h.converge(zone('{ type: CNAME, value: lb.example.net }'));
    const before = dns.state.changes(PROJECT, 'swap-example').length;
    const plan = await h.plan(zone('{ type: A, value: 192.0.2.80 }'));
    assert.deepEqual(changeLines(plan).sort(), ['create app.swap.example. A', 'delete app.swap.example. CNAME']);
    await h.converge(zone('{ type: A, value: 192.0.2.80 }'));
    const changes = dns.state.changes(PROJECT, 'swap-example');
    assert.equal(changes.length, before + 1, 'one change: a CNAME cannot sit beside the A, so both go together');
    assert.deepEqual(changes.at(-1)?.deletions.map((r) => r.type), ['CNAME']);
    assert.deepEqual(changes.at(-1)?.additions.map((r) => r.type), ['A']);
  });

  it('in a full zone deletes unknown records only within the thresholds, and an apex NS change needs force', async () => {
    const h = scoped('full.example.');
    const zone = (extra = '') => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: full.example. }\nspec:\n  records:\n    a: [{ type: A, value: 192.0.2.1 }]\n    b: [{ type: A, value: 192.0.2.2 }]\n    c: [{ type: A, value: 192.0.2.3 }]\n${extra}`;
    await h.converge(zone());
    for (const n of ['x', 'y']) dns.state.putRrset(PROJECT, 'full-example', { name: `${n}.full.example.`, type: 'TXT', ttl: 300, rrdatas: ['"by hand"'] });
    const safety = { maxDeleteShare: 0.2, minExisting: 1 };
    const refused = await h.plan(zone(), { safety, force: false });
    assert.deepEqual(changeLines(refused).sort(), ['delete x.full.example. TXT', 'delete y.full.example. TXT']);
    assert.equal(refused.plan.refusals.length, 1);
    assert.match(refused.plan.refusals[0] ?? '', /zone\/full\.example\.: too many deletes/);
    await assert.rejects(h.apply(refused), /refused by safety rules/);
    const apexNs = '    "@": [{ type: NS, values: [ns1.elsewhere.net., ns2.elsewhere.net.] }]\n';
    const ns = await h.plan(zone(apexNs), { force: false, safety: { minExisting: 1000 } });
    assert.ok(ns.plan.refusals.some((r) => /apex NS records of full\.example\. changes the zone's delegation/.test(r)), ns.plan.refusals.join('\n'));
    await h.converge(zone());
    assert.throws(() => dns.state.getRrset(PROJECT, 'full-example', 'x.full.example.', 'TXT'), 'forced, the unknown records are deleted');
    assert.equal(dns.state.getRrset(PROJECT, 'full-example', 'full.example.', 'NS').rrdatas?.length, 4, 'the apex NS is never deleted');
  });

  it('in a shared zone writes registry records in the same change and leaves foreign records alone', async () => {
    const h = scoped('shared.example.');
    const shared = (ip: string) => `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: shared.example. }
spec:
  management: shared
  records:
    app: [{ type: A, value: ${ip} }]
`;
    await h.converge(shared('192.0.2.1').replace('    app: [{ type: A, value: 192.0.2.1 }]\n', '    placeholder: [{ type: TXT, value: x }]\n'));
    dns.state.putRrset(PROJECT, 'shared-example', { name: 'legacy.shared.example.', type: 'A', ttl: 300, rrdatas: ['203.0.113.1'] });
    await h.converge(shared('192.0.2.1'));
    const last = dns.state.changes(PROJECT, 'shared-example').at(-1);
    assert.deepEqual(last?.additions.map((r) => `${r.name} ${r.type}`).sort(), ['_trueup.a.app.shared.example. TXT', 'app.shared.example. A']);
    assert.deepEqual(last?.deletions.map((r) => `${r.name} ${r.type}`).sort(), ['_trueup.txt.placeholder.shared.example. TXT', 'placeholder.shared.example. TXT']);
    const plan = await h.plan(shared('192.0.2.1'));
    assert.deepEqual(changeLines(plan), [], 'registry records are not objects of their own, the foreign record is not ours');
    assert.deepEqual(dns.state.getRrset(PROJECT, 'shared-example', 'legacy.shared.example.', 'A').rrdatas, ['203.0.113.1']);
    // another owner's trueup takes over neither the zone (labelled ours) nor the record
    const other = await h.plan(shared('192.0.2.99'), { ownerId: 'someone-else' });
    assert.deepEqual(other.plan.conflicts.map((c) => c.display), ['app.shared.example. A', 'zone shared.example.']);
  });

  it('creates private zones with networks and internal load balancer targets, and patches the zone description', async () => {
    const h = scoped('internal.example.');
    const zone = (description: string) => `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: internal.example. }
spec:
  gcp: { visibility: private, networks: [default, projects/${PROJECT}/global/networks/prod], description: ${description} }
  records:
    db: [{ type: A, value: 10.0.0.5 }]
    ilb:
      - type: A
        gcp:
          routingPolicy:
            primaryBackup:
              primary:
                internalLoadBalancers:
                  - ipAddress: 10.0.0.10
                    port: 443
                    ipProtocol: TCP
                    networkUrl: https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default
                    project: ${PROJECT}
                    region: us-east1
                    loadBalancerType: regionalL4ilb
              backup: [{ location: us-east1, values: [10.0.1.10] }]
`;
    await h.converge(zone('first'));
    const ilb = dns.state.getRrset(PROJECT, 'internal-example', 'ilb.internal.example.', 'A').routingPolicy?.primaryBackup as { primaryTargets: { internalLoadBalancers: { port: string; ipProtocol: string }[] } };
    assert.deepEqual([ilb.primaryTargets.internalLoadBalancers[0]?.port, ilb.primaryTargets.internalLoadBalancers[0]?.ipProtocol], ['443', 'tcp']);
    const live = dns.state.zone(PROJECT, 'internal-example').zone;
    assert.equal(live.visibility, 'private');
    assert.deepEqual(live.networks, [
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/default`,
      `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/prod`,
    ]);
    assert.equal(live.labels['trueup-owner'], 'test-owner');
    const changed = await h.plan(zone('second'));
    assert.deepEqual(changeLines(changed), ['update zone internal.example.']);
    await h.converge(zone('second'));
    assert.equal(dns.state.zone(PROJECT, 'internal-example').zone.description, 'second');
    assert.deepEqual(changeLines(await h.plan(zone('second'))), []);
  });

  it('explains a managed zone name clash and takes an explicit gcp.name', async () => {
    const h = scoped('example-com.');
    // example-com. and example.com. both default to the managed zone name example-com
    const zone = (gcp: string) => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example-com. }\nspec:\n  ${gcp}\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n`;
    const clash = await h.plan(zone(''));
    const result = await h.apply(clash);
    const zoneReport = result.reports.find((r) => r.change.display === 'zone example-com.');
    assert.match(zoneReport?.error?.message ?? '', /a managed zone named example-com already exists .* spec\.gcp\.name/);
    assert.equal(result.reports.find((r) => r.change.display === 'www.example-com. A')?.status, 'skipped', 'records wait for their zone');
    await h.converge(zone('gcp: { name: example-dash-com }'));
    assert.equal(dns.state.zone(PROJECT, 'example-dash-com').zone.dnsName, 'example-com.');
    assert.deepEqual(changeLines(await h.plan(zone('gcp: { name: example-dash-com }'))), []);
    const wrong = await h.plan(zone('gcp: { name: example-com }'));
    assert.match(wrong.plan.errors[0]?.message ?? '', /managed zone example-com \(spec\.gcp\.name\) serves example\.com\., not example-com\./);
  });

  it('rejects a bad gcp block with file, line and field, before any API call', async () => {
    const h = scoped('bad.example.');
    const bad = `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: bad.example. }
spec:
  records:
    w:
      - type: A
        gcp:
          routingPolicy:
            wrr: [{ weight: -1, values: [192.0.2.1] }]
---
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: bad.example. }
spec:
  records:
    t:
      - type: TXT
        gcp: { routingPolicy: { primaryBackup: { primary: { externalEndpoints: [192.0.2.1] }, backup: [{ location: us-east1, values: [x] }] } } }
`;
    h.resetCalls();
    await assert.rejects(h.plan(bad), (error: unknown) => {
      assert.ok(error instanceof InvalidRevisionError);
      const text = error.issues.map((i) => `${i.file}:${i.line} ${i.field}: ${i.message}`).join('\n');
      assert.match(text, /zones\.yaml:10 spec\.records\.w\[0\]\.gcp\.routingPolicy\.wrr\[0\]\.weight: weight is a non-negative number/);
      assert.match(text, /zones\.yaml:19 spec\.records\.t\[0\]\.gcp\.routingPolicy\.primaryBackup.*only for A and AAAA/);
      return true;
    });
    assert.equal(h.callCount('clouddns'), 0);
  });
});
