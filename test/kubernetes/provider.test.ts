// The Kubernetes provider end to end: trueup's pipeline against the emulator, with the real
// kubectl as the "other hand" changing things behind trueup's back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness, settingsFor, startCluster, summary, type Cluster } from './support.ts';

const NS = `apiVersion: v1
kind: Namespace
metadata: { name: web }
`;
const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget }
  versions:
  - name: v1
    served: true
    storage: true
    subresources: { status: {} }
    schema:
      openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;
const WIDGET = `apiVersion: example.com/v1
kind: Widget
metadata: { name: blue, namespace: web }
spec: { size: 3, colours: [blue, navy] }
`;
const deployment = (replicas: number, extraLabel = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web
  labels: { app: api${extraLabel} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
      - name: api
        image: nginx:1.27
        ports: [{ containerPort: 80 }]
`;
const configMap = (name: string, data: Record<string, string>, annotations = '') => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: web${annotations} }
data: ${JSON.stringify(data)}
`;
const docs = (...parts: string[]) => parts.map((p) => `---\n${p}`).join('');

describe('kubernetes provider against the emulator', () => {
  let cluster: Cluster;
  let trueup: Harness;

  before(async () => {
    // CRDs take a moment to be Established (and discovery a moment more to serve them), and a
    // deployment controller rolls workloads out.
    cluster = await startCluster({ crdEstablishDelayMs: 150, discoveryLagMs: 200, controllers: true });
    trueup = new Harness(settingsFor(cluster), ['cluster', 'namespace/web']);
  });
  after(async () => cluster.stop());

  it('applies a namespace, a CRD, a custom resource and a deployment in one revision, in dependency order', async () => {
    const revision = docs(WIDGET, deployment(2), CRD, NS);
    const prepared = await trueup.plan(revision);
    assert.deepEqual(prepared.plan.errors, []);
    assert.deepEqual(summary(prepared), [
      'create CustomResourceDefinition widgets.example.com', 'create Deployment web/api', 'create Namespace web', 'create Widget.example.com web/blue',
    ]);
    const widget = prepared.plan.changes.find((c) => c.display === 'Widget.example.com web/blue');
    assert.deepEqual(widget?.dependsOn, ['apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com', 'core/Namespace/web']);

    const before = cluster.emulator.requests.length;
    const result = await trueup.apply(prepared);
    assert.deepEqual(result.reports.filter((r) => r.status !== 'applied').map((r) => r.error?.message), []);
    const applies = cluster.emulator.requests.slice(before)
      .filter((r) => r.method === 'PATCH' && r.contentType?.startsWith('application/apply-patch+yaml') && !r.query.includes('dryRun'))
      .map((r) => r.path);
    const at = (fragment: string) => applies.findIndex((p) => p.includes(fragment));
    assert.ok(at('/customresourcedefinitions/') < at('/widgets/'), `CRD before its custom resource: ${applies.join(', ')}`);
    assert.ok(at('/api/v1/namespaces/web') < at('/deployments/api'), 'namespace before what lives in it');
    assert.ok(at('/api/v1/namespaces/web') < at('/widgets/blue'));

    const live = JSON.parse(await cluster.kubectl(['-n', 'web', 'get', 'widget', 'blue', '-o', 'json'])) as { spec: unknown; metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    assert.deepEqual(live.spec, { size: 3, colours: ['blue', 'navy'] });
    assert.equal(live.metadata.labels['trueup.dev/owner'], 'team-a');
    assert.equal(live.metadata.annotations['trueup.dev/owner'], 'team-a');

    const again = await trueup.plan(revision);
    assert.deepEqual(again.plan.errors, []);
    assert.deepEqual(summary(again), [], 'defaults (strategy, replicas, cluster IPs…) and kubectl-visible state do not show as diffs');
  });

  it('plans only the fields the manifest sets, with a server-side dry run', async () => {
    const prepared = await trueup.plan(docs(NS, CRD, WIDGET, deployment(3)));
    assert.deepEqual(prepared.plan.changes.map((c) => [c.action, c.display, c.diffs]), [
      ['update', 'Deployment web/api', [{ path: 'spec.replicas', before: 2, after: 3 }]],
    ]);
    assert.ok(cluster.emulator.requests.some((r) => r.query.includes('dryRun=All')), 'observe asks the server what the object becomes');
    await trueup.apply(prepared);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  it('corrects a field changed with kubectl, taking the field back from kubectl', async () => {
    const revision = docs(NS, CRD, WIDGET, deployment(3));
    await cluster.kubectl(['-n', 'web', 'patch', 'deployment', 'api', '--type', 'merge', '-p', '{"spec":{"replicas":7}}']);
    const prepared = await trueup.plan(revision);
    assert.deepEqual(prepared.plan.changes.map((c) => [c.action, c.display, c.diffs]), [
      ['update', 'Deployment web/api', [{ path: 'spec.replicas', before: 7, after: 3 }]],
    ]);
    await trueup.apply(prepared);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas}']), '3');
    const managers = JSON.parse(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.metadata.managedFields}', '--show-managed-fields'])) as { manager: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }[];
    const trueupFields = managers.find((m) => m.manager === 'trueup')?.fieldsV1['f:spec'] ?? {};
    assert.ok('f:replicas' in trueupFields, 'trueup owns spec.replicas again');
    const patcher = managers.find((m) => m.manager === 'kubectl-patch');
    assert.ok(!patcher || !('f:replicas' in (patcher.fieldsV1['f:spec'] ?? {})), 'kubectl-patch no longer owns it');
    assert.deepEqual(summary(await trueup.plan(revision)), []);
  });

  it('removes a field that Git no longer declares', async () => {
    await trueup.converge(docs(NS, CRD, WIDGET, deployment(3, ', tier: backend')));
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.metadata.labels.tier}']), 'backend');
    const prepared = await trueup.plan(docs(NS, CRD, WIDGET, deployment(3)));
    assert.deepEqual(prepared.plan.changes.map((c) => [c.action, c.display, c.diffs]), [
      ['update', 'Deployment web/api', [{ path: 'metadata.labels.tier', before: 'backend' }]],
    ]);
    await trueup.apply(prepared);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.metadata.labels.tier}']), '');
    assert.deepEqual(summary(await trueup.plan(docs(NS, CRD, WIDGET, deployment(3)))), []);
  });

  it('prunes an object removed from Git, but not a look-alike that only copies the label, nor an opted-out one', async () => {
    const base = docs(NS, CRD, WIDGET, deployment(3));
    await trueup.converge(base + docs(configMap('settings', { mode: 'a' }), configMap('keep', { x: '1' }, ', annotations: { trueup.dev/prune: disabled }')));
    // An operator copied trueup's label onto an object it made: label yes, annotation no.
    await cluster.kubectl(['apply', '--server-side', '--field-manager', 'some-operator', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: child, namespace: web, labels: { trueup.dev/owner: team-a } }\ndata: { made: by-operator }\n');

    const prepared = await trueup.plan(base);
    assert.deepEqual(summary(prepared), ['delete ConfigMap web/settings']);
    await trueup.apply(prepared);
    await assert.rejects(cluster.kubectl(['-n', 'web', 'get', 'configmap', 'settings']), /NotFound/);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'configmap', 'child', '-o', 'jsonpath={.data.made}']), 'by-operator');
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'configmap', 'keep', '-o', 'jsonpath={.data.x}']), '1');
    assert.deepEqual(summary(await trueup.plan(base)), []);
  });

  it('refuses to delete a namespace or a CRD without force', async () => {
    const prepared = await trueup.plan(docs(NS, deployment(3)));
    assert.deepEqual(summary(prepared), ['delete CustomResourceDefinition widgets.example.com', 'delete Widget.example.com web/blue']);
    assert.ok(prepared.plan.refusals.some((r) => r.includes('deletes every custom resource of its kind')), prepared.plan.refusals.join('\n'));
  });

  it('leaves objects applied with kubectl alone, and adopts them when allowed (taking over kubectl’s fields)', async () => {
    await cluster.kubectl(['apply', '-f', '-'], configMap('legacy', { keep: 'yes', old: 'drop me' }));
    const base = docs(NS, CRD, WIDGET, deployment(3));
    const declared = configMap('legacy', { keep: 'yes' });

    const refused = await trueup.plan(base + docs(declared));
    assert.deepEqual(summary(refused), []);
    assert.match(refused.plan.conflicts.map((c) => `${c.display}: ${c.reason}`).join('\n'), /ConfigMap web\/legacy: exists but carries no trueup owner mark/);

    // Per object: the manifest opts in.
    const optIn = configMap('legacy', { keep: 'yes' }, ', annotations: { trueup.dev/adopt: "true" }');
    const adopted = await trueup.plan(base + docs(optIn));
    assert.deepEqual(summary(adopted), ['update ConfigMap web/legacy']);
    const result = await trueup.apply(adopted);
    assert.match(result.reports[0]?.detail ?? '', /adopted/);
    const live = JSON.parse(await cluster.kubectl(['-n', 'web', 'get', 'configmap', 'legacy', '-o', 'json', '--show-managed-fields'])) as {
      data: Record<string, string>; metadata: { annotations: Record<string, string>; managedFields: { manager: string }[] };
    };
    assert.deepEqual(live.data, { keep: 'yes' }, 'a key only kubectl had applied is gone, as Git says');
    assert.equal(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], undefined);
    assert.equal(live.metadata.annotations['trueup.dev/owner'], 'team-a');
    assert.deepEqual(live.metadata.managedFields.map((m) => m.manager), ['trueup']);
    assert.deepEqual(summary(await trueup.plan(base + docs(optIn))), []);
  });

  it('adopts unowned objects everywhere when the engine policy says so', async () => {
    await cluster.kubectl(['apply', '-f', '-'], configMap('legacy2', { a: '1' }));
    const policy = new Harness(settingsFor(cluster), ['cluster', 'namespace/web'], { safety: { adoptUnowned: true } });
    const base = docs(NS, CRD, WIDGET, deployment(3), configMap('legacy', { keep: 'yes' }, ', annotations: { trueup.dev/adopt: "true" }'));
    const prepared = await policy.plan(base + docs(configMap('legacy2', { a: '1' })));
    assert.deepEqual(summary(prepared), ['update ConfigMap web/legacy2']);
    await policy.apply(prepared);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'configmap', 'legacy2', '-o', 'jsonpath={.metadata.annotations.trueup\\.dev/owner}']), 'team-a');
  });

  it('never takes another owner’s object', async () => {
    const other = new Harness(settingsFor(cluster), ['namespace/web'], { ownerId: 'team-b', safety: { adoptUnowned: true } });
    const prepared = await other.plan(docs(configMap('legacy2', { a: 'mine now' })));
    assert.deepEqual(summary(prepared), []);
    assert.match(prepared.plan.conflicts[0]?.reason ?? '', /owned by "team-a"/);
  });

  it('needs explicit permission for cluster-scoped kinds', async () => {
    const namespaced = new Harness(settingsFor(cluster), ['namespace/web']);
    const prepared = await namespaced.plan(docs(NS, configMap('legacy2', { a: '1' })));
    assert.match(prepared.plan.conflicts.map((c) => `${c.display}: ${c.reason}`).join('\n'), /Namespace web: scope cluster is not allowed/);
  });

  it('never shows Secret values in a plan', async () => {
    const secret = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata: { name: db, namespace: web }\nstringData: { password: ${value} }\n`;
    const base = docs(NS, CRD, WIDGET, deployment(3));
    const created = await trueup.plan(base + docs(secret('hunter2-first')));
    const shown = JSON.stringify(created.plan);
    assert.ok(shown.includes('Secret web/db'));
    assert.ok(!shown.includes('hunter2-first'), shown);
    await trueup.apply(created);
    const updated = await trueup.plan(base + docs(secret('hunter2-second')));
    assert.deepEqual(summary(updated).filter((s) => s.includes('Secret')), ['update Secret web/db']);
    const text = JSON.stringify(updated.plan);
    for (const v of ['hunter2-first', 'hunter2-second', Buffer.from('hunter2-first').toString('base64'), Buffer.from('hunter2-second').toString('base64')]) {
      assert.ok(!text.includes(v), `plan must not contain ${v}: ${text}`);
    }
  });

  it('reads what kubectl wrote exactly as kubectl does, and the reverse', async () => {
    // kubectl server-side applies an object trueup declares identically: trueup sees no value difference,
    // only the missing owner mark.
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], configMap('shared', { k: 'v' }));
    const prepared = await trueup.plan(docs(configMap('shared', { k: 'v' }, ', annotations: { trueup.dev/adopt: "true" }')));
    const change = prepared.plan.changes.find((c) => c.display === 'ConfigMap web/shared');
    // kubectl's object has no labels/annotations at all: the owner marks (and the opt-in) are the only difference.
    assert.deepEqual(change?.diffs.map((d) => d.path).sort(), ['metadata.annotations', 'metadata.labels']);
    // What trueup applied, kubectl reads back field for field.
    const live = JSON.parse(await cluster.kubectl(['-n', 'web', 'get', 'deployment', 'api', '-o', 'json'])) as { spec: { template: unknown; selector: unknown } };
    assert.deepEqual(live.spec.selector, { matchLabels: { app: 'api' } });
    assert.deepEqual((live.spec.template as { spec: { containers: { image: string; ports: unknown }[] } }).spec.containers[0]?.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  });
});

describe('kubernetes provider: reading in bulk and placing objects', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ controllers: true });
  });
  after(async () => cluster.stop());

  it('observes with one LIST per type and namespace, never a GET per object', async () => {
    const trueup = new Harness(settingsFor(cluster), ['cluster', 'namespace/bulk']);
    const many = docs('apiVersion: v1\nkind: Namespace\nmetadata: { name: bulk }\n',
      ...Array.from({ length: 30 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i}, namespace: bulk }\ndata: { i: "${i}" }\n`));
    const count = async (work: () => Promise<unknown>) => {
      const start = cluster.emulator.requests.length;
      await work();
      const requests = cluster.emulator.requests.slice(start);
      return {
        gets: requests.filter((r) => r.method === 'GET' && /\/configmaps\/c\d+$/.test(r.path)).length,
        dryRuns: requests.filter((r) => r.query.includes('dryRun=All')).length,
      };
    };
    let first: Awaited<ReturnType<Harness['plan']>> | undefined;
    assert.deepEqual(await count(async () => { first = await trueup.plan(many); }), { gets: 0, dryRuns: 1 }, 'nothing exists yet: no per-object reads; only the Namespace\'s create can be dry-run (the rest would answer 404 until it exists)');
    assert.ok(first);
    await trueup.apply(first);
    assert.deepEqual(await count(() => trueup.plan(many)), { gets: 0, dryRuns: 31 }, 'owned objects come from the labelled lists; each is dry-run once');
  });

  it('puts namespaced manifests without a namespace in the default namespace, and names the file when the server disagrees', async () => {
    const trueup = new Harness(settingsFor(cluster, { defaultNamespace: 'bulk' }), ['cluster', 'namespace/bulk']);
    const prepared = await trueup.plan(docs('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: defaulted }\ndata: { a: b }\n'));
    assert.ok(summary(prepared).includes('create ConfigMap bulk/defaulted'), summary(prepared).join(', '));

    await cluster.kubectl(['apply', '--server-side', '-f', '-'], CRD);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=10s', 'crd/widgets.example.com']);
    const wrong = await trueup.plan(docs('apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: lost }\nspec: { size: 1 }\n'));
    assert.match(wrong.plan.errors.map((e) => e.message).join('\n'), /cluster\.yaml:\d+: Widget "lost" is namespaced on the server: set metadata.namespace/);
  });

  it('refuses an owner id that cannot be a label value before talking to the cluster', async () => {
    const trueup = new Harness(settingsFor(cluster), ['namespace/bulk'], { ownerId: 'team.' });
    await assert.rejects(trueup.plan(docs('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a, namespace: bulk }\n')), /owner id "team\." cannot be a Kubernetes label value/);
  });

  it('rejects a namespace on a cluster-scoped kind when loading, naming the field', async () => {
    const trueup = new Harness(settingsFor(cluster), ['cluster']);
    await assert.rejects(trueup.plan(docs('apiVersion: v1\nkind: Namespace\nmetadata: { name: x, namespace: y }\n')), /metadata\.namespace.*Namespace is cluster-scoped: remove metadata\.namespace/s);
  });
});

