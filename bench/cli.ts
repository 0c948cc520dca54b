// Benchmark: the CLI as a user runs it, one cold process per figure (launcher, Node 22 start,
// imports, then the work). `trueup validate DIR` of one Zone of N record sets (no API involved):
// peak RSS and CPU (user + sys, from /usr/bin/time) at 10k and 50k records, and how CPU scales.
//
//   node_modules/.bin/node bench/cli.ts [--sizes 10000,50000]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,50000' } } });
const SIZES = values.sizes.split(',').map(Number);
const TRUEUP = fileURLToPath(new URL('../bin/trueup.js', import.meta.url));

function zoneYaml(n: number): string {
  const lines = ['apiVersion: dns.trueup.dev/v1', 'kind: Zone', 'metadata: { name: example.com. }', 'spec:', '  management: full', '  records:'];
  for (let i = 0; i < n; i++) lines.push(`    host-${i}: [{ type: A, values: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}] }]`);
  return `${lines.join('\n')}\n`;
}

/** Peak RSS (MiB) and CPU seconds of one cold `trueup` process. */
function measure(args: string[]): { rssMiB: number; cpuS: number; status: number | null } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, TRUEUP, ...args], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [kb, user, sys] = last.split(' ').map(Number);
  return { rssMiB: Math.round((kb ?? 0) / 1024), cpuS: Number(((user ?? 0) + (sys ?? 0)).toFixed(2)), status: r.status };
}

const rows: string[] = [];
const version = measure(['version']);
rows.push(`| CPU, \`trueup version\` (cold) | ${version.cpuS} s | 0.15 s | ${(version.cpuS / 0.15).toFixed(2)} |`);
rows.push(`| peak RSS, \`trueup version\` (cold) | ${version.rssMiB} MiB | – | – |`);
const cpu: number[] = [];
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'trueup-bench-cli-'));
  try {
    writeFileSync(join(dir, 'zone.yaml'), zoneYaml(n));
    const m = measure(['validate', dir]);
    if (m.status !== 0) throw new Error(`validate of ${n} records exited ${m.status}`);
    cpu.push(m.cpuS);
    rows.push(`| peak RSS, \`trueup validate\` of ${n} records (cold) | ${m.rssMiB} MiB | ${n === 10_000 ? '≤ 120 MiB (the whole no-op plan)' : '–'} | ${n === 10_000 ? (m.rssMiB / 120).toFixed(2) : '–'} |`);
    rows.push(`| CPU, \`trueup validate\` of ${n} records (cold) | ${m.cpuS} s | – | – |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (cpu.length === 2 && SIZES[0] && SIZES[1]) {
  const ratio = (cpu[1] ?? 0) / (cpu[0] ?? 1);
  rows.push(`| validate CPU ${SIZES[0]} → ${SIZES[1]} records | ${ratio.toFixed(2)}× | ≤ ${(SIZES[1] / SIZES[0] * 1.1).toFixed(1)}× (linear) | ${(ratio / (SIZES[1] / SIZES[0] * 1.1)).toFixed(2)} |`);
}
console.log('| figure | measured | API minimum or goal | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
