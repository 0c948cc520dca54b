// Managed-zone ownership through the CLI against the Cloud DNS emulator, as an operator meets it:
// a zone made by hand is never emptied because Git declares it (read as shared until adopted,
// and the plan says how), the adopt annotation and `trueup import` adopt it explicitly, and a
// zone whose create answer was lost is still provably trueup's (its labels travel in the create
// call), so the pass finishes and the zone is deleted once removed from Git.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { runTrueup } from '../support/cli.ts';
import { ADOPT, keep, zoneDoc } from '../support/zone-docs.ts';

const PROJECT = 'own-cli';
let dns: CloudDnsEmulator;
const dirs: string[] = [];

/** A directory with an engine config and its own source: each test owns its zones under its own
 * owner id (the source name), so zones another test made are another owner's. */
async function workspace(source: string) {
  const dir = await mkdtemp(join(tmpdir(), 'trueup-gcp-own-'));
  dirs.push(dir);
  await mkdir(join(dir, 'resources'));
  await writeFile(join(dir, 'trueup.yaml'), [
    'apiVersion: trueup.dev/v1',
    'kind: EngineConfig',
    'providers:',
    `  clouddns: { type: gcp-dns, settings: { project: ${PROJECT}, apiEndpoint: "${dns.url}", rateLimit: 500, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } } }`,
    'sources:',
    `  - name: ${source}`,
    '    path: ./resources',
    '    scopes: { clouddns: ["zone/*"] }',
    '',
  ].join('\n'));
  return {
    trueup: (...args: string[]) => runTrueup(args, { cwd: dir }),
    writeZones: (text: string) => writeFile(join(dir, 'resources', 'zones.yaml'), text),
  };
}


const rrsetNames = (zone: string) => dns.state.rrsets(PROJECT, zone).map((r) => `${r.name} ${r.type}`).sort();
const labels = (zone: string) => dns.state.zone(PROJECT, zone).zone.labels;
const zoneExists = (zone: string) => dns.state.zones(PROJECT).some((z) => z.zone.name === zone);

/** A zone made by hand (console, gcloud, another tool) with four record sets. */
function handMadeZone(name: string, dnsName: string): void {
  dns.state.createZone(PROJECT, { name, dnsName, description: 'made by hand' });
  for (const r of [
    { name: `www.${dnsName}`, type: 'A', ttl: 300, rrdatas: ['192.0.2.1'] },
    { name: dnsName, type: 'MX', ttl: 300, rrdatas: [`10 mx.${dnsName}`] },
    { name: `legacy.${dnsName}`, type: 'TXT', ttl: 300, rrdatas: ['"made by hand"'] },
    { name: `docs.${dnsName}`, type: 'CNAME', ttl: 300, rrdatas: ['docs.example.net.'] },
  ]) dns.state.putRrset(PROJECT, name, r);
}

