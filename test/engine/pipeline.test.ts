// The pipeline end to end with the in-memory provider: scopes, ownership, safety, binding,
// invalid revisions, checksums and secret masking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safetySchema } from '../../src/config/schema.ts';
import { applyPrepared, preparePlan, PlanRefusedError, type PlanRequest } from '../../src/engine/pipeline.ts';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { InvalidRevisionError } from '../../src/load/issues.ts';
import { silentLogger } from '../../src/report/log.ts';
import { MemoryApi, memoryProvider } from '../support/memory-provider.ts';

const item = (name: string, value: unknown, bucket = 'team', extra = '') =>
  `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name}${extra} }\nspec: { bucket: ${bucket}, value: ${JSON.stringify(value)} }\n`;

function setup(options: { types?: string[] } = {}) {
  const api = new MemoryApi();
  const definitions = (options.types ?? ['memory']).map((t) => memoryProvider(api, t));
  const registry = new ProviderRegistry(definitions);
  const instances = new Map<string, InstanceEntry>(definitions.map((d) => [d.type, { name: d.type, definition: d, instance: d.create({}, { instance: d.type }) }]));
  let n = 0;
  const request = (yaml: string, extra: Partial<PlanRequest> = {}): PlanRequest => ({
    source: 'src', ownerId: 'me', revision: { id: `r${++n}`, description: `r${n}`, files: [{ path: 'x.yaml', content: yaml }] },
    catalog: registry.catalog(), instances, scopes: { memory: ['bucket/team'] }, safety: safetySchema.parse({}), log: silentLogger(), ...extra,
  });
  return { api, request };
}

describe('the plan/apply pipeline', () => {
  it('never touches objects outside the source scopes, declared or live', async () => {
    const { api, request } = setup();
    api.items.set('item/ops/x', { bucket: 'ops', name: 'x', value: 1, owner: 'me' });
    const prepared = await preparePlan(request(item('a', 1) + item('b', 2, 'ops')));
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.action} ${c.display}`), ['create team/a']);
    assert.equal(prepared.plan.conflicts.length, 1);
    assert.match(prepared.plan.conflicts[0]?.reason ?? '', /scope bucket\/ops is not allowed for source src \(allowed: bucket\/team\)/);
    await applyPrepared(prepared);
    assert.equal(api.items.get('item/ops/x')?.value, 1, 'out-of-scope owned object untouched');
    assert.equal(api.items.has('item/ops/b'), false);
  });

  it('refuses to delete anything for a revision that declares nothing', async () => {
    const { api, request } = setup();
    api.items.set('item/team/a', { bucket: 'team', name: 'a', value: 1, owner: 'me' });
    const prepared = await preparePlan(request(''));
    assert.equal(prepared.plan.summary.delete, 1);
    assert.match(prepared.plan.refusals[0] ?? '', /declares no resources/);
    await assert.rejects(applyPrepared(prepared), PlanRefusedError);
    assert.ok(api.items.has('item/team/a'));
  });

  it('refuses deletes over the threshold unless forced', async () => {
    const { api, request } = setup();
    for (let i = 0; i < 10; i++) api.items.set(`item/team/i${i}`, { bucket: 'team', name: `i${i}`, value: i, owner: 'me' });
    const keep = Array.from({ length: 6 }, (_, i) => item(`i${i}`, i)).join('');
    const refused = await preparePlan(request(keep));
    assert.match(refused.plan.refusals.join('\n'), /memory bucket\/team: too many deletes, 40\.00% is over 30\.00% \(4\/10\)/);
    await assert.rejects(applyPrepared(refused), PlanRefusedError);
    assert.equal(api.items.size, 10);
    const forced = await preparePlan(request(keep, { force: true }));
    const result = await applyPrepared(forced);
    assert.equal(result.applied, 4);
    assert.equal(api.items.size, 6);
  });

  it('rejects an invalid revision before observing anything', async () => {
    const { api, request } = setup();
    api.items.set('item/team/a', { bucket: 'team', name: 'a', value: 1, owner: 'me' });
    await assert.rejects(preparePlan(request(`${item('a', 'invalid-for-provider')}---\nkind: Item\n`)), (error: unknown) => {
      assert.ok(error instanceof InvalidRevisionError);
      assert.equal(error.issues.length, 3, 'load and provider problems reported together');
      assert.ok(error.issues.some((i) => i.field === 'spec.value' && i.message === 'the provider rejects this value' && i.line === 5));
      return true;
    });
    assert.deepEqual(api.calls, [], 'no API call for an invalid revision');
  });

  it('asks which instance when several could take a resource, and honours metadata.provider', async () => {
    const { api, request } = setup({ types: ['memory', 'memory-b'] });
    const scopes = { memory: ['bucket/team'], 'memory-b': ['bucket/team'] };
    await assert.rejects(preparePlan(request(item('a', 1), { scopes })), /could go to memory, memory-b: set metadata.provider/);
    const prepared = await preparePlan(request(item('a', 1, 'team', ', provider: [memory, memory-b]'), { scopes }));
    assert.deepEqual(prepared.plan.changes.map((c) => `${c.provider} ${c.action}`), ['memory create', 'memory-b create']);
    assert.equal(api.calls.length, 2);
  });

  it('gives the same checksum for the same changes and masks secrets in the plan', async () => {
    const { request } = setup();
    const a = await preparePlan(request(item('a', { secret: 'hunter2', public: 1 })));
    const b = await preparePlan(request(item('a', { secret: 'hunter2', public: 1 }), { revision: { id: 'r1', description: 'r1', files: [{ path: 'x.yaml', content: item('a', { secret: 'hunter2', public: 1 }) }] } }));
    const c = await preparePlan(request(item('a', { secret: 'other', public: 1 }), { revision: { id: 'r1', description: 'r1', files: [{ path: 'x.yaml', content: item('a', { secret: 'other', public: 1 }) }] } }));
    assert.equal(a.plan.revision, 'r1');
    assert.equal(a.plan.checksum, b.plan.checksum);
    assert.notEqual(a.plan.checksum, c.plan.checksum, 'a different secret is a different plan');
    assert.ok(!JSON.stringify(a.plan).includes('hunter2'), 'the secret never appears in the plan');
    assert.ok(JSON.stringify(a.plan).includes('(sensitive)'));
  });

  it('reports an observe failure as a transient plan error instead of planning deletions', async () => {
    const { api, request } = setup();
    api.items.set('item/team/a', { bucket: 'team', name: 'a', value: 1, owner: 'me' });
    api.failNext = 1;
    const prepared = await preparePlan(request(item('b', 1)));
    assert.deepEqual(prepared.plan.changes, []);
    assert.equal(prepared.plan.errors.length, 1);
    assert.equal(prepared.plan.errors[0]?.transient, true);
    assert.match(prepared.plan.errors[0]?.message ?? '', /Throttling/);
  });
});
