// The fault matrix: each fault of the proxy (test/support/moto-proxy.ts) hits the first write of
// a small revision, against Route 53 and IAM (moto), Cloud DNS and Kubernetes (the project's
// emulators), each behind its own proxy. For each (target × fault): plan and apply until the plan
// is empty, and assert that it converged within MAX_PASSES, that no pass planned a deletion, that
// every object is live exactly once, what the user was told after the first pass, and that every
// pass ended within its bound (request timeout × attempts, plus slack): nothing waits forever.
// The table is printed at the end (docs/operations.md has a run's figures).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IAMClient, ListRolesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ListHostedZonesByNameCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import type { ApplyResult, PreparedPlan } from '../../src/engine/pipeline.ts';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { MotoProxy, type FaultRule, type ProxiedRequest } from '../support/moto-proxy.ts';
import { engine, errorResponseXml, settings, startEnv, type Env } from '../route53/support.ts';
import { gcpHarness, gcpSettings } from '../gcp-dns/support.ts';
import { doc as iamDoc, driver as iamDriver, testSettings as iamSettings } from '../iam/support.ts';
import { Harness as KubeHarness, settingsFor, startCluster, type Cluster } from '../kubernetes/support.ts';

type FaultName = 'throttle' | '5xx' | 'reset' | 'drop' | 'hang' | 'drip';
const FAULTS: FaultName[] = ['throttle', '5xx', 'reset', 'drop', 'hang', 'drip'];
const MAX_PASSES = 2;
/** Request timeout of every target here: what a hang or a drip costs per attempt. */
const TIMEOUT_MS = 500;

/** What one target needs: a revision of `count` objects, a way to plan it, and the live truth. */
interface Run {
  plan(): Promise<PreparedPlan>;
  /** Objects live (each counted once per copy: a duplicate counts twice). */
  live(): Promise<number>;
  close(): Promise<void>;
}

interface Target {
  name: string;
  count: number;
  /** The first real write of the revision (not a read, not a dry run). */
  firstWrite(r: ProxiedRequest): boolean;
  /** The target's own words for throttling and a server fault. */
  throttle: { status: number; body: string };
  serverFault: { status: number; body: string };
  proxy: MotoProxy;
  /** Longest a pass may take (ms): its attempts × TIMEOUT_MS plus slack for the machine. */
  passBound: number;
  start(fault: FaultName): Promise<Run>;
}

function rule(target: Target, fault: FaultName): FaultRule {
  const match = (r: ProxiedRequest) => target.firstWrite(r);
  if (fault === 'throttle') return { match, ...target.throttle, times: 1 };
  if (fault === '5xx') return { match, ...target.serverFault, times: 1 };
  // A drip sends the answer 4 bytes every 40 ms: every gap far below the request timeout, the
  // whole answer (hundreds of bytes) several times over it.
  return { match, fault, times: 1, dripBytes: 4, dripMs: 40 };
}

interface Row { target: string; fault: FaultName; passes: number; deletions: number; live: string; said: string; ms: number }
const rows: Row[] = [];

/** Plan and apply until the plan is empty; every pass within `bound` ms. */
async function converge(run: Run, bound: number): Promise<{ passes: number; deletions: number; first: ApplyResult | undefined }> {
  let deletions = 0;
  let first: ApplyResult | undefined;
  for (let pass = 1; pass <= MAX_PASSES + 1; pass += 1) {
    const started = Date.now();
    const prepared = await run.plan();
    assert.deepEqual(prepared.plan.errors, [], `pass ${pass}: observe failed`);
    deletions += prepared.plan.changes.filter((c) => c.action === 'delete').length;
    if (prepared.plan.changes.length === 0) return { passes: pass - 1, deletions, first };
    const result = await applyPrepared(prepared);
    first ??= result;
    const took = Date.now() - started;
    assert.ok(took < bound, `pass ${pass} took ${took} ms, over its bound of ${bound} ms`);
  }
  throw new Error(`not converged within ${MAX_PASSES} passes`);
}

/** What the user reads after the first pass: the summary line, and the first failure's words. */
function said(result: ApplyResult | undefined): string {
  if (!result) return 'nothing to do';
  const failure = result.reports.find((r) => r.status === 'failed')?.error?.message;
  return `${result.applied} applied, ${result.failed} failed${failure ? `: ${failure}` : ''}`;
}

