// npm run bench: every benchmark in this folder, one after another (they start their own
// emulators and print their own figures), then one table of every bench's rows with the machine
// they ran on (bench/support/table.ts: each bench appends its rows to $TRUEUP_BENCH_ROWS).
// `npm run bench cli route53` runs the benches whose file names start with those prefixes.
// Not part of npm test: benchmarks measure, tests assert.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { formatRow, TABLE_HEADER, type BenchRow } from './support/table.ts';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const collected = mkdtempSync(join(tmpdir(), 'trueup-bench-rows-'));
const rowsFile = join(collected, 'rows.jsonl');
const machine = () => `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const startedAt = new Date();
const loadBefore = machine();
const failed: string[] = [];
try {
  for (const file of benches) {
    process.stdout.write(`\n=== bench/${file} ===\n`);
    const result = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit', env: { ...process.env, TRUEUP_BENCH_ROWS: rowsFile } });
    if (result.status !== 0) failed.push(file);
  }
  let rows: BenchRow[] = [];
  try {
    rows = readFileSync(rowsFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as BenchRow);
  } catch {
    // no bench printed rows
  }
  console.log(`\n=== all figures (${benches.join(', ')}) ===`);
  console.log(`${startedAt.toISOString()} → ${new Date().toISOString()}, Node ${process.version}`);
  console.log(`machine at start: ${loadBefore}`);
  console.log(`machine at end:   ${machine()}\n`);
  console.log(TABLE_HEADER);
  for (const row of rows) console.log(formatRow(row));
  if (failed.length > 0) console.log(`\nfailed or missed a goal: ${failed.join(', ')}`);
} finally {
  rmSync(collected, { recursive: true, force: true });
}
process.exitCode = failed.length > 0 ? 1 : 0;
