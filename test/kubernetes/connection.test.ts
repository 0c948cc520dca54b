// How the provider reaches a cluster: kubeconfig contexts and credentials, the server override,
// unreadable configuration, and credentials that may not read everything (least privilege).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Harness, settingsFor, startCluster, summary, type Cluster } from './support.ts';

const cm = (name: string, ns = 'web') => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${ns} }\ndata: { a: b }\n`;

describe('kubernetes provider: connecting', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: web }\n');
  });
  after(async () => cluster.stop());

  it('uses the named kubeconfig context and its bearer token', async () => {
    const path = join(dirname(cluster.kubeconfigPath), 'two-contexts');
    writeFileSync(path, [
      'apiVersion: v1', 'kind: Config', 'current-context: nowhere',
      'clusters:',
      '- name: nowhere', '  cluster: { server: "http://127.0.0.1:9", insecure-skip-tls-verify: true }',
      `- name: emulator`, `  cluster: { server: "${cluster.emulator.url}", insecure-skip-tls-verify: true }`,
      'users:', '- name: robot', '  user: { token: robot-token }',
      'contexts:',
      '- name: nowhere', '  context: { cluster: nowhere, user: robot }',
      '- name: emulator', '  context: { cluster: emulator, user: robot }', '',
    ].join('\n'));
    const start = cluster.emulator.requests.length;
    const trueup = new Harness(settingsFor(cluster, { kubeconfig: path, context: 'emulator' }), ['namespace/web']);
    const prepared = await trueup.plan(cm('via-context'));
    assert.deepEqual(prepared.plan.errors, []);
    assert.deepEqual(summary(prepared), ['create ConfigMap web/via-context']);
    const sent = cluster.emulator.requests.slice(start);
    assert.ok(sent.length > 0 && sent.every((r) => r.auth === 'Bearer'), 'every request carries the kubeconfig user’s token');
  });

  it('lets `server` override the kubeconfig’s API server', async () => {
    const path = join(dirname(cluster.kubeconfigPath), 'elsewhere');
    writeFileSync(path, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters:', '- name: c', '  cluster: { server: "https://kubernetes.invalid:6443" }',
      'users:', '- name: u', '  user: { token: t }',
      'contexts:', '- name: c', '  context: { cluster: c, user: u }', '',
    ].join('\n'));
    const trueup = new Harness(settingsFor(cluster, { kubeconfig: path, server: cluster.emulator.url }), ['namespace/web']);
    assert.deepEqual(summary(await trueup.plan(cm('via-override'))), ['create ConfigMap web/via-override']);
  });

  it('reports an unreadable kubeconfig as a terminal error naming it', async () => {
    const trueup = new Harness(settingsFor(cluster, { kubeconfig: '/nonexistent/kubeconfig' }), ['namespace/web']);
    const prepared = await trueup.plan(cm('x'));
    assert.equal(prepared.plan.errors.length, 1);
    assert.match(prepared.plan.errors[0]?.message ?? '', /connect: cannot load the Kubernetes configuration: .*\/nonexistent\/kubeconfig/);
    assert.equal(prepared.plan.errors[0]?.transient, false);
  });

  it('reports an unreachable API server as transient', async () => {
    const trueup = new Harness(settingsFor(cluster, { kubeconfig: undefined, server: 'http://127.0.0.1:9', retries: 0 }), ['namespace/web']);
    const prepared = await trueup.plan(cm('x'));
    assert.match(prepared.plan.errors[0]?.message ?? '', /cannot reach the API server/);
    assert.equal(prepared.plan.errors[0]?.transient, true);
  });

  it('skips types its credentials may not list when nothing declared uses them, and names them when something does', async () => {
    cluster.emulator.forbid('secrets');
    const trueup = new Harness(settingsFor(cluster), ['namespace/web']);
    const fine = await trueup.plan(cm('plain'));
    assert.deepEqual(fine.plan.errors, []);
    assert.deepEqual(summary(fine), ['create ConfigMap web/plain']);
    const blocked = await trueup.plan(cm('plain') + '---\napiVersion: v1\nkind: Secret\nmetadata: { name: s, namespace: web }\nstringData: { k: v }\n');
    assert.match(blocked.plan.errors[0]?.message ?? '', /list secrets: Forbidden: secrets is forbidden: User "system:serviceaccount:trueup:trueup" cannot list resource "secrets"/);
  });
});
