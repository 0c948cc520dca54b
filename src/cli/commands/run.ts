// run: the continuous reconciler. Keeps every source of the engine config converged, serves
// status, metrics and webhooks, and stops cleanly on SIGTERM / SIGINT.

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseDuration } from '../../config/duration.ts';
import type { DaemonOptions } from '../../controller/daemon.ts';
import { createDaemon } from '../../controller/daemon.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { configPath, logger, parse } from '../common.ts';
import { trueupVersion } from './version.ts';

export const runCommand: Command = {
  name: 'run',
  help: `Usage: trueup run [options]

Runs every source of the engine config on its own loop: every 'interval' (±5% jitter) a cheap
check of the remote ref, and a fetch, plan and apply only when it moved; every 'driftInterval'
a re-read of live state that corrects (mode apply) or reports (detect, approve) drift. Failures
are retried after 'retryInterval' with exponential backoff; an invalid revision is never applied
(the last applied one stays in force and the status says Stalled, with the reason).

Serves on one port (server.listen in the config, or --listen):
  /             status page             /api/v1/sources[/NAME]   status as JSON
  /metrics      Prometheus metrics      /healthz, /readyz        probes
  POST /hooks/NAME                       Git host webhooks (server.webhooks; signature checked)
  POST /api/v1/sources/NAME/{approve,suspend,resume,reconcile}   need the bearer token

On SIGTERM, SIGINT or SIGHUP it stops taking work and lets in-flight provider batches finish;
what is still in flight after --shutdown-timeout is aborted (writes included: their outcome is
unknown and the next start observes and repairs it). No request leaves after "trueup run
stopped"; a lease (--leader-elect, or each source's with --shard) is released only once its
writes have stopped.
Exit codes: 0 stopped with nothing aborted; 6 stopped, in-flight work aborted at the shutdown
timeout; 1 error or leadership lost; 130 a second signal, a second or more after the first (exit at once).

Options:
  -c, --config FILE            engine config (default: $TRUEUP_CONFIG or ./trueup.yaml)
      --listen HOST:PORT       address to serve on (default: server.listen, 127.0.0.1:8080)
      --token-file FILE        bearer token for mutating endpoints (default: server.token)
      --once                   one full pass of every source, then exit (no server);
                               exit 0 when every source is in sync or applied, 1 otherwise
      --shutdown-timeout DUR   bound on waiting for in-flight work at shutdown (default 30s)
      --leader-elect           reconcile only while holding a Kubernetes Lease, so several
                               replicas can run and one reconciles (standbys are Ready and
                               forward webhooks and API calls to the leader)
      --shard                  spread the sources over the replicas instead: each source is
                               reconciled by one replica at a time, the one holding that
                               source's Lease (NAME-source-SOURCE); replicas find each other by
                               their membership Leases (NAME-member-IDENTITY) and share the
                               sources by rendezvous hashing. A dead replica's sources move
                               within the lease duration plus a fifth of it. Webhooks and API
                               calls for a source held elsewhere are passed to its holder.
                               Needs get, list, create, update, delete on leases.
      --lease NS/NAME          the Lease, or with --shard the prefix of the group's Leases
                               (default: $POD_NAMESPACE or the service account's namespace,
                               name trueup)
      --lease-duration DUR     how long a silent holder keeps a lease (default 15s)
      --kubeconfig FILE        cluster for the Lease (default: $KUBECONFIG, ~/.kube/config,
                               or in-cluster)
      --log-level LVL          trace|debug|info|warn|error (default: info; logs go to stderr)
  -h, --help                   show this help`,
  async run(argv, io) {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      'token-file': { type: 'string' },
      once: { type: 'boolean' },
      'shutdown-timeout': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      shard: { type: 'boolean' },
      lease: { type: 'string' },
      'lease-duration': { type: 'string' },
      kubeconfig: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    let shutdownTimeoutMs = 30_000;
    if (values['shutdown-timeout']) {
      const ms = parseDuration(values['shutdown-timeout']);
      if (ms === undefined) throw new UsageError(`--shutdown-timeout "${values['shutdown-timeout']}" is not a duration (e.g. 30s)`);
      shutdownTimeoutMs = ms;
    }
    const log = logger(values, io);
    const options: Parameters<typeof createDaemon>[0] = {
      configFile: configPath(values, io), log, env: io.env, version: trueupVersion(), shutdownTimeoutMs,
    };
    if (values.listen) options.listen = values.listen;
    if (values['leader-elect'] && values.shard) throw new UsageError('--leader-elect and --shard exclude each other: one leader reconciles everything, or the sources are spread over the replicas');
    if (values['leader-elect']) options.leaderElection = await leaderElection(values, io.env);
    if (values.shard) {
      if (values.once) throw new UsageError('--shard runs a daemon; --once reconciles every source once in this process');
      options.sharding = await leaderElection(values, io.env, '--shard');
    }
    if (values['token-file']) options.tokenFile = values['token-file'];
    const daemon = await createDaemon(options);

    if (values.once) {
      try {
        const records = await daemon.controller.once();
        let ok = true;
        for (const [name, record] of records) {
          const good = record.result === 'applied' || record.result === 'in-sync' || record.result === 'unchanged';
          if (!good) ok = false;
          io.stdout.write(`${name}: ${record.result}${record.revision ? ` at ${record.revision}` : ''}${record.message ? `: ${record.message}` : ''}\n`);
        }
        return ok ? EXIT.ok : EXIT.error;
      } finally {
        await daemon.stop();
      }
    }

    let signalled: (name: string) => void = () => undefined;
    const stopRequested = new Promise<string>((resolve) => {
      signalled = resolve;
    });
    let signals = 0;
    let firstAt = 0;
    const onSignal = (name: NodeJS.Signals) => () => {
      // The same Ctrl-C can arrive twice: from the terminal (to the process group) and forwarded
      // by the launcher (bin/trueup.js). Only a repeat a second later is a second signal.
      if (signals > 0 && Date.now() - firstAt < REPEAT_SIGNAL_MS) return;
      signals += 1;
      if (signals === 1) firstAt = Date.now();
      // A second Ctrl-C means "now": in-flight batches are abandoned (the next start repairs).
      if (signals > 1) {
        log.warn(`${name} again: exiting without waiting for in-flight work`);
        process.exit(EXIT.interrupted);
      }
      signalled(name);
    };
    const onTerm = onSignal('SIGTERM');
    const onInt = onSignal('SIGINT');
    const onHup = onSignal('SIGHUP');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
    try {
      await daemon.start(true);
      const signal = await Promise.race([stopRequested, daemon.lost.then(() => 'lost-lease')]);
      if (signal === 'lost-lease') {
        // Another replica may be reconciling already: stop now and let the orchestrator restart us.
        await daemon.stop();
        return EXIT.error;
      }
      log.info({ signal }, `${signal}: stopping; in-flight provider batches finish first`);
      const { clean, writesStopped } = await daemon.stop();
      const code = clean ? EXIT.ok : EXIT.aborted;
      log.info({ clean, writesStopped, exitCode: code }, 'trueup run stopped');
      return code;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
    }
  },
};

