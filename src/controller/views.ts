// Turns engine results (plans, apply reports) into the status views the API serves. Pure.

import type { ChangeReport } from '../apply/execute.ts';
import type { Plan, PlanError } from '../plan/types.ts';
import type { PassLane } from '../report/metrics.ts';
import type { PlannedChange } from '../sdk/index.ts';
import { MAX_CHANGES_SHOWN, emptyCounts, type ChangeCounts, type ChangeView, type PlanView, type ResourceError } from './status.ts';

/** A plan's short id: the first 12 hex digits of its checksum (what was reviewed is what applies). */
export function planId(plan: Plan): string {
  return plan.checksum.slice(0, 12);
}

export function changeView(change: PlannedChange): ChangeView {
  const view: ChangeView = { action: change.action, provider: change.provider, display: change.display, key: change.key, diffs: change.diffs };
  if (change.location) view.location = `${change.location.file}:${change.location.line}:${change.location.column}`;
  return view;
}

export function planView(plan: Plan, lane: PassLane): PlanView {
  return {
    id: planId(plan),
    revision: plan.revision,
    createdAt: plan.createdAt,
    lane,
    summary: plan.summary,
    changes: plan.changes.slice(0, MAX_CHANGES_SHOWN).map(changeView),
    truncated: Math.max(0, plan.changes.length - MAX_CHANGES_SHOWN),
    conflicts: plan.conflicts.map((c) => ({ provider: c.provider, display: c.display, reason: c.reason })),
    refusals: plan.refusals,
  };
}

export function countChanges(changes: readonly Pick<PlannedChange, 'action'>[]): ChangeCounts {
  const counts = emptyCounts();
  for (const c of changes) counts[c.action] += 1;
  return counts;
}

export function describeCounts(counts: ChangeCounts): string {
  const parts = (['create', 'update', 'replace', 'delete'] as const).filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${a}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

export function reportErrors(reports: readonly ChangeReport[]): ResourceError[] {
  const out: ResourceError[] = [];
  for (const r of reports) {
    if (r.status === 'applied' || !r.error) continue;
    const e: ResourceError = {
      provider: r.change.provider, display: r.change.display, key: r.change.key, action: r.change.action,
      message: r.status === 'skipped' ? `skipped: ${r.error.message}` : r.error.message, transient: r.error.transient,
    };
    if (r.change.location) e.location = `${r.change.location.file}:${r.change.location.line}:${r.change.location.column}`;
    out.push(e);
  }
  return out;
}

export function observeErrors(errors: readonly PlanError[]): ResourceError[] {
  return errors.map((e) => ({ provider: e.provider ?? '(engine)', display: '(observe)', key: '', message: e.message, transient: e.transient }));
}
