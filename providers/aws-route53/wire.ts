// Record sets between trueup's canonical JSON value and Route 53's ResourceRecordSet.
//
// Canonical value: { name, type, ttl?, values, route53: { routing, setIdentifier?, weight?, …,
// aliased?, alias? } }. `routing` (the policy) and `aliased` are spelled out so that changing the
// policy or alias-ness is a `replace` (DELETE + CREATE in one batch), as Route 53 requires.
// Only types import this module's values; nothing here loads the AWS SDK.

import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { JsonObject } from '../../src/sdk/index.ts';
import {
  canonicalName, canonicalRdata, convertQuotedEscapes, recordOwnership, type Management, type RegistryIndex,
} from '../../src/sdk/dns/index.ts';
import type { RoutingPolicy } from './extension.ts';

export interface AliasValue {
  target: string;
  hostedZoneId?: string;
  evaluateTargetHealth: boolean;
}

export interface Route53Value {
  routing: RoutingPolicy;
  setIdentifier?: string;
  weight?: number;
  region?: string;
  failover?: string;
  geolocation?: { continent?: string; country?: string; subdivision?: string };
  geoproximity?: { awsRegion?: string; localZoneGroup?: string; coordinates?: { latitude: string; longitude: string }; bias?: number };
  multivalue?: true;
  cidr?: { collectionId: string; locationName: string };
  healthCheckId?: string;
  aliased?: true;
  alias?: AliasValue;
}

export interface RecordValue {
  name: string;
  type: string;
  ttl?: number;
  values: string[];
  route53: Route53Value;
}

/** Types whose rdata holds character-strings (Route 53 writes their escapes in octal). */
const STRING_TYPES = new Set(['TXT', 'SPF', 'CAA', 'NAPTR']);

/** Canonical value → the ResourceRecordSet to send. `zoneId` fills in same-zone alias targets. */
export function toResourceRecordSet(value: RecordValue, zoneId: string): ResourceRecordSet {
  const r = value.route53;
  const set: ResourceRecordSet = { Name: value.name, Type: value.type as ResourceRecordSet['Type'] };
  if (r.setIdentifier !== undefined) set.SetIdentifier = r.setIdentifier;
  if (r.weight !== undefined) set.Weight = r.weight;
  if (r.region !== undefined) set.Region = r.region as ResourceRecordSet['Region'];
  if (r.failover !== undefined) set.Failover = r.failover as ResourceRecordSet['Failover'];
  if (r.geolocation) {
    set.GeoLocation = {};
    if (r.geolocation.continent) set.GeoLocation.ContinentCode = r.geolocation.continent;
    if (r.geolocation.country) set.GeoLocation.CountryCode = r.geolocation.country;
    if (r.geolocation.subdivision) set.GeoLocation.SubdivisionCode = r.geolocation.subdivision;
  }
  if (r.geoproximity) {
    const g = r.geoproximity;
    set.GeoProximityLocation = {};
    if (g.awsRegion) set.GeoProximityLocation.AWSRegion = g.awsRegion;
    if (g.localZoneGroup) set.GeoProximityLocation.LocalZoneGroup = g.localZoneGroup;
    if (g.coordinates) set.GeoProximityLocation.Coordinates = { Latitude: g.coordinates.latitude, Longitude: g.coordinates.longitude };
    if (g.bias !== undefined) set.GeoProximityLocation.Bias = g.bias;
  }
  if (r.multivalue) set.MultiValueAnswer = true;
  if (r.cidr) set.CidrRoutingConfig = { CollectionId: r.cidr.collectionId, LocationName: r.cidr.locationName };
  if (r.healthCheckId !== undefined) set.HealthCheckId = r.healthCheckId;
  if (r.alias) {
    set.AliasTarget = { DNSName: r.alias.target, HostedZoneId: r.alias.hostedZoneId ?? zoneId, EvaluateTargetHealth: r.alias.evaluateTargetHealth };
  } else {
    set.TTL = value.ttl ?? 300;
    set.ResourceRecords = value.values.map((v) => ({ Value: STRING_TYPES.has(value.type) ? convertQuotedEscapes(v, 'decimal', 'octal') : v }));
  }
  return set;
}

