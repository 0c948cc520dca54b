// `trueup permissions` checked against what trueup really sends: a create → update → delete
// scenario runs through the CLI against moto behind the recording proxy, every request is turned
// into the (action, resource, condition values) AWS authorizes it as, and the printed policy must
// allow each one — while every printed statement must be needed by some request. The read-only
// policy must allow everything a plan sends and no write.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { MotoProxy, type ProxiedRequest } from '../support/moto-proxy.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';

const ACCOUNT = '123456789012'; // moto's account

interface Statement { Sid: string; Effect: string; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string[]>> }
interface Policy { Version: string; Statement: Statement[] }
interface Authorization { action: string; resource: string; recordNames?: string[]; request: string }

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);

/** Does this statement allow the request, as IAM evaluates Action, Resource and the one condition we use? */
function allows(s: Statement, a: Authorization): boolean {
  if (s.Effect !== 'Allow' || !s.Action.some((x) => glob(x).test(a.action))) return false;
  if (![s.Resource].flat().some((r) => glob(r).test(a.resource))) return false;
  const names = s.Condition?.['ForAllValues:StringLike']?.['route53:ChangeResourceRecordSetsNormalizedRecordNames'];
  if (names) return (a.recordNames ?? []).every((n) => names.some((p) => glob(p).test(n)));
  return true;
}

/** Route 53's documented normalisation for the record-name condition key. */
const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '').replace(/[^a-z0-9._-]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/** The IAM action and resource AWS authorizes a Route 53 REST or IAM Query request as. */
function authorization(req: ProxiedRequest, paths: Map<string, string>): Authorization {
  const request = `${req.method} ${req.path}`;
  const url = new URL(req.path, 'http://x');
  if (url.pathname.startsWith('/2013-04-01/')) {
    const p = url.pathname.slice('/2013-04-01'.length).replace(/\/$/, '');
    const zone = (id: string) => `arn:aws:route53:::hostedzone/${id.replace(/^\/?hostedzone\//, '')}`;
    let m: RegExpExecArray | null;
    if (p === '/hostedzone' && req.method === 'GET') return { action: 'route53:ListHostedZones', resource: '*', request };
    if (p === '/hostedzone' && req.method === 'POST') return { action: 'route53:CreateHostedZone', resource: '*', request };
    if (p === '/hostedzonesbyname') return { action: 'route53:ListHostedZonesByName', resource: '*', request };
    if ((m = /^\/hostedzone\/([^/]+)\/rrset$/.exec(p))) {
      if (req.method === 'GET') return { action: 'route53:ListResourceRecordSets', resource: zone(m[1] ?? ''), request };
      const recordNames = [...req.body.matchAll(/<Name>([^<]*)<\/Name>/g)].map((n) => normalise(n[1] ?? ''));
      return { action: 'route53:ChangeResourceRecordSets', resource: zone(m[1] ?? ''), recordNames, request };
    }
    if ((m = /^\/hostedzone\/([^/]+)$/.exec(p))) {
      return { action: req.method === 'DELETE' ? 'route53:DeleteHostedZone' : req.method === 'GET' ? 'route53:GetHostedZone' : 'route53:UpdateHostedZoneComment', resource: zone(m[1] ?? ''), request };
    }
    if ((m = /^\/hostedzone\/([^/]+)\/(associatevpc|disassociatevpc)$/.exec(p))) {
      return { action: m[2] === 'associatevpc' ? 'route53:AssociateVPCWithHostedZone' : 'route53:DisassociateVPCFromHostedZone', resource: zone(m[1] ?? ''), request };
    }
    if ((m = /^\/change\/([^/]+)$/.exec(p))) return { action: 'route53:GetChange', resource: `arn:aws:route53:::change/${m[1]}`, request };
    if ((m = /^\/tags\/hostedzone\/([^/]+)$/.exec(p))) {
      return { action: req.method === 'GET' ? 'route53:ListTagsForResource' : 'route53:ChangeTagsForResource', resource: zone(m[1] ?? ''), request };
    }
    if (p === '/tags/hostedzone') {
      const first = /<ResourceId>([^<]*)<\/ResourceId>/.exec(req.body)?.[1] ?? '';
      return { action: 'route53:ListTagsForResources', resource: zone(first), request };
    }
    throw new Error(`unmapped Route 53 request ${request}`);
  }
  const params = new URLSearchParams(req.body);
  const action = params.get('Action') ?? '';
  const name = (key: string) => params.get(key) ?? '';
  const arn = (type: string, entity: string) => `arn:aws:iam::${ACCOUNT}:${type}${paths.get(`${type}/${entity}`) ?? '/'}${entity}`;
  let resource = '*';
  if (params.has('InstanceProfileName')) resource = arn('instance-profile', name('InstanceProfileName'));
  else if (params.has('GroupName')) resource = arn('group', name('GroupName'));
  else if (params.has('OpenIDConnectProviderArn')) resource = name('OpenIDConnectProviderArn');
  else if (action === 'CreateOpenIDConnectProvider') resource = `arn:aws:iam::${ACCOUNT}:oidc-provider/${new URL(name('Url')).host}`;
  else if (params.has('RoleName')) resource = arn('role', name('RoleName'));
  else if (params.has('UserName')) resource = arn('user', name('UserName'));
  else if (params.has('PolicyArn')) resource = name('PolicyArn');
  else if (action === 'CreatePolicy') resource = `arn:aws:iam::${ACCOUNT}:policy${name('Path') || '/'}${name('PolicyName')}`;
  return { action: `iam:${action}`, resource, request };
}

/** Some calls are authorized twice: AddRoleToInstanceProfile also needs iam:PassRole on the role. */
function authorizations(req: ProxiedRequest, paths: Map<string, string>): Authorization[] {
  const first = authorization(req, paths);
  const params = new URLSearchParams(req.body);
  if (params.get('Action') !== 'AddRoleToInstanceProfile') return [first];
  const role = params.get('RoleName') ?? '';
  return [first, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role${paths.get(`role/${role}`) ?? '/'}${role}`, request: first.request }];
}

/** Entity paths from the create calls, so later calls naming only the entity map to its ARN. */
function entityPaths(seen: readonly ProxiedRequest[]): Map<string, string> {
  const paths = new Map<string, string>();
  const creates: Record<string, [string, string]> = { CreateRole: ['role', 'RoleName'], CreateUser: ['user', 'UserName'], CreateGroup: ['group', 'GroupName'], CreateInstanceProfile: ['instance-profile', 'InstanceProfileName'] };
  for (const req of seen) {
    const params = new URLSearchParams(req.body);
    const create = creates[params.get('Action') ?? ''];
    if (create) paths.set(`${create[0]}/${params.get(create[1])}`, params.get('Path') ?? '/');
  }
  return paths;
}

const files = (step: 1 | 2 | 3) => ({
  'dns.yaml': `apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: perms.example.com }
spec:
  records:
    www: [{ type: A, value: ${step === 1 ? '192.0.2.1' : '192.0.2.2'} }]
    "*.preview": [{ type: A, value: 192.0.2.9 }]
${step < 3 ? '    api: [{ type: CNAME, value: www.perms.example.com. }]\n' : ''}`,
  'iam.yaml': `apiVersion: iam.aws.trueup.dev/v1
kind: Policy
metadata: { name: perms-read }
spec:
  path: /trueup/perms/
  document: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: ${step === 1 ? 's3:GetObject' : '[s3:GetObject, s3:ListBucket]'}, Resource: "*" }] }
