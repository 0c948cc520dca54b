// The Cloud DNS permissions the gcp-dns provider needs (`trueup permissions`), as the fields of a
// custom role (`gcloud iam roles create trueup --project P --file role.yaml`), from the API methods
// client.ts calls: managedZones.list/create/patch/delete, resourceRecordSets.list, changes.create/get.
// A change needs dns.resourceRecordSets.{create,update,delete} besides dns.changes.create.

import type { PermissionRequest, PermissionSet } from '../../src/sdk/index.ts';
import { ZONE_OBJECT_TYPE } from '../../src/sdk/dns/index.ts';
import type { GcpDnsSettings } from './settings.ts';

export function gcpDnsPermissions(request: PermissionRequest<GcpDnsSettings>): PermissionSet {
  const read = ['dns.managedZones.list', 'dns.managedZones.get', 'dns.resourceRecordSets.list', 'dns.changes.get'];
  const write = [
    'dns.managedZones.create', 'dns.managedZones.update', 'dns.managedZones.delete',
    'dns.changes.create', 'dns.resourceRecordSets.create', 'dns.resourceRecordSets.update', 'dns.resourceRecordSets.delete',
  ];
  const notes = [
    `Grant the role on project ${request.settings.project}. Cloud DNS also accepts IAM policies on single managed zones: bind the record permissions there to narrow them to the zones in scope (${request.scopes.join(', ')}).`,
  ];
  const permissions = request.readOnly ? read : [...read, ...write];
  const privateZones = request.desired.some((d) => d.type === ZONE_OBJECT_TYPE && (d.value as { visibility?: string }).visibility === 'private');
  if (!request.readOnly && privateZones) {
    permissions.push('dns.networks.bindPrivateDNSZone');
    notes.push('Private zones: dns.networks.bindPrivateDNSZone on the VPC networks the zones name.');
  }
  return {
    format: 'gcp-custom-role',
    document: {
      title: request.readOnly ? 'trueup (read only)' : 'trueup',
      description: `Cloud DNS access of trueup instance ${request.instance}${request.readOnly ? ' in detect mode and for previews' : ''}`,
      stage: 'GA',
      includedPermissions: [...new Set(permissions)].sort(),
    },
    notes,
  };
}
