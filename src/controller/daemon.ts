// Assembles `trueup run`: engine, controller, notifications and the HTTP server, and takes them
// down in the right order. Kept apart from the CLI so tests and embedders can run a daemon
// in-process with the exact wiring the command uses.

import type { Logger } from 'pino';
import { formatDuration } from '../config/duration.ts';
import { ConfigError } from '../config/load.ts';
import { openEngine, type Engine } from '../engine/engine.ts';
import { formatPath, type LoadIssue } from '../load/issues.ts';
import { Metrics } from '../report/metrics.ts';
import { NotificationDispatcher, createNotifiers } from '../report/notify/dispatcher.ts';
import { readSecret } from '../report/notify/secrets.ts';
import { githubPlatform } from '../report/preview/github.ts';
import { gitlabPlatform } from '../report/preview/gitlab.ts';
import type { ReviewPlatform } from '../report/preview/platform.ts';
import { startServer, type Leadership, type RunningServer, type ShardView } from '../server/server.ts';
import type { WebhookReceiver } from '../server/webhooks.ts';
import { Controller } from './controller.ts';
import { LeaderElector } from './leader.ts';
import { Sharder } from './sharding.ts';

export interface DaemonOptions {
  configFile: string;
  log: Logger;
  env: NodeJS.ProcessEnv;
  version: string;
  /** Overrides server.listen. */
  listen?: string;
  /** Overrides server.token: a file holding the API bearer token. */
  tokenFile?: string;
  /** Bound on waiting for in-flight work at shutdown (default 30 s). */
  shutdownTimeoutMs?: number;
  cacheDir?: string;
  /** Reconcile only while holding this Kubernetes Lease (several replicas, one leader). */
  leaderElection?: { namespace: string; name: string; identity: string; leaseDurationMs: number; kubeconfig?: string };
  /** Spread the sources over the replicas, one Kubernetes Lease per source (sharding.ts). */
  sharding?: { namespace: string; name: string; identity: string; leaseDurationMs: number; kubeconfig?: string };
}

export interface Daemon {
  engine: Engine;
  controller: Controller;
  metrics: Metrics;
  notifications: NotificationDispatcher;
  server: RunningServer | undefined;
  /** Start the loops and (unless `serve` is false) the HTTP server. */
  start(serve?: boolean): Promise<void>;
  /** Stop taking work, let in-flight provider batches finish within the shutdown timeout, then
   * abort what is still in flight, close everything. `clean`: nothing had to be aborted;
   * `writesStopped`: every pass ended (the lease, if any, was released). */
  stop(): Promise<{ clean: boolean; writesStopped: boolean }>;
  /** Resolves if leadership is lost (leader election only): the process should stop and restart. */
  lost: Promise<void>;
}

