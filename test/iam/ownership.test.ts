// Ownership in IAM through the CLI, as an operator meets it: `trueup plan/apply/import` as child
// processes against moto_server, with entities made by hand through the AWS SDK.
//   - deleting an owned managed policy never silently detaches it from principals trueup does
//     not own or may not touch (refused, exit 3; --force detaches and the plan says so), nor a
//     group its hand-made members, nor a role its hand-made instance profiles;
//   - groups are owned by trueup's owner-mark inline policy, never by their path: widening a
//     scope over hand-made groups deletes nothing; adoption is explicit (trueup.dev/adopt, import).
//
// moto differs from AWS here: DeletePolicy while attached and DeleteGroup with inline policies
// succeed on moto (AWS: DeleteConflict), so "the policy is gone" proves nothing about order; what
// is asserted is what a user sees: the plan text, exit codes, and which attachments remain.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AddRoleToInstanceProfileCommand, AddUserToGroupCommand, AttachGroupPolicyCommand, AttachRolePolicyCommand, CreateGroupCommand, CreateInstanceProfileCommand, CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, GetGroupCommand, GetGroupPolicyCommand, GetInstanceProfileCommand, GetPolicyCommand, GetUserCommand,
  ListAttachedRolePoliciesCommand, ListGroupPoliciesCommand, ListOpenIDConnectProviderTagsCommand,
  ListPolicyTagsCommand, ListRoleTagsCommand, ListUserTagsCommand, PutGroupPolicyCommand, type IAMClient,
} from '@aws-sdk/client-iam';
import { runTrueup } from '../support/cli.ts';
import { rawClient, startMoto, type Moto } from './support.ts';

const ACCOUNT = '123456789012';
const readDoc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }] };
const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com'] }, Action: ['sts:AssumeRole'] }] };

function resource(kind: string, name: string, spec: unknown, annotations?: Record<string, string>): string {
  return `---\n${JSON.stringify({ apiVersion: 'iam.aws.trueup.dev/v1', kind, metadata: { name, ...(annotations ? { annotations } : {}) }, spec })}\n`;
}
const keep = resource('Policy', 'keep', { path: '/qa/', document: readDoc });

let moto: Moto;
let iam: IAMClient;
let dir: string;

before(async () => {
  moto = await startMoto();
  iam = rawClient(moto);
  dir = await mkdtemp(join(tmpdir(), 'trueup-iam-own-'));
  await mkdir(join(dir, 'resources'));
});
after(async () => {
  iam.destroy();
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await moto.reset();
  await rm(join(dir, 'resources'), { recursive: true, force: true });
  await mkdir(join(dir, 'resources'));
  await configure(['path/qa/*', 'oidc-provider/*']);
});

