// Apply: managed zones first (created when declared and missing, labelled as ours; description,
// private networks and ownership labels patched), then record sets as Cloud DNS changes, then
// zone deletions (a zone removed from Git and labelled ours, emptied by the record deletions the
// engine orders before it). Record sets go as one `changes.create` per zone per batch holding
// additions and deletions together (an update is atomic), deletions exactly the live sets read by
// observe, at most 1,000 additions, 1,000 deletions and 100,000 bytes of rrdata per change (a
// large apply is split into several changes, never refused). In shared zones each created or
// deleted set carries its registry TXT record in the same change.
//
// A change applies all or nothing. When the API rejects a batch for its content (not for
// throttling or a server error), the batch is split in halves until the offending record sets
// are isolated: the others apply, the bad ones are reported with the API's message.

import type { ApplyChange, ChangeOutcome, JsonObject, ProviderContext } from '../../src/sdk/index.ts';
import { ProviderError, TerminalError, TransientError, canonicalJson, toErrorInfo } from '../../src/sdk/index.ts';
import {
  RECORDSET_OBJECT_TYPE, ZONE_OBJECT_TYPE, parseRegistryValue, readZone, registryName, registryValue, zoneFromScope,
} from '../../src/sdk/dns/index.ts';
import type { ApiRrset, ApiZone, CloudDnsClient } from './client.ts';
import { httpStatus, isRetryable } from './errors.ts';
import { zoneSettings } from './expand.ts';
import { MAX_ADDITIONS, MAX_DELETIONS, MAX_RRDATA_BYTES_PER_CHANGE, rrdataBytes } from './limits.ts';
import { OWNER_LABEL, REGISTRY_PREFIX_LABEL, labelValue, ownerLabels, prefixLabel, zoneMarks } from './labels.ts';
import type { RecordHandle, ZoneHandle, ZoneRuntime } from './observe.ts';
import { defaultZoneName, policyToWire, valuesFromWire } from './policy.ts';

const REGISTRY_TTL = 300;
export const DEFAULT_DESCRIPTION = 'Managed by trueup';

export interface ApplyDeps {
  client: CloudDnsClient;
  project: string;
  runtime: Map<string, ZoneRuntime>;
  /** Change ids per applied object key (for `verify`). */
  submitted: Map<string, { managedZone: string; id: string; zone: string }>;
}

interface Part {
  change: ApplyChange;
  additions: ApiRrset[];
  deletions: ApiRrset[];
  registryAdded?: ApiRrset;
  registryDeleted?: string;
}

export async function applyChanges(changes: ApplyChange[], ctx: ProviderContext, deps: ApplyDeps): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  const zones = changes.filter((c) => c.type === ZONE_OBJECT_TYPE);
  // Zones are created before their record sets and deleted after them (the engine already runs
  // them in separate waves; this keeps one mixed batch right too).
  // Zones whose adoption (owner labels) failed: their record changes rest on that ownership and
  // wait for the next pass.
  const unproven = new Set<string>();
  for (const change of zones.filter((c) => c.action !== 'delete')) {
    const outcome = await applyZone(change, ctx, deps);
    outcomes.push(outcome);
    if (outcome.status === 'failed' && (change.observed?.handle as ZoneHandle | undefined)?.adopt) unproven.add(change.scope);
  }
  const byZone = new Map<string, ApplyChange[]>();
  for (const change of changes.filter((c) => c.type === RECORDSET_OBJECT_TYPE)) {
    if (unproven.has(change.scope)) {
      outcomes.push({ key: change.key, status: 'failed', error: { message: `not applied: the owner labels of ${change.scope.slice(5)} could not be written; the next pass tries again`, transient: true } });
      continue;
    }
    const zone = zoneFromScope(change.scope) ?? change.scope;
    const list = byZone.get(zone);
    if (list) list.push(change);
    else byZone.set(zone, [change]);
  }
  for (const [zone, list] of byZone) outcomes.push(...await applyRecords(zone, list, ctx, deps));
  for (const change of zones.filter((c) => c.action === 'delete')) outcomes.push(await applyZone(change, ctx, deps));
  for (const change of changes.filter((c) => c.type !== ZONE_OBJECT_TYPE && c.type !== RECORDSET_OBJECT_TYPE)) {
    outcomes.push({ key: change.key, status: 'failed', error: { message: `unknown object type ${change.type}`, transient: false } });
  }
  return outcomes;
}

// --- zones --------------------------------------------------------------------------------------