const zoneDoc = (zone: string, records: number) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  records:
${Array.from({ length: records }, (_, i) => `    host${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n')}
`;
const emptyZone = (zone: string) => zoneDoc(zone, 0).replace(/records:\n\s*$/, 'records: {}\n');

const trust = { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' } };
const readS3 = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } };

const configMaps = (namespace: string, count: number) => Array.from({ length: count }, (_, i) => `---
apiVersion: v1
kind: ConfigMap
metadata: { name: obj${i}, namespace: ${namespace} }
data: { index: "${i}" }
`).join('');

const kubeStatus = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
const awsIam = (code: string, message: string, type = 'Sender') =>
  `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>`;

describe('fault matrix', () => {
  let env: Env;
  let gcp: CloudDnsEmulator;
  let cluster: Cluster;
  let iam: IAMClient;
  const proxies = { gcp: new MotoProxy(), iam: new MotoProxy(), kube: new MotoProxy() };

  const targets: Target[] = [
    {
      name: 'Route 53 (moto)', count: 20, proxy: new MotoProxy(),
      firstWrite: (r) => r.method === 'POST' && r.path.endsWith('/rrset'),
      throttle: { status: 400, body: errorResponseXml('Throttling', 'Rate exceeded') },
      serverFault: { status: 503, body: errorResponseXml('ServiceUnavailable', 'try again', 'Receiver') },
      passBound: 3 * TIMEOUT_MS + 2500,
      async start(fault) {
        const zone = `${fault}.faults.example.com`;
        const e = engine(settings(this.proxy.endpoint, { maxAttempts: 3, requestTimeoutMs: TIMEOUT_MS }), { scopes: [`zone/${zone}.`] });
        await e.converge(emptyZone(zone));
        return {
          plan: () => e.plan(zoneDoc(zone, this.count)),
          live: async () => {
            const z = (await env.client.send(new ListHostedZonesByNameCommand({ DNSName: zone }))).HostedZones?.find((h) => h.Name === `${zone}.`);
            const sets = (await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: z?.Id ?? '' }))).ResourceRecordSets ?? [];
            return sets.filter((s) => s.Type === 'A').flatMap((s) => s.ResourceRecords ?? []).length;
          },
          close: async () => e.instance.close?.(),
        };
      },
    },
    {
      name: 'Cloud DNS (emulator)', count: 20, proxy: proxies.gcp,
      firstWrite: (r) => r.method === 'POST' && /\/changes(\?|$)/.test(r.path),
      throttle: { status: 429, body: JSON.stringify({ error: { code: 429, message: 'rate', errors: [{ reason: 'rateLimitExceeded' }] } }) },
      serverFault: { status: 503, body: JSON.stringify({ error: { code: 503, message: 'backend error' } }) },
      passBound: 4 * TIMEOUT_MS + 2500,
      async start(fault) {
        const zone = `${fault}.faults.example.com`;
        const project = `faults-${fault}`;
        const h = gcpHarness(gcpSettings(this.proxy.endpoint, project, { timeoutMs: TIMEOUT_MS }));
        await h.converge(emptyZone(zone));
        return {
          plan: () => h.plan(zoneDoc(zone, this.count)),
          live: async () => {
            const res = await fetch(`${gcp.url}/dns/v1/projects/${project}/managedZones`);
            const managed = ((await res.json()) as { managedZones: { name: string; dnsName: string }[] }).managedZones.find((m) => m.dnsName === `${zone}.`);
            const rr = await fetch(`${gcp.url}/dns/v1/projects/${project}/managedZones/${managed?.name}/rrsets`);
            return ((await rr.json()) as { rrsets: { type: string; rrdatas: string[] }[] }).rrsets.filter((s) => s.type === 'A').flatMap((s) => s.rrdatas).length;
          },
          close: () => h.close(),
        };
      },
    },
    {
      // Roles with an inline policy each: the fault hits the first CreateRole.
      name: 'IAM (moto)', count: 4, proxy: proxies.iam,
      firstWrite: (r) => new URLSearchParams(r.body).get('Action') === 'CreateRole',
      throttle: { status: 400, body: awsIam('Throttling', 'Rate exceeded') },
      serverFault: { status: 500, body: awsIam('ServiceFailure', 'internal failure', 'Receiver') },
      passBound: 4 * TIMEOUT_MS + 2500,
      async start(fault) {
        const path = `/faults/${fault === '5xx' ? 'server' : fault}/`;
        const d = iamDriver(iamSettings({ endpoint: this.proxy.endpoint } as never, { requestTimeoutMs: TIMEOUT_MS }), 'faults-owner', [`path${path}*`]);
        const yaml = Array.from({ length: this.count }, (_, i) => iamDoc('Role', `${fault}-role${i}`, { path, assumeRolePolicy: trust, inlinePolicies: { read: readS3 } })).join('');
        return {
          plan: () => d.plan(yaml),
          live: async () => {
            const roles = (await iam.send(new ListRolesCommand({ PathPrefix: path }))).Roles ?? [];
            let copies = 0;
            for (const role of roles) copies += 1 + ((await iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames ?? []).length;
            return copies / 2; // a role and its one inline policy: one object as declared
          },
          close: async () => d.instance.close?.(),
        };
      },
    },
    {
      name: 'Kubernetes (emulator)', count: 10, proxy: proxies.kube,
      // The real apply, not the plan's server-side dry run of it.
      firstWrite: (r) => r.method === 'PATCH' && !r.path.includes('dryRun='),
      throttle: { status: 429, body: kubeStatus(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later') },
      serverFault: { status: 503, body: kubeStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request') },
      passBound: 3 * TIMEOUT_MS + 2500,
      async start(fault) {
        const namespace = `faults-${fault === '5xx' ? 'server' : fault}`;
        const ns = await fetch(`${cluster.emulator.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }) });
        assert.equal(ns.status, 201, await ns.text());
        const h = new KubeHarness(settingsFor(cluster, { server: this.proxy.endpoint, requestTimeoutSeconds: TIMEOUT_MS / 1000, retries: 2 }), [`namespace/${namespace}`]);
        return {
          plan: () => h.plan(configMaps(namespace, this.count)),
          live: async () => {
            const res = await fetch(`${cluster.emulator.url}/api/v1/namespaces/${namespace}/configmaps`);
            return ((await res.json()) as { items: { metadata: { name: string } }[] }).items.filter((i) => i.metadata.name.startsWith('obj')).length;
          },
          close: async () => h.entry.instance.close?.(),
        };
      },
    },
  ];

  before(async () => {
    [env, gcp, cluster] = await Promise.all([startEnv(), startCloudDnsEmulator({ port: 0 }), startCluster()]);
    iam = new IAMClient({ endpoint: env.moto.endpoint, region: 'us-east-1' });
    await Promise.all([
      targets[0]?.proxy.start(env.moto.endpoint), proxies.gcp.start(gcp.url), proxies.iam.start(env.moto.endpoint), proxies.kube.start(cluster.emulator.url),
    ]);
  });
  after(async () => {
    console.log(['| target | fault on the first write | passes to converge | deletions planned | live (declared) | after the first pass | ms |', '| --- | --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.target} | ${r.fault} | ${r.passes} | ${r.deletions} | ${r.live} | ${r.said} | ${r.ms} |`)].join('\n'));
    for (const t of targets) await t.proxy.stop();
    iam?.destroy();
    await Promise.all([gcp?.stop(), env?.stop(), cluster?.stop()]);
  });

  for (const target of targets) {
    for (const fault of FAULTS) {
      it(`${target.name}: ${fault} on the first write converges, deletes nothing, duplicates nothing, within its bounds`, async () => {
        const run = await target.start(fault);
        target.proxy.rules.length = 0;
        target.proxy.seen.length = 0;
        target.proxy.rules.push(rule(target, fault));
        const started = Date.now();
        try {
          const { passes, deletions, first } = await converge(run, target.passBound);
          const live = await run.live();
          rows.push({ target: target.name, fault, passes, deletions, live: `${live} (${target.count})`, said: said(first), ms: Date.now() - started });
          assert.ok(target.proxy.seen.some((r) => r.fault !== undefined), 'the fault was injected');
          assert.ok(passes >= 1 && passes <= MAX_PASSES, `passes ${passes}`);
          assert.equal(deletions, 0, 'no deletion planned');
          assert.equal(live, target.count, 'every object live exactly once');
          assert.equal(first?.failed, 0, `the first pass told the user: ${said(first)}`);
        } finally {
          await run.close();
        }
      });
    }
  }
});
