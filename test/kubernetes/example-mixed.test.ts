// examples/mixed: an IAM role, the Kubernetes objects of the workload that assumes it, and its
// DNS record — one repository, one plan, three providers. Run for real: IAM and Route 53 on
// moto, Kubernetes on the emulator (with its deployment controller).

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import iam from '../../providers/aws-iam/index.ts';
import route53 from '../../providers/aws-route53/index.ts';
import kubernetes from '../../providers/kubernetes/index.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { safetySchema } from '../../src/config/schema.ts';
import { createInstances } from '../../src/engine/instances.ts';
import { applyPrepared, preparePlan } from '../../src/engine/pipeline.ts';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { ProviderDefinition } from '../../src/sdk/index.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import { startCluster, type Cluster } from './support.ts';

const root = fileURLToPath(new URL('../../examples/mixed/', import.meta.url));
let moto: Moto;
let cluster: Cluster;

before(async () => {
  Object.assign(process.env, MOTO_ENV);
  [moto, cluster] = await Promise.all([startMoto(), startCluster({ controllers: true })]);
  // The shared zone exists already (other teams' records live in it); trueup adds its record.
  await new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1' }).send(new CreateHostedZoneCommand({ Name: 'shop.example.com.', CallerReference: 'mixed-example' }));
});
after(async () => {
  await Promise.all([moto?.stop(), cluster?.stop()]);
});

async function files(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.yaml')) continue;
    const full = join(entry.parentPath, entry.name);
    out.push({ path: relative(root, full), content: await readFile(full, 'utf8') });
  }
  return out;
}

it('examples/mixed plans the role, the workload and its record in one plan, converges, and a second plan is empty', async () => {
  const registry = new ProviderRegistry([iam, route53, kubernetes] as ProviderDefinition[]);
  const loaded = await loadConfigFile(join(root, 'trueup.yaml'));
  // Same config, pointed at the local stand-ins.
  const providers = loaded.config.providers;
  providers.iam = { type: 'aws-iam', settings: { ...providers.iam?.settings, endpoint: moto.endpoint } };
  providers.route53 = { type: 'aws-route53', settings: { ...providers.route53?.settings, endpoint: moto.endpoint } };
  const { context: _context, ...clusterSettings } = providers.cluster?.settings ?? {};
  providers.cluster = { type: 'kubernetes', settings: { ...clusterSettings, kubeconfig: cluster.kubeconfigPath, healthTimeoutSeconds: 10 } };
  const instances = createInstances(loaded, registry);
  const source = loaded.config.sources[0];
  assert.ok(source);
  const revision = { id: 'example', description: 'examples/mixed', files: await files(root) };
  const plan = () => preparePlan({
    source: source.name, ownerId: source.name, revision, catalog: registry.catalog(), instances,
    scopes: source.scopes, safety: safetySchema.parse({}), log: silentLogger(),
  });

  const first = await plan();
  assert.deepEqual(first.plan.errors, []);
  assert.deepEqual(first.plan.conflicts, []);
  const byProvider = (p: string) => first.plan.changes.filter((c) => c.provider === p).map((c) => `${c.action} ${c.display}`).sort();
  assert.ok(byProvider('iam').some((c) => c.startsWith('create') && c.includes('orders-api')), byProvider('iam').join(', '));
  assert.ok(byProvider('route53').some((c) => c.includes('orders-api.shop.example.com.')), byProvider('route53').join(', '));
  assert.deepEqual(byProvider('cluster'), ['create Deployment orders/orders-api', 'create Namespace orders', 'create Service orders/orders-api', 'create ServiceAccount orders/orders-api']);

  // The ServiceAccount names the ARN of the role this same revision declares.
  const role = first.resources.find((r) => r.kind === 'Role');
  const sa = first.resources.find((r) => r.kind === 'ServiceAccount');
  const rolePath = (role?.spec as { path: string }).path;
  assert.equal(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn'], `arn:aws:iam::${String(providers.iam.settings.accountId)}:role${rolePath}${role?.metadata.name}`);

  const result = await applyPrepared(first);
  assert.deepEqual(result.reports.filter((r) => r.status !== 'applied').map((r) => `${r.change.display}: ${r.error?.message}`), []);
  const annotation = await cluster.kubectl(['-n', 'orders', 'get', 'serviceaccount', 'orders-api', '-o', 'jsonpath={.metadata.annotations.eks\\.amazonaws\\.com/role-arn}']);
  assert.equal(annotation, 'arn:aws:iam::123456789012:role/trueup/workloads/orders-api');

  const second = await plan();
  assert.deepEqual(second.plan.errors, []);
  assert.deepEqual(second.plan.changes.map((c) => `${c.provider} ${c.action} ${c.display} ${JSON.stringify(c.diffs)}`), []);
});