/** A listed ResourceRecordSet → canonical value. Values the canonicaliser cannot read (an SOA a
 * DNS host formats its own way) are kept as listed, trimmed, so they still compare stably. */
export function fromResourceRecordSet(set: ResourceRecordSet, zoneId: string): RecordValue {
  const type = set.Type ?? 'A';
  const route53: Route53Value = { routing: 'simple' };
  if (set.SetIdentifier !== undefined) route53.setIdentifier = set.SetIdentifier;
  if (set.Weight !== undefined) {
    route53.routing = 'weighted';
    route53.weight = set.Weight;
  }
  if (set.Region !== undefined) {
    route53.routing = 'latency';
    route53.region = set.Region;
  }
  if (set.Failover !== undefined) {
    route53.routing = 'failover';
    route53.failover = set.Failover;
  }
  if (set.GeoLocation) {
    route53.routing = 'geolocation';
    const g: NonNullable<Route53Value['geolocation']> = {};
    if (set.GeoLocation.ContinentCode) g.continent = set.GeoLocation.ContinentCode;
    if (set.GeoLocation.CountryCode) g.country = set.GeoLocation.CountryCode;
    if (set.GeoLocation.SubdivisionCode) g.subdivision = set.GeoLocation.SubdivisionCode;
    route53.geolocation = g;
  }
  if (set.GeoProximityLocation) {
    route53.routing = 'geoproximity';
    const s = set.GeoProximityLocation;
    const g: NonNullable<Route53Value['geoproximity']> = {};
    if (s.AWSRegion) g.awsRegion = s.AWSRegion;
    if (s.LocalZoneGroup) g.localZoneGroup = s.LocalZoneGroup;
    if (s.Coordinates?.Latitude !== undefined && s.Coordinates.Longitude !== undefined) {
      g.coordinates = { latitude: s.Coordinates.Latitude, longitude: s.Coordinates.Longitude };
    }
    if (s.Bias !== undefined) g.bias = s.Bias;
    route53.geoproximity = g;
  }
  if (set.MultiValueAnswer) {
    route53.routing = 'multivalue';
    route53.multivalue = true;
  }
  if (set.CidrRoutingConfig?.CollectionId && set.CidrRoutingConfig.LocationName) {
    route53.routing = 'cidr';
    route53.cidr = { collectionId: set.CidrRoutingConfig.CollectionId, locationName: set.CidrRoutingConfig.LocationName };
  }
  if (set.HealthCheckId) route53.healthCheckId = set.HealthCheckId;
  const value: RecordValue = { name: canonicalName(set.Name ?? ''), type, values: [], route53 };
  if (set.AliasTarget) {
    route53.aliased = true;
    const alias: AliasValue = { target: canonicalName(set.AliasTarget.DNSName ?? ''), evaluateTargetHealth: set.AliasTarget.EvaluateTargetHealth === true };
    // A same-zone target is written without hostedZoneId in Git; compare it that way.
    if (set.AliasTarget.HostedZoneId && bareZoneId(set.AliasTarget.HostedZoneId) !== bareZoneId(zoneId)) alias.hostedZoneId = set.AliasTarget.HostedZoneId;
    route53.alias = alias;
    return value; // aliases have no TTL (moto lists 0)
  }
  value.ttl = set.TTL ?? 0;
  const values = (set.ResourceRecords ?? []).map((r) => r.Value ?? '');
  value.values = [...new Set(values.map((v) => readValue(type, v)))].sort();
  return value;
}

function readValue(type: string, value: string): string {
  try {
    return canonicalRdata(type, value, { escapes: 'octal' });
  } catch {
    return value.trim().replace(/\s+/g, ' ');
  }
}

/** `/hostedzone/Z123` and `Z123` are the same zone. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

export function recordValueJson(value: RecordValue): JsonObject {
  return value as unknown as JsonObject;
}

/** Ownership of a listed set, from the zone's management mode and registry. */
export function ownershipOf(value: RecordValue, zone: string, management: Management, ownerId: string, registry: RegistryIndex) {
  return recordOwnership({ management, zone, name: value.name, type: value.type, ownerId, registry });
}
