// Route 53 end to end against moto's server through the real AWS SDK: what a user notices.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand, ListHostedZonesByNameCommand, ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { scopeMatcher } from '../../src/sdk/index.ts';
import { silentLogger } from '../../src/report/log.ts';
import { stringify } from 'yaml';
import { changeLines, engine, settings, startEnv, type Env } from './support.ts';
import { everyTypeZone } from './fixtures.ts';

const exec = promisify(execFile);
let env: Env;

before(async () => {
  env = await startEnv();
});
after(async () => {
  await env?.stop();
});

async function zoneId(name: string): Promise<string> {
  const res = await env.client.send(new ListHostedZonesByNameCommand({ DNSName: name }));
  const zone = res.HostedZones?.find((z) => z.Name === name || z.Name === `${name}.`);
  assert.ok(zone?.Id, `zone ${name} exists`);
  return zone.Id.replace('/hostedzone/', '');
}

async function liveSets(name: string) {
  const res = await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: await zoneId(name) }));
  return res.ResourceRecordSets ?? [];
}

void describe('a zone holding every supported type, aliases and routing policies', () => {
  const zone = 'every.example.com';
  const yaml = everyTypeZone(zone);

  void it('creates the hosted zone (tagged as ours) and every record set, then plans nothing', async () => {
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    const first = await e.plan(yaml);
    assert.deepEqual(first.plan.errors, []);
    assert.ok(first.plan.changes.every((c) => c.action === 'create'));
    assert.equal(first.plan.changes.length, 1 + 32, changeLines(first).join('\n'));
    await e.converge(yaml);
    const again = await e.plan(yaml);
    assert.deepEqual(again.plan.errors, []);
    assert.deepEqual(again.plan.changes.map((c) => `${c.action} ${c.display} ${JSON.stringify(c.diffs)}`), []);
    assert.deepEqual(again.plan.conflicts, []);
    const tags = await env.client.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: await zoneId(zone) }));
    assert.deepEqual(tags.ResourceTagSet?.Tags?.find((t) => t.Key === 'trueup.dev/owner')?.Value, 'test-owner');
    // The 600-character DKIM key went out as strings of at most 255 characters.
    const dkim = (await liveSets(zone)).find((s) => s.Name?.startsWith('selector1._domainkey'));
    const value = dkim?.ResourceRecords?.[0]?.Value ?? '';
    assert.deepEqual((value.match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((s) => s.length - 2), [255, 255, 90]);
    // A second instance (a fresh process) agrees: nothing to do.
    const fresh = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    assert.deepEqual(changeLines(await fresh.plan(yaml)), []);
  });

  void it('shows a record changed behind its back with the aws CLI as exactly one update, and corrects it', async () => {
    const id = await zoneId(zone);
    const batch = { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `www.${zone}`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.99' }] } }] };
    await exec('aws', ['route53', 'change-resource-record-sets', '--endpoint-url', env.moto.endpoint, '--hosted-zone-id', id, '--change-batch', JSON.stringify(batch)], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1' },
    });
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    const drifted = await e.plan(yaml);
    assert.deepEqual(changeLines(drifted), [`update www.${zone}. A`]);
    assert.deepEqual(drifted.plan.changes[0]?.diffs, [{ path: 'values', before: ['192.0.2.99'], after: ['192.0.2.10', '192.0.2.11'] }]);
    await e.converge(yaml);
    assert.deepEqual(changeLines(await e.plan(yaml)), []);
  });

  void it('imports the live zone so that import → commit → plan shows nothing', async () => {
    const e = engine(settings(env.moto.endpoint), { ownerId: 'someone-else', scopes: [`zone/${zone}.`] });
    const docs = await e.instance.import?.({ selector: zone, allowedScopes: scopeMatcher(['zone/*']) }, {
      log: (await import('../../src/report/log.ts')).silentLogger(), ownerId: 'someone-else', instance: 'route53',
      signal: new AbortController().signal, recordApiCall: () => undefined, progress: () => undefined, beforeWrite: () => undefined,
    });
    assert.equal(docs?.length, 1);
    const text = stringify(docs?.[0]);
    assert.match(text, /setIdentifier: api-blue/);
    assert.match(text, /alias:/);
    // Commit the import and plan as the zone's owner (the zone carries test-owner's tag).
    const owner = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    const plan = await owner.plan(text);
    assert.deepEqual(plan.plan.errors, []);
    assert.deepEqual(plan.plan.changes.map((c) => `${c.action} ${c.display} ${JSON.stringify(c.diffs)}`), []);
  });
});

