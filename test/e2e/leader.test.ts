// Two `trueup run --leader-elect` replicas against the project's Kubernetes API emulator: one
// holds the Lease and reconciles, the other stands by (/readyz 503, no passes); when the leader
// stops it releases the Lease and the standby takes over at once.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { config, item } from '../controller/harness.ts';
import { freePort } from '../support/ports.ts';
import { spawnTrueupRun, waitFor, type DaemonProcess } from './support.ts';

describe('leader election on a Kubernetes Lease', () => {
  let kube: KubeEmulator;
  let dir: string;
  let configFile: string;
  let kubeconfig: string;
  const daemons: DaemonProcess[] = [];

  const start = async (identity: string, lease = 'trueup-system/trueup') => {
    const port = await freePort();
    const d = await spawnTrueupRun(['-c', configFile, '--listen', `127.0.0.1:${port}`, '--leader-elect', '--lease', lease, '--lease-duration', '3s', '--kubeconfig', kubeconfig], {
      TRUEUP_DAEMON_STORE: join(dir, 'store.json'), TRUEUP_CACHE_DIR: join(dir, `cache-${identity}`), POD_NAME: identity,
    });
    daemons.push(d);
    return d;
  };
  const readyz = async (d: DaemonProcess) => {
    const res = await fetch(`${d.url}/readyz`);
    return { status: res.status, text: await res.text() };
  };
  const holder = async () => {
    const res = await fetch(`${kube.url}/apis/coordination.k8s.io/v1/namespaces/trueup-system/leases/trueup`);
    return ((await res.json()) as { spec: { holderIdentity: string } }).spec.holderIdentity;
  };

  before(async () => {
    kube = await startKubeEmulator();
    // The Lease lives in the namespace the replicas run in; it exists before they start.
    const ns = await fetch(`${kube.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trueup-system' } }) });
    assert.equal(ns.status, 201, await ns.text());
    dir = await mkdtemp(join(tmpdir(), 'tu-leader-'));
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'resources', 'a.yaml'), item('a', 'one'));
    configFile = join(dir, 'trueup.yaml');
    await writeFile(configFile, config());
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig());
  });
  after(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('one replica reconciles, the other stands by, and takes over when the leader stops', async () => {
    const first = await start('replica-a');
    await waitFor('replica-a elected', async () => (await readyz(first)).status === 200);
    assert.equal(await holder(), 'replica-a');
    await waitFor('replica-a applied', async () => (await first.status('team')).lastAppliedRevision);

    const second = await start('replica-b');
    await new Promise((r) => setTimeout(r, 1500));
    const standby = await readyz(second);
    assert.equal(standby.status, 503);
    assert.match(standby.text, /standby: waiting for leader election lease trueup-system\/trueup/);
    assert.equal((await second.status('team')).history.length, 0, 'the standby does not reconcile');
    assert.equal(await holder(), 'replica-a', 'the leader keeps renewing');

    // The leader stops: it releases the lease after its work stopped; the standby takes over.
    const stoppedAt = Date.now();
    assert.equal(await first.stop('SIGTERM'), 0);
    await waitFor('replica-b elected', async () => (await readyz(second)).status === 200, 10_000);
    const takeover = Date.now() - stoppedAt;
    assert.equal(await holder(), 'replica-b');
    assert.ok(takeover < 3000, `took over in ${takeover} ms, before the 3 s lease would have expired`);
    // The new leader's first pass finds what replica-a applied already in place.
    const pass = await waitFor('replica-b reconciles', async () => (await second.status('team')).history[0]);
    assert.equal(pass.result, 'in-sync');
    const store = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: [string, { value: unknown }][] };
    assert.ok(store.items.some(([k]) => k === 'item/team/a'));
  });

  it('a lease that can never be written shows the error on /readyz, not "waiting for leader election"', async () => {
    const d = await start('replica-c', 'no-such-namespace/trueup');
    const r = await waitFor('the failure on /readyz', async () => {
      const res = await readyz(d);
      return /failing/.test(res.text) && res;
    }, 15_000);
    assert.equal(r.status, 503);
    assert.match(r.text, /^standby: leader election failing for lease no-such-namespace\/trueup: cannot create the lease: HTTP 404 /);
    assert.equal(await d.stop('SIGTERM'), 0);
  });
});
