// apply: hosted zone changes one by one, record changes packed per zone into as few
// ChangeResourceRecordSets requests as the limits allow, with rejected changes isolated.
//
//   create  → CREATE            update → UPSERT           delete → DELETE of exactly the live set
//   replace → DELETE (live) + CREATE in one request (routing policy or alias-ness changed)
// In shared zones the registry TXT record travels in the same request as what it marks.

import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  TerminalError, toErrorInfo, type ApplyChange, type ChangeOutcome, type ProviderContext,
} from '../../src/sdk/index.ts';
import {
  DEFAULT_REGISTRY_PREFIX, DEFAULT_TTL, RECORDSET_OBJECT_TYPE, registryName, registryValue, ZONE_OBJECT_TYPE, type ZoneSpec,
} from '../../src/sdk/dns/index.ts';
import { submitUnits, type ChangeUnit } from './batch.ts';
import { mayBeAlreadyApplied, settleUnits } from './settle.ts';
import type { Route53Api } from './client.ts';
import { apiMessage, errorCode, isTransientAws, toProviderError } from './errors.ts';
import type { ZoneValue } from './expand.ts';
import { NAMESPACE, zoneExtensionSchema } from './extension.ts';
import { callerReference } from './ownership.ts';
import {
  groupKey, MANAGEMENT_TAG, OWNER_TAG, REGISTRY_PREFIX_TAG, type InstanceState, type RecordHandle, type ZoneHandle, type ZoneState,
} from './state.ts';
import { bareZoneId, toResourceRecordSet, type RecordValue } from './wire.ts';

/** Errors that mean "this request's content was refused": isolate the bad changes. */
const REJECTIONS = new Set(['InvalidChangeBatch', 'InvalidInput']);

export async function applyChanges(api: Route53Api, state: InstanceState, changes: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  // Zones whose owner tags (adoption or repair) could not be written: their record changes, which
  // rest on that ownership, wait for the next pass.
  const unproven = new Set<string>();
  for (const change of changes.filter((c) => c.type === ZONE_OBJECT_TYPE)) {
    try {
      const detail = await applyZoneChange(api, state, change, ctx);
      outcomes.push(detail ? { key: change.key, status: 'applied', detail } : { key: change.key, status: 'applied' });
    } catch (error) {
      outcomes.push({ key: change.key, status: 'failed', error: toErrorInfo(toProviderError(error, 'apply', change.display)) });
      if ((change.observed?.handle as ZoneHandle | undefined)?.writeOwnerTags) unproven.add(change.scope);
    }
  }
  const byZone = new Map<string, ApplyChange[]>();
  for (const change of changes.filter((c) => c.type === RECORDSET_OBJECT_TYPE)) {
    if (unproven.has(change.scope)) {
      outcomes.push({ key: change.key, status: 'failed', error: { message: `not applied: the owner tags of ${change.scope.slice(5)} could not be written; the next pass tries again`, transient: true } });
      continue;
    }
    const zone = change.scope.slice('zone/'.length);
    const list = byZone.get(zone);
    if (list) list.push(change);
    else byZone.set(zone, [change]);
  }
  for (const [zoneName, zoneChanges] of byZone) {
    outcomes.push(...await applyRecordChanges(api, state, zoneName, zoneChanges, ctx));
  }
  return outcomes;
}

async function zoneState(api: Route53Api, state: InstanceState, zoneName: string, changes: ApplyChange[], ctx: ProviderContext): Promise<ZoneState> {
  const known = state.zones.get(zoneName);
  if (known) return known;
  // Not seen by observe (created by another writer since): look it up by name.
  const res = await api.call(ctx, 'ListHostedZonesByName', { DNSName: zoneName, MaxItems: 1 }, `hosted zone ${zoneName}`);
  const zone = res.HostedZones?.find((z) => (z.Name ?? '').toLowerCase().replace(/\.?$/, '.') === zoneName);
  if (!zone?.Id) throw new TerminalError(`hosted zone ${zoneName} does not exist`, { operation: 'ListHostedZonesByName', subject: `hosted zone ${zoneName}` });
  const spec = changes.find((c) => c.desired)?.desired?.resource.spec as ZoneSpec | undefined;
  const fresh: ZoneState = {
    id: bareZoneId(zone.Id), name: zoneName, private: zone.Config?.PrivateZone === true, management: spec?.management ?? 'shared',
    registryPrefix: spec?.registryPrefix ?? DEFAULT_REGISTRY_PREFIX, registryTtl: spec?.ttl ?? DEFAULT_TTL, registryLive: new Map(), ownedGroups: new Map(),
  };
  state.zones.set(zoneName, fresh);
  return fresh;
}

