// `npm run demo`: trueup's main job on a machine with no cloud account.
//
// Starts moto's server (Route 53 + IAM), the project's Cloud DNS emulator and git's http-backend
// serving a repository made from examples/demo/resources, then `trueup run` as a child process
// against them through the code paths a real deployment uses (only endpoints are overridden).
// It shows a commit converging, a change made behind trueup's back being corrected, and the
// status page URL, then keeps running until Ctrl-C (which stops every child).
//
//   npm run demo               interactive, until Ctrl-C
//   npm run demo -- --smoke    exit 0 once convergence and drift correction were shown (tests)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../emulators/gcp-dns/index.ts';
import { startGitServer, type GitServer } from '../test/support/git-server.ts';
import { TestRepo } from '../test/support/git-repo.ts';
import { MOTO_ENV, startMoto, type Moto } from '../test/support/moto.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'demo');
const TRUEUP = join(ROOT, 'bin', 'trueup.js');

const { values: args } = parseArgs({ options: { smoke: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
if (args.help) {
  process.stdout.write('Usage: npm run demo [-- --smoke]\n\nRuns trueup against local emulators (moto, Cloud DNS) and a local Git server; Ctrl-C stops everything.\n  --smoke   exit once a commit converged and drift was corrected\n');
  process.exit(0);
}

const colour = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string) => (colour ? `\u001b[1m${s}\u001b[0m` : s);
const dim = (s: string) => (colour ? `\u001b[2m${s}\u001b[0m` : s);
const green = (s: string) => (colour ? `\u001b[32m${s}\u001b[0m` : s);
const say = (s: string) => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n${bold(`▸ ${s}`)}`);

interface Status {
  lastAppliedRevision?: string;
  conditions: { type: string; status: string; reason: string; message: string }[];
  history: { lane: string; result: string; durationMs: number; changes: Record<string, number>; revision?: string }[];
  drift?: { corrected: boolean; changes: { display: string }[] };
}

const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGINT', () => {
  say(`\n${dim('Stopping trueup and the emulators…')}`);
  void shutdown(0);
});
process.on('SIGTERM', () => void shutdown(0));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function hasMoto(): boolean {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

async function main(): Promise<void> {
  say(bold('trueup demo: GitOps for DNS and IAM, on local emulators'));
  const dir = await mkdtemp(join(tmpdir(), 'trueup-demo-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  step('Starting the emulators and a Git server');
  const withAws = hasMoto();
  let moto: Moto | undefined;
  if (withAws) {
    moto = await startMoto();
    cleanups.push(() => moto?.stop() ?? Promise.resolve());
    say(`  moto (Route 53 + IAM)      ${moto.endpoint}`);
  } else {
    say('  moto_server is not installed: Route 53 and IAM are left out of this run.');
    say('  Install it with:  pip install "moto[server]"');
  }
  const gcp: CloudDnsEmulator = await startCloudDnsEmulator({ port: 0 });
  cleanups.push(() => gcp.stop());
  say(`  Cloud DNS emulator         ${gcp.url}`);
  const gitRoot = join(dir, 'git');
  const git: GitServer = await startGitServer({ root: gitRoot });
  cleanups.push(() => git.stop());
  const repo = await TestRepo.create(gitRoot, 'infra.git');
  cleanups.push(() => repo.dispose());
  await cp(join(EXAMPLE, 'resources'), repo.work, { recursive: true });
  if (!withAws) {
    await rm(join(repo.work, 'dns', 'route53.yaml'));
    await rm(join(repo.work, 'iam'), { recursive: true });
  }
  const first = await repo.commit('Initial infrastructure');
  await repo.push();
  say(`  Git repository             ${git.url('infra.git')} (from examples/demo/resources, commit ${first.slice(0, 7)})`);

  // The engine config: the example's, pointed at the emulators and the Git server started here.
  const config = parseYaml(await readFile(join(EXAMPLE, 'trueup.yaml'), 'utf8')) as {
    providers: Record<string, { settings: Record<string, unknown> }>;
    sources: { git: { url: string }; scopes: Record<string, unknown> }[];
  };
  const clouddns = config.providers.clouddns;
  if (clouddns) clouddns.settings.apiEndpoint = gcp.url;
  for (const s of config.sources) s.git.url = git.url('infra.git');
  if (!withAws) {
    for (const name of ['route53', 'iam']) {
      delete config.providers[name];
      for (const s of config.sources) delete s.scopes[name];
    }
  }
  const configFile = join(dir, 'trueup.yaml');
  await writeFile(configFile, stringifyYaml(config));

  step('Starting trueup run');
  const token = randomBytes(16).toString('hex');
  const webhookSecret = randomBytes(16).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env, NO_COLOR: '1', TRUEUP_LOG_LEVEL: 'info', TRUEUP_CACHE_DIR: join(dir, 'cache'),
    TRUEUP_DEMO_TOKEN: token, TRUEUP_DEMO_WEBHOOK_SECRET: webhookSecret,
  };
  if (moto) Object.assign(env, MOTO_ENV, { AWS_ENDPOINT_URL_ROUTE_53: moto.endpoint, AWS_ENDPOINT_URL_IAM: moto.endpoint, AWS_EC2_METADATA_DISABLED: 'true' });
  const child: ChildProcess = spawn(process.execPath, [TRUEUP, 'run', '--config', configFile, '--shutdown-timeout', '10s'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  let url = '';
  let stderrTail = '';
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      let entry: { msg?: string; url?: string; level?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        stderrTail = `${stderrTail}${line}\n`.slice(-3000);
        continue;
      }
      if (entry.url && entry.msg?.includes('serving status')) url = entry.url;
      // Show the daemon's own words for what matters: pass summaries and problems.
      if (entry.msg && (/finished in/.test(entry.msg) || (entry.level ?? 0) >= 40)) say(dim(`  [trueup] ${entry.msg.split('\n')[0] ?? ''}`));
    }
  });
  void exited.then((code) => {
    if (!stopping) {
      say(`trueup run exited unexpectedly (${code}).\n${stderrTail}`);
      void shutdown(1);
    }
  });
  await waitFor('trueup to serve', async () => url !== '' && url, 30_000);
  const status = async () => (await (await fetch(`${url}/api/v1/sources/demo`)).json()) as Status;
  const ready = (s: Status) => s.conditions.find((c) => c.type === 'Ready');

  step('Converging the first commit');
  let started = Date.now();
  const s1 = await waitFor('the first commit to converge', async () => {
    const s = await status();
    return s.lastAppliedRevision === first && ready(s)?.status === 'True' && s;
  });
  say(green(`  ✓ commit ${first.slice(0, 7)} converged in ${((Date.now() - started) / 1000).toFixed(1)}s: ${JSON.stringify(s1.history[0]?.changes)}`));
  if (moto) say(`    Route 53 and IAM now hold what Git declares (moto at ${moto.endpoint}).`);

  step('Pushing a commit and telling trueup with a signed webhook');
  const zoneFile = join(repo.work, 'dns', withAws ? 'route53.yaml' : 'clouddns.yaml');
  const zoneText = await readFile(zoneFile, 'utf8');
  await writeFile(zoneFile, zoneText.replace(/ {4}www:\n {6}- \{ type: A, (values?): \[?([^\]}]+)\]? \}/, (_m, _k: string) => '    www:\n      - { type: A, values: [192.0.2.99] }'));
  const second = await repo.commit('Move www to 192.0.2.99');
  await repo.push();
  started = Date.now();
  const body = JSON.stringify({ ref: 'refs/heads/main', after: second });
  const hook = await fetch(`${url}/hooks/github`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}` },
  });
  await hook.arrayBuffer();
  await waitFor('the second commit to converge', async () => (await status()).lastAppliedRevision === second);
  say(green(`  ✓ commit ${second.slice(0, 7)} live ${Date.now() - started} ms after the webhook`));

  step('Changing a record behind trueup\'s back');
  if (moto) {
    const { Route53Client, ListHostedZonesByNameCommand, ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
    const client = new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const zones = await client.send(new ListHostedZonesByNameCommand({ DNSName: 'demo.example.com' }));
    const id = zones.HostedZones?.find((z) => z.Name === 'demo.example.com.')?.Id;
    await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'www.demo.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.66' }] } }] } }));
    client.destroy();
    say('  Someone set www.demo.example.com. A to 203.0.113.66 directly in Route 53.');
  } else {
    const zones = await (await fetch(`${gcp.url}/dns/v1/projects/trueup-demo/managedZones`)).json() as { managedZones: { name: string; dnsName: string }[] };
    const zone = zones.managedZones.find((z) => z.dnsName === 'demo.example.org.')?.name ?? '';
    const res = await fetch(`${gcp.url}/dns/v1/projects/trueup-demo/managedZones/${zone}/rrsets/www.demo.example.org./A`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rrdatas: ['203.0.113.66'] }),
    });
    await res.arrayBuffer();
    say('  Someone set www.demo.example.org. A to 203.0.113.66 directly in Cloud DNS.');
  }
  started = Date.now();
  const s3 = await waitFor('the drift to be corrected', async () => {
    const s = await status();
    return s.drift?.corrected && s.history[0]?.lane === 'drift' && s;
  });
  say(green(`  ✓ the drift check found it and put it back after ${((Date.now() - started) / 1000).toFixed(1)}s: ${s3.drift?.changes.map((c) => c.display).join(', ')}`));

  step('Status');
  say(`  Status page   ${bold(url)}`);
  say(`  JSON          ${url}/api/v1/sources/demo`);
  say(`  Metrics       ${url}/metrics`);
  say(`  Reconcile now: curl -X POST -H 'Authorization: Bearer ${token}' ${url}/api/v1/sources/demo/reconcile`);
  say(`  Try a commit yourself in ${repo.work} (git commit, then git push origin HEAD:main); trueup picks it up within a minute.`);

  if (args.smoke) {
    say('\nSmoke run complete; stopping.');
    await shutdown(0);
  }
  say(`\n${dim('Press Ctrl-C to stop trueup and the emulators.')}`);
  await exited;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  void shutdown(1);
});
