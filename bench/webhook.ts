// Benchmark: webhook → converged, as an operator sees it (issue 16: 472 ms median, goal ≤ 250 ms).
// `trueup run` as a child process (bin/trueup.js) reconciles a 1,000-record Route 53 zone (moto)
// from a Git repository served by git's own http-backend. Each round pushes a commit changing 10
// records (not timed), POSTs the signed GitHub push webhook, and times until the daemon logs the
// pass that applied that commit; its status API and the records in moto are then checked. Prints the median and
// the spread, and the daemon's own pass time (durationMs of the pass in its history).
//
//   node_modules/.bin/node bench/webhook.ts [--rounds 10] [--records 1000] [--cpu-prof DIR]
//
// --cpu-prof DIR: the daemon writes a V8 CPU profile into DIR when it stops. --trace: print the
// daemon's trace log of the last round with times (where a pass spends its time).
//
// Default Route 53 settings, as the daemon ships: no wait for INSYNC (`waitForSync: false`,
// docs/dns.md), so "converged" is "ChangeResourceRecordSets accepted"; `--wait-for-sync` turns it
// on (moto reports every change INSYNC at once, so it measures one GetChange round trip).

import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client, type ListResourceRecordSetsCommandOutput, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { MOTO_ENV, startMoto } from '../test/support/moto.ts';
import { startGitServer } from '../test/support/git-server.ts';
import { TestRepo } from '../test/support/git-repo.ts';
import { freePort } from '../test/support/ports.ts';
import { TRUEUP_BIN } from '../test/support/cli.ts';
import { spawnDaemon, waitFor, zone, type DaemonProcess } from '../test/e2e/support.ts';
import { MotoProxy } from '../test/support/moto-proxy.ts';
import { printRows } from './support/table.ts';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '10' },
  records: { type: 'string', default: '1000' },
  'cpu-prof': { type: 'string' },
  'wait-for-sync': { type: 'boolean', default: false },
  trace: { type: 'boolean', default: false },
} });
const ROUNDS = Number(values.rounds);
const RECORDS = Number(values.records);
const CHANGED = 10;
const GOAL_MS = 250;
const ZONE = 'bench-webhook.example.com';
const SECRET = 'bench-webhook-secret';

function records(round: number): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < RECORDS; i++) {
    const octet = i < CHANGED ? (round % 250) + 1 : (i % 250) + 1;
    out[`host-${i}`] = [`10.${(i >> 8) & 255}.${i & 255}.${octet}`];
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] ?? NaN) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
}

