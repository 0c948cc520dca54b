// The emulator checked with the real kubectl: what kubectl sends and expects (discovery, OpenAPI
// probing, server-side apply with conflicts and dry run, client-side apply with its annotation,
// strategic merge patches, CRDs becoming discoverable, deletes) works as on a real API server.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './support.ts';

interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string; generation?: number; annotations?: Record<string, string>; managedFields?: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[] };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  status?: Record<string, unknown>;
}

const deployment = (replicas: number, image = 'nginx:1.27') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
      - { name: api, image: "${image}" }
`;

describe('Kubernetes emulator, driven by the real kubectl', () => {
  let cluster: Cluster;
  const get = async (args: string[]): Promise<Obj> => JSON.parse(await cluster.kubectl([...args, '-o', 'json', '--show-managed-fields'])) as Obj;

  before(async () => {
    cluster = await startCluster({ crdEstablishDelayMs: 100 });
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n');
  });
  after(async () => cluster.stop());

  it('serves discovery and version the way kubectl expects', async () => {
    const resources = await cluster.kubectl(['api-resources', '--no-headers']);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    const versions = await cluster.kubectl(['api-versions']);
    assert.match(versions, /^apps\/v1$/m);
    assert.match(await cluster.kubectl(['version', '-o', 'json']), /v1\.32\.0-trueup-emulator/);
  });

  it('server-side applies with defaults, managedFields, and a no-op second apply', async () => {
    assert.match(await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment(2)), /deployment.apps\/api serverside-applied/);
    const first = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    assert.equal(first.spec?.replicas, 2);
    assert.deepEqual(first.spec?.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, 'defaulted by the server');
    assert.equal(first.metadata.generation, 1);
    assert.deepEqual(first.metadata.managedFields?.map((m) => [m.manager, m.operation]), [['kubectl', 'Apply']]);
    assert.ok(!('f:strategy' in (first.metadata.managedFields?.[0]?.fieldsV1['f:spec'] as object)), 'defaults are owned by no manager');

    await cluster.kubectl(['apply', '--server-side', '-f', '-'], deployment(2));
    const second = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion, 'an unchanged apply does not write');
    assert.equal(second.metadata.uid, first.metadata.uid);
  });

  it('reports field-manager conflicts, and --force-conflicts takes the field', async () => {
    await cluster.kubectl(['apply', '--server-side', '--field-manager', 'other-team', '-f', '-'], deployment(2).replace('replicas: 2', 'replicas: 2').replace('spec:\n  replicas: 2', 'spec:\n  replicas: 2'));
    await assert.rejects(
      cluster.kubectl(['apply', '--server-side', '--field-manager', 'other-team', '-f', '-'], deployment(5)),
      /conflict with "kubectl": \.spec\.replicas/,
    );
    await cluster.kubectl(['apply', '--server-side', '--field-manager', 'other-team', '--force-conflicts', '-f', '-'], deployment(5));
    const live = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    assert.equal(live.spec?.replicas, 5);
    const kubectlFields = live.metadata.managedFields?.find((m) => m.manager === 'kubectl')?.fieldsV1['f:spec'] as Record<string, unknown>;
    assert.ok(!('f:replicas' in kubectlFields), 'the forced field left its old manager');
    assert.equal(live.metadata.generation, 2, 'a spec change bumps generation');
  });

  it('answers a server-side dry run without storing it', async () => {
    const dry = JSON.parse(await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '-o', 'json', '-f', '-'], deployment(9, 'nginx:1.28'))) as Obj;
    assert.equal(dry.spec?.replicas, 9);
    const live = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    assert.equal(live.spec?.replicas, 5);
  });

  it('client-side apply writes last-applied-configuration and removes keys dropped from the file', async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: shop }\ndata: { ${data} }\n`;
    assert.match(await cluster.kubectl(['apply', '-f', '-'], cm('a: "1", b: "2"')), /configmap\/settings created/);
    assert.match(await cluster.kubectl(['apply', '-f', '-'], cm('b: "3"')), /configmap\/settings configured/);
    const live = await get(['-n', 'shop', 'get', 'configmap', 'settings']);
    assert.deepEqual(live.data, { b: '3' });
    const last = JSON.parse(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as { data: unknown };
    assert.deepEqual(last.data, { b: '3' });
    assert.deepEqual(live.metadata.managedFields?.map((m) => [m.manager, m.operation]), [['kubectl-client-side-apply', 'Update']]);
  });

  it('applies strategic merge patches to containers by name', async () => {
    await cluster.kubectl(['-n', 'shop', 'patch', 'deployment', 'api', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"api","image":"nginx:1.29"}]}}}}']);
    const live = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    const containers = ((live.spec?.template as { spec: { containers: { name: string; image: string; imagePullPolicy: string }[] } }).spec.containers);
    assert.deepEqual(containers.map((c) => [c.name, c.image, c.imagePullPolicy]), [['api', 'nginx:1.29', 'IfNotPresent']]);
    assert.ok(live.metadata.managedFields?.some((m) => m.manager === 'kubectl-patch' && m.operation === 'Update'));
  });

  it('replaces (PUT) with optimistic locking, labels, and prints tables', async () => {
    const current = await get(['-n', 'shop', 'get', 'configmap', 'settings']);
    const replaced = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: shop, resourceVersion: "${current.metadata.resourceVersion}" }\ndata: { c: "4" }\n`;
    assert.match(await cluster.kubectl(['replace', '-f', '-'], replaced), /configmap\/settings replaced/);
    await assert.rejects(cluster.kubectl(['replace', '-f', '-'], replaced), /the object has been modified/);
    assert.deepEqual((await get(['-n', 'shop', 'get', 'configmap', 'settings'])).data, { c: '4' });
    await cluster.kubectl(['-n', 'shop', 'label', 'configmap', 'settings', 'tier=config']);
    assert.equal(await cluster.kubectl(['-n', 'shop', 'get', 'configmap', 'settings', '-o', 'jsonpath={.metadata.labels.tier}']), 'config');
    assert.match(await cluster.kubectl(['-n', 'shop', 'get', 'configmaps']), /^NAME\s+CREATED AT\nsettings\s+\S+Z$/m);
  });

  it('makes a CRD’s resources discoverable once it is Established', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd] }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]
`;
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], crd);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=10s', 'crd/gadgets.example.com']);
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: { name: g1, namespace: shop }\nspec: { level: 3 }\n');
    assert.match(await cluster.kubectl(['-n', 'shop', 'get', 'gd']), /^g1\s/m);
    const gadget = await get(['-n', 'shop', 'get', 'gadget', 'g1']);
    assert.deepEqual(gadget.spec, { level: 3 });
    await cluster.kubectl(['delete', 'crd', 'gadgets.example.com']);
    await assert.rejects(cluster.kubectl(['-n', 'shop', 'get', 'gadgets']), /doesn't have a resource type "gadgets"|the server could not find the requested resource/);
  });

  it('lists with label selectors across namespaces, and deletes', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: other }\n');
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: one, namespace: shop, labels: { team: a } }\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: two, namespace: other, labels: { team: a } }\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: three, namespace: other, labels: { team: b } }\n',
    ].join('---\n'));
    const names = await cluster.kubectl(['get', 'configmaps', '-A', '-l', 'team=a', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']);
    assert.equal(names.trim(), 'other/two shop/one');
    assert.equal((await cluster.kubectl(['get', 'cm', '-A', '-l', 'team in (b)', '-o', 'name'])).trim(), 'configmap/three');
    assert.match(await cluster.kubectl(['-n', 'other', 'delete', 'configmap', 'two']), /configmap "two" deleted/);
    await assert.rejects(cluster.kubectl(['-n', 'other', 'get', 'configmap', 'two']), /NotFound/);
  });

  it('replays events since a list’s resourceVersion to a watch that starts late', async () => {
    const list = await (await fetch(`${cluster.emulator.url}/api/v1/namespaces/shop/configmaps`)).json() as { metadata: { resourceVersion: string } };
    await cluster.kubectl(['-n', 'shop', 'label', 'configmap', 'settings', 'late=yes']);
    const controller = new AbortController();
    const response = await fetch(`${cluster.emulator.url}/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { signal: controller.signal });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    controller.abort();
    const event = JSON.parse(new TextDecoder().decode(first?.value).split('\n')[0] ?? '{}') as { type: string; object: { metadata: { labels: Record<string, string> } } };
    assert.equal(event.type, 'MODIFIED');
    assert.equal(event.object.metadata.labels.late, 'yes');
  });

  it('moves status through the status subresource, as tests and controllers do', async () => {
    cluster.emulator.markReady('apps/v1', 'Deployment', 'shop', 'api');
    await cluster.kubectl(['-n', 'shop', 'rollout', 'status', 'deployment/api', '--timeout=5s']);
    const live = await get(['-n', 'shop', 'get', 'deployment', 'api']);
    assert.equal(live.status?.availableReplicas, 5);
  });
});

describe('Kubernetes emulator: fields the schema does not declare, as kubectl meets them on a real API server', () => {
  let cluster: Cluster;
  const typo = `apiVersion: apps/v1
kind: Deployment
metadata: { name: typo, namespace: strict }
spec:
  replicsa: 3
  selector: { matchLabels: { app: typo } }
  template:
    metadata: { labels: { app: typo } }
    spec:
      containers:
      - { name: app, image: "nginx:1.27", imagePullPolcy: Always }
`;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: strict }\n');
  });
  after(async () => cluster.stop());

  it('server-side apply refuses them whatever --validate says (a typed patch cannot hold them)', async () => {
    for (const validate of ['strict', 'false']) {
      await assert.rejects(cluster.kubectl(['apply', '--server-side', `--validate=${validate}`, '-f', '-'], typo),
        /Error from server: failed to create typed patch object \(strict\/typo; apps\/v1, Kind=Deployment\): errors:\n {2}\.spec\.replicsa: field not declared in schema\n {2}\.spec\.template\.spec\.containers\[name="app"\]\.imagePullPolcy: field not declared in schema/);
    }
    await assert.rejects(cluster.kubectl(['-n', 'strict', 'get', 'deployment', 'typo']), /NotFound/);
  });

  it('create with strict validation (kubectl\'s default) is a BadRequest naming each field', async () => {
    await assert.rejects(cluster.kubectl(['create', '-f', '-'], typo),
      /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.replicsa", unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolcy"/);
  });

  it('warn validation creates the object without the fields and kubectl prints the server\'s warnings', async () => {
    const { stdout, stderr } = await cluster.kubectlOutput(['apply', '--validate=warn', '-f', '-'], typo);
    assert.match(stdout, /deployment.apps\/typo created/);
    assert.match(stderr, /^Warning: unknown field "spec\.replicsa"$/m);
    assert.match(stderr, /^Warning: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolcy"$/m);
    const spec = JSON.parse(await cluster.kubectl(['-n', 'strict', 'get', 'deployment', 'typo', '-o', 'jsonpath={.spec}'])) as Record<string, unknown>;
    assert.equal(spec.replicsa, undefined, 'dropped, not stored');
    assert.equal(spec.replicas, 1, 'defaulted as if never written');
  });

  it('refuses a workload whose selector does not select its own pods, as apps validation does', async () => {
    const workload = (kind: string, labels: string) => `apiVersion: apps/v1
kind: ${kind}
metadata: { name: lost, namespace: strict }
spec:
  selector: { matchLabels: { app: lost } }
  template:
    metadata: { labels: ${labels} }
    spec:
      containers: [{ name: app, image: "nginx:1.27" }]
`;
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '-f', '-'], workload('Deployment', '{ app: found }')),
      /The Deployment "lost" is invalid: spec\.template\.metadata\.labels: Invalid value: \{"app":"found"\}: `selector` does not match template `labels`/);
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '-f', '-'], workload('DaemonSet', '{ tier: web }')), /`selector` does not match template `labels`/);
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], workload('Deployment', '{ app: lost, tier: web }'));
  });

  it('custom resources are checked against their CRD schema; preserve-unknown-fields keeps anything', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], `apiVersion: apiextensions.k8s.io/v1
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
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: { type: integer }
              extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
`);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=5s']);
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: strict }\nspec: { size: 1, colour: blue }\n'),
      /failed to create typed patch object \(strict\/w; example.com\/v1, Kind=Widget\): \.spec\.colour: field not declared in schema/);
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w, namespace: strict }\nspec: { size: 1, extra: { anything: [1, 2] } }\n');
  });
});

describe('Kubernetes emulator: finalizers, as kubectl meets them on a real API server', () => {
  let cluster: Cluster;
  const until = async (check: () => Promise<boolean>, what: string) => {
    const started = Date.now();
    while (!(await check())) {
      assert.ok(Date.now() - started < 10_000, `${what} within 10s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const gone = (args: string[]) => async () => cluster.kubectl(['get', ...args]).then(() => false, (e: Error) => /NotFound/.test(e.message));
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => cluster.stop());

  it('a delete marks an object with finalizers; it goes when the last finalizer is removed, and none may be added meanwhile', async () => {
    await cluster.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: fin }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: guarded, namespace: fin, finalizers: [example.com/keep, example.com/audit] }\ndata: { a: b }\n');
    assert.match(await cluster.kubectl(['-n', 'fin', 'delete', 'configmap', 'guarded', '--wait=false']), /configmap "guarded" deleted/);
    const marked = JSON.parse(await cluster.kubectl(['-n', 'fin', 'get', 'configmap', 'guarded', '-o', 'json'])) as Obj & { metadata: { deletionTimestamp?: string; finalizers?: string[] } };
    assert.ok(marked.metadata.deletionTimestamp, 'still there, marked for deletion');
    await assert.rejects(cluster.kubectl(['-n', 'fin', 'patch', 'configmap', 'guarded', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/late"}]']),
      /metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted/);
    await cluster.kubectl(['-n', 'fin', 'patch', 'configmap', 'guarded', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers/0"}]']);
    assert.deepEqual((JSON.parse(await cluster.kubectl(['-n', 'fin', 'get', 'configmap', 'guarded', '-o', 'json'])) as { metadata: { finalizers: string[] } }).metadata.finalizers, ['example.com/audit'], 'one finalizer left: still there');
    await cluster.kubectl(['-n', 'fin', 'patch', 'configmap', 'guarded', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    assert.ok(await gone(['-n', 'fin', 'configmap', 'guarded'])(), 'gone with its last finalizer');
  });

  it('a namespace terminates: its contents go first, and it stays while one of them has a finalizer', async () => {
    await cluster.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: doomed }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: plain, namespace: doomed }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: held, namespace: doomed, finalizers: [example.com/hold] }\n');
    await cluster.kubectl(['delete', 'namespace', 'doomed', '--wait=false']);
    assert.equal(await cluster.kubectl(['get', 'namespace', 'doomed', '-o', 'jsonpath={.status.phase}']), 'Terminating', 'not gone at once');
    await assert.rejects(cluster.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: late, namespace: doomed }\n'), /because it is being terminated/);
    await until(gone(['-n', 'doomed', 'configmap', 'plain']), 'the plain ConfigMap is deleted by the namespace controller');
    assert.ok(JSON.parse(await cluster.kubectl(['-n', 'doomed', 'get', 'configmap', 'held', '-o', 'json'])).metadata.deletionTimestamp, 'the held one is marked and stays');
    assert.equal(await cluster.kubectl(['get', 'namespace', 'doomed', '-o', 'jsonpath={.status.phase}']), 'Terminating', 'the namespace waits for it');
    await cluster.kubectl(['-n', 'doomed', 'patch', 'configmap', 'held', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    await until(gone(['namespace', 'doomed']), 'the namespace goes once empty');
  });
});

describe('Kubernetes emulator: the protobuf bodies kubectl sends for built-in kinds', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => cluster.stop());

  it('kubectl create namespace / configmap / secret / serviceaccount work as on a real API server', async () => {
    assert.match(await cluster.kubectl(['create', 'namespace', 'made']), /namespace\/made created/);
    assert.match(await cluster.kubectl(['-n', 'made', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two']), /configmap\/cfg created/);
    assert.match(await cluster.kubectl(['-n', 'made', 'create', 'secret', 'generic', 'sec', '--from-literal=password=hunter2']), /secret\/sec created/);
    assert.match(await cluster.kubectl(['-n', 'made', 'create', 'serviceaccount', 'robot']), /serviceaccount\/robot created/);
    assert.ok(cluster.emulator.requests.some((r) => r.method === 'POST' && r.contentType === 'application/vnd.kubernetes.protobuf'), 'kubectl did send protobuf');
    const ns = JSON.parse(await cluster.kubectl(['get', 'namespace', 'made', '-o', 'json'])) as { metadata: Record<string, unknown>; status: { phase: string } };
    assert.equal(ns.status.phase, 'Active');
    assert.equal(ns.metadata.generateName, undefined, 'empty protobuf strings are unset fields');
    assert.equal(await cluster.kubectl(['-n', 'made', 'get', 'configmap', 'cfg', '-o', 'jsonpath={.data.a} {.data.b}']), '1 two');
    assert.equal(await cluster.kubectl(['-n', 'made', 'get', 'secret', 'sec', '-o', 'jsonpath={.data.password} {.type}']), `${Buffer.from('hunter2').toString('base64')} Opaque`);
    assert.equal(await cluster.kubectl(['-n', 'made', 'get', 'serviceaccount', 'robot', '-o', 'jsonpath={.metadata.name}']), 'robot');
  });
});
