// The IAM policy the Route 53 provider needs for a repository (`trueup permissions`), statement by
// statement from the calls observe and apply make (observe.ts, apply.ts, batch.ts).
//
// IAM names hosted zones by id (hostedzone/Z123…), which only exists once the zone does, so zone
// actions cannot be scoped by domain; record writes can: ChangeResourceRecordSets takes the
// condition key route53:ChangeResourceRecordSetsNormalizedRecordNames (lower case, no trailing dot),
// which this policy restricts to the names of the zones in scope.

import type { JsonObject, PermissionRequest, PermissionSet } from '../../src/sdk/index.ts';
import { ZONE_OBJECT_TYPE } from '../../src/sdk/dns/index.ts';
import type { Route53Settings } from './settings.ts';

const ZONES = 'arn:aws:route53:::hostedzone/*';

/** `zone/example.com.` → example.com and *.example.com; `zone/*.example.org.` → *.example.org. */
export function recordNamePatterns(scopes: readonly string[]): string[] | undefined {
  const names = new Set<string>();
  for (const scope of scopes) {
    if (!scope.startsWith('zone/')) continue;
    const zone = scope.slice('zone/'.length).toLowerCase().replace(/\.$/, '');
    if (zone === '*' || zone === '') return undefined;
    names.add(zone);
    if (!zone.startsWith('*')) names.add(`*.${zone}`);
  }
  return [...names].sort();
}

export function route53Permissions(request: PermissionRequest<Route53Settings>): PermissionSet {
  const notes = [
    'ListHostedZones and ListHostedZonesByName cannot be scoped: IAM allows them on "*" only.',
    `Zone-level actions name ${ZONES}: IAM identifies hosted zones by id, not by domain. To narrow them, replace * with the ids of your zones once they exist.`,
  ];
  const statements: JsonObject[] = [
    { Sid: 'ListZones', Effect: 'Allow', Action: ['route53:ListHostedZones', 'route53:ListHostedZonesByName'], Resource: '*' },
    { Sid: 'ReadZones', Effect: 'Allow', Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:ListTagsForResources'], Resource: ZONES },
  ];
  if (!request.readOnly) {
    const names = recordNamePatterns(request.scopes);
    const change: JsonObject = { Sid: 'ChangeRecordsInScope', Effect: 'Allow', Action: ['route53:ChangeResourceRecordSets'], Resource: ZONES };
    if (names) change.Condition = { 'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names } };
    else notes.push('A scope allows every zone (zone/*): record changes are not restricted by name.');
    statements.push(change);
    // GetChange only when apply waits for INSYNC.
    if (request.settings.waitForSync) statements.push({ Sid: 'WatchChanges', Effect: 'Allow', Action: ['route53:GetChange'], Resource: 'arn:aws:route53:::change/*' });
    statements.push({ Sid: 'CreateZones', Effect: 'Allow', Action: ['route53:CreateHostedZone'], Resource: '*' });
    notes.push('CreateHostedZone cannot be scoped: the zone has no id before it exists.');
    statements.push({ Sid: 'ManageZones', Effect: 'Allow', Action: ['route53:ChangeTagsForResource', 'route53:DeleteHostedZone'], Resource: ZONES });
    const privateZones = request.desired.some((d) => d.type === ZONE_OBJECT_TYPE && (d.value as { private?: boolean }).private === true);
    if (privateZones) {
      statements.push({ Sid: 'PrivateZoneVpcs', Effect: 'Allow', Action: ['route53:AssociateVPCWithHostedZone', 'route53:DisassociateVPCFromHostedZone'], Resource: [ZONES, 'arn:aws:ec2:*:*:vpc/*'] });
      statements.push({ Sid: 'DescribeVpcs', Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' });
      notes.push('Private zones: Route 53 checks ec2:DescribeVpcs, which cannot be scoped.');
    }
  }
  return { format: 'aws-iam-policy', document: { Version: '2012-10-17', Statement: statements }, notes };
}
