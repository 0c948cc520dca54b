// Read live state in bulk: one managedZones list (every page) for the project, then one rrsets
// list (every page) per zone in the allowed scopes — never a call per record. Ownership follows
// the DNS model: a full zone owns every set (apex SOA/NS protected); a shared zone owns what its
// registry TXT records mark, and the registry records themselves are hidden from plans. Zones
// follow their labels (labels.ts), as Route 53 hosted zones follow their tags: ours (deletable
// once removed from Git), unmarked (made by hand: read as shared, never labelled or deleted until
// adopted) or another owner's.

import type { DesiredObject, JsonObject, ObservedObject, ObserveRequest, ObserveResult, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError, mapLimit } from '../../src/sdk/index.ts';
import {
  adoptRequested, DEFAULT_REGISTRY_PREFIX, RECORDSET_OBJECT_TYPE, RegistryIndex, ZONE_OBJECT_TYPE, isRecordType, readZone, recordOwnership, recordSetDisplay,
  recordSetKey, registryName, UNPROVEN_ZONE_RECORD_REASON, unprovenZoneReason, zoneKey, zoneScope, type Management,
} from '../../src/sdk/dns/index.ts';
import type { ApiRrset, ApiZone, CloudDnsClient } from './client.ts';
import { recordValue, withoutMarks, zoneSettings } from './expand.ts';
import { OWNER_LABEL, zoneMarks, type ZoneMarks } from './labels.ts';
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
  /** Names of registry records that marked no live record set when observed (removed before the
   * zone is deleted, when ours). */
  orphanRegistry?: Set<string>;
}

/** Opaque data of a zone object: which managed zone, and whether its labels say it is ours. */
export interface ZoneHandle {
  managedZone: string;
  /** Carries this source's owner label: only then may it be deleted or relabelled. */
  ours: boolean;
  /** Declared and carries no owner label: an update (planned only for the adopt annotation or
   * safety.adoptUnowned) writes the owner labels. */
  adopt?: boolean;
  /** The live labels (a label patch replaces the whole map, so others' labels are kept). */
  labels: Record<string, string>;
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
  /** The Zone carries the adopt annotation. */
  adopt: boolean;
}

