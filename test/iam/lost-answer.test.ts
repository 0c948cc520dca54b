// A create IAM applied whose answer was lost (the connection dropped after moto answered): the
// retry gets EntityAlreadyExists. What exists carries this source's owner tag under the declared
// path, so it is the create itself: adopted and finished (docs/iam.md), not a failure.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { doc, driver, startMoto, testSettings, type Moto } from './support.ts';

const trust = { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' } };
const policyDoc = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' } };

describe('IAM: a lost answer to a create is not a failure', () => {
  let moto: Moto;
  let proxy: FaultProxy;
  before(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
  });
  after(async () => {
    await proxy.stop();
    await moto.stop();
  });

  for (const [action, yaml] of [
    ['CreateRole', doc('Role', 'lost-role', { path: '/trueup/', assumeRolePolicy: trust, inlinePolicies: { read: policyDoc } })],
    ['CreatePolicy', doc('Policy', 'lost-policy', { path: '/trueup/', document: policyDoc })],
  ] as const) {
    it(`${action}: applied, retried, EntityAlreadyExists → adopted and finished; the next plan is empty`, async () => {
      const d = driver({ ...testSettings(moto), endpoint: proxy.endpoint });
      proxy.dropNext(1, action);
      proxy.actions.length = 0;
      const result = await applyPrepared(await d.plan(yaml));
      assert.ok(result.reports.length > 0);
      assert.deepEqual(result.reports.filter((r) => r.status !== 'applied').map((r) => `${r.change.display}: ${r.error?.message}`), []);
      assert.equal(proxy.actions.filter((a) => a === action).length, 2, 'the dropped call and its retry');
      assert.deepEqual(await d.changes(yaml), []);
    });
  }

  it('DeleteRole: applied, its answer lost, retried, NoSuchEntity → counts as done; the next plan is empty', async () => {
    const d = driver({ ...testSettings(moto), endpoint: proxy.endpoint });
    const yaml = doc('Role', 'lost-delete', { path: '/trueup/', assumeRolePolicy: trust });
    await d.converge(yaml);
    proxy.dropNext(1, 'DeleteRole');
    proxy.actions.length = 0;
    const result = await applyPrepared(await d.plan(''));
    assert.deepEqual(result.reports.map((r) => `${r.change.action} ${r.status} ${r.error?.message ?? ''}`.trim()), ['delete applied']);
    assert.equal(proxy.actions.filter((a) => a === 'DeleteRole').length, 2, 'the dropped call and its retry');
    assert.deepEqual(await d.changes(''), []);
  });
});
