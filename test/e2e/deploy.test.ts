// The deployment files hold together: the ConfigMap's engine config validates, the Deployment
// runs non-root on a read-only root file system with probes on the daemon's endpoints, the
// Containerfile builds what scripts/build-image.sh builds (that image is built and run in
// image.test.ts; the Containerfile needs a registry, which these machines lack), and the
// manifests pass a server-side dry run and Pod Security "restricted".

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { startCluster, type Cluster } from '../kubernetes/support.ts';
import { podSecurityViolations, type PodSpec } from './pod-security.ts';

const read = (path: string) => readFile(new URL(`../../deploy/${path}`, import.meta.url), 'utf8');

interface Container {
  args: string[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
  volumeMounts: { mountPath: string }[];
}

it('the Kubernetes manifests are safe defaults for the daemon', async () => {
  const config = parseAllDocuments(await read('kubernetes/configmap.yaml'))[0]?.toJS() as { data: { 'trueup.yaml': string } };
  const loaded = parseConfig('configmap.yaml', config.data['trueup.yaml'], '/etc/trueup');
  assert.equal(loaded.config.server.listen, '0.0.0.0:8080');
  assert.deepEqual(loaded.config.notifications.map((n) => n.type), ['slack', 'github-status']);

  const deployment = parseAllDocuments(await read('kubernetes/deployment.yaml'))[0]?.toJS() as {
    spec: { replicas: number; template: { spec: { securityContext: { runAsNonRoot: boolean }; terminationGracePeriodSeconds: number; containers: Container[] } } };
  };
  // Several replicas only with leader election.
  assert.ok(deployment.spec.replicas === 1 || deployment.spec.template.spec.containers[0]?.args.includes('--leader-elect'));
  const pod = deployment.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const c = pod.containers[0];
  assert.ok(c);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  assert.equal(c.livenessProbe.httpGet.path, '/livez');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.args[0], 'run');
  const shutdown = Number(/^(\d+)s$/.exec(c.args[c.args.indexOf('--shutdown-timeout') + 1] ?? '')?.[1]);
  assert.ok(pod.terminationGracePeriodSeconds > shutdown, 'the grace period outlasts the shutdown bound');
  assert.ok(c.volumeMounts.some((m) => m.mountPath === '/var/cache/trueup'), 'a writable cache volume');

  const sa = parseAllDocuments(await read('kubernetes/serviceaccount.yaml'))[0]?.toJS() as { metadata: { annotations: Record<string, string> } };
  assert.ok(sa.metadata.annotations['eks.amazonaws.com/role-arn']);
  assert.ok(sa.metadata.annotations['iam.gke.io/gcp-service-account']);
});

it('the Containerfile builds the layout scripts/build-image.sh builds, FROM scratch, from a builder pinned by digest', async () => {
  const file = await read('Containerfile');
  assert.match(file, /^ARG BUILDER=\S+:22-bookworm-slim@sha256:[0-9a-f]{64}$/m);
  assert.match(file, /^FROM \$\{BUILDER\} AS build$/m);
  assert.match(file, /^FROM scratch$/m);
  assert.match(file, /scripts\/image-rootfs\.sh deps \/deps$/m);
  assert.match(file, /scripts\/image-rootfs\.sh rootfs \/rootfs \/deps$/m);
  assert.match(file, /^USER 1000:1000$/m);
  // The same entry point, command and environment as the buildah build.
  const script = await readFile(new URL('../../scripts/build-image.sh', import.meta.url), 'utf8');
  const entrypoint = /--entrypoint '(\[.*\])'/.exec(script)?.[1] ?? '';
  const cmd = /--cmd '(\[.*\])'/.exec(script)?.[1] ?? '';
  assert.match(file, new RegExp(`^ENTRYPOINT ${entrypoint.replace(/[[\]/.]/g, '\\$&')}$`, 'm'));
  assert.match(file, new RegExp(`^CMD ${cmd.replace(/[[\]/.]/g, '\\$&')}$`, 'm'));
  const envs = [...script.matchAll(/--env (\w+)=(\S+)/g)];
  assert.ok(envs.length >= 5, 'the environment of build-image.sh');
  for (const [, name, value] of envs) assert.match(file, new RegExp(`^(ENV|    ) ?${name}=${value?.replaceAll('/', '\\/')}( \\\\)?$`, 'm'), `ENV ${name}`);
  const ignore = await readFile(new URL('../../.containerignore', import.meta.url), 'utf8');
  assert.match(ignore, /^\*$/m, 'the build context starts empty');
  assert.match(ignore, /^\*\*\/node_modules$/m);
});

