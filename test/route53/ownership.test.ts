// Hosted-zone ownership through the CLI, as an operator meets it: a zone made by hand is never
// emptied because Git declares it (it is read as shared until adopted, and the plan says how), the
// adopt annotation and `trueup import` adopt it explicitly, and a zone whose tag call never landed
// is still provably trueup's (its CallerReference) so the next pass repairs the tags.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand,
} from '@aws-sdk/client-route-53';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV } from '../support/moto.ts';
import { errorResponseXml, startEnv, type Env } from './support.ts';
import { ADOPT, keep, zoneDoc } from '../support/zone-docs.ts';

let env: Env;
const dirs: string[] = [];

/** A directory with an engine config and its own source: each test owns its zones under its own
 * owner id (the source name), so zones another test made are another owner's. */
async function workspace(source: string) {
  const dir = await mkdtemp(join(tmpdir(), 'trueup-r53-own-'));
  dirs.push(dir);
  await mkdir(join(dir, 'resources'));
  await writeFile(join(dir, 'trueup.yaml'), [
    'apiVersion: trueup.dev/v1',
    'kind: EngineConfig',
    'providers:',
    `  route53: { type: aws-route53, settings: { endpoint: "${env.proxy.endpoint}", region: us-east-1, rateLimit: 500, maxAttempts: 1 } }`,
    'sources:',
    `  - name: ${source}`,
    '    path: ./resources',
    '    scopes: { route53: ["zone/*"] }',
    '',
  ].join('\n'));
  return {
    trueup: (...args: string[]) => runTrueup(args, { cwd: dir, env: { ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true' } }),
    writeZones: (text: string) => writeFile(join(dir, 'resources', 'zones.yaml'), text),
  };
}


async function zoneId(name: string): Promise<string | undefined> {
  const res = await env.client.send(new ListHostedZonesByNameCommand({ DNSName: name }));
  return res.HostedZones?.find((z) => z.Name === name)?.Id?.replace('/hostedzone/', '');
}
async function recordNames(name: string): Promise<string[]> {
  const id = await zoneId(name);
  const res = await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
  return (res.ResourceRecordSets ?? []).map((r) => `${r.Name} ${r.Type}`).sort();
}
async function tags(name: string): Promise<Record<string, string>> {
  const res = await env.client.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: await zoneId(name) }));
  return Object.fromEntries((res.ResourceTagSet?.Tags ?? []).map((t) => [t.Key, t.Value]));
}

