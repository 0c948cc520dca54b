// End-to-end environment with real processes: moto's server (Route 53) behind a delaying proxy,
// the project's Cloud DNS emulator, git's http-backend serving a repository, and `trueup run` as
// a child process started from bin/trueup.js exactly as an operator would.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import type { SourceStatus } from '../../src/controller/status.ts';
import { TRUEUP_BIN } from '../support/cli.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo } from '../support/git-repo.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import { freePort } from '../support/ports.ts';
import { MotoProxy } from '../support/moto-proxy.ts';

const exec = promisify(execFile);
export const WEBHOOK_SECRET = 'e2e-webhook-secret-3f9a';
export const API_TOKEN = 'e2e-api-token-77c2';

export interface DaemonProcess {
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines from stderr. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  status(source: string): Promise<SourceStatus>;
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface E2E {
  dir: string;
  moto: Moto;
  proxy: MotoProxy;
  gcp: CloudDnsEmulator;
  git: GitServer;
  repo: TestRepo;
  route53: Route53Client;
  /** Write the engine config (sources part given, plus any other top-level YAML) and return its path. */
  writeConfig(sources: string, extra?: string): Promise<string>;
  /** `node`: the Node binary that runs bin/trueup.js (default: the test's own). */
  startDaemon(configFile: string, options?: { shutdownTimeout?: string; node?: string }): Promise<DaemonProcess>;
  /** POST a GitHub-signed push webhook to the daemon. */
  webhook(daemon: DaemonProcess): Promise<number>;
  /** The AWS CLI against moto directly (a change behind trueup's back). */
  aws(args: string[]): Promise<string>;
  recordSets(zone: string): Promise<ResourceRecordSet[]>;
  zoneId(zone: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startE2E(): Promise<E2E> {
  const dir = await mkdtemp(join(tmpdir(), 'tu-e2e-'));
  const gitRoot = join(dir, 'git');
  const [moto, gcp, git] = await Promise.all([
    startMoto(),
    startCloudDnsEmulator({ port: 0 }),
    startGitServer({ root: gitRoot }),
  ]);
  const proxy = new MotoProxy();
  await proxy.start(moto.endpoint);
  const repo = await TestRepo.create(gitRoot, 'infra.git');
  const route53 = new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await writeFile(join(dir, 'token'), `${API_TOKEN}\n`);
  const daemons: DaemonProcess[] = [];

  const e2e: E2E = {
    dir, moto, proxy, gcp, git, repo, route53,
    async writeConfig(sources, extra = '') {
      const file = join(dir, `trueup-${Date.now()}.yaml`);
      const port = await freePort();
      await writeFile(file, `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  route53: { type: aws-route53, settings: { endpoint: "${proxy.endpoint}", region: us-east-1, rateLimit: 200 } }
  clouddns: { type: gcp-dns, settings: { project: e2e, apiEndpoint: "${gcp.url}", rateLimit: 200 } }
sources:
${sources}
server:
  listen: 127.0.0.1:${port}
  token: { file: token }
  webhooks:
    - { name: github, type: github, secret: { env: TU_E2E_WEBHOOK_SECRET } }
${extra}`);
      return file;
    },
    async startDaemon(configFile, options = {}) {
      const daemon = await spawnTrueupRun(['-c', configFile, '--shutdown-timeout', options.shutdownTimeout ?? '20s'], {
        ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true', TRUEUP_CACHE_DIR: join(dir, 'cache'), TU_E2E_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }, options.node);
      daemons.push(daemon);
      return daemon;
    },
    async webhook(daemon) {
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      const res = await fetch(`${daemon.url}/hooks/github`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` },
      });
      await res.arrayBuffer();
      return res.status;
    },
    async aws(args) {
      const { stdout } = await exec('aws', ['--endpoint-url', moto.endpoint, '--output', 'json', ...args], {
        env: { ...process.env, ...MOTO_ENV, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' },
      });
      return stdout;
    },
    async zoneId(zone) {
      const res = await route53.send(new ListHostedZonesByNameCommand({ DNSName: zone }));
      const found = res.HostedZones?.find((z) => z.Name === zone || z.Name === `${zone}.`);
      return found?.Id?.replace('/hostedzone/', '');
    },
    async recordSets(zone) {
      const id = await e2e.zoneId(zone);
      if (!id) return [];
      const res = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
      return res.ResourceRecordSets ?? [];
    },
    async stop() {
      for (const d of daemons) await d.stop('SIGKILL').catch(() => undefined);
      route53.destroy();
      await proxy.stop();
      await Promise.all([moto.stop(), gcp.stop(), git.stop()]);
      await repo.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return e2e;
}

/** `trueup run ARGS` as a child process (bin/trueup.js, JSON logs parsed from stderr); resolves
 * once it serves HTTP. */
export async function spawnTrueupRun(args: string[], extraEnv: NodeJS.ProcessEnv, node = process.execPath): Promise<DaemonProcess> {
  return spawnDaemon(node, [TRUEUP_BIN, 'run', ...args], { ...process.env, NO_COLOR: '1', TRUEUP_LOG_LEVEL: 'debug', ...extraEnv });
}

/** Any command that ends up running `trueup run` in the foreground (e.g. `podman run IMAGE run …`),
 * watched like spawnTrueupRun's child. */
export async function spawnDaemon(command: string, argv: string[], env: NodeJS.ProcessEnv): Promise<DaemonProcess> {
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  let rawErr = '';
  let resolveUrl: (url: string) => void = () => undefined;
  const urlKnown = new Promise<string>((r) => {
    resolveUrl = r;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (typeof entry.url === 'string' && String(entry.msg).includes('serving status')) resolveUrl(entry.url);
      } catch {
        rawErr = (rawErr + line + '\n').slice(-4000);
      }
    }
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const url = await Promise.race([
    urlKnown,
    exited.then((code) => {
      throw new Error(`trueup run exited with ${code} before serving: ${rawErr}\n${logs.map((l) => JSON.stringify(l)).join('\n')}`);
    }),
    new Promise<string>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`trueup run did not start within 30s: ${rawErr}`)), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    child, url, logs, exited,
    status: async (source) => (await (await fetch(`${url}/api/v1/sources/${source}`)).json()) as SourceStatus,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

export function zone(name: string, provider: string, records: Record<string, string[]>, ttl = 300): string {
  const body = Object.entries(records)
    .map(([host, values]) => `    ${JSON.stringify(host)}: [{ type: A, values: [${values.join(', ')}] }]`).join('\n');
  return `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${name}, provider: ${provider} }
spec:
  ttl: ${ttl}
  records:
${body || '    {}'}
`;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const ready = (s: SourceStatus) => s.conditions.find((c) => c.type === 'Ready');
export const stalled = (s: SourceStatus) => s.conditions.find((c) => c.type === 'Stalled');
