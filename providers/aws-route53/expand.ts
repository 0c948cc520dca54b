// Zone resources → desired objects: the hosted zone, and one object per record set with its
// canonical value (shared DNS model + the `route53:` block). Pure: no I/O.

import type { DesiredObject, ExpandContext, JsonObject, Resource, ResourceIssue } from '../../src/sdk/index.ts';
import {
  canonicalName, isInZone, readZone, RECORDSET_OBJECT_TYPE, recordSetDisplay, recordSetKey, ZONE_OBJECT_TYPE, zoneKey, zoneScope,
  type DeclaredZone,
} from '../../src/sdk/dns/index.ts';
import {
  ALIAS_TYPES, CLOUDFRONT_ZONE_ID, NAMESPACE, recordExtensionSchema, routingPolicies, zoneExtensionSchema, type ZoneExtension,
} from './extension.ts';
import { MAX_RECORDS_PER_REQUEST, MAX_VALUE_CHARS_PER_REQUEST } from './batch.ts';
import type { RecordValue, Route53Value } from './wire.ts';

export interface ZoneValue {
  name: string;
  private: boolean;
  vpcs?: { id: string; region: string }[];
  /** Kept in the zone's management tag, so a zone later removed from Git is read in the mode
   * Git last declared (a zone switched from full to shared must not be read as full). */
  management?: 'full' | 'shared';
  /** Observed only: the zone is ours to tag (adopted, or created by trueup and its tag call lost)
   * but carries no owner tags yet; the update that writes them shows `ownerMark: "missing" → (removed)`. */
  ownerMark?: 'missing';
}

export function expandZones(resources: Resource[], _ctx: ExpandContext): { objects: DesiredObject[]; issues: ResourceIssue[] } {
  const objects: DesiredObject[] = [];
  const issues: ResourceIssue[] = [];
  for (const resource of resources) {
    const read = readZone(resource);
    issues.push(...read.issues);
    if (!read.zone) continue;
    const expanded = expandZone(read.zone, issues);
    if (expanded) objects.push(...expanded);
  }
  return { objects, issues };
}

/** The `route53:` zone block, validated (defaults when absent). */
export function zoneExtension(zone: Pick<DeclaredZone, 'extensions'>): { ext?: ZoneExtension; errors: { path: (string | number)[]; message: string }[] } {
  const parsed = zoneExtensionSchema.safeParse(zone.extensions[NAMESPACE] ?? {});
  if (parsed.success) return { ext: parsed.data, errors: [] };
  return { errors: parsed.error.issues.map((i) => ({ path: ['spec', NAMESPACE, ...(i.path as (string | number)[])], message: i.message })) };
}

/** A record set goes whole into one ChangeResourceRecordSets request, so the request limits
 * bound a set (Route 53 API reference: at most 1,000 ResourceRecord elements and 32,000 value
 * characters per request; a Value holds at most 4,000 characters). Refused here rather than at apply. */
function valueLimit(values: readonly string[]): string | undefined {
  if (values.length > MAX_RECORDS_PER_REQUEST) return `Route 53 takes at most ${MAX_RECORDS_PER_REQUEST} values in a record set; this one has ${values.length}`;
  const long = values.find((v) => v.length > MAX_VALUE_CHARS);
  if (long) return `Route 53 takes values of at most ${MAX_VALUE_CHARS} characters; one has ${long.length} ("${long.slice(0, 20)}…")`;
  const chars = values.reduce((n, v) => n + v.length, 0);
  if (chars > MAX_VALUE_CHARS_PER_REQUEST) return `Route 53 takes at most ${MAX_VALUE_CHARS_PER_REQUEST} characters of values in one change; this record set has ${chars}`;
  return undefined;
}

const MAX_VALUE_CHARS = 4000;

