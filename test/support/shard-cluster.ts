// A shard group to test and measure `trueup run --shard` with (test/e2e/sharding.test.ts,
// bench/sharding.ts): the Kubernetes API emulator in RBAC mode, `sourceCount` sources each a local
// folder declaring one ConfigMap in its own namespace, and replicas started as real processes.
// Every replica authenticates with its own token of the deploy's service account
// (deploy/kubernetes/rbac.yaml plus a grant on ConfigMaps), the token's uid naming the replica, so
// the emulator's request log says which replica made each write; every change of a source Lease's
// holder is recorded as the emulator stores it.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { userOf } from '../../emulators/kubernetes/auth.ts';
import { ADMIN_TOKEN, startKubeEmulator, type KubeEmulator, type KubeObject } from '../../emulators/kubernetes/index.ts';
import { spawnTrueupRun, type DaemonProcess } from '../e2e/support.ts';
import { freePort } from './ports.ts';

const RBAC_YAML = new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url);
const SA = 'system:serviceaccount:trueup:trueup';
/** The secret of the `push` webhook receiver (hmac: X-Signature-256 over the body). */
export const HOOK_SECRET = 'shard-hook-secret-5e1b';

export interface HolderChange { at: number; source: string; holder: string }
export interface SourceWrite { at: number; doneAt: number; source: string; replica: string; method: string }
export interface ShardInfo { identity: string; members: string[]; held: string[]; holders: Record<string, string | null> }

export interface ShardCluster {
  kube: KubeEmulator;
  dir: string;
  sources: string[];
  daemons: Map<string, DaemonProcess>;
  /** Every change of a source Lease's holder, in store order (holder '' = released). */
  holders: HolderChange[];
  /** The value the ConfigMaps should converge on. */
  value(): string;
  start(replica: string): Promise<DaemonProcess>;
  /** A request to the emulator as its admin (answers below 300 expected). */
  admin(method: string, path: string, body?: unknown): Promise<void>;
  /** Source → holder as the Leases say now. */
  leaseHolders(): Map<string, string>;
  perReplica(replicas: readonly string[]): number[];
  /** Change every source's ConfigMap value in Git (its folder). */
  bump(): Promise<void>;
  /** Every source held by one of `replicas` and its ConfigMap at the current value, and every
   * replica's own view (its JSON API) agreeing with the Leases: no hand-over under way. */
  settled(replicas: readonly string[]): () => Promise<ShardInfo[] | false>;
  memberLeases(): string[];
  /** Every non-dry-run write to a source's namespace, with who made it and when. */
  writes(): SourceWrite[];
  /** Writes not made by the source's Lease holder of that moment (must be none), and the most
   * replicas that wrote one source at one instant. */
  checkWriters(): { violations: string[]; maxWriters: number };
  stop(): Promise<void>;
}

