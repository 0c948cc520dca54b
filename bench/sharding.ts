// Sharding figures (issue 16 item 5): `trueup run --shard` processes against the Kubernetes API
// emulator (test/support/shard-cluster.ts: RBAC mode, one token per replica, 30 sources each a
// local folder with one ConfigMap). Three replicas share the sources; one is SIGKILLed while the
// sources keep changing; a fourth joins. Measured: spread, hand-over times, writers per source at
// any instant (every write checked against the Lease history), Lease API traffic, and the memory
// and CPU of each replica (for sizing, docs/operations.md).
//   node_modules/.bin/node bench/sharding.ts
import { readFileSync } from 'node:fs';
import { startShardCluster } from '../test/support/shard-cluster.ts';
import { waitFor } from '../test/e2e/support.ts';
import { printRows, type BenchRow } from './support/table.ts';

const LEASE_SECONDS = 3;
const LEASE_MS = LEASE_SECONDS * 1000;
const RETRY_MS = LEASE_MS / 5;
const SOURCES = 30;

/** Resident set (peak) and CPU seconds of a process, from /proc. */
function usage(pid: number | undefined): { hwmMiB: number; cpuS: number } {
  if (pid === undefined) return { hwmMiB: NaN, cpuS: NaN };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { hwmMiB: hwm, cpuS: ticks / 100 };
}

