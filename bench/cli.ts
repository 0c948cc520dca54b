// Benchmark: the CLI as a user runs it, one cold process per figure (launcher, Node 22 start,
// imports, then the work); peak RSS and CPU (user + sys, from /usr/bin/time) of that process only
// — moto_server's own time is not ours. Figures (issue 16):
//   - `trueup version`; `trueup validate` of one Zone of 10k and 50k record sets (no API);
//   - `trueup apply` creating 10k and 50k record sets in an empty zone (moto), and how CPU scales;
//   - a no-op `trueup plan` of the 10k-record zone, and of it plus 1k IAM roles, with the API
//     calls it made (counted by a recording proxy in front of moto) against the minimum.
//
//   node_modules/.bin/node bench/cli.ts [--sizes 10000,50000] [--roles 1000] [--cpu-prof DIR]
//
// --cpu-prof DIR: write a V8 CPU profile of each cold apply and no-op plan into DIR (node --cpu-prof). The
// profiler's own thread then adds several seconds of CPU: take the figures from a run without it.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MOTO_ENV, startMoto } from '../test/support/moto.ts';
import { MotoProxy } from '../test/support/moto-proxy.ts';
import { printRows, type BenchRow } from './support/table.ts';

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '10000,50000' },
  roles: { type: 'string', default: '1000' },
  'cpu-prof': { type: 'string' },
} });
const SIZES = values.sizes.split(',').map(Number);
const ROLES = Number(values.roles);
const PROFILE_DIR = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
const TRUEUP = fileURLToPath(new URL('../bin/trueup.js', import.meta.url));
const MiB = (kb: number) => Math.round(kb / 1024);

function zoneYaml(zone: string, n: number): string {
  const lines = ['apiVersion: dns.trueup.dev/v1', 'kind: Zone', `metadata: { name: ${zone}, provider: route53 }`, 'spec:', '  management: full', '  records:'];
  for (let i = 0; i < n; i++) lines.push(`    host-${i}: [{ type: A, values: [10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}] }]`);
  return `${lines.join('\n')}\n`;
}

function rolesYaml(n: number): string {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] };
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const inline = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::bucket-${i}/*`] }] };
    docs.push(`---\n${JSON.stringify({ apiVersion: 'iam.aws.trueup.dev/v1', kind: 'Role', metadata: { name: `role-${i}`, provider: 'iam' }, spec: { path: '/bench/', assumeRolePolicy: trust, inlinePolicies: { read: inline } } })}\n`);
  }
  return docs.join('');
}

interface Run { rssMiB: number; cpuS: number; status: number | null; stdout: string; stderr: string }

/** Peak RSS (MiB) and CPU seconds of one cold `trueup` process. Asynchronous: the recording
 * proxy the process talks to lives in this one. */
