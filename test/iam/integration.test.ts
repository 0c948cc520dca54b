// The aws-iam provider end to end against moto_server through the real @aws-sdk/client-iam and
// trueup's real pipeline: every kind applied then planned again (empty), drift made with the
// aws CLI, unowned entities left alone, policy version rotation, a role replaced when its path
// changes, references resolved before the account id is known, and import → plan empty.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  AttachRolePolicyCommand, CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, GetInstanceProfileCommand, GetPolicyCommand,
  GetRoleCommand, ListAttachedRolePoliciesCommand, ListPolicyVersionsCommand, ListRolePoliciesCommand, ListRoleTagsCommand,
  PutRolePolicyCommand, type IAMClient,
} from '@aws-sdk/client-iam';
import { scopeMatcher } from '../../src/sdk/index.ts';
import { providerContext } from '../../src/engine/pipeline.ts';
import { silentLogger } from '../../src/report/log.ts';
import { doc, driver, rawClient, startMoto, testSettings, type Moto } from './support.ts';

const run = promisify(execFile);

let moto: Moto;
let iam: IAMClient;
before(async () => {
  moto = await startMoto();
  iam = rawClient(moto);
});
after(async () => {
  iam.destroy();
  await moto.stop();
});
beforeEach(async () => moto.reset());

