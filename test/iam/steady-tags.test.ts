// Policy tags in the daemon (steady observes): an unchanged policy's tags are reused instead of
// one ListPolicyTags per policy per pass, the CLI (exact) still reads them all, and a write never
// rests on cached tags: a policy whose owner tag was removed by hand between passes is not touched.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetPolicyCommand, UntagPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { applyPrepared } from '../../src/engine/pipeline.ts';
import { doc, driver, rawClient, startMoto, testSettings, type Moto } from './support.ts';

const ACCOUNT = '123456789012';
const policy = (name: string, action: string) => doc('Policy', name, { path: '/trueup/', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [action], Resource: ['*'] }] } });
const revision = (p1: string, p2: string) => policy('p1', p1) + policy('p2', p2) + policy('p3', 's3:GetObject');

describe('IAM policy tags in steady state', () => {
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

  it('reuses unchanged tags in the daemon, and re-reads them before a write', async () => {
    const d = driver(testSettings(moto));
    const yaml = revision('s3:GetObject', 's3:GetObject');
    await d.converge(yaml);
    const tagCalls = async (freshness: 'exact' | 'steady', text = yaml) => {
      d.calls.clear();
      const prepared = await d.plan(text, { freshness });
      return { prepared, calls: d.calls.get('ListPolicyTags') ?? 0 };
    };
    assert.equal((await tagCalls('steady')).calls, 3, 'a first daemon pass reads every policy\'s tags');
    const steady = await tagCalls('steady');
    assert.equal(steady.calls, 0, 'unchanged policies: no ListPolicyTags');
    assert.deepEqual(steady.prepared.plan.changes, []);
    assert.equal((await tagCalls('exact')).calls, 3, 'the CLI reads them all');

    // Someone removes trueup's owner tag from p1 by hand; Git changes p1 and p2.
    await iam.send(new UntagPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/trueup/p1`, TagKeys: ['trueup.dev/owner'] }));
    const changed = revision('s3:PutObject', 's3:PutObject');
    const { prepared } = await tagCalls('steady', changed);
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.display}`).sort(), ['update policy /trueup/p1', 'update policy /trueup/p2'], 'planned on the cached proof');
    const result = await applyPrepared(prepared);
    const byName = new Map(result.reports.map((r) => [r.change.display, r]));
    assert.equal(byName.get('policy /trueup/p2')?.status, 'applied');
    assert.equal(byName.get('policy /trueup/p1')?.status, 'failed');
    assert.match(byName.get('policy /trueup/p1')?.error?.message ?? '', /no longer carries this source's owner tag/);
    const p1 = await iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/trueup/p1` }));
    assert.equal(p1.Policy?.DefaultVersionId, 'v1', 'p1 was not touched');
    const p2 = await iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/trueup/p2` }));
    assert.equal(p2.Policy?.DefaultVersionId, 'v2');
  });
});
