// Test support for the Route 53 provider: moto's server behind a small wire-level proxy (to
// answer with AWS's documented throttling and InvalidChangeBatch bodies where moto cannot), a
// direct SDK client for changes "behind trueup's back", and plan/apply through the real engine.

import { Route53Client } from '@aws-sdk/client-route-53';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { applyPrepared, preparePlan, type PreparedPlan } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { safetySchema, type SafetyPolicy } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { ProviderDefinition } from '../../src/sdk/index.ts';
import route53Provider from '../../providers/aws-route53/index.ts';
import type { Route53Instance } from '../../providers/aws-route53/instance.ts';
import { MotoProxy } from '../support/moto-proxy.ts';
import type { Route53Settings } from '../../providers/aws-route53/settings.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';

for (const [k, v] of Object.entries(MOTO_ENV)) process.env[k] ??= v;

export { MotoProxy, type FaultRule } from '../support/moto-proxy.ts';

/** AWS's documented body for a rejected change batch (Route 53 API reference, errors). */
export function invalidChangeBatchXml(messages: string[]): string {
  return `<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Messages>${messages.map((m) => `<Message>${m}</Message>`).join('')}</Messages><RequestId>b25f48e8-84fd-11e6-80d9-574e0c4664cb</RequestId></InvalidChangeBatch>`;
}

export function errorResponseXml(code: string, message: string, type = 'Sender'): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>b25f48e8-84fd-11e6-80d9-574e0c4664cb</RequestId></ErrorResponse>`;
}

export interface Env {
  moto: Moto;
  proxy: MotoProxy;
  /** Direct to moto: changes made behind trueup's back. */
  client: Route53Client;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const moto = await startMoto();
  const proxy = new MotoProxy();
  await proxy.start(moto.endpoint);
  const client = new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  return {
    moto, proxy, client,
    stop: async () => {
      client.destroy();
      await proxy.stop();
      await moto.stop();
    },
  };
}

export function settings(endpoint: string, extra: Partial<Route53Settings> = {}): Route53Settings {
  return route53Provider.settings.parse({ endpoint, rateLimit: 1000, maxAttempts: 1, ...extra });
}

export interface Engine {
  instance: Route53Instance;
  /** `operation outcome` of every API attempt, as reported to the engine's metrics hook. */
  apiCalls: string[];
  plan(yaml: string, options?: { safety?: Partial<SafetyPolicy>; force?: boolean }): Promise<PreparedPlan>;
  /** Plan and apply; throws when anything failed. */
  converge(yaml: string): Promise<PreparedPlan>;
}

export function engine(s: Route53Settings, options: { ownerId?: string; scopes?: string[] } = {}): Engine {
  const registry = new ProviderRegistry([route53Provider as ProviderDefinition]);
  const instance = route53Provider.create(s, { instance: 'route53' }) as Route53Instance;
  const entry: InstanceEntry = { name: 'route53', definition: route53Provider as ProviderDefinition, instance };
  let revision = 0;
  const apiCalls: string[] = [];
  const hooks = { recordApiCall: (_i: string, _t: string, operation: string, outcome: string) => void apiCalls.push(`${operation} ${outcome}`) };
  const plan = async (yaml: string, o: { safety?: Partial<SafetyPolicy>; force?: boolean } = {}) => {
    revision += 1;
    return preparePlan({
      source: 'test', ownerId: options.ownerId ?? 'test-owner',
      revision: { id: `r${revision}`, description: `r${revision}`, files: [{ path: 'zones.yaml', content: yaml }] },
      catalog: registry.catalog(), instances: new Map([['route53', entry]]), scopes: { route53: options.scopes ?? ['zone/*'] },
      safety: safetySchema.parse({ minExisting: 1_000_000, ...o.safety }), force: o.force ?? true, log: silentLogger(), hooks,
    });
  };
  return {
    instance, plan, apiCalls,
    converge: async (yaml) => {
      const prepared = await plan(yaml);
      if (prepared.plan.errors.length > 0) throw new Error(`plan errors: ${JSON.stringify(prepared.plan.errors)}`);
      const result = await applyPrepared(prepared);
      const failed = result.reports.filter((r) => r.status !== 'applied');
      if (failed.length > 0) throw new Error(`apply failed: ${failed.map((f) => `${f.change.display}: ${f.error?.message}`).join('\n')}`);
      return prepared;
    },
  };
}

export function changeLines(prepared: PreparedPlan): string[] {
  return prepared.plan.changes.map((c) => `${c.action} ${c.display}`);
}
