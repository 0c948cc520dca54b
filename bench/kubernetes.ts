// Benchmark: Kubernetes requests per pass against the emulator, through trueup's real pipeline
// and provider (warm, in-process: the instance lives across passes as in the daemon).
//   - a no-op plan of N objects as the CLI makes it (exact: one dry run per object);
//   - the daemon's no-op pass (steady): after one pass that dry-runs what changed, the next costs
//     discovery + one LIST per type;
//   - a health wait of D Deployments that stay pending for R rounds: requests per round.
// Prints one row per figure (bench/support/table.ts): figure | measured | API minimum or goal | ratio.
//
//   node_modules/.bin/node bench/kubernetes.ts [--objects 1000] [--deployments 199]

import { parseArgs } from 'node:util';
import { startKubeEmulator } from '../emulators/kubernetes/index.ts';
import kubernetes from '../providers/kubernetes/index.ts';
import { ProviderRegistry } from '../src/engine/registry.ts';
import { applyPrepared, preparePlan } from '../src/engine/pipeline.ts';
import type { InstanceEntry } from '../src/engine/instances.ts';
import { safetySchema } from '../src/config/schema.ts';
import { silentLogger } from '../src/report/log.ts';
import type { ProviderDefinition } from '../src/sdk/index.ts';
import { printRows } from './support/table.ts';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '1000' }, deployments: { type: 'string', default: '199' } } });
const OBJECTS = Number(values.objects);
const DEPLOYMENTS = Number(values.deployments);
const NS = 'bench';

const emulator = await startKubeEmulator({ controllers: false });
const rows: [string, number, number, string][] = [];
try {
  const settings = kubernetes.settings.parse({ server: emulator.url, qps: 100_000, burst: 100_000, healthTimeoutSeconds: 3, concurrency: 8 });
  const entry: InstanceEntry = { name: 'cluster', definition: kubernetes as ProviderDefinition, instance: kubernetes.create(settings, { instance: 'cluster' }) };
  const registry = new ProviderRegistry([kubernetes as ProviderDefinition]);
  let n = 0;
  const plan = (yaml: string, freshness: 'exact' | 'steady') => {
    n += 1;
    return preparePlan({
      source: 'bench', ownerId: 'bench', revision: { id: `r${n}`, description: `r${n}`, files: [{ path: 'bench.yaml', content: yaml }] },
      catalog: registry.catalog(), instances: new Map([[entry.name, entry]]), scopes: { cluster: [`namespace/${NS}`, 'cluster'] },
      safety: safetySchema.parse({ minExisting: 1_000_000 }), log: silentLogger(), freshness,
    });
  };
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${NS} }\n`];
  for (let i = 1; i < OBJECTS; i += 1) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i}, namespace: ${NS} }\ndata: { k: "v${i}" }\n`);
  const yaml = docs.join('---\n');
  const first = await plan(yaml, 'exact');
  await applyPrepared(first);
  const cpu: number[] = [];
  const count = async (f: () => Promise<unknown>) => {
    const from = emulator.requests.length;
    const started = process.cpuUsage();
    await f();
    const used = process.cpuUsage(started);
    // CPU of this process (trueup and the emulator together), not wall: the machine is shared.
    cpu.push(Math.round((used.user + used.system) / 1000));
    return emulator.requests.slice(from);
  };
  const cli = await count(() => plan(yaml, 'exact'));
  await plan(yaml, 'steady'); // the first daemon pass after an apply dry-runs what the apply changed
  const steady = await count(() => plan(yaml, 'steady'));
  // The floor: every discovery call and one LIST per listed collection, nothing else.
  const discovery = steady.filter((r) => r.method === 'GET' && !r.query.includes('labelSelector') && /^\/(api|apis)(\/[^/]+){0,2}$/.test(r.path)).length;
  const floor = discovery + new Set(steady.filter((r) => r.method === 'GET' && r.query.includes('labelSelector')).map((r) => r.path)).size;
  rows.push([`Kubernetes no-op, ${OBJECTS} objects, CLI (exact)`, cli.length, floor + OBJECTS, 'discovery + LIST per type + a dry run each']);
  rows.push([`Kubernetes no-op, ${OBJECTS} objects, daemon pass (steady)`, steady.length, floor, 'discovery + LIST per type']);
  console.log(`CPU ms (trueup + emulator in one process): CLI no-op ${cpu[0]}, daemon no-op ${cpu[1]}`);

  // Health: D Deployments created, never rolled out (no controllers) until the wait times out.
  const deps = Array.from({ length: DEPLOYMENTS }, (_, i) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d${i}, namespace: ${NS} }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: d${i} } }\n  template:\n    metadata: { labels: { app: d${i} } }\n    spec: { containers: [{ name: c, image: "nginx:1" }] }\n`);
  const withDeps = [yaml, ...deps].join('---\n');
  const prepared = await plan(withDeps, 'exact');
  const applied = await count(() => applyPrepared(prepared));
  const applyAt = applied.findIndex((r) => r.method === 'PATCH' && !r.query.includes('dryRun'));
  const health = applied.slice(applyAt).filter((r) => r.method === 'GET' && r.path.includes('/deployments'));
  const rounds = health.filter((r) => r.query.includes('labelSelector')).length;
  rows.push([`Kubernetes health wait, ${DEPLOYMENTS} pending Deployments, requests per round (${rounds} rounds in ${settings.healthTimeoutSeconds} s)`, rounds === 0 ? health.length : health.length / rounds, 1, 'one LIST per type and namespace']);
  await entry.instance.close?.();
} finally {
  await emulator.stop();
}

printRows(rows.map(([figure, measured, goal, note]) => ({ figure, measured: `${measured}`, goal: `${goal}`, ratio: measured / goal, note })));
