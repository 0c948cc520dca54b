// apply: run the changes of a plan in dependency waves. In each wave every provider instance
// gets its changes as one batch (split by the provider's maxBatch), instances run concurrently
// up to a bound. A failed change blocks only what depends on it; everything else goes on.

import type {
  ApplyChange, ChangeOutcome, ProviderContext, ProviderErrorInfo, ProviderInstance,
} from '../sdk/index.ts';
import { mapLimit, toErrorInfo, UNANSWERED_CODES } from '../sdk/index.ts';
import { changeId, orderChanges } from './order.ts';

export interface InstanceHandle {
  instance: ProviderInstance;
  ctx: ProviderContext;
  maxBatch?: number;
}

export type ChangeStatus = 'applied' | 'failed' | 'skipped';

export interface ChangeReport {
  change: ApplyChange;
  status: ChangeStatus;
  error?: ProviderErrorInfo;
  detail?: string;
}

export interface ApplyOptions {
  changes: readonly ApplyChange[];
  instances: ReadonlyMap<string, InstanceHandle>;
  /** Provider batches running at once, across instances. */
  concurrency?: number;
  /** Stop starting new waves (shutdown); the batch in flight finishes. */
  signal?: AbortSignal;
  onReport?(report: ChangeReport): void;
}

export async function executeChanges(options: ApplyOptions): Promise<ChangeReport[]> {
  const { waves, prerequisites } = orderChanges(options.changes);
  const status = new Map<string, ChangeStatus>();
  const reports: ChangeReport[] = [];
  const report = (r: ChangeReport) => {
    status.set(changeId(r.change), r.status);
    reports.push(r);
    options.onReport?.(r);
  };

  for (const wave of waves) {
    const runnable: ApplyChange[] = [];
    for (const change of wave) {
      if (options.signal?.aborted) {
        report({ change, status: 'skipped', error: { message: 'not started: shutting down', transient: true } });
        continue;
      }
      const failedPrereq = (prerequisites.get(changeId(change)) ?? []).find((id) => status.get(id) !== 'applied');
      if (failedPrereq) {
        const [, key] = failedPrereq.split('\u0000');
        report({ change, status: 'skipped', error: { message: `not applied: it depends on ${key}, which did not apply`, transient: true } });
        continue;
      }
      runnable.push(change);
    }
    const batches: { handle: InstanceHandle; changes: ApplyChange[] }[] = [];
    const byInstance = groupBy(runnable, (c) => c.provider);
    for (const [name, changes] of byInstance) {
      const handle = options.instances.get(name);
      if (!handle) {
        for (const change of changes) report({ change, status: 'failed', error: { message: `no provider instance ${name}`, transient: false } });
        continue;
      }
      const size = handle.maxBatch ?? changes.length;
      for (let i = 0; i < changes.length; i += size) batches.push({ handle, changes: changes.slice(i, i + size) });
    }
    await mapLimit(batches, options.concurrency ?? 4, async ({ handle, changes }) => {
      for (const r of await runBatch(handle, changes)) report(r);
    });
  }
  return reports;
}

async function runBatch(handle: InstanceHandle, changes: ApplyChange[]): Promise<ChangeReport[]> {
  let outcomes: ChangeOutcome[];
  try {
    // The fence before every batch, whatever the provider does inside it (providers fence each
    // request too: one batch may send many).
    handle.ctx.beforeWrite('apply');
    outcomes = await handle.instance.apply(changes, handle.ctx);
  } catch (error) {
    const info = toErrorInfo(error, 'apply');
    const reports = changes.map((change): ChangeReport => ({ change, status: 'failed', error: info }));
    logUnknown(handle, reports);
    return reports;
  }
  const byKey = new Map(outcomes.map((o) => [o.key, o]));
  const reports = changes.map((change): ChangeReport => {
    const outcome = byKey.get(change.key);
    if (!outcome) return { change, status: 'failed', error: { message: 'the provider reported no outcome for this change', transient: true } };
    if (outcome.status === 'applied') return outcome.detail ? { change, status: 'applied', detail: outcome.detail } : { change, status: 'applied' };
    return { change, status: 'failed', error: outcome.error };
  });
  logUnknown(handle, reports);
  return reports;
}

/** A write that got no answer (timed out, aborted) may have been applied: it is neither applied
 * nor failed but unknown, and the next observe decides. Said once per batch, with the keys. */
function logUnknown(handle: InstanceHandle, reports: readonly ChangeReport[]): void {
  const unknown = reports.filter((r) => r.status === 'failed' && UNANSWERED_CODES.has(r.error?.code ?? ''));
  if (unknown.length === 0) return;
  const first = unknown[0]?.error;
  handle.ctx.log.warn({ outcome: 'unknown', operation: first?.operation, changes: unknown.slice(0, 20).map((r) => r.change.display), count: unknown.length },
    `${unknown.length} change${unknown.length === 1 ? '' : 's'} got no answer (${first?.message ?? 'no answer'}): outcome unknown, the next observe decides`);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
