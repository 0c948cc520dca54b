// Sources spread over replicas: `trueup run --shard` processes (three, then one killed, then a
// fourth) and 30 sources, each a local folder declaring one ConfigMap in its own namespace,
// against the Kubernetes API emulator in RBAC mode. Every replica authenticates with its own
// token of the deploy's service account (deploy/kubernetes/rbac.yaml plus a grant on ConfigMaps),
// the token's uid naming the replica, so the emulator's request log says which replica made each
// write. The test records every source Lease's holder changes as the emulator stores them and
// checks, write by write, that each write to a source's namespace came from the replica holding
// that source's Lease at that moment: at every instant at most one writer per source.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { userOf } from '../../emulators/kubernetes/auth.ts';
import { ADMIN_TOKEN, startKubeEmulator, type KubeEmulator, type KubeObject } from '../../emulators/kubernetes/index.ts';
import { freePort } from '../support/ports.ts';
import { spawnTrueupRun, waitFor, type DaemonProcess } from './support.ts';

const RBAC_YAML = new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url);
const SA = 'system:serviceaccount:trueup:trueup';
const SOURCES = Array.from({ length: 30 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
const LEASE_SECONDS = 4;

interface HolderChange { at: number; source: string; holder: string }
interface Write { at: number; doneAt: number; source: string; replica: string; method: string }

const configMap = (source: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ns-${source} }\ndata: { value: "${value}" }\n`;

describe('sources sharded over replicas with one Lease per source', () => {
  let kube: KubeEmulator;
  let dir: string;
  let configFile: string;
  const daemons = new Map<string, DaemonProcess>();
  const holders: HolderChange[] = [];
  let value = 'v0';

  const admin = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${kube.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  };
  const start = async (replica: string) => {
    const kubeconfig = join(dir, `kubeconfig-${replica}`);
    await writeFile(kubeconfig, kube.kubeconfig('trueup', `token-${replica}`));
    const port = await freePort();
    const d = await spawnTrueupRun(['-c', configFile, '--listen', `127.0.0.1:${port}`, '--shard', '--lease', 'trueup/trueup', '--lease-duration', `${LEASE_SECONDS}s`, '--kubeconfig', kubeconfig], {
      KUBECONFIG: kubeconfig, POD_NAME: replica, TRUEUP_CACHE_DIR: join(dir, `cache-${replica}`), TRUEUP_LOG_LEVEL: 'info',
    });
    daemons.set(replica, d);
    return d;
  };
  /** Who holds each source, as the Leases say now (empty: nobody). */
  const leaseHolders = () => {
    const out = new Map<string, string>();
    for (const c of holders) out.set(c.source, c.holder);
    return out;
  };
  const liveValues = () => SOURCES.map((s) => {
    const cm = kube.state.objects.get(`/configmaps/ns-${s}/settings`) as KubeObject | undefined;
    return (cm?.data as Record<string, string> | undefined)?.value;
  });
  const bump = async () => {
    value = `v${Number(value.slice(1)) + 1}`;
    await Promise.all(SOURCES.map((s) => writeFile(join(dir, s, 'settings.yaml'), configMap(s, value))));
  };
  const converged = (replicas: string[]) => async () => {
    const held = leaseHolders();
    if (!SOURCES.every((s) => replicas.includes(held.get(s) ?? ''))) return false;
    return liveValues().every((v) => v === value);
  };
  type ShardInfo = { identity: string; held: string[]; holders: Record<string, string | null> };
  /** Converged, and every replica's own view (its JSON API) agrees with the Leases: no hand-over under way. */
  const settled = (replicas: string[]) => async () => {
    if (!await converged(replicas)()) return false;
    const views = await Promise.all(replicas.map(async (r) => ((await (await fetch(`${daemons.get(r)?.url}/api/v1/sources`)).json()) as { shards: ShardInfo }).shards));
    const held = leaseHolders();
    const agree = views.every((v, i) => v.held.join() === SOURCES.filter((s) => held.get(s) === replicas[i]).join() && SOURCES.every((s) => v.holders[s] === held.get(s)));
    return agree && views;
  };
  const perReplica = (replicas: string[]) => {
    const held = leaseHolders();
    return replicas.map((r) => SOURCES.filter((s) => held.get(s) === r).length);
  };

  before(async () => {
    const tokens = Object.fromEntries(['a', 'b', 'c', 'd'].map((r) => [`token-replica-${r}`, { ...userOf(SA), uid: `replica-${r}` }]));
    kube = await startKubeEmulator({ rbac: { tokens } });
    // Every change of a source Lease's holder, in the order the store made them.
    kube.state.events.on('change', (_event: string, type: { kind: string }, object: KubeObject) => {
      const metadata = object.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
      if (type.kind !== 'Lease' || metadata.labels?.['trueup.dev/shard-role'] !== 'source') return;
      const source = metadata.annotations?.['trueup.dev/source'] ?? '';
      const holder = (object.spec as { holderIdentity?: string }).holderIdentity ?? '';
      const last = [...holders].reverse().find((c) => c.source === source);
      if (last?.holder !== holder) holders.push({ at: Date.now(), source, holder });
    });
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trueup' } });
    for (const doc of parseAllDocuments(await readFile(RBAC_YAML, 'utf8'))) {
      const o = doc.toJS() as { kind: string; metadata: { name: string; namespace: string } };
      await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.metadata.namespace}/${o.kind.toLowerCase()}s`, o);
    }
    // What the repository declares needs its own grant (as `trueup permissions` would print it).
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'trueup-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }, { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list'] }] });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'trueup-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'trueup-configmaps' }, subjects: [{ kind: 'ServiceAccount', name: 'trueup', namespace: 'trueup' }] });
    dir = await mkdtemp(join(tmpdir(), 'tu-shard-'));
    for (const s of SOURCES) {
      await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${s}` } });
      await mkdir(join(dir, s));
      await writeFile(join(dir, s, 'settings.yaml'), configMap(s, value));
    }
    configFile = join(dir, 'trueup.yaml');
    await writeFile(configFile, [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
      'providers:', '  cluster: { type: kubernetes, settings: { retryDelayMs: 5, requestTimeoutSeconds: 5, qps: 1000, burst: 1000 } }',
      'sources:',
      ...SOURCES.map((s) => `  - { name: ${s}, path: ${s}, interval: 1s, retryInterval: 1s, driftInterval: 10m, scopes: { cluster: [namespace/ns-${s}] } }`), '',
    ].join('\n'));
  });
  after(async () => {
    for (const d of daemons.values()) await d.stop('SIGKILL');
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('three replicas share 30 sources; a killed one\'s sources move; a fourth takes some over; never two writers per source', async () => {
    await Promise.all(['replica-a', 'replica-b', 'replica-c'].map(start));
    const three = ['replica-a', 'replica-b', 'replica-c'];
    const views = await waitFor('30 sources converged over three replicas', settled(three), 30_000, 250);
    const spread = perReplica(three);
    assert.equal(spread.reduce((a, b) => a + b, 0), 30);
    for (const n of spread) assert.ok(n >= 5 && n <= 15, `sources per replica: ${spread.join(', ')}`);

    // What each replica says: /readyz, its gauge, the JSON API; a source held elsewhere is answered by its holder.
    const a = daemons.get('replica-a');
    assert.ok(a);
    const readyz = await fetch(`${a.url}/readyz`);
    assert.equal(readyz.status, 200);
    assert.match(await readyz.text(), /^ready: shard member of group trueup\/trueup \(3 members\), holding \d+ of 30 sources\n$/);
    const held = leaseHolders();
    const mine = SOURCES.filter((s) => held.get(s) === 'replica-a');
    const other = SOURCES.find((s) => held.get(s) !== 'replica-a') ?? '';
    const metrics = await a.metrics();
    assert.match(metrics, new RegExp(`^trueup_source_lease_held\\{source="${mine[0]}"\\} 1$`, 'm'));
    assert.match(metrics, new RegExp(`^trueup_source_lease_held\\{source="${other}"\\} 0$`, 'm'));
    assert.deepEqual(views[0]?.held, mine);
    assert.equal(views[0]?.holders[other], held.get(other));
    const forwarded = await a.status(other);
    assert.equal(forwarded.name, other);
    assert.ok(forwarded.lastAppliedRevision, `${other}'s status comes from its holder ${held.get(other)}, which applied it`);

    // SIGKILL one replica while every source keeps changing: its sources move once their Leases expire.
    const victim = 'replica-c';
    const orphans = SOURCES.filter((s) => leaseHolders().get(s) === victim);
    let changing = true;
    const churn = (async () => {
      while (changing) {
        await bump();
        await new Promise((r) => setTimeout(r, 700));
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    await daemons.get(victim)?.stop('SIGKILL');
    daemons.delete(victim);
    const two = ['replica-a', 'replica-b'];
    await waitFor(`${orphans.length} sources of ${victim} taken over`, async () => orphans.every((s) => two.includes(leaseHolders().get(s) ?? '')), 4 * (LEASE_SECONDS * 1000 + 600));
    const movedAt = Math.max(...orphans.map((s) => holders.filter((c) => c.source === s && two.includes(c.holder)).at(-1)?.at ?? 0));
    changing = false;
    await churn;
    await waitFor('converged again on two replicas', settled(two), 20_000, 250).catch((error: unknown) => {
      const held = leaseHolders();
      const values = liveValues();
      throw new Error(`${(error as Error).message}: want ${value}; ${SOURCES.map((s, i) => `${s}=${values[i]}@${held.get(s)}`).join(' ')}\n${[...daemons.values()].map((d) => d.logs.filter((l) => (l.level as number) >= 40).slice(-5).map((l) => JSON.stringify(l)).join('\n')).join('\n')}`);
    });
    // The bench measures how long (bench/sharding.ts); here only that it happened after the lease ran out.
    assert.ok(movedAt > killedAt, 'taken over after the kill');

    // A fourth replica joins: sources move to it, handed over without overlap.
    await start('replica-d');
    const three2 = ['replica-a', 'replica-b', 'replica-d'];
    await waitFor('replica-d took sources over', async () => (perReplica(three2)[2] ?? 0) > 0 && SOURCES.every((s) => three2.includes(leaseHolders().get(s) ?? '')), 20_000, 100);
    await bump();
    await waitFor('converged on a, b and d', settled(three2), 20_000, 250);
    assert.ok(perReplica(three2).every((n) => n >= 5 && n <= 15), `sources per replica: ${perReplica(three2).join(', ')}`);

    // The killed replica's membership Lease is collected by the survivors after three lease durations.
    const memberLeases = () => [...kube.state.objects.values()].filter((o) => (o.metadata as { labels?: Record<string, string> }).labels?.['trueup.dev/shard-role'] === 'member').map((o) => o.metadata.name);
    await waitFor('replica-c\'s membership lease collected', () => !memberLeases().includes('trueup-member-replica-c'), 4 * LEASE_SECONDS * 1000, 250);

    // A graceful stop: each replica releases the sources it holds once their work stopped, and leaves.
    const codes = await Promise.all([...daemons.values()].map((d) => d.stop('SIGTERM')));
    daemons.clear();
    assert.deepEqual(codes, [0, 0, 0]);
    assert.deepEqual(SOURCES.filter((s) => leaseHolders().get(s) !== ''), [], 'every source lease released');
    assert.deepEqual(memberLeases(), [], 'every replica left the group (its membership lease deleted)');

    // Every write, checked against the Lease history: it came from the source's holder at that moment.
    const writes: Write[] = kube.requests
      .filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.query.includes('dryRun'))
      .flatMap((r) => {
        const m = /^\/api\/v1\/namespaces\/ns-(s\d\d)\/configmaps/.exec(r.path);
        return m ? [{ at: r.at, doneAt: r.doneAt ?? Date.now(), source: m[1] ?? '', replica: r.uid ?? '?', method: r.method }] : [];
      });
    assert.ok(writes.length >= 60, `${writes.length} writes recorded`);
    const holderAt = (source: string, t: number) => holders.filter((c) => c.source === source && c.at <= t).at(-1)?.holder ?? '';
    for (const w of writes) {
      assert.equal(holderAt(w.source, w.at), w.replica, `${w.method} on ${w.source} by ${w.replica} at ${w.at}: the lease holder then was ${holderAt(w.source, w.at) || 'nobody'}`);
      assert.equal(holderAt(w.source, w.doneAt), w.replica, `${w.method} on ${w.source} by ${w.replica}: the lease changed hands before it was answered`);
    }
    // And as a sweep: writers of one source in flight at any instant.
    let maxWriters = 0;
    for (const s of SOURCES) {
      const mine2 = writes.filter((w) => w.source === s);
      for (const w of mine2) {
        const overlapping = new Set(mine2.filter((o) => o.at <= w.doneAt && o.doneAt >= w.at).map((o) => o.replica));
        maxWriters = Math.max(maxWriters, overlapping.size);
      }
      const writers = new Set(mine2.map((w) => w.replica));
      if (orphans.includes(s)) assert.ok(writers.size >= 2, `${s} was written by ${victim} and by its next holder`);
    }
    assert.equal(maxWriters, 1);
  });
});
