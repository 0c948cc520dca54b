// Managed zones follow their owner labels, as Route 53 hosted zones follow their tags: a zone
// made by hand is used but never deleted; a zone labelled by another owner is a conflict and its
// records are only ours through registry marks; a zone trueup created and then removed from Git
// is deleted with force, its record sets first (Cloud DNS refuses to delete a non-empty zone).
// Everything goes through @google-cloud/dns against the emulator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DNS } from '@google-cloud/dns';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { changeLines, gcpHarness, gcpSettings, type Harness } from './support.ts';

const PROJECT = 'ownership-project';
const zoneDoc = (name: string, records: string, spec = '') => `---
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${name} }
spec:
${spec}  records:
${records}`;

let dns: CloudDnsEmulator;
let library: DNS;
const harnesses: Harness[] = [];
const engine = (zones: string[]): Harness => {
  const h = gcpHarness(gcpSettings(dns.url, PROJECT), { scopes: zones.map((z) => `zone/${z}`) });
  harnesses.push(h);
  return h;
};
const rrsetNames = (zone: string) => dns.state.rrsets(PROJECT, zone).map((r) => `${r.name} ${r.type}`);
const zoneExists = (zone: string) => dns.state.zones(PROJECT).some((z) => z.zone.name === zone);

/** @google-cloud/dns pointed at the emulator the way a person's script would be. */
async function libraryFor(url: string): Promise<DNS> {
  const { DNS: Dns } = await import('@google-cloud/dns');
  const { OAuth2Client } = await import('google-auth-library');
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'test', expiry_date: Date.now() + 3600_000 });
  const host = new URL(url).host;
  return new Dns({
    projectId: PROJECT, apiEndpoint: host, authClient: auth,
    interceptors_: [{ request: (o: Record<string, unknown>) => ({ ...o, maxRetries: 0, uri: String(o.uri).replace(`https://${host}/`, `http://${host}/`) }) }],
  } as unknown as ConstructorParameters<typeof Dns>[0]);
}

before(async () => {
  dns = await startCloudDnsEmulator();
  library = await libraryFor(dns.url);
});
after(async () => {
  for (const h of harnesses) await h.close();
  await dns?.stop();
});