const dir = await mkdtemp(join(tmpdir(), 'trueup-bench-webhook-'));
const [moto, git] = await Promise.all([startMoto(), startGitServer({ root: join(dir, 'git') })]);
const repo = await TestRepo.create(join(dir, 'git'), 'infra.git');
const route53 = new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
let daemon: DaemonProcess | undefined;
// --trace: the daemon reaches moto through a recording proxy, and Git requests are stamped as
// the server logs them, to print where the last round's time went.
const events: { at: number; what: string }[] = [];
const proxy = values.trace ? new MotoProxy() : undefined;
try {
  if (proxy) {
    await proxy.start(moto.endpoint);
    proxy.onRequest = (r) => events.push({ at: r.at, what: `AWS ${r.method} ${r.path.replace(/\/[A-Z0-9]{10,}/g, '/ID')}` });
    const push = git.requests.push.bind(git.requests);
    git.requests.push = (...rs) => {
      for (const r of rs) events.push({ at: Date.now(), what: `Git ${r.method} ${r.path} (answered)` });
      return push(...rs);
    };
  }
  const first = await repo.commitAndPush({ 'dns/zone.yaml': zone(ZONE, 'route53', records(0)) }, 'initial zone');
  await writeFile(join(dir, 'token'), 'bench-api-token\n');
  const config = join(dir, 'trueup.yaml');
  const sync = values['wait-for-sync'] ? ', waitForSync: true, syncPollMs: 10' : '';
  await writeFile(config, `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  route53: { type: aws-route53, settings: { endpoint: "${proxy?.endpoint ?? moto.endpoint}", region: us-east-1, rateLimit: 1000${sync} } }
sources:
  - name: infra
    git: { url: "${git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    scopes: { route53: ["zone/${ZONE}."] }
server:
  listen: 127.0.0.1:${await freePort()}
  token: { file: token }
  webhooks:
    - { name: github, type: github, secret: { env: TU_BENCH_WEBHOOK_SECRET } }
`);
  const flags = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-prof'])}`] : [];
  daemon = await spawnDaemon(process.execPath, [...flags, TRUEUP_BIN, 'run', '-c', config], {
    ...process.env, ...MOTO_ENV, NO_COLOR: '1', TRUEUP_LOG_LEVEL: values.trace ? 'trace' : 'info', AWS_EC2_METADATA_DISABLED: 'true',
    TRUEUP_CACHE_DIR: join(dir, 'cache'), TU_BENCH_WEBHOOK_SECRET: SECRET,
  });
  const d = daemon;
  await waitFor('the initial zone applied', async () => (await d.status('infra')).lastAppliedRevision === first, 120_000, 50);

  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const zoneId = (await route53.send(new ListHostedZonesByNameCommand({ DNSName: ZONE }))).HostedZones?.[0]?.Id ?? '';
  const latencies: number[] = [];
  const passes: number[] = [];
  for (let round = 1; round <= ROUNDS + 1; round++) {
    const commit = await repo.commitAndPush({ 'dns/zone.yaml': zone(ZONE, 'route53', records(round)) }, `round ${round}`);
    const started = performance.now();
    const res = await fetch(`${d.url}/hooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature } });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
    // The daemon logs the end of each pass (JSON on stderr, read as it is written): waiting for
    // that line instead of polling the status API keeps the bench from loading the daemon.
    const from = d.logs.length;
    await waitFor('the commit applied', () => d.logs.slice(from).some((l) => l.revision === commit && l.result === 'applied'), 30_000, 1);
    const elapsed = performance.now() - started;
    // The records are really in moto (not timed).
    const live = new Map<string, ResourceRecordSet>();
    for (let name: string | undefined = `host-0.${ZONE}.`; name;) {
      const page: ListResourceRecordSetsCommandOutput = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, MaxItems: 300 }));
      for (const set of page.ResourceRecordSets ?? []) live.set(`${set.Name} ${set.Type}`, set);
      name = page.IsTruncated ? page.NextRecordName : undefined;
    }
    const want = records(round);
    for (let i = 0; i < CHANGED; i++) {
      const got = live.get(`host-${i}.${ZONE}. A`)?.ResourceRecords?.[0]?.Value;
      if (got !== want[`host-${i}`]?.[0]) throw new Error(`round ${round}: host-${i} is ${got} in moto, expected ${want[`host-${i}`]?.[0]}`);
    }
    const status = await d.status('infra');
    if (status.lastAppliedRevision !== commit) throw new Error(`round ${round}: the status API says ${status.lastAppliedRevision} is applied, not ${commit}`);
    if (values.trace && round === ROUNDS + 1) {
      const t0 = Date.now() - (performance.now() - started);
      const log = d.logs.slice(from).map((l) => ({ at: Number(l.time), what: `log: ${String(l.msg).slice(0, 120)}` }));
      for (const e of [...events.filter((e) => e.at >= t0 - 5), ...log].sort((a, b) => a.at - b.at)) console.log(`  +${String(e.at - t0).padStart(4)} ms ${e.what}`);
    }
    if (round === 1) continue; // warm-up: the first pass after start compiles the plan path
    latencies.push(elapsed);
    passes.push(status.history[0]?.durationMs ?? NaN);
  }
  const m = median(latencies);
  console.log(`webhook → applied (ms): ${latencies.map((l) => l.toFixed(0)).join(', ')}; daemon pass durationMs: ${passes.join(', ')}`);
  printRows([
    { figure: `webhook → converged, ${CHANGED} records changed in a ${RECORDS}-record zone, median of ${ROUNDS}${values['wait-for-sync'] ? ' (waitForSync)' : ''}`, measured: `${m.toFixed(0)} ms`, goal: `≤ ${GOAL_MS} ms`, ratio: m / GOAL_MS, note: `min ${Math.min(...latencies).toFixed(0)}, max ${Math.max(...latencies).toFixed(0)} ms; the daemon's pass ${median(passes).toFixed(0)} ms (median); moto, no rate limit` },
  ]);
} finally {
  await daemon?.stop();
  await proxy?.stop();
  route53.destroy();
  await Promise.all([moto.stop(), git.stop()]);
  await repo.dispose();
  await rm(dir, { recursive: true, force: true });
}