const REPEAT_SIGNAL_MS = 1000;

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

async function leaderElection(
  values: { lease?: string | undefined; 'lease-duration'?: string | undefined; kubeconfig?: string | undefined },
  env: NodeJS.ProcessEnv,
  flag = '--leader-elect',
): Promise<NonNullable<DaemonOptions['leaderElection']>> {
  let namespace = env.POD_NAMESPACE ?? (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, 'utf8').trim() : '');
  let name = 'trueup';
  if (values.lease) {
    const m = /^(?:([a-z0-9-]+)\/)?([a-z0-9.-]+)$/.exec(values.lease);
    if (!m?.[2]) throw new UsageError(`--lease "${values.lease}" is not NAMESPACE/NAME`);
    if (m[1]) namespace = m[1];
    name = m[2];
  }
  if (!namespace) throw new UsageError(`${flag} needs the Lease namespace: --lease NAMESPACE/NAME or $POD_NAMESPACE`);
  // With --shard the name is a prefix and a label value (at most 63 characters).
  if (flag === '--shard' && name.length > 40) throw new UsageError(`--lease name "${name}" is too long for --shard (at most 40 characters: the source and member Leases add to it)`);
  let leaseDurationMs = 15_000;
  if (values['lease-duration']) {
    const ms = parseDuration(values['lease-duration']);
    if (ms === undefined || ms < 1000) throw new UsageError(`--lease-duration "${values['lease-duration']}" is not a duration of at least 1s`);
    leaseDurationMs = ms;
  }
  const election: NonNullable<DaemonOptions['leaderElection']> = {
    namespace, name, leaseDurationMs,
    // Pod name when Kubernetes sets it (downward API), else host and process: unique per replica.
    identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
  };
  if (values.kubeconfig) election.kubeconfig = values.kubeconfig;
  return election;
}
