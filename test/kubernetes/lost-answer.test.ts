// Kubernetes: an apply the API server performed whose answer was lost (the connection dropped
// after the emulator answered). The client retries it; server-side apply is idempotent, so the
// retry succeeds: applied, no failure, no duplicate, and the next plan is empty.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MotoProxy } from '../support/moto-proxy.ts';
import { Harness, settingsFor, startCluster, type Cluster } from './support.ts';

const configMap = (value: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: lost, namespace: default }
data: { key: "${value}" }
`;

describe('Kubernetes: a lost answer is not a failure', () => {
  let cluster: Cluster;
  const proxy = new MotoProxy();
  before(async () => {
    cluster = await startCluster();
    const ns = await fetch(`${cluster.emulator.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }) });
    assert.equal(ns.status, 201, await ns.text());
    await proxy.start(cluster.emulator.url);
  });
  after(async () => {
    await proxy.stop();
    await cluster?.stop();
  });

  it('a server-side apply whose answer was dropped is retried and counts as applied', async () => {
    const h = new Harness(settingsFor(cluster, { server: proxy.endpoint }), ['namespace/default']);
    // The real apply, not the plan's server-side dry run of the create (which goes the same way).
    const isApply = (r: { method: string; path: string }) => r.method === 'PATCH' && r.path.includes('/configmaps/lost') && !r.path.includes('dryRun=');
    proxy.rules.push({ match: isApply, fault: 'drop', times: 1 });
    const { result } = await h.converge(configMap('one'));
    assert.equal(result.applied, 1);
    assert.deepEqual(proxy.seen.filter(isApply).map((r) => r.fault ?? r.status), ['drop', 200]);
    assert.deepEqual((await h.plan(configMap('one'))).plan.changes, []);
    assert.equal(JSON.parse(await cluster.kubectl(['get', 'configmap', 'lost', '-n', 'default', '-o', 'json'])).data.key, 'one');
  });

  it('a delete whose answer was dropped is retried, answered 404, and counts as done', async () => {
    const h = new Harness(settingsFor(cluster, { server: proxy.endpoint }), ['namespace/default']);
    await h.converge(configMap('two'));
    const isDelete = (r: { method: string; path: string }) => r.method === 'DELETE' && r.path.includes('/configmaps/lost');
    proxy.rules.push({ match: isDelete, fault: 'drop', times: 1 });
    const prepared = await h.plan('', true);
    assert.deepEqual(prepared.plan.changes.map((c) => c.action), ['delete']);
    const result = await h.apply(prepared);
    assert.equal(result.failed, 0, JSON.stringify(result.reports.map((r) => r.error)));
    assert.equal(result.applied, 1);
    assert.deepEqual(proxy.seen.filter(isDelete).map((r) => r.fault ?? r.status), ['drop', 404]);
    assert.deepEqual((await h.plan('', true)).plan.changes, []);
  });
});