describe('Cloud DNS zone ownership', () => {
  it('refuses to delete a zone that still holds record sets (400 containerNotEmpty), through @google-cloud/dns', async () => {
    const [zone] = await library.createZone('busy-example', { dnsName: 'busy.example.' });
    await zone.createChange({ add: zone.record('a', { name: 'x.busy.example.', ttl: 300, data: '192.0.2.1' }) });
    await assert.rejects(zone.delete(), (error: { code?: number; errors?: { reason?: string }[]; message?: string }) => {
      assert.equal(error.code, 400);
      assert.equal(error.errors?.[0]?.reason, 'containerNotEmpty');
      assert.match(error.message ?? '', /busy-example.*not empty/);
      return true;
    });
    assert.ok(zoneExists('busy-example'), 'nothing deleted');
    await zone.createChange({ delete: zone.record('a', { name: 'x.busy.example.', ttl: 300, data: '192.0.2.1' }) });
    await zone.delete();
    assert.equal(zoneExists('busy-example'), false, 'with only the apex SOA and NS left it is deleted');
  });

  it('reads a zone made by hand as shared until adopted, never labels it, and never deletes it when its Zone leaves Git', async () => {
    await library.createZone('hand-example', { dnsName: 'hand.example.', description: 'made by hand' });
    const h = engine(['hand.example.', 'keep.example.']);
    const keep = zoneDoc('keep.example.', '    www: [{ type: A, value: 192.0.2.9 }]\n');
    const declared = zoneDoc('hand.example.', '    www: [{ type: A, value: 192.0.2.1 }]\n') + keep;
    const first = await h.plan(declared);
    assert.deepEqual(changeLines(first).sort(), ['create www.hand.example. A', 'create www.keep.example. A', 'create zone keep.example.'],
      'the hand-made zone is not created again');
    assert.deepEqual(first.plan.conflicts.map((c) => c.display), ['zone hand.example.'], 'the plan says how to adopt it');
    assert.match(first.plan.conflicts[0]?.reason ?? '', /no trueup-owner label.*read as a shared zone.*trueup\.dev\/adopt.*trueup import --provider clouddns hand-example/);
    assert.equal((await applyPrepared(first)).failed, 0);
    assert.deepEqual(dns.state.zone(PROJECT, 'hand-example').zone.labels, {}, 'a zone trueup did not create is never labelled');
    assert.ok(rrsetNames('hand-example').includes('_trueup.a.www.hand.example. TXT'), 'the record it created carries a registry mark');
    assert.deepEqual(changeLines(await h.plan(declared)), []);

    const removed = await h.plan(keep, { force: false });
    assert.deepEqual(changeLines(removed), ['delete www.hand.example. A'], 'only the record its registry mark proves ours; never the zone');
    assert.deepEqual(removed.plan.refusals, []);
    await h.converge(keep);
    assert.ok(zoneExists('hand-example'));
  });

  it('treats a zone labelled by another owner as a conflict: records only through registry marks, nothing deleted', async () => {
    const [zone] = await library.createZone('other-example', {
      dnsName: 'other.example.', labels: { 'managed-by': 'trueup', 'trueup-owner': 'other-team', 'trueup-management': 'full' },
    } as unknown as Parameters<DNS['createZone']>[1]);
    await zone.createChange({ add: zone.record('a', { name: 'theirs.other.example.', ttl: 300, data: '198.51.100.1' }) });
    const h = engine(['other.example.', 'keep.example.']);
    const keep = zoneDoc('keep.example.', '    www: [{ type: A, value: 192.0.2.9 }]\n');
    // Git says full, but the zone is another owner's: its unmarked records are not ours to delete
    const declared = zoneDoc('other.example.', '    mine: [{ type: A, value: 192.0.2.5 }]\n    theirs: [{ type: A, value: 192.0.2.6 }]\n', '  management: full\n') + keep;
    const plan = await h.plan(declared);
    assert.deepEqual(plan.plan.conflicts.map((c) => `${c.display}: ${c.reason}`), [
      'theirs.other.example. A: exists but carries no trueup owner mark; import it (trueup import) or allow adoption (safety.adoptUnowned) to manage it, or adopt this one with the annotation trueup.dev/adopt: "true" on its resource',
      'zone other.example.: exists and is owned by "other-team"; trueup never takes over another owner\'s object',
    ]);
    assert.deepEqual(changeLines(plan).filter((l) => l.includes('other.example.')), ['create mine.other.example. A'],
      'a new record is created, marked as ours by a registry record');
    const result = await applyPrepared(plan);
    assert.equal(result.failed, 0);
    assert.ok(rrsetNames('other-example').includes('_trueup.a.mine.other.example. TXT'));
    assert.equal(dns.state.zone(PROJECT, 'other-example').zone.labels['trueup-owner'], 'other-team', 'the zone is not relabelled');

    const removed = await h.plan(keep, { force: true });
    assert.deepEqual(changeLines(removed), ['delete mine.other.example. A'], 'only the record our registry mark proves ours; never the zone');
    await applyPrepared(removed);
    assert.ok(zoneExists('other-example'));
    assert.deepEqual(rrsetNames('other-example'), ['other.example. NS', 'other.example. SOA', 'theirs.other.example. A']);
  });

  it('deletes a zone it created once removed from Git: refused without force, with force records first, then the zone', async () => {
    const h = engine(['gone.example.', 'keep.example.']);
    const keep = zoneDoc('keep.example.', '    www: [{ type: A, value: 192.0.2.9 }]\n');
    const gone = zoneDoc('gone.example.', '    www: [{ type: A, value: 192.0.2.1 }]\n    mail: [{ type: MX, value: "10 mx.gone.example." }]\n');
    await h.converge(gone + keep);
    const labels = dns.state.zone(PROJECT, 'gone-example').zone.labels;
    assert.deepEqual(labels, { 'managed-by': 'trueup', 'trueup-owner': 'test-owner', 'trueup-management': 'full' });
    // a record added by hand in a full zone is ours too (the label says full): it goes with the zone
    dns.state.putRrset(PROJECT, 'gone-example', { name: 'stray.gone.example.', type: 'TXT', ttl: 300, rrdatas: ['"by hand"'] });

    const refused = await h.plan(keep, { force: false, safety: { minExisting: 1 } });
    assert.deepEqual(changeLines(refused), [
      'delete mail.gone.example. MX', 'delete stray.gone.example. TXT', 'delete www.gone.example. A', 'delete zone gone.example.',
    ], 'records first, then the zone');
    assert.ok(refused.plan.refusals.some((r) => /clouddns zone gone\.example\.: deletes managed zone gone\.example\., force required/.test(r)), refused.plan.refusals.join('\n'));
    assert.ok(refused.plan.refusals.some((r) => /clouddns zone\/gone\.example\.: too many deletes/.test(r)), 'and it goes through the delete threshold');
    await assert.rejects(applyPrepared(refused), /refused by safety rules/);
    assert.ok(zoneExists('gone-example'), 'nothing deleted without force');

    const from = dns.requests.length;
    const forced = await h.plan(keep, { force: true });
    const result = await applyPrepared(forced);
    assert.equal(result.failed, 0, JSON.stringify(result.reports.map((r) => r.error)));
    const writes = dns.requests.slice(from).filter((r) => r.method !== 'GET').map((r) => `${r.operation} ${r.status}`);
    assert.deepEqual(writes, ['changes.create 200', 'managedZones.delete 204'], 'the record sets in one change, then the emptied zone');
    assert.equal(zoneExists('gone-example'), false);
    assert.ok(zoneExists('keep-example'));
    assert.deepEqual(changeLines(await h.plan(keep, { force: false })), [], 'a second plan is empty');
  });

  it('reads a removed shared zone as its label says: deletes only its marked records, reports the zone it cannot empty, deletes it once empty', async () => {
    const h = engine(['part.example.', 'keep.example.']);
    const keep = zoneDoc('keep.example.', '    www: [{ type: A, value: 192.0.2.9 }]\n');
    const part = zoneDoc('part.example.', '    app: [{ type: A, value: 192.0.2.1 }]\n', '  management: shared\n  registryPrefix: Reg\n');
    await h.converge(part + keep);
    assert.equal(dns.state.zone(PROJECT, 'part-example').zone.labels['trueup-management'], 'shared');
    assert.equal(dns.state.zone(PROJECT, 'part-example').zone.labels['trueup-registry-prefix'], 'reg');
    dns.state.putRrset(PROJECT, 'part-example', { name: 'legacy.part.example.', type: 'A', ttl: 300, rrdatas: ['203.0.113.1'] });

    const removed = await h.plan(keep);
    assert.deepEqual(changeLines(removed), ['delete app.part.example. A', 'delete zone part.example.'], 'the unmarked legacy record is not ours');
    const result = await applyPrepared(removed);
    const byDisplay = new Map(result.reports.map((r) => [r.change.display, r]));
    assert.equal(byDisplay.get('app.part.example. A')?.status, 'applied');
    const zoneReport = byDisplay.get('zone part.example.');
    assert.equal(zoneReport?.status, 'failed');
    assert.match(zoneReport?.error?.message ?? '', /zone part\.example\.: managedZones\.delete: not deleted: the managed zone still holds record sets trueup does not own \(legacy\.part\.example\. A\)/);
    assert.equal(zoneReport?.error?.transient, false);
    assert.deepEqual(rrsetNames('part-example'), ['legacy.part.example. A', 'part.example. NS', 'part.example. SOA'], 'the record and its registry record went');

    // once the hand-made record is gone, the next pass deletes the zone; a registry record of ours
    // that marks nothing any more is removed just before it
    dns.state.deleteRrset(PROJECT, 'part-example', 'legacy.part.example.', 'A');
    dns.state.putRrset(PROJECT, 'part-example', { name: 'reg.a.old.part.example.', type: 'TXT', ttl: 300, rrdatas: ['"heritage=trueup,trueup/owner=test-owner"'] });
    const from = dns.requests.length;
    const again = await h.plan(keep);
    assert.deepEqual(changeLines(again), ['delete zone part.example.']);
    const second = await applyPrepared(again);
    assert.equal(second.failed, 0, JSON.stringify(second.reports.map((r) => r.error)));
    const writes = dns.requests.slice(from).filter((r) => r.method !== 'GET');
    assert.deepEqual(writes.map((r) => r.operation), ['changes.create', 'managedZones.delete']);
    assert.deepEqual((writes[0]?.body as { deletions: { name: string }[] }).deletions.map((d) => d.name), ['reg.a.old.part.example.']);
    assert.equal(zoneExists('part-example'), false);
  });

  it('relabels a zone it owns when the Zone switches from shared to full', async () => {
    const h = engine(['switch.example.']);
    const doc = (management: string) => zoneDoc('switch.example.', '    www: [{ type: A, value: 192.0.2.1 }]\n', `  management: ${management}\n`);
    await h.converge(doc('shared'));
    dns.state.patchZone(PROJECT, 'switch-example', { labels: { ...dns.state.zone(PROJECT, 'switch-example').zone.labels, team: 'web' } });
    const plan = await h.plan(doc('full'));
    const zoneChange = plan.plan.changes.find((c) => c.display === 'zone switch.example.');
    assert.deepEqual(zoneChange?.diffs, [{ path: 'management', before: 'shared', after: 'full' }]);
    await h.converge(doc('full'));
    assert.deepEqual(dns.state.zone(PROJECT, 'switch-example').zone.labels,
      { 'managed-by': 'trueup', 'trueup-owner': 'test-owner', 'trueup-management': 'full', team: 'web' }, 'labels trueup does not write are kept');
    assert.deepEqual(changeLines(await h.plan(doc('full'))), []);
  });

  it('keeps the records it owned when the Zone switches from full to shared, writing their registry marks', async () => {
    const h = engine(['tofull.example.']);
    const doc = (management: string) => zoneDoc('tofull.example.', '    www: [{ type: A, value: 192.0.2.1 }]\n', `  management: ${management}\n`);
    await h.converge(doc('full'));
    const plan = await h.plan(doc('shared'));
    assert.deepEqual(plan.plan.conflicts, [], 'records trueup owned in the full zone stay its own');
    assert.deepEqual(plan.plan.changes.find((c) => c.display.startsWith('www.tofull.example.'))?.diffs, [{ path: 'ownerMark', before: 'missing' }]);
    await h.converge(doc('shared'));
    assert.ok(rrsetNames('tofull-example').includes('_trueup.a.www.tofull.example. TXT'), rrsetNames('tofull-example').join(', '));
    assert.deepEqual(changeLines(await h.plan(doc('shared'))), []);
  });
});
