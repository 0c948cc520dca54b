// run: the continuous reconciler. Keeps every source of the engine config converged, serves
// status, metrics and webhooks, and stops cleanly on SIGTERM / SIGINT.

import { parseDuration } from '../../config/duration.ts';
import { createDaemon } from '../../controller/daemon.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { configPath, logger, parse } from '../common.ts';
import { trueupVersion } from './version.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'keep every source converged (the daemon): loop, drift checks, status page, metrics, webhooks',
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

On SIGTERM or SIGINT it stops taking work, lets in-flight provider batches finish (at most
--shutdown-timeout) and exits 0.

Options:
  -c, --config FILE            engine config (default: $TRUEUP_CONFIG or ./trueup.yaml)
      --listen HOST:PORT       address to serve on (default: server.listen, 127.0.0.1:8080)
      --token-file FILE        bearer token for mutating endpoints (default: server.token)
      --once                   one full pass of every source, then exit (no server);
                               exit 0 when every source is in sync or applied, 1 otherwise
      --shutdown-timeout DUR   bound on waiting for in-flight work at shutdown (default 30s)
      --log-level LVL          trace|debug|info|warn|error (default: info; logs go to stderr)
  -h, --help                   show this help`,
  async run(argv, io) {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string' },
      'token-file': { type: 'string' },
      once: { type: 'boolean' },
      'shutdown-timeout': { type: 'string' },
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
    const onSignal = (name: NodeJS.Signals) => () => signalled(name);
    const onTerm = onSignal('SIGTERM');
    const onInt = onSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    try {
      await daemon.start(true);
      const signal = await stopRequested;
      log.info({ signal }, `${signal}: stopping; in-flight provider batches finish first`);
      const { clean } = await daemon.stop();
      log.info({ clean }, 'trueup run stopped');
      return EXIT.ok;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
  },
};