async function configure(scopes: string[]): Promise<void> {
  await writeFile(join(dir, 'trueup.yaml'), [
    'apiVersion: trueup.dev/v1',
    'kind: EngineConfig',
    'providers:',
    `  iam: { type: aws-iam, settings: { endpoint: "${moto.endpoint}", rateLimit: 1000, consistency: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } } }`,
    'sources:',
    '  - name: qa',
    '    path: ./resources',
    `    scopes: { iam: ${JSON.stringify(scopes)} }`,
    '',
  ].join('\n'));
}
const git = (yaml: string) => writeFile(join(dir, 'resources', 'iam.yaml'), yaml);
const trueup = (...args: string[]) => runTrueup(args, { cwd: dir });
async function apply(...args: string[]): Promise<string> {
  const result = await trueup('apply', '--auto-approve', ...args);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
async function assertNoChanges(): Promise<void> {
  const again = await trueup('plan', '--detailed-exitcode');
  assert.equal(again.code, 0, `a second plan is empty:\n${again.stdout}\n${again.stderr}`);
}
const policyArn = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:policy${path}${name}`;
async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchEntityException' || (error as { name?: string }).name === 'NoSuchEntity') return false;
    throw error;
  }
}

describe('IAM ownership through the CLI', () => {
  it('refuses to delete a policy attached by hand to a foreign role outside every scope (exit 3, naming it); --force detaches it and the plan says so', async () => {
    await git(keep + resource('Policy', 'qa-tmp', { path: '/qa/', document: readDoc }));
    await apply();
    await iam.send(new CreateRoleCommand({ RoleName: 'foreign', Path: '/other/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'foreign', PolicyArn: policyArn('/qa/', 'qa-tmp') }));

    await git(keep);
    const plan = await trueup('plan');
    assert.equal(plan.code, 3, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^ {2}- delete {2}policy \/qa\/qa-tmp$/m);
    assert.match(plan.stdout, /^ {2}✗ iam policy \/qa\/qa-tmp: attached to a principal this source does not own or may not touch: role \/other\/foreign \(carries no trueup owner mark, outside this source's scopes\)\. IAM refuses DeletePolicy while a policy is attached \(DeleteConflict\).*force required$/m);
    const refused = await trueup('apply', '--auto-approve');
    assert.equal(refused.code, 3);
    const still = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'foreign' }));
    assert.deepEqual(still.AttachedPolicies?.map((p) => p.PolicyName), ['qa-tmp'], 'a refused plan changes nothing');

    const forced = await trueup('plan', '--force');
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stdout, /^ {6}→ detaches it from role \/other\/foreign \(not this source's: carries no trueup owner mark, outside this source's scopes\)$/m);
    assert.match(forced.stdout, /Safety rules overridden with --force/);
    const applied = await apply('--force');
    assert.match(applied, /→ detaches it from role \/other\/foreign/);
    const after = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'foreign' }));
    assert.deepEqual(after.AttachedPolicies, []);
    assert.equal(await exists(() => iam.send(new GetPolicyCommand({ PolicyArn: policyArn('/qa/', 'qa-tmp') }))), false);
    await assertNoChanges();
  });

  it('detaches a deleted policy from the owned principals in scope as part of the plan, visibly', async () => {
    const declared = (attached: boolean) => keep +
      (attached ? resource('Policy', 'qa-tmp', { path: '/qa/', document: readDoc }) : '') +
      resource('Role', 'app', { path: '/qa/', assumeRolePolicy: trust, managedPolicies: attached ? [{ ref: 'qa-tmp' }] : [] }) +
      resource('Group', 'devs', { path: '/qa/', managedPolicies: attached ? [{ ref: 'qa-tmp' }] : [] });
    await git(declared(true));
    await apply();
    await git(declared(false));
    const plan = await trueup('plan', '--detailed-exitcode');
    assert.equal(plan.code, 2, `not refused: every principal it is attached to is this source's\n${plan.stdout}${plan.stderr}`);
    assert.match(plan.stdout, /^ {2}- delete {2}policy \/qa\/qa-tmp\n {6}→ detaches it from role \/qa\/app\n {6}→ detaches it from group \/qa\/devs$/m);
    await apply();
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'app' }))).AttachedPolicies, []);
    assert.equal(await exists(() => iam.send(new GetPolicyCommand({ PolicyArn: policyArn('/qa/', 'qa-tmp') }))), false);
    await assertNoChanges();
  });

  it('deleting a group with a hand-made member, or a role in a hand-made instance profile, is refused unless forced, naming them', async () => {
    await git(keep + resource('Group', 'devs', { path: '/qa/' }) + resource('Role', 'app', { path: '/qa/', assumeRolePolicy: trust }));
    await apply();
    await iam.send(new CreateUserCommand({ UserName: 'bob', Path: '/people/' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'devs', UserName: 'bob' }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'hand-profile', Path: '/qa/' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hand-profile', RoleName: 'app' }));

    await git(keep);
    const plan = await trueup('plan');
    assert.equal(plan.code, 3, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /✗ iam group \/qa\/devs: has members this source does not own or may not touch: user \/people\/bob \(carries no trueup owner mark, outside this source's scopes\)\. IAM refuses DeleteGroup while it has members \(DeleteConflict\).*force required/);
    assert.match(plan.stdout, /✗ iam role \/qa\/app: is in instance profiles this source does not own or may not touch: instance profile \/qa\/hand-profile \(carries no trueup owner mark\)\..*force required/);
    const applied = await apply('--force');
    assert.match(applied, /→ removes user \/people\/bob from it \(not this source's: carries no trueup owner mark, outside this source's scopes\)/);
    assert.match(applied, /→ removes it from instance profile \/qa\/hand-profile \(not this source's: carries no trueup owner mark\)/);
    assert.equal(await exists(() => iam.send(new GetGroupCommand({ GroupName: 'devs' }))), false);
    assert.equal(await exists(() => iam.send(new GetUserCommand({ UserName: 'bob' }))), true, 'the member itself is not deleted');
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'hand-profile' }));
    assert.deepEqual(profile.InstanceProfile?.Roles, [], 'the profile stays, without the role');
    await assertNoChanges();
  });

  it('widening a scope over hand-made groups plans no deletion of them: they are unowned and left alone', async () => {
    await git(keep);
    await apply();
    await iam.send(new CreateGroupCommand({ GroupName: 'ops', Path: '/legacy/' }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'ops', PolicyName: 'read', PolicyDocument: JSON.stringify(readDoc) }));
    await iam.send(new CreateGroupCommand({ GroupName: 'admins', Path: '/legacy/' }));
    await configure(['path/qa/*', 'path/legacy/*', 'oidc-provider/*']);
    const widened = await trueup('plan', '--detailed-exitcode');
    assert.equal(widened.code, 0, `nothing to do, nothing deleted:\n${widened.stdout}${widened.stderr}`);
    assert.doesNotMatch(widened.stdout, /delete/);
    await apply();
    assert.equal(await exists(() => iam.send(new GetGroupCommand({ GroupName: 'ops' }))), true);
    assert.equal(await exists(() => iam.send(new GetGroupCommand({ GroupName: 'admins' }))), true);

    // Declaring one is a conflict whose hint says how to adopt it.
    await git(keep + resource('Group', 'ops', { path: '/legacy/', inlinePolicies: { read: readDoc } }));
    const declared = await trueup('plan');
    assert.equal(declared.code, 0);
    assert.match(declared.stdout, /Left alone \(trueup will not touch these\)\n {2}! iam group \/legacy\/ops: exists but carries no trueup owner mark; import it \(trueup import\).*trueup\.dev\/adopt: "true"/);
  });

  it('a group trueup creates carries the owner mark (never shown as a diff) and is deleted when removed from Git', async () => {
    await git(keep + resource('Group', 'devs', { path: '/qa/', inlinePolicies: { read: readDoc } }));
    const created = await apply();
    assert.doesNotMatch(created, /trueup\.dev-owner/, 'the mark is not part of what the plan shows');
    const policies = await iam.send(new ListGroupPoliciesCommand({ GroupName: 'devs' }));
    assert.deepEqual(policies.PolicyNames?.sort(), ['read', 'trueup.dev-owner']);
    const mark = await iam.send(new GetGroupPolicyCommand({ GroupName: 'devs', PolicyName: 'trueup.dev-owner' }));
    const document = JSON.parse(decodeURIComponent(mark.PolicyDocument ?? '')) as { Statement: { Effect: string; NotAction: string; Resource: string }[] };
    assert.deepEqual(document.Statement.map((s) => [s.Effect, s.NotAction, s.Resource]), [['Deny', '*', 'arn:aws:iam::*:group/trueup.dev/owner/qa']]);
    await assertNoChanges();

    await git(keep);
    const removal = await trueup('plan', '--detailed-exitcode');
    assert.equal(removal.code, 2, removal.stdout + removal.stderr);
    assert.match(removal.stdout, /^ {2}- delete {2}group \/qa\/devs$/m);
    await apply();
    assert.equal(await exists(() => iam.send(new GetGroupCommand({ GroupName: 'devs' }))), false);

    // A declared inline policy may not use the reserved name.
    await git(keep + resource('Group', 'devs', { path: '/qa/', inlinePolicies: { 'trueup.dev-owner': readDoc } }));
    const invalid = await trueup('validate');
    assert.equal(invalid.code, 1);
    assert.match(invalid.stdout, /iam\.yaml:\d+:\d+: spec\.inlinePolicies\["trueup\.dev-owner"\]: the inline policy name trueup\.dev-owner is reserved/);
  });

  it('the trueup.dev/adopt annotation adopts unowned entities: an update that writes the owner mark or tag, shown in the plan', async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'legacy-ops', Path: '/qa/' }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'legacy-ops', PolicyName: 'read', PolicyDocument: JSON.stringify(readDoc) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'legacy-role', Path: '/qa/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new CreatePolicyCommand({ PolicyName: 'legacy-policy', Path: '/qa/', PolicyDocument: JSON.stringify(readDoc) }));
    await iam.send(new CreateUserCommand({ UserName: 'legacy-user', Path: '/qa/' }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'legacy-profile', Path: '/qa/' }));
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://legacy.example.com', ClientIDList: ['sts.amazonaws.com'], ThumbprintList: ['6938fd4d98bab03faadb97b34396831e3780aea1'] }));
    const adopt = { 'trueup.dev/adopt': 'true' };
    const declared = (annotations?: Record<string, string>) => keep +
      resource('Group', 'legacy-ops', { path: '/qa/', inlinePolicies: { read: readDoc } }, annotations) +
      resource('Role', 'legacy-role', { path: '/qa/', assumeRolePolicy: trust }, annotations) +
      resource('Policy', 'legacy-policy', { path: '/qa/', document: readDoc }, annotations) +
      resource('User', 'legacy-user', { path: '/qa/' }, annotations) +
      resource('InstanceProfile', 'legacy-profile', { path: '/qa/' }, annotations) +
      resource('OpenIDConnectProvider', 'legacy-oidc', { url: 'https://legacy.example.com', clientIds: ['sts.amazonaws.com'] }, annotations);
    await git(declared());
    const conflict = await trueup('plan');
    const kinds = ['group /qa/legacy-ops', 'role /qa/legacy-role', 'policy /qa/legacy-policy', 'user /qa/legacy-user', 'instance profile /qa/legacy-profile', 'OIDC provider legacy.example.com'];
    for (const entity of kinds) assert.ok(conflict.stdout.includes(`! iam ${entity}: exists but carries no trueup owner mark`), `${entity} left alone:\n${conflict.stdout}`);

    await git(declared(adopt));
    const plan = await trueup('plan', '--detailed-exitcode');
    assert.equal(plan.code, 2, plan.stdout + plan.stderr);
    assert.match(plan.stdout, /^ {2}~ update {2}group \/qa\/legacy-ops {2}iam\.yaml:\d+\n {6}→ adopts it: writes this source's owner mark on an object trueup did not create$/m);
    for (const entity of kinds) assert.match(plan.stdout, new RegExp(`^ {2}~ update {2}${entity} {2}iam\\.yaml:\\d+\\n {6}→ adopts it`, 'm'));
    assert.doesNotMatch(plan.stdout, /Left alone/);
    await apply();
    assert.equal(await exists(() => iam.send(new GetGroupPolicyCommand({ GroupName: 'legacy-ops', PolicyName: 'trueup.dev-owner' }))), true);
    const owner = (tags: { Key?: string | undefined; Value?: string | undefined }[] | undefined) => tags?.find((t) => t.Key === 'trueup.dev/owner')?.Value;
    assert.equal(owner((await iam.send(new ListRoleTagsCommand({ RoleName: 'legacy-role' }))).Tags), 'qa');
    assert.equal(owner((await iam.send(new ListPolicyTagsCommand({ PolicyArn: policyArn('/qa/', 'legacy-policy') }))).Tags), 'qa');
    assert.equal(owner((await iam.send(new ListUserTagsCommand({ UserName: 'legacy-user' }))).Tags), 'qa');
    // moto has no ListInstanceProfileTags (it answers an HTML 500); GetInstanceProfile returns the tags.
    assert.equal(owner((await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'legacy-profile' }))).InstanceProfile?.Tags), 'qa');
    assert.equal(owner((await iam.send(new ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/legacy.example.com` }))).Tags), 'qa');
    await assertNoChanges();
    // Adopted for good: the annotation can go.
    await git(declared());
    await assertNoChanges();
  });

  it('a policy someone put under the reserved name proves nothing: the group is unowned, and adopting it replaces that policy visibly', async () => {
    const grant = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'] }] };
    await iam.send(new CreateGroupCommand({ GroupName: 'fake', Path: '/qa/' }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'fake', PolicyName: 'trueup.dev-owner', PolicyDocument: JSON.stringify(grant) }));
    await git(keep + resource('Group', 'fake', { path: '/qa/' }));
    const conflict = await trueup('plan');
    assert.match(conflict.stdout, /! iam group \/qa\/fake: exists but carries no trueup owner mark/);
    await git(keep + resource('Group', 'fake', { path: '/qa/' }, { 'trueup.dev/adopt': 'true' }));
    const plan = await trueup('plan');
    // The policy going away is shown as its document, every line removed.
    const removed = /~ update {2}group \/qa\/fake {2}iam\.yaml:\d+\n {6}→ adopts it.*\n {6}inlinePolicies\.trueup\.dev-owner:\n((?: {6}- .*\n)+)/.exec(plan.stdout);
    assert.ok(removed?.[1]?.includes('"s3:*"'), plan.stdout);
    await apply();
    const mark = await iam.send(new GetGroupPolicyCommand({ GroupName: 'fake', PolicyName: 'trueup.dev-owner' }));
    assert.match(decodeURIComponent(mark.PolicyDocument ?? ''), /"NotAction":"\*".*group\/trueup\.dev\/owner\/qa/);
    await assertNoChanges();
  });

  it('import writes nothing; the imported group adopts itself once committed: the plan writes the mark, then nothing', async () => {
    const p = await iam.send(new CreatePolicyCommand({ PolicyName: 'web-read', Path: '/qa/web/', PolicyDocument: JSON.stringify(readDoc) }));
    await iam.send(new CreateGroupCommand({ GroupName: 'web-devs', Path: '/qa/web/' }));
    await iam.send(new PutGroupPolicyCommand({ GroupName: 'web-devs', PolicyName: 'read', PolicyDocument: JSON.stringify(readDoc) }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'web-devs', PolicyArn: p.Policy?.Arn }));
    const imported = await trueup('import', '--provider', 'iam', '/qa/web/', '--out', join(dir, 'resources', 'imported.yaml'));
    assert.equal(imported.code, 0, imported.stderr);
    const yaml = await readFile(join(dir, 'resources', 'imported.yaml'), 'utf8');
    assert.match(yaml, /kind: Group\nmetadata:\n {2}name: web-devs\n {2}annotations:\n {4}trueup\.dev\/adopt: "true"/);
    assert.equal(await exists(() => iam.send(new GetGroupPolicyCommand({ GroupName: 'web-devs', PolicyName: 'trueup.dev-owner' }))), false, 'import wrote no mark');
    const plan = await trueup('plan');
    assert.match(plan.stdout, /~ update {2}group \/qa\/web\/web-devs.*\n {6}→ adopts it/);
    await apply();
    assert.equal(await exists(() => iam.send(new GetGroupPolicyCommand({ GroupName: 'web-devs', PolicyName: 'trueup.dev-owner' }))), true);
    await assertNoChanges();
  });

  it('CreateGroup meeting an unmarked group outside the scopes fails saying how to adopt it', async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'stray', Path: '/elsewhere/' }));
    await git(keep + resource('Group', 'stray', { path: '/qa/' }));
    const result = await trueup('apply', '--auto-approve');
    assert.equal(result.code, 4, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /group \/qa\/stray: CreateGroup: already exists and carries no trueup owner mark; .*trueup import.*group\/stray.*trueup\.dev\/adopt: "true".*It lives under path \/elsewhere\//);
  });
});
