// What loading keeps: after loadResources of a 10,000-record Zone, the heap it retains (measured
// after a full GC, so no timing and little noise) stays under 1.5 KB per record. Reading with
// yaml, its node trees kept for `locate`, retained ~2.6 KB per record here; the fast reader with
// its flat offset table keeps ~0.6 KB (values, zod's parsed spec, positions). Locations resolve.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import route53 from '../../providers/aws-route53/index.ts';
import { KindCatalog } from '../../src/load/catalog.ts';
import { loadResources } from '../../src/load/load.ts';

const RECORDS = 10_000;

function zoneYaml(n: number): string {
  const lines = ['apiVersion: dns.trueup.dev/v1', 'kind: Zone', 'metadata: { name: example.com. }', 'spec:', '  management: full', '  records:'];
  for (let i = 0; i < n; i++) lines.push(`    host-${i}: [{ type: A, values: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}] }]`);
  return `${lines.join('\n')}\n`;
}

/** A full collection, without starting node with --expose-gc. */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('memory of loading', () => {
  it(`retains under 1.5 KB per record for a ${RECORDS}-record Zone, and still locates every record`, () => {
    const catalog = new KindCatalog([route53]);
    const content = zoneYaml(RECORDS);
    // Warm up once so the code and the schemas' own caches are not counted.
    loadResources([{ path: 'small.yaml', content: zoneYaml(10) }], catalog);
    collect();
    const before = process.memoryUsage().heapUsed;
    const loaded = loadResources([{ path: 'zone.yaml', content }], catalog);
    collect();
    const retained = process.memoryUsage().heapUsed - before;
    assert.deepEqual(loaded.issues, []);
    const zone = loaded.resources[0];
    assert.ok(zone);
    assert.ok(retained / RECORDS < 1536, `retained ${(retained / 1024 / 1024).toFixed(1)} MiB, ${(retained / RECORDS).toFixed(0)} bytes per record`);
    // Six header lines come first: host-i is on line 7 + i.
    const lines = content.split('\n');
    const last = lines[5 + RECORDS] as string;
    assert.deepEqual(zone.locate(['spec', 'records', `host-${RECORDS - 1}`]), { file: 'zone.yaml', line: 6 + RECORDS, column: last.indexOf('[') + 1 });
    const line = lines[6 + 42] as string;
    assert.deepEqual(zone.locate(['spec', 'records', 'host-42', 0, 'values', 0]), { file: 'zone.yaml', line: 7 + 42, column: line.indexOf('10.') + 1 });
  });
});
