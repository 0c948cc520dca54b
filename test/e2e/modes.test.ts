// `trueup run` end to end with three sources in one daemon, one per mode: drift made with the AWS
// CLI is corrected by the drift lane in apply mode (no commit, no trigger) and only reported in
// detect mode; approve mode waits for the plan id, which `trueup approve` approves.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { API_TOKEN, ready, startE2E, waitFor, zone, type DaemonProcess, type E2E } from './support.ts';

const DRIFTY = 'drifty.e2e.example.com';
const WATCH = 'watch.e2e.example.com';
const GATED = 'gated.e2e.example.com';

describe('trueup run: apply, detect and approve modes', () => {
  let env: E2E;
  let daemon: DaemonProcess;

  const upsert = async (zoneName: string, host: string, value: string) => {
    const id = await env.zoneId(zoneName);
    assert.ok(id, `zone ${zoneName}`);
    const batch = join(env.dir, `change-${Date.now()}.json`);
    await writeFile(batch, JSON.stringify({ Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `${host}.${zoneName}.`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: value }] } }] }));
    await env.aws(['route53', 'change-resource-record-sets', '--hosted-zone-id', id, '--change-batch', `file://${batch}`]);
  };
  const live = async (zoneName: string, host: string) =>
    (await env.recordSets(zoneName)).find((r) => r.Name === `${host}.${zoneName}.` && r.Type === 'A')?.ResourceRecords?.map((r) => r.Value) ?? [];

  before(async () => {
    env = await startE2E();
    // The detect-mode zone exists already, made by hand (the AWS CLI), with other values.
    await env.aws(['route53', 'create-hosted-zone', '--name', WATCH, '--caller-reference', `watch-${Date.now()}`]);
    await upsert(WATCH, 'www', '203.0.113.1');
    await env.repo.commitAndPush({
      'drifty/zone.yaml': zone(DRIFTY, 'route53', { www: ['192.0.2.1'] }),
      'watch/zone.yaml': zone(WATCH, 'route53', { www: ['192.0.2.2'] }),
      'gated/zone.yaml': zone(GATED, 'route53', { www: ['192.0.2.3'] }),
    }, 'three sources');
    const url = env.git.url('infra.git');
    const source = (name: string, mode: string, zoneName: string, extra = '') => `  - name: ${name}
    git: { url: "${url}", branch: main, path: ${name} }
    mode: ${mode}
    interval: 1h
    driftInterval: 1s
    retryInterval: 1s
    scopes: { route53: ["zone/${zoneName}."] }${extra}
`;
    // The hand-made zone carries no owner tag: detect mode may read it; adoption is only for planning here.
    const config = await env.writeConfig(source('drifty', 'apply', DRIFTY) + source('watch', 'detect', WATCH, '\n    safety: { adoptUnowned: true }') + source('gated', 'approve', GATED));
    daemon = await env.startDaemon(config);
  });
  after(async () => {
    await env?.stop();
  });

  it('apply mode: the drift lane corrects a change made behind its back, with no commit or trigger', async () => {
    await waitFor('drifty applied', async () => ready(await daemon.status('drifty'))?.status === 'True');
    assert.deepEqual(await live(DRIFTY, 'www'), ['192.0.2.1']);
    await upsert(DRIFTY, 'www', '203.0.113.99');
    await waitFor('corrected', async () => JSON.stringify(await live(DRIFTY, 'www')) === '["192.0.2.1"]', 15_000);
    const s = await waitFor('drift status', async () => {
      const st = await daemon.status('drifty');
      return st.drift?.corrected && st;
    });
    assert.equal(s.drift?.changes[0]?.display, `www.${DRIFTY}. A`);
    assert.ok(s.history.some((p) => p.lane === 'drift' && p.result === 'applied'));
    assert.match(await daemon.metrics(), /trueup_drift_detected_total\{source="drifty",instance="route53"\} 1/);
  });

  it('detect mode: differences and drift are reported, never changed', async () => {
    const s = await waitFor('watch planned', async () => {
      const st = await daemon.status('watch');
      return st.history.length > 0 && st;
    });
    assert.equal(s.history.at(-1)?.result, 'drift');
    assert.equal(ready(s)?.reason, 'DriftDetected');
    assert.match(ready(s)?.message ?? '', /detect mode: reported, not (applied|corrected)/);
    assert.equal(s.lastPlan?.changes.find((c) => c.display === `www.${WATCH}. A`)?.action, 'update');
    // Someone changes it again by hand: the drift check sees it and still changes nothing.
    await upsert(WATCH, 'www', '203.0.113.2');
    await waitFor('drift check saw the new value', async () => {
      const st = await daemon.status('watch');
      return st.drift?.changes.some((c) => JSON.stringify(c.diffs).includes('203.0.113.2'));
    }, 15_000);
    assert.deepEqual(await live(WATCH, 'www'), ['203.0.113.2']);
    const after = await daemon.status('watch');
    assert.equal(after.drift?.corrected, false);
    assert.equal(after.lastAppliedRevision, undefined);
    assert.match(await daemon.metrics(), /trueup_drift_detected_total\{source="watch",instance="route53"\} [1-9]/);
    assert.doesNotMatch(await daemon.metrics(), /trueup_changes_applied_total\{source="watch"/);
  });

  it('approve mode: nothing happens until `trueup approve` names the pending plan id', async () => {
    const s = await waitFor('pending plan', async () => (await daemon.status('gated')).pendingPlan);
    assert.equal(await env.zoneId(GATED), undefined, 'nothing applied before approval');
    const tokenFile = join(env.dir, 'token');

    const show = await runTrueup(['approve', 'gated', '--url', daemon.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`Plan ${s.id} for revision [0-9a-f]{40}: 2 create`));
    assert.match(show.stdout, new RegExp(`trueup approve gated --plan ${s.id}`));

    const wrong = await runTrueup(['approve', 'gated', '--plan', 'abcdef012345', '--url', daemon.url, '--token-file', tokenFile]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`superseded by plan ${s.id}`));
    const noToken = await runTrueup(['approve', 'gated', '--plan', s.id, '--url', daemon.url], { env: { TRUEUP_TOKEN: 'wrong-token' } });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /missing or wrong bearer token/);
    assert.equal(await env.zoneId(GATED), undefined);

    const ok = await runTrueup(['approve', 'gated', '--plan', s.id, '--url', daemon.url], { env: { TRUEUP_TOKEN: API_TOKEN } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`Plan ${s.id} approved: applied`));
    assert.deepEqual(await live(GATED, 'www'), ['192.0.2.3']);
    const after = await daemon.status('gated');
    assert.equal(after.pendingPlan, undefined);
    assert.equal(ready(after)?.status, 'True');
    // (The drift lane may have checked the applied revision since: look for the approval pass.)
    assert.ok(after.history.some((p) => p.lane === 'approve' && p.result === 'applied'));
    assert.ok(!JSON.stringify(after).includes(API_TOKEN));
  });

  it('approve mode: a new commit supersedes the pending plan', async () => {
    await env.repo.commitAndPush({ 'gated/zone.yaml': zone(GATED, 'route53', { www: ['192.0.2.3'], api: ['192.0.2.4'] }) }, 'add api');
    assert.equal(await env.webhook(daemon), 202);
    const first = await waitFor('pending plan', async () => (await daemon.status('gated')).pendingPlan);
    await env.repo.commitAndPush({ 'gated/zone.yaml': zone(GATED, 'route53', { www: ['192.0.2.3'], api: ['192.0.2.5'] }) }, 'fix api');
    assert.equal(await env.webhook(daemon), 202);
    const second = await waitFor('superseding plan', async () => {
      const p = (await daemon.status('gated')).pendingPlan;
      return p && p.id !== first.id && p;
    });
    const res = await fetch(`${daemon.url}/api/v1/sources/gated/approve`, {
      method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify({ plan: first.id }),
    });
    assert.equal(res.status, 409);
    assert.match(await res.text(), /superseded/);
    assert.deepEqual(await live(GATED, 'api'), []);
    const ok = await fetch(`${daemon.url}/api/v1/sources/gated/approve`, {
      method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify({ plan: second.id }),
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await live(GATED, 'api'), ['192.0.2.5']);
  });
});
