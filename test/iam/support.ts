// Shared set-up for the IAM tests: moto on a free port, provider settings pointing at it with
// tiny retry delays, a raw SDK client for changes made "behind trueup's back", and a plan/apply
// driver through trueup's real pipeline.

import { IAMClient } from '@aws-sdk/client-iam';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import provider from '../../providers/aws-iam/index.ts';
import type { IamSettings } from '../../providers/aws-iam/schema.ts';
import { settingsSchema } from '../../providers/aws-iam/schema.ts';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { applyPrepared, preparePlan, type PreparedPlan } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { safetySchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { ProviderInstance } from '../../src/sdk/index.ts';

Object.assign(process.env, MOTO_ENV);

export { provider };

export function testSettings(moto: Moto, extra: Record<string, unknown> = {}): IamSettings {
  return settingsSchema.parse({ endpoint: moto.endpoint, rateLimit: 1000, consistency: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 }, ...extra });
}

export function rawClient(moto: Moto): IAMClient {
  return new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1' });
}

export { startMoto, type Moto };

export interface Driver {
  instance: ProviderInstance;
  calls: Map<string, number>;
  plan(yaml: string, options?: { scopes?: string[]; force?: boolean; freshness?: 'exact' | 'steady' }): Promise<PreparedPlan>;
  /** Plan and apply; throws listing every failed change. */
  converge(yaml: string, options?: { scopes?: string[] }): Promise<PreparedPlan>;
  /** `action display` of every planned change. */
  changes(yaml: string, options?: { scopes?: string[] }): Promise<string[]>;
}

export function driver(settings: IamSettings, ownerId = 'test-owner', defaultScopes = ['path/trueup/*', 'oidc-provider/*']): Driver {
  const registry = new ProviderRegistry([provider as never]);
  const instance = provider.create(settings, { instance: 'iam' });
  const entry: InstanceEntry = { name: 'iam', definition: provider as never, instance };
  const calls = new Map<string, number>();
  let revision = 0;
  const plan: Driver['plan'] = async (yaml, options = {}) => {
    revision += 1;
    return preparePlan({
      source: 'test', ownerId,
      revision: { id: `r${revision}`, description: `r${revision}`, files: [{ path: 'iam.yaml', content: yaml }] },
      catalog: registry.catalog(),
      instances: new Map([['iam', entry]]),
      scopes: { iam: options.scopes ?? defaultScopes },
      safety: safetySchema.parse({ minExisting: 1_000_000 }),
      force: options.force ?? true,
      freshness: options.freshness ?? 'exact',
      log: silentLogger(),
      hooks: { recordApiCall: (_i, _t, op) => calls.set(op, (calls.get(op) ?? 0) + 1) },
    });
  };
  return {
    instance, calls, plan,
    async converge(yaml, options) {
      const prepared = await plan(yaml, options);
      if (prepared.plan.errors.length > 0) throw new Error(`observe failed: ${JSON.stringify(prepared.plan.errors)}`);
      if (prepared.plan.conflicts.length > 0) throw new Error(`conflicts: ${JSON.stringify(prepared.plan.conflicts)}`);
      const result = await applyPrepared(prepared);
      const failed = result.reports.filter((r) => r.status !== 'applied').map((r) => `${r.change.display}: ${r.error?.message}`);
      if (failed.length > 0) throw new Error(`apply failed:\n${failed.join('\n')}`);
      return prepared;
    },
    async changes(yaml, options) {
      const prepared = await plan(yaml, options);
      if (prepared.plan.errors.length > 0) throw new Error(`observe failed: ${JSON.stringify(prepared.plan.errors)}`);
      return prepared.plan.changes.map((c) => `${c.action} ${c.display}`);
    },
  };
}

/** One YAML document for an IAM kind. */
export function doc(kind: string, name: string, spec: unknown): string {
  return `---\n${JSON.stringify({ apiVersion: 'iam.aws.trueup.dev/v1', kind, metadata: { name }, spec })}\n`;
}