const c = await startShardCluster({ sources: SOURCES, leaseSeconds: LEASE_SECONDS, replicas: ['replica-a', 'replica-b', 'replica-c', 'replica-d'] });
const rows: BenchRow[] = [];
try {
  const three = ['replica-a', 'replica-b', 'replica-c'];
  const started = Date.now();
  await Promise.all(three.map((r) => c.start(r)));
  await waitFor('converged over three replicas', c.settled(three), 60_000, 250);
  const settleS = (Date.now() - started) / 1000;
  const spread = c.perReplica(three);
  rows.push({ figure: `sources per replica, 3 replicas × ${SOURCES} sources (max / min)`, measured: `${Math.max(...spread)} / ${Math.min(...spread)}`, goal: `≤ ${Math.ceil((1.25 * SOURCES) / 3)} / ≥ 5`, ratio: Math.max(...spread) / Math.ceil((1.25 * SOURCES) / 3), note: `bounded loads: at most 25% over the mean of ${SOURCES / 3}; spread ${spread.join(', ')}` });
  rows.push({ figure: 'start → 30 sources applied and settled, 3 replicas, s', measured: `${settleS.toFixed(1)} s`, goal: '–', note: 'includes process start and the first hand-overs as replicas join one after another' });

  // Steady state: Lease traffic and the cost of a replica.
  const before = c.kube.requests.length;
  const cpuBefore = three.map((r) => usage(c.daemons.get(r)?.child.pid).cpuS);
  await new Promise((r) => setTimeout(r, 3 * LEASE_MS));
  const window = c.kube.requests.slice(before);
  const leaseRequests = window.filter((r) => r.path.startsWith('/apis/coordination.k8s.io/'));
  const perLease = leaseRequests.length / 3;
  const expected = 5 * 3 + 4 * (3 + SOURCES);
  rows.push({ figure: `Lease requests per lease duration, group of 3 × ${SOURCES} sources`, measured: `${perLease.toFixed(0)} requests`, goal: `${expected} requests`, ratio: perLease / expected, note: '5·N LISTs + 4·(N+S) renewals (sharding.ts)' });
  const idle = three.map((r, i) => (usage(c.daemons.get(r)?.child.pid).cpuS - (cpuBefore[i] ?? 0)) / (3 * LEASE_SECONDS));
  rows.push({ figure: 'CPU of a replica at rest (10 sources, 1 s interval), share of a core', measured: `${(Math.max(...idle) * 100).toFixed(1)} %`, goal: '–', note: `per replica ${idle.map((x) => `${(x * 100).toFixed(1)}%`).join(', ')}` });
  const mem = three.map((r) => usage(c.daemons.get(r)?.child.pid).hwmMiB);
  rows.push({ figure: 'peak RSS of a replica (10 ConfigMap sources), MiB', measured: `${Math.max(...mem).toFixed(0)} MiB`, goal: '–', note: `per replica ${mem.map((m) => m.toFixed(0)).join(', ')} MiB` });

  // One change to every source: how long the group takes, and the CPU a pass that applies costs.
  const changeFrom = Date.now();
  const changeCpu = three.map((r) => usage(c.daemons.get(r)?.child.pid).cpuS);
  await c.bump();
  await waitFor('the change applied everywhere', c.settled(three), 60_000, 250);
  const changeS = (Date.now() - changeFrom) / 1000;
  const changeWrites = c.writes().filter((w) => w.at >= changeFrom).length;
  const busyS = three.reduce((sum, r, i) => sum + usage(c.daemons.get(r)?.child.pid).cpuS - (changeCpu[i] ?? 0) - (idle[i] ?? 0) * changeS, 0);
  rows.push({ figure: `one change to each of ${SOURCES} sources → all applied, 3 replicas, s`, measured: `${changeS.toFixed(1)} s`, goal: '–', note: `${changeWrites} writes; sources poll every 1 s` });
  rows.push({ figure: 'CPU per applied pass (one changed ConfigMap: read, plan with a dry run, apply), ms', measured: `${((busyS / Math.max(1, changeWrites)) * 1000).toFixed(0)} ms`, goal: '–', note: `${busyS.toFixed(2)} CPU s above rest over the 3 replicas` });

  // SIGKILL one replica while every source keeps changing.
  const victim = 'replica-c';
  const orphans = c.sources.filter((s) => c.leaseHolders().get(s) === victim);
  let changing = true;
  const churn = (async () => {
    while (changing) {
      await c.bump();
      await new Promise((r) => setTimeout(r, 700));
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = Date.now();
  await c.daemons.get(victim)?.stop('SIGKILL');
  c.daemons.delete(victim);
  const two = ['replica-a', 'replica-b'];
  await waitFor('orphans taken over', () => orphans.every((s) => two.includes(c.leaseHolders().get(s) ?? '')), 60_000, 100);
  const handover = Math.max(...orphans.map((s) => c.holders.filter((h) => h.source === s).at(-1)?.at ?? NaN)) - killedAt;
  if (process.env.BENCH_DEBUG) {
    for (const s of orphans) console.error(s, c.holders.filter((h) => h.source === s && h.at > killedAt - 2000).map((h) => `${h.holder}@${h.at - killedAt}`).join(' '));
    const leaseReqs = c.kube.requests.filter((r) => r.at > killedAt - 1000 && r.at < killedAt + 7000 && r.path.startsWith('/apis/coordination'));
    for (const r of leaseReqs.filter((r) => r.method === 'GET' && r.query.includes('labelSelector'))) console.error('LIST', r.uid, r.at - killedAt, (r.doneAt ?? 0) - r.at);
    for (const r of leaseReqs.filter((r) => r.method === 'PUT' && r.uid === victim)) console.error('PUT-victim', r.path.split('/').pop(), r.at - killedAt);
  }
  rows.push({ figure: `hand-over after SIGKILL (${orphans.length} sources), s`, measured: `${(handover / 1000).toFixed(2)} s`, goal: `${((LEASE_MS + RETRY_MS) / 1000).toFixed(1)} s`, ratio: handover / (LEASE_MS + RETRY_MS), note: `lease duration ${LEASE_SECONDS} s + one retry period (${RETRY_MS} ms); kill → last source's Lease taken` });
  changing = false;
  await churn;
  await waitFor('converged on two replicas', c.settled(two), 60_000, 250);

  // A fourth replica joins: sources stop on their holder, are released, and taken.
  const joinFrom = c.holders.length;
  await c.start('replica-d');
  const next = ['replica-a', 'replica-b', 'replica-d'];
  await waitFor('replica-d took its share', async () => {
    const views = await c.settled(next)();
    return views && (c.perReplica(next)[2] ?? 0) > 0;
  }, 60_000, 250);
  const changes = c.holders.slice(joinFrom);
  const gaps: number[] = [];
  for (const taken of changes.filter((h) => h.holder === 'replica-d')) {
    const released = changes.filter((h) => h.source === taken.source && h.holder === '' && h.at <= taken.at).at(-1);
    if (released) gaps.push(taken.at - released.at);
  }
  rows.push({ figure: 'hand-over to a joining replica: release → taken, max, s', measured: `${(Math.max(...gaps) / 1000).toFixed(2)} s`, goal: `${(RETRY_MS / 1000).toFixed(1)} s`, ratio: Math.max(...gaps) / RETRY_MS, note: `${gaps.length} sources moved to replica-d (its next LIST), median ${((gaps.sort((x, y) => x - y)[gaps.length >> 1] ?? NaN) / 1000).toFixed(2)} s; spread now ${c.perReplica(next).join(', ')}` });

  const { violations, maxWriters } = c.checkWriters();
  const writes = c.writes().length;
  rows.push({ figure: 'writers per source at any instant, max', measured: `${maxWriters}`, goal: '1', ratio: maxWriters, note: `${writes} writes checked against the Lease history; ${violations.length} not by the holder of the moment` });
} finally {
  await c.stop();
}
console.log(`machine: ${(await import('node:os')).cpus().length} cores, load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
printRows(rows);
