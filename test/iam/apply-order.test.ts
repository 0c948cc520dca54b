// Real-AWS semantics that moto does not enforce, checked on the wire: moto lets DeletePolicy,
// DeleteGroup and DeleteUser succeed while attached or in use, so the order of the calls trueup
// sends is recorded (a proxy in front of moto reads each request's Action) and asserted. The
// same proxy injects IAM's eventual-consistency and quota errors in their documented format.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AddRoleToInstanceProfileCommand, AttachRolePolicyCommand, CreateInstanceProfileCommand, CreateRoleCommand, GetInstanceProfileCommand,
  ListAttachedRolePoliciesCommand, ListPolicyVersionsCommand, type IAMClient,
} from '@aws-sdk/client-iam';
import { doc, driver, rawClient, startMoto, testSettings, type Moto } from './support.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { applyPrepared } from '../../src/engine/pipeline.ts';

let moto: Moto;
let proxy: FaultProxy;
let iam: IAMClient;
before(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  iam = rawClient(moto);
});
after(async () => {
  iam.destroy();
  await proxy.stop();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.actions.length = 0;
  proxy.requests.length = 0;
});

const settings = () => ({ ...testSettings(moto), endpoint: proxy.endpoint });
const trust = { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' } };
const policyDoc = (action: string) => ({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: action, Resource: '*' } });
const writes = () => proxy.actions.filter((a) => !/^(Get|List)/.test(a));
const before_ = (list: string[], a: string, b: string) => {
  assert.ok(list.includes(a), `${a} was sent`);
  assert.ok(list.includes(b), `${b} was sent`);
  // The prerequisite was sent before the call that needs it (later repeats, e.g. an update of a
  // dependent detaching what is already detached, do not matter).
  assert.ok(list.indexOf(a) < list.indexOf(b), `${a} comes before ${b}: ${list.join(', ')}`);
};

describe('deletion prerequisites, in order', () => {
  it('a policy is detached from every entity and its old versions deleted before DeletePolicy', async () => {
    const d = driver(settings());
    const all = (v: string) => doc('Policy', 'shared', { path: '/trueup/', document: policyDoc(v) }) +
      doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust, managedPolicies: [{ ref: 'shared' }] }) +
      doc('Group', 'devs', { path: '/trueup/', managedPolicies: [{ ref: 'shared' }] }) +
      doc('User', 'bot', { path: '/trueup/', groups: ['devs'], managedPolicies: [{ ref: 'shared' }] });
    await d.converge(all('s3:GetObject'));
    await d.converge(all('s3:PutObject'));
    await d.converge(all('s3:ListBucket'));
    // A role trueup does not manage uses the policy too (AWS: DeletePolicy fails until detached).
    await iam.send(new CreateRoleCommand({ RoleName: 'manual', Path: '/other/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'manual', PolicyArn: 'arn:aws:iam::123456789012:policy/trueup/shared' }));
    proxy.actions.length = 0;
    const remaining = doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust }) + doc('Group', 'devs', { path: '/trueup/' }) +
      doc('User', 'bot', { path: '/trueup/', groups: ['devs'] });
    await d.converge(remaining);
    const sent = writes();
    assert.ok(proxy.actions.includes('ListEntitiesForPolicy'));
    for (const detach of ['DetachRolePolicy', 'DetachUserPolicy', 'DetachGroupPolicy', 'DeletePolicyVersion']) before_(sent, detach, 'DeletePolicy');
    assert.equal(sent.filter((a) => a === 'DeletePolicyVersion').length, 2, 'both non-default versions are deleted');
    const manual = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'manual' }));
    assert.deepEqual(manual.AttachedPolicies, [], 'detached from the unmanaged role too, as DeletePolicy requires');
    assert.deepEqual(await d.changes(remaining), []);
  });

  it('a role leaves its instance profiles and loses its policies before DeleteRole; users leave groups before DeleteUser', async () => {
    const d = driver(settings());
    const yaml = doc('Policy', 'p', { path: '/trueup/', document: policyDoc('s3:GetObject') }) +
      doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust, managedPolicies: [{ ref: 'p' }], inlinePolicies: { x: policyDoc('sqs:*') } }) +
      doc('Group', 'devs', { path: '/trueup/', inlinePolicies: { y: policyDoc('sns:*') } }) +
      doc('User', 'bot', { path: '/trueup/', groups: [{ ref: 'devs' }] });
    await d.converge(yaml);
    // An instance profile trueup does not manage holds the role (AWS: DeleteRole fails until removed).
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'manual', Path: '/other/' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'manual', RoleName: 'app' }));
    proxy.actions.length = 0;
    const rest = doc('Policy', 'keep', { path: '/trueup/', document: policyDoc('s3:GetObject') });
    const prepared = await d.plan(rest);
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.key}`).sort(), ['create policy/keep', 'delete group/devs', 'delete policy/p', 'delete role/app', 'delete user/bot']);
    const result = await applyPrepared(prepared);
    assert.deepEqual(result.reports.filter((r) => r.status !== 'applied').map((r) => r.error?.message), []);
    const sent = writes();
    before_(sent, 'RemoveRoleFromInstanceProfile', 'DeleteRole');
    before_(sent, 'DetachRolePolicy', 'DeleteRole');
    before_(sent, 'DeleteRolePolicy', 'DeleteRole');
    before_(sent, 'DeleteRole', 'DeletePolicy');
    before_(sent, 'RemoveUserFromGroup', 'DeleteUser');
    before_(sent, 'DeleteUser', 'DeleteGroup');
    before_(sent, 'DeleteGroupPolicy', 'DeleteGroup');
    assert.deepEqual(await d.changes(rest), []);
    const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'manual' }));
    assert.deepEqual(profile.InstanceProfile?.Roles, [], 'the unmanaged profile itself is kept');
  });
});

describe('in-place path changes', () => {
  it('a group moves with UpdateGroup NewPath, not by delete and create', async () => {
    const d = driver(settings());
    await d.converge(doc('Group', 'g', { path: '/trueup/a/' }));
    proxy.actions.length = 0;
    proxy.requests.length = 0;
    const prepared = await d.plan(doc('Group', 'g', { path: '/trueup/b/' }));
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.key}`), ['update group/g']);
    await applyPrepared(prepared);
    assert.deepEqual(writes(), ['UpdateGroup']);
    const update = proxy.requests.find((r) => r.get('Action') === 'UpdateGroup');
    assert.equal(update?.get('GroupName'), 'g');
    assert.equal(update?.get('NewPath'), '/trueup/b/');
  });
});

