// Cloud DNS limits through the CLI against the emulator (which enforces them as the real API
// does): a zone whose rrdata exceeds what one change carries is applied in several changes, never
// refused; an update of a set too big to replace in one change still converges; a single set
// over 100,000 bytes of rrdata and a delegation of more than 8 name servers are refused at
// validate with file:line and the limit; a health check is taken in its short or full form and
// garbage is refused at validate, before the API refuses it.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { runTrueup } from '../support/cli.ts';

const PROJECT = 'limits-cli';
let dns: CloudDnsEmulator;
let dir: string;
const trueup = (...args: string[]) => runTrueup(args, { cwd: dir });
const writeZone = (records: string[], zone = 'bytes') => writeFile(join(dir, 'resources', `${zone}.yaml`),
  ['apiVersion: dns.trueup.dev/v1', 'kind: Zone', `metadata: { name: ${zone}.example.org. }`, 'spec:', '  records:', ...records, ''].join('\n'));
/** A TXT set of `count` values of `chars` characters each (quoted strings of at most 250). */
const txt = (name: string, count: number, chars: number, fill = 'a') => {
  const value = (i: number) => {
    const text = `${i}`.padEnd(chars, fill);
    return (text.match(/.{1,250}/g) ?? []).map((s) => `\\"${s}\\"`).join(' ');
  };
  return `    ${name}: [{ type: TXT, values: [${Array.from({ length: count }, (_, i) => `"${value(i)}"`).join(', ')}] }]`;
};
const changes = () => dns.requests.filter((r) => r.operation === 'changes.create');
const bodyBytes = (body: unknown) => {
  const b = body as { additions?: { rrdatas?: string[] }[]; deletions?: { rrdatas?: string[] }[] };
  return [...(b.additions ?? []), ...(b.deletions ?? [])].flatMap((r) => r.rrdatas ?? []).reduce((n, s) => n + Buffer.byteLength(s), 0);
};

before(async () => {
  dns = await startCloudDnsEmulator();
  dir = await mkdtemp(join(tmpdir(), 'trueup-gcp-limits-'));
  await mkdir(join(dir, 'resources'));
  await writeFile(join(dir, 'trueup.yaml'), [
    'apiVersion: trueup.dev/v1',
    'kind: EngineConfig',
    'providers:',
    `  clouddns: { type: gcp-dns, settings: { project: ${PROJECT}, apiEndpoint: "${dns.url}", rateLimit: 500, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } } }`,
    'sources:',
    '  - name: limits',
    '    path: ./resources',
    '    scopes: { clouddns: ["zone/*"] }',
    '',
  ].join('\n'));
});
after(async () => {
  await dns?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Cloud DNS limits through the CLI', () => {
  it('applies a zone holding 240,000 bytes of rrdata in changes of at most 100,000 bytes, none refused, and converges', async () => {
    // 30 sets × 8 values × 1,000 characters: about 243,000 bytes with the quotes
    await writeZone(Array.from({ length: 30 }, (_, i) => txt(`t${i}`, 8, 1000)));
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const sent = changes();
    assert.ok(sent.length >= 3, `${sent.length} changes`);
    for (const change of sent) {
      assert.equal(change.status, 200, 'no change refused (packed by bytes, not split after a refusal)');
      assert.ok(bodyBytes(change.body) <= 100_000, `${bodyBytes(change.body)} bytes`);
    }
    assert.equal(dns.state.rrsets(PROJECT, 'bytes-example-org').filter((r) => r.type === 'TXT').length, 30);
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });

  it('replaces a set whose old and new values together exceed one change: deleted, then added, and converged', async () => {
    const records = Array.from({ length: 30 }, (_, i) => txt(`t${i}`, 8, 1000));
    await writeZone([...records, txt('huge', 60, 1000)]);
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    const from = dns.requests.length;
    await writeZone([...records, txt('huge', 60, 1000, 'b')]);
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const sent = dns.requests.slice(from).filter((r) => r.operation === 'changes.create');
    assert.deepEqual(sent.map((r) => [r.status, (r.body as { deletions?: unknown[] }).deletions?.length ?? 0, (r.body as { additions?: unknown[] }).additions?.length ?? 0]),
      [[200, 1, 0], [200, 0, 1]]);
    const live = dns.state.getRrset(PROJECT, 'bytes-example-org', 'huge.bytes.example.org.', 'TXT');
    assert.match(live.rrdatas?.[0] ?? '', /^"0b+"/);
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 0);
  });

  it('refuses at validate a record set over 100,000 bytes of rrdata and a delegation of 9 name servers, naming file:line and the limit', async () => {
    const ns = (name: string, n: number) => `    ${name}: [{ type: NS, values: [${Array.from({ length: n }, (_, i) => `ns${i}.example.net.`).join(', ')}] }]`;
    await writeZone([txt('fine', 8, 1000), ns('eight', 8), txt('toobig', 100, 1000), ns('nine', 9)]);
    const from = dns.requests.length;
    const result = await trueup('validate');
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const out = result.stdout + result.stderr;
    assert.match(out, /bytes\.yaml:8:\d+.*toobig\.bytes\.example\.org\. TXT holds 10\d{4} bytes of rrdata; one Cloud DNS change carries at most 100000/);
    assert.match(out, /bytes\.yaml:9:\d+.*delegation nine\.bytes\.example\.org\. names 9 name servers; Cloud DNS allows at most 8 per delegation/);
    assert.doesNotMatch(out, /fine\.bytes|eight\.bytes/);
    const plan = await trueup('plan');
    assert.notEqual(plan.code, 0);
    assert.equal(dns.requests.slice(from).filter((r) => r.method !== 'GET').length, 0, 'nothing applied from a refused revision');
  });

  it('applies a health check given as projects/… and converges; refuses a bare name at validate with file:line', async () => {
    const policy = (healthCheck: string) => [
      '    failover:',
      '      - type: A',
      '        gcp:',
      '          routingPolicy:',
      `            healthCheck: ${healthCheck}`,
      '            primaryBackup: { primary: { externalEndpoints: [198.51.100.1] }, backup: [{ location: us-east1, values: [198.51.100.10] }] }',
    ];
    // the bytes zone as test 2 left it live (test 3 wrote an invalid revision of it)
    await writeZone([...Array.from({ length: 30 }, (_, i) => txt(`t${i}`, 8, 1000)), txt('huge', 60, 1000, 'b')]);
    await writeZone(policy(`projects/${PROJECT}/global/healthChecks/web`), 'hc');
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const live = dns.state.getRrset(PROJECT, 'hc-example-org', 'failover.hc.example.org.', 'A');
    assert.equal(live.routingPolicy?.healthCheck, `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/healthChecks/web`);
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 0);

    await writeZone(policy('web-check'), 'hc');
    const from = dns.requests.length;
    const refused = await trueup('validate');
    assert.equal(refused.code, 1);
    assert.match(refused.stdout + refused.stderr, /hc\.yaml:10:\d+.*healthCheck.*URL of a Compute Engine health check/);
    assert.notEqual((await trueup('apply', '--auto-approve')).code, 0);
    assert.equal(dns.requests.slice(from).filter((r) => r.method !== 'GET').length, 0);
  });
});
