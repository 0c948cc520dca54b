// The daemon against the Kubernetes emulator in steady state: a pass over an unchanged cluster
// costs discovery and one LIST per type, no dry run; a live change (resourceVersion bump) or a
// changed manifest dry-runs exactly that object; drift made by hand is still found and corrected
// after cache hits. The CLI path (exact observes) keeps dry-running every object. Health waits
// read pending objects with one LIST per type and namespace per round.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDaemon, type Daemon } from '../../src/controller/daemon.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { RequestRecord } from '../../emulators/kubernetes/index.ts';
import { Harness, settingsFor, startCluster, type Cluster } from './support.ts';
import { waitFor } from '../controller/harness.ts';

const NS = 'steady';

function manifests(changed = false): string {
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n`];
  for (let i = 0; i < 8; i += 1) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i}, namespace: ${NS} }\ndata: { k: "${changed && i === 3 ? 'new' : 'v'}" }\n`);
  for (let i = 0; i < 3; i += 1) {
    docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d${i}, namespace: ${NS} }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: d${i} } }\n  template:\n    metadata: { labels: { app: d${i} } }\n    spec: { containers: [{ name: c, image: "nginx:1" }] }\n`);
  }
  return docs.join('---\n');
}

const isDryRun = (r: RequestRecord) => r.method === 'PATCH' && r.query.includes('dryRun=All');
const dryRuns = (rs: RequestRecord[]) => rs.filter(isDryRun).map((r) => r.path.split('/').slice(-2).join('/')).sort();
const isDiscovery = (r: RequestRecord) => r.method === 'GET' && /^\/(api|apis)(\/[^/]+){0,2}$/.test(r.path) && !r.query.includes('labelSelector');
const isList = (r: RequestRecord) => r.method === 'GET' && r.query.includes('labelSelector');

describe('kubernetes steady state in the daemon', () => {
  let cluster: Cluster;
  let dir: string;
  let daemon: Daemon;
  before(async () => {
    cluster = await startCluster({ controllers: true });
    dir = mkdtempSync(join(tmpdir(), 'trueup-steady-'));
    mkdirSync(join(dir, 'repo'));
    writeFileSync(join(dir, 'repo', 'app.yaml'), manifests());
    writeFileSync(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5, qps: 10000, burst: 10000 } }`,
      'sources:', '  - name: team', '    path: repo', '    interval: 1h', '    driftInterval: 1h',
      `    scopes: { cluster: [namespace/${NS}, cluster] }`, '',
    ].join('\n'));
    daemon = await createDaemon({ configFile: join(dir, 'trueup.yaml'), log: silentLogger(), env: process.env, version: 'test', cacheDir: join(dir, 'cache') });
  });
  after(async () => {
    await daemon.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const passes = async (lane: string) => [...(await daemon.metrics.text()).matchAll(new RegExp(`trueup_reconcile_total\\{source="team",lane="${lane}",result="[^"]+"\\} (\\d+)`, 'g'))]
    .reduce((n, m) => n + Number(m[1]), 0);

  /** The requests of one pass of `lane`, started by `start` (the lanes are idle otherwise). */
  async function pass(lane: 'git' | 'drift', start: () => void): Promise<RequestRecord[]> {
    const before = await passes(lane);
    const from = cluster.emulator.requests.length;
    start();
    await waitFor(`${lane} pass`, async () => (await passes(lane)) > before, 30_000);
    return cluster.emulator.requests.slice(from);
  }

  it('a no-op pass costs discovery and one LIST per type; a live or Git change dry-runs exactly that object', async () => {
    const source = daemon.controller.get('team');
    await daemon.start(false);
    await waitFor('first apply', () => source.status.lastAppliedRevision, 30_000);
    await waitFor('first git pass recorded', async () => (await passes('git')) > 0, 30_000);

    // The objects trueup just applied have new resourceVersions: one dry run each.
    const first = await pass('drift', () => source.checkDrift());
    assert.equal(dryRuns(first).length, 12);

    const noop = await pass('drift', () => source.checkDrift());
    assert.deepEqual(dryRuns(noop), [], 'an unchanged cluster costs no dry run');
    const lists = noop.filter(isList);
    assert.equal(noop.filter(isDiscovery).length + lists.length, noop.length, `only discovery and lists: ${noop.filter((r) => !isDiscovery(r) && !isList(r)).map((r) => `${r.method} ${r.path}`).join(', ')}`);
    const listedTypes = new Set(lists.map((r) => r.path.replace(`/namespaces/${NS}`, '')));
    assert.equal(lists.length, listedTypes.size, 'one LIST per type');

    // A controller's status write bumps the Deployment's resourceVersion: that object is asked again.
    cluster.emulator.setStatus('apps/v1', 'Deployment', NS, 'd1', { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    assert.deepEqual(dryRuns(await pass('drift', () => source.checkDrift())), ['deployments/d1']);
    assert.deepEqual(dryRuns(await pass('drift', () => source.checkDrift())), []);

    // A changed manifest: the git pass dry-runs only it, applies it; the next drift pass
    // re-asks only it (its resourceVersion moved with the apply).
    writeFileSync(join(dir, 'repo', 'app.yaml'), manifests(true));
    const git = await pass('git', () => source.trigger(false));
    assert.deepEqual(dryRuns(git), ['configmaps/c3']);
    assert.equal(git.filter((r) => r.method === 'PATCH' && !isDryRun(r)).length, 1, 'one apply');
    assert.deepEqual(dryRuns(await pass('drift', () => source.checkDrift())), ['configmaps/c3']);
    assert.deepEqual(dryRuns(await pass('drift', () => source.checkDrift())), []);
  });

  it('drift made by hand after cache hits is found and corrected', async () => {
    const source = daemon.controller.get('team');
    await cluster.kubectl(['-n', NS, 'patch', 'configmap', 'c5', '--type', 'merge', '-p', '{"data":{"k":"by hand"}}']);
    const drift = await pass('drift', () => source.checkDrift());
    assert.deepEqual(dryRuns(drift), ['configmaps/c5']);
    assert.equal(source.status.drift?.corrected, true);
    assert.equal(JSON.parse(await cluster.kubectl(['-n', NS, 'get', 'configmap', 'c5', '-o', 'json'])).data.k, 'v');
  });
});

describe('kubernetes exact observes and health by LIST', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => cluster.stop());

  it('the CLI path dry-runs every object on every plan', async () => {
    const h = new Harness(settingsFor(cluster, { healthTimeoutSeconds: 30 }), [`namespace/${NS}`, 'cluster']);
    const yaml = manifests().split('---\n').filter((d) => !d.includes('kind: Deployment')).join('---\n');
    await h.converge(yaml);
    for (let round = 0; round < 2; round += 1) {
      const from = cluster.emulator.requests.length;
      const prepared = await h.plan(yaml);
      assert.deepEqual(prepared.plan.changes, []);
      assert.equal(dryRuns(cluster.emulator.requests.slice(from)).length, 9);
    }
  });

  it('waits for rollouts with one LIST per type and namespace per round, no GET per object', async () => {
    const h = new Harness(settingsFor(cluster, { healthTimeoutSeconds: 30 }), [`namespace/${NS}`, 'cluster']);
    const from = cluster.emulator.requests.length;
    const converging = h.converge(manifests());
    const healthRound = () => {
      const rs = cluster.emulator.requests.slice(from);
      const applied = rs.findIndex((r) => r.method === 'PATCH' && !isDryRun(r) && /\/deployments\/d\d$/.test(r.path));
      return applied >= 0 && rs.slice(applied).some((r) => r.path.endsWith('/deployments') && isList(r));
    };
    await waitFor('a health round', healthRound, 30_000);
    for (let i = 0; i < 3; i += 1) cluster.emulator.markReady('apps/v1', 'Deployment', NS, `d${i}`);
    const { result } = await converging;
    assert.equal(result.applied, 3);
    const rs = cluster.emulator.requests.slice(from);
    const afterApply = rs.slice(rs.findIndex((r) => r.method === 'PATCH' && !isDryRun(r)));
    assert.deepEqual(afterApply.filter((r) => r.method === 'GET' && /\/deployments\/d\d$/.test(r.path)), [], 'no GET per Deployment');
  });
});