const githubTrust = {
  Version: '2012-10-17',
  Statement: {
    Effect: 'allow',
    Principal: { Federated: { ref: 'github' } },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': ['repo:org/web:*', 'repo:org/api:*'] } },
  },
};
const deployDoc = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'Ecr', Effect: 'ALLOW', Action: ['ecr:PutImage', 'ECR:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload'], Resource: '*' },
    { Sid: 'Deny', Effect: 'deny', Action: 'iam:*', Resource: '*' },
  ],
};
/** What a person would send with the aws CLI or SDK (canonical Effect, as IAM's parser wants). */
const rawDoc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecr:PutImage'], Resource: '*' }] };
const ec2Trust = { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' } };
const everyKind = (rolePath = '/trueup/') =>
  doc('OpenIDConnectProvider', 'github', { url: 'https://token.actions.githubusercontent.com', clientIds: ['sts.amazonaws.com'], thumbprints: ['6938FD4D98BAB03FAADB97B34396831E3780AEA1'], tags: { purpose: 'ci' } }) +
  doc('Policy', 'deploy', { path: '/trueup/', description: 'deploys', document: deployDoc, tags: { team: 'platform' } }) +
  doc('Policy', 'boundary', { path: '/trueup/', document: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*' } } }) +
  doc('Role', 'deploy', {
    path: rolePath, description: 'GitHub Actions deploys', maxSessionDuration: 7200, assumeRolePolicy: githubTrust,
    permissionsBoundary: { ref: 'boundary' }, tags: { team: 'platform' },
    inlinePolicies: { logs: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: ['logs:PutLogEvents', 'logs:CreateLogStream'], Resource: '*' } } },
    managedPolicies: [{ ref: 'deploy' }],
  }) +
  doc('Role', 'web', { path: rolePath, assumeRolePolicy: ec2Trust, managedPolicies: [{ ref: 'deploy' }] }) +
  doc('InstanceProfile', 'web', { path: '/trueup/', role: { ref: 'web' } }) +
  doc('Group', 'admins', { path: '/trueup/', managedPolicies: [{ ref: 'deploy' }], inlinePolicies: { read: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:Get*', Resource: '*' } } } }) +
  doc('User', 'ci-bot', { path: '/trueup/', groups: [{ ref: 'admins' }], tags: { kind: 'bot' }, managedPolicies: [{ ref: 'deploy' }] });

describe('aws-iam against moto', () => {
  it('applies every kind, and a second plan is empty', async () => {
    const d = driver(testSettings(moto));
    const first = await d.plan(everyKind());
    assert.equal(first.plan.changes.length, 8);
    assert.ok(first.plan.changes.every((c) => c.action === 'create'));
    // Nothing named the account yet: references carry the placeholder until it is known.
    const role = first.plan.changes.find((c) => c.key === 'role/deploy');
    assert.deepEqual(role?.dependsOn, ['oidc-provider/token.actions.githubusercontent.com', 'policy/boundary', 'policy/deploy']);
    assert.deepEqual((role?.after as { managedPolicies: string[] }).managedPolicies, ['arn:aws:iam::<account>:policy/trueup/deploy']);
    await d.converge(everyKind());
    assert.deepEqual(await d.changes(everyKind()), []);

    const live = await iam.send(new GetRoleCommand({ RoleName: 'deploy' }));
    assert.equal(live.Role?.Path, '/trueup/');
    assert.equal(live.Role?.MaxSessionDuration, 7200);
    assert.equal(live.Role?.PermissionsBoundary?.PermissionsBoundaryArn, 'arn:aws:iam::123456789012:policy/trueup/boundary');
    assert.match(decodeURIComponent(live.Role?.AssumeRolePolicyDocument ?? ''), /arn:aws:iam::123456789012:oidc-provider\/token.actions.githubusercontent.com/);
    const tags = await iam.send(new ListRoleTagsCommand({ RoleName: 'deploy' }));
    assert.deepEqual(tags.Tags?.find((t) => t.Key === 'trueup.dev/owner')?.Value, 'test-owner');
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'web' }));
    assert.equal(profile.InstanceProfile?.Roles?.[0]?.RoleName, 'web');
  });

  it('reads the account in bulk: a no-op plan does not call per role', async () => {
    const d = driver(testSettings(moto));
    const many = Array.from({ length: 25 }, (_, i) => doc('Role', `r${i}`, { path: '/trueup/', assumeRolePolicy: ec2Trust, inlinePolicies: { a: deployDoc } })).join('');
    await d.converge(many);
    d.calls.clear();
    assert.deepEqual(await d.changes(many), []);
    assert.deepEqual(Object.fromEntries(d.calls), { GetAccountAuthorizationDetails: 1, ListRoles: 1, ListInstanceProfiles: 1, ListOpenIDConnectProviders: 1 });
  });

  it('shows an inline policy edited behind its back (aws iam put-role-policy) as exactly one update', async () => {
    const d = driver(testSettings(moto));
    await d.converge(everyKind());
    await run('aws', ['iam', 'put-role-policy', '--endpoint-url', moto.endpoint, '--region', 'us-east-1', '--role-name', 'deploy', '--policy-name', 'logs',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] })], { env: process.env });
    const prepared = await d.plan(everyKind());
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.key}`), ['update role/deploy']);
    assert.deepEqual(prepared.plan.changes[0]?.diffs.map((x) => x.path), ['inlinePolicies.logs.Statement[0].Action']);
    await d.converge(everyKind());
    assert.deepEqual(await d.changes(everyKind()), []);
  });

  it('never touches an unowned role under the same path prefix, nor a group at the root path', async () => {
    const d = driver(testSettings(moto));
    await iam.send(new CreateRoleCommand({ RoleName: 'hand-made', Path: '/trueup/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust) }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'hand-made', PolicyName: 'x', PolicyDocument: JSON.stringify(rawDoc) }));
    await iam.send(new CreateGroupCommand({ GroupName: 'root-group', Path: '/' }));
    await d.converge(everyKind());
    // Removing everything from Git deletes only what trueup owns.
    const removal = await d.plan(doc('Policy', 'keep', { path: '/trueup/', document: deployDoc }), { scopes: ['path/*', 'oidc-provider/*'] });
    const deleted = removal.plan.changes.filter((c) => c.action === 'delete').map((c) => c.key).sort();
    assert.deepEqual(deleted, ['group/admins', 'instance-profile/web', 'oidc-provider/token.actions.githubusercontent.com', 'policy/boundary', 'policy/deploy', 'role/deploy', 'role/web', 'user/ci-bot']);
    await d.converge(doc('Policy', 'keep', { path: '/trueup/', document: deployDoc }), { scopes: ['path/*', 'oidc-provider/*'] });
    const kept = await iam.send(new ListRolePoliciesCommand({ RoleName: 'hand-made' }));
    assert.deepEqual(kept.PolicyNames, ['x']);
    assert.deepEqual(await d.changes(doc('Policy', 'keep', { path: '/trueup/', document: deployDoc }), { scopes: ['path/*', 'oidc-provider/*'] }), []);
  });

  it('declaring an existing unowned role is a conflict, and one outside its paths a clear terminal error', async () => {
    const d = driver(testSettings(moto));
    await iam.send(new CreateRoleCommand({ RoleName: 'taken', Path: '/trueup/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'elsewhere', Path: '/other/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust) }));
    const yaml = doc('Role', 'taken', { path: '/trueup/', assumeRolePolicy: ec2Trust }) + doc('Role', 'elsewhere', { path: '/trueup/', assumeRolePolicy: ec2Trust });
    const prepared = await d.plan(yaml);
    assert.deepEqual(prepared.plan.conflicts.map((c) => c.key), ['role/taken']);
    const { applyPrepared } = await import('../../src/engine/pipeline.ts');
    const result = await applyPrepared(prepared);
    const failed = result.reports.find((r) => r.change.key === 'role/elsewhere');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error?.transient, false);
    assert.match(failed?.error?.message ?? '', /role \/trueup\/elsewhere: CreateRole: already exists and carries no trueup owner tag.*trueup import.*role\/elsewhere/);
    const still = await iam.send(new GetRoleCommand({ RoleName: 'elsewhere' }));
    assert.equal(still.Role?.Path, '/other/');
  });

  it('adopts an entity that appeared between plan and apply only when it carries this source\'s owner tag', async () => {
    const d = driver(testSettings(moto));
    const yaml = doc('Role', 'late', { path: '/trueup/', description: 'from git', assumeRolePolicy: ec2Trust, inlinePolicies: { a: rawDoc } }) +
      doc('Role', 'theirs', { path: '/trueup/', assumeRolePolicy: ec2Trust }) +
      doc('Policy', 'late-policy', { path: '/trueup/', document: rawDoc });
    const prepared = await d.plan(yaml);
    assert.deepEqual(prepared.plan.changes.map((c) => c.action), ['create', 'create', 'create']);
    // An earlier, interrupted apply of this source created two of them; another source the third.
    const owner = [{ Key: 'trueup.dev/owner', Value: 'test-owner' }];
    await iam.send(new CreateRoleCommand({ RoleName: 'late', Path: '/trueup/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust), Tags: owner }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'late', PolicyName: 'extra', PolicyDocument: JSON.stringify(rawDoc) }));
    await iam.send(new CreatePolicyCommand({ PolicyName: 'late-policy', Path: '/trueup/', PolicyDocument: JSON.stringify(deployDoc).replace(/ALLOW|deny/g, (m) => (m === 'ALLOW' ? 'Allow' : 'Deny')), Tags: owner }));
    await iam.send(new CreateRoleCommand({ RoleName: 'theirs', Path: '/trueup/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust), Tags: [{ Key: 'trueup.dev/owner', Value: 'other-source' }] }));
    const { applyPrepared } = await import('../../src/engine/pipeline.ts');
    const result = await applyPrepared(prepared);
    const status = Object.fromEntries(result.reports.map((r) => [r.change.key, r.status === 'applied' ? 'applied' : r.error?.message]));
    assert.equal(status['role/late'], 'applied');
    assert.equal(status['policy/late-policy'], 'applied');
    assert.match(String(status['role/theirs']), /CreateRole: already exists and is owned by "other-source"/);
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'late' }))).Role?.Description, 'from git');
    // What the adoption could not know about (an inline policy Git does not list) goes next pass.
    const next = await d.plan(yaml);
    assert.deepEqual(next.plan.changes.map((c) => `${c.action} ${c.key} ${c.diffs.map((x) => x.path).join(',')}`), ['update role/late inlinePolicies.extra']);
    assert.deepEqual(next.plan.conflicts.map((c) => c.key), ['role/theirs']);
  });

  it('updating a managed policy six times leaves five versions, the newest default', async () => {
    const d = driver(testSettings(moto));
    const policy = (i: number) => doc('Policy', 'rotating', { path: '/trueup/', document: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: `s3:Action${i}`, Resource: '*' } } });
    await d.converge(policy(0));
    for (let i = 1; i <= 6; i++) {
      const prepared = await d.converge(policy(i));
      assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.key}`), ['update policy/rotating']);
    }
    assert.deepEqual(await d.changes(policy(6)), []);
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: 'arn:aws:iam::123456789012:policy/trueup/rotating' }));
    assert.equal(versions.Versions?.length, 5);
    const def = versions.Versions?.find((v) => v.IsDefaultVersion);
    assert.equal(def?.VersionId, 'v7');
    assert.deepEqual(versions.Versions?.map((v) => v.VersionId).sort(), ['v3', 'v4', 'v5', 'v6', 'v7'], 'the oldest versions went first');
  });

  it('plans a role path change as a replace (marked, needs force), and keeps its profile and attachments', async () => {
    const d = driver(testSettings(moto));
    await d.converge(everyKind());
    const moved = everyKind('/trueup/ci/');
    const prepared = await d.plan(moved, { force: false });
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.key}`).sort(), ['replace role/deploy', 'replace role/web']);
    assert.ok(prepared.plan.refusals.some((r) => r.includes('replaces the role')), 'a role replace needs --force');
    assert.deepEqual(prepared.plan.changes[0]?.diffs.map((x) => x.path), ['path']);
    await d.converge(moved);
    assert.deepEqual(await d.changes(moved), []);
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'web' }))).Role?.Path, '/trueup/ci/');
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'web' }));
    assert.equal(profile.InstanceProfile?.Roles?.[0]?.Path, '/trueup/ci/');
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'deploy' }));
    assert.deepEqual(attached.AttachedPolicies?.map((p) => p.PolicyName), ['deploy']);
  });

  it('moves a user to another path in place (IAM can), not by replace', async () => {
    // Groups move the same way (UpdateGroup NewPath), but moto ignores NewPath for groups:
    // that call is asserted on the wire in apply-order.test.ts.
    const d = driver(testSettings(moto));
    const at = (path: string) => doc('Group', 'g', { path: '/trueup/' }) + doc('User', 'u', { path, groups: [{ ref: 'g' }] });
    await d.converge(at('/trueup/a/'));
    assert.deepEqual(await d.changes(at('/trueup/b/')), ['update user /trueup/b/u']);
    await d.converge(at('/trueup/b/'));
    assert.deepEqual(await d.changes(at('/trueup/b/')), []);
  });

  it('replaces a managed policy whose description changed and re-attaches it', async () => {
    const d = driver(testSettings(moto));
    await d.converge(everyKind());
    const changed = everyKind().replace('"description":"deploys"', '"description":"deploys things"');
    assert.deepEqual(await d.changes(changed), ['replace policy /trueup/deploy']);
    await d.converge(changed);
    assert.deepEqual(await d.changes(changed), []);
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::123456789012:policy/trueup/deploy' }))).Policy?.Description, 'deploys things');
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'web' }));
    assert.deepEqual(attached.AttachedPolicies?.map((p) => p.PolicyName), ['deploy']);
  });

  it('removes inline policies and attachments Git no longer lists (exclusive management)', async () => {
    const d = driver(testSettings(moto));
    const yaml = doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: ec2Trust });
    await d.converge(yaml);
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'sneaky', PolicyDocument: JSON.stringify(rawDoc) }));
    const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'extra', Path: '/other/', PolicyDocument: JSON.stringify(rawDoc) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'app', PolicyArn: p.Policy?.Arn }));
    const prepared = await d.plan(yaml);
    assert.deepEqual(prepared.plan.changes[0]?.diffs.map((x) => x.path).sort(), ['inlinePolicies.sneaky', 'managedPolicies']);
    await d.converge(yaml);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'app' }))).PolicyNames, []);
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'app' }))).AttachedPolicies, []);
  });

  it('import writes YAML for a path prefix that adopts what it imports; import → commit → plan shows only the adoptions', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'legacy+app', Path: '/teams/web/', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' } }), Description: 'made by hand' }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'legacy+app', PolicyName: 'read', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': true } } } }) }));
    const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'web-read', Path: '/teams/web/', PolicyDocument: JSON.stringify(rawDoc), Description: 'read' }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'legacy+app', PolicyArn: p.Policy?.Arn }));
    await iam.send(new CreateGroupCommand({ GroupName: 'web-devs', Path: '/teams/web/' }));
    await iam.send(new CreateRoleCommand({ RoleName: 'not-selected', Path: '/teams/api/', AssumeRolePolicyDocument: JSON.stringify(ec2Trust) }));

    const d = driver(testSettings(moto), 'test-owner', ['path/teams/*']);
    const entry = { name: 'iam', definition: (await import('./support.ts')).provider as never, instance: d.instance };
    const ctx = providerContext(entry, { log: silentLogger(), ownerId: 'test-owner' });
    const documents = await d.instance.import?.({ selector: '/teams/web/', allowedScopes: scopeMatcher(['path/teams/*']) }, ctx) ?? [];
    assert.deepEqual(documents.map((x) => `${String(x.kind)} ${(x.metadata as { name: string }).name}`), ['Group web-devs', 'Policy web-read', 'Role legacy-app']);
    const yaml = documents.map((x) => stringify(x)).join('---\n');
    assert.match(yaml, /name: legacy\+app/, 'the IAM name is kept in spec.name when metadata.name cannot hold it');
    assert.equal(documents.every((x) => (x.metadata as { annotations?: Record<string, string> }).annotations?.['trueup.dev/adopt'] === 'true'), true, 'every imported entity carries the adopt annotation');
    // Committed, the file adopts: the only changes are the owner marks being written, no field differs.
    const prepared = await d.plan(yaml, { scopes: ['path/teams/web/*'] });
    assert.deepEqual(prepared.plan.conflicts, []);
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.display} ${JSON.stringify(c.diffs)} ${c.effects?.join() ?? ''}`), [
      'update group /teams/web/web-devs [] adopts it: writes this source\'s owner mark on an object trueup did not create',
      'update policy /teams/web/web-read [] adopts it: writes this source\'s owner mark on an object trueup did not create',
      'update role /teams/web/legacy+app [] adopts it: writes this source\'s owner mark on an object trueup did not create',
    ]);
    // and named import
    const one = await d.instance.import?.({ selector: 'role/not-selected', allowedScopes: scopeMatcher(['path/teams/*']) }, ctx) ?? [];
    assert.equal(one.length, 1);
  });
});
