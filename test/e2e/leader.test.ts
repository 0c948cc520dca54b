// Two `trueup run --leader-elect` replicas against the project's Kubernetes API emulator in its
// RBAC mode, each with a service-account token bound to deploy/kubernetes/rbac.yaml and nothing
// else: one holds the Lease and reconciles; the other is Ready too (so a PodDisruptionBudget lets a
// drain evict the leader), says it is a standby on /readyz and in metrics, reconciles nothing and
// forwards API calls to the leader; when the leader stops it releases the Lease and the standby
// takes over at once.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ADMIN_TOKEN, startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { config, item } from '../controller/harness.ts';
import { freePort } from '../support/ports.ts';
import { spawnTrueupRun, waitFor, type DaemonProcess } from './support.ts';

const RBAC_YAML = new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url);

describe('leader election on a Kubernetes Lease', () => {
  let kube: KubeEmulator;
  let dir: string;
  let configFile: string;
  let kubeconfig: string;
  const daemons: DaemonProcess[] = [];

  const start = async (identity: string, lease = 'trueup/trueup') => {
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
  const admin = async (method: string, path: string, body: unknown, contentType = 'application/json') => {
    const res = await fetch(`${kube.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': contentType }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  };
  const lease = async () => {
    const res = await fetch(`${kube.url}/apis/coordination.k8s.io/v1/namespaces/trueup/leases/trueup`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return (await res.json()) as { spec: { holderIdentity: string }; metadata: { annotations?: Record<string, string> } };
  };
  const holder = async () => (await lease()).spec.holderIdentity;
  const leaderGauge = async (d: DaemonProcess) => /^trueup_leader_election_leader\{lease="trueup\/trueup"\} (\d)$/m.exec(await d.metrics())?.[1];

  before(async () => {
    // The replicas' token maps to the deploy's service account; its only grant is rbac.yaml.
    kube = await startKubeEmulator({ rbac: { tokens: { 'replica-token': 'system:serviceaccount:trueup:trueup' } } });
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trueup' } });
    for (const doc of parseAllDocuments(await readFile(RBAC_YAML, 'utf8'))) {
      const o = doc.toJS() as { kind: string; metadata: { name: string; namespace: string } };
      await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.metadata.namespace}/${o.kind.toLowerCase()}s`, o);
    }
    dir = await mkdtemp(join(tmpdir(), 'tu-leader-'));
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'resources', 'a.yaml'), item('a', 'one'));
    configFile = join(dir, 'trueup.yaml');
    await writeFile(configFile, config());
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig('trueup', 'replica-token'));
  });
  after(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('both replicas are Ready, one leads and reconciles, the standby forwards to it and takes over when the leader stops', async () => {
    const first = await start('replica-a');
    await waitFor('replica-a elected', async () => (await readyz(first)).text === 'ready: leader of lease trueup/trueup\n');
    assert.equal(await holder(), 'replica-a');
    assert.equal((await lease()).metadata.annotations?.['trueup.dev/leader-url'], first.url, 'the leader says where it serves');
    await waitFor('replica-a applied', async () => (await first.status('team')).lastAppliedRevision);

    const second = await start('replica-b');
    const standby = await waitFor('replica-b ready as a standby', async () => {
      const r = await readyz(second);
      return r.status === 200 && r;
    });
    assert.equal(standby.text, 'ready: standby, waiting for leader election lease trueup/trueup (held by replica-a)\n');
    assert.equal(await leaderGauge(first), '1');
    assert.equal(await leaderGauge(second), '0');
    assert.doesNotMatch(await second.metrics(), /^trueup_reconcile_total\{/m, 'the standby does not reconcile');
    // The Service sends API calls (and webhooks) to either pod: the standby's answer is the leader's.
    const viaStandby = await second.status('team');
    assert.equal(viaStandby.lastAppliedRevision, (await first.status('team')).lastAppliedRevision);
    assert.ok(viaStandby.history.length > 0, 'the leader\'s history, forwarded');
    assert.equal(await holder(), 'replica-a', 'the leader keeps renewing');

    // The leader stops: it releases the lease after its work stopped; the standby takes over.
    const stoppedAt = Date.now();
    assert.equal(await first.stop('SIGTERM'), 0);
    await waitFor('replica-b elected', async () => (await readyz(second)).text.startsWith('ready: leader'), 10_000);
    const takeover = Date.now() - stoppedAt;
    assert.equal(await holder(), 'replica-b');
    assert.equal(await leaderGauge(second), '1');
    assert.ok(takeover < 3000, `took over in ${takeover} ms, before the 3 s lease would have expired`);
    // The new leader's first pass finds what replica-a applied already in place.
    const pass = await waitFor('replica-b reconciles', async () => (await second.status('team')).history[0]);
    assert.equal(pass.result, 'in-sync');
    const store = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: [string, { value: unknown }][] };
    assert.ok(store.items.some(([k]) => k === 'item/team/a'));
  });

  it('a standby that cannot write the lease is not Ready, and /readyz says why (RBAC\'s 403)', async () => {
    const d = await start('replica-c', 'elsewhere/trueup');
    const r = await waitFor('the failure on /readyz', async () => {
      const res = await readyz(d);
      return /failing/.test(res.text) && res;
    }, 15_000);
    assert.equal(r.status, 503);
    assert.match(r.text, /^standby: leader election failing for lease elsewhere\/trueup: lease request failed: cannot read the lease: HTTP 403 leases.coordination.k8s.io "trueup" is forbidden: User "system:serviceaccount:trueup:trueup" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "elsewhere"/);
    assert.equal(await d.stop('SIGTERM'), 0);
  });
});