function measure(args: string[], options: { cwd?: string; nodeFlags?: string[] } = {}): Promise<Run> {
  const child = spawn('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...(options.nodeFlags ?? []), TRUEUP, ...args], {
    cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true', NO_COLOR: '1', TRUEUP_LOG_LEVEL: 'warn' },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const last = stderr.trim().split('\n').at(-1) ?? '';
      const [kb, user, sys] = last.split(' ').map(Number);
      resolve({ rssMiB: MiB(kb ?? 0), cpuS: Number(((user ?? 0) + (sys ?? 0)).toFixed(2)), status, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

function must(run: Run, what: string): Run {
  if (run.status !== 0) throw new Error(`${what} exited ${run.status}:\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-2000)}`);
  return run;
}

/** Route 53's REST operations by method and path (IAM's query calls name their Action). */
function route53Operation(method: string, url: string): string {
  const path = (url.split('?')[0] ?? '').replace(/^\/2013-04-01/, '').replace(/\/$/, '');
  const known: [string, RegExp, string][] = [
    ['GET', /^\/hostedzone$/, 'ListHostedZones'], ['POST', /^\/hostedzone$/, 'CreateHostedZone'],
    ['GET', /^\/hostedzone\/[^/]+\/rrset$/, 'ListResourceRecordSets'], ['POST', /^\/hostedzone\/[^/]+\/rrset$/, 'ChangeResourceRecordSets'],
    ['GET', /^\/hostedzone\/[^/]+$/, 'GetHostedZone'], ['POST', /^\/tags\/hostedzone$/, 'ListTagsForResources'],
    ['POST', /^\/tags\/hostedzone\/[^/]+$/, 'ChangeTagsForResource'], ['GET', /^\/change\/[^/]+$/, 'GetChange'],
  ];
  return known.find(([m, re]) => m === method && re.test(path))?.[2] ?? `${method} ${path}`;
}

const ratio = (measured: number, goal: number) => measured / goal;
/** Issue 16's goals are for 10,000 records (and 1,000 roles); other sizes print no goal. */
const goal = (records: number, limit: number, unit: string, measured: number, roles = 1000): Pick<BenchRow, 'measured' | 'goal' | 'ratio'> => (
  records === 10_000 && roles === 1000
    ? { measured: `${measured} ${unit}`, goal: `≤ ${limit} ${unit}`, ratio: ratio(measured, limit) }
    : { measured: `${measured} ${unit}`, goal: '–' });
const rows: BenchRow[] = [];

const version = must(await measure(['version']), 'trueup version');
rows.push({ figure: 'CPU, `trueup version` (cold)', measured: `${version.cpuS} s`, goal: '0.15 s', ratio: ratio(version.cpuS, 0.15) });
rows.push({ figure: 'peak RSS, `trueup version` (cold)', measured: `${version.rssMiB} MiB`, goal: '–' });

const validateDir = mkdtempSync(join(tmpdir(), 'trueup-bench-cli-'));
try {
  writeFileSync(join(validateDir, 'zone.yaml'), zoneYaml('example.com.', SIZES[0] ?? 10_000));
  const m = must(await measure(['validate', validateDir]), 'validate');
  rows.push({ figure: `peak RSS, \`trueup validate\` of ${SIZES[0]} records (cold)`, measured: `${m.rssMiB} MiB`, goal: '–', note: 'loading only (no API)' });
  rows.push({ figure: `CPU, \`trueup validate\` of ${SIZES[0]} records (cold)`, measured: `${m.cpuS} s`, goal: '–' });
} finally {
  rmSync(validateDir, { recursive: true, force: true });
}

const moto = await startMoto();
const proxy = new MotoProxy();
await proxy.start(moto.endpoint);
const work = mkdtempSync(join(tmpdir(), 'trueup-bench-cli-'));
try {
  // One repository folder per source; each config points the providers at the recording proxy.
  const config = (name: string, scopes: string) => {
    const dir = join(work, name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      // moto takes longer than the default 30 s per 1,000-change request once a zone holds tens of
      // thousands of sets (it scans the zone per change): a timeout would make trueup re-read the
      // zone to learn the outcome, which is moto's slowness, not ours, so allow it time.
      `  route53: { type: aws-route53, settings: { endpoint: "${proxy.endpoint}", rateLimit: 1000, requestTimeoutMs: 900000 } }`,
      `  iam: { type: aws-iam, settings: { endpoint: "${proxy.endpoint}", rateLimit: 1000, concurrency: 8 } }`,
      'sources:', '  - name: bench', '    path: ./src', `    scopes: { ${scopes} }`,
      '',
    ].join('\n'));
    return dir;
  };
  const calls = (from: number) => {
    const byOp = new Map<string, number>();
    for (const req of proxy.seen.slice(from)) {
      const op = /(?:^|[?&])Action=(\w+)/.exec(req.body)?.[1] ?? route53Operation(req.method, req.path);
      byOp.set(op, (byOp.get(op) ?? 0) + 1);
    }
    return byOp;
  };
  const fmt = (byOp: Map<string, number>) => [...byOp].map(([op, n]) => `${op} ${n}`).join(', ');
  const total = (byOp: Map<string, number>) => [...byOp.values()].reduce((a, b) => a + b, 0);

  // Creates: a cold apply of N record sets into a zone that does not exist yet.
  const createCpu: number[] = [];
  let noopZone: { zone: string; n: number } | undefined;
  for (const n of SIZES) {
    const zone = `bench-${n}.example.com.`;
    const dir = config(`create-${n}`, `route53: ["zone/${zone}"]`);
    writeFileSync(join(dir, 'src', 'zone.yaml'), zoneYaml(zone, n));
    const from = proxy.seen.length;
    const flags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=apply-${n}.cpuprofile`] : [];
    const m = must(await measure(['apply', '--auto-approve'], { cwd: dir, nodeFlags: flags }), `apply of ${n} records`);
    const byOp = calls(from);
    // ListHostedZones, CreateHostedZone, its owner tag, then 1,000 creates per request.
    const batches = Math.ceil(n / 1000);
    console.log(`create ${n}: ${total(byOp)} calls (${fmt(byOp)})`);
    createCpu.push(m.cpuS);
    rows.push({ figure: `CPU, \`trueup apply\` creating ${n} records (cold)`, measured: `${m.cpuS} s`, goal: '–' });
    rows.push({ figure: `peak RSS, \`trueup apply\` creating ${n} records (cold)`, measured: `${m.rssMiB} MiB`, goal: '–' });
    rows.push({ figure: `ChangeResourceRecordSets, creating ${n} records`, measured: `${byOp.get('ChangeResourceRecordSets') ?? 0} calls`, goal: `${batches} calls`, ratio: ratio(byOp.get('ChangeResourceRecordSets') ?? 0, batches), note: `1,000 creates per request; all calls ${total(byOp)} (minimum ${3 + batches})` });
    noopZone ??= { zone, n };
  }
  if (createCpu.length === 2 && SIZES[0] && SIZES[1]) {
    const scale = (createCpu[1] ?? 0) / (createCpu[0] ?? 1);
    const goal = (SIZES[1] / SIZES[0]) * 1.1;
    rows.push({ figure: `apply CPU ${SIZES[0]} → ${SIZES[1]} records`, measured: `${scale.toFixed(2)}×`, goal: `≤ ${goal.toFixed(1)}× (linear)`, ratio: ratio(scale, goal) });
  }

  // No-op plans: the 10k zone alone, then with 1k IAM roles (created once by trueup itself).
  if (noopZone) {
    const { zone, n } = noopZone;
    const plan = async (dir: string, what: string) => {
      const from = proxy.seen.length;
      const flags = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${basename(dir)}.cpuprofile`] : [];
      const m = must(await measure(['plan'], { cwd: dir, nodeFlags: flags }), what);
      if (!/no changes/i.test(m.stdout)) throw new Error(`${what} is not a no-op:\n${m.stdout.slice(0, 2000)}`);
      return { m, byOp: calls(from) };
    };
    const dnsDir = config('noop-dns', `route53: ["zone/${zone}"]`);
    writeFileSync(join(dnsDir, 'src', 'zone.yaml'), zoneYaml(zone, n));
    const dns = await plan(dnsDir, `no-op plan of ${n} records`);
    console.log(`no-op ${n} records: ${fmt(dns.byOp)}`);
    rows.push({ figure: `peak RSS, no-op \`trueup plan\` of ${n} records (cold)`, ...goal(n, 120, 'MiB', dns.m.rssMiB) });
    rows.push({ figure: `CPU, no-op \`trueup plan\` of ${n} records (cold)`, measured: `${dns.m.cpuS} s`, goal: '–' });
    const listMin = 2 + Math.ceil((n + 2) / 300); // ListHostedZones + ListTagsForResources + record pages
    rows.push({ figure: `API calls, no-op \`trueup plan\` of ${n} records`, measured: `${total(dns.byOp)} calls`, goal: `${listMin} calls`, ratio: ratio(total(dns.byOp), listMin), note: 'ListHostedZones + ListTagsForResources + ⌈(records + SOA + NS) / 300⌉ record pages' });

    const bothDir = config('noop-both', `route53: ["zone/${zone}"], iam: ["path/bench/*"]`);
    writeFileSync(join(bothDir, 'src', 'zone.yaml'), zoneYaml(zone, n));
    writeFileSync(join(bothDir, 'src', 'roles.yaml'), rolesYaml(ROLES));
    must(await measure(['apply', '--auto-approve'], { cwd: bothDir }), `apply of ${ROLES} roles`);
    const both = await plan(bothDir, `no-op plan of ${n} records + ${ROLES} roles`);
    console.log(`no-op ${n} records + ${ROLES} roles: ${fmt(both.byOp)}`);
    const iamCalls = [...both.byOp].filter(([op]) => !dns.byOp.has(op));
    rows.push({ figure: `peak RSS, no-op \`trueup plan\` of ${n} records + ${ROLES} roles (cold)`, ...goal(n, 150, 'MiB', both.m.rssMiB, ROLES) });
    rows.push({ figure: `CPU, no-op \`trueup plan\` of ${n} records + ${ROLES} roles (cold)`, ...goal(n, 1.5, 's', both.m.cpuS, ROLES) });
    rows.push({ figure: `API calls, no-op \`trueup plan\` of ${n} records + ${ROLES} roles`, measured: `${total(both.byOp)} calls`, goal: '–', note: `Route 53 as above + IAM: ${iamCalls.map(([op, c]) => `${op} ${c}`).join(', ')}` });
  }
} finally {
  await proxy.stop();
  await moto.stop();
  rmSync(work, { recursive: true, force: true });
}
printRows(rows);