export async function createDaemon(options: DaemonOptions): Promise<Daemon> {
  const engineOptions: Parameters<typeof openEngine>[0] = { configFile: options.configFile, log: options.log, env: options.env };
  if (options.cacheDir) engineOptions.cacheDir = options.cacheDir;
  const engine = await openEngine(engineOptions);
  try {
    const config = engine.loaded.config;
    checkSourceNames(engine);
    const secretOptions = { env: options.env, baseDir: engine.loaded.baseDir };
    let token: string | undefined;
    if (options.tokenFile) token = await readSecret({ file: options.tokenFile }, '--token-file', { env: options.env, baseDir: process.cwd() });
    else if (config.server.token) token = await readSecret(config.server.token, 'server.token', secretOptions);
    const readToken = config.server.readToken ? await readSecret(config.server.readToken, 'server.readToken', secretOptions) : undefined;
    const webhooks: WebhookReceiver[] = [];
    for (const w of config.server.webhooks) {
      const receiver: WebhookReceiver = { name: w.name, type: w.type, secret: await readSecret(w.secret, `server.webhooks ${w.name} secret`, secretOptions) };
      if (w.header) receiver.header = w.header;
      if (w.sources) receiver.sources = w.sources;
      webhooks.push(receiver);
    }
    const metrics = new Metrics();
    const listen = options.listen ?? config.server.listen;
    // Preview tokens are read once here, like every secret; they never reach a log.
    const previewPlatforms = new Map<string, ReviewPlatform>();
    for (const [i, s] of config.sources.entries()) {
      if (!s.previews) continue;
      const p = s.previews;
      const platformOptions = { token: await readSecret(p.token, `sources[${i}].previews.token`, secretOptions), repository: p.repository, ...(p.apiUrl ? { apiUrl: p.apiUrl } : {}) };
      previewPlatforms.set(s.name, p.provider === 'github' ? githubPlatform(platformOptions) : gitlabPlatform(platformOptions));
    }
    const controller = new Controller({ engine, log: options.log, metrics, previewPlatforms });
    if (config.server.publicUrl) controller.previews.publicUrl = config.server.publicUrl;
    const notifications = new NotificationDispatcher(await createNotifiers(config.notifications, secretOptions), options.log);
    controller.onEvent((event) => notifications.handle(event));

    const lease = `${options.leaderElection?.namespace}/${options.leaderElection?.name}`;
    const waiting = `standby: waiting for leader election lease ${lease}`;
    // /readyz says why this replica is not leading: waiting behind another leader, or failing.
    const elector = options.leaderElection ? new LeaderElector({ ...options.leaderElection, log: options.log, onAttempt: (error) => {
      lastAttempt = error;
      if (controller.standby === undefined) return;
      controller.standby = error === undefined ? waiting : `standby: leader election failing for lease ${lease}: ${error}`;
    } }) : undefined;
    if (elector) controller.standby = waiting;
    // /readyz and forwarding: a standby is Ready while it can read and write the Lease (so a
    // PodDisruptionBudget can evict the leader and a rolling update can proceed); its webhooks
    // and API calls go to the leader. `null`: no attempt answered yet.
    let lastAttempt: string | undefined | null = null;
    const leadership = elector ? (): Leadership => {
      const identity = options.leaderElection?.identity ?? '';
      if (elector.isLeader) {
        return { role: 'leader', identity, ready: controller.ready, message: controller.ready ? `ready: leader of lease ${lease}` : 'starting' };
      }
      const base = { role: 'standby' as const, identity, ...(elector.leader?.url ? { leaderUrl: elector.leader.url } : {}) };
      if (lastAttempt === null) return { ...base, ready: false, message: `standby: contacting leader election lease ${lease}` };
      if (lastAttempt !== undefined) return { ...base, ready: false, message: `standby: leader election failing for lease ${lease}: ${lastAttempt}` };
      const holder = elector.leader ? ` (held by ${elector.leader.identity})` : '';
      return { ...base, ready: true, message: `ready: standby, waiting for leader election lease ${lease}${holder}` };
    } : undefined;
    if (elector) metrics.leader.set({ lease }, 0);
    // Every write of every source passes the fence: none is sent once the lease may have expired.
    if (elector) controller.fence = (_source, operation) => elector.fence(operation);
    let lostLeadership: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => {
      lostLeadership = resolve;
    });
    let campaign: Promise<{ lost: boolean }> | undefined;
    const bound = options.shutdownTimeoutMs ?? 30_000;
    const { sharder, shards } = sharding(options, controller, metrics, bound);

    const daemon: Daemon = {
      engine, controller, metrics, notifications, server: undefined, lost,
      async start(serve = true) {
        if (serve) {
          const serverOptions: Parameters<typeof startServer>[0] = {
            controller, metrics, log: options.log, webhooks, maxBodyBytes: config.server.maxBodyBytes, version: options.version,
          };
          if (token !== undefined) serverOptions.token = token;
          if (readToken !== undefined) serverOptions.readToken = readToken;
          if (leadership) serverOptions.leadership = leadership;
          if (shards) serverOptions.shards = shards;
          daemon.server = await startServer(serverOptions, listen);
          controller.previews.publicUrl ??= daemon.server.url;
          // Where the other replicas reach this one: the pod's IP (downward API), else the listen address.
          const podIp = options.env.POD_IP;
          const advertise = podIp ? `http://${podIp.includes(':') ? `[${podIp}]` : podIp}:${daemon.server.port}` : daemon.server.url;
          elector?.setAdvertiseUrl(advertise);
          sharder?.setAdvertiseUrl(advertise);
          options.log.info({ url: daemon.server.url, sources: [...controller.sources.keys()], mutatingApi: token !== undefined, readsNeedToken: readToken !== undefined, webhooks: webhooks.map((w) => w.name) },
            `trueup run: serving status, metrics and webhooks on ${daemon.server.url}`);
        }
        if (sharder) {
          controller.markServing();
          sharder.start();
          return;
        }
        if (!elector) {
          controller.start();
          return;
        }
        campaign = elector.run(() => {
          controller.standby = undefined;
          metrics.leader.set({ lease }, 1);
          controller.start();
        });
        void campaign.then((result) => {
          metrics.leader.set({ lease }, 0);
          if (result.lost) lostLeadership();
        });
      },
      async stop() {
        if (sharder) {
          // Source by source: each Lease is released as soon as that source's writes stopped.
          controller.markStopping();
          const result = await sharder.drain();
          await controller.stop();
          if (!result.clean) {
            options.log.warn({ writesStopped: result.writesStopped }, result.writesStopped
              ? `in-flight work did not finish within ${formatDuration(bound)}; aborted it (outcomes of aborted writes are unknown: the next owner observes and repairs)`
              : `in-flight work did not finish within ${formatDuration(bound)} and did not stop when aborted; those sources' leases are left to expire`);
          }
          await daemon.server?.close();
          await Promise.race([notifications.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
          await engine.close();
          return result;
        }
        elector?.stop();
        const clean = await within(controller.stop(), bound);
        // The bound ran out: abort every request in flight, writes included, and give the
        // passes a moment to notice (an aborted request settles at once).
        const writesStopped = clean || await within(controller.abort(`shutdown timeout of ${formatDuration(bound)} ran out`), ABORT_GRACE_MS);
        await campaign;
        // Only once writes stopped: a standby may start applying the moment the lease is free.
        // If they did not, the lease is left to expire rather than released under a writer.
        if (writesStopped) await elector?.release();
        if (!clean) {
          options.log.warn({ writesStopped }, writesStopped
            ? `in-flight work did not finish within ${formatDuration(bound)}; aborted it (outcomes of aborted writes are unknown: the next start observes and repairs)`
            : `in-flight work did not finish within ${formatDuration(bound)} and did not stop when aborted; exiting without releasing the lease`);
        }
        await daemon.server?.close();
        await Promise.race([notifications.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
        await engine.close();
        return { clean, writesStopped };
      },
    };
    return daemon;
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** `--shard`: the Sharder driving the controller's sources, and the server's view of it. */
function sharding(options: DaemonOptions, controller: Controller, metrics: Metrics, bound: number): { sharder?: Sharder; shards?: ShardView } {
  const s = options.sharding;
  if (!s) return {};
  const group = `${s.namespace}/${s.name}`;
  let lastError: string | undefined | null = null;
  const sources = [...controller.sources.keys()];
  // A source's gauges live on the replica holding it only (published once it is acquired).
  for (const name of sources) {
    metrics.sourceLeaseHeld.set({ source: name }, 0);
    metrics.forgetSource(name);
  }
  const heldChangedAt = new Map<string, string>();
  const sharder: Sharder = new Sharder({
    ...s, log: options.log, sources,
    onAttempt: (error) => {
      lastError = error;
      metrics.shardMembers.set(sharder.members.length);
    },
    onHeldChange: (source, held) => {
      metrics.sourceLeaseHeld.set({ source }, held ? 1 : 0);
      heldChangedAt.set(source, new Date().toISOString());
    },
    work: {
      start: (source) => controller.startSource(source),
      // Once its passes ended (none publishes after), a source that left drops its gauges: it is
      // reconciled elsewhere now, and dashboards summing over replicas must not count it twice.
      async stop(source) {
        const clean = await within(controller.stopSource(source), bound);
        const writesStopped = clean || await within(controller.abortSource(source, `stop timeout of ${formatDuration(bound)} ran out`), ABORT_GRACE_MS);
        if (writesStopped) metrics.forgetSource(source);
        return { clean, writesStopped };
      },
      async abort(source, reason) {
        await controller.abortSource(source, reason);
        metrics.forgetSource(source);
      },
    },
  });
  controller.owns = (name) => sharder.holds(name);
  controller.fence = (name, operation) => sharder.fence(name, operation);
  const shards: ShardView = {
    identity: s.identity,
    holds: (name) => sharder.holds(name),
    holder: (name) => sharder.holder(name),
    members: () => sharder.members,
    heldChangedAt: (name) => heldChangedAt.get(name),
    ready: () => {
      if (lastError === null) return { ready: false, message: `shard member: contacting the leases of group ${group}` };
      if (lastError !== undefined) return { ready: false, message: `shard member: leases of group ${group} failing: ${lastError}` };
      return { ready: true, message: `ready: shard member of group ${group} (${sharder.members.length} members), holding ${sharder.heldSources().length} of ${sources.length} sources` };
    },
  };
  return { sharder, shards };
}

/** After the hard abort, how long passes get to settle before the process gives up on them. */
const ABORT_GRACE_MS = 5_000;

/** Does `work` settle within `ms`? */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Webhook receivers and notifications may only name sources that exist (a typo would otherwise
 * silently never trigger or never notify). */
function checkSourceNames(engine: Engine): void {
  const { config, locate } = engine.loaded;
  const known = new Set(config.sources.map((s) => s.name));
  const issues: LoadIssue[] = [];
  const check = (names: readonly string[] | undefined, path: (string | number)[]) => {
    names?.forEach((name, j) => {
      if (known.has(name)) return;
      const at = [...path, j];
      issues.push({ ...locate(at), field: formatPath(at),
        message: `no source "${name}"; sources: ${[...known].join(', ')}` });
    });
  };
  config.server.webhooks.forEach((w, i) => check(w.sources, ['server', 'webhooks', i, 'sources']));
  config.notifications.forEach((n, i) => check(n.sources, ['notifications', i, 'sources']));
  if (issues.length > 0) throw new ConfigError(issues, 'engine config');
}
