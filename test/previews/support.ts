// Shared by the preview tests: the Kubernetes emulator as the "cloud" (namespaces stage and prod),
// git's http-backend serving a repository with a folder per stage, pull-request refs pushed the
// way the platforms keep them (GitHub refs/pull/N/{head,merge}, GitLab refs/merge-requests/N/…),
// and an in-process daemon built by createDaemon, exactly the wiring `trueup run` uses.

import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { createDaemon, type Daemon } from '../../src/controller/daemon.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo } from '../support/git-repo.ts';
import { waitFor as waitWithin } from '../controller/harness.ts';

/** The harness's bounded wait with a bound for a shared, busy machine: a preview is a Git fetch,
 * a plan and several API calls. */
export function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  return waitWithin(what, probe, timeoutMs);
}

export const HOOK_SECRET = 'preview-hook-secret-51d0';

export function configMap(namespace: string, name: string, value: string): string {
  return `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: ${namespace} }\ndata: { value: "${value}" }\n`;
}

export interface PreviewWorld {
  dir: string;
  kube: KubeEmulator;
  git: GitServer;
  repo: TestRepo;
  logs: string[];
  daemon: Daemon;
  /** Requests to the emulator that could change something (anything but reads and dry runs). */
  writes(from?: number): { method: string; path: string }[];
  stop(): Promise<void>;
}

export async function startWorld(options: { previews: (source: string) => string; env: NodeJS.ProcessEnv; hookType: 'github' | 'gitlab'; initial: Record<string, string>; readToken?: string }): Promise<PreviewWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'tu-previews-'));
  const kube = await startKubeEmulator();
  for (const ns of ['stage', 'prod']) {
    const r = await fetch(`${kube.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }) });
    if (r.status !== 201) throw new Error(`namespace ${ns}: HTTP ${r.status}`);
  }
  const git = await startGitServer({ root: join(dir, 'git') });
  const repo = await TestRepo.create(join(dir, 'git'), 'infra.git');
  await repo.commitAndPush(options.initial, 'initial');
  await writeFile(join(dir, 'kubeconfig'), kube.kubeconfig());
  const source = (name: string, mode: string) => `  - name: ${name}
    git: { url: "${git.url('infra.git')}", branch: main, path: ${name} }
    mode: ${mode}
    interval: 1h
    driftInterval: 1h
    retryInterval: 200ms
    scopes: { cluster: [namespace/${name}] }
    safety: { minExisting: 1, maxDeleteShare: 0.3, maxUpdateShare: 1 }
${options.previews(name)}`;
  const file = join(dir, 'trueup.yaml');
  await writeFile(file, `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  cluster: { type: kubernetes, settings: { kubeconfig: "${join(dir, 'kubeconfig')}", retryDelayMs: 5 } }
sources:
${source('stage', 'apply')}
${source('prod', 'approve')}
server:
  listen: "127.0.0.1:0"
${options.readToken ? '  readToken: { env: PREVIEW_READ_TOKEN }\n' : ''}  webhooks:
    - { name: hook, type: ${options.hookType}, secret: { env: PREVIEW_HOOK_SECRET } }
`);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const daemon = await createDaemon({
    configFile: file, log: pino({ level: 'debug' }, sink), env: { ...process.env, ...options.env, PREVIEW_HOOK_SECRET: HOOK_SECRET, PREVIEW_READ_TOKEN: options.readToken ?? '' },
    version: 'test', shutdownTimeoutMs: 10_000, cacheDir: join(dir, 'cache'),
  });
  await daemon.start();
  return {
    dir, kube, git, repo, logs, daemon,
    writes: (from = 0) => kube.requests.slice(from).filter((r) => r.method !== 'GET' && !/dryRun=All/.test(r.query)).map((r) => ({ method: r.method, path: r.path })),
    async stop() {
      await daemon.stop();
      await git.stop();
      await kube.stop();
      await repo.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Push a pull request's refs as the platform keeps them: its head, and the merge of the head
 * into main (what the platform builds to test the merge). Returns both commits. */
export async function pushPullRequest(repo: TestRepo, refPrefix: string, files: Record<string, string | null>, options: { base?: string; pushMerge?: boolean } = {}): Promise<{ head: string; merge: string }> {
  const branch = `pr-${randomUUID().slice(0, 8)}`;
  await repo.git('checkout', '--quiet', '-B', branch, options.base ?? 'main');
  await repo.write(files);
  const head = await repo.commit(`change on ${branch}`);
  await repo.git('checkout', '--quiet', '--detach', 'main');
  await repo.git('merge', '--quiet', '--no-ff', '-m', `Merge ${branch} into main`, branch);
  const merge = await repo.git('rev-parse', 'HEAD');
  await repo.push(`${head}:${refPrefix}/head`, ...(options.pushMerge === false ? [] : [`${merge}:${refPrefix}/merge`]));
  await repo.git('checkout', '--quiet', 'main');
  return { head, merge };
}

/** Merge a pushed pull request into main (fast-forward main to the merge commit). */
export async function mergeIntoMain(repo: TestRepo, merge: string): Promise<void> {
  await repo.git('checkout', '--quiet', 'main');
  await repo.git('merge', '--quiet', '--ff-only', merge);
  await repo.push();
}

export async function sendGitHubHook(daemon: Daemon, event: string, payload: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`;
  const r = await fetch(`${daemon.server?.url}/hooks/hook`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature },
  });
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}

export async function sendGitLabHook(daemon: Daemon, event: string, payload: unknown, token = HOOK_SECRET): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${daemon.server?.url}/hooks/hook`, {
    method: 'POST', body: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-event-uuid': randomUUID(), 'x-gitlab-token': token },
  });
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}
