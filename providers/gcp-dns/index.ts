// The Google Cloud DNS provider (`type: gcp-dns`). It takes the provider-neutral Zone kind
// shared with Route 53 (one Zone document can go to both), plus Cloud DNS's own `gcp:` blocks:
// routing policies on record sets and visibility/networks/description on the zone.
//
// This module stays cheap to import: `@google-cloud/dns` and google-auth-library are loaded by
// the client on the first API call, never by `trueup validate` or `trueup schema`.

import { SDK_MAJOR, defineProvider, type PlannedChange, type ProviderInstance } from '../../src/sdk/index.ts';
import { RECORDSET_OBJECT_TYPE, ZONE_OBJECT_TYPE, apexNsDanger, zoneKind } from '../../src/sdk/dns/index.ts';
import { applyChanges, type ApplyDeps } from './apply.ts';
import { CloudDnsClient } from './client.ts';
import { expandZones } from './expand.ts';
import { importZone } from './import.ts';
import { observeZones, type ZoneRuntime } from './observe.ts';
import { gcpDnsPermissions } from './permissions.ts';
import { recordGcpSchema, zoneGcpSchema } from './policy.ts';
import { settingsSchema, type GcpDnsSettings } from './settings.ts';
import { waitForDone } from './verify.ts';

function createInstance(settings: GcpDnsSettings): ProviderInstance {
  const client = new CloudDnsClient(settings);
  const runtime = new Map<string, ZoneRuntime>();
  const submitted: ApplyDeps['submitted'] = new Map();
  const deps: ApplyDeps = { client, project: settings.project, runtime, submitted };
  const instance: ProviderInstance = {
    expand: (resources, ctx) => expandZones(resources, ctx, settings.project),
    observe: (request, ctx) => observeZones({ request, ctx, client, project: settings.project, runtime }),
    apply: (changes, ctx) => applyChanges(changes, ctx, deps),
    import: (request, ctx) => importZone(request, ctx, client, settings.project),
  };
  if (settings.waitForDone) {
    instance.verify = (applied, ctx) => waitForDone({ applied, ctx, client, settings, submitted });
  }
  return instance;
}

export default defineProvider<GcpDnsSettings>({
  type: 'gcp-dns',
  sdkMajor: SDK_MAJOR,
  description: 'Google Cloud DNS managed zones and record sets, with Cloud DNS routing policies (weighted round robin, geolocation, primary-backup).',
  settings: settingsSchema,
  // expand needs a project only to spell network URLs of private zones.
  validateSettings: { project: 'validate-placeholder' },
  kinds: [zoneKind],
  blocks: { gcp: { zone: zoneGcpSchema, recordSet: recordGcpSchema } },
  objectTypes: {
    [ZONE_OBJECT_TYPE]: {
      // Only planned for a zone whose labels name this source's owner; still needs --force.
      dangerous: (change: PlannedChange) => (change.action === 'delete' ? `deletes managed zone ${change.scope.slice('zone/'.length)}` : undefined),
    },
    [RECORDSET_OBJECT_TYPE]: { dangerous: apexNsDanger },
  },
  capabilities: { import: true },
  create: (settings) => createInstance(settings),
  permissions: gcpDnsPermissions,
});