async function applyZone(change: ApplyChange, ctx: ProviderContext, deps: ApplyDeps): Promise<ChangeOutcome> {
  const subject = change.display;
  try {
    if (change.action === 'delete') return { key: change.key, status: 'applied', detail: await deleteZone(change, ctx, deps) };
    const resource = change.desired?.resource;
    const after = change.after as JsonObject | undefined;
    if (!resource || !after) throw new TerminalError('the zone document is missing from the plan', { subject });
    const gcp = zoneSettings(resource);
    const read = readZone(resource).zone;
    if (!gcp || !read) throw new TerminalError('the zone document is invalid', { subject });
    if (change.action === 'create') {
      const body: ApiZone = {
        name: gcp.name ?? defaultZoneName(read.name),
        dnsName: read.name,
        description: gcp.description ?? DEFAULT_DESCRIPTION,
        visibility: gcp.visibility,
        labels: ownerLabels(ctx.ownerId, read.management, read.registryPrefix),
      };
      if (gcp.visibility === 'private') {
        body.privateVisibilityConfig = { networks: ((after.networks ?? []) as string[]).map((networkUrl) => ({ networkUrl })) };
      }
      const created = await deps.client.createZone(ctx, body, subject).catch(async (error: unknown) => {
        if (error instanceof ProviderError && error.code === 'alreadyExists') {
          // The labels travel in the create call: a zone of this name that serves this DNS name and
          // carries our owner label is this create's, whose answer was lost (a retried attempt
          // then meets the zone the first one made). Anything else is someone else's zone.
          const existing = (await deps.client.listZones(ctx)).find((z) => z.name === body.name);
          if (existing && existing.dnsName?.toLowerCase() === read.name && zoneMarks(existing.labels, ctx.ownerId).ours) return existing;
          throw new TerminalError(`a managed zone named ${body.name} already exists in project ${deps.project} and serves another DNS name or visibility; name this one with spec.gcp.name`,
            { subject, operation: 'managedZones.create', code: 'alreadyExists', cause: error });
        }
        throw error;
      });
      deps.runtime.set(read.name, {
        dnsName: read.name, managedZone: created.name ?? body.name, management: read.management, registryPrefix: read.registryPrefix, registry: new Map(),
      });
      return { key: change.key, status: 'applied', detail: `created managed zone ${created.name ?? body.name}` };
    }
    const before = change.before as JsonObject | undefined;
    if (before && before.visibility !== after.visibility) {
      throw new TerminalError(`the visibility of a managed zone cannot change (${String(before.visibility)} → ${String(after.visibility)}); declare a new zone (gcp.name) instead`,
        { subject, operation: 'managedZones.patch' });
    }
    const handle = change.observed?.handle as ZoneHandle | undefined;
    const managedZone = handle?.managedZone ?? deps.runtime.get(read.name)?.managedZone;
    if (!managedZone) throw new TransientError('the managed zone was not found; it is read again on the next pass', { subject, operation: 'managedZones.patch' });
    const patch: Partial<ApiZone> = {};
    if (after.description !== undefined) patch.description = after.description as string;
    if (after.visibility === 'private') patch.privateVisibilityConfig = { networks: ((after.networks ?? []) as string[]).map((networkUrl) => ({ networkUrl })) };
    if (handle?.adopt) {
      // Adopted: the owner labels are the proof from now on. Labels the zone already has are kept.
      patch.labels = { ...handle.labels, ...ownerLabels(ctx.ownerId, read.management, read.registryPrefix) };
    } else if (handle?.ours && (before?.management !== after.management || before?.registryPrefix !== after.registryPrefix)) {
      // Only a zone already ours is relabelled (observe drops the marks from the others' desired
      // value). A label patch replaces the whole map: keep every label trueup does not write.
      const labels = { ...handle.labels, ...ownerLabels(ctx.ownerId, read.management, read.registryPrefix) };
      if (prefixLabel(read.registryPrefix) === undefined) delete labels[REGISTRY_PREFIX_LABEL];
      patch.labels = labels;
    }
    await deps.client.patchZone(ctx, managedZone, patch, subject);
    return handle?.adopt ? { key: change.key, status: 'applied', detail: 'adopted: owner labels written' } : { key: change.key, status: 'applied' };
  } catch (error) {
    return { key: change.key, status: 'failed', error: toErrorInfo(error, 'managedZones') };
  }
}

