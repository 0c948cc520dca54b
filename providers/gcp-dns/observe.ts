// Read live state in bulk: one managedZones list (every page) for the project, then one rrsets
// list (every page) per declared zone — never a call per record. Ownership follows the DNS
// model: a full zone owns every set (apex SOA/NS protected); a shared zone owns what its
// registry TXT records mark, and the registry records themselves are hidden from plans.

import type { DesiredObject, JsonObject, ObservedObject, ObserveRequest, ObserveResult, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError } from '../../src/sdk/index.ts';
import {
  RECORDSET_OBJECT_TYPE, RegistryIndex, ZONE_OBJECT_TYPE, isRecordType, readZone, recordOwnership, recordSetDisplay, recordSetKey,
  registryName, zoneKey, zoneScope, type Management,
} from '../../src/sdk/dns/index.ts';
import type { ApiRrset, ApiZone, CloudDnsClient } from './client.ts';
import { recordValue, zoneSettings } from './expand.ts';
import { defaultZoneName, networkUrl, policyFromWire, valuesFromWire, type ZoneGcp } from './policy.ts';

/** What apply needs to know about a zone, kept from the last observe (or zone create). */
export interface ZoneRuntime {
  dnsName: string;
  /** The managed zone's resource name (`example-com`). */
  managedZone: string;
  management: Management;
  registryPrefix: string;
  /** Live registry TXT sets by name (shared zones). */
  registry: Map<string, ApiRrset>;
}

/** Opaque per-object data: exactly the live set, for deletions that must match it. */
export interface RecordHandle {
  managedZone: string;
  live: ApiRrset;
  registry?: ApiRrset;
}

export interface DeclaredZoneInfo {
  dnsName: string;
  management: Management;
  registryPrefix: string;
  gcp: ZoneGcp;
}

/** Zones declared in the desired objects (their resource holds the Zone document). */
export function declaredZones(desired: readonly DesiredObject[]): DeclaredZoneInfo[] {
  const out: DeclaredZoneInfo[] = [];
  for (const object of desired) {
    if (object.type !== ZONE_OBJECT_TYPE) continue;
    const { zone } = readZone(object.resource);
    const gcp = zoneSettings(object.resource);
    if (!zone || !gcp) continue;
    out.push({ dnsName: zone.name, management: zone.management, registryPrefix: zone.registryPrefix, gcp });
  }
  return out;
}

/** The live managed zone serving a declared zone: by resource name when declared, else by DNS
 * name and visibility (a public and a private zone may share a DNS name). */
export function findZone(zones: readonly ApiZone[], declared: DeclaredZoneInfo): ApiZone | undefined {
  if (declared.gcp.name) return zones.find((z) => z.name === declared.gcp.name);
  const same = zones.filter((z) => z.dnsName?.toLowerCase() === declared.dnsName);
  const visible = same.filter((z) => (z.visibility ?? 'public') === declared.gcp.visibility);
  if (visible.length === 1) return visible[0];
  return visible.find((z) => z.name === defaultZoneName(declared.dnsName)) ?? (visible.length === 0 && same.length === 1 ? same[0] : visible[0]);
}

export function liveZoneValue(zone: ApiZone, declared: DeclaredZoneInfo, project: string): JsonObject {
  const value: JsonObject = { dnsName: zone.dnsName.toLowerCase(), visibility: zone.visibility ?? 'public' };
  if (declared.gcp.description !== undefined) value.description = zone.description ?? '';
  if (value.visibility === 'private') {
    value.networks = [...new Set((zone.privateVisibilityConfig?.networks ?? []).map((n) => networkUrl(project, n.networkUrl ?? '')))].sort();
  }
  return value;
}

/** The canonical value of a live record set (same shape as `expand` builds). */
export function liveRecordValue(rrset: ApiRrset): JsonObject {
  const name = rrset.name.toLowerCase();
  const type = rrset.type.toUpperCase();
  if (rrset.routingPolicy) return recordValue(name, type, rrset.ttl, [], { gcp: { routingPolicy: policyFromWire(type, rrset.routingPolicy) } });
  return recordValue(name, type, rrset.ttl, valuesFromWire(type, rrset.rrdatas));
}

export async function observeZones(input: {
  request: ObserveRequest;
  ctx: ProviderContext;
  client: CloudDnsClient;
  project: string;
  runtime: Map<string, ZoneRuntime>;
}): Promise<ObserveResult> {
  const { request, ctx, client, project } = input;
  const declared = declaredZones(request.desired).filter((d) => request.allowedScopes.allows(zoneScope(d.dnsName)));
  if (declared.length === 0) return { objects: [] };
  const zones = await client.listZones(ctx);
  const objects: ObservedObject[] = [];
  const perZone = await Promise.all(declared.map(async (d) => {
    const live = findZone(zones, d);
    if (!live) {
      input.runtime.delete(d.dnsName);
      return [];
    }
    if (live.dnsName?.toLowerCase() !== d.dnsName) {
      throw new TerminalError(`managed zone ${live.name} (spec.gcp.name) serves ${live.dnsName}, not ${d.dnsName}; fix spec.gcp.name`,
        { subject: `zone ${d.dnsName}`, operation: 'managedZones.list' });
    }
    const scope = zoneScope(d.dnsName);
    const out: ObservedObject[] = [{
      key: zoneKey(d.dnsName), type: ZONE_OBJECT_TYPE, display: `zone ${d.dnsName}`, scope,
      value: liveZoneValue(live, d, project), ownership: { state: 'owned' }, protected: true, handle: { managedZone: live.name },
    }];
    const rrsets = await client.listRrsets(ctx, live.name, `zone ${d.dnsName}`);
    const registry = new RegistryIndex(d.registryPrefix);
    const registryLive = new Map<string, ApiRrset>();
    if (d.management === 'shared') {
      for (const r of rrsets) {
        const name = r.name.toLowerCase();
        if (r.type === 'TXT' && registry.add(name, 'TXT', valuesFromWire('TXT', r.rrdatas))) registryLive.set(name, r);
      }
    }
    for (const r of rrsets) {
      const name = r.name.toLowerCase();
      const type = r.type.toUpperCase();
      if (d.management === 'shared' && registry.isRegistry(name, type)) continue;
      const verdict = recordOwnership({ management: d.management, zone: d.dnsName, name, type, ownerId: ctx.ownerId, registry });
      const handle: RecordHandle = { managedZone: live.name, live: r };
      if (d.management === 'shared') {
        const reg = registryFor(name, type, d.registryPrefix, registryLive);
        if (reg) handle.registry = reg;
      }
      const object: ObservedObject = {
        key: recordSetKey(d.dnsName, name, type), type: RECORDSET_OBJECT_TYPE, display: recordSetDisplay(name, type), scope,
        value: liveRecordValue(r), ownership: verdict.ownership, handle,
      };
      // Sets of types a Zone cannot declare (SPF, DNSKEY…) and the apex SOA/NS are never deleted.
      if (verdict.protected || !isRecordType(type)) object.protected = true;
      out.push(object);
    }
    input.runtime.set(d.dnsName, { dnsName: d.dnsName, managedZone: live.name, management: d.management, registryPrefix: d.registryPrefix, registry: registryLive });
    return out;
  }));
  for (const list of perZone) objects.push(...list);
  return { objects };
}

function registryFor(name: string, type: string, prefix: string, live: Map<string, ApiRrset>): ApiRrset | undefined {
  try {
    return live.get(registryName(name, type, prefix));
  } catch {
    return undefined; // a name too long to carry a registry record cannot be marked
  }
}
