// The provider conformance suite. Every built-in provider runs it, and so can any plugin author:
//
//   import { runProviderConformance } from 'trueup/sdk/conformance';
//   runProviderConformance({ provider, setup: async () => ({ settings, scopes, fixtures, ... }) });
//
// It drives the provider through trueup's real pipeline (load → bind → observe → plan → apply),
// against whatever API `setup` points it at (an emulator, a sandbox account), and checks what a
// user would notice: creates converge, a second plan is empty, drift is seen and corrected,
// deletes happen, objects trueup does not own are left alone, errors are classified.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProviderRegistry } from '../engine/registry.ts';
import { applyPrepared, preparePlan, type PreparedPlan } from '../engine/pipeline.ts';
import type { InstanceEntry } from '../engine/instances.ts';
import { safetySchema } from '../config/schema.ts';
import { silentLogger } from '../report/log.ts';
import type { ProviderDefinition } from '../sdk/index.ts';

export interface ConformanceFixtures {
  /** Resources (YAML) to create from nothing. */
  create: string;
  /** The same resources with at least one value changed. */
  update: string;
  /** `update` with at least one resource (or part of one) removed. */
  remove: string;
  /** Resources that pass the schema but that the API rejects (terminal error), beside valid ones. */
  rejected: string;
}

export interface ConformanceEnvironment<Settings> {
  settings: Settings;
  /** Scope patterns the test source may touch. */
  scopes: string[];
  fixtures: ConformanceFixtures;
  /** Change, through the API and behind trueup's back, something `create` made. */
  drift(): Promise<void>;
  /** Create, through the API, an object in the allowed scopes that trueup does not own.
   * Returns a check that it still exists unchanged. */
  createUnowned(): Promise<() => Promise<boolean>>;
  /**
   * Make the API fail transiently (throttling, 5xx), so that the engine sees the failure once the
   * client's own retries give up (a fault-injecting proxy in front of the API is the usual way).
   * The kit then plans once and expects a transient error, and then expects the next pass to
   * converge. Two ways to get that right:
   * - return a function that ends the fault: the API may fail every request until it is called,
   *   and the kit calls it before the next pass (the simplest rule);
   * - or return nothing and fail exactly as many requests as the client attempts for one call
   *   (its retries included): fewer and a retry hides the failure, more and the next pass fails too.
   */
  injectTransientFailure(): Promise<void | (() => Promise<void> | void)>;
  teardown?(): Promise<void>;
}

export interface ConformanceOptions<Settings> {
  provider: ProviderDefinition<Settings>;
  setup(): Promise<ConformanceEnvironment<Settings>>;
  /** Name shown in the test report (default: the provider type). */
  name?: string;
  ownerId?: string;
}