/**
 * Delete a managed zone removed from Git. Only a zone whose labels name this source's owner is
 * deleted (the planner only plans it then; this is checked again). Its record sets were deleted
 * in earlier waves (their objects depend on the zone); registry records of ours that marked
 * nothing left are removed first, because Cloud DNS deletes only a zone that holds nothing but its
 * apex SOA and NS (400 containerNotEmpty). A zone that still holds record sets trueup does not own
 * is reported, naming them: it is not emptied.
 */
async function deleteZone(change: ApplyChange, ctx: ProviderContext, deps: ApplyDeps): Promise<string> {
  const subject = change.display;
  const handle = change.observed?.handle as ZoneHandle | undefined;
  if (!handle?.ours) {
    throw new TerminalError(`not deleted: the managed zone does not carry the label ${OWNER_LABEL}: ${labelValue(ctx.ownerId)}`, { subject, operation: 'managedZones.delete' });
  }
  const dnsName = (change.before as JsonObject).dnsName as string;
  const runtime = deps.runtime.get(dnsName);
  // Only marks of ours that marked nothing when observed: a mark on a set still there (one that
  // is not ours to delete) stays, and the zone deletion below reports that set.
  const leftovers = [...(runtime?.registry ?? [])].filter(([name, r]) => {
    const owners = valuesFromWire('TXT', r.rrdatas).map(parseRegistryValue);
    return runtime?.orphanRegistry?.has(name) === true && owners.length > 0 && owners.every((o) => o === ctx.ownerId);
  }).map(([, r]) => r);
  if (leftovers.length > 0) await deps.client.createChange(ctx, handle.managedZone, [], leftovers, `${subject} (registry records)`);
  try {
    await deps.client.deleteZone(ctx, handle.managedZone, subject);
  } catch (error) {
    if (!(error instanceof ProviderError) || error.code !== 'containerNotEmpty') throw error;
    const left = (await deps.client.listRrsets(ctx, handle.managedZone, subject))
      .filter((r) => !(r.name.toLowerCase() === dnsName && (r.type === 'SOA' || r.type === 'NS')))
      .map((r) => `${r.name.toLowerCase()} ${r.type}`);
    const shown = left.length > 5 ? `${left.slice(0, 5).join(', ')} and ${left.length - 5} more` : left.join(', ');
    throw new TerminalError(`not deleted: the managed zone still holds record sets trueup does not own (${shown || 'unknown'}); delete them by hand, or declare the zone again`,
      { subject, operation: 'managedZones.delete', code: 'containerNotEmpty', cause: error });
  }
  deps.runtime.delete(dnsName);
  return `deleted managed zone ${handle.managedZone}`;
}

// --- record sets --------------------------------------------------------------------------------

/** The API form of a desired record set value. */
export function toWire(value: JsonObject): ApiRrset {
  const rrset: ApiRrset = { name: value.name as string, type: value.type as string, ttl: value.ttl as number };
  const policy = (value.gcp as JsonObject | undefined)?.routingPolicy as JsonObject | undefined;
  if (policy) rrset.routingPolicy = policyToWire(policy);
  else rrset.rrdatas = [...(value.values as string[])];
  return rrset;
}

async function applyRecords(zone: string, changes: ApplyChange[], ctx: ProviderContext, deps: ApplyDeps): Promise<ChangeOutcome[]> {
  const outcomes: ChangeOutcome[] = [];
  let runtime = deps.runtime.get(zone);
  if (!runtime) {
    // Planned in another process (a saved plan) or the zone was created since: look it up once.
    const live = (await deps.client.listZones(ctx)).filter((z) => z.dnsName?.toLowerCase() === zone);
    const resource = changes.find((c) => c.desired)?.desired?.resource;
    const read = resource ? readZone(resource).zone : undefined;
    if (live.length === 1 && live[0] && read) {
      runtime = { dnsName: zone, managedZone: live[0].name, management: read.management, registryPrefix: read.registryPrefix, registry: new Map() };
      deps.runtime.set(zone, runtime);
    }
  }
  if (!runtime) {
    const error = new TransientError(`managed zone for ${zone} not found in project ${deps.project}; it is read again on the next pass`, { subject: `zone ${zone}`, operation: 'changes.create' });
    return changes.map((c) => ({ key: c.key, status: 'failed', error: error.info() }));
  }
  const parts: Part[] = [];
  for (const change of changes) {
    try {
      parts.push(partFor(change, runtime, ctx.ownerId));
    } catch (error) {
      outcomes.push({ key: change.key, status: 'failed', error: toErrorInfo(error, 'changes.create') });
    }
  }
  const batches = packChanges(parts);
  let done = 0;
  for (const batch of batches) {
    const only = batch.length === 1 ? batch[0] : undefined;
    const oversized = only !== undefined && only.additions.length > 0 && only.deletions.length > 0 && partBytes(only) > MAX_RRDATA_BYTES_PER_CHANGE;
    outcomes.push(...await (oversized ? sendInTwo(only, runtime, ctx, deps) : send(batch, runtime, ctx, deps)));
    done += batch.length;
    if (batches.length > 1) ctx.progress(`applied ${done}/${parts.length} record set changes in zone ${zone}`);
  }
  return outcomes;
}