/** Zones declared in the desired objects (their resource holds the Zone document). */
export function declaredZones(desired: readonly DesiredObject[]): DeclaredZoneInfo[] {
  const out: DeclaredZoneInfo[] = [];
  for (const object of desired) {
    if (object.type !== ZONE_OBJECT_TYPE) continue;
    const { zone } = readZone(object.resource);
    const gcp = zoneSettings(object.resource);
    if (!zone || !gcp) continue;
    out.push({ dnsName: zone.name, management: zone.management, registryPrefix: zone.registryPrefix, gcp, adopt: adoptRequested(object.resource) });
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

/** The canonical value of a live zone (same shape as `expand` builds). `description` is compared
 * only when declared (or when the zone is not declared: a deletion shows it); the marks only
 * when `marks` is given (a zone trueup owns). */
export function liveZoneValue(zone: ApiZone, project: string, options: { description: boolean; marks?: ZoneMarks }): JsonObject {
  const value: JsonObject = { dnsName: zone.dnsName.toLowerCase(), visibility: zone.visibility ?? 'public' };
  if (options.description) value.description = zone.description ?? '';
  if (value.visibility === 'private') {
    value.networks = [...new Set((zone.privateVisibilityConfig?.networks ?? []).map((n) => networkUrl(project, n.networkUrl ?? '')))].sort();
  }
  if (options.marks?.management !== undefined) value.management = options.marks.management;
  if (options.marks?.registryPrefix !== undefined) value.registryPrefix = options.marks.registryPrefix;
  return value;
}

/** The canonical value of a live record set (same shape as `expand` builds). */
export function liveRecordValue(rrset: ApiRrset): JsonObject {
  const name = rrset.name.toLowerCase();
  const type = rrset.type.toUpperCase();
  if (rrset.routingPolicy) return recordValue(name, type, rrset.ttl, [], { gcp: { routingPolicy: policyFromWire(type, rrset.routingPolicy) } });
  return recordValue(name, type, rrset.ttl, valuesFromWire(type, rrset.rrdatas));
}

/**
 * Which live zones to read: each declared zone's, then every other zone in the allowed scopes,
 * one per DNS name (ours first), so a Zone removed from Git is still seen: deleted when its labels
 * say it is ours, left alone otherwise (but its records marked ours by registry records are still
 * ours to delete).
 */
export function pickZones(zones: readonly ApiZone[], declared: readonly DeclaredZoneInfo[], allowed: (dnsName: string) => boolean, ownerId: string):
  { live: ApiZone; dnsName: string; declared?: DeclaredZoneInfo }[] {
  const picked: { live: ApiZone; dnsName: string; declared?: DeclaredZoneInfo }[] = [];
  const names = new Set<string>();
  for (const d of declared) {
    names.add(d.dnsName);
    const live = findZone(zones, d);
    if (!live) continue;
    if (live.dnsName?.toLowerCase() !== d.dnsName) {
      throw new TerminalError(`managed zone ${live.name} (spec.gcp.name) serves ${live.dnsName}, not ${d.dnsName}; fix spec.gcp.name`,
        { subject: `zone ${d.dnsName}`, operation: 'managedZones.list' });
    }
    picked.push({ live, dnsName: d.dnsName, declared: d });
  }
  const undeclared = new Map<string, ApiZone[]>();
  for (const z of [...zones].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const dnsName = (z.dnsName ?? '').toLowerCase();
    // A name that is declared is served by the declared zone: its twin (public/private) is not read.
    if (dnsName === '' || names.has(dnsName) || !allowed(dnsName)) continue;
    undeclared.set(dnsName, [...(undeclared.get(dnsName) ?? []), z]);
  }
  for (const [dnsName, list] of undeclared) {
    const live = list.find((z) => zoneMarks(z.labels, ownerId).ours) ?? list[0];
    if (live) picked.push({ live, dnsName });
  }
  return picked;
}

export async function observeZones(input: {
  request: ObserveRequest;
  ctx: ProviderContext;
  client: CloudDnsClient;
  project: string;
  runtime: Map<string, ZoneRuntime>;
}): Promise<ObserveResult> {
  const { request, ctx, client, project } = input;
  const allowed = (dnsName: string) => request.allowedScopes.allows(zoneScope(dnsName));
  const declared = declaredZones(request.desired).filter((d) => allowed(d.dnsName));
  const zones = await client.listZones(ctx);
  const picked = pickZones(zones, declared, allowed, ctx.ownerId);
  for (const d of declared) if (!picked.some((p) => p.declared === d)) input.runtime.delete(d.dnsName);
  // Zones trueup does not own are never labelled: their desired value loses the marks.
  const unmarked = new Set<string>();
  const objects: ObservedObject[] = [];
  let done = 0;
  await mapLimit(picked, 4, async ({ live, dnsName, declared: d }) => {
    const marks = zoneMarks(live.labels, ctx.ownerId);
    // Adopted in this pass: a zone nobody labelled, declared with the adopt annotation.
    const adopting = d !== undefined && marks.owner === undefined && d.adopt;
    const proven = marks.ours || adopting;
    // As for Route 53 hosted zones: only a zone trueup can prove it created (its owner label,
    // written in the create call itself) or one being adopted is read as Git declares; in any other
    // zone only registry records prove ownership (`full` would hand trueup every hand-made record
    // set to delete). An undeclared zone of ours is read as its label says (shared when it says
    // nothing). A zone nobody labelled, declared shared, is used as it is (never labelled, never
    // deleted); declared full, it is left alone and the plan says how to adopt it.
    const management: Management = !proven ? 'shared'
      : d?.management ?? (marks.ours && marks.management === 'full' ? 'full' : 'shared');
    const usedAsIs = marks.owner === undefined && !adopting && d?.management === 'shared';
    // Declared and nobody's: adopted when planned (the annotation, or safety.adoptUnowned).
    const adoptable = d !== undefined && marks.owner === undefined && !usedAsIs;
    if (d && !proven && !adoptable) unmarked.add(zoneKey(dnsName));
    const registryPrefix = d?.registryPrefix ?? (marks.ours ? marks.registryPrefix : undefined) ?? DEFAULT_REGISTRY_PREFIX;
    // Our zone was full until now and Git makes it shared: its sets were provably ours, so they stay
    // owned for this pass, and each one without a registry mark plans an update that writes it.
    const leavingFull = marks.ours && marks.management === 'full' && management === 'shared';
    const scope = zoneScope(dnsName);
    const valueOptions: { description: boolean; marks?: ZoneMarks } = { description: d === undefined || d.gcp.description !== undefined };
    if (proven) valueOptions.marks = marks;
    const handle: ZoneHandle = { managedZone: live.name, ours: marks.ours, labels: { ...live.labels } };
    const value = liveZoneValue(live, project, valueOptions);
    if (adoptable) {
      handle.adopt = true;
      // Shown as `ownerMark: "missing" → (removed)`: the update writes the owner labels.
      value.ownerMark = 'missing';
    }
    const zoneObject: ObservedObject = {
      key: zoneKey(dnsName), type: ZONE_OBJECT_TYPE, display: `zone ${dnsName}`, scope, value, handle,
      ownership: proven || usedAsIs ? { state: 'owned' } : marks.owner !== undefined ? { state: 'foreign', owner: marks.owner } : { state: 'unowned' },
    };
    if (usedAsIs) zoneObject.protected = true;
    else if (!proven && marks.owner === undefined) {
      zoneObject.unownedReason = unprovenZoneReason({ mark: `${OWNER_LABEL} label`, importHint: `trueup import --provider ${ctx.instance} ${live.name}` });
    }
    const out: ObservedObject[] = [zoneObject];
    const rrsets = await client.listRrsets(ctx, live.name, `zone ${dnsName}`);
    const registry = new RegistryIndex(registryPrefix);
    const registryLive = new Map<string, ApiRrset>();
    if (management === 'shared') {
      for (const r of rrsets) {
        const name = r.name.toLowerCase();
        if (r.type === 'TXT' && registry.add(name, 'TXT', valuesFromWire('TXT', r.rrdatas))) registryLive.set(name, r);
      }
    }
    for (const r of rrsets) {
      const name = r.name.toLowerCase();
      const type = r.type.toUpperCase();
      if (management === 'shared' && registry.isRegistry(name, type)) continue;
      const verdict = recordOwnership({ management: leavingFull ? 'full' : management, zone: dnsName, name, type, ownerId: ctx.ownerId, registry });
      const recordHandle: RecordHandle = { managedZone: live.name, live: r };
      const value = liveRecordValue(r);
      if (leavingFull && verdict.ownership.state === 'owned' && !verdict.protected && !registryFor(name, type, registryPrefix, registryLive)) {
        // Shown in the plan as `ownerMark: "missing" → (removed)`: the update writes the mark.
        value.ownerMark = 'missing';
      }
      if (management === 'shared') {
        const reg = registryFor(name, type, registryPrefix, registryLive);
        if (reg) recordHandle.registry = reg;
      }
      const object: ObservedObject = {
        key: recordSetKey(dnsName, name, type), type: RECORDSET_OBJECT_TYPE, display: recordSetDisplay(name, type), scope,
        value, ownership: verdict.ownership, handle: recordHandle,
        // Deleted before the zone (the planner orders a dependent's deletion first).
        dependsOn: [zoneKey(dnsName)],
      };
      // Sets of types a Zone cannot declare (SPF, DNSKEY…) and the apex SOA/NS are never deleted.
      if (verdict.protected || !isRecordType(type)) object.protected = true;
      if (!proven && marks.owner === undefined && !usedAsIs && verdict.ownership.state === 'unowned') object.unownedReason = UNPROVEN_ZONE_RECORD_REASON;
      out.push(object);
    }
    const liveSets = new Set(rrsets.map((r) => `${r.name.toLowerCase()} ${r.type.toUpperCase()}`));
    const orphanRegistry = new Set([...registryLive.keys()].filter((name) => {
      const target = registry.targetOf(name);
      return target !== undefined && !liveSets.has(`${target.name} ${target.type}`);
    }));
    input.runtime.set(dnsName, { dnsName, managedZone: live.name, management, registryPrefix, registry: registryLive, orphanRegistry });
    objects.push(...out);
    done += 1;
    if (picked.length > 1) ctx.progress(`observed ${done}/${picked.length} managed zones`);
  });
  if (unmarked.size === 0) return { objects };
  const refinedDesired = request.desired.map((o) => (o.type === ZONE_OBJECT_TYPE && unmarked.has(o.key) ? { ...o, value: withoutMarks(o.value as JsonObject) } : o));
  return { objects, refinedDesired };
}

function registryFor(name: string, type: string, prefix: string, live: Map<string, ApiRrset>): ApiRrset | undefined {
  try {
    return live.get(registryName(name, type, prefix));
  } catch {
    return undefined; // a name too long to carry a registry record cannot be marked
  }
}
