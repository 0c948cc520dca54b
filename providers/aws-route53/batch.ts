// Packing record changes into ChangeResourceRecordSets requests, and isolating the changes
// Route 53 rejects. Pure logic over an injected `submit`, so it is unit-tested without a network.
//
// Limits (Route 53 developer guide, "Quotas"): per request at most 1,000 ResourceRecord elements
// and 32,000 characters summed over every Value element; an UPSERT counts twice for both.
// A request is atomic on AWS: when it is rejected (InvalidChangeBatch), nothing in it happened.
// So a rejected request with several units is split in two and each half retried, recursively,
// until the bad units stand alone; the others apply (external-dns #1517 in reverse). Before
// bisecting a refusal that may mean "already done" (`settle`), what is already live is counted
// as applied, so a retried request whose first answer was lost costs one read, not a bisection.

import type { Change } from '@aws-sdk/client-route-53';

export const MAX_RECORDS_PER_REQUEST = 1000;
export const MAX_VALUE_CHARS_PER_REQUEST = 32000;

/** Changes that must go together: a record set's change(s) (DELETE + CREATE for a replace) and
 * the registry TXT change marking it. `keys` are the planned changes it carries. */
export interface ChangeUnit {
  keys: string[];
  changes: Change[];
}

export interface Limits {
  records: number;
  chars: number;
}

export const ROUTE53_LIMITS: Limits = { records: MAX_RECORDS_PER_REQUEST, chars: MAX_VALUE_CHARS_PER_REQUEST };

export function changeCost(change: Change): { records: number; chars: number } {
  const set = change.ResourceRecordSet;
  const factor = change.Action === 'UPSERT' ? 2 : 1;
  const values = set?.ResourceRecords ?? [];
  // An alias set has no ResourceRecord elements; count it as one so a request of aliases stays bounded.
  const records = Math.max(values.length, 1);
  const chars = values.reduce((n, r) => n + (r.Value?.length ?? 0), 0);
  return { records: records * factor, chars: chars * factor };
}

export function unitCost(unit: ChangeUnit): { records: number; chars: number } {
  return unit.changes.reduce((acc, c) => {
    const cost = changeCost(c);
    return { records: acc.records + cost.records, chars: acc.chars + cost.chars };
  }, { records: 0, chars: 0 });
}

/** Greedy packing in order. A unit over the limits on its own gets a request of its own (the API
 * will reject it and say why). */
export function packUnits(units: readonly ChangeUnit[], limits: Limits = ROUTE53_LIMITS): ChangeUnit[][] {
  const batches: ChangeUnit[][] = [];
  let current: ChangeUnit[] = [];
  let records = 0;
  let chars = 0;
  for (const unit of units) {
    const cost = unitCost(unit);
    if (current.length > 0 && (records + cost.records > limits.records || chars + cost.chars > limits.chars)) {
      batches.push(current);
      current = [];
      records = 0;
      chars = 0;
    }
    current.push(unit);
    records += cost.records;
    chars += cost.chars;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const ORDER: Record<string, number> = { DELETE: 0, CREATE: 1, UPSERT: 2 };

/** The Change list of a request: deletes first (a replace frees the name before it is created),
 * and one copy of changes several units share (the registry UPSERT of a weighted group). */
export function requestChanges(units: readonly ChangeUnit[]): Change[] {
  const seen = new Set<string>();
  const out: Change[] = [];
  for (const unit of units) {
    for (const change of unit.changes) {
      const s = change.ResourceRecordSet;
      const id = `${change.Action} ${s?.Name} ${s?.Type} ${s?.SetIdentifier ?? ''}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(change);
    }
  }
  return out.sort((a, b) => (ORDER[a.Action ?? ''] ?? 3) - (ORDER[b.Action ?? ''] ?? 3));
}

export interface UnitResult {
  unit: ChangeUnit;
  /** Undefined when applied; the error otherwise. */
  error?: unknown;
  /** The change id of the request that applied it. */
  changeId?: string;
  /** Found already applied after a rejection (see `settle`). */
  alreadyLive?: true;
}

export interface SubmitOptions {
  /** Sends one request; resolves with its change id or throws. */
  submit(changes: Change[]): Promise<string | undefined>;
  /** Is this error a rejection of the request's content (isolate), rather than a failure to send? */
  isRejection(error: unknown): boolean;
  /** Do not isolate: a rejected request fails every unit in it. */
  allOrNothing?: boolean;
  limits?: Limits;
  /** For a rejection that may mean "already done" (a retried request whose first attempt was
   * applied): split the batch into the units already true live and the rest. Asked at most once
   * per packed request; undefined (or a failure) means "bisect as usual". */
  settle?(batch: readonly ChangeUnit[], error: unknown): Promise<{ done: ChangeUnit[]; rest: ChangeUnit[] } | undefined>;
}

/** Submit units in packed requests; isolate rejected units by bisecting. */
export async function submitUnits(units: readonly ChangeUnit[], options: SubmitOptions): Promise<UnitResult[]> {
  const results: UnitResult[] = [];
  const run = async (batch: readonly ChangeUnit[], maySettle: boolean): Promise<void> => {
    try {
      const changeId = await options.submit(requestChanges(batch));
      for (const unit of batch) results.push(changeId === undefined ? { unit } : { unit, changeId });
    } catch (error) {
      const rejected = options.isRejection(error);
      const settled = rejected && maySettle && options.settle ? await options.settle(batch, error).catch(() => undefined) : undefined;
      if (settled && settled.done.length > 0) {
        for (const unit of settled.done) results.push({ unit, alreadyLive: true });
        if (settled.rest.length > 0) await run(settled.rest, false);
        return;
      }
      if (batch.length === 1 || options.allOrNothing || !rejected) {
        for (const unit of batch) results.push({ unit, error });
        return;
      }
      const mid = Math.ceil(batch.length / 2);
      await run(batch.slice(0, mid), false);
      await run(batch.slice(mid), false);
    }
  };
  for (const batch of packUnits(units, options.limits)) await run(batch, true);
  return results;
}
