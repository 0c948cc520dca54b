// One configured Route 53 instance: wires expand / observe / apply / verify / import together.

import type { ProviderInstance } from '../../src/sdk/index.ts';
import { applyChanges, waitInSync } from './apply.ts';
import { Route53Api } from './client.ts';
import { expandZones } from './expand.ts';
import { importZone } from './import.ts';
import { observe } from './observe.ts';
import type { Route53Settings } from './settings.ts';
import { InstanceState } from './state.ts';

export interface Route53Instance extends ProviderInstance {
  /** The API client (tests and benchmarks read its call counts). */
  readonly api: Route53Api;
}

export function createInstance(settings: Route53Settings): Route53Instance {
  const api = new Route53Api(settings);
  const state = new InstanceState();
  const instance: Route53Instance = {
    api,
    expand: (resources, ctx) => expandZones(resources, ctx),
    observe: (request, ctx) => observe(api, state, request, ctx),
    apply: (changes, ctx) => applyChanges(api, state, changes, ctx),
    import: (request, ctx) => importZone(api, request, ctx),
    close: async () => api.close(),
  };
  if (settings.waitForSync) {
    instance.verify = (applied, ctx) => waitInSync(api, state, applied, ctx, settings.syncTimeoutSeconds * 1000, settings.syncPollMs);
  }
  return instance;
}
