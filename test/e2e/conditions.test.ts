// Conditions that tell the truth, sampled over time. While Git cannot be reached, drift checks
// of the revision in force keep succeeding — and Ready must stay False (SourceAvailable False)
// the whole time, or an alert on "not ready for 30 minutes" can never fire during an outage.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SourceStatus } from '../../src/controller/status.ts';
import { ready, startE2E, waitFor, zone, type DaemonProcess, type E2E } from './support.ts';

const ZONE = 'cond.e2e.example.com';
const sourceAvailable = (s: SourceStatus) => s.conditions.find((c) => c.type === 'SourceAvailable');

describe('conditions during a Git outage', () => {
  let env: E2E;
  let daemon: DaemonProcess;

  before(async () => {
    env = await startE2E();
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'] }) }, 'zone');
    const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1s
    driftInterval: 300ms
    retryInterval: 300ms
    scopes: { route53: ["zone/${ZONE}."] }`);
    daemon = await env.startDaemon(config);
    await waitFor('initial apply', async () => ready(await daemon.status('infra'))?.status === 'True');
  });
  after(async () => {
    await env?.stop();
  });

  it('Ready stays False SourceUnavailable through successful drift checks, and turns True when Git is back', async () => {
    env.git.fault = () => 503;
    await waitFor('the outage noticed', async () => ready(await daemon.status('infra'))?.reason === 'SourceUnavailable', 15_000);
    const samples: { ready: string; source: string; drift: string; message: string }[] = [];
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const s = await daemon.status('infra');
      samples.push({ ready: `${ready(s)?.status} ${ready(s)?.reason}`, source: `${sourceAvailable(s)?.status}`, drift: s.drift?.checkedAt ?? '', message: ready(s)?.message ?? '' });
      await new Promise((r) => setTimeout(r, 100));
    }
    const driftChecks = new Set(samples.map((x) => x.drift)).size;
    assert.ok(driftChecks >= 3, `drift checks ran during the outage (${driftChecks})`);
    assert.deepEqual([...new Set(samples.map((x) => x.ready))], ['False SourceUnavailable'], 'Ready never flapped to True');
    assert.deepEqual([...new Set(samples.map((x) => x.source))], ['False']);
    assert.ok(samples.some((x) => /HTTP 503; will retry; live state still matches revision/.test(x.message)), 'a drift check says what it saw, under the outage');

    env.git.fault = undefined;
    const healed = await waitFor('Git back', async () => {
      const s = await daemon.status('infra');
      return ready(s)?.status === 'True' && s;
    }, 15_000);
    assert.equal(sourceAvailable(healed)?.status, 'True');
  });
});