const partBytes = (part: Part): number => [...part.additions, ...part.deletions].reduce((sum, r) => sum + rrdataBytes(r), 0);

/** Parts packed in order into changes within every per-change limit: additions, deletions and
 * bytes of rrdata. A part over the byte limit on its own goes alone. */
function packChanges(parts: readonly Part[]): Part[][] {
  const batches: Part[][] = [];
  let current: Part[] = [];
  let adds = 0;
  let dels = 0;
  let bytes = 0;
  for (const part of parts) {
    const size = partBytes(part);
    if (current.length > 0 && (adds + part.additions.length > MAX_ADDITIONS || dels + part.deletions.length > MAX_DELETIONS
      || bytes + size > MAX_RRDATA_BYTES_PER_CHANGE)) {
      batches.push(current);
      current = [];
      adds = 0;
      dels = 0;
      bytes = 0;
    }
    current.push(part);
    adds += part.additions.length;
    dels += part.deletions.length;
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * An update whose old and new rrdata together exceed what one change carries (each fits alone:
 * validate refuses a set that does not): the old set is deleted in one change and the new one
 * added in the next. Between the two the name does not resolve; the log says so.
 */
async function sendInTwo(part: Part, runtime: ZoneRuntime, ctx: ProviderContext, deps: ApplyDeps): Promise<ChangeOutcome[]> {
  const { registryAdded, registryDeleted, ...rest } = part;
  ctx.log.warn({ subject: part.change.display, bytes: partBytes(part), limit: MAX_RRDATA_BYTES_PER_CHANGE },
    `${part.change.display}: the old and new values together exceed ${MAX_RRDATA_BYTES_PER_CHANGE} bytes of rrdata, more than one Cloud DNS change carries; deleting the old set, then adding the new one`);
  const removal: Part = { ...rest, additions: [], ...(registryDeleted ? { registryDeleted } : {}) };
  const first = await send([removal], runtime, ctx, deps);
  if (first.some((o) => o.status !== 'applied')) return first;
  return send([{ ...rest, deletions: [], ...(registryAdded ? { registryAdded } : {}) }], runtime, ctx, deps);
}

function partFor(change: ApplyChange, runtime: ZoneRuntime, ownerId: string): Part {
  const handle = change.observed?.handle as RecordHandle | undefined;
  const part: Part = { change, additions: [], deletions: [] };
  if (change.action !== 'create') {
    if (!handle) throw new TransientError('the live record set was not read; it is read again on the next pass', { subject: change.display, operation: 'changes.create' });
    part.deletions.push(handle.live);
  }
  if (change.action !== 'delete') part.additions.push(toWire(change.after as JsonObject));
  if (runtime.management !== 'shared') return part;
  const value = (change.after ?? change.before) as JsonObject;
  const name = registryName(value.name as string, value.type as string, runtime.registryPrefix);
  if (change.action === 'update' && !runtime.registry.get(name)) {
    // An owned set without its mark (a zone switched from full to shared): write the mark.
    part.registryAdded = { name, type: 'TXT', ttl: REGISTRY_TTL, rrdatas: [registryValue(ownerId)] };
    part.additions.push(part.registryAdded);
  } else if (change.action === 'create') {
    const live = runtime.registry.get(name);
    const owners = live ? valuesFromWire('TXT', live.rrdatas).map(parseRegistryValue) : [];
    if (live && !owners.includes(ownerId)) {
      throw new TerminalError(`registry record ${name} marks this record set for another owner (${owners.filter(Boolean).join(', ') || 'unknown'}); it is not taken over`,
        { subject: change.display, operation: 'changes.create' });
    }
    if (!live) {
      part.registryAdded = { name, type: 'TXT', ttl: REGISTRY_TTL, rrdatas: [registryValue(ownerId)] };
      part.additions.push(part.registryAdded);
    }
  } else if (change.action === 'delete' && handle?.registry) {
    part.deletions.push(handle.registry);
    part.registryDeleted = name;
  }
  return part;
}

async function send(batch: Part[], runtime: ZoneRuntime, ctx: ProviderContext, deps: ApplyDeps, maySettle = true): Promise<ChangeOutcome[]> {
  const additions = batch.flatMap((p) => p.additions);
  const deletions = batch.flatMap((p) => p.deletions);
  const subject = batch.length === 1 ? (batch[0] as Part).change.display : `zone ${runtime.dnsName} (${batch.length} record sets)`;
  try {
    const result = await deps.client.createChange(ctx, runtime.managedZone, additions, deletions, subject);
    for (const part of batch) {
      if (part.registryAdded) runtime.registry.set(part.registryAdded.name, part.registryAdded);
      if (part.registryDeleted) runtime.registry.delete(part.registryDeleted);
      deps.submitted.set(part.change.key, { managedZone: runtime.managedZone, id: result.id, zone: runtime.dnsName });
    }
    return batch.map((p) => ({ key: p.change.key, status: 'applied', detail: `change ${result.id}` }));
  } catch (error) {
    const retryable = error instanceof ProviderError && isRetryable(error.cause);
    // 409 alreadyExists / 412 conditionNotMet / 404 may only mean "already done": a retry of a
    // change whose first answer was lost. Read the zone once; what is live counts as applied.
    if (maySettle && !retryable && error instanceof ProviderError && [404, 409, 412].includes(httpStatus(error.cause) ?? 0)) {
      const settled = await settle(batch, runtime, ctx, deps).catch(() => undefined);
      if (settled && settled.done.length > 0) {
        ctx.log.info({ zone: runtime.dnsName, alreadyLive: settled.done.length, remaining: settled.rest.length, error: error.message },
          `${runtime.dnsName}: change refused as already done; ${settled.done.length} of ${batch.length} record set changes found live (an earlier attempt was applied), ${settled.rest.length} left to apply`);
        const done = settled.done.map((p): ChangeOutcome => {
          if (p.registryAdded) runtime.registry.set(p.registryAdded.name, p.registryAdded);
          if (p.registryDeleted) runtime.registry.delete(p.registryDeleted);
          return { key: p.change.key, status: 'applied', detail: 'found live after a refused retry (an earlier attempt was applied; its answer was lost)' };
        });
        return [...done, ...(settled.rest.length > 0 ? await send(settled.rest, runtime, ctx, deps, false) : [])];
      }
    }
    if (batch.length === 1 || retryable) {
      const info = toErrorInfo(error, 'changes.create');
      return batch.map((p) => ({ key: p.change.key, status: 'failed', error: info }));
    }
    // the API refused the content of this change: isolate the offending record sets
    const half = Math.ceil(batch.length / 2);
    return [...await send(batch.slice(0, half), runtime, ctx, deps, false), ...await send(batch.slice(half), runtime, ctx, deps, false)];
  }
}

/** Split `batch` into the parts already true live (every addition present as sent, every
 * deletion gone or replaced by the part's own addition) and the rest. */
async function settle(batch: readonly Part[], runtime: ZoneRuntime, ctx: ProviderContext, deps: ApplyDeps): Promise<{ done: Part[]; rest: Part[] }> {
  const live = new Map<string, string>();
  for (const r of await deps.client.listRrsets(ctx, runtime.managedZone, `zone ${runtime.dnsName}`)) live.set(rrsetId(r), rrsetText(r));
  const done: Part[] = [];
  const rest: Part[] = [];
  for (const part of batch) {
    const added = new Set(part.additions.map(rrsetId));
    const ok = part.additions.every((a) => live.get(rrsetId(a)) === rrsetText(a))
      && part.deletions.every((d) => !live.has(rrsetId(d)) || added.has(rrsetId(d)));
    (ok ? done : rest).push(part);
  }
  return { done, rest };
}

function rrsetId(r: ApiRrset): string {
  return `${r.name.toLowerCase()} ${r.type}`;
}

function rrsetText(r: ApiRrset): string {
  return canonicalJson({ ttl: r.ttl ?? null, rrdatas: [...(r.rrdatas ?? [])].sort(), routingPolicy: (r.routingPolicy ?? null) as never });
}
