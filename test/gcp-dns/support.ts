// Test support for the Cloud DNS provider: the emulator, provider settings pointing at it, and
// plan/apply through the real engine pipeline with any set of provider instances (Cloud DNS
// alone, or beside Route 53 for multi-provider zones), counting API calls per operation.

import { ProviderRegistry } from '../../src/engine/registry.ts';
import { applyPrepared, preparePlan, type ApplyResult, type PreparedPlan } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { safetySchema, type SafetyPolicy } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { ProviderDefinition } from '../../src/sdk/index.ts';
import gcpProvider from '../../providers/gcp-dns/index.ts';
import { settingsSchema, type GcpDnsSettings } from '../../providers/gcp-dns/settings.ts';

export function gcpSettings(apiEndpoint: string, project: string, extra: Record<string, unknown> = {}): GcpDnsSettings {
  return settingsSchema.parse({ project, apiEndpoint, rateLimit: 1000, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
}

export interface InstanceSpec {
  name: string;
  provider: ProviderDefinition;
  settings: unknown;
  scopes?: string[];
}

export interface Harness {
  entries: Map<string, InstanceEntry>;
  /** API calls per `instance operation outcome`, since the last `resetCalls`. */
  calls: Map<string, number>;
  resetCalls(): void;
  callCount(instance: string, operation?: string): number;
  plan(yaml: string, options?: { safety?: Partial<SafetyPolicy>; force?: boolean; ownerId?: string }): Promise<PreparedPlan>;
  apply(prepared: PreparedPlan): Promise<ApplyResult>;
  /** Plan and apply; throws when the plan has errors or conflicts or anything failed. */
  converge(yaml: string, options?: { ownerId?: string }): Promise<PreparedPlan>;
  close(): Promise<void>;
}

export function harness(specs: InstanceSpec[], options: { ownerId?: string } = {}): Harness {
  const definitions = [...new Set(specs.map((s) => s.provider))];
  const registry = new ProviderRegistry(definitions);
  const entries = new Map<string, InstanceEntry>();
  for (const spec of specs) {
    entries.set(spec.name, { name: spec.name, definition: spec.provider, instance: spec.provider.create(spec.settings, { instance: spec.name }) });
  }
  const scopes = Object.fromEntries(specs.map((s) => [s.name, s.scopes ?? ['zone/*']]));
  const calls = new Map<string, number>();
  let revision = 0;
  const plan: Harness['plan'] = async (yaml, o = {}) => {
    revision += 1;
    return preparePlan({
      source: 'test', ownerId: o.ownerId ?? options.ownerId ?? 'test-owner',
      revision: { id: `r${revision}`, description: `r${revision}`, files: [{ path: 'zones.yaml', content: yaml }] },
      catalog: registry.catalog(), instances: entries, scopes,
      safety: safetySchema.parse({ minExisting: 1_000_000, ...o.safety }), force: o.force ?? true, log: silentLogger(),
      hooks: {
        recordApiCall: (instance, _type, operation, outcome) => {
          const key = `${instance} ${operation} ${outcome}`;
          calls.set(key, (calls.get(key) ?? 0) + 1);
        },
      },
    });
  };
  return {
    entries,
    calls,
    resetCalls: () => calls.clear(),
    callCount: (instance, operation) => [...calls].filter(([k]) => k.startsWith(`${instance} ${operation ?? ''}`)).reduce((n, [, v]) => n + v, 0),
    plan,
    apply: (prepared) => applyPrepared(prepared),
    converge: async (yaml, o = {}) => {
      const prepared = await plan(yaml, o);
      if (prepared.plan.errors.length > 0) throw new Error(`plan errors: ${JSON.stringify(prepared.plan.errors)}`);
      if (prepared.plan.conflicts.length > 0) throw new Error(`plan conflicts: ${JSON.stringify(prepared.plan.conflicts)}`);
      const result = await applyPrepared(prepared);
      const failed = result.reports.filter((r) => r.status !== 'applied');
      if (failed.length > 0) throw new Error(`apply failed: ${failed.map((f) => `${f.change.display}: ${f.error?.message}`).join('\n')}`);
      return prepared;
    },
    close: async () => {
      for (const entry of entries.values()) await entry.instance.close?.();
    },
  };
}

export function gcpHarness(settings: GcpDnsSettings, options: { ownerId?: string; scopes?: string[] } = {}): Harness {
  const spec: InstanceSpec = { name: 'clouddns', provider: gcpProvider as ProviderDefinition, settings };
  if (options.scopes) spec.scopes = options.scopes;
  return harness([spec], options);
}

export function changeLines(prepared: PreparedPlan): string[] {
  return prepared.plan.changes.map((c) => `${c.action} ${c.display}`);
}