/** Build the change units of one zone: each planned change with its registry change, if any. */
export function buildUnits(zone: ZoneState, changes: readonly ApplyChange[], ownerId: string): { units: ChangeUnit[]; invalid: ChangeOutcome[] } {
  const units: ChangeUnit[] = [];
  const invalid: ChangeOutcome[] = [];
  const shared = zone.management === 'shared';
  // Groups (name + type) whose registry record some change in this call writes.
  const writes = new Set<string>();
  const deleting = new Set(changes.filter((c) => c.action === 'delete').map((c) => c.key));
  for (const change of changes) {
    const v = (change.after ?? change.before) as unknown as RecordValue;
    if (change.action !== 'delete') writes.add(groupKey(v.name, v.type));
  }
  for (const change of changes) {
    const live = (change.observed?.handle as RecordHandle | undefined)?.live;
    const after = change.after as unknown as RecordValue | undefined;
    const v = (after ?? change.before) as unknown as RecordValue;
    const group = groupKey(v.name, v.type);
    const list: Change[] = [];
    if (change.action === 'create') list.push({ Action: 'CREATE', ResourceRecordSet: toResourceRecordSet(after as RecordValue, zone.id) });
    else if (change.action === 'update') list.push({ Action: 'UPSERT', ResourceRecordSet: toResourceRecordSet(after as RecordValue, zone.id) });
    else {
      if (!live) {
        invalid.push({ key: change.key, status: 'failed', error: { message: `${change.display}: no live record set to ${change.action}; plan again`, transient: true } });
        continue;
      }
      list.push({ Action: 'DELETE', ResourceRecordSet: live });
      if (change.action === 'replace') list.push({ Action: 'CREATE', ResourceRecordSet: toResourceRecordSet(after as RecordValue, zone.id) });
    }
    if (shared) {
      const registryLive = zone.registryLive.get(group);
      if (change.action !== 'delete' && !registryLive) {
        list.push({ Action: 'UPSERT', ResourceRecordSet: registrySet(zone, v, ownerId) });
      } else if (change.action === 'delete' && registryLive && !writes.has(group)) {
        const remaining = [...(zone.ownedGroups.get(group) ?? [])].filter((k) => !deleting.has(k));
        if (remaining.length === 0) list.push({ Action: 'DELETE', ResourceRecordSet: registryLive });
      }
    }
    units.push({ keys: [change.key], changes: list });
  }
  return { units, invalid };
}

function registrySet(zone: ZoneState, v: { name: string; type: string }, ownerId: string): ResourceRecordSet {
  return { Name: registryName(v.name, v.type, zone.registryPrefix), Type: 'TXT', TTL: zone.registryTtl, ResourceRecords: [{ Value: registryValue(ownerId) }] };
}

async function applyRecordChanges(api: Route53Api, state: InstanceState, zoneName: string, changes: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]> {
  let zone: ZoneState;
  try {
    zone = await zoneState(api, state, zoneName, changes, ctx);
  } catch (error) {
    const info = toErrorInfo(toProviderError(error, 'ListHostedZonesByName', `hosted zone ${zoneName}`));
    return changes.map((c) => ({ key: c.key, status: 'failed', error: info }));
  }
  const { units, invalid } = buildUnits(zone, changes, ctx.ownerId);
  const spec = changes.find((c) => c.desired)?.desired?.resource.spec as ZoneSpec | undefined;
  const allOrNothing = spec ? zoneExtensionSchema.safeParse(spec[NAMESPACE] ?? {}).data?.allOrNothing === true : false;
  const display = new Map(changes.map((c) => [c.key, c.display]));
  let requests = 0;
  const results = await submitUnits(units, {
    allOrNothing,
    isRejection: (error) => REJECTIONS.has(errorCode(error) ?? '') && !isTransientAws(error),
    settle: async (batch, error) => {
      if (!mayBeAlreadyApplied(error)) return undefined;
      const split = await settleUnits(api, ctx, zone, batch);
      ctx.log.info({ zone: zoneName, alreadyLive: split.done.length, remaining: split.rest.length, error: apiMessage(error) },
        `${zoneName}: change request refused as already done; ${split.done.length} of ${batch.length} changes found live (an earlier attempt was applied), ${split.rest.length} left to apply`);
      return split;
    },
    submit: async (list) => {
      requests += 1;
      const res = await api.callRaw(ctx, 'ChangeResourceRecordSets', { HostedZoneId: zone.id, ChangeBatch: { Changes: list } });
      if (requests % 5 === 0) ctx.progress(`${zoneName}: ${requests} change requests sent`);
      return res.ChangeInfo?.Id;
    },
  });
  const outcomes: ChangeOutcome[] = [...invalid];
  for (const r of results) {
    for (const key of r.unit.keys) {
      if (r.error === undefined) {
        if (r.changeId) state.changeIds.set(key, r.changeId);
        if (r.alreadyLive) outcomes.push({ key, status: 'applied', detail: 'found live after a refused retry (an earlier attempt was applied; its answer was lost)' });
        else outcomes.push(r.changeId ? { key, status: 'applied', detail: `change ${r.changeId}` } : { key, status: 'applied' });
      } else {
        const subject = display.get(key) ?? key;
        const e = toProviderError(r.error, 'ChangeResourceRecordSets', subject);
        outcomes.push({ key, status: 'failed', error: e.info() });
      }
    }
    if (r.error === undefined) rememberApplied(zone, r.unit);
  }
  return outcomes;
}

