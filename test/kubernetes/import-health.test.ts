// import (objects of a namespace as YAML a person would write) and the kstatus-style health rules.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import kubernetes from '../../providers/kubernetes/index.ts';
import { healthOf } from '../../providers/kubernetes/health.ts';
import { prune, shapeOf, shapeOfFieldsV1 } from '../../providers/kubernetes/shape.ts';
import { scopeMatcher, type JsonObject, type ProviderContext } from '../../src/sdk/index.ts';
import { silentLogger } from '../../src/report/log.ts';
import { Harness, settingsFor, startCluster, summary, type Cluster } from './support.ts';

const ctx = (): ProviderContext => ({
  log: silentLogger(), ownerId: 'team-a', instance: 'cluster', signal: new AbortController().signal,
  recordApiCall: () => undefined, progress: () => undefined, beforeWrite: () => undefined,
});

describe('kubernetes import', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ controllers: true });
    await cluster.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: Namespace
metadata: { name: legacy }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: legacy, labels: { app: api } }
spec:
  replicas: 2
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: api, image: "nginx:1.27", ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: legacy }
spec: { selector: { app: api }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: legacy }
data: { mode: blue }
---
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: legacy }
stringData: { password: hunter2 }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: child
  namespace: legacy
  ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: api, uid: "1234" }]
data: { made: by-a-controller }
`);
  });
  after(async () => cluster.stop());

  it('writes the objects of a namespace without server-set fields, defaults or secrets, marked for adoption', async () => {
    const instance = kubernetes.create(settingsFor(cluster), { instance: 'cluster' });
    const docs = await instance.import?.({ selector: 'legacy', allowedScopes: scopeMatcher(['namespace/legacy']) }, ctx()) ?? [];
    assert.deepEqual(docs.map((d) => `${String(d.kind)} ${String((d.metadata as JsonObject).name)}`), ['ConfigMap settings', 'Deployment api', 'Service api']);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    assert.deepEqual(deployment, {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'api', namespace: 'legacy', labels: { app: 'api' }, annotations: { 'trueup.dev/adopt': 'true' } },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
      },
    });
    const service = docs.find((d) => d.kind === 'Service');
    assert.deepEqual(service?.spec, { selector: { app: 'api' }, ports: [{ port: 80 }] }, 'the allocated clusterIP and defaults are not imported');
    assert.ok(!JSON.stringify(docs).includes('hunter2'));
  });

  it('imported YAML plans as an adoption that changes nothing but the owner marks', async () => {
    const instance = kubernetes.create(settingsFor(cluster), { instance: 'cluster' });
    const docs = await instance.import?.({ selector: 'legacy', allowedScopes: scopeMatcher(['namespace/legacy']) }, ctx()) ?? [];
    const trueup = new Harness(settingsFor(cluster), ['namespace/legacy'], { safety: { adoptUnowned: true } });
    const prepared = await trueup.plan(docs.map((d) => `---\n${stringify(d)}`).join(''));
    assert.deepEqual(prepared.plan.errors, []);
    assert.deepEqual(summary(prepared), ['update ConfigMap legacy/settings', 'update Deployment legacy/api', 'update Service legacy/api']);
    for (const change of prepared.plan.changes) {
      assert.deepEqual(change.diffs.map((d) => d.path).filter((p) => !p.startsWith('metadata.labels') && !p.startsWith('metadata.annotations')), [], change.display);
    }
    const result = await trueup.apply(prepared);
    assert.deepEqual(result.reports.filter((r) => r.status !== 'applied').map((r) => r.error?.message), []);
    assert.deepEqual(summary(await trueup.plan(docs.map((d) => `---\n${stringify(d)}`).join(''))), []);
  });
});

describe('kubernetes health (kstatus rules)', () => {
  const deploy = (status: JsonObject | undefined, generation = 2, replicas = 3): JsonObject => {
    const o: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', generation }, spec: { replicas } };
    if (status) o.status = status;
    return o;
  };

  it('follows a Deployment from unobserved to rolled out', () => {
    assert.deepEqual(healthOf(deploy(undefined)), { state: 'progressing', reason: 'its controller has not reported status yet' });
    assert.deepEqual(healthOf(deploy({ observedGeneration: 1 })), { state: 'progressing', reason: 'its controller has observed generation 1, not 2 yet' });
    assert.deepEqual(healthOf(deploy({ observedGeneration: 2, replicas: 3, updatedReplicas: 1 })), { state: 'progressing', reason: '1 of 3 replicas updated' });
    assert.deepEqual(healthOf(deploy({ observedGeneration: 2, replicas: 4, updatedReplicas: 3 })), { state: 'progressing', reason: '1 old replicas are pending termination' });
    assert.deepEqual(healthOf(deploy({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 })), { state: 'progressing', reason: '2 of 3 updated replicas available' });
    assert.deepEqual(healthOf(deploy({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 })), { state: 'current' });
  });

  it('judges Jobs, StatefulSets, DaemonSets and custom resources', () => {
    assert.equal(healthOf({ kind: 'Job', metadata: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } }).state, 'current');
    assert.equal(healthOf({ kind: 'Job', metadata: {}, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }).state, 'failed');
    assert.equal(healthOf({ kind: 'StatefulSet', metadata: { generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'b' } }).state, 'progressing');
    assert.equal(healthOf({ kind: 'DaemonSet', metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 } }).state, 'current');
    assert.deepEqual(healthOf({ kind: 'Certificate', metadata: { generation: 1 }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Pending', message: 'issuing' }] } }),
      { state: 'progressing', reason: 'Ready is False (Pending: issuing)' });
    assert.equal(healthOf({ kind: 'Certificate', metadata: { generation: 1 }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }).state, 'current');
    assert.equal(healthOf({ kind: 'ConfigMap', metadata: {} }).state, 'current');
  });
});

describe('kubernetes comparison shapes', () => {
  it('prunes a live object to the manifest’s fields plus those trueup’s manager owns', () => {
    const live: JsonObject = { metadata: { name: 'a', labels: { app: 'x', old: 'y' }, uid: 'u' }, spec: { replicas: 1, strategy: { type: 'RollingUpdate' }, template: { spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always' }] } } } };
    const manifestShape = shapeOf({ metadata: { name: 'a', labels: { app: 'x' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    assert.deepEqual(prune(live, manifestShape), { metadata: { name: 'a', labels: { app: 'x' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    const owned = shapeOfFieldsV1({ 'f:metadata': { 'f:labels': { 'f:old': {} } }, 'f:spec': { 'f:replicas': {} } });
    assert.ok(owned);
    assert.deepEqual(prune(live, owned), { metadata: { labels: { old: 'y' } }, spec: { replicas: 1 } });
  });
});
