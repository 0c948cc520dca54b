// The emulator's opt-in RBAC mode answers as an RBAC API server does: unknown tokens are 401,
// discovery is open to authenticated users, Roles/ClusterRoles and their bindings are evaluated
// (verbs, groups, subresources, resourceNames, wildcards, namespaced vs cluster scope, create on
// apply), and refusals are the server's 403 Status word for word. `kubectl auth can-i` agrees.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './support.ts';

const SA = 'system:serviceaccount:ops:deployer';
const run = promisify(execFile);

/** kubectl sends bearer tokens only over TLS: a throwaway TLS front (openssl-made certificate)
 * passing bytes through to the emulator's plain HTTP port. */
async function tlsFront(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'trueup-rbac-tls-'));
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir });
  const server = createTlsServer({ key: await readFile(join(dir, 'k.pem')), cert: await readFile(join(dir, 'c.pem')) }, (socket) => {
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('Kubernetes emulator RBAC', () => {
  let cluster: Cluster;
  const call = async (method: string, path: string, token: string | undefined, body?: unknown, contentType = 'application/json') => {
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetch(`${cluster.emulator.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as { reason?: string; message?: string; details?: unknown; code?: number; status?: { allowed: boolean } } };
  };
  const admin = (method: string, path: string, body?: unknown) => call(method, path, 'emulator-token', body);
  const sa = (method: string, path: string, body?: unknown, contentType?: string) => call(method, path, 'sa-token', body, contentType);

  before(async () => {
    cluster = await startCluster({ rbac: { tokens: { 'sa-token': SA } } });
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } });
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/ops/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'deployer', namespace: 'ops' },
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch', 'create'] },
        { apiGroups: ['apps'], resources: ['deployments/status'], verbs: ['update'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] },
        { apiGroups: ['batch'], resources: ['*'], verbs: ['*'] },
      ],
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/ops/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'deployer', namespace: 'ops' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer' }],
    });
  });
  after(async () => cluster?.stop());

  it('401 for an unknown token; discovery and version for any authenticated user; anonymous sees only version', async () => {
    const bad = await call('GET', '/api/v1/namespaces', 'wrong');
    assert.deepEqual([bad.status, bad.body.reason, bad.body.message], [401, 'Unauthorized', 'Unauthorized']);
    for (const path of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/version']) assert.equal((await sa('GET', path)).status, 200, path);
    assert.equal((await call('GET', '/version', undefined)).status, 200);
    const anonymous = await call('GET', '/apis', undefined);
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.body.message, 'forbidden: User "system:anonymous" cannot get path "/apis"');
  });

  it('allows what the Role grants in its namespace only, and refuses the rest in the API server\'s words', async () => {
    assert.equal((await sa('GET', '/apis/apps/v1/namespaces/ops/deployments')).status, 200);
    const elsewhere = await sa('GET', '/apis/apps/v1/namespaces/other/deployments');
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body.reason, 'Forbidden');
    assert.equal(elsewhere.body.message, `deployments.apps is forbidden: User "${SA}" cannot list resource "deployments" in API group "apps" in the namespace "other"`);
    assert.deepEqual(elsewhere.body.details, { group: 'apps', kind: 'deployments' });
    const del = await sa('DELETE', '/apis/apps/v1/namespaces/ops/deployments/web');
    assert.equal(del.body.message, `deployments.apps "web" is forbidden: User "${SA}" cannot delete resource "deployments" in API group "apps" in the namespace "ops"`);
    const all = await sa('DELETE', '/apis/apps/v1/namespaces/ops/deployments');
    assert.match(all.body.message ?? '', /cannot deletecollection resource "deployments"/);
    const watch = await sa('GET', '/apis/apps/v1/namespaces/ops/deployments?watch=true');
    assert.match(watch.body.message ?? '', /cannot watch resource "deployments"/);
    const cluster_ = await sa('GET', '/api/v1/namespaces');
    assert.equal(cluster_.body.message, `namespaces is forbidden: User "${SA}" cannot list resource "namespaces" in API group "" at the cluster scope`);
  });

  it('matches subresources, resourceNames and wildcards', async () => {
    const status = await sa('PATCH', '/apis/apps/v1/namespaces/ops/deployments/web/status', {}, 'application/merge-patch+json');
    assert.match(status.body.message ?? '', /cannot patch resource "deployments\/status" in API group "apps"/, 'update on deployments/status does not grant patch');
    assert.equal((await sa('GET', '/api/v1/namespaces/ops/configmaps/settings')).status, 404, 'allowed by name, then not found');
    const other = await sa('GET', '/api/v1/namespaces/ops/configmaps/other');
    assert.match(other.body.message ?? '', /configmaps "other" is forbidden: .* cannot get resource "configmaps"/);
    assert.equal((await sa('GET', '/apis/batch/v1/namespaces/ops/jobs')).status, 200, 'resources: [*], verbs: [*]');
  });

  it('a server-side apply that creates needs create as well as patch', async () => {
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/ops/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'patcher', namespace: 'ops' },
      rules: [{ apiGroups: [''], resources: ['services'], verbs: ['patch'] }],
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/ops/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'patcher', namespace: 'ops' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patcher' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ops' }],
    });
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ops' }, spec: { ports: [{ port: 80 }] } };
    const refused = await sa('PATCH', '/api/v1/namespaces/ops/services/web?fieldManager=t&dryRun=All', service, 'application/apply-patch+yaml');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, 'services "web" is forbidden: ', 'the API server gives no more reason for a create on update');
    const created = await sa('PATCH', '/apis/apps/v1/namespaces/ops/deployments/web?fieldManager=t', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ops' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    }, 'application/apply-patch+yaml');
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });

  it('ClusterRoleBindings apply everywhere; a binding to a missing role is named in the reason', async () => {
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ns-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ns-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ops' }],
    });
    const missing = await sa('GET', '/api/v1/namespaces');
    assert.match(missing.body.message ?? '', /at the cluster scope: RBAC: clusterrole\.rbac\.authorization\.k8s\.io "ns-reader" not found$/);
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ns-reader' }, rules: [{ apiGroups: [''], resources: ['namespaces', 'secrets'], verbs: ['list', 'get'] }],
    });
    assert.equal((await sa('GET', '/api/v1/namespaces')).status, 200);
    assert.equal((await sa('GET', '/api/v1/namespaces/other/secrets')).status, 200, 'a ClusterRoleBinding grants in every namespace');
  });

  it('kubectl auth can-i agrees', async () => {
    cluster.emulator.rbac?.addToken('sa-token-2', SA);
    const front = await tlsFront(cluster.emulator.port);
    after(() => front.stop());
    // `auth can-i` exits 1 for "no", with "no" on stdout.
    const can = async (...args: string[]) => {
      const result = await run('kubectl', ['--server', front.url, '--insecure-skip-tls-verify', '--token', 'sa-token-2', 'auth', 'can-i', ...args], { env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath } })
        .catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
      return result.stdout.trim();
    };
    assert.equal(await can('list', 'deployments.apps', '-n', 'ops'), 'yes');
    assert.equal(await can('delete', 'deployments.apps', '-n', 'ops'), 'no');
    assert.equal(await can('update', 'deployments.apps', '--subresource', 'status', '-n', 'ops'), 'yes');
    assert.equal(await can('list', 'deployments.apps', '-n', 'other'), 'no');
    assert.equal(await can('get', 'configmaps/settings', '-n', 'ops'), 'yes');
  });
});
