// `trueup run` end to end in apply mode: git http-backend + moto (Route 53) + the Cloud DNS
// emulator + the daemon as a child process. A commit converges; a webhook triggers a pass at
// once (and we measure commit→converged for a 10-record change); drift made with the AWS CLI is
// corrected; a bad commit leaves everything in place with Stalled; an idle pass costs one Git
// request and no cloud call; metrics and status reflect each step.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ready, stalled, startE2E, waitFor, zone, type DaemonProcess, type E2E } from './support.ts';

const R53 = 'apply.e2e.example.com';
const GCP = 'gcp.e2e.example.com';

describe('trueup run (apply mode) against Route 53, Cloud DNS and a Git server', () => {
  let env: E2E;
  let daemon: DaemonProcess;
  let firstCommit = '';
  // A stand-in for the GitHub API: trueup posts commit statuses here (apiUrl in the config).
  let github: Server;
  const statuses: { path: string; auth: string | undefined; body: { state: string; context: string; description: string } }[] = [];

  before(async () => {
    github = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        statuses.push({ path: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as never });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => github.listen(0, '127.0.0.1', () => r()));
    env = await startE2E();
    await writeFile(join(env.dir, 'github-token'), 'ghs_e2e_token\n');
    firstCommit = await env.repo.commitAndPush({
      'dns/route53.yaml': zone(R53, 'route53', { www: ['192.0.2.1'], api: ['192.0.2.2'] }),
      'dns/clouddns.yaml': zone(GCP, 'clouddns', { www: ['198.51.100.1'] }),
    }, 'initial zones');
    const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    scopes: { route53: ["zone/${R53}."], clouddns: ["zone/${GCP}."] }`, `notifications:
  - type: github-status
    repository: acme/infra
    apiUrl: http://127.0.0.1:${(github.address() as AddressInfo).port}/api/v3
    token: { file: github-token }
`);
    daemon = await env.startDaemon(config);
  });
  after(async () => {
    await env?.stop();
    await new Promise<void>((r) => github.close(() => r()));
  });

  it('converges the first commit on both providers and reports it', async () => {
    const s = await waitFor('first apply', async () => {
      const st = await daemon.status('infra');
      return st.lastAppliedRevision === firstCommit && st;
    });
    assert.equal(ready(s)?.status, 'True');
    assert.equal(s.lastAttemptedRevision, firstCommit);
    assert.equal(s.history[0]?.result, 'applied');
    const www = (await env.recordSets(R53)).find((r) => r.Name?.startsWith('www.') && r.Type === 'A');
    assert.deepEqual(www?.ResourceRecords?.map((r) => r.Value), ['192.0.2.1']);
    const gcp = await fetch(`${env.gcp.url}/dns/v1/projects/e2e/managedZones`).then((r) => r.json()) as { managedZones: { name: string; dnsName: string }[] };
    const managed = gcp.managedZones.find((z) => z.dnsName === `${GCP}.`);
    assert.ok(managed, 'Cloud DNS zone created');
    const rrsets = await fetch(`${env.gcp.url}/dns/v1/projects/e2e/managedZones/${managed.name}/rrsets`).then((r) => r.json()) as { rrsets: { name: string; type: string; rrdatas: string[] }[] };
    assert.deepEqual(rrsets.rrsets.find((r) => r.name === `www.${GCP}.` && r.type === 'A')?.rrdatas, ['198.51.100.1']);
    const metrics = await daemon.metrics();
    assert.match(metrics, new RegExp(`trueup_last_applied_revision_info\\{source="infra",revision="${firstCommit}"\\} 1`));
    assert.match(metrics, /trueup_reconcile_total\{source="infra",lane="git",result="applied"\} 1/);
    assert.match(metrics, /trueup_cloud_api_requests_total\{provider="aws-route53",instance="route53",operation="ChangeResourceRecordSets",outcome="ok"\} \d/);
    assert.match(metrics, /trueup_cloud_api_requests_total\{provider="gcp-dns",instance="clouddns",[^}]*outcome="ok"\} \d/);
    const status = await waitFor('GitHub commit status', () => statuses.find((st) => st.path === `/api/v3/repos/acme/infra/statuses/${firstCommit}`));
    assert.equal(status.body.state, 'success');
    assert.equal(status.body.context, 'trueup/infra');
    assert.equal(status.auth, 'Bearer ghs_e2e_token');
    const line = await waitFor('Flux-like summary line', () => daemon.logs.find((l) => String(l.msg).startsWith('Reconciliation finished')));
    assert.match(String(line.msg), /^Reconciliation finished in [\d.]+m?s \(applied, 5 create at [0-9a-f]{12}\), next run in \d+[hm]/);
    assert.equal(line.revision, firstCommit);
  });

  it('an idle pass on an unchanged remote costs one Git request and no cloud API call', async () => {
    const gitBefore = env.git.requests.length;
    const awsBefore = env.proxy.seen.length;
    const gcpBefore = env.gcp.requests.length;
    const passesBefore = /trueup_reconcile_total\{source="infra",lane="git",result="unchanged"\} (\d+)/.exec(await daemon.metrics())?.[1] ?? '0';
    assert.equal(await env.webhook(daemon), 202);
    await waitFor('idle pass', async () => (/trueup_reconcile_total\{source="infra",lane="git",result="unchanged"\} (\d+)/.exec(await daemon.metrics())?.[1] ?? '0') !== passesBefore);
    const gitRequests = env.git.requests.slice(gitBefore);
    console.log(`# idle pass: ${gitRequests.length} Git request(s) (${gitRequests.map((r) => `${r.method} ${r.path}?${r.query}`).join(', ')}), ${env.proxy.seen.length - awsBefore} Route 53 request(s), ${env.gcp.requests.length - gcpBefore} Cloud DNS request(s)`);
    assert.equal(gitRequests.length, 1);
    assert.match(gitRequests[0]?.path ?? '', /info\/refs$/);
    assert.equal(env.proxy.seen.length - awsBefore, 0);
    assert.equal(env.gcp.requests.length - gcpBefore, 0);
  });

  it('a webhook after a push applies a 10-record change at once (commit→converged latency)', async () => {
    const records: Record<string, string[]> = { www: ['192.0.2.1'], api: ['192.0.2.2'] };
    for (let i = 0; i < 10; i += 1) records[`host${i}`] = [`192.0.2.${100 + i}`];
    const started = Date.now();
    const commit = await env.repo.commitAndPush({ 'dns/route53.yaml': zone(R53, 'route53', records) }, 'ten more hosts');
    const pushed = Date.now();
    assert.equal(await env.webhook(daemon), 202);
    await waitFor('converged', async () => (await daemon.status('infra')).lastAppliedRevision === commit, 20_000, 10);
    const converged = Date.now();
    const live = (await env.recordSets(R53)).filter((r) => /^host\d\./.test(r.Name ?? ''));
    assert.equal(live.length, 10);
    const s = await daemon.status('infra');
    assert.deepEqual(s.history[0]?.changes, { create: 10, update: 0, replace: 0, delete: 0 });
    console.log(`# commit→converged for a 10-record change with a webhook: ${converged - pushed} ms after the push (${converged - started} ms including git commit+push); pass took ${s.history[0]?.durationMs} ms`);
    assert.ok(converged - pushed < 10_000);
  });

  it('corrects drift made with the AWS CLI on a reconcile-now (the drift lane itself: modes.test.ts)', async () => {
    const id = await env.zoneId(R53);
    assert.ok(id);
    const batch = join(env.dir, 'drift.json');
    await writeFile(batch, JSON.stringify({ Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `www.${R53}.`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.66' }] } }] }));
    await env.aws(['route53', 'change-resource-record-sets', '--hosted-zone-id', id, '--change-batch', `file://${batch}`]);
    const www = async () => (await env.recordSets(R53)).find((r) => r.Name?.startsWith('www.') && r.Type === 'A')?.ResourceRecords?.map((r) => r.Value);
    assert.deepEqual(await www(), ['203.0.113.66']);
    // Drift checks run every driftInterval; reconcile-now asks for a full pass right away.
    const res = await fetch(`${daemon.url}/api/v1/sources/infra/reconcile`, { method: 'POST', headers: { authorization: 'Bearer e2e-api-token-77c2' } });
    assert.equal(res.status, 202);
    await waitFor('drift corrected', async () => JSON.stringify(await www()) === '["192.0.2.1"]');
    // The record changes in Route 53 a moment before the daemon has read the API's answer.
    const pass = await waitFor('the correcting pass', async () => {
      const p = (await daemon.status('infra')).history[0];
      return p?.result === 'applied' && p;
    });
    assert.deepEqual(pass.changes, { create: 0, update: 1, replace: 0, delete: 0 });
    assert.match(await daemon.metrics(), /trueup_updates_issued_total\{source="infra",instance="route53"\} 1/);
  });

  it('a bad commit changes nothing: Stalled with the file, line and field; the last good revision stays', async () => {
    const good = (await daemon.status('infra')).lastAppliedRevision;
    const before = (await env.recordSets(R53)).length;
    const bad = await env.repo.commitAndPush({
      'dns/route53.yaml': `${zone(R53, 'route53', { www: ['192.0.2.1'] })}---\napiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: broken.example.com, provider: route53 }\nspec:\n  ttl: -5\n`,
    }, 'broken: drops records and has a bad ttl');
    assert.equal(await env.webhook(daemon), 202);
    const s = await waitFor('stalled', async () => {
      const st = await daemon.status('infra');
      return stalled(st)?.status === 'True' && st;
    });
    assert.equal(stalled(s)?.reason, 'InvalidRevision');
    assert.match(stalled(s)?.message ?? '', /dns\/route53\.yaml:\d+:\d+: spec\.ttl/);
    assert.match(stalled(s)?.message ?? '', /stays in force/);
    assert.equal(s.lastAppliedRevision, good);
    assert.equal(s.lastAttemptedRevision, bad);
    assert.equal(ready(s)?.status, 'False');
    // The problems are the source's errors too, each with its place, and the page says them once.
    assert.deepEqual(s.errors.map((x) => `${x.location}: ${x.message}`).filter((x) => /spec\.ttl/.test(x)).length, 1, JSON.stringify(s.errors));
    assert.match(s.errors[0]?.location ?? '', /^dns\/route53\.yaml:\d+:\d+$/);
    const page = await (await fetch(`${daemon.url}/`)).text();
    assert.equal(page.split('spec.ttl').length - 1, 2, 'once in the conditions, once in the errors list');
    assert.match(page, /<section class="errors">[^]*spec\.ttl/);
    assert.match(page, /data-condition="Stalled"[^]*?\(as above\)/);
    assert.equal((await env.recordSets(R53)).length, before, 'nothing deleted');
    assert.match(await daemon.metrics(), /trueup_reconcile_total\{source="infra",lane="git",result="stalled"\} 1/);
    const failure = await waitFor('failure status on the bad commit', () => statuses.find((st) => st.path.endsWith(`/statuses/${bad}`)));
    assert.equal(failure.body.state, 'failure');
    // The description names the first problem (file:line: field) and that nothing was applied.
    assert.match(failure.body.description, /^dns\/route53\.yaml:\d+:\d+: spec\.ttl: .*\(not applied\)$/);
    assert.ok(!daemon.logs.some((l) => JSON.stringify(l).includes('ghs_e2e_token')), 'the token never reaches a log line');
    assert.match(await daemon.metrics(), /trueup_source_condition\{source="infra",condition="stalled"\} 1/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const code = await daemon.stop('SIGTERM');
    assert.equal(code, 0);
    assert.ok(daemon.logs.some((l) => String(l.msg).startsWith('SIGTERM: stopping')));
  });
});