/** Keep the zone state true after a request applied (a later wave of the same apply reads it). */
function rememberApplied(zone: ZoneState, unit: ChangeUnit): void {
  for (const c of unit.changes) {
    const s = c.ResourceRecordSet;
    if (!s?.Name || s.Type !== 'TXT') continue;
    const prefix = `${zone.registryPrefix.toLowerCase()}.`;
    if (!s.Name.startsWith(prefix)) continue;
    const rest = s.Name.slice(prefix.length);
    const dot = rest.indexOf('.');
    const marked = rest.slice(dot + 1).replace(/^_wildcard\./, '*.');
    const g = groupKey(marked, rest.slice(0, dot).toUpperCase());
    if (c.Action === 'DELETE') zone.registryLive.delete(g);
    else zone.registryLive.set(g, s);
  }
}

async function applyZoneChange(api: Route53Api, state: InstanceState, change: ApplyChange, ctx: ProviderContext): Promise<string | undefined> {
  const subject = change.display;
  if (change.action === 'delete') {
    const handle = change.observed?.handle as ZoneHandle | undefined;
    if (!handle?.ours) throw new TerminalError(`not deleted: the zone carries neither the ${OWNER_TAG}=${ctx.ownerId} tag nor a CallerReference trueup wrote for this owner`, { subject, operation: 'DeleteHostedZone' });
    await api.call(ctx, 'DeleteHostedZone', { Id: handle.zoneId }, subject);
    state.zones.delete((change.before as unknown as ZoneValue).name);
    return undefined;
  }
  const want = change.after as unknown as ZoneValue;
  const spec = change.desired?.resource.spec as ZoneSpec | undefined;
  const ext = zoneExtensionSchema.parse(spec?.[NAMESPACE] ?? {});
  if (change.action === 'create') {
    const first = want.vpcs?.[0];
    const created = await api.call(ctx, 'CreateHostedZone', {
      Name: want.name,
      // Unique per attempt: a reused CallerReference is refused (AWS) or makes a second zone (moto).
      // It names the owner: the proof of creation if the tag call below never lands.
      CallerReference: callerReference(ctx.ownerId),
      HostedZoneConfig: { PrivateZone: want.private, ...(ext.comment !== undefined ? { Comment: ext.comment } : {}) },
      ...(first ? { VPC: { VPCId: first.id, VPCRegion: first.region as never } } : {}),
    }, subject);
    const id = bareZoneId(created.HostedZone?.Id ?? '');
    await api.call(ctx, 'ChangeTagsForResource', { ResourceType: 'hostedzone', ResourceId: id, AddTags: ownerTags(ctx.ownerId, spec) }, subject);
    for (const vpc of want.vpcs?.slice(1) ?? []) {
      await api.call(ctx, 'AssociateVPCWithHostedZone', { HostedZoneId: id, VPC: { VPCId: vpc.id, VPCRegion: vpc.region as never } }, subject);
    }
    state.zones.set(want.name, {
      id, name: want.name, private: want.private, management: spec?.management ?? 'full', registryPrefix: spec?.registryPrefix ?? DEFAULT_REGISTRY_PREFIX,
      registryTtl: spec?.ttl ?? DEFAULT_TTL, registryLive: new Map(), ownedGroups: new Map(),
    });
    return `created ${id}`;
  }
  // update: VPC associations of a private zone. Public ↔ private cannot change in place.
  const before = change.before as unknown as ZoneValue;
  const handle = change.observed?.handle as ZoneHandle;
  if (before.private !== want.private) {
    throw new TerminalError(`a hosted zone cannot switch between public and private; create a new zone (declared private: ${want.private})`, { subject, operation: 'UpdateHostedZone' });
  }
  const has = new Set((before.vpcs ?? []).map((v) => `${v.id} ${v.region}`));
  const wants = new Set((want.vpcs ?? []).map((v) => `${v.id} ${v.region}`));
  for (const vpc of want.vpcs ?? []) {
    if (!has.has(`${vpc.id} ${vpc.region}`)) await api.call(ctx, 'AssociateVPCWithHostedZone', { HostedZoneId: handle.zoneId, VPC: { VPCId: vpc.id, VPCRegion: vpc.region as never } }, subject);
  }
  for (const vpc of before.vpcs ?? []) {
    if (!wants.has(`${vpc.id} ${vpc.region}`)) await api.call(ctx, 'DisassociateVPCFromHostedZone', { HostedZoneId: handle.zoneId, VPC: { VPCId: vpc.id, VPCRegion: vpc.region as never } }, subject);
  }
  if (handle.writeOwnerTags) {
    // Adopted, or ours by its CallerReference with the tags its create pass never wrote.
    await api.call(ctx, 'ChangeTagsForResource', { ResourceType: 'hostedzone', ResourceId: handle.zoneId, AddTags: ownerTags(ctx.ownerId, spec) }, subject);
    return handle.writeOwnerTags === 'adopt' ? 'adopted: owner tags written' : 'owner tags repaired';
  }
  if (want.management !== undefined && before.management !== want.management && handle.tagged) {
    await api.call(ctx, 'ChangeTagsForResource', { ResourceType: 'hostedzone', ResourceId: handle.zoneId, AddTags: [{ Key: MANAGEMENT_TAG, Value: want.management }] }, subject);
    return `management tag set to ${want.management}`;
  }
  return undefined;
}