function expandZone(zone: DeclaredZone, issues: ResourceIssue[]): DesiredObject[] | undefined {
  const { resource } = zone;
  const issue = (path: (string | number)[], message: string) => issues.push({ resource, path, message });
  const zext = zoneExtension(zone);
  for (const e of zext.errors) issue(e.path, e.message);
  if (!zext.ext) return undefined;
  const scope = zoneScope(zone.name);
  const zoneValue: ZoneValue = { name: zone.name, private: zext.ext.private !== undefined, management: zone.management };
  if (zext.ext.private) {
    zoneValue.vpcs = [...zext.ext.private.vpcs].sort((a, b) => (a.id + a.region < b.id + b.region ? -1 : 1));
  }
  const objects: DesiredObject[] = [{
    key: zoneKey(zone.name), type: ZONE_OBJECT_TYPE, display: `hosted zone ${zone.name}`, scope,
    value: zoneValue as unknown as JsonObject, resource, path: ['metadata', 'name'],
  }];
  for (const set of zone.records) {
    const extPath = [...set.path, NAMESPACE];
    const parsed = recordExtensionSchema.safeParse(set.extensions[NAMESPACE] ?? {});
    if (!parsed.success) {
      for (const i of parsed.error.issues) issue([...extPath, ...(i.path as (string | number)[])], i.message);
      continue;
    }
    const ext = parsed.data;
    const policies = routingPolicies(ext);
    if (policies.length > 1) {
      issue(extPath, `a record set has one routing policy; this one sets ${policies.join(' and ')}`);
      continue;
    }
    const routing = policies[0] ?? 'simple';
    if (routing !== 'simple' && ext.setIdentifier === undefined) {
      issue(extPath, `${routing} routing needs a setIdentifier (unique among the sets of ${set.name} ${set.type})`);
      continue;
    }
    if (routing === 'simple' && ext.setIdentifier !== undefined) {
      issue([...extPath, 'setIdentifier'], 'setIdentifier is only for routing policies (weight, region, failover, geolocation, geoproximity, multivalue, cidr)');
      continue;
    }
    const route53: Route53Value = { routing };
    for (const field of ['setIdentifier', 'weight', 'region', 'failover', 'geolocation', 'geoproximity', 'multivalue', 'cidr', 'healthCheckId'] as const) {
      if (ext[field] !== undefined) (route53 as unknown as Record<string, unknown>)[field] = ext[field];
    }
    if (route53.geolocation) {
      // Route 53 lists location codes in upper case (`eu` is written back as `EU`).
      const g = route53.geolocation;
      route53.geolocation = Object.fromEntries(Object.entries(g).map(([k, v]) => [k, String(v).toUpperCase()]));
    }
    const value: RecordValue = { name: set.name, type: set.type, values: set.values, route53 };
    if (ext.alias) {
      if (set.values.length > 0) {
        issue([...extPath, 'alias'], 'an alias record set has no values: remove value/values or the alias');
        continue;
      }
      if (set.ttlDeclared) {
        issue([...set.path, 'ttl'], 'alias records have no TTL (Route 53 uses the target\'s); remove ttl');
        continue;
      }
      if (!ALIAS_TYPES.has(set.type)) {
        issue([...set.path, 'type'], `Route 53 has no ${set.type} alias records`);
        continue;
      }
      if (ext.multivalue) {
        issue([...extPath, 'multivalue'], 'multivalue answer routing cannot use an alias');
        continue;
      }
      const target = canonicalName(ext.alias.target);
      let hostedZoneId = ext.alias.hostedZoneId;
      if (hostedZoneId === undefined && target.endsWith('.cloudfront.net.')) hostedZoneId = CLOUDFRONT_ZONE_ID;
      if (hostedZoneId === undefined && !isInZone(target, zone.name)) {
        issue([...extPath, 'alias', 'hostedZoneId'], `alias target ${target} is outside ${zone.name}: set the target's hostedZoneId (e.g. the load balancer's canonical hosted zone id)`);
        continue;
      }
      route53.aliased = true;
      route53.alias = { target, evaluateTargetHealth: ext.alias.evaluateTargetHealth };
      if (hostedZoneId !== undefined) route53.alias.hostedZoneId = hostedZoneId.replace(/^\/hostedzone\//, '');
    } else {
      if (set.values.length === 0) {
        issue([...set.path, 'values'], `a ${set.type} record set needs value or values (or route53.alias)`);
        continue;
      }
      const limit = valueLimit(set.values);
      if (limit) {
        issue([...set.path, 'values'], limit);
        continue;
      }
      value.ttl = set.ttl;
    }
    objects.push({
      key: recordSetKey(zone.name, set.name, set.type, ext.setIdentifier),
      type: RECORDSET_OBJECT_TYPE,
      display: recordSetDisplay(set.name, set.type, ext.setIdentifier),
      scope,
      value: value as unknown as JsonObject,
      dependsOn: [zoneKey(zone.name)],
      resource,
      path: set.path,
    });
  }
  return objects;
}