const configMap = (source: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: ns-${source} }\ndata: { value: "${value}" }\n`;

export async function startShardCluster(options: { sources: number; leaseSeconds: number; replicas: readonly string[] }): Promise<ShardCluster> {
  const sources = Array.from({ length: options.sources }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
  const tokens = Object.fromEntries(options.replicas.map((r) => [`token-${r}`, { ...userOf(SA), uid: r }]));
  const kube = await startKubeEmulator({ rbac: { tokens } });
  const holders: HolderChange[] = [];
  const lastHolder = new Map<string, string>();
  kube.state.events.on('change', (_event: string, type: { kind: string }, object: KubeObject) => {
    const metadata = object.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
    if (type.kind !== 'Lease' || metadata.labels?.['trueup.dev/shard-role'] !== 'source') return;
    const source = metadata.annotations?.['trueup.dev/source'] ?? '';
    const holder = (object.spec as { holderIdentity?: string }).holderIdentity ?? '';
    if (lastHolder.get(source) === holder) return;
    lastHolder.set(source, holder);
    holders.push({ at: Date.now(), source, holder });
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${kube.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  };
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
  const dir = await mkdtemp(join(tmpdir(), 'tu-shard-'));
  let value = 'v0';
  for (const s of sources) {
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${s}` } });
    await mkdir(join(dir, s));
    await writeFile(join(dir, s, 'settings.yaml'), configMap(s, value));
  }
  const configFile = join(dir, 'trueup.yaml');
  await writeFile(configFile, [
    'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
    // The client-side rate limit is raised: the emulator is local, and the replicas share 2 cores.
    'providers:', '  cluster: { type: kubernetes, settings: { retryDelayMs: 5, requestTimeoutSeconds: 5, qps: 1000, burst: 1000 } }',
    'sources:',
    ...sources.map((s) => `  - { name: ${s}, path: ${s}, interval: 1s, retryInterval: 1s, driftInterval: 10m, scopes: { cluster: [namespace/ns-${s}] } }`),
    'server:', '  webhooks:', '    - { name: push, type: hmac, secret: { env: TU_SHARD_HOOK_SECRET } }', '',
  ].join('\n'));
  const daemons = new Map<string, DaemonProcess>();

  const leaseHolders = () => new Map(lastHolder);
  const liveValues = () => sources.map((s) => {
    const cm = kube.state.objects.get(`/configmaps/ns-${s}/settings`);
    return (cm?.data as Record<string, string> | undefined)?.value;
  });
  const cluster: ShardCluster = {
    kube, dir, sources, daemons, holders, admin,
    value: () => value,
    async start(replica) {
      const kubeconfig = join(dir, `kubeconfig-${replica}`);
      await writeFile(kubeconfig, kube.kubeconfig('trueup', `token-${replica}`));
      const port = await freePort();
      const d = await spawnTrueupRun(['-c', configFile, '--listen', `127.0.0.1:${port}`, '--shard', '--lease', 'trueup/trueup', '--lease-duration', `${options.leaseSeconds}s`, '--kubeconfig', kubeconfig], {
        KUBECONFIG: kubeconfig, POD_NAME: replica, TRUEUP_CACHE_DIR: join(dir, `cache-${replica}`), TRUEUP_LOG_LEVEL: 'info', TU_SHARD_HOOK_SECRET: HOOK_SECRET,
      });
      daemons.set(replica, d);
      return d;
    },
    leaseHolders,
    perReplica(replicas) {
      const held = leaseHolders();
      return replicas.map((r) => sources.filter((s) => held.get(s) === r).length);
    },
    async bump() {
      value = `v${Number(value.slice(1)) + 1}`;
      await Promise.all(sources.map((s) => writeFile(join(dir, s, 'settings.yaml'), configMap(s, value))));
    },
    settled(replicas) {
      return async () => {
        const held = leaseHolders();
        if (!sources.every((s) => replicas.includes(held.get(s) ?? ''))) return false;
        if (!liveValues().every((v) => v === value)) return false;
        const views = await Promise.all(replicas.map(async (r) => ((await (await fetch(`${daemons.get(r)?.url}/api/v1/sources`)).json()) as { shards: ShardInfo }).shards));
        const now = leaseHolders();
        const agree = views.every((v, i) => v.held.join() === sources.filter((s) => now.get(s) === replicas[i]).join() && sources.every((s) => v.holders[s] === now.get(s)));
        return agree && views;
      };
    },
    memberLeases: () => [...kube.state.objects.values()]
      .filter((o) => (o.metadata as { labels?: Record<string, string> }).labels?.['trueup.dev/shard-role'] === 'member').map((o) => o.metadata.name),
    writes: () => kube.requests
      .filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !r.query.includes('dryRun'))
      .flatMap((r) => {
        const m = /^\/api\/v1\/namespaces\/ns-(s\d+)\/configmaps/.exec(r.path);
        return m ? [{ at: r.at, doneAt: r.doneAt ?? Date.now(), source: m[1] ?? '', replica: r.uid ?? '?', method: r.method }] : [];
      }),
    checkWriters() {
      const bySource = new Map<string, HolderChange[]>();
      for (const c of holders) {
        const list = bySource.get(c.source);
        if (list) list.push(c);
        else bySource.set(c.source, [c]);
      }
      const holderAt = (source: string, t: number) => {
        let holder = '';
        for (const c of bySource.get(source) ?? []) {
          if (c.at > t) break;
          holder = c.holder;
        }
        return holder;
      };
      const violations: string[] = [];
      const writes = cluster.writes();
      for (const w of writes) {
        const atStart = holderAt(w.source, w.at);
        const atEnd = holderAt(w.source, w.doneAt);
        if (atStart !== w.replica || atEnd !== w.replica) {
          violations.push(`${w.method} on ${w.source} by ${w.replica} at ${w.at}-${w.doneAt}: the lease holder was ${atStart || 'nobody'} then ${atEnd || 'nobody'}`);
        }
      }
      let maxWriters = 0;
      const bySourceWrites = new Map<string, SourceWrite[]>();
      for (const w of writes) {
        const list = bySourceWrites.get(w.source);
        if (list) list.push(w);
        else bySourceWrites.set(w.source, [w]);
      }
      for (const list of bySourceWrites.values()) {
        for (const w of list) {
          const overlapping = new Set(list.filter((o) => o.at <= w.doneAt && o.doneAt >= w.at).map((o) => o.replica));
          maxWriters = Math.max(maxWriters, overlapping.size);
        }
      }
      return { violations, maxWriters };
    },
    async stop() {
      for (const d of daemons.values()) await d.stop('SIGKILL');
      await kube.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
