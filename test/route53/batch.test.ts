// Packing and isolation logic from Route 53's documented limits, without a network: a fake
// `submit` behaves as AWS does (a request is atomic; a rejected one changes nothing).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Change } from '@aws-sdk/client-route-53';
import { changeCost, packUnits, requestChanges, submitUnits, type ChangeUnit } from '../../providers/aws-route53/batch.ts';

const set = (name: string, values: string[], action: Change['Action'] = 'CREATE'): Change => ({
  Action: action, ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 300, ResourceRecords: values.map((Value) => ({ Value })) },
});
const unit = (key: string, ...changes: Change[]): ChangeUnit => ({ keys: [key], changes });

void describe('request limits', () => {
  void it('counts ResourceRecord elements and value characters, UPSERT twice', () => {
    assert.deepEqual(changeCost(set('a.', ['"abc"', '"de"'])), { records: 2, chars: 9 });
    assert.deepEqual(changeCost(set('a.', ['"abc"', '"de"'], 'UPSERT')), { records: 4, chars: 18 });
    assert.deepEqual(changeCost({ Action: 'CREATE', ResourceRecordSet: { Name: 'a.', Type: 'A', AliasTarget: { DNSName: 'b.', HostedZoneId: 'Z', EvaluateTargetHealth: false } } }), { records: 1, chars: 0 });
  });

  void it('packs up to 1,000 records per request', () => {
    const units = Array.from({ length: 2500 }, (_, i) => unit(`k${i}`, set(`r${i}.`, ['"x"'])));
    const batches = packUnits(units);
    assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 500]);
    const upserts = Array.from({ length: 1200 }, (_, i) => unit(`k${i}`, set(`r${i}.`, ['"x"'], 'UPSERT')));
    assert.deepEqual(packUnits(upserts).map((b) => b.length), [500, 500, 200], 'an UPSERT counts twice');
  });

  void it('packs up to 32,000 value characters per request', () => {
    const long = `"${'k'.repeat(253)}"`; // 255 characters
    const units = Array.from({ length: 300 }, (_, i) => unit(`k${i}`, set(`r${i}.`, [long])));
    const batches = packUnits(units);
    assert.deepEqual(batches.map((b) => b.length), [125, 125, 50]);
    for (const b of batches) assert.ok(b.reduce((n, u) => n + (u.changes[0]?.ResourceRecordSet?.ResourceRecords?.[0]?.Value?.length ?? 0), 0) <= 32000);
  });

  void it('never splits a unit (a replace and its registry record travel together)', () => {
    const replace = unit('r', set('a.', ['"1"'], 'DELETE'), set('a.', ['"2"']), set('_trueup.txt.a.', ['"m"'], 'UPSERT'));
    const filler = Array.from({ length: 998 }, (_, i) => unit(`k${i}`, set(`f${i}.`, ['"x"'])));
    const batches = packUnits([...filler, replace]);
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[1], [replace]);
  });

  void it('sends deletes first and one copy of a registry change shared by several units', () => {
    const marker = set('_trueup.a.api.', ['"heritage=trueup,trueup/owner=o"'], 'UPSERT');
    const changes = requestChanges([unit('a', set('api.', ['"1"']), marker), unit('b', set('old.', ['"x"'], 'DELETE')), unit('c', set('api2.', ['"2"']), marker)]);
    assert.deepEqual(changes.map((c) => `${c.Action} ${c.ResourceRecordSet?.Name}`), ['DELETE old.', 'CREATE api.', 'CREATE api2.', 'UPSERT _trueup.a.api.']);
  });
});

class Rejection extends Error {
  override name = 'InvalidChangeBatch';
}

/** AWS-like: a request holding a bad change is rejected whole. */
function fakeRoute53(bad: Set<string>) {
  const applied: string[] = [];
  let requests = 0;
  return {
    applied,
    requests: () => requests,
    submit: async (changes: Change[]) => {
      requests += 1;
      const offending = changes.filter((c) => bad.has(c.ResourceRecordSet?.Name ?? ''));
      if (offending.length > 0) throw new Rejection(offending.map((c) => `bad ${c.ResourceRecordSet?.Name}`).join('; '));
      applied.push(...changes.map((c) => c.ResourceRecordSet?.Name ?? ''));
      return `C${requests}`;
    },
    isRejection: (e: unknown) => e instanceof Rejection,
  };
}

void describe('isolating rejected changes', () => {
  const units = Array.from({ length: 16 }, (_, i) => unit(`k${i}`, set(`r${i}.`, ['"x"'])));

  void it('applies every valid change and reports each invalid one with the API message', async () => {
    const api = fakeRoute53(new Set(['r5.', 'r11.']));
    const results = await submitUnits(units, api);
    const failed = results.filter((r) => r.error !== undefined);
    assert.deepEqual(failed.map((r) => r.unit.keys[0]).sort(), ['k11', 'k5']);
    assert.deepEqual(failed.map((r) => (r.error as Error).message).sort(), ['bad r11.', 'bad r5.']);
    assert.equal(api.applied.length, 14);
    assert.ok(results.filter((r) => r.error === undefined).every((r) => r.changeId !== undefined));
    // 2 bad among 16: bisecting costs far less than one request per change
    assert.ok(api.requests() <= 1 + 2 * 2 * Math.log2(16), `requests: ${api.requests()}`);
  });

  void it('one request when nothing is wrong', async () => {
    const api = fakeRoute53(new Set());
    const results = await submitUnits(units, api);
    assert.equal(api.requests(), 1);
    assert.ok(results.every((r) => r.error === undefined && r.changeId === 'C1'));
  });

  void it('all or nothing: a rejected batch fails every change and applies none', async () => {
    const api = fakeRoute53(new Set(['r5.']));
    const results = await submitUnits(units, { ...api, allOrNothing: true });
    assert.equal(api.requests(), 1);
    assert.equal(results.filter((r) => r.error !== undefined).length, 16);
    assert.equal(api.applied.length, 0);
  });

  void it('does not bisect failures that are not rejections (throttling, network)', async () => {
    let requests = 0;
    const results = await submitUnits(units, {
      submit: async () => {
        requests += 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      },
      isRejection: () => false,
    });
    assert.equal(requests, 1);
    assert.equal(results.filter((r) => r.error !== undefined).length, 16);
  });
});
