// Objects whose immutable fields changed in Git: the emulator refuses the change as the real API
// server does (checked with the real kubectl), trueup's plan names the field and the fix, and with
// `trueup.dev/recreate: enabled` the plan is a replace that apply carries out (foreground delete
// guarded by the uid, wait until gone, create).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness, settingsFor, startCluster, summary, type Cluster } from './support.ts';

const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: web }\n';
const RECREATE = 'trueup.dev/recreate: enabled';

const deployment = (app: string, annotations = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: web${annotations ? `\n  annotations: { ${annotations} }` : ''}
spec:
  replicas: 2
  selector: { matchLabels: { app: ${app} } }
  template:
    metadata: { labels: { app: ${app} } }
    spec:
      containers:
      - { name: api, image: "nginx:1.27" }
`;
const job = (image: string, annotations = '') => `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: web${annotations ? `\n  annotations: { ${annotations} }` : ''}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - { name: migrate, image: "${image}" }
`;
const secret = (value: string, annotations = '') => `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: web${annotations ? `\n  annotations: { ${annotations} }` : ''}
immutable: true
stringData: { password: ${value} }
`;
const storageClass = (provisioner: string, annotations = '') => `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast${annotations ? `\n  annotations: { ${annotations} }` : ''}
provisioner: ${provisioner}
`;
const docs = (...parts: string[]) => parts.map((p) => `---\n${p}`).join('');
/** 1-based line of the first line of `yaml` containing `text`. */
const lineOf = (yaml: string, text: string) => yaml.split('\n').findIndex((l) => l.includes(text)) + 1;

interface Live {
  metadata: { uid: string; annotations?: Record<string, string> };
  spec: { selector?: unknown };
}

describe('emulator: immutable fields, as the real API server refuses them', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n');
  });
  after(async () => cluster.stop());

  const sspatch = async (path: string, body: string, dryRun = false) => {
    const response = await fetch(`${cluster.emulator.url}${path}?fieldManager=test&force=true${dryRun ? '&dryRun=All' : ''}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body,
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  };

  it('kubectl apply --server-side changing a Deployment selector fails with "field is immutable", also as a dry run', async () => {
    const manifest = (app: string) => deployment(app).replace('namespace: web', 'namespace: shop');
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], manifest('api'));
    const uid = await cluster.kubectl(['-n', 'shop', 'get', 'deploy', 'api', '-o', 'jsonpath={.metadata.uid}']);
    // The message kubectl prints for a real API server's 422 on a selector change.
    const refused = /The Deployment "api" is invalid: spec\.selector: Invalid value: .*: field is immutable/;
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest('other')), refused);
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], manifest('other')), refused);
    assert.equal(await cluster.kubectl(['-n', 'shop', 'get', 'deploy', 'api', '-o', 'jsonpath={.metadata.uid} {.spec.selector.matchLabels.app}']), `${uid} api`);
    // A mutable change still goes through.
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], manifest('api').replace('replicas: 2', 'replicas: 3'));
    assert.equal(await cluster.kubectl(['-n', 'shop', 'get', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  it('answers 422 Invalid in the Status shape, naming the field, for each immutability rule', async () => {
    const cases: { path: string; before: string; after: string; field: string; message: RegExp }[] = [
      {
        path: '/apis/apps/v1/namespaces/shop/replicasets/rs',
        before: 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: { name: rs }\nspec: { selector: { matchLabels: { a: "1" } }, template: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        after: 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: { name: rs }\nspec: { selector: { matchLabels: { a: "2" } }, template: { metadata: { labels: { a: "2" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        field: 'spec.selector', message: /field is immutable$/,
      },
      {
        path: '/apis/apps/v1/namespaces/shop/daemonsets/ds',
        before: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: ds }\nspec: { selector: { matchLabels: { a: "1" } }, template: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        after: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: ds }\nspec: { selector: { matchLabels: { a: "2" } }, template: { metadata: { labels: { a: "2" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        field: 'spec.selector', message: /field is immutable$/,
      },
      {
        path: '/apis/apps/v1/namespaces/shop/statefulsets/db',
        before: 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: db }\nspec: { serviceName: db, selector: { matchLabels: { a: "1" } }, template: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        after: 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: db }\nspec: { serviceName: db2, selector: { matchLabels: { a: "1" } }, template: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: c, image: x }] } } }\n',
        field: 'spec', message: /^Forbidden: updates to statefulset spec for fields other than 'replicas', .* are forbidden$/,
      },
      {
        path: '/apis/batch/v1/namespaces/shop/jobs/j',
        before: 'apiVersion: batch/v1\nkind: Job\nmetadata: { name: j }\nspec: { template: { spec: { restartPolicy: Never, containers: [{ name: c, image: "x:1" }] } } }\n',
        after: 'apiVersion: batch/v1\nkind: Job\nmetadata: { name: j }\nspec: { template: { spec: { restartPolicy: Never, containers: [{ name: c, image: "x:2" }] } } }\n',
        field: 'spec.template', message: /field is immutable$/,
      },
      {
        path: '/api/v1/namespaces/shop/services/svc',
        before: 'apiVersion: v1\nkind: Service\nmetadata: { name: svc }\nspec: { clusterIP: 10.96.9.9, ports: [{ port: 80 }] }\n',
        after: 'apiVersion: v1\nkind: Service\nmetadata: { name: svc }\nspec: { clusterIP: 10.96.9.10, ports: [{ port: 80 }] }\n',
        field: 'spec.clusterIP', message: /^Invalid value: "10\.96\.9\.10": field is immutable$/,
      },
      {
        path: '/api/v1/namespaces/shop/persistentvolumeclaims/data',
        before: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data }\nspec: { storageClassName: standard, accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }\n',
        after: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data }\nspec: { storageClassName: fast, accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }\n',
        field: 'spec', message: /^Forbidden: spec is immutable after creation except resources\.requests/,
      },
      {
        path: '/api/v1/namespaces/shop/configmaps/frozen',
        before: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: frozen }\nimmutable: true\ndata: { a: "1" }\n',
        after: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: frozen }\nimmutable: true\ndata: { a: "2" }\n',
        field: 'data', message: /^Forbidden: field is immutable when `immutable` is set$/,
      },
      {
        path: '/api/v1/namespaces/shop/secrets/frozen',
        before: 'apiVersion: v1\nkind: Secret\nmetadata: { name: frozen }\nimmutable: true\nstringData: { a: "one" }\n',
        after: 'apiVersion: v1\nkind: Secret\nmetadata: { name: frozen }\nimmutable: true\nstringData: { a: "two" }\n',
        field: 'data', message: /^Forbidden: field is immutable when `immutable` is set$/,
      },
    ];
    for (const c of cases) {
      const created = await sspatch(c.path, c.before);
      assert.ok(created.status < 300, `${c.path}: ${JSON.stringify(created.body)}`);
      for (const dryRun of [true, false]) {
        const refused = await sspatch(c.path, c.after, dryRun);
        assert.equal(refused.status, 422, `${c.path} (dry run ${dryRun}): ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.kind, 'Status');
        assert.equal(refused.body.status, 'Failure');
        assert.equal(refused.body.reason, 'Invalid');
        assert.equal(refused.body.code, 422);
        const causes = (refused.body.details as { causes: { field: string; message: string }[] }).causes;
        assert.deepEqual(causes.map((x) => x.field), [c.field], c.path);
        assert.match(causes[0]?.message ?? '', c.message, c.path);
        assert.ok(!JSON.stringify(refused.body).includes(Buffer.from('two').toString('base64')), 'a Secret value never appears in the error');
      }
      const unchanged = await sspatch(c.path, c.before);
      assert.equal(unchanged.status, 200, `${c.path}: the object is as before: ${JSON.stringify(unchanged.body)}`);
    }
  });

  it('keeps what may change: a Service replaced without its clusterIP keeps it; a PVC may grow', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { ports: [{ port: 80 }] }\n');
    const ip = await cluster.kubectl(['-n', 'shop', 'get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(ip, /^10\.96\./);
    await cluster.kubectl(['replace', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { ports: [{ port: 8080 }] }\n');
    assert.equal(await cluster.kubectl(['-n', 'shop', 'get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].port}']), `${ip} 8080`);
    const grown = await sspatch('/api/v1/namespaces/shop/persistentvolumeclaims/data', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data }\nspec: { storageClassName: standard, accessModes: [ReadWriteOnce], resources: { requests: { storage: 2Gi } } }\n');
    assert.equal(grown.status, 200, JSON.stringify(grown.body));
  });

  it('deletes in the foreground: marked with a deletionTimestamp and the foregroundDeletion finalizer first, gone after', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: doomed, namespace: shop }\ndata: { a: "1" }\n');
    const path = `${cluster.emulator.url}/api/v1/namespaces/shop/configmaps/doomed`;
    const deleting = await (await fetch(path, { method: 'DELETE', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ propagationPolicy: 'Foreground' }) })).json() as { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
    assert.ok(deleting.metadata.deletionTimestamp);
    assert.deepEqual(deleting.metadata.finalizers, ['foregroundDeletion']);
    assert.equal((await fetch(path)).status, 200, 'still there while dependents go');
    const started = Date.now();
    while ((await fetch(path)).status !== 404) {
      assert.ok(Date.now() - started < 5000, 'gone within 5s');
      await new Promise((r) => setTimeout(r, 10));
    }
  });
});

describe('kubernetes provider: objects whose immutable fields changed are re-created only when asked', () => {
  let cluster: Cluster;
  let trueup: Harness;
  const live = async (kind: string, name: string, namespace = 'web'): Promise<Live> =>
    JSON.parse(await cluster.kubectl([...(namespace ? ['-n', namespace] : []), 'get', kind, name, '-o', 'json'])) as Live;
  const deletes = () => cluster.emulator.requests.filter((r) => r.method === 'DELETE').length;

  before(async () => {
    cluster = await startCluster({ controllers: true, foregroundDeletionMs: 150 });
    trueup = new Harness(settingsFor(cluster), ['cluster', 'namespace/web']);
    await trueup.converge(docs(NS, deployment('api')));
  });
  after(async () => cluster.stop());

  it('without the annotation, the plan names the immutable field with file:line and what to do; nothing is deleted', async () => {
    const before = await live('deployment', 'api');
    const deletesBefore = deletes();
    const revision = docs(NS, deployment('api-v2'));
    const prepared = await trueup.plan(revision);
    assert.deepEqual(prepared.plan.errors, [{
      provider: 'cluster', transient: false,
      message: `apply (dry run): cluster.yaml:${lineOf(revision, 'selector:')}: Deployment/api: field spec.selector is immutable (changed: spec.selector.matchLabels.app); set the annotation trueup.dev/recreate: enabled to delete and re-create it`,
    }]);
    assert.deepEqual(summary(prepared), [], 'no change is planned for the instance');
    const result = await trueup.apply(prepared);
    assert.equal(result.applied + result.failed, 0);
    assert.equal(deletes(), deletesBefore, 'no DELETE was sent');
    const after = await live('deployment', 'api');
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.deepEqual(after.spec.selector, { matchLabels: { app: 'api' } });
  });

  it('names what changed under a broad rule: a PVC\'s storage class under "spec"', async () => {
    const pvc = (storageClass: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: web }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${storageClass}
  resources: { requests: { storage: 1Gi } }
`;
    await trueup.converge(docs(NS, deployment('api'), pvc('standard')));
    const revision = docs(NS, deployment('api'), pvc('fast'));
    const prepared = await trueup.plan(revision);
    assert.deepEqual(prepared.plan.errors.map((e) => e.message), [
      `apply (dry run): cluster.yaml:${lineOf(revision, 'storageClassName: fast')}: PersistentVolumeClaim/data: field spec is immutable (changed: spec.storageClassName); set the annotation trueup.dev/recreate: enabled to delete and re-create it`,
    ]);
    await trueup.converge(docs(NS, deployment('api'))); // leave the namespace as the next tests expect
  });

  it('with trueup.dev/recreate: enabled, the plan shows a replace that counts against the update threshold', async () => {
    const prepared = await trueup.plan(docs(NS, deployment('api-v2', RECREATE)));
    assert.deepEqual(prepared.plan.errors, []);
    assert.deepEqual(summary(prepared), ['replace Deployment web/api']);
    assert.equal(prepared.plan.summary.replace, 1);
    const change = prepared.plan.changes[0];
    assert.equal(change?.dangerous, undefined, 'a namespaced object is not dangerous to re-create');
    assert.deepEqual(change?.diffs.filter((d) => d.path.startsWith('spec.')), [
      { path: 'spec.selector.matchLabels.app', before: 'api', after: 'api-v2' },
      { path: 'spec.template.metadata.labels.app', before: 'api', after: 'api-v2' },
    ]);
    const strict = new Harness(settingsFor(cluster), ['cluster', 'namespace/web'], { safety: { minExisting: 1, maxUpdateShare: 0.5 } });
    const refused = await strict.plan(docs(NS, deployment('api-v2', RECREATE)));
    assert.match(refused.plan.refusals.join('\n'), /cluster namespace\/web: too many updates, 100\.00% is over 50\.00% \(1\/1\)/);
  });

  it('apply deletes the observed object in the foreground, waits until it is gone, creates it again; the next plan is empty', async () => {
    const before = await live('deployment', 'api');
    const revision = docs(NS, deployment('api-v2', RECREATE));
    const prepared = await trueup.plan(revision);
    const since = cluster.emulator.state.history.at(-1)?.rv ?? 0;
    const result = await trueup.apply(prepared);
    assert.deepEqual(result.reports.map((r) => [r.change.display, r.change.action, r.status, r.detail ?? r.error?.message]), [
      ['Deployment web/api', 'replace', 'applied', 'deleted and re-created'],
    ]);
    const after = await live('deployment', 'api');
    assert.notEqual(after.metadata.uid, before.metadata.uid, 'a new object');
    assert.deepEqual(after.spec.selector, { matchLabels: { app: 'api-v2' } });
    assert.equal(after.metadata.annotations?.['trueup.dev/recreate'], 'enabled', 'the opt-in stays visible on the object');
    assert.equal(after.metadata.annotations?.['trueup.dev/owner'], 'team-a');
    // The watch history: marked for foreground deletion, gone, then created — never written while terminating.
    const events = cluster.emulator.state.history
      .filter((e) => e.rv > since && e.type.kind === 'Deployment' && e.object.metadata.name === 'api')
      .map((e) => [e.event, e.object.metadata.uid === before.metadata.uid ? 'old' : 'new', Array.isArray(e.object.metadata.finalizers) ? e.object.metadata.finalizers.join() : '']);
    assert.deepEqual(events.slice(0, 3), [['MODIFIED', 'old', 'foregroundDeletion'], ['DELETED', 'old', ''], ['ADDED', 'new', '']]);
    assert.deepEqual(summary(await trueup.plan(revision)), [], 'the second plan is empty');
    // The opt-in changes nothing for fields that can change in place.
    const scaled = await trueup.plan(docs(NS, deployment('api-v2', RECREATE).replace('replicas: 2', 'replicas: 3')));
    assert.deepEqual(summary(scaled), ['update Deployment web/api']);
  });

  it('re-creates a Job whose template changed, and an immutable Secret without showing its values', async () => {
    const base = docs(NS, deployment('api-v2', RECREATE));
    await trueup.converge(base + docs(job('migrate:1', RECREATE), secret('first-pass-1')));
    const jobBefore = await live('job', 'migrate');
    const secretBefore = await live('secret', 'db');

    const refused = await trueup.plan(base + docs(job('migrate:1', RECREATE), secret('second-pass-2')));
    const message = refused.plan.errors.map((e) => e.message).join('\n');
    assert.match(message, /Secret\/db: field data is immutable; set the annotation trueup\.dev\/recreate: enabled/);
    for (const v of ['first-pass-1', 'second-pass-2', Buffer.from('first-pass-1').toString('base64')]) assert.ok(!message.includes(v), message);

    const revision = base + docs(job('migrate:2', RECREATE), secret('second-pass-2', RECREATE));
    const prepared = await trueup.plan(revision);
    assert.deepEqual(summary(prepared), ['replace Job web/migrate', 'replace Secret web/db']);
    const shown = JSON.stringify(prepared.plan);
    for (const v of ['first-pass-1', 'second-pass-2', Buffer.from('first-pass-1').toString('base64')]) assert.ok(!shown.includes(v), `plan must not contain ${v}`);
    const result = await trueup.apply(prepared);
    assert.deepEqual(result.reports.map((r) => r.status), ['applied', 'applied']);
    assert.notEqual((await live('job', 'migrate')).metadata.uid, jobBefore.metadata.uid);
    assert.notEqual((await live('secret', 'db')).metadata.uid, secretBefore.metadata.uid);
    assert.equal(Buffer.from(await cluster.kubectl(['-n', 'web', 'get', 'secret', 'db', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 'second-pass-2');
    assert.deepEqual(summary(await trueup.plan(revision)), []);
  });

  it('marks re-creating a cluster-scoped object dangerous: refused unless forced', async () => {
    const base = docs(NS, deployment('api-v2', RECREATE), job('migrate:2', RECREATE), secret('second-pass-2', RECREATE));
    await trueup.converge(base + docs(storageClass('example.com/ssd', RECREATE)));
    const before = await live('storageclass', 'fast', '');
    const revision = base + docs(storageClass('example.com/nvme', RECREATE));
    const prepared = await trueup.plan(revision);
    assert.deepEqual(summary(prepared), ['replace StorageClass fast']);
    assert.match(prepared.plan.refusals.join('\n'), /cluster StorageClass fast: re-creating a cluster-scoped object deletes it first.*force required/);
    await assert.rejects(trueup.apply(prepared), /plan refused by safety rules/);
    assert.equal((await live('storageclass', 'fast', '')).metadata.uid, before.metadata.uid);
    await trueup.converge(revision, true);
    assert.notEqual((await live('storageclass', 'fast', '')).metadata.uid, before.metadata.uid);
    assert.equal(await cluster.kubectl(['get', 'storageclass', 'fast', '-o', 'jsonpath={.provisioner}']), 'example.com/nvme');
    assert.deepEqual(summary(await trueup.plan(revision)), []);
  });

  it('never deletes an object it does not own to re-create it, annotation or not', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment('hand').replace('name: api', 'name: hand-made'));
    const before = await live('deployment', 'hand-made');
    const prepared = await trueup.plan(docs(NS, deployment('other', RECREATE).replace('name: api', 'name: hand-made')));
    assert.deepEqual(prepared.plan.errors, []);
    assert.ok(!summary(prepared).some((s) => s.includes('hand-made')), summary(prepared).join(', '));
    assert.match(prepared.plan.conflicts.map((c) => `${c.display}: ${c.reason}`).join('\n'), /Deployment web\/hand-made: exists but carries no trueup owner mark/);
    assert.equal((await live('deployment', 'hand-made')).metadata.uid, before.metadata.uid);
  });

  it('rejects an annotation value other than enabled/disabled when loading, naming file, line and field', async () => {
    const revision = docs(NS, deployment('api-v2', 'trueup.dev/recreate: "yes"'));
    await assert.rejects(trueup.plan(revision), (error: Error) => {
      assert.match(error.message, new RegExp(`cluster\\.yaml:${lineOf(revision, 'trueup.dev/recreate')}:\\d+.*trueup\\.dev/recreate is "enabled" .* or "disabled", not "yes"`));
      return true;
    });
  });
});

describe('kubernetes provider: a re-creation whose old object outlives the wait', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ controllers: true, foregroundDeletionMs: 1000 });
  });
  after(async () => cluster.stop());

  it('reports the replace failed (transient, naming the finalizer) and the next pass creates the object once it is gone', async () => {
    const trueup = new Harness(settingsFor(cluster, { deleteTimeoutSeconds: 0.2 }), ['cluster', 'namespace/web']);
    await trueup.converge(docs(NS, deployment('api')));
    const revision = docs(NS, deployment('api-v2', RECREATE));
    const result = await trueup.apply(await trueup.plan(revision));
    assert.deepEqual(result.reports.map((r) => [r.change.action, r.status, r.error?.transient]), [['replace', 'failed', true]]);
    assert.match(result.reports[0]?.error?.message ?? '', /Deployment web\/api: replace: still being deleted after 0\.2s \(finalizers: foregroundDeletion\)/);
    const path = `${cluster.emulator.url}/apis/apps/v1/namespaces/web/deployments/api`;
    while ((await fetch(path)).status !== 404) await new Promise((r) => setTimeout(r, 50));
    const next = await trueup.plan(revision);
    assert.deepEqual(summary(next), ['create Deployment web/api']);
    await trueup.converge(revision);
    assert.equal(await cluster.kubectl(['-n', 'web', 'get', 'deploy', 'api', '-o', 'jsonpath={.spec.selector.matchLabels.app}']), 'api-v2');
    assert.deepEqual(summary(await trueup.plan(revision)), []);
  });
});
