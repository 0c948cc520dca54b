// The reconcile loop, in process, against the in-memory provider through a plugin and a local
// directory source: apply, idle passes, invalid revisions, drift, detect and approve modes,
// safety refusals, retries with backoff, notifications' de-duplication.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SourceStatus } from '../../src/controller/status.ts';
import type { ControllerEvent } from '../../src/controller/events.ts';
import { backoff, jittered } from '../../src/controller/schedule.ts';
import { config, harness, item, waitFor, type Harness } from './harness.ts';

const cond = (s: SourceStatus, type: string) => s.conditions.find((c) => c.type === type);

describe('schedule', () => {
  it('jitters the interval by at most ±5%', () => {
    assert.equal(jittered(60_000, () => 0), 57_000);
    assert.equal(jittered(60_000, () => 1), 63_000);
    for (let i = 0; i < 100; i += 1) {
      const v = jittered(60_000);
      assert.ok(v >= 57_000 && v <= 63_000, String(v));
    }
  });

  it('backs off exponentially from retryInterval, capped at the interval', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 20].map((n) => backoff(n, 30_000, 300_000)), [30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
  });
});

describe('reconcile loop', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('applies a revision, then an idle pass of an unchanged source plans nothing', async () => {
    await h.write({ 'a.yaml': item('a', 'one') + item('b', 'two') });
    const d = await h.daemon(config());
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('first pass', () => source.status.history[0]);
    assert.equal(source.status.history[0]?.result, 'applied');
    assert.deepEqual(source.status.history[0]?.changes, { create: 2, update: 0, replace: 0, delete: 0 });
    assert.equal(cond(source.status, 'Ready')?.status, 'True');
    assert.match(source.status.lastAppliedRevision ?? '', /^sha256:/);
    assert.equal((await h.items()).get('item/team/a')?.value, 'one');

    const calls = (await d.metrics.text()).match(/trueup_cloud_api_requests_total\{[^}]*operation="list"[^}]*\} (\d+)/)?.[1];
    source.trigger(false);
    await waitFor('idle pass', async () => /trueup_reconcile_total\{source="team",lane="git",result="unchanged"\} 1/.test(await d.metrics.text()));
    const after = (await d.metrics.text()).match(/trueup_cloud_api_requests_total\{[^}]*operation="list"[^}]*\} (\d+)/)?.[1];
    assert.equal(after, calls, 'an unchanged source costs no cloud API call');
    assert.equal(source.status.history.length, 1, 'idle passes do not crowd the history');
    assert.ok(h.logs.some((l) => /Reconciliation finished in [\d.]+m?s \(applied, 2 create at sha256:[0-9a-f]+\), next run in \d/.test(l)), 'summary log line');
  });

  it('says in Ready when declared objects are left alone (not owned), and never touches them', async () => {
    await h.setItems(new Map([['item/team/hand', { bucket: 'team', name: 'hand', value: 'made by hand' }]]));
    await h.write({ 'a.yaml': item('a', 'one') + item('hand', 'from git') });
    const d = await h.daemon(config());
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('first pass', () => source.status.history[0]);
    assert.equal(cond(source.status, 'Ready')?.status, 'True');
    assert.match(cond(source.status, 'Ready')?.message ?? '', /; 1 declared object left alone \(not owned or out of scope: see the last plan\)$/);
    assert.deepEqual(source.status.lastPlan?.conflicts.map((c) => c.display), ['team/hand']);
    assert.equal((await h.items()).get('item/team/hand')?.value, 'made by hand');
  });

  it('never applies an invalid revision: the last applied one stays in force, Stalled says why', async () => {
    await h.write({ 'a.yaml': item('a', 'one') + item('b', 'two') });
    const d = await h.daemon(config());
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('applied', () => source.status.lastAppliedRevision);
    const good = source.status.lastAppliedRevision;
    // The broken file would also drop `b`: an invalid revision must never turn into deletions.
    await h.write({ 'a.yaml': `${item('a', 'two')}---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: c }\nspec: { bucket: team, valu: 3 }\n` });
    source.trigger(false);
    await waitFor('stalled', () => cond(source.status, 'Stalled')?.status === 'True');
    const stalled = cond(source.status, 'Stalled');
    assert.equal(stalled?.reason, 'InvalidRevision');
    assert.match(stalled?.message ?? '', /a\.yaml:\d+:\d+: spec/);
    assert.match(stalled?.message ?? '', /stays in force/);
    assert.equal(cond(source.status, 'Ready')?.status, 'False');
    assert.equal(source.status.lastAppliedRevision, good);
    assert.notEqual(source.status.lastAttemptedRevision, good);
    const items = await h.items();
    assert.equal(items.get('item/team/a')?.value, 'one');
    assert.ok(items.has('item/team/b'));

    // Fixing the file recovers.
    await h.write({ 'a.yaml': item('a', 'two') + item('b', 'two') });
    source.trigger(false);
    await waitFor('recovered', () => cond(source.status, 'Ready')?.status === 'True');
    assert.equal(cond(source.status, 'Stalled')?.status, 'False');
    assert.equal((await h.items()).get('item/team/a')?.value, 'two');
  });

  it('drift checks correct drift in apply mode without a new revision', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const d = await h.daemon(config({ driftInterval: '300ms' }));
    const source = d.controller.get('team');
    const events: ControllerEvent[] = [];
    d.controller.onEvent((e) => events.push(e));
    await d.start(false);
    await waitFor('applied', () => source.status.lastAppliedRevision);
    const items = await h.items();
    const a = items.get('item/team/a');
    assert.ok(a);
    a.value = 'changed by hand';
    await h.setItems(items);
    await waitFor('drift corrected', async () => (await h.items()).get('item/team/a')?.value === 'one');
    await waitFor('drift status', () => source.status.drift?.corrected);
    assert.equal(source.status.drift?.changes[0]?.display, 'team/a');
    assert.ok(events.some((e) => e.type === 'drift' && e.corrected));
    assert.match(await d.metrics.text(), /trueup_drift_detected_total\{source="team",instance="mem"\} 1/);
    assert.match(await d.metrics.text(), /trueup_updates_issued_total\{source="team",instance="mem"\} 1/);
  });

  it('detect mode reports differences and drift but changes nothing', async () => {
    await h.setItems(new Map([['item/team/a', { bucket: 'team', name: 'a', value: 'live', owner: 'team' }]]));
    await h.write({ 'a.yaml': item('a', 'declared') });
    const d = await h.daemon(config({ mode: 'detect', driftInterval: '300ms' }));
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('first pass', () => source.status.history[0]);
    assert.equal(source.status.history[0]?.result, 'drift');
    assert.equal(cond(source.status, 'Ready')?.reason, 'DriftDetected');
    await waitFor('a drift check', () => source.status.history.some((p) => p.lane === 'drift'));
    assert.equal(source.status.drift?.corrected, false);
    assert.equal((await h.items()).get('item/team/a')?.value, 'live');
    assert.equal(source.status.lastAppliedRevision, undefined);
  });

  it('approve mode waits for that plan id; a new revision supersedes the pending plan', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const d = await h.daemon(config({ mode: 'approve' }));
    const source = d.controller.get('team');
    await d.start(false);
    const first = await waitFor('pending plan', () => source.status.pendingPlan);
    assert.equal(cond(source.status, 'Ready')?.reason, 'AwaitingApproval');
    assert.match(cond(source.status, 'Ready')?.message ?? '', new RegExp(`trueup approve team --plan ${first.id}`));
    assert.equal((await h.items()).size, 0, 'nothing applied before approval');

    await h.write({ 'a.yaml': item('a', 'one') + item('b', 'two') });
    source.trigger(false);
    const second = await waitFor('new pending plan', () => source.status.pendingPlan?.id !== first.id && source.status.pendingPlan);
    await assert.rejects(source.approve(first.id, false), /superseded by plan/);
    assert.equal((await h.items()).size, 0);

    // Two approvals at once (a double click): one applies, the other is refused.
    const [first2, other] = await Promise.allSettled([source.approve(second.id, false), source.approve(second.id, false)]);
    assert.equal(first2.status === 'fulfilled' && first2.value.result, 'applied');
    assert.match(other.status === 'rejected' ? String(other.reason) : '', /already running/);
    assert.equal((await h.items()).size, 2);
    await assert.rejects(source.approve(second.id, false), /has no plan waiting for approval/);
    assert.equal(source.status.pendingPlan, undefined);
    assert.equal(cond(source.status, 'Ready')?.status, 'True');
    assert.equal(source.status.lastAppliedRevision, second.revision);
  });

  it('a plan refused by safety rules stops the pass, says how to force, and applies when approved with force', async () => {
    const many = Array.from({ length: 10 }, (_, i) => item(`i${i}`, i)).join('');
    await h.write({ 'a.yaml': many });
    const d = await h.daemon(config());
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('applied', () => source.status.lastAppliedRevision);
    await h.write({ 'a.yaml': Array.from({ length: 5 }, (_, i) => item(`i${i}`, i)).join('') });
    source.trigger(false);
    await waitFor('refused', () => cond(source.status, 'Stalled')?.reason === 'SafetyRefused');
    const pending = source.status.pendingPlan;
    assert.ok(pending?.needsForce);
    assert.match(cond(source.status, 'Stalled')?.message ?? '', new RegExp(`--plan ${pending.id} --force`));
    assert.equal((await h.items()).size, 10);
    await assert.rejects(source.approve(pending.id, false), /approve it with force/);
    const pass = await source.approve(pending.id, true);
    assert.equal(pass.result, 'applied');
    assert.equal((await h.items()).size, 5);
    assert.equal(cond(source.status, 'Stalled')?.status, 'False');
  });

  it('retries a transient failure with backoff and sends the failure notification once', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    await h.setItems(new Map(), 3);
    const d = await h.daemon(config({ retryInterval: '100ms' }));
    const source = d.controller.get('team');
    const failures: ControllerEvent[] = [];
    d.controller.onEvent((e) => {
      if (e.type === 'failure') failures.push(e);
    });
    await d.start(false);
    await waitFor('recovered', () => source.status.lastAppliedRevision, 15_000);
    const results = source.status.history.map((p) => p.result).reverse();
    assert.deepEqual(results, ['failed', 'failed', 'failed', 'applied']);
    const starts = source.status.history.map((p) => Date.parse(p.startedAt)).reverse();
    // 100ms, 200ms, 400ms between attempts (± scheduling noise).
    assert.ok((starts[3] ?? 0) - (starts[2] ?? 0) >= 350, `third retry waits longer: ${starts.join(',')}`);
    assert.equal(failures.length, 3, 'the controller reports every failed pass');
    assert.equal(d.notifications.suppressed, 2, 'the dispatcher sends the same failure only once');
    assert.match(await d.metrics.text(), /trueup_reconcile_total\{source="team",lane="git",result="failed"\} 3/);
  });

  it('a pass that times out during an apply lets the batch in flight finish and starts no new wave', async () => {
    const dependent = item('a', 'one') + item('b', 'two').replace('value: "two" }', 'value: "two", dependsOn: [a] }');
    await h.write({ 'a.yaml': dependent });
    const journal = `${h.dir}/journal.txt`;
    process.env.TRUEUP_DAEMON_JOURNAL = journal;
    process.env.TRUEUP_DAEMON_APPLY_DELAY_MS = '600';
    try {
      const d = await h.daemon(config({ timeout: '250ms', retryInterval: '100ms' }));
      const source = d.controller.get('team');
      await d.start(false);
      const aborted = await waitFor('timed-out pass', () => source.status.history.find((p) => p.result === 'aborted'));
      assert.match(aborted.message ?? '', /timed out after 250ms/);
      assert.deepEqual(aborted.changes, { create: 1, update: 0, replace: 0, delete: 0 }, 'the batch in flight was applied whole');
      process.env.TRUEUP_DAEMON_APPLY_DELAY_MS = '0';
      await waitFor('retried and applied', () => source.status.lastAppliedRevision, 5000);
      const lines = (await readFile(journal, 'utf8')).trim().split('\n');
      assert.deepEqual(lines.slice(0, 2), ['start item/team/a', 'end item/team/a'], 'no wave started after the timeout');
      assert.ok((await h.items()).has('item/team/b'));
    } finally {
      delete process.env.TRUEUP_DAEMON_JOURNAL;
      delete process.env.TRUEUP_DAEMON_APPLY_DELAY_MS;
    }
  });

  it('a soft stop waits for an approval applying from the API, and the source can start again after it (sharding hands sources back and forth)', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const journal = `${h.dir}/journal.txt`;
    process.env.TRUEUP_DAEMON_JOURNAL = journal;
    try {
      const d = await h.daemon(config({ mode: 'approve' }));
      const source = d.controller.get('team');
      await d.start(false);
      const pending = await waitFor('pending plan', () => source.status.pendingPlan);
      process.env.TRUEUP_DAEMON_APPLY_DELAY_MS = '400';
      const approval = source.approve(pending.id, false);
      await waitFor('the approved batch started', async () => (await readFile(journal, 'utf8').catch(() => '')).includes('start item/team/a'));
      await source.stop();
      // A Lease may be released the moment stop resolves: the approval's batch must be over.
      assert.match(await readFile(journal, 'utf8'), /end item\/team\/a/);
      assert.equal((await approval).result, 'applied');
      process.env.TRUEUP_DAEMON_APPLY_DELAY_MS = '0';
      // Started again, it trusts nothing it saw before: a new revision is planned (and waits for approval).
      await h.write({ 'a.yaml': item('a', 'two') });
      source.start();
      const next = await waitFor('a new pending plan after the restart', () => source.status.pendingPlan?.id !== pending.id && source.status.pendingPlan);
      assert.deepEqual(next.changes.map((c) => c.action), ['update']);
    } finally {
      delete process.env.TRUEUP_DAEMON_JOURNAL;
      delete process.env.TRUEUP_DAEMON_APPLY_DELAY_MS;
    }
  });

  it('a new revision does not wait behind a slow drift check: it aborts it', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const slow = `${h.dir}/slow`;
    const journal = `${h.dir}/journal.txt`;
    process.env.TRUEUP_DAEMON_SLOW_OBSERVE = slow;
    process.env.TRUEUP_DAEMON_JOURNAL = journal;
    try {
      const d = await h.daemon(config({ driftInterval: '300ms' }));
      const source = d.controller.get('team');
      await d.start(false);
      await waitFor('applied', () => source.status.lastAppliedRevision);
      await writeFile(slow, '1');
      await waitFor('a slow drift check in flight', async () => (await readFile(journal, 'utf8').catch(() => '')).includes('slow observe'));
      await h.write({ 'a.yaml': item('a', 'two') });
      const started = Date.now();
      source.trigger(false);
      await waitFor('new revision applied', async () => (await h.items()).get('item/team/a')?.value === 'two', 4000);
      assert.ok(Date.now() - started < 4000, `applied in ${Date.now() - started} ms, not after the 5 s drift check`);
      const drift = await waitFor('aborted drift check', () => source.status.history.find((p) => p.lane === 'drift' && p.result === 'aborted'));
      assert.match(drift.message ?? '', /superseded by a new revision/);
    } finally {
      delete process.env.TRUEUP_DAEMON_SLOW_OBSERVE;
      delete process.env.TRUEUP_DAEMON_JOURNAL;
    }
  });

  it('one failing source never delays another', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const d = await h.daemon(config({ extra: `  - name: broken
    path: no-such-folder
    interval: 1h
    scopes: { mem: ['bucket/other'] }` }));
    await d.start(false);
    const team = d.controller.get('team');
    const broken = d.controller.get('broken');
    await waitFor('both passes', () => team.status.lastAppliedRevision && broken.status.history.length > 0);
    assert.equal(broken.status.conditions.find((c) => c.type === 'Stalled')?.reason, 'SourceFailed');
    assert.match(broken.status.conditions.find((c) => c.type === 'Stalled')?.message ?? '', /no-such-folder does not exist/);
    assert.equal(team.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('reports per-resource apply errors with the file and line, and applies everything else', async () => {
    await h.write({ 'a.yaml': item('good', 'one') + item('bad', 'rejected-by-api') });
    const d = await h.daemon(config({ retryInterval: '1h' }));
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('failed pass', () => source.status.history[0]);
    assert.equal(source.status.history[0]?.result, 'failed');
    assert.equal(cond(source.status, 'Ready')?.reason, 'ApplyFailed');
    assert.equal(source.status.errors.length, 1);
    const error = source.status.errors[0];
    assert.equal(error?.display, 'team/bad');
    assert.equal(error?.action, 'create');
    assert.match(error?.message ?? '', /InvalidValue: the API rejects this value/);
    assert.match(error?.location ?? '', /^a\.yaml:\d+:\d+$/);
    assert.equal(error?.transient, false);
    assert.ok((await h.items()).has('item/team/good'), 'independent resources still applied');
    assert.equal(source.status.lastAppliedRevision, undefined, 'a partly applied revision is not reported as applied');
    assert.match(await d.metrics.text(), /trueup_changes_applied_total\{source="team",instance="mem",action="create",outcome="failed"\} 1/);
  });

  it('drift checks finish a revision whose apply failed part-way, never revert it', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const d = await h.daemon(config({ retryInterval: '1h', driftInterval: '200ms' }));
    const source = d.controller.get('team');
    await d.start(false);
    await waitFor('applied', () => source.status.lastAppliedRevision);
    await h.write({ 'a.yaml': item('a', 'two') + item('bad', 'rejected-by-api') });
    source.trigger(false);
    await waitFor('failed pass', () => source.status.history[0]?.result === 'failed');
    assert.equal((await h.items()).get('item/team/a')?.value, 'two');
    await waitFor('two drift checks', () => source.status.history.filter((p) => p.lane === 'drift').length >= 2);
    assert.equal((await h.items()).get('item/team/a')?.value, 'two', 'not reverted to the previous revision');
    assert.ok(source.status.history.filter((p) => p.lane === 'drift').every((p) => p.revision === source.status.lastAttemptedRevision));
  });

  it('suspend stops passes; resume reconciles at once', async () => {
    await h.write({ 'a.yaml': item('a', 'one') });
    const d = await h.daemon(config());
    const source = d.controller.get('team');
    source.suspend();
    await d.start(false);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(source.status.history.length, 0);
    assert.equal(cond(source.status, 'Ready')?.reason, 'Suspended');
    source.resume();
    await waitFor('applied after resume', () => source.status.lastAppliedRevision);
    assert.equal(source.status.suspended, false);
  });
});