void describe('replacing a record set whose routing policy changes', () => {
  void it('sends DELETE + CREATE in one request and converges', async () => {
    const zone = 'replace.example.com';
    const doc = (route: string) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  records:
    svc:
      - { type: A, value: 192.0.2.1, route53: { setIdentifier: svc-one, ${route} } }
`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    await e.converge(doc('weight: 10'));
    const replan = await e.plan(doc('multivalue: true'));
    assert.deepEqual(changeLines(replan), [`replace svc.${zone}. A [svc-one]`]);
    const before = env.proxy.seen.length;
    await e.converge(doc('multivalue: true'));
    assert.ok(env.proxy.seen.length >= before);
    assert.deepEqual(changeLines(await e.plan(doc('multivalue: true'))), []);
    const live = (await liveSets(zone)).filter((s) => s.Name?.startsWith('svc.'));
    assert.equal(live.length, 1);
    assert.equal(live[0]?.MultiValueAnswer, true);
    assert.equal(live[0]?.Weight, undefined);
  });
});

void describe('ownership', () => {
  void it('in a shared zone, never touches a record it did not create, across every apply', async () => {
    const zone = 'shared.example.com';
    const created = await env.client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `hand-${Date.now()}` }));
    const id = created.HostedZone?.Id ?? '';
    const foreign = { Name: `legacy.${zone}`, Type: 'A' as const, TTL: 600, ResourceRecords: [{ Value: '198.51.100.7' }] };
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: foreign }] } }));
    const doc = (ip: string, extra = '') => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  management: shared
  records:
    www: [{ type: A, value: ${ip} }]
    docs: [{ type: CNAME, value: docs.example.net }]
${extra}`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    const first = await e.plan(doc('192.0.2.1'));
    assert.deepEqual(changeLines(first), [`create docs.${zone}. CNAME`, `create www.${zone}. A`], 'the untagged zone is used as is; legacy is not in the plan');
    await e.converge(doc('192.0.2.1'));
    // Registry records mark what trueup wrote; the CNAME's marker does not sit at the CNAME's name.
    const names = (await liveSets(zone)).map((s) => `${s.Name} ${s.Type}`).sort();
    assert.ok(names.includes(`_trueup.cname.docs.${zone}. TXT`), names.join('\n'));
    assert.ok(names.includes(`_trueup.a.www.${zone}. TXT`));
    assert.deepEqual(changeLines(await e.plan(doc('192.0.2.1'))), []);
    await e.converge(doc('192.0.2.2'));
    await e.converge(doc('192.0.2.2').replace(/\s+docs:.*\n/, '\n'));
    const declaring = await e.plan(doc('192.0.2.2', `    legacy: [{ type: A, value: 192.0.2.3 }]`));
    assert.equal(declaring.plan.conflicts.length, 1, 'declaring the unowned record is a conflict, not a takeover');
    const live = await liveSets(zone);
    const legacy = live.find((s) => s.Name === `${foreign.Name}.`);
    assert.deepEqual(legacy?.ResourceRecords, foreign.ResourceRecords, 'the foreign record survived');
    assert.ok(!live.some((s) => s.Name === `docs.${zone}.`), 'the removed CNAME is gone');
    assert.ok(!live.some((s) => s.Name === `_trueup.cname.docs.${zone}.`), 'and so is its registry record');
  });

  void it('in a full zone, deletes an unknown record only within the thresholds', async () => {
    const zone = 'full.example.com';
    const records = Array.from({ length: 12 }, (_, i) => `    r${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n');
    const doc = `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  management: full
  records:
${records}
`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    await e.converge(doc);
    const id = await zoneId(zone);
    const stray = (n: number) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name: `stray${n}.${zone}`, Type: 'A' as const, TTL: 60, ResourceRecords: [{ Value: '203.0.113.1' }] } });
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [stray(1), stray(2), stray(3), stray(4), stray(5)] } }));
    // 5 unknown records among 19 owned (12 + 5 + apex SOA/NS): 26% of the zone, over a 20% threshold.
    const refused = await e.plan(doc, { safety: { maxDeleteShare: 0.2, minExisting: 10 }, force: false });
    assert.equal(refused.plan.changes.filter((c) => c.action === 'delete').length, 5);
    assert.equal(refused.plan.refusals.length, 1);
    assert.match(refused.plan.refusals[0] ?? '', /too many deletes/);
    await assert.rejects(applyPrepared(refused), /refused/);
    assert.equal((await liveSets(zone)).filter((s) => s.Name?.startsWith('stray')).length, 5, 'nothing deleted');
    // Within the threshold the plan applies.
    const allowed = await e.plan(doc, { safety: { maxDeleteShare: 0.3, minExisting: 10 }, force: false });
    assert.deepEqual(allowed.plan.refusals, []);
    await applyPrepared(allowed);
    assert.equal((await liveSets(zone)).filter((s) => s.Name?.startsWith('stray')).length, 0);
    assert.deepEqual(changeLines(await e.plan(doc)), []);
  });
});

void describe('apex NS', () => {
  void it('is left alone undeclared, equal when declared as listed, and a change needs --force', async () => {
    const zone = 'apex.example.com';
    const base = `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    await e.converge(base);
    const ns = (await liveSets(zone)).find((s) => s.Type === 'NS' && s.Name === `${zone}.`);
    const values = (ns?.ResourceRecords ?? []).map((r) => r.Value ?? '');
    assert.ok(values.length > 0);
    // Declared as the console shows them (no trailing dots): the same values, nothing to do.
    const declared = (list: string[]) => `${base}    "@": [{ type: NS, ttl: ${ns?.TTL}, values: [${list.join(', ')}] }]\n`;
    assert.deepEqual(changeLines(await e.plan(declared(values.map((v) => v.replace(/\.$/, ''))))), []);
    const changed = await e.plan(declared([...values.slice(1), 'ns1.other-dns.example.net']), { force: false });
    assert.deepEqual(changeLines(changed), [`update ${zone}. NS`]);
    assert.match(changed.plan.refusals.join('\n'), /apex NS records of apex\.example\.com\. changes the zone's delegation, force required/);
  });
});

void describe('zones of another source', () => {
  void it('are a conflict, and their records are not taken over even when declared full', async () => {
    const zone = 'theirs.example.com';
    const doc = (ip: string) => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  management: full\n  records:\n    www: [{ type: A, value: ${ip} }]\n`;
    await engine(settings(env.moto.endpoint), { ownerId: 'team-a', scopes: [`zone/${zone}.`] }).converge(doc('192.0.2.1'));
    const other = engine(settings(env.moto.endpoint), { ownerId: 'team-b', scopes: [`zone/${zone}.`] });
    const plan = await other.plan(doc('192.0.2.2'));
    assert.deepEqual(plan.plan.changes, []);
    assert.deepEqual(plan.plan.conflicts.map((c) => c.display).sort(), [`hosted zone ${zone}.`, `www.${zone}. A`]);
    assert.match(plan.plan.conflicts.find((c) => c.display.startsWith('hosted'))?.reason ?? '', /owned by "team-a"/);
  });
});

void describe('adopting an existing zone', () => {
  void it('imports a hand-made zone with weighted, failover, geolocation and alias records; the import plans only the adoption, then nothing', async () => {
    const zone = 'adopt.example.com';
    const created = await env.client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `adopt-${Date.now()}` }));
    const id = created.HostedZone?.Id ?? '';
    const a = (name: string, value: string, extra: object = {}) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name: `${name}.${zone}`, Type: 'A' as const, TTL: 120, ResourceRecords: [{ Value: value }], ...extra } });
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [
      a('www', '192.0.2.1'),
      a('api', '192.0.2.2', { SetIdentifier: 'adopt-a', Weight: 70 }),
      a('api', '192.0.2.3', { SetIdentifier: 'adopt-b', Weight: 30 }),
      a('app', '192.0.2.4', { SetIdentifier: 'adopt-p', Failover: 'PRIMARY' }),
      a('app', '192.0.2.5', { SetIdentifier: 'adopt-s', Failover: 'SECONDARY' }),
      a('geo', '192.0.2.6', { SetIdentifier: 'adopt-de', GeoLocation: { CountryCode: 'DE' } }),
      { Action: 'CREATE', ResourceRecordSet: { Name: zone, Type: 'A', AliasTarget: { DNSName: `www.${zone}`, HostedZoneId: id.replace('/hostedzone/', ''), EvaluateTargetHealth: false } } },
      { Action: 'CREATE', ResourceRecordSet: { Name: `txt.${zone}`, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=spf1 -all"' }] } },
    ] } }));
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    const docs = await e.instance.import?.({ selector: zone, allowedScopes: scopeMatcher([`zone/${zone}.`]) }, {
      log: silentLogger(), ownerId: 'test-owner', instance: 'route53', signal: new AbortController().signal, recordApiCall: () => undefined, progress: () => undefined, beforeWrite: () => undefined,
    });
    const text = stringify(docs?.[0]);
    for (const fragment of ['setIdentifier: adopt-a', 'failover: PRIMARY', 'country: DE', 'alias:', 'ttl: 120']) assert.ok(text.includes(fragment), `${fragment} in\n${text}`);
    assert.ok(text.includes('trueup.dev/adopt: "true"'), `the import adopts the zone trueup did not create:\n${text}`);
    const plan = await e.plan(text);
    assert.deepEqual(plan.plan.errors, []);
    assert.deepEqual(plan.plan.conflicts, []);
    assert.deepEqual(plan.plan.changes.map((c) => `${c.action} ${c.display} ${JSON.stringify(c.diffs)}`), [
      `update hosted zone ${zone}. [{"path":"management","after":"full"},{"path":"ownerMark","before":"missing"}]`,
    ], 'only the adoption: the owner tags are written, no record set changes');
    await e.converge(text);
    assert.deepEqual(changeLines(await e.plan(text)), []);
  });
});

void describe('efficiency', () => {
  void it('reads a zone of 700 record sets with 3 list calls, writes it with 1 change request, and waits for INSYNC', async () => {
    const zone = 'bulk.example.com';
    const records = Array.from({ length: 700 }, (_, i) => `    h${i}: [{ type: A, value: 10.0.${Math.floor(i / 250)}.${i % 250} }]`).join('\n');
    const doc = `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  records:\n${records}\n`;
    const e = engine(settings(env.moto.endpoint, { waitForSync: true, syncPollMs: 10 }), { scopes: [`zone/${zone}.`] });
    const calls: string[] = [];
    const before = new Map(e.instance.api.calls);
    await e.converge(doc);
    for (const [op, n] of e.instance.api.calls) for (let i = 0; i < n - (before.get(op) ?? 0); i += 1) calls.push(op);
    const count = (op: string) => calls.filter((c) => c === op).length;
    assert.equal(count('ChangeResourceRecordSets'), 1, '700 creates fit in one request');
    assert.equal(count('CreateHostedZone'), 1);
    assert.ok(count('GetChange') >= 1, 'verify waited for INSYNC');
    const snapshot = new Map(e.instance.api.calls);
    const again = await e.plan(doc);
    assert.deepEqual(again.plan.changes, []);
    const listCalls = (e.instance.api.calls.get('ListResourceRecordSets') ?? 0) - (snapshot.get('ListResourceRecordSets') ?? 0);
    assert.equal(listCalls, 3, '702 sets (with apex SOA and NS) at 300 per page');
  });
});

void describe('hosted zone lifecycle', () => {
  void it('creates a private zone with its VPCs and follows VPC changes', async () => {
    const zone = 'internal.example.com';
    const doc = (vpcs: string) => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  route53: { private: { vpcs: [${vpcs}] } }\n  records:\n    db: [{ type: A, value: 10.0.0.5 }]\n`;
    const two = doc('{ id: vpc-0aaa, region: eu-west-1 }, { id: vpc-0bbb, region: eu-west-1 }');
    const moved = doc('{ id: vpc-0aaa, region: eu-west-1 }, { id: vpc-0ccc, region: us-east-1 }');
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    await e.converge(two);
    assert.deepEqual(changeLines(await e.plan(two)), []);
    const update = await e.plan(moved);
    assert.deepEqual(changeLines(update), [`update hosted zone ${zone}.`]);
    await e.converge(moved);
    assert.deepEqual(changeLines(await e.plan(moved)), []);
    assert.ok(e.apiCalls.includes('AssociateVPCWithHostedZone ok') && e.apiCalls.includes('DisassociateVPCFromHostedZone ok'));
  });

  void it('keeps the zone management tag in step with Git, so a zone later removed from Git never loses records that are not ours', async () => {
    const zone = 'modes.example.com';
    const doc = (mode: string) => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  management: ${mode}\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`] });
    await e.converge(doc('full'));
    const switched = await e.plan(doc('shared'));
    assert.deepEqual(changeLines(switched), [`update hosted zone ${zone}.`, `update www.${zone}. A`]);
    assert.deepEqual(switched.plan.conflicts, [], 'records trueup owned in the full zone stay its own');
    assert.deepEqual(switched.plan.changes.find((c) => c.display === `hosted zone ${zone}.`)?.diffs, [{ path: 'management', before: 'full', after: 'shared' }]);
    assert.deepEqual(switched.plan.changes.find((c) => c.display === `www.${zone}. A`)?.diffs, [{ path: 'ownerMark', before: 'missing' }], 'the update writes the registry mark');
    await e.converge(doc('shared'));
    const id = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.[0]?.Id ?? '';
    const tags = await env.client.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: id.replace('/hostedzone/', '') }));
    assert.equal(tags.ResourceTagSet?.Tags?.find((t) => t.Key === 'trueup.dev/management')?.Value, 'shared');
    // Someone else's record in the now shared zone; then the Zone leaves Git.
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [
      { Action: 'CREATE', ResourceRecordSet: { Name: `theirs.${zone}.`, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '198.51.100.7' }] } },
    ] } }));
    const removed = await e.plan('');
    assert.ok(!changeLines(removed).some((l) => l.includes(`theirs.${zone}.`)), changeLines(removed).join(', '));
    assert.ok(changeLines(removed).includes(`delete www.${zone}. A`));
    await assertEmptyAfter(e, doc('shared'));
  });

  void it('deletes a zone removed from Git only when it carries our tag, and only with force', async () => {
    const zone = 'gone.example.com';
    const doc = `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${zone} }\nspec:\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n`;
    const keep = `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: keep.${zone} }\nspec: {}\n`;
    const e = engine(settings(env.moto.endpoint), { scopes: [`zone/${zone}.`, `zone/keep.${zone}.`, `zone/hand.${zone}.`] });
    await e.converge(doc + '---\n' + keep);
    await env.client.send(new CreateHostedZoneCommand({ Name: `hand.${zone}`, CallerReference: `hand-${Date.now()}` }));
    const removed = await e.plan(keep, { force: false });
    assert.deepEqual(changeLines(removed), [`delete www.${zone}. A`, `delete hosted zone ${zone}.`], 'the untagged hand-made zone is not deleted');
    assert.equal(removed.plan.refusals.length, 1);
    assert.match(removed.plan.refusals[0] ?? '', /deletes hosted zone gone\.example\.com\., force required/);
    await assert.rejects(applyPrepared(removed), /refused/);
    const forced = await e.plan(keep, { force: true });
    const result = await applyPrepared(forced);
    assert.equal(result.failed, 0, JSON.stringify(result.reports.map((r) => r.error)));
    const left = await env.client.send(new ListHostedZonesCommand({}));
    assert.deepEqual(left.HostedZones?.map((z) => z.Name).filter((n) => n?.endsWith(`${zone}.`)).sort(), [`hand.${zone}.`, `keep.${zone}.`]);
  });
});

async function assertEmptyAfter(e: ReturnType<typeof engine>, yaml: string): Promise<void> {
  const again = await e.plan(yaml);
  assert.deepEqual(changeLines(again), []);
}
