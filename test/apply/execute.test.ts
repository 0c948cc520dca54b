import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApplyChange, ChangeAction, ChangeOutcome, ProviderInstance } from '../../src/sdk/index.ts';
import { WriteFencedError } from '../../src/sdk/index.ts';
import { executeChanges } from '../../src/apply/execute.ts';
import { orderChanges } from '../../src/apply/order.ts';
import { silentLogger } from '../../src/report/log.ts';

const change = (provider: string, key: string, action: ChangeAction, dependsOn: string[] = []): ApplyChange =>
  ({ provider, key, action, type: 't', display: key, scope: 's', diffs: [], dependsOn });

function recordingInstance(log: string[][], fail: Set<string> = new Set()): ProviderInstance {
  return {
    expand: () => ({ objects: [], issues: [] }),
    observe: async () => ({ objects: [] }),
    apply: async (changes) => {
      log.push(changes.map((c) => `${c.action} ${c.key}`));
      return changes.map((c): ChangeOutcome => (fail.has(c.key)
        ? { key: c.key, status: 'failed', error: { message: `${c.key} rejected`, transient: false } }
        : { key: c.key, status: 'applied' }));
    },
  };
}

const ctx = { log: silentLogger(), ownerId: 'o', instance: 'i', signal: new AbortController().signal, recordApiCall: () => {}, progress: () => {}, beforeWrite: () => {} };

describe('apply ordering and execution', () => {
  it('creates dependencies first and deletes dependents first', () => {
    const { waves } = orderChanges([
      change('p', 'attachment', 'create', ['role', 'policy']),
      change('p', 'role', 'create'),
      change('p', 'policy', 'create'),
      change('p', 'old-attachment', 'delete', ['old-role']),
      change('p', 'old-role', 'delete'),
    ]);
    assert.deepEqual(waves.map((w) => w.map((c) => c.key).sort()), [['old-attachment', 'policy', 'role'], ['attachment', 'old-role']]);
  });

  it('puts a change in the wave after its last prerequisite, keeps input order in a wave, and a cycle last', () => {
    const { waves } = orderChanges([
      change('p', 'c', 'create', ['b']),
      change('p', 'x', 'create', ['y']),
      change('p', 'b', 'create', ['a']),
      change('p', 'y', 'create', ['x']),
      change('p', 'a', 'create'),
      change('p', 'd', 'create', ['a', 'c']),
      change('p', 'z', 'create', ['x']),
      change('p', 'e', 'create'),
    ]);
    assert.deepEqual(waves.map((w) => w.map((c) => c.key)), [['a', 'e'], ['b'], ['c'], ['d'], ['x', 'y', 'z']]);
  });

  it('batches each wave per provider instance and blocks only the dependents of a failure', async () => {
    const calls: string[][] = [];
    const instance = recordingInstance(calls, new Set(['role']));
    const reports = await executeChanges({
      changes: [change('p', 'role', 'create'), change('p', 'policy', 'create'), change('p', 'attachment', 'create', ['role']), change('p', 'other', 'update', ['policy'])],
      instances: new Map([['p', { instance, ctx }]]),
    });
    assert.deepEqual(calls, [['create role', 'create policy'], ['update other']]);
    const status = Object.fromEntries(reports.map((r) => [r.change.key, r.status]));
    assert.deepEqual(status, { role: 'failed', policy: 'applied', attachment: 'skipped', other: 'applied' });
    assert.match(reports.find((r) => r.change.key === 'attachment')?.error?.message ?? '', /depends on role, which did not apply/);
  });

  it('fences every batch: once the fence refuses, the provider is not called and the changes fail with its error', async () => {
    const calls: string[][] = [];
    let fenced = false;
    const fencing = { ...ctx, beforeWrite: (operation: string) => {
      if (fenced) throw new WriteFencedError('lease of source s not renewed since 2026-01-01T00:00:00.000Z; another replica may hold it', { operation });
    } };
    const instance: ProviderInstance = { ...recordingInstance(calls), apply: async (cs) => {
      calls.push(cs.map((c) => c.key));
      fenced = true; // the lease expires while the first batch runs
      return cs.map((c): ChangeOutcome => ({ key: c.key, status: 'applied' }));
    } };
    const reports = await executeChanges({ changes: ['a', 'b'].map((k) => change('p', k, 'create')), instances: new Map([['p', { instance, ctx: fencing, maxBatch: 1 }]]), concurrency: 1 });
    assert.deepEqual(calls, [['a']]);
    assert.deepEqual(reports.map((r) => [r.change.key, r.status, r.error?.message]), [
      ['a', 'applied', undefined],
      ['b', 'failed', 'apply: lease of source s not renewed since 2026-01-01T00:00:00.000Z; another replica may hold it'],
    ]);
  });

  it('splits batches by the provider maxBatch and reports a thrown error on every change of the batch', async () => {
    const calls: string[][] = [];
    const throwing: ProviderInstance = { ...recordingInstance(calls), apply: async (cs) => { calls.push(cs.map((c) => c.key)); throw new Error('connection reset'); } };
    const reports = await executeChanges({
      changes: ['a', 'b', 'c'].map((k) => change('p', k, 'create')),
      instances: new Map([['p', { instance: throwing, ctx, maxBatch: 2 }]]),
    });
    assert.deepEqual(calls, [['a', 'b'], ['c']]);
    assert.ok(reports.every((r) => r.status === 'failed' && r.error?.message === 'connection reset'));
  });

  it('starts no new wave once shutdown is signalled', async () => {
    const calls: string[][] = [];
    const controller = new AbortController();
    const instance: ProviderInstance = { ...recordingInstance(calls), apply: async (cs) => { controller.abort(); return recordingInstance(calls).apply(cs, ctx); } };
    const reports = await executeChanges({
      changes: [change('p', 'a', 'create'), change('p', 'b', 'create', ['a'])],
      instances: new Map([['p', { instance, ctx }]]),
      signal: controller.signal,
    });
    assert.deepEqual(calls, [['create a']]);
    assert.equal(reports.find((r) => r.change.key === 'b')?.status, 'skipped');
  });
});
