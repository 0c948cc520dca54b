// A change request refused with "already exists" / "not found" may only mean it was already
// done: the SDK retries a request whose first attempt Route 53 applied but whose answer was lost
// (a reset, a timeout), and the retry finds its own work. Bisecting that batch would send one
// request per record and report every one as failed although all are live. So the zone is read
// again and each unit whose every change is already true counts as applied; only the rest is
// submitted again (and bisected if it is refused again).
//
// Route 53's messages (API reference, ChangeResourceRecordSets, InvalidChangeBatch):
//   "Tried to create resource record set [name='…', type='A'] but it already exists"
//   "Tried to delete resource record set [name='…', type='A'] but it was not found"

import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { canonicalJson, type ProviderContext } from '../../src/sdk/index.ts';
import type { ChangeUnit } from './batch.ts';
import type { Route53Api } from './client.ts';
import { apiMessage, errorCode } from './errors.ts';
import { listRecordSets } from './observe.ts';
import { fromResourceRecordSet } from './wire.ts';

/** Is this refusal one that a request applied before could cause? */
export function mayBeAlreadyApplied(error: unknown): boolean {
  return errorCode(error) === 'InvalidChangeBatch' && /but it already exists|but it was not found/i.test(apiMessage(error));
}

/** Split `units` into those already true in `live` and the rest (pure). */
export function splitSettled(units: readonly ChangeUnit[], live: readonly ResourceRecordSet[], zoneId: string): { done: ChangeUnit[]; rest: ChangeUnit[] } {
  const byId = new Map<string, string>();
  for (const set of live) byId.set(idOf(set, zoneId), canonicalJson(fromResourceRecordSet(set, zoneId) as never));
  const done: ChangeUnit[] = [];
  const rest: ChangeUnit[] = [];
  for (const unit of units) {
    // Identities the unit writes: a DELETE of one of them is true once the write is (a replace).
    const written = new Set(unit.changes.filter((c) => c.Action !== 'DELETE' && c.ResourceRecordSet).map((c) => idOf(c.ResourceRecordSet as ResourceRecordSet, zoneId)));
    (unit.changes.every((c) => isTrue(c, byId, written, zoneId)) ? done : rest).push(unit);
  }
  return { done, rest };
}

function isTrue(change: Change, live: ReadonlyMap<string, string>, written: ReadonlySet<string>, zoneId: string): boolean {
  const set = change.ResourceRecordSet;
  if (!set) return false;
  const id = idOf(set, zoneId);
  const current = live.get(id);
  if (change.Action === 'DELETE') return current === undefined || written.has(id);
  return current === canonicalJson(fromResourceRecordSet(set, zoneId) as never);
}

function idOf(set: ResourceRecordSet, zoneId: string): string {
  const v = fromResourceRecordSet(set, zoneId);
  return identity(v.name, v.type, v.route53.setIdentifier);
}

function identity(name: string, type: string, setIdentifier: string | undefined): string {
  return `${name.toLowerCase()} ${type} ${setIdentifier ?? ''}`;
}

/** Read the zone again and split `units` (see above). */
export async function settleUnits(api: Route53Api, ctx: ProviderContext, zone: { id: string; name: string }, units: readonly ChangeUnit[]): Promise<{ done: ChangeUnit[]; rest: ChangeUnit[] }> {
  const live = await listRecordSets(api, ctx, zone.id, zone.name);
  return splitSettled(units, live, zone.id);
}