describe('kubernetes provider: health after apply', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(); // no controllers: status moves only when the test says so
  });
  after(async () => cluster.stop());
  /** Wait until trueup's apply reached the API server (the Deployment has this generation). */
  const appliedGeneration = async (generation: number) => {
    while (cluster.emulator.state.objects.get('apps/deployments/web/api')?.metadata.generation !== generation) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('reports which object is not healthy and why when the timeout passes', async () => {
    const trueup = new Harness(settingsFor(cluster, { healthTimeoutSeconds: 0.5 }), ['cluster', 'namespace/web']);
    const prepared = await trueup.plan(docs(NS, deployment(2)));
    const result = await trueup.apply(prepared);
    const failed = result.reports.filter((r) => r.status === 'failed');
    assert.deepEqual(failed.map((r) => r.change.display), ['Deployment web/api']);
    assert.match(failed[0]?.error?.message ?? '', /Deployment web\/api is not healthy after 0.5s: its controller has not reported status yet/);
    assert.equal(failed[0]?.error?.transient, true);
  });

  it('waits for a rollout that finishes in time', async () => {
    const trueup = new Harness(settingsFor(cluster, { healthTimeoutSeconds: 5 }), ['cluster', 'namespace/web']);
    const prepared = await trueup.plan(docs(NS, deployment(4)));
    assert.deepEqual(summary(prepared), ['update Deployment web/api']);
    const applying = trueup.apply(prepared);
    await appliedGeneration(2);
    cluster.emulator.setStatus('apps/v1', 'Deployment', 'web', 'api', { observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 2 });
    await new Promise((r) => setTimeout(r, 300));
    cluster.emulator.markReady('apps/v1', 'Deployment', 'web', 'api');
    const result = await applying;
    assert.deepEqual(result.reports.map((r) => [r.change.display, r.status]), [['Deployment web/api', 'applied']]);
  });

  it('reports a stalled rollout as failed without waiting for the timeout', async () => {
    const trueup = new Harness(settingsFor(cluster, { healthTimeoutSeconds: 30 }), ['cluster', 'namespace/web']);
    const prepared = await trueup.plan(docs(NS, deployment(5)));
    const applying = trueup.apply(prepared);
    await appliedGeneration(3);
    cluster.emulator.setStatus('apps/v1', 'Deployment', 'web', 'api', {
      observedGeneration: 3, replicas: 5, updatedReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-7d" has timed out progressing.' }],
    });
    const started = Date.now();
    const result = await applying;
    assert.ok(Date.now() - started < 5000);
    assert.match(result.reports[0]?.error?.message ?? '', /rollout stalled: ProgressDeadlineExceeded: ReplicaSet "api-7d" has timed out/);
    assert.equal(result.reports[0]?.error?.transient, false);
  });
});
