// CronJob, HorizontalPodAutoscaler, EndpointSlice and the Deployment/StatefulSet `scale`
// subresource, checked with the real kubectl: discovered, served, and their key fields validated
// as the API server validates them (422 with the field and the server's wording).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './support.ts';

const NS = 'kinds';
const cronJob = (name: string, spec: string) => `apiVersion: batch/v1
kind: CronJob
metadata: { name: ${name}, namespace: ${NS} }
spec:
${spec}
  jobTemplate: { spec: { template: { spec: { restartPolicy: Never, containers: [{ name: job, image: "busybox:1.36" }] } } } }
`;
const hpa = (name: string, spec: string) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: ${name}, namespace: ${NS} }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
${spec}
`;
const slice = (name: string, type: string, address: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}, namespace: ${NS}, labels: { kubernetes.io/service-name: web } }
addressType: ${type}
endpoints: [{ addresses: ["${address}"] }]
ports: [{ name: http, port: 8080, protocol: TCP }]
`;
const workload = (kind: string) => `apiVersion: apps/v1
kind: ${kind}
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
`;

describe('Kubernetes emulator: CronJob, HPA, EndpointSlice and scale, with the real kubectl', () => {
  let cluster: Cluster;
  const apply = (yaml: string) => cluster.kubectl(['apply', '--server-side', '-f', '-'], yaml);
  const create = (yaml: string) => cluster.kubectl(['create', '-f', '-'], yaml);
  before(async () => {
    cluster = await startCluster();
    await apply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n`);
  });
  after(async () => cluster?.stop());

  it('discovers the kinds and the scale subresources', async () => {
    const resources = await cluster.kubectl(['api-resources', '--no-headers', '-o', 'name']);
    for (const name of ['cronjobs.batch', 'horizontalpodautoscalers.autoscaling', 'endpointslices.discovery.k8s.io']) assert.match(resources, new RegExp(`^${name.replace(/\./g, '\\.')}$`, 'm'));
    const apps = JSON.parse(await cluster.kubectl(['get', '--raw', '/apis/apps/v1'])) as { resources: { name: string; kind: string; group?: string; version?: string }[] };
    for (const plural of ['deployments', 'statefulsets']) {
      assert.deepEqual(apps.resources.find((r) => r.name === `${plural}/scale`), { name: `${plural}/scale`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
  });

  it('CronJob: schedule required and parsed as cron parses it, restartPolicy OnFailure or Never; a valid one is stored with defaults', async () => {
    await assert.rejects(create(cronJob('none', '  suspend: false')), /spec\.schedule: Required value/);
    await assert.rejects(create(cronJob('bad', '  schedule: "61 * * * *"')), /spec\.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
    await assert.rejects(create(cronJob('few', '  schedule: "0 3 * *"')), /expected exactly 5 fields, found 4: \[0 3 \* \*\]/);
    await assert.rejects(create(cronJob('tz', '  schedule: "TZ=UTC 0 3 * * *"')), /cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
    await assert.rejects(create(cronJob('policy', '  schedule: "@daily"\n  concurrencyPolicy: Sometimes')), /spec\.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"/);
    await assert.rejects(create(cronJob('x'.repeat(53), '  schedule: "@daily"')), /metadata\.name: Invalid value: "x{53}": must be no more than 52 characters/);
    await assert.rejects(create(cronJob('restart', '  schedule: "@daily"').replace('restartPolicy: Never', 'restartPolicy: Always')),
      /spec\.jobTemplate\.spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
    await apply(cronJob('nightly', '  schedule: "30 3 * * MON-FRI"'));
    const stored = JSON.parse(await cluster.kubectl(['-n', NS, 'get', 'cj', 'nightly', '-o', 'json'])) as { spec: Record<string, unknown> };
    assert.equal(stored.spec.concurrencyPolicy, 'Allow');
    assert.equal(stored.spec.successfulJobsHistoryLimit, 3);
    await assert.rejects(apply(cronJob('nightly', '  schedule: "30 3 * * MON-FRI"\n  scheduel: "@hourly"')), /\.spec\.scheduel: field not declared in schema/);
  });

  it('HorizontalPodAutoscaler: maxReplicas required and at least minReplicas, a target kind and name', async () => {
    await assert.rejects(create(hpa('nomax', '  minReplicas: 2')), /spec\.maxReplicas: Invalid value: 0: must be greater than 0/);
    await assert.rejects(create(hpa('inverted', '  minReplicas: 5\n  maxReplicas: 3')), /spec\.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`/);
    await assert.rejects(create(hpa('zero', '  minReplicas: 0\n  maxReplicas: 3')), /spec\.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
    await assert.rejects(create(hpa('target', '  maxReplicas: 3').replace('name: web }', 'name: "" }')), /spec\.scaleTargetRef\.name: Required value/);
    await apply(hpa('web', '  maxReplicas: 5'));
    const stored = JSON.parse(await cluster.kubectl(['-n', NS, 'get', 'hpa', 'web', '-o', 'json'])) as { spec: { minReplicas: number; metrics: unknown[] } };
    assert.equal(stored.spec.minReplicas, 1);
    assert.equal(stored.spec.metrics.length, 1, 'the default CPU metric');
  });

  it('EndpointSlice: addressType required and one of IPv4/IPv6/FQDN, addresses valid for it', async () => {
    await assert.rejects(create(slice('typeless', '""', '10.0.0.1')), /addressType: Required value/);
    await assert.rejects(create(slice('odd', 'IPv5', '10.0.0.1')), /addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"/);
    await assert.rejects(create(slice('mixed', 'IPv4', '2001:db8::1')), /endpoints\[0\]\.addresses\[0\]: Invalid value: "2001:db8::1": must be a valid IPv4 address/);
    await apply(slice('web-v4', 'IPv4', '10.0.0.7'));
    await apply(slice('web-v6', 'IPv6', '2001:db8::7'));
    assert.equal((await cluster.kubectl(['-n', NS, 'get', 'endpointslices', '-o', 'name'])).trim().split('\n').length, 2);
  });

  it('kubectl scale goes through the scale subresource of Deployments and StatefulSets; a negative count is refused', async () => {
    for (const [kind, resource] of [['Deployment', 'deployments'], ['StatefulSet', 'statefulsets']] as const) {
      await apply(workload(kind));
      const from = cluster.emulator.requests.length;
      await cluster.kubectl(['-n', NS, 'scale', resource.slice(0, -1), 'web', '--replicas=4']);
      assert.ok(cluster.emulator.requests.slice(from).some((r) => r.method !== 'GET' && r.path === `/apis/apps/v1/namespaces/${NS}/${resource}/web/scale`), 'written through /scale');
      assert.equal(await cluster.kubectl(['-n', NS, 'get', resource, 'web', '-o', 'jsonpath={.spec.replicas}']), '4');
      const scale = JSON.parse(await cluster.kubectl(['get', '--raw', `/apis/apps/v1/namespaces/${NS}/${resource}/web/scale`])) as { kind: string; apiVersion: string; spec: { replicas: number }; status: { selector: string } };
      assert.deepEqual([scale.kind, scale.apiVersion, scale.spec.replicas, scale.status.selector], ['Scale', 'autoscaling/v1', 4, 'app=web']);
      // --current-replicas is a precondition kubectl checks against the Scale it reads
      await assert.rejects(cluster.kubectl(['-n', NS, 'scale', resource.slice(0, -1), 'web', '--current-replicas=2', '--replicas=1']), /Expected replicas to be 2, was 4/);
    }
    const res = await fetch(`${cluster.emulator.url}/apis/apps/v1/namespaces/${NS}/deployments/web/scale`, {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', authorization: 'Bearer emulator-token' }, body: JSON.stringify({ spec: { replicas: -1 } }),
    });
    assert.equal(res.status, 422);
    assert.match(((await res.json()) as { message: string }).message, /Scale\.autoscaling "web" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    await assert.rejects(cluster.kubectl(['get', '--raw', `/api/v1/namespaces/${NS}/configmaps/x/scale`]), /NotFound|not found/);
  });
});