/** The tags that make a hosted zone this owner's, and say how to read it once it leaves Git. */
function ownerTags(ownerId: string, spec: ZoneSpec | undefined): { Key: string; Value: string }[] {
  const tags = [{ Key: OWNER_TAG, Value: ownerId }, { Key: MANAGEMENT_TAG, Value: spec?.management ?? 'full' }];
  if (spec && spec.registryPrefix !== DEFAULT_REGISTRY_PREFIX) tags.push({ Key: REGISTRY_PREFIX_TAG, Value: spec.registryPrefix });
  return tags;
}

/** Wait until every change id of `applied` is INSYNC (GetChange), or the timeout. */
export async function waitInSync(api: Route53Api, state: InstanceState, applied: ApplyChange[], ctx: ProviderContext, timeoutMs: number, pollMs: number): Promise<ChangeOutcome[]> {
  const ids = new Map<string, string[]>();
  for (const c of applied) {
    const id = state.changeIds.get(c.key);
    if (!id) continue;
    // Appended in place: copying the list per key cost ~500 element copies per change (1,000 per request).
    const keys = ids.get(id);
    if (keys) keys.push(c.key);
    else ids.set(id, [c.key]);
  }
  const outcomes: ChangeOutcome[] = [];
  const deadline = Date.now() + timeoutMs;
  for (const [id, keys] of ids) {
    for (;;) {
      let status: string | undefined;
      try {
        status = (await api.call(ctx, 'GetChange', { Id: id }, `change ${id}`)).ChangeInfo?.Status;
      } catch (error) {
        const info = toErrorInfo(error);
        for (const key of keys) outcomes.push({ key, status: 'failed', error: { ...info, message: `applied, but its status is unknown: ${apiMessage(error)}`, transient: true } });
        break;
      }
      if (status === 'INSYNC') {
        for (const key of keys) outcomes.push({ key, status: 'applied', detail: `change ${id} INSYNC` });
        break;
      }
      if (Date.now() >= deadline) {
        for (const key of keys) outcomes.push({ key, status: 'failed', error: { message: `change ${id} applied but still ${status ?? 'PENDING'} after ${timeoutMs / 1000}s`, transient: true, operation: 'GetChange' } });
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
      ctx.signal.throwIfAborted();
    }
  }
  return outcomes;
}
