// The HTTP surface over real sockets: probes, metrics, the status API, token-guarded actions,
// webhook signatures (GitHub, GitLab, generic HMAC), body limits, and that no secret ever shows
// up in a response or a log line.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Daemon } from '../../src/controller/daemon.ts';
import type { SourceStatus } from '../../src/controller/status.ts';
import { parseListen } from '../../src/server/server.ts';
import { DeliveryLog } from '../../src/server/webhooks.ts';
import { config, harness, item, waitFor, type Harness } from '../controller/harness.ts';
import { runTrueup } from '../support/cli.ts';

const TOKEN = 'api-token-5d1c9a7e';
const GITHUB_SECRET = 'gh-secret-8b2f';
const GITLAB_SECRET = 'gl-secret-71aa';
const HMAC_SECRET = 'hmac-secret-04ce';

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('HTTP surface', () => {
  let h: Harness;
  let d: Daemon;
  let base: string;
  const bodies: string[] = [];

  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }> => {
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as unknown };
  };
  const status = async () => (await call('/api/v1/sources/team')).json() as SourceStatus;
  const fullPasses = (s: SourceStatus) => s.history.filter((p) => p.lane === 'git').length;

  before(async () => {
    h = await harness();
    await writeFile(join(h.dir, 'token'), `${TOKEN}\n`);
    await h.write({ 'a.yaml': item('a', 'one') });
    d = await h.daemon(config({
      server: `server:
  listen: 127.0.0.1:0
  token: { file: token }
  maxBodyBytes: 2048
  webhooks:
    - { name: github, type: github, secret: { env: TU_GH_SECRET } }
    - { name: gitlab, type: gitlab, secret: { env: TU_GL_SECRET } }
    - { name: generic, type: hmac, secret: { env: TU_HMAC_SECRET }, header: X-Signature }`,
    }), { env: { TU_GH_SECRET: GITHUB_SECRET, TU_GL_SECRET: GITLAB_SECRET, TU_HMAC_SECRET: HMAC_SECRET } });
    await d.start(true);
    base = d.server?.url ?? '';
    await waitFor('first pass', () => d.controller.get('team').status.lastAppliedRevision);
  });
  after(async () => {
    await h.dispose();
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen(':9000'), { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
    assert.throws(() => parseListen('localhost'), /cannot parse listen address/);
  });

  it('serves probes and Prometheus metrics', async () => {
    assert.equal((await call('/healthz')).status, 200);
    assert.equal((await call('/readyz')).status, 200);
    const metrics = await call('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    for (const name of ['trueup_reconcile_duration_seconds_bucket', 'trueup_reconcile_total', 'trueup_cloud_api_requests_total', 'trueup_changes_applied_total',
      'trueup_resources_managed', 'trueup_last_applied_revision_info', 'trueup_source_condition']) {
      assert.match(metrics.text, new RegExp(`^${name}\\{`, 'm'), name);
    }
    assert.match(metrics.text, /trueup_changes_applied_total\{source="team",instance="mem",action="create",outcome="applied"\} 1/);
    assert.match(metrics.text, /trueup_last_applied_revision_info\{source="team",revision="sha256:[0-9a-f]+"\} 1/);
    assert.match(metrics.text, /trueup_cloud_api_requests_total\{provider="memory",instance="mem",operation="list",outcome="ok"\} \d/);
  });

  it('names metrics as Prometheus users expect: standard process metrics, _total only on counters, one meaning per label', async () => {
    const text = (await call('/metrics')).text;
    // Stock dashboards and alerts (node-exporter style process panels) find these names.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.match(text, new RegExp(`^${name}(\\{| )`, 'm'), name);
    }
    assert.doesNotMatch(text, /^trueup_process_/m);
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const totalGauges = [...types].filter(([name, type]) => name.endsWith('_total') && type !== 'counter').map(([name]) => name);
    assert.deepEqual(totalGauges, []);
    // `provider` is always a provider type and `instance` always an instance of the engine config.
    const values = (label: string) => new Set([...text.matchAll(new RegExp(`[{,]${label}="([^"]*)"`, 'g'))].map((m) => m[1]));
    assert.deepEqual([...values('provider')], ['memory']);
    assert.deepEqual([...values('instance')], ['mem']);
  });

  it('serves per-source status as JSON', async () => {
    const list = (await call('/api/v1/sources')).json() as { sources: SourceStatus[] };
    assert.deepEqual(list.sources.map((s) => s.name), ['team']);
    const s = await status();
    assert.equal(s.mode, 'apply');
    assert.equal(s.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(s.lastPlan?.summary.create, 1);
    assert.equal(s.history[0]?.result, 'applied');
    assert.ok(s.nextRun.git && s.nextRun.drift);
    assert.equal((await call('/api/v1/sources/nope')).status, 404);
  });

  it('refuses mutating calls without the right bearer token, and does nothing', async () => {
    const before = fullPasses(await status());
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
      const res = await call('/api/v1/sources/team/reconcile', { method: 'POST', headers });
      assert.equal(res.status, 401);
    }
    assert.equal((await call('/api/v1/sources/team/suspend', { method: 'POST' })).status, 401);
    await new Promise((r) => setTimeout(r, 200));
    const s = await status();
    assert.equal(fullPasses(s), before);
    assert.equal(s.suspended, false);
  });

  it('suspend, resume and reconcile-now with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await call('/api/v1/sources/team/suspend', { method: 'POST', headers: auth })).status, 200);
    assert.equal((await status()).suspended, true);
    assert.equal((await status()).conditions.find((c) => c.type === 'Ready')?.reason, 'Suspended');
    const before = fullPasses(await status());
    assert.equal((await call('/api/v1/sources/team/resume', { method: 'POST', headers: auth })).status, 202);
    await waitFor('pass after resume', async () => fullPasses(await status()) > before);
    const n = fullPasses(await status());
    // reconcile-now plans even though the source did not change.
    assert.equal((await call('/api/v1/sources/team/reconcile', { method: 'POST', headers: auth })).status, 202);
    await waitFor('reconcile-now pass', async () => fullPasses(await status()) > n);
    assert.equal((await status()).history[0]?.result, 'in-sync');
  });

  it('approve without a pending plan is a 404 and names the problem', async () => {
    const res = await call('/api/v1/sources/team/approve', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ plan: 'abcdef123456' }) });
    assert.equal(res.status, 404);
    assert.match(res.text, /no plan waiting for approval/);
    const bad = await call('/api/v1/sources/team/approve', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"plan": 1}' });
    assert.equal(bad.status, 400);
  });

  it('GitHub, GitLab and generic HMAC webhooks trigger a pass; bad signatures get 401 and trigger nothing', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: '0'.repeat(40) });
    const received = () => (h.logs.filter((l) => l.includes('webhook accepted')).length);
    const refusedBefore = h.logs.filter((l) => l.includes('webhook refused')).length;

    const attempts: [string, Record<string, string>][] = [
      ['/hooks/github', {}],
      ['/hooks/github', { 'x-hub-signature-256': sign('wrong', body), 'x-github-event': 'push' }],
      ['/hooks/github', { 'x-hub-signature-256': 'sha256=zz', 'x-github-event': 'push' }],
      ['/hooks/gitlab', { 'x-gitlab-token': 'nope' }],
      ['/hooks/gitlab', {}],
      ['/hooks/generic', { 'x-signature': sign(GITHUB_SECRET, body) }],
    ];
    const acceptedBefore = received();
    for (const [path, headers] of attempts) {
      const res = await call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
    }
    assert.equal(received(), acceptedBefore, 'nothing accepted');
    assert.equal(h.logs.filter((l) => l.includes('webhook refused')).length - refusedBefore, attempts.length);

    const ok: [string, Record<string, string>][] = [
      ['/hooks/github', { 'x-hub-signature-256': sign(GITHUB_SECRET, body), 'x-github-event': 'push' }],
      ['/hooks/gitlab', { 'x-gitlab-token': GITLAB_SECRET, 'x-gitlab-event': 'Push Hook' }],
      ['/hooks/generic', { 'x-signature': sign(HMAC_SECRET, body) }],
    ];
    for (const [path, headers] of ok) {
      const res = await call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal(res.status, 202, path);
      assert.deepEqual((res.json() as { triggered: string[] }).triggered, ['team']);
    }
    const ping = await call('/hooks/github', { method: 'POST', headers: { 'x-hub-signature-256': sign(GITHUB_SECRET, '{}'), 'x-github-event': 'ping' }, body: '{}' });
    assert.equal(ping.status, 202);
    assert.deepEqual((ping.json() as { triggered: string[] }).triggered, [], 'ping triggers nothing');
    assert.equal((await call('/hooks/unknown', { method: 'POST', body })).status, 404);
  });

  it('a replayed delivery (same signed body, same delivery id) is answered 200 and triggers nothing', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: '1'.repeat(40) });
    const github = (delivery: string) => call('/hooks/github', { method: 'POST', body, headers: {
      'content-type': 'application/json', 'x-hub-signature-256': sign(GITHUB_SECRET, body), 'x-github-event': 'push', 'x-github-delivery': delivery,
    } });
    const first = await github('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.equal(first.status, 202);
    const replay = await github('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.json(), { receiver: 'github', event: 'push', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', duplicate: true, triggered: [] });
    assert.ok(h.logs.some((l) => l.includes('webhook replay ignored')));
    assert.equal((await github('a-new-delivery')).status, 202, 'another delivery of the same push is a new delivery');
    const gitlab = () => call('/hooks/gitlab', { method: 'POST', body, headers: { 'x-gitlab-token': GITLAB_SECRET, 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e' } });
    assert.equal((await gitlab()).status, 202);
    assert.equal((await gitlab()).status, 200);
  });

  it('the delivery log is bounded in size and in time', () => {
    const log = new DeliveryLog({ capacity: 3, windowMs: 1000 });
    for (let i = 0; i < 10; i += 1) assert.equal(log.firstTime('github', `d${i}`, 0), true);
    assert.equal(log.size, 3);
    assert.equal(log.firstTime('github', 'd9', 10), false, 'recent: a replay');
    assert.equal(log.firstTime('gitlab', 'd9', 10), true, 'per receiver');
    assert.equal(log.firstTime('github', 'd9', 2000), true, 'past the window: forgotten');
  });

  it('a webhook push with a new commit reconciles at once', async () => {
    await h.write({ 'b.yaml': item('b', 'two') });
    const body = '{"ref":"refs/heads/main"}';
    const res = await call('/hooks/github', { method: 'POST', headers: { 'x-hub-signature-256': sign(GITHUB_SECRET, body), 'x-github-event': 'push' }, body });
    assert.equal(res.status, 202);
    await waitFor('b applied', async () => (await h.items()).has('item/team/b'), 10_000);
  });

  it('limits request bodies (413)', async () => {
    const big = 'x'.repeat(4096);
    const res = await call('/hooks/github', { method: 'POST', headers: { 'x-hub-signature-256': sign(GITHUB_SECRET, big) }, body: big });
    assert.equal(res.status, 413);
  });

  it('never puts a secret in a response or a log line', async () => {
    await call('/');
    const secrets = [TOKEN, GITHUB_SECRET, GITLAB_SECRET, HMAC_SECRET];
    for (const secret of secrets) {
      assert.ok(!bodies.some((b) => b.includes(secret)), `response leaked ${secret}`);
      assert.ok(!h.logs.some((l) => l.includes(secret)), `log leaked ${secret}`);
    }
  });
});

