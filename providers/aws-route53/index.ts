// The AWS Route 53 provider. Cheap to import: the AWS SDK loads on the first API call.
//
// Kinds: the provider-neutral `dns.trueup.dev/v1 Zone` (shared with Cloud DNS and DNS plugins).
// Objects: one `zone` per hosted zone, one `recordset` per record set (name, type, set identifier).

import { defineProvider, SDK_MAJOR, type PlannedChange } from '../../src/sdk/index.ts';
import { apexNsDanger, RECORDSET_OBJECT_TYPE, ZONE_OBJECT_TYPE, zoneKind } from '../../src/sdk/dns/index.ts';
import { NAMESPACE, recordExtensionSchema, zoneExtensionSchema } from './extension.ts';
import { createInstance } from './instance.ts';
import { route53Permissions } from './permissions.ts';
import { route53SettingsSchema } from './settings.ts';

export default defineProvider({
  type: 'aws-route53',
  sdkMajor: SDK_MAJOR,
  description: 'AWS Route 53 hosted zones and record sets (alias, routing policies, private zones).',
  settings: route53SettingsSchema,
  kinds: [zoneKind],
  blocks: { [NAMESPACE]: { zone: zoneExtensionSchema, recordSet: recordExtensionSchema } },
  objectTypes: {
    [ZONE_OBJECT_TYPE]: {
      dangerous: (change: PlannedChange) => (change.action === 'delete' ? `deletes hosted zone ${change.scope.slice(5)}` : undefined),
    },
    [RECORDSET_OBJECT_TYPE]: {
      // Route 53 cannot UPSERT a set into another routing policy or between alias and values:
      // those are DELETE + CREATE in one request (a `replace`).
      replaceOn: ['route53.routing', 'route53.aliased'],
      dangerous: apexNsDanger,
    },
  },
  capabilities: { import: true },
  create: (settings) => createInstance(settings),
  permissions: route53Permissions,
});