/** A zone made by hand (console, CLI, another tool) with four record sets. */
async function handMadeZone(name: string): Promise<void> {
  const created = await env.client.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `console-${name}-${Date.now()}` }));
  const set = (n: string, type: 'A' | 'MX' | 'TXT' | 'CNAME', value: string) =>
    ({ Action: 'CREATE' as const, ResourceRecordSet: { Name: `${n}${name}`, Type: type, TTL: 300, ResourceRecords: [{ Value: value }] } });
  await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: created.HostedZone?.Id, ChangeBatch: { Changes: [
    set('www.', 'A', '192.0.2.1'), set('', 'MX', `10 mx.${name}`), set('legacy.', 'TXT', '"made by hand"'), set('docs.', 'CNAME', 'docs.example.net.'),
  ] } }));
}

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('Route 53 zone ownership through the CLI', () => {
  it('never deletes the hand-made records of a zone it did not create, says how to adopt it, and adopts it with the annotation', async () => {
    const { trueup, writeZones } = await workspace('own1');
    const others = keep('own1');
    const zone = 'hand.example.org.';
    await handMadeZone(zone);
    const before = await recordNames(zone);
    assert.equal(before.length, 6, 'four record sets and the apex SOA and NS');
    // Git declares the zone (default management: full) with one of its records.
    await writeZones(zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.1 }]\n') + others);
    const plan = await trueup('plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.doesNotMatch(plan.stdout, /- delete/, plan.stdout);
    assert.match(plan.stdout, /route53 hosted zone hand\.example\.org\.: exists but trueup cannot prove it created it \(no trueup\.dev\/owner tag and no trueup CallerReference\), so it is read as a shared zone/);
    assert.match(plan.stdout, /add metadata\.annotations: \{ trueup\.dev\/adopt: "true" \} to this Zone, or write the Zone from the live zone with: trueup import --provider route53 hand\.example\.org\./);
    assert.equal(plan.stdout.split('trueup.dev/adopt').length - 1, 1, 'the plan says how to adopt once, on the zone');
    assert.match(plan.stdout, /route53 www\.hand\.example\.org\. A: exists but carries no trueup owner mark/, 'the declared record that exists is left alone');
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(await recordNames(zone), before, 'every hand-made record set is still there');
    assert.deepEqual(await tags(zone), {}, 'the zone is not tagged');

    // The explicit adoption: the annotation. The plan shows the tag write, then full applies.
    await writeZones(zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.1 }]\n', ADOPT) + others);
    const adopt = await trueup('plan');
    assert.equal(adopt.code, 0, adopt.stderr);
    assert.match(adopt.stdout, /~ update {2}hosted zone hand\.example\.org\./);
    assert.match(adopt.stdout, /ownerMark: "missing" → \(removed\)/);
    for (const gone of ['docs.hand.example.org. CNAME', 'hand.example.org. MX', 'legacy.hand.example.org. TXT']) {
      assert.ok(adopt.stdout.includes(`- delete  ${gone}`), `${gone} deleted once adopted:\n${adopt.stdout}`);
    }
    assert.doesNotMatch(adopt.stdout, /Left alone/);
    const done = await trueup('apply', '--auto-approve');
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(await tags(zone), { 'trueup.dev/owner': 'own1', 'trueup.dev/management': 'full' });
    assert.deepEqual(await recordNames(zone), ['hand.example.org. NS', 'hand.example.org. SOA', 'www.hand.example.org. A']);
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /No changes\./);
  });

  it('imports a hand-made zone as a Zone that adopts it: the plan shows only the adoption, then nothing', async () => {
    const { trueup, writeZones } = await workspace('own2');
    const others = keep('own2');
    const zone = 'imported.example.org.';
    await handMadeZone(zone);
    await writeZones(others);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    const imported = await trueup('import', '--provider', 'route53', zone);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /annotations:\n {4}trueup\.dev\/adopt: "true"/);
    await writeZones(imported.stdout + others);
    const plan = await trueup('plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /~ update {2}hosted zone imported\.example\.org\./);
    assert.match(plan.stdout, /Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 6 unchanged\./, plan.stdout);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    assert.equal((await tags(zone))['trueup.dev/owner'], 'own2');
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
    assert.equal((await recordNames(zone)).length, 6, 'nothing deleted');
  });

  it('repairs the owner tags of a zone it created whose tag call failed, and deletes that zone once removed from Git', async () => {
    const { trueup, writeZones } = await workspace('own3');
    const others = keep('own3');
    const zone = 'untagged.example.org.';
    await writeZones(others);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    const doc = zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.7 }]\n');
    await writeZones(doc + others);
    // The tag call fails after CreateHostedZone succeeded (as a killed process or a lost answer would leave it).
    env.proxy.rules.push({ match: (r) => r.method === 'POST' && r.path.includes('/tags/hostedzone/'), status: 503, body: errorResponseXml('ServiceUnavailable', 'Service unavailable', 'Receiver') });
    const first = await trueup('apply', '--auto-approve');
    env.proxy.rules.length = 0;
    assert.equal(first.code, 4, first.stdout);
    assert.match(first.stdout + first.stderr, /hosted zone untagged\.example\.org\..*ChangeTagsForResource/);
    assert.ok(await zoneId(zone), 'the zone was created');
    assert.deepEqual(await tags(zone), {}, 'but carries no tags');

    const repair = await trueup('plan');
    assert.match(repair.stdout, /~ update {2}hosted zone untagged\.example\.org\./, repair.stdout);
    assert.match(repair.stdout, /ownerMark: "missing" → \(removed\)/);
    assert.match(repair.stdout, /\+ create {2}www\.untagged\.example\.org\. A/);
    const second = await trueup('apply', '--auto-approve');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(await tags(zone), { 'trueup.dev/owner': 'own3', 'trueup.dev/management': 'full' });
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 0);

    await writeZones(others);
    const removed = await trueup('apply', '--auto-approve', '--force');
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.match(removed.stdout, /- delete {2}hosted zone untagged\.example\.org\./);
    assert.equal(await zoneId(zone), undefined, 'the zone is deleted');
  });

  it('deletes a zone it created whose tags were never written, proven by its CallerReference alone', async () => {
    const { trueup, writeZones } = await workspace('own4');
    const others = keep('own4');
    const zone = 'lost.example.org.';
    await writeZones(others);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    await writeZones(zoneDoc(zone, '    www: [{ type: A, value: 192.0.2.8 }]\n') + others);
    env.proxy.rules.push({ match: (r) => r.method === 'POST' && r.path.includes('/tags/hostedzone/'), status: 503, body: errorResponseXml('ServiceUnavailable', 'Service unavailable', 'Receiver') });
    const first = await trueup('apply', '--auto-approve');
    env.proxy.rules.length = 0;
    assert.equal(first.code, 4);
    assert.deepEqual(await tags(zone), {});
    await writeZones(others);
    const removed = await trueup('apply', '--auto-approve', '--force');
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.match(removed.stdout, /- delete {2}hosted zone lost\.example\.org\./);
    assert.equal(await zoneId(zone), undefined);
  });
});