describe('eventual consistency and quotas on the wire', () => {
  it('retries "Invalid principal in policy" on CreateRole, then succeeds', async () => {
    const d = driver(settings());
    proxy.failNext(2, { code: 'MalformedPolicyDocument', message: 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/just-made"', action: 'CreateRole' });
    await d.converge(doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust }));
    assert.equal(proxy.actions.filter((a) => a === 'CreateRole').length, 3);
  });

  it('gives up after the bounded attempts with a terminal error naming the role and the call', async () => {
    const d = driver(settings());
    proxy.failNext(10, { code: 'MalformedPolicyDocument', message: 'Invalid principal in policy', action: 'CreateRole' });
    const prepared = await d.plan(doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust }));
    const result = await applyPrepared(prepared);
    assert.equal(result.reports[0]?.error?.transient, false);
    assert.match(result.reports[0]?.error?.message ?? '', /^role \/trueup\/app: CreateRole: MalformedPolicyDocument: Invalid principal/);
    assert.equal(proxy.actions.filter((a) => a === 'CreateRole').length, 3, 'settings.consistency.attempts bounds the retries');
    proxy.failNext(0, { code: 'x', message: 'x' });
  });

  it('retries NoSuchEntity when attaching a policy created a moment ago', async () => {
    const d = driver(settings());
    await d.converge(doc('Policy', 'p', { path: '/trueup/', document: policyDoc('s3:GetObject') }));
    proxy.failNext(1, { code: 'NoSuchEntity', message: 'Policy does not exist', status: 404, action: 'AttachRolePolicy' });
    const yaml = doc('Policy', 'p', { path: '/trueup/', document: policyDoc('s3:GetObject') }) + doc('Role', 'app', { path: '/trueup/', assumeRolePolicy: trust, managedPolicies: [{ ref: 'p' }] });
    await d.converge(yaml);
    assert.equal(proxy.actions.filter((a) => a === 'AttachRolePolicy').length, 2);
    assert.deepEqual(await d.changes(yaml), []);
  });

  it('a LimitExceeded on CreatePolicyVersion is terminal at once, not retried as throttling', async () => {
    const d = driver(settings());
    await d.converge(doc('Policy', 'p', { path: '/trueup/', document: policyDoc('s3:GetObject') }));
    proxy.failNext(1, { code: 'LimitExceeded', message: 'A managed policy can have up to 5 versions', status: 409, action: 'CreatePolicyVersion' });
    const prepared = await d.plan(doc('Policy', 'p', { path: '/trueup/', document: policyDoc('s3:PutObject') }));
    const result = await applyPrepared(prepared);
    assert.equal(result.reports[0]?.error?.transient, false);
    assert.match(result.reports[0]?.error?.message ?? '', /CreatePolicyVersion: LimitExceeded/);
    assert.equal(proxy.actions.filter((a) => a === 'CreatePolicyVersion').length, 1);
    const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: 'arn:aws:iam::123456789012:policy/trueup/p' }));
    assert.equal(versions.Versions?.length, 1);
  });
});
