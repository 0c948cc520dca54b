// Kubernetes: the write fence (ProviderContext.beforeWrite) is checked before each request that
// changes something, not only once per batch: a batch of three ConfigMaps applied one at a time,
// fenced after its first write, sends exactly one write. Dry runs (the plan's) are not fenced.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WriteFencedError } from '../../src/sdk/index.ts';
import { Harness, settingsFor, startCluster, type Cluster } from './support.ts';

const configMaps = ['a', 'b', 'c'].map((name) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: default }
data: { key: "one" }
`).join('---\n');

describe('Kubernetes: the write fence', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    const ns = await fetch(`${cluster.emulator.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }) });
    assert.equal(ns.status, 201, await ns.text());
  });
  after(async () => {
    await cluster?.stop();
  });

  it('is asked before every write of a batch; once it refuses, nothing more is sent', async () => {
    const h = new Harness(settingsFor(cluster, { concurrency: 1 }), ['namespace/default']);
    const asked: string[] = [];
    // The lease is lost once the first write was sent: every later check refuses.
    h.hooks = {
      beforeWrite: (instance, operation) => {
        asked.push(`${instance}: ${operation}`);
        if (asked.filter((a) => a.startsWith('cluster: apply ConfigMap')).length > 1) {
          throw new WriteFencedError('lease of source test not renewed since 2026-01-01T00:00:00.000Z; another replica may hold it', { operation, code: 'WriteFenced' });
        }
      },
    };
    const prepared = await h.plan(configMaps);
    assert.equal(prepared.plan.changes.length, 3);
    assert.equal(asked.length, 0, 'the plan\'s dry runs are not fenced');
    const writes = () => cluster.emulator.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/configmaps/') && !r.query.includes('dryRun'));
    const seen = writes().length;
    const result = await h.apply(prepared);
    assert.equal(writes().length - seen, 1, 'one write sent, the other two refused before sending');
    assert.equal(result.applied, 1);
    const failed = result.reports.filter((r) => r.status === 'failed');
    assert.equal(failed.length, 2);
    for (const r of failed) assert.match(r.error?.message ?? '', /: lease of source test not renewed since 2026-01-01T00:00:00\.000Z; another replica may hold it$/);
    // The engine's per-batch check first, then one per write (the refused two included).
    assert.equal(asked[0], 'cluster: apply');
    assert.equal(asked.filter((a) => a.startsWith('cluster: apply ConfigMap')).length, 3);
  });
});
