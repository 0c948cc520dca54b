// observe: read every hosted zone the source may touch in bulk. Per zone: its tags (10 zones per
// ListTagsForResources call), its VPCs when private (GetHostedZone) and its record sets with
// ListResourceRecordSets at 300 per page. Never one call per record.

import type { HostedZone, ResourceRecordSet, Tag } from '@aws-sdk/client-route-53';
import {
  TerminalError, mapLimit, type DesiredObject, type JsonObject, type ObserveRequest, type ObserveResult, type ObservedObject, type ProviderContext,
} from '../../src/sdk/index.ts';
import {
  adoptRequested, canonicalName, DEFAULT_REGISTRY_PREFIX, DEFAULT_TTL, RECORDSET_OBJECT_TYPE, recordOwnership, recordSetDisplay, recordSetKey, RegistryIndex,
  UNPROVEN_ZONE_RECORD_REASON, unprovenZoneReason, ZONE_OBJECT_TYPE, zoneKey, zoneScope, type Management, type ZoneSpec,
} from '../../src/sdk/dns/index.ts';
import type { Route53Api } from './client.ts';
import type { ZoneValue } from './expand.ts';
import { callerOwner, ownerFromCallerReference } from './ownership.ts';
import {
  groupKey, MANAGEMENT_TAG, OWNER_TAG, REGISTRY_PREFIX_TAG, type InstanceState, type RecordHandle, type ZoneHandle, type ZoneState,
} from './state.ts';
import { bareZoneId, fromResourceRecordSet, type RecordValue } from './wire.ts';

export const PAGE_SIZE = 300;

interface DeclaredZoneInfo {
  value: ZoneValue;
  spec: ZoneSpec;
  resource: DesiredObject['resource'];
}

export async function observe(api: Route53Api, state: InstanceState, request: ObserveRequest, ctx: ProviderContext): Promise<ObserveResult> {
  const declared = new Map<string, DeclaredZoneInfo>();
  for (const d of request.desired) {
    if (d.type === ZONE_OBJECT_TYPE) {
      const value = d.value as unknown as ZoneValue;
      declared.set(value.name, { value, spec: d.resource.spec as ZoneSpec, resource: d.resource });
    }
  }
  const listed = await listHostedZones(api, ctx);
  const candidates = listed.filter((z) => request.allowedScopes.allows(zoneScope(canonicalName(z.Name ?? ''))));
  const tags = await listTags(api, ctx, candidates.map((z) => bareZoneId(z.Id ?? '')));

  // Several hosted zones may share a name (public and private): take the one the declaration
  // describes, else ours, else the first.
  const byName = new Map<string, HostedZone[]>();
  for (const z of candidates) {
    const name = canonicalName(z.Name ?? '');
    byName.set(name, [...(byName.get(name) ?? []), z]);
  }
  const picked: { zone: HostedZone; name: string }[] = [];
  for (const [name, zones] of byName) {
    const want = declared.get(name);
    const zone = zones.find((z) => want !== undefined && (z.Config?.PrivateZone === true) === want.value.private) ??
      zones.find((z) => zoneProof(z, tags.get(bareZoneId(z.Id ?? '')), ctx.ownerId).ours) ?? zones[0];
    if (zone) picked.push({ zone, name });
  }

  const objects: ObservedObject[] = [];
  let done = 0;
  const work = picked.map(({ zone, name }) => async () => {
    const id = bareZoneId(zone.Id ?? '');
    const zoneTags = tags.get(id) ?? [];
    const want = declared.get(name);
    const proof = zoneProof(zone, zoneTags, ctx.ownerId);
    const { owner, ours, tagged } = proof;
    // Adopted in this pass: a zone nobody marked, declared with the adopt annotation.
    const adopting = owner === undefined && want !== undefined && adoptRequested(want.resource);
    const proven = ours || adopting;
    // Only a zone trueup can prove it created (or one being adopted) is read as Git declares; in
    // any other zone only registry marks prove ownership: `full` would hand trueup every
    // hand-made record set in it to delete.
    const management: Management = !proven ? 'shared' : want?.spec.management ??
      (tagged && tagValue(zoneTags, MANAGEMENT_TAG) === 'full' ? 'full' : 'shared');
    // A zone nobody marked, declared shared, is used as it is (never tagged, never deleted): shared
    // is the mode for zones trueup does not own. Declared full, it is left alone and the plan says
    // how to adopt it.
    const usedAsIs = owner === undefined && !adopting && want?.spec.management === 'shared';
    const registryPrefix = want?.spec.registryPrefix ?? (tagged ? tagValue(zoneTags, REGISTRY_PREFIX_TAG) : undefined) ?? DEFAULT_REGISTRY_PREFIX;
    const zoneState: ZoneState = {
      id, name, private: zone.Config?.PrivateZone === true, management, registryPrefix, registryTtl: want?.spec.ttl ?? DEFAULT_TTL,
      registryLive: new Map(), ownedGroups: new Map(),
    };
    if (!proven && owner === undefined && !usedAsIs) zoneState.unproven = true;
    if (tagged && management === 'shared' && tagValue(zoneTags, MANAGEMENT_TAG) === 'full') zoneState.leavingFull = true;
    // Our tagged zone reports the mode its tag records (an update rewrites a stale tag). A zone to
    // adopt, or ours without its tags (their call failed), reports the owner tags missing: the
    // update that writes them is in the plan. Any other zone is never tagged: it echoes Git.
    const taggedMode = tagValue(zoneTags, MANAGEMENT_TAG);
    const zoneValue: ZoneValue = { name, private: zoneState.private };
    // Declared and nobody's: adopted when planned (the annotation, or safety.adoptUnowned).
    const adoptable = owner === undefined && want !== undefined && !usedAsIs;
    const mode = tagged ? (taggedMode === 'full' || taggedMode === 'shared' ? taggedMode : undefined) : proven || adoptable ? undefined : want?.spec.management;
    if (mode !== undefined) zoneValue.management = mode;
    if ((proven && !tagged) || adoptable) zoneValue.ownerMark = 'missing';
    if (zoneState.private) {
      const detail = await api.call(ctx, 'GetHostedZone', { Id: id }, `hosted zone ${name}`);
      zoneValue.vpcs = (detail.VPCs ?? []).map((v) => ({ id: v.VPCId ?? '', region: v.VPCRegion ?? '' }))
        .sort((a, b) => (a.id + a.region < b.id + b.region ? -1 : 1));
    }
    const zoneHandle: ZoneHandle = { zoneId: id, tagged, ours };
    if (ours && !tagged) zoneHandle.writeOwnerTags = 'repair';
    else if (adoptable) zoneHandle.writeOwnerTags = 'adopt';
    const zoneObject: ObservedObject = {
      key: zoneKey(name), type: ZONE_OBJECT_TYPE, display: `hosted zone ${name}`, scope: zoneScope(name),
      value: zoneValue as unknown as JsonObject, handle: zoneHandle,
      ownership: proven || usedAsIs ? { state: 'owned' } : owner !== undefined ? { state: 'foreign', owner } : { state: 'unowned' },
    };
    if (usedAsIs) zoneObject.protected = true;
    else if (!proven && owner === undefined) {
      zoneObject.unownedReason = unprovenZoneReason({
        mark: `${OWNER_TAG} tag and no trueup CallerReference`, importHint: `trueup import --provider ${ctx.instance} ${name}`,
      });
    }
    objects.push(zoneObject);

    const sets = await listRecordSets(api, ctx, id, name);
    objects.push(...recordObjects(sets, zoneState, ctx.ownerId));
    state.zones.set(name, zoneState);
    done += 1;
    if (picked.length > 1) ctx.progress(`observed ${done}/${picked.length} hosted zones`);
  });
  await mapLimit(work, 4, (task) => task());

  const refinedDesired = refineAliases(request.desired, state);
  return refinedDesired ? { objects, refinedDesired } : { objects };
}