describe('the Kubernetes manifests against an API server (the project\'s emulator) and Pod Security', () => {
  let cluster: Cluster;
  const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => cluster?.stop());

  it('kubectl apply --dry-run=server -k deploy/kubernetes accepts every object and stores none', async () => {
    // The namespace first, for real: a dry-run namespace does not exist for the objects in it,
    // on a real API server too.
    await cluster.kubectl(['apply', '--server-side', '-f', join(dir, 'namespace.yaml')]);
    const out = await cluster.kubectl(['apply', '--dry-run=server', '-k', dir]);
    for (const object of ['namespace/trueup', 'serviceaccount/trueup', 'role.rbac.authorization.k8s.io/trueup-leader-election',
      'rolebinding.rbac.authorization.k8s.io/trueup-leader-election', 'configmap/trueup-config', 'service/trueup', 'deployment.apps/trueup',
      'poddisruptionbudget.policy/trueup', 'networkpolicy.networking.k8s.io/trueup']) {
      assert.match(out, new RegExp(`^${object.replaceAll('.', '\\.')} (created|configured|unchanged) \\(server dry run\\)$`, 'm'), object);
    }
    assert.equal((await cluster.kubectl(['-n', 'trueup', 'get', 'deployments,poddisruptionbudgets,networkpolicies', '-o', 'name'])).trim(), '', 'a dry run stores nothing');

    // The optional ServiceMonitor, once the Prometheus Operator's CRD is there.
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: servicemonitors.monitoring.coreos.com }
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { plural: servicemonitors, singular: servicemonitor, kind: ServiceMonitor }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } } }]
`);
    await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=10s', 'crd/servicemonitors.monitoring.coreos.com']);
    assert.match(await cluster.kubectl(['apply', '--dry-run=server', '-f', join(dir, 'optional/servicemonitor.yaml')]),
      /^servicemonitor\.monitoring\.coreos\.com\/trueup created \(server dry run\)$/m);
  });

  it('the pod template meets Pod Security "restricted", which the namespace enforces', async () => {
    const namespace = parseAllDocuments(await read('kubernetes/namespace.yaml'))[0]?.toJS() as { metadata: { labels: Record<string, string> } };
    assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    const deployment = parseAllDocuments(await read('kubernetes/deployment.yaml'))[0]?.toJS() as { spec: { template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } } };
    const { spec, metadata } = deployment.spec.template;
    assert.deepEqual(podSecurityViolations(spec, metadata.annotations), []);
    // The checker is not vacuous: each of these breaks one rule.
    const container = spec.containers[0];
    assert.ok(container);
    const broken: [string, PodSpec][] = [
      ['hostNetwork', { ...spec, hostNetwork: true }],
      ['hostPath', { ...spec, volumes: [...(spec.volumes ?? []), { name: 'host', hostPath: { path: '/' } }] }],
      ['privileged', { ...spec, containers: [{ ...container, securityContext: { ...container.securityContext, privileged: true } }] }],
      ['allowPrivilegeEscalation', { ...spec, containers: [{ ...container, securityContext: { ...container.securityContext, allowPrivilegeEscalation: true } }] }],
      ['capabilities.drop', { ...spec, containers: [{ ...container, securityContext: { ...container.securityContext, capabilities: { drop: [] } } }] }],
      ['capabilities.add', { ...spec, containers: [{ ...container, securityContext: { ...container.securityContext, capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] } } }] }],
      ['runAsUser', { ...spec, securityContext: { ...spec.securityContext, runAsUser: 0 } }],
      ['seccompProfile', { ...spec, securityContext: { ...spec.securityContext, seccompProfile: { type: 'Unconfined' } } }],
    ];
    for (const [rule, pod] of broken) assert.ok(podSecurityViolations(pod).some((v) => v.includes(rule)), rule);
  });

  it('two replicas: leader election with its Lease permissions, spread over nodes, a PDB, and reads behind a token', async () => {
    const deployment = parseAllDocuments(await read('kubernetes/deployment.yaml'))[0]?.toJS() as {
      spec: { replicas: number; template: { spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: { podAffinityTerm: { topologyKey: string } }[] } }; containers: Container[] } } };
    };
    assert.equal(deployment.spec.replicas, 2);
    assert.ok(deployment.spec.template.spec.containers[0]?.args.includes('--leader-elect'));
    assert.equal(deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]?.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    const role = parseAllDocuments(await read('kubernetes/rbac.yaml'))[0]?.toJS() as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
    // src/controller/leader.ts reads (GET), creates (POST) and renews/releases (PUT) its Lease;
    // sharding (sharding.ts) also lists the group's Leases and deletes membership Leases.
    assert.deepEqual(role.rules, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'create', 'update', 'delete'] }]);
    const pdb = parseAllDocuments(await read('kubernetes/poddisruptionbudget.yaml'))[0]?.toJS() as { spec: { maxUnavailable: number } };
    assert.equal(pdb.spec.maxUnavailable, 1);
    const config = parseAllDocuments(await read('kubernetes/configmap.yaml'))[0]?.toJS() as { data: { 'trueup.yaml': string } };
    const loaded = parseConfig('configmap.yaml', config.data['trueup.yaml'], '/etc/trueup');
    assert.deepEqual(loaded.config.server.readToken, { file: '/var/run/secrets/trueup/read-token' });
    const secret = parseAllDocuments(await read('kubernetes/secret.example.yaml'))[0]?.toJS() as { stringData: Record<string, string> };
    assert.ok(secret.stringData['read-token'], 'the example Secret has the read token');
  });
});
