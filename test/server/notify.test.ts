// Notifications to real HTTP endpoints on loopback: a Slack incoming webhook, a generic webhook
// whose HMAC signature the receiver checks, and GitHub commit statuses (API base URL pointed at a
// local server). Repeated failures are sent once; secrets come from env/files and stay out of logs.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NotificationDispatcher } from '../../src/report/notify/dispatcher.ts';
import { githubStatusNotifier } from '../../src/report/notify/github-status.ts';
import { readSecret } from '../../src/report/notify/secrets.ts';
import { slackNotifier } from '../../src/report/notify/slack.ts';
import { webhookNotifier } from '../../src/report/notify/webhook.ts';
import { silentLogger } from '../../src/report/log.ts';
import { config, harness, item, waitFor, type Harness } from '../controller/harness.ts';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('notifications', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let h: Harness;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(req.url?.startsWith('/broken') ? 500 : 201, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await harness();
  });
  after(async () => {
    await h.dispose();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends applied, drift and failure to Slack and a signed webhook, each failure once', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const env = {
      TU_SLACK_URL: `${url}/slack/T000/B000/XXXXSECRET`,
      TU_HOOK_URL: `${url}/hook`,
      TU_HOOK_SECRET: 'notify-hmac-secret',
    };
    const d = await h.daemon(config({
      retryInterval: '100ms',
      extra: `notifications:
  - { type: slack, url: { env: TU_SLACK_URL } }
  - { type: webhook, url: { env: TU_HOOK_URL }, secret: { env: TU_HOOK_SECRET }, events: [applied, failure] }`,
    }), { env });
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('applied notifications', () => received.filter((r) => r.path.startsWith('/slack') || r.path === '/hook').length >= 2);
    const slack = received.find((r) => r.path.startsWith('/slack'));
    assert.match(JSON.parse(slack?.body ?? '{}').text as string, /source `team`: applied revision sha256:[0-9a-f]+: 1 create/);
    const hook = received.find((r) => r.path === '/hook');
    assert.ok(hook);
    const expected = `sha256=${createHmac('sha256', env.TU_HOOK_SECRET).update(hook.body).digest('hex')}`;
    assert.equal(hook.headers['x-trueup-signature-256'], expected, 'body signed with the shared secret');
    const event = JSON.parse(hook.body) as { type: string; source: string; revision: string };
    assert.equal(event.type, 'applied');
    assert.equal(event.source, 'team');

    // A broken revision fails on every pass (reconcile-now each time), but is sent only once.
    received.length = 0;
    await h.write({ 'a.yaml': 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: a }\nspec: { bucket: team, valu: 1 }\n' });
    for (let i = 0; i < 3; i += 1) {
      const n = source.status.history.length;
      source.trigger(true);
      await waitFor('pass', () => source.status.history.length > n || source.status.history.length === 10);
      await new Promise((r) => setTimeout(r, 30));
    }
    await d.notifications.flush();
    const failures = received.filter((r) => r.path === '/hook' && (JSON.parse(r.body) as { type: string }).type === 'failure');
    assert.equal(failures.length, 1, 'the same failure is not re-sent every pass');
    assert.equal(received.filter((r) => r.path.startsWith('/slack')).length, 1);
    assert.ok(d.notifications.suppressed >= 2);
    assert.match((JSON.parse(failures[0]?.body ?? '{}') as { message: string }).message, /invalid and was not applied/);
    assert.ok(!h.logs.some((l) => l.includes('XXXXSECRET') || l.includes(env.TU_HOOK_SECRET)), 'no secret in logs');
    await d.stop();
  });

  it('sets a GitHub commit status on the commit, against a configurable API URL', async () => {
    const sha = 'a'.repeat(40);
    const n = githubStatusNotifier({ token: 'ghp_test', apiUrl: `${url}/api/v3/`, repository: 'acme/infra', events: ['applied', 'failure', 'drift'], sources: undefined });
    const dispatcher = new NotificationDispatcher([n], silentLogger());
    received.length = 0;
    dispatcher.handle({ type: 'applied', source: 'prod', revision: sha, counts: { create: 1, update: 0, replace: 0, delete: 0 }, message: 'applied revision aaaa: 1 create' });
    dispatcher.handle({ type: 'failure', source: 'prod', revision: 'sha256:0123', reason: 'X', message: 'not a commit: skipped' });
    await dispatcher.flush();
    assert.equal(received.length, 1);
    const r = received[0];
    assert.equal(r?.path, `/api/v3/repos/acme/infra/statuses/${sha}`);
    assert.equal(r?.headers.authorization, 'Bearer ghp_test');
    assert.deepEqual(JSON.parse(r?.body ?? '{}'), { state: 'success', context: 'trueup/prod', description: 'applied revision aaaa: 1 create' });
  });

  it('names the first problem of an invalid revision in the GitHub status and links the status page', async () => {
    const sha = 'd'.repeat(40);
    const n = githubStatusNotifier({ token: 't', apiUrl: url, repository: 'acme/infra', events: ['failure'], sources: undefined, link: 'https://trueup.example.com/' });
    const dispatcher = new NotificationDispatcher([n], silentLogger());
    received.length = 0;
    const message = 'revision dddddddddddd is invalid and was not applied (2 problems); nothing was changed:\n'
      + 'zones/shop.yaml:12:9: spec.records.www[0].ttl: ttl is at most 2147483647 seconds\nzones/shop.yaml:20:3: spec.gpc: unknown provider block';
    dispatcher.handle({ type: 'failure', source: 'prod', revision: sha, reason: 'InvalidRevision', message });
    await dispatcher.flush();
    assert.deepEqual(JSON.parse(received[0]?.body ?? '{}'), {
      state: 'failure', context: 'trueup/prod',
      description: 'zones/shop.yaml:12:9: spec.records.www[0].ttl: ttl is at most 2147483647 seconds (+1 more; not applied)',
      target_url: 'https://trueup.example.com/#source-prod',
    });
  });

  it('puts the summary line and the status page link in Slack and webhook bodies', async () => {
    const link = 'https://trueup.example.com';
    const dispatcher = new NotificationDispatcher([
      slackNotifier(`${url}/slack/T/B/X`, ['failure'], undefined, link),
      webhookNotifier(`${url}/hook`, undefined, ['failure'], undefined, link),
    ], silentLogger());
    received.length = 0;
    dispatcher.handle({ type: 'failure', source: 'prod', revision: 'e'.repeat(40), reason: 'InvalidRevision',
      message: 'revision eeeeeeeeeeee is invalid and was not applied (1 problem); nothing was changed:\nzones/<!channel>.yaml:3:1: spec: unknown field' });
    await dispatcher.flush();
    const slack = JSON.parse(received.find((r) => r.path.startsWith('/slack'))?.body ?? '{}') as { text: string };
    assert.equal(slack.text.split('\n')[0], ':x: *trueup* source `prod`: zones/&lt;!channel&gt;.yaml:3:1: spec: unknown field (not applied) (<https://trueup.example.com/#source-prod|status page>)');
    assert.ok(!slack.text.includes('<!channel>'), 'untrusted text cannot mention a channel');
    const hook = JSON.parse(received.find((r) => r.path === '/hook')?.body ?? '{}') as { summary: string; link: string; message: string };
    assert.equal(hook.summary, 'zones/<!channel>.yaml:3:1: spec: unknown field (not applied)');
    assert.equal(hook.link, 'https://trueup.example.com/#source-prod');
    assert.match(hook.message, /^revision eeeeeeeeeeee is invalid/, 'the full message is still there');
  });

  it('marks a commit pending while its plan waits for approval, once per plan', async () => {
    const sha = 'c'.repeat(40);
    const n = githubStatusNotifier({ token: 't', apiUrl: url, repository: 'acme/infra', events: ['pending-approval', 'applied'], sources: undefined });
    const dispatcher = new NotificationDispatcher([n], silentLogger());
    received.length = 0;
    const counts = { create: 0, update: 2, replace: 0, delete: 0 };
    const waiting = { type: 'pending-approval', source: 'prod', revision: sha, planId: '0123456789ab', counts, message: 'plan 0123456789ab for revision cccccccc (2 update) waits for approval' } as const;
    dispatcher.handle(waiting);
    dispatcher.handle(waiting); // the next pass finds the same plan still waiting: not re-sent
    dispatcher.handle({ ...waiting, planId: 'ba9876543210', message: 'plan ba9876543210 … waits for approval' });
    await dispatcher.flush();
    assert.deepEqual(received.map((r) => (JSON.parse(r.body) as { state: string }).state), ['pending', 'pending']);
    assert.match((JSON.parse(received[0]?.body ?? '{}') as { description: string }).description, /waits for approval/);
  });

  it('a failing channel is logged, never thrown into the loop', async () => {
    const n = githubStatusNotifier({ token: 't', apiUrl: `${url}/broken`, repository: 'a/b', events: ['applied'], sources: undefined });
    const dispatcher = new NotificationDispatcher([n], silentLogger());
    dispatcher.handle({ type: 'applied', source: 'prod', revision: 'b'.repeat(40), counts: { create: 0, update: 1, replace: 0, delete: 0 }, message: 'm' });
    await dispatcher.flush();
    assert.equal(dispatcher.sent, 0);
  });

  it('reads secrets from env or file and names only the variable or file when missing', async () => {
    await assert.rejects(readSecret({ env: 'TU_MISSING' }, 'slack url', { env: {}, baseDir: '/' }), /slack url: environment variable TU_MISSING is not set/);
    await assert.rejects(readSecret({ file: 'nope.txt' }, 'token', { env: {}, baseDir: h.dir }), /token: cannot read .*nope\.txt: ENOENT/);
    assert.equal(await readSecret({ env: 'X' }, 'x', { env: { X: ' v \n' }, baseDir: '/' }), 'v');
  });
});