/** Turn listed sets into observed objects; registry TXT records of shared zones are folded into
 * the ownership of what they mark and are not objects of their own. */
export function recordObjects(sets: readonly ResourceRecordSet[], zone: ZoneState, ownerId: string): ObservedObject[] {
  const registry = new RegistryIndex(zone.registryPrefix);
  const values: { set: ResourceRecordSet; value: RecordValue }[] = [];
  for (const set of sets) {
    const value = fromResourceRecordSet(set, zone.id);
    if (zone.management === 'shared' && registry.add(value.name, value.type, value.values)) {
      const target = registry.targetOf(value.name);
      if (target) zone.registryLive.set(groupKey(target.name, target.type), set);
      continue;
    }
    values.push({ set, value });
  }
  const objects: ObservedObject[] = [];
  const seen = new Set<string>();
  for (const { set, value } of values) {
    const setId = value.route53.setIdentifier;
    const key = recordSetKey(zone.name, value.name, value.type, setId);
    if (seen.has(key)) continue; // a page boundary inside a routing group may list a set twice
    seen.add(key);
    const verdict = recordOwnership({ management: zone.leavingFull ? 'full' : zone.management, zone: zone.name, name: value.name, type: value.type, ownerId, registry });
    if (zone.leavingFull && verdict.ownership.state === 'owned' && !verdict.protected && !zone.registryLive.has(groupKey(value.name, value.type))) {
      // Shown in the plan as `ownerMark: "missing" → (removed)`: the update writes the mark.
      (value as unknown as { ownerMark?: string }).ownerMark = 'missing';
    }
    const handle: RecordHandle = { zoneId: zone.id, live: set };
    const object: ObservedObject = {
      key, type: RECORDSET_OBJECT_TYPE, display: recordSetDisplay(value.name, value.type, setId), scope: zoneScope(zone.name),
      value: value as unknown as JsonObject, ownership: verdict.ownership, dependsOn: [zoneKey(zone.name)], handle,
    };
    if (verdict.protected) object.protected = true;
    if (zone.unproven && verdict.ownership.state === 'unowned') object.unownedReason = UNPROVEN_ZONE_RECORD_REASON;
    if (verdict.ownership.state === 'owned') {
      const g = groupKey(value.name, value.type);
      const group = zone.ownedGroups.get(g) ?? new Set<string>();
      group.add(key);
      zone.ownedGroups.set(g, group);
    }
    objects.push(object);
  }
  return objects;
}