before(async () => {
  dns = await startCloudDnsEmulator();
});
after(async () => {
  await dns?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('Cloud DNS zone ownership through the CLI', () => {
  it('never deletes the hand-made records of a zone it did not create, says how to adopt it, and adopts it with the annotation', async () => {
    const { trueup, writeZones } = await workspace('own1');
    handMadeZone('hand-example', 'hand.example.org.');
    const before = rrsetNames('hand-example');
    assert.equal(before.length, 6, 'four record sets and the apex SOA and NS');
    // Git declares the zone (default management: full) with one of its records.
    await writeZones(zoneDoc('hand.example.org.', '    www: [{ type: A, value: 192.0.2.1 }]\n') + keep('own1'));
    const plan = await trueup('plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.doesNotMatch(plan.stdout, /- delete/, plan.stdout);
    assert.match(plan.stdout, /clouddns zone hand\.example\.org\.: exists but trueup cannot prove it created it \(no trueup-owner label\), so it is read as a shared zone/);
    assert.match(plan.stdout, /add metadata\.annotations: \{ trueup\.dev\/adopt: "true" \} to this Zone, or write the Zone from the live zone with: trueup import --provider clouddns hand-example/);
    assert.equal(plan.stdout.split('trueup.dev/adopt').length - 1, 1, 'the plan says how to adopt once, on the zone');
    assert.match(plan.stdout, /clouddns www\.hand\.example\.org\. A: exists but carries no trueup owner mark/, 'the declared record that exists is left alone');
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.deepEqual(rrsetNames('hand-example'), before, 'every hand-made record set is still there');
    assert.deepEqual(labels('hand-example'), {}, 'the zone is not labelled');

    // The explicit adoption: the annotation. The plan shows the label write, then full applies.
    await writeZones(zoneDoc('hand.example.org.', '    www: [{ type: A, value: 192.0.2.1 }]\n', ADOPT) + keep('own1'));
    const adopt = await trueup('plan');
    assert.equal(adopt.code, 0, adopt.stderr);
    assert.match(adopt.stdout, /~ update {2}zone hand\.example\.org\./);
    assert.match(adopt.stdout, /ownerMark: "missing" → \(removed\)/);
    for (const gone of ['docs.hand.example.org. CNAME', 'hand.example.org. MX', 'legacy.hand.example.org. TXT']) {
      assert.ok(adopt.stdout.includes(`- delete  ${gone}`), `${gone} deleted once adopted:\n${adopt.stdout}`);
    }
    assert.doesNotMatch(adopt.stdout, /Left alone/);
    const done = await trueup('apply', '--auto-approve');
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.deepEqual(labels('hand-example'), { 'managed-by': 'trueup', 'trueup-owner': 'own1', 'trueup-management': 'full' });
    assert.deepEqual(rrsetNames('hand-example'), ['hand.example.org. NS', 'hand.example.org. SOA', 'www.hand.example.org. A']);
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /No changes\./);
  });

  it('imports a hand-made zone as a Zone that adopts it: the plan shows only the adoption, then nothing', async () => {
    const { trueup, writeZones } = await workspace('own2');
    handMadeZone('imported-example', 'imported.example.org.');
    await writeZones(keep('own2'));
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    const imported = await trueup('import', '--provider', 'clouddns', 'imported-example');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /annotations:\n {4}trueup\.dev\/adopt: "true"/);
    await writeZones(imported.stdout + keep('own2'));
    const plan = await trueup('plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /~ update {2}zone imported\.example\.org\./);
    assert.match(plan.stdout, /Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 6 unchanged\./, plan.stdout);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    assert.equal(labels('imported-example')['trueup-owner'], 'own2');
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
    assert.equal(rrsetNames('imported-example').length, 6, 'nothing deleted');
  });

  it('knows a zone whose create answer was lost as its own (labels in the create call), finishes the pass, and deletes the zone once removed from Git', async () => {
    const { trueup, writeZones } = await workspace('own3');
    await writeZones(keep('own3'));
    const from = dns.requests.length;
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    await writeZones(zoneDoc('lost.example.org.', '    www: [{ type: A, value: 192.0.2.7 }]\n') + keep('own3'));
    // The zone is created, but the answer never reaches trueup; its retry meets 409 alreadyExists.
    dns.injectFaults({ operation: 'managedZones.create', status: 503, afterApplying: true });
    const first = await trueup('apply', '--auto-approve');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(dns.requests.slice(from).filter((r) => r.operation === 'managedZones.create' && r.body !== undefined && JSON.stringify(r.body).includes('lost.example.org.')).map((r) => r.status), [503, 409],
      'the answer was lost, and the retry met the zone the first attempt made');
    assert.deepEqual(labels('lost-example-org'), { 'managed-by': 'trueup', 'trueup-owner': 'own3', 'trueup-management': 'full' }, 'the proof came with the create call');
    assert.ok(rrsetNames('lost-example-org').includes('www.lost.example.org. A'), 'its record sets were created in the same pass');
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 0);

    await writeZones(keep('own3'));
    const removed = await trueup('apply', '--auto-approve', '--force');
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.match(removed.stdout, /- delete {2}zone lost\.example\.org\./);
    assert.equal(zoneExists('lost-example-org'), false, 'the zone is deleted');
  });
});
