// The deployment files hold together: the ConfigMap's engine config validates, the Deployment
// runs non-root on a read-only root file system with probes on the daemon's endpoints, and the
// Containerfile runs `trueup run` as a non-root user. (The image itself cannot be built here:
// no registry to pull node:22 from.)

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';

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
  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  assert.equal(c.args[0], 'run');
  const shutdown = Number(/^(\d+)s$/.exec(c.args[c.args.indexOf('--shutdown-timeout') + 1] ?? '')?.[1]);
  assert.ok(pod.terminationGracePeriodSeconds > shutdown, 'the grace period outlasts the shutdown bound');
  assert.ok(c.volumeMounts.some((m) => m.mountPath === '/var/cache/trueup'), 'a writable cache volume');

  const sa = parseAllDocuments(await read('kubernetes/serviceaccount.yaml'))[0]?.toJS() as { metadata: { annotations: Record<string, string> } };
  assert.ok(sa.metadata.annotations['eks.amazonaws.com/role-arn']);
  assert.ok(sa.metadata.annotations['iam.gke.io/gcp-service-account']);
});

it('the Containerfile runs trueup as a non-root user', async () => {
  const file = await read('Containerfile');
  assert.match(file, /^FROM \$\{NODE_IMAGE\}$/m);
  assert.match(file, /^ARG NODE_IMAGE=node:22/m);
  assert.match(file, /^USER 1000:1000$/m);
  assert.match(file, /^ENTRYPOINT \["node", "\/app\/bin\/trueup\.js"\]$/m);
  assert.match(file, /^CMD \["run"/m);
});