export async function listHostedZones(api: Route53Api, ctx: ProviderContext): Promise<HostedZone[]> {
  const zones: HostedZone[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await api.call(ctx, 'ListHostedZones', marker === undefined ? {} : { Marker: marker });
    zones.push(...(page.HostedZones ?? []));
    if (!page.IsTruncated || !page.NextMarker) break;
    if (page.NextMarker === marker) throw new TerminalError(`paging did not advance (marker ${marker})`, { operation: 'ListHostedZones' });
    marker = page.NextMarker;
  }
  return zones;
}

async function listTags(api: Route53Api, ctx: ProviderContext, ids: string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>();
  for (let i = 0; i < ids.length; i += 10) {
    const chunk = ids.slice(i, i + 10);
    const res = await api.call(ctx, 'ListTagsForResources', { ResourceType: 'hostedzone', ResourceIds: chunk });
    for (const r of res.ResourceTagSets ?? []) out.set(bareZoneId(r.ResourceId ?? ''), r.Tags ?? []);
  }
  return out;
}

/**
 * Every record set of a zone, 300 per call, paging by NextRecordName / NextRecordType /
 * NextRecordIdentifier (the SDK has no paginator for it). A page that starts where an earlier
 * one started would loop forever: stop with an error naming the zone instead.
 */
export async function listRecordSets(api: Route53Api, ctx: ProviderContext, zoneId: string, zoneName: string): Promise<ResourceRecordSet[]> {
  const sets: ResourceRecordSet[] = [];
  const starts = new Set<string>();
  let input: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {};
  for (;;) {
    const page = await api.call(ctx, 'ListResourceRecordSets', { HostedZoneId: zoneId, MaxItems: PAGE_SIZE, ...input }, `hosted zone ${zoneName}`);
    sets.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) break;
    const next: typeof input = {};
    if (page.NextRecordName !== undefined) next.StartRecordName = page.NextRecordName;
    if (page.NextRecordType !== undefined) next.StartRecordType = page.NextRecordType;
    if (page.NextRecordIdentifier !== undefined) next.StartRecordIdentifier = page.NextRecordIdentifier;
    const id = JSON.stringify(next);
    if (starts.has(id) || next.StartRecordName === undefined) {
      throw new TerminalError(`paging did not advance: the API returned the page start ${next.StartRecordName ?? '(none)'} ${next.StartRecordType ?? ''} ${next.StartRecordIdentifier ?? ''} twice`,
        { operation: 'ListResourceRecordSets', subject: `hosted zone ${zoneName}` });
    }
    starts.add(id);
    input = next;
    if (sets.length % 3000 === 0) ctx.progress(`listed ${sets.length} record sets in ${zoneName}`);
  }
  return sets;
}

/** An alias naming its own zone's id is the same as one without hostedZoneId: compare it so. */
function refineAliases(desired: readonly DesiredObject[], state: InstanceState): DesiredObject[] | undefined {
  let changed = false;
  const out = desired.map((d) => {
    if (d.type !== RECORDSET_OBJECT_TYPE) return d;
    const value = d.value as unknown as RecordValue;
    const alias = value.route53.alias;
    const zone = state.zones.get(d.scope.slice(5));
    if (!alias?.hostedZoneId || !zone || bareZoneId(alias.hostedZoneId) !== zone.id) return d;
    changed = true;
    const { hostedZoneId: _drop, ...rest } = alias;
    return { ...d, value: { ...value, route53: { ...value.route53, alias: rest } } as unknown as JsonObject };
  });
  return changed ? out : undefined;
}

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** Who a hosted zone proves it belongs to: its owner tag, else the owner its CallerReference names. */
export function zoneProof(zone: HostedZone, tags: readonly Tag[] | undefined, ownerId: string): { owner?: string; ours: boolean; tagged: boolean } {
  const tagOwner = tagValue(tags, OWNER_TAG);
  if (tagOwner !== undefined && tagOwner !== '') return { owner: tagOwner, ours: tagOwner === ownerId, tagged: tagOwner === ownerId };
  const created = ownerFromCallerReference(zone.CallerReference);
  if (created === undefined) return { ours: false, tagged: false };
  return { owner: created, ours: created === callerOwner(ownerId), tagged: false };
}