describe('HTTP surface without a token', () => {
  it('disables mutating endpoints with a 403 that says how to enable them', async () => {
    const h = await harness();
    try {
      await h.write({ 'a.yaml': item('a', 'one') });
      const d = await h.daemon(config({ server: 'server: { listen: "127.0.0.1:0" }' }));
      await d.start(true);
      const res = await fetch(`${d.server?.url}/api/v1/sources/team/reconcile`, { method: 'POST' });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /no API token is configured/);
      await d.stop();
      const after = await fetch(`${d.server?.url}/healthz`).then(() => 'open', () => 'closed');
      assert.equal(after, 'closed', 'the server is closed after stop');
    } finally {
      await h.dispose();
    }
  });
});

describe('HTTP surface with a read token (server.readToken)', () => {
  const READ_TOKEN = 'read-token-9e41c2';
  let h: Harness;
  let base: string;

  before(async () => {
    h = await harness();
    await writeFile(join(h.dir, 'token'), `${TOKEN}\n`);
    await writeFile(join(h.dir, 'read-token'), `${READ_TOKEN}\n`);
    await h.write({ 'a.yaml': item('a', 'secret-looking-value') });
    const d = await h.daemon(config({ server: 'server: { listen: "127.0.0.1:0", token: { file: token }, readToken: { file: read-token } }' }));
    await d.start(true);
    base = d.server?.url ?? '';
    await waitFor('first pass', () => d.controller.get('team').status.lastAppliedRevision);
  });
  after(async () => {
    await h.dispose();
  });

  const basic = (password: string) => `Basic ${Buffer.from(`viewer:${password}`).toString('base64')}`;

  it('refuses the status page and JSON API without it (401, a browser is asked for it), and shows nothing', async () => {
    for (const path of ['/', '/api/v1/sources', '/api/v1/sources/team', '/api/v1/sources/no-such-source']) {
      for (const authorization of [undefined, 'Bearer wrong-token', basic('wrong-token'), `Bearer ${READ_TOKEN}x`]) {
        const res = await fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
        const text = await res.text();
        assert.equal(res.status, 401, `${path} with ${authorization ?? 'no credentials'}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="trueup"/);
        assert.ok(!text.includes('team') && !text.includes('secret-looking-value'), `${path} says nothing about sources`);
      }
    }
  });

  it('serves them with the read token (bearer or basic-auth password) or the API token', async () => {
    for (const authorization of [`Bearer ${READ_TOKEN}`, basic(READ_TOKEN), `Bearer ${TOKEN}`]) {
      const page = await fetch(`${base}/`, { headers: { authorization } });
      assert.equal(page.status, 200, authorization.split(' ')[0]);
      assert.match(await page.text(), /secret-looking-value|team/);
      const res = await fetch(`${base}/api/v1/sources/team`, { headers: { authorization } });
      assert.equal(res.status, 200);
      assert.ok(((await res.json()) as SourceStatus).lastAppliedRevision);
    }
  });

  it('keeps probes and metrics open, and the read token cannot act', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await fetch(`${base}${path}`)).status, 200, path);
    const res = await fetch(`${base}/api/v1/sources/team/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    assert.equal(res.status, 401);
  });

  it('trueup approve reads the pending plan with the API token', async () => {
    const withToken = await runTrueup(['approve', 'team', '--url', base], { env: { TRUEUP_TOKEN: TOKEN } });
    assert.equal(withToken.code, 0, withToken.stderr);
    assert.match(withToken.stdout, /Source team has no plan waiting for approval/);
    const without = await runTrueup(['approve', 'team', '--url', base], { env: { TRUEUP_TOKEN: '' } });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /reading status needs the read token/);
  });
});