export function runProviderConformance<Settings>(options: ConformanceOptions<Settings>): void {
  const ownerId = options.ownerId ?? 'conformance';
  describe(`provider conformance: ${options.name ?? options.provider.type}`, () => {
    let env: ConformanceEnvironment<Settings>;
    let entry: InstanceEntry;
    const registry = new ProviderRegistry([options.provider as ProviderDefinition]);
    let revision = 0;

    const plan = async (yaml: string): Promise<PreparedPlan> => {
      revision += 1;
      return preparePlan({
        source: 'conformance',
        ownerId,
        revision: { id: `r${revision}`, description: `fixture r${revision}`, files: [{ path: 'resources.yaml', content: yaml }] },
        catalog: registry.catalog(),
        instances: new Map([[entry.name, entry]]),
        scopes: { [entry.name]: env.scopes },
        safety: safetySchema.parse({ minExisting: 1_000_000 }),
        force: true,
        log: silentLogger(),
      });
    };
    const converge = async (yaml: string) => {
      const prepared = await plan(yaml);
      assert.deepEqual(prepared.plan.errors, [], 'observe must succeed');
      assert.deepEqual(prepared.plan.conflicts, [], 'no conflicts expected');
      const result = await applyPrepared(prepared);
      const failures = result.reports.filter((r) => r.status !== 'applied').map((r) => `${r.change.display}: ${r.error?.message}`);
      assert.deepEqual(failures, [], 'every change applies');
      return prepared;
    };
    const assertEmpty = async (yaml: string, why: string) => {
      const again = await plan(yaml);
      assert.deepEqual(again.plan.errors, []);
      assert.deepEqual(again.plan.changes.map((c) => `${c.action} ${c.display} ${JSON.stringify(c.diffs)}`), [], why);
    };

    before(async () => {
      env = await options.setup();
      entry = { name: 'under-test', definition: options.provider as ProviderDefinition, instance: options.provider.create(env.settings, { instance: 'under-test' }) };
    });
    after(async () => {
      await entry?.instance.close?.();
      await env?.teardown?.();
    });

    it('creates what is declared, and a second plan is empty', async () => {
      const first = await plan(env.fixtures.create);
      assert.ok(first.plan.changes.length > 0, 'the create fixture must plan changes');
      assert.ok(first.plan.changes.every((c) => c.action === 'create'), 'from nothing, only creates');
      await converge(env.fixtures.create);
      await assertEmpty(env.fixtures.create, 'after apply, planning the same revision again finds nothing to do');
    });

    it('updates what changed in Git, and only that', async () => {
      const prepared = await plan(env.fixtures.update);
      assert.ok(prepared.plan.changes.length > 0, 'the update fixture must plan changes');
      await converge(env.fixtures.update);
      await assertEmpty(env.fixtures.update, 'after an update, a second plan is empty');
    });

    it('detects drift made behind its back and corrects it', async () => {
      await env.drift();
      const prepared = await plan(env.fixtures.update);
      assert.ok(prepared.plan.changes.length > 0, 'drift must show up in the plan');
      assert.ok(prepared.plan.changes.every((c) => c.action === 'update' || c.action === 'replace' || c.action === 'create'), 'drift is corrected, not deleted');
      await converge(env.fixtures.update);
      await assertEmpty(env.fixtures.update, 'after correcting drift, a second plan is empty');
    });

    it('leaves objects it does not own alone', async () => {
      const intact = await env.createUnowned();
      await assertEmpty(env.fixtures.update, 'an unowned object must not appear in the plan');
      assert.equal(await intact(), true, 'the unowned object is untouched');
    });

    it('deletes what was removed from Git, and leaves unowned objects', async () => {
      const intact = await env.createUnowned();
      const prepared = await plan(env.fixtures.remove);
      assert.ok(prepared.plan.changes.some((c) => c.action === 'delete'), 'removing a resource plans a delete');
      await converge(env.fixtures.remove);
      await assertEmpty(env.fixtures.remove, 'after deleting, a second plan is empty');
      assert.equal(await intact(), true, 'the unowned object survived the delete');
    });

    it('reports a change the API rejects as a terminal error (at plan, or at apply while the rest applies)', async () => {
      const prepared = await plan(env.fixtures.rejected);
      if (prepared.plan.errors.length > 0) {
        // Refused at plan time already (a server-side dry run): better still, nothing is applied.
        for (const e of prepared.plan.errors) {
          assert.equal(e.transient, false, `a rejection is terminal: ${e.message}`);
          assert.ok(e.message.length > 0, 'the API message is reported');
        }
        return;
      }
      const result = await applyPrepared(prepared);
      const failed = result.reports.filter((r) => r.status === 'failed');
      assert.ok(failed.length > 0, 'the rejected fixture must fail somewhere');
      for (const f of failed) {
        assert.equal(f.error?.transient, false, `${f.change.display}: a rejection is terminal: ${f.error?.message}`);
        assert.ok((f.error?.message ?? '').length > 0, 'the API message is reported');
      }
    });

    it('classifies API failures that a retry can fix as transient', async () => {
      const endFault = await env.injectTransientFailure();
      let transient = false;
      try {
        const prepared = await plan(env.fixtures.create);
        transient = prepared.plan.errors.some((e) => e.transient);
        if (!transient) {
          const result = await applyPrepared(prepared);
          transient = result.reports.some((r) => r.status === 'failed' && r.error?.transient === true);
        }
      } catch {
        // an exception from the pipeline is not a classified transient failure: leave it false
      }
      assert.ok(transient, 'an injected throttling/5xx failure is reported as transient (if no error reached the engine, ' +
        'the client retried past it: fail every request until the function injectTransientFailure returns is called)');
      if (typeof endFault === 'function') await endFault();
      // and the next pass heals
      try {
        await converge(env.fixtures.create);
      } catch (error) {
        throw new Error('the next pass after a transient failure must converge; if it failed with the injected fault, the fault ' +
          'outlived one pass: return a function from injectTransientFailure that ends it', { cause: error });
      }
      await assertEmpty(env.fixtures.create, 'the next pass after a transient failure converges');
    });
  });
}