---
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: perms-app }
spec:
  path: /trueup/perms/
  assumeRolePolicy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: sts:AssumeRole }] }
  managedPolicies: [{ ref: perms-read }]
  inlinePolicies:
    logs: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: logs:PutLogEvents, Resource: "*" }] }
  tags: { team: ${step === 1 ? 'web' : 'platform'} }
---
apiVersion: iam.aws.trueup.dev/v1
kind: InstanceProfile
metadata: { name: perms-app }
spec: { path: /trueup/perms/, role: { ref: perms-app } }
${step < 3 ? `---
apiVersion: iam.aws.trueup.dev/v1
kind: User
metadata: { name: perms-ci }
spec: { path: /trueup/perms/, groups: [{ ref: perms-deployers }] }
---
apiVersion: iam.aws.trueup.dev/v1
kind: Group
metadata: { name: perms-deployers }
spec: { path: /trueup/perms/, managedPolicies: [{ ref: perms-read }] }
` : ''}---
apiVersion: iam.aws.trueup.dev/v1
kind: OpenIDConnectProvider
metadata: { name: github }
spec: { url: https://token.actions.githubusercontent.com, clientIds: [sts.amazonaws.com] }
`,
});

describe('trueup permissions', () => {
  let moto: Moto;
  let proxy: MotoProxy;
  let dir: string;
  const env = () => ({ ...MOTO_ENV, AWS_ENDPOINT_URL_ROUTE_53: proxy.endpoint, AWS_ENDPOINT_URL_IAM: proxy.endpoint });
  const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env: env(), timeoutMs: 120_000 });
  const write = async (step: 1 | 2 | 3) => {
    for (const [name, text] of Object.entries(files(step))) await writeFile(join(dir, 'resources', name), text);
  };
  const policyFor = async (instance: string, ...extra: string[]): Promise<Policy> => {
    const result = await trueup('permissions', '--instance', instance, '--format', 'json', ...extra);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Policy;
  };
  const allPolicies = async (...extra: string[]): Promise<Record<'route53' | 'iam', Policy>> => {
    const result = await trueup('permissions', '--format', 'json', ...extra);
    assert.equal(result.code, 0, result.stderr);
    const { instances } = JSON.parse(result.stdout) as { instances: { instance: string; permissions: { document: Policy } }[] };
    const of = (name: string) => instances.find((i) => i.instance === name)?.permissions.document ?? { Version: '', Statement: [] };
    return { route53: of('route53'), iam: of('iam') };
  };

  before(async () => {
    moto = await startMoto();
    proxy = new MotoProxy();
    await proxy.start(moto.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'trueup-perms-'));
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      'providers:',
      '  route53: { type: aws-route53, settings: { rateLimit: 200 } }',
      `  iam: { type: aws-iam, settings: { accountId: "${ACCOUNT}", rateLimit: 200, consistency: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } } }`,
      'sources:',
      '  - name: infra',
      '    path: ./resources',
      '    scopes:',
      '      route53: [zone/perms.example.com.]',
      '      iam: [path/trueup/perms/*, oidc-provider/token.actions.githubusercontent.com]',
      '',
    ].join('\n'));
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the printed policies allow every call of a create → update → delete scenario, and each statement is used', async () => {
    const printed = new Map<string, Set<string>>([['route53', new Set()], ['iam', new Set()]]);
    const used = new Map<string, Set<string>>([['route53', new Set()], ['iam', new Set()]]);
    const sent = new Set<string>();
    for (const step of [1, 2, 3] as const) {
      await write(step);
      // What this revision needs, printed before it is applied (as an operator would).
      const policies = await allPolicies();
      const readOnly = await allPolicies('--read-only');
      const mark = proxy.seen.length;
      const planned = await trueup('plan');
      assert.equal(planned.code, 0, planned.stderr);
      const planEnd = proxy.seen.length;
      const applied = await trueup('apply', '--auto-approve');
      assert.equal(applied.code, 0, `step ${step}: ${applied.stdout}${applied.stderr}`);
      const paths = entityPaths(proxy.seen);
      for (const [instance, prefix] of [['route53', 'route53:'], ['iam', 'iam:']] as const) {
        const policy = policies[instance];
        const requests = proxy.seen.slice(mark).flatMap((r) => authorizations(r, paths)).filter((a) => a.action.startsWith(prefix));
        for (const a of requests) sent.add(a.action);
        const denied = requests.filter((a) => !policy.Statement.some((st) => allows(st, a)));
        assert.deepEqual(denied.map((a) => `${a.action} ${a.resource} ${a.recordNames?.join(',') ?? ''} (${a.request})`), [], `step ${step}, ${instance}: every request is allowed`);
        for (const st of policy.Statement) {
          printed.get(instance)?.add(st.Sid);
          if (requests.some((a) => allows(st, a))) used.get(instance)?.add(st.Sid);
        }
        // Read only (detect mode, previews): everything a plan sends, and no write.
        const reads = proxy.seen.slice(mark, planEnd).flatMap((r) => authorizations(r, paths)).filter((a) => a.action.startsWith(prefix));
        const refused = reads.filter((a) => !readOnly[instance].Statement.some((st) => allows(st, a)));
        assert.deepEqual(refused.map((a) => a.request), [], `step ${step}, ${instance}: read-only allows every plan request`);
        const actions = readOnly[instance].Statement.flatMap((st) => st.Action);
        assert.deepEqual(actions.filter((a) => !/:(Get|List)/.test(a)), [], `${instance}: read-only grants no write`);
      }
    }
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, `converged: ${again.stdout}`);
    // The scenario exercised what it claims: creates, updates and deletes on both services.
    for (const action of ['route53:CreateHostedZone', 'route53:ChangeResourceRecordSets', 'route53:ChangeTagsForResource', 'iam:CreateRole', 'iam:TagRole',
      'iam:CreatePolicyVersion', 'iam:DeleteUser', 'iam:DeleteGroup', 'iam:AddRoleToInstanceProfile', 'iam:CreateOpenIDConnectProvider']) {
      assert.ok(sent.has(action), `the scenario sent ${action}`);
    }
    for (const [instance, sids] of printed) {
      assert.deepEqual([...sids].filter((sid) => !used.get(instance)?.has(sid)), [], `${instance}: every printed statement is needed by some request`);
    }
    assert.ok(proxy.seen.some((r) => r.body.includes('<Name>*.preview.perms.example.com.</Name>') || r.body.includes('<Name>\\052.preview')), 'a wildcard record was written');
  });

  it('a record outside the scoped names is not allowed by the printed policy', async () => {
    const policy = await policyFor('route53');
    const outside: Authorization = { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z1', recordNames: ['www.other.example.com'], request: 'synthetic' };
    const inside: Authorization = { ...outside, recordNames: ['perms.example.com', 'a.b.perms.example.com'] };
    assert.equal(policy.Statement.some((s) => allows(s, outside)), false);
    assert.equal(policy.Statement.some((s) => allows(s, inside)), true);
  });

  it('prints every instance with its notes as text, and IAM writes only for declared types', async () => {
    const text = await trueup('permissions');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^# iam \(aws-iam\) for infra$/m);
    assert.match(text.stdout, /^# route53 \(aws-route53\) for infra$/m);
    assert.match(text.stdout, /^# - ListHostedZones and ListHostedZonesByName cannot be scoped/m);
    // Step 3 removed the user and the group: only what deleting an owned one takes remains.
    const iam = await policyFor('iam');
    const actions = iam.Statement.flatMap((s) => s.Action);
    assert.ok(!actions.includes('iam:CreateUser') && !actions.includes('iam:CreateGroup') && !actions.includes('iam:TagUser'));
    assert.ok(actions.includes('iam:DeleteUser') && actions.includes('iam:DeleteGroup'));
    assert.ok(actions.includes('iam:CreateRole') && actions.includes('iam:CreateOpenIDConnectProvider'));
  });
});

describe('trueup permissions for Cloud DNS and Kubernetes', () => {
  const examples = new URL('../../examples/', import.meta.url).pathname;

  it('gives Kubernetes RBAC for exactly the declared kinds and namespaces, read-only with get and list alone', async () => {
    const run = (...args: string[]) => runTrueup(['permissions', '--config', join(examples, 'mixed', 'trueup.yaml'), '--instance', 'cluster', '--format', 'json', ...args]);
    const full = await run();
    assert.equal(full.code, 0, full.stderr);
    type Rbac = { kind: string; metadata: { name: string; namespace?: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[]; subjects?: unknown[] }[];
    const objects = JSON.parse(full.stdout) as Rbac;
    const role = objects.find((o) => o.kind === 'Role');
    assert.equal(role?.metadata.namespace, 'orders');
    assert.deepEqual(role?.rules?.map((r) => [r.apiGroups[0], r.resources]), [['', ['serviceaccounts', 'services']], ['apps', ['deployments']]]);
    assert.deepEqual(role?.rules?.[0]?.verbs, ['create', 'delete', 'get', 'list', 'patch'], 'health checks poll with get: no watch');
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole');
    assert.deepEqual(clusterRole?.rules?.map((r) => r.resources).flat(), ['namespaces']);
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const readOnly = JSON.parse((await run('--read-only')).stdout) as Rbac;
    const verbs = new Set(readOnly.flatMap((o) => o.rules ?? []).flatMap((r) => r.verbs));
    assert.deepEqual([...verbs].sort(), ['get', 'list'], 'nothing that writes (dry runs are authorized as writes, so read-only plans do without them)');
  });

  it('gives a Cloud DNS custom role, read-only with list/get only', async () => {
    const run = (...args: string[]) => runTrueup(['permissions', '--config', join(examples, 'gcp-dns', 'trueup.yaml'), '--format', 'yaml', ...args]);
    const full = await run();
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stdout, /format: gcp-custom-role/);
    for (const p of ['dns.changes.create', 'dns.resourceRecordSets.create', 'dns.managedZones.list']) assert.match(full.stdout, new RegExp(`- ${p.replaceAll('.', '\\.')}$`, 'm'));
    const readOnly = await run('--read-only');
    assert.doesNotMatch(readOnly.stdout, /\.(create|update|delete)$/m);
    assert.match(readOnly.stdout, /- dns\.resourceRecordSets\.list$/m);
  });
});
