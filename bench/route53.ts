// Benchmark: Route 53 zones of 1,000 and 10,000 record sets through trueup's real pipeline
// against moto_server. For each size: create everything from Git into an empty zone, then a no-op
// reconcile (observe + plan). Reports API calls per operation beside the per-record-read model
// (Terraform's aws_route53_record reads each record with its own calls: about 2 per record per
// refresh, and one ChangeResourceRecordSets + GetChange wait per record created), engine CPU time
// (process.cpuUsage: this process only, not moto) and peak memory, as rows of bench/support/table.ts.
//
//   node_modules/.bin/node bench/route53.ts [--sizes 1000,10000] [--rate 5]
//
// Not part of `npm test`.

import { parseArgs } from 'node:util';
import { MOTO_ENV, startMoto } from '../test/support/moto.ts';
import provider from '../providers/aws-route53/index.ts';
import type { Route53Instance } from '../providers/aws-route53/instance.ts';
import { ProviderRegistry } from '../src/engine/registry.ts';
import { applyPrepared, preparePlan } from '../src/engine/pipeline.ts';
import type { InstanceEntry } from '../src/engine/instances.ts';
import { safetySchema } from '../src/config/schema.ts';
import { silentLogger } from '../src/report/log.ts';
import type { ProviderDefinition } from '../src/sdk/index.ts';
import { printRows, type BenchRow } from './support/table.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, rate: { type: 'string', default: '5' } } });
const SIZES = values.sizes.split(',').map(Number);
const RATE = Number(values.rate);
Object.assign(process.env, MOTO_ENV);

function zoneYaml(zone: string, n: number): string {
  const lines = [`apiVersion: dns.trueup.dev/v1`, `kind: Zone`, `metadata: { name: ${zone} }`, `spec:`, `  management: full`, `  records:`];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    if (kind < 7) lines.push(`    host-${i}: [{ type: A, values: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}] }]`);
    else if (kind === 7) lines.push(`    txt-${i}: [{ type: TXT, value: "v=spf1 include:_spf-${i}.example.net ~all" }]`);
    else if (kind === 8) lines.push(`    alias-${i}: [{ type: CNAME, value: target-${i}.example.net }]`);
    else lines.push(`    mail-${i}: [{ type: MX, values: ["10 mx1-${i}.example.net", "20 mx2-${i}.example.net"] }]`);
  }
  return `${lines.join('\n')}\n`;
}

interface Measure {
  calls: Record<string, number>;
  total: number;
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  heapUsedMb: number;
}

async function measure(instance: Route53Instance, fn: () => Promise<void>): Promise<Measure> {
  const before = new Map(instance.api.calls);
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const calls: Record<string, number> = {};
  let total = 0;
  for (const [op, n] of instance.api.calls) {
    const d = n - (before.get(op) ?? 0);
    if (d > 0) {
      calls[op] = d;
      total += d;
    }
  }
  return { calls, total, wallMs, cpuMs: (used.user + used.system) / 1000, peakRssMb: peak / 2 ** 20, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 };
}

const moto = await startMoto();
const rows: BenchRow[] = [];
try {
  for (const n of SIZES) {
    const zone = `bench-${n}.example.com`;
    const registry = new ProviderRegistry([provider as ProviderDefinition]);
    const settings = provider.settings.parse({ endpoint: moto.endpoint, rateLimit: RATE });
    const instance = provider.create(settings, { instance: 'route53' }) as Route53Instance;
    const entry: InstanceEntry = { name: 'route53', definition: provider as ProviderDefinition, instance };
    const yaml = zoneYaml(zone, n);
    let revision = 0;
    const plan = () => preparePlan({
      source: 'bench', ownerId: 'bench', revision: { id: `r${++revision}`, description: 'bench', files: [{ path: 'zone.yaml', content: yaml }] },
      catalog: registry.catalog(), instances: new Map([['route53', entry]]), scopes: { route53: [`zone/${zone}.`] },
      safety: safetySchema.parse({}), force: true, log: silentLogger(),
    });
    let changes = 0;
    const create = await measure(instance, async () => {
      const prepared = await plan();
      changes = prepared.plan.changes.length;
      const result = await applyPrepared(prepared);
      if (result.failed > 0) throw new Error(`${result.failed} changes failed: ${result.reports.find((r) => r.status === 'failed')?.error?.message}`);
    });
    let leftover = -1;
    const noop = await measure(instance, async () => {
      leftover = (await plan()).plan.changes.length;
    });
    if (leftover !== 0) throw new Error(`no-op plan has ${leftover} changes`);
    const sets = n + 2; // + apex SOA and NS
    const pages = Math.ceil(sets / 300);
    // The fewest requests Route 53's limits allow: 1,000 ResourceRecord elements and 32,000
    // value characters per request (an MX set here carries two values).
    let elements = 0;
    let chars = 0;
    for (const m of yaml.matchAll(/values: \[([^\]]*)\]|value: ("[^"]*"|\S+) \}/g)) {
      const values = m[1] !== undefined ? m[1].split(', ') : [m[2] ?? ''];
      elements += values.length;
      chars += values.reduce((sum, v) => sum + v.length, 0);
    }
    const batches = Math.max(Math.ceil(elements / 1000), Math.ceil(chars / 32_000));
    const fmt = (m: Measure) => Object.entries(m.calls).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`${n} record sets: create ${create.total} calls (${fmt(create)}), ${(create.wallMs / 1000).toFixed(2)} s wall; no-op ${noop.total} calls (${fmt(noop)}), ${(noop.wallMs / 1000).toFixed(2)} s wall; peak RSS ${Math.max(create.peakRssMb, noop.peakRssMb).toFixed(0)} MB`);
    const noopMin = pages + 2; // ListHostedZones + ListTagsForResources + record pages
    rows.push({ figure: `Route 53 no-op, ${n} record sets (warm, in-process), calls`, measured: `${noop.total}`, goal: `${noopMin}`, ratio: noop.total / noopMin, note: `ListHostedZones + ListTagsForResources + ${pages} record pages; per-record model: ${2 * n}` });
    rows.push({ figure: `Route 53 create ${n} record sets (warm, in-process), ChangeResourceRecordSets`, measured: `${create.calls.ChangeResourceRecordSets ?? 0}`, goal: `${batches}`, ratio: (create.calls.ChangeResourceRecordSets ?? 0) / batches, note: `${elements.toLocaleString('en')} values, ${chars.toLocaleString('en')} characters: ≤ 1,000 values and 32,000 characters per request; all calls ${create.total}; per-record model: ${2 * n}` });
    rows.push({ figure: `Route 53 ${n} record sets (warm, in-process), engine CPU create / no-op`, measured: `${create.cpuMs.toFixed(0)} / ${noop.cpuMs.toFixed(0)} ms`, goal: '–', note: `this process only, not moto; ${(changes).toLocaleString('en')} planned changes` });
    await instance.close?.();
  }
  printRows(rows);
} finally {
  await moto.stop();
}
