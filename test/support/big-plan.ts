// A plan of many DNS changes, as a 3,000-record zone migration or a 50,000-record import makes:
// for the renderer's size and speed tests and bench/render.ts. Mixed on purpose: most are the
// same TTL update (grouped in a comment), the rest creates and deletes spread over zones.

import type { Plan } from '../../src/plan/types.ts';
import type { PlannedChange } from '../../src/sdk/index.ts';

export function bigPlan(n: number, options: { zones?: number; refusal?: string } = {}): Plan {
  const zones = options.zones ?? 10;
  const changes: PlannedChange[] = [];
  const summary = { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0, managed: n };
  for (let i = 0; i < n; i++) {
    const zone = `zone${i % zones}.example.com.`;
    const name = `host-${i}.${zone}`;
    const base = { key: `${zone}/${name}/A`, type: 'recordset', display: `${name} A`, scope: `zone/${zone}`, provider: 'route53', dependsOn: [], location: { file: `zones/zone${i % zones}.yaml`, line: 10 + Math.floor(i / zones) * 3, column: 7 } };
    const kind = Math.floor(i / zones) % 10;
    if (kind === 9) {
      changes.push({ ...base, action: 'create', after: { name, type: 'A', ttl: 300, values: [`192.0.2.${i % 250}`], route53: { routing: 'simple' } }, diffs: [] });
      summary.create++;
    } else if (kind === 8) {
      const { location: _l, ...rest } = base;
      changes.push({ ...rest, action: 'delete', before: { name, type: 'A', ttl: 300, values: [`198.51.100.${i % 250}`] }, diffs: [] });
      summary.delete++;
    } else {
      changes.push({ ...base, action: 'update', before: { name, type: 'A', ttl: 300, values: ['192.0.2.1'] }, after: { name, type: 'A', ttl: 600, values: ['192.0.2.1'] }, diffs: [{ path: 'ttl', before: 300, after: 600 }] });
      summary.update++;
    }
  }
  return {
    formatVersion: 1, source: 'dns', revision: 'feedc0ffee', createdAt: '2026-12-01T00:00:00.000Z', forced: false,
    checksum: 'f'.repeat(64), changes, conflicts: [], errors: [], refusals: options.refusal ? [options.refusal] : [], summary,
  };
}
