// The Cloud DNS emulator's API rules, over plain HTTP as any client sees them: atomic changes,
// exact-match deletions, 409 alreadyExists, per-change quotas (403), delegation size, health-check format, paging, Google's error shape, faults.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';

let dns: CloudDnsEmulator;
const base = () => `${dns.url}/dns/v1/projects/p`;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${base()}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const errorOf = (json: Record<string, unknown>) => json.error as { code: number; message: string; status: string; errors: { domain: string; reason: string; message: string }[] };
const a = (name: string, ...ips: string[]) => ({ name, type: 'A', ttl: 300, rrdatas: ips });
const names = async (zone = 'z') => ((await call('GET', `/managedZones/${zone}/rrsets`)).json.rrsets as { name: string; type: string }[]).map((r) => `${r.name} ${r.type}`);

before(async () => {
  dns = await startCloudDnsEmulator({ maxPageSize: 500 });
  const created = await call('POST', '/managedZones', { name: 'z', dnsName: 'example.com.', description: 'test' });
  assert.equal(created.status, 200);
});
after(async () => {
  await dns.stop();
});

describe('Cloud DNS emulator', () => {
  it('creates a zone with its apex SOA and NS, and refuses a second zone of the same name', async () => {
    const zone = await call('GET', '/managedZones/z');
    assert.equal(zone.json.dnsName, 'example.com.');
    assert.equal(zone.json.kind, 'dns#managedZone');
    assert.equal((zone.json.nameServers as string[]).length, 4);
    assert.deepEqual(await names(), ['example.com. NS', 'example.com. SOA']);
    const again = await call('POST', '/managedZones', { name: 'z', dnsName: 'other.com.' });
    assert.equal(again.status, 409);
    assert.equal(errorOf(again.json).errors[0]?.reason, 'alreadyExists');
    const missing = await call('GET', '/managedZones/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(errorOf(missing.json)).sort(), ['code', 'errors', 'message', 'status']);
    assert.equal(errorOf(missing.json).status, 'NOT_FOUND');
  });

  it('checks zone labels as Google Cloud does: keys start with a lower-case letter, lower-case letters, digits, _ and - only, at most 63 characters, at most 64 labels', async () => {
    const ok = await call('POST', '/managedZones', { name: 'labelled', dnsName: 'labelled.example.', labels: { 'managed-by': 'trueup', 'trueup-owner': 'team_a-1', empty: '' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json.labels, { 'managed-by': 'trueup', 'trueup-owner': 'team_a-1', empty: '' });
    for (const labels of [{ Owner: 'x' }, { '1st': 'x' }, { owner: 'Team.A' }, { [`k${'x'.repeat(63)}`]: 'v' }, { owner: 'v'.repeat(64) },
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))]) {
      const bad = await call('POST', '/managedZones', { name: 'badlabels', dnsName: 'bad.example.', labels });
      assert.equal(bad.status, 400, JSON.stringify(labels));
      assert.equal(errorOf(bad.json).errors[0]?.reason, 'invalid');
      assert.match(errorOf(bad.json).message, /entity\.managedZone\.labels/);
    }
    assert.equal((await call('GET', '/managedZones/badlabels')).status, 404, 'nothing created');
    const patched = await call('PATCH', '/managedZones/labelled', { labels: { 'managed-by': 'Trueup' } });
    assert.equal(patched.status, 400);
    assert.deepEqual((await call('GET', '/managedZones/labelled')).json.labels, { 'managed-by': 'trueup', 'trueup-owner': 'team_a-1', empty: '' }, 'a refused patch changes nothing');
    assert.equal((await call('DELETE', '/managedZones/labelled')).status, 204);
  });

  it('can lose the answer to a request it carried out (afterApplying)', async () => {
    dns.injectFaults({ operation: 'managedZones.create', status: 503, afterApplying: true });
    const lost = await call('POST', '/managedZones', { name: 'lost', dnsName: 'lost.example.' });
    assert.equal(lost.status, 503);
    assert.equal((await call('GET', '/managedZones/lost')).status, 200, 'the zone was created all the same');
    assert.equal((await call('DELETE', '/managedZones/lost')).status, 204);
  });

  it('applies a change all or nothing', async () => {
    const ok = await call('POST', '/managedZones/z/changes', { additions: [a('www.example.com.', '192.0.2.1'), a('api.example.com.', '192.0.2.2')] });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.status, 'pending');
    const done = await call('GET', `/managedZones/z/changes/${String(ok.json.id)}`);
    assert.equal(done.json.status, 'done');
    // the second addition exists: nothing of this change may apply
    const bad = await call('POST', '/managedZones/z/changes', { additions: [a('new.example.com.', '192.0.2.3'), a('www.example.com.', '192.0.2.9')] });
    assert.equal(bad.status, 409);
    assert.equal(errorOf(bad.json).errors[0]?.reason, 'alreadyExists');
    assert.match(errorOf(bad.json).message, /entity\.change\.additions\[1\].*www\.example\.com\. \(A\)/);
    assert.ok(!(await names()).includes('new.example.com. A'), 'the first addition of a rejected change is not applied');
  });

  it('needs a deletion to match the live set exactly, and replaces atomically with additions', async () => {
    const stale = await call('POST', '/managedZones/z/changes', { deletions: [a('www.example.com.', '192.0.2.99')], additions: [a('www.example.com.', '192.0.2.5')] });
    assert.equal(stale.status, 412);
    assert.equal(errorOf(stale.json).errors[0]?.reason, 'conditionNotMet');
    const ttl = await call('POST', '/managedZones/z/changes', { deletions: [{ ...a('www.example.com.', '192.0.2.1'), ttl: 60 }] });
    assert.equal(ttl.status, 412, 'a TTL difference is a mismatch too');
    const gone = await call('POST', '/managedZones/z/changes', { deletions: [a('gone.example.com.', '192.0.2.1')] });
    assert.equal(gone.status, 404);
    const swap = await call('POST', '/managedZones/z/changes', { deletions: [a('www.example.com.', '192.0.2.1')], additions: [a('www.example.com.', '192.0.2.5')] });
    assert.equal(swap.status, 200);
    const got = await call('GET', '/managedZones/z/rrsets/www.example.com./A');
    assert.deepEqual(got.json.rrdatas, ['192.0.2.5']);
  });

  it('validates record sets with messages that name the field', async () => {
    const cases: [unknown, RegExp][] = [
      [a('www.other.org.', '192.0.2.1'), /not within the zone/],
      [a('noDot.example.com', '192.0.2.1'), /additions\[0\]\.name/],
      [a('x.example.com.', '192.0.2.300'), /additions\[0\]\.rrdata\[0\]/],
      [{ name: 'c.example.com.', type: 'CNAME', ttl: 60, rrdatas: ['target.example.net'] }, /rrdata\[0\]/],
      [{ name: 't.example.com.', type: 'TXT', ttl: 60, rrdatas: [`"${'x'.repeat(300)}"`] }, /255 bytes/],
      [{ name: 'w.example.com.', type: 'A', ttl: 60, rrdatas: ['192.0.2.1'], routingPolicy: { wrr: { items: [{ weight: 1, rrdatas: ['192.0.2.1'] }] } } }, /exactly one of 'rrdatas' and 'routingPolicy'/],
    ];
    for (const [rrset, message] of cases) {
      const res = await call('POST', '/managedZones/z/changes', { additions: [rrset] });
      assert.equal(res.status, 400, JSON.stringify(rrset));
      assert.match(errorOf(res.json).message, message);
    }
    const cname = await call('POST', '/managedZones/z/changes', { additions: [{ name: 'www.example.com.', type: 'CNAME', ttl: 60, rrdatas: ['x.example.net.'] }] });
    assert.equal(errorOf(cname.json).errors[0]?.reason, 'cnameResourceRecordSetConflict');
  });

  it('stores TXT strings quoted and routing policies with their kinds', async () => {
    const res = await call('POST', '/managedZones/z/changes', { additions: [
      { name: 'txt.example.com.', type: 'TXT', ttl: 60, rrdatas: ['v=spf1 -all'] },
      { name: 'geo.example.com.', type: 'A', ttl: 60, routingPolicy: { geo: { items: [{ location: 'us-east1', rrdatas: ['192.0.2.1'] }, { location: 'europe-west1', rrdatas: ['192.0.2.2'] }] } } },
    ] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const txt = await call('GET', '/managedZones/z/rrsets/txt.example.com./TXT');
    assert.deepEqual(txt.json.rrdatas, ['"v=spf1" "-all"']);
    const geo = await call('GET', '/managedZones/z/rrsets/geo.example.com./A');
    const policy = geo.json.routingPolicy as { kind: string; geo: { items: { kind: string; location: string }[] } };
    assert.equal(policy.kind, 'dns#rRSetRoutingPolicy');
    assert.deepEqual(policy.geo.items.map((i) => i.location), ['us-east1', 'europe-west1']);
    // a deletion echoing what was read (kinds included) matches
    const del = await call('POST', '/managedZones/z/changes', { deletions: [geo.json] });
    assert.equal(del.status, 200, JSON.stringify(del.json));
  });

  it('answers 403 quotaExceeded when a change exceeds the per-change quotas, and applies nothing', async () => {
    const additions = Array.from({ length: 1001 }, (_, i) => a(`q${i}.example.com.`, '192.0.2.1'));
    const res = await call('POST', '/managedZones/z/changes', { additions });
    assert.equal(res.status, 403);
    assert.equal(errorOf(res.json).errors[0]?.reason, 'quotaExceeded');
    assert.equal(errorOf(res.json).message, 'The change would exceed quota for additions per change.');
    const fits = await call('POST', '/managedZones/z/changes', { additions: additions.slice(0, 1000) });
    assert.equal(fits.status, 200);
  });

  it('refuses a change over 100,000 bytes of rrdata (additions and deletions together), listing every quota exceeded, and applies nothing', async () => {
    assert.equal((await call('POST', '/managedZones', { name: 'bytes', dnsName: 'bytes.example.' })).status, 200);
    const quota = (await call('GET', '')).json.quota as Record<string, number>;
    assert.equal(quota.totalRrdataSizePerChange, 100000);
    assert.equal(quota.nameserversPerDelegation, 8);
    // 40 TXT sets of 10 strings of 250 bytes: 40 × 10 × 252 = 100,800 bytes of rrdata
    const txt = (i: number) => ({ name: `t${i}.bytes.example.`, type: 'TXT', ttl: 300, rrdatas: Array.from({ length: 10 }, (_, j) => `"${String(j).repeat(250)}"`) });
    const big = await call('POST', '/managedZones/bytes/changes', { additions: Array.from({ length: 40 }, (_, i) => txt(i)) });
    assert.equal(big.status, 403, JSON.stringify(big.json));
    assert.equal(errorOf(big.json).errors[0]?.reason, 'quotaExceeded');
    assert.equal(errorOf(big.json).message, 'The change would exceed quota for total rrdata size per change.');
    assert.deepEqual(await names('bytes'), ['bytes.example. NS', 'bytes.example. SOA']);
    const fits = await call('POST', '/managedZones/bytes/changes', { additions: Array.from({ length: 39 }, (_, i) => txt(i)) });
    assert.equal(fits.status, 200);
    // replacing 20 of them moves 20 × 2,520 bytes out and as many in: deletions count too
    const replace = Array.from({ length: 20 }, (_, i) => txt(i));
    const swap = await call('POST', '/managedZones/bytes/changes', { deletions: replace, additions: replace.map((r) => ({ ...r, ttl: 60 })) });
    assert.equal(swap.status, 403);
    const both = await call('POST', '/managedZones/bytes/changes', {
      additions: Array.from({ length: 1001 }, (_, i) => ({ name: `n${i}.bytes.example.`, type: 'TXT', ttl: 300, rrdatas: [`"${'x'.repeat(100)}"`] })),
    });
    assert.deepEqual(errorOf(both.json).errors.map((e) => e.message), [
      'The change would exceed quota for additions per change.', 'The change would exceed quota for total rrdata size per change.']);
  });

  it('allows at most 8 name servers in a delegation (an NS set below the apex)', async () => {
    const ns = (n: number) => ({ name: 'sub.example.com.', type: 'NS', ttl: 300, rrdatas: Array.from({ length: n }, (_, i) => `ns${i}.example.net.`) });
    const nine = await call('POST', '/managedZones/z/changes', { additions: [ns(9)] });
    assert.equal(nine.status, 403);
    assert.equal(errorOf(nine.json).errors[0]?.reason, 'quotaExceeded');
    assert.match(errorOf(nine.json).message, /nameservers per delegation \(9 name servers, limit 8\)/);
    assert.equal((await call('POST', '/managedZones/z/changes', { additions: [ns(8)] })).status, 200);
    assert.equal((await call('POST', '/managedZones/z/changes', { deletions: [ns(8)] })).status, 200);
  });

  it('accepts a health check as its full URL or its projects/… path, and refuses anything else', async () => {
    const policy = (healthCheck: unknown) => ({
      name: 'hc.example.com.', type: 'A', ttl: 60,
      routingPolicy: { healthCheck, wrr: { items: [{ weight: 1, healthCheckedTargets: { externalEndpoints: ['192.0.2.7'] } }] } },
    });
    for (const good of ['https://www.googleapis.com/compute/v1/projects/p/global/healthChecks/web', 'https://compute.googleapis.com/compute/v1/projects/p/global/healthChecks/web',
      'projects/my-project/global/healthChecks/web-check', 'projects/p/regions/us-east1/healthChecks/web']) {
      const res = await call('POST', '/managedZones/z/rrsets', policy(good));
      assert.equal(res.status, 200, `${good}: ${JSON.stringify(res.json)}`);
      assert.equal((res.json.routingPolicy as { healthCheck: string }).healthCheck, good);
      assert.equal((await call('DELETE', '/managedZones/z/rrsets/hc.example.com./A')).status, 200);
    }
    for (const bad of ['web', 'https://example.com/healthChecks/web', 'projects/p/global/backendServices/web', 'projects/p/global/healthChecks/Web_1',
      'http://www.googleapis.com/compute/v1/projects/p/global/healthChecks/web', 'projects//global/healthChecks/web', 42]) {
      const res = await call('POST', '/managedZones/z/rrsets', policy(bad));
      assert.equal(res.status, 400, String(bad));
      assert.match(errorOf(res.json).message, /Invalid value for 'entity\.resourceRecordSet\.routingPolicy\.healthCheck'/);
    }
  });

  it('pages record sets with maxResults and nextPageToken, and filters by name and type', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call('GET', `/managedZones/z/rrsets?maxResults=300${token ? `&pageToken=${token}` : ''}`);
      const rrsets = res.json.rrsets as { name: string; type: string }[];
      assert.ok(rrsets.length <= 300);
      seen.push(...rrsets.map((r) => `${r.name} ${r.type}`));
      token = res.json.nextPageToken as string | undefined;
      pages += 1;
    } while (token);
    assert.equal(pages, 4);
    assert.equal(new Set(seen).size, seen.length, 'no set is served twice');
    assert.equal(seen.length, (dns.state.rrsets('p', 'z')).length);
    const capped = await call('GET', '/managedZones/z/rrsets?maxResults=5000');
    assert.equal((capped.json.rrsets as unknown[]).length, 500, 'the server caps a page');
    const one = await call('GET', '/managedZones/z/rrsets?name=q7.example.com.&type=A');
    assert.deepEqual((one.json.rrsets as { name: string }[]).map((r) => r.name), ['q7.example.com.']);
    const typeOnly = await call('GET', '/managedZones/z/rrsets?type=A');
    assert.equal(typeOnly.status, 400);
  });

  it('injects 429 rateLimitExceeded bursts, 500s and slow responses', async () => {
    dns.injectFaults({ status: 429, count: 2, operation: 'managedZones.get' }, { status: 500, operation: 'managedZones.get' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await call('GET', '/managedZones/z')).status);
    assert.deepEqual(statuses, [429, 429, 500, 200]);
    const limited = (dns.requests.filter((r) => r.status === 429)).length;
    assert.equal(limited, 2);
    dns.injectFaults({ status: 429, operation: 'managedZones.get' });
    const throttled = await call('GET', '/managedZones/z');
    assert.equal(errorOf(throttled.json).errors[0]?.reason, 'rateLimitExceeded');
    dns.injectFaults({ delayMs: 150 });
    const t0 = Date.now();
    assert.equal((await call('GET', '/managedZones/z')).status, 200);
    assert.ok(Date.now() - t0 >= 140, 'the response was delayed');
  });

  it('lists changes in sequence with paging, and zones with a dnsName filter', async () => {
    const all = (dns.state.changes('p', 'z')).length;
    const first = await call('GET', '/managedZones/z/changes?maxResults=2');
    const ids = (first.json.changes as { id: string; status: string }[]).map((c) => c.id);
    assert.deepEqual(ids, ['1', '2']);
    const next = await call('GET', `/managedZones/z/changes?maxResults=100&pageToken=${String(first.json.nextPageToken)}`);
    assert.equal((next.json.changes as unknown[]).length, all - 2);
    const newest = await call('GET', '/managedZones/z/changes?maxResults=1&sortOrder=descending');
    assert.deepEqual((newest.json.changes as { id: string }[]).map((c) => c.id), [String(all)]);
    await call('POST', '/managedZones', { name: 'other', dnsName: 'other.example.net.' });
    const filtered = await call('GET', '/managedZones?dnsName=other.example.net.');
    assert.deepEqual((filtered.json.managedZones as { name: string }[]).map((z) => z.name), ['other']);
    const paged = await call('GET', '/managedZones?maxResults=1');
    assert.equal((paged.json.managedZones as unknown[]).length, 1);
    assert.ok(paged.json.nextPageToken);
  });

  it('deletes only empty zones', async () => {
    await call('POST', '/managedZones', { name: 'empty', dnsName: 'empty.example.org.' });
    await call('POST', '/managedZones/empty/changes', { additions: [a('x.empty.example.org.', '192.0.2.1')] });
    const busy = await call('DELETE', '/managedZones/empty');
    assert.equal(busy.status, 400);
    assert.equal(errorOf(busy.json).errors[0]?.reason, 'containerNotEmpty');
    await call('POST', '/managedZones/empty/changes', { deletions: [a('x.empty.example.org.', '192.0.2.1')] });
    assert.equal((await call('DELETE', '/managedZones/empty')).status, 204);
    assert.equal((await call('GET', '/managedZones/empty')).status, 404);
  });
});
