// What a source looks like from outside: the JSON the status API serves, the HTML page renders
// and `trueup approve` reads. Conditions follow the Kubernetes/Flux convention (type, status,
// reason, message, lastTransitionTime) so people who run Flux read them without a manual.

import type { ChangeAction, FieldDiff } from '../sdk/index.ts';
import type { PlanSummary } from '../plan/types.ts';
import type { PassLane } from '../report/metrics.ts';

/** Ready sums up; Reconciling: a pass is running; Stalled: needs a change in Git;
 * SourceAvailable: the last git-lane fetch (or ref check) reached the repository;
 * Held (`--shard` only): this replica holds the source's Lease and reconciles it. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled' | 'SourceAvailable' | 'Held';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  /** CamelCase machine reason: Succeeded, InvalidRevision, SafetyRefused, AwaitingApproval… */
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export type PassResult =
  /** Remote ref unchanged: no fetch, no plan. */
  | 'unchanged'
  /** Planned, nothing to do. */
  | 'in-sync'
  | 'applied'
  /** Detect mode (or a drift check in detect mode): differences reported, nothing changed. */
  | 'drift'
  | 'pending-approval'
  | 'failed'
  /** Needs a change in Git: invalid revision, failed signature check. */
  | 'stalled'
  | 'refused'
  /** Stopped by shutdown, timeout or a newer revision. */
  | 'aborted'
  | 'suspended'
  /** A `dependsOn` source is not Ready at its current revision: planned, not applied. */
  | 'waiting';

export interface ChangeCounts {
  create: number;
  update: number;
  replace: number;
  delete: number;
}

export interface PassRecord {
  lane: PassLane;
  revision?: string;
  result: PassResult;
  startedAt: string;
  durationMs: number;
  changes: ChangeCounts;
  message?: string;
}

export interface ChangeView {
  action: ChangeAction;
  provider: string;
  display: string;
  key: string;
  diffs: FieldDiff[];
  location?: string;
}

export interface PlanView {
  id: string;
  revision: string;
  createdAt: string;
  lane: PassLane;
  summary: PlanSummary;
  changes: ChangeView[];
  /** More changes than shown (the API caps the list). */
  truncated: number;
  conflicts: { provider: string; display: string; reason: string }[];
  refusals: string[];
}

export interface PendingPlan extends PlanView {
  /** Why approval is needed: the source is in approve mode, or safety rules refused the plan. */
  reason: 'approve-mode' | 'safety-refused';
  /** Approving needs force (safety refusals). */
  needsForce: boolean;
  howToApprove: string;
}

export interface ResourceError {
  provider: string;
  display: string;
  key: string;
  action?: ChangeAction;
  message: string;
  transient: boolean;
  location?: string;
}

export interface DriftView {
  checkedAt: string;
  revision: string;
  /** Objects that differed from the revision in force. */
  changes: ChangeView[];
  /** Corrected (apply mode) or only reported (detect / approve). */
  corrected: boolean;
}

export interface SourceStatus {
  name: string;
  mode: 'apply' | 'detect' | 'approve';
  suspended: boolean;
  kind: 'git' | 'local';
  lastAppliedRevision?: string;
  lastAppliedAt?: string;
  lastAttemptedRevision?: string;
  conditions: Condition[];
  lastPlan?: PlanView;
  errors: ResourceError[];
  drift?: DriftView;
  pendingPlan?: PendingPlan;
  history: PassRecord[];
  nextRun: { git?: string; drift?: string };
  managed?: number;
  /** The `dependsOn` sources this one waits for before applying, and why each is not ready. */
  waitingFor?: DependencyWait[];
  /** `--shard` only: the replica reconciling this source as this one last read the Leases (null:
   * none, a hand-over is under way). When it is another replica, the rest of this status is what
   * this replica last saw, not the source's present state: ask the holder (the API forwards). */
  heldBy?: string | null;
}

export interface DependencyWait {
  source: string;
  reason: string;
}

export const HISTORY_LENGTH = 10;
export const MAX_CHANGES_SHOWN = 200;

export function emptyCounts(): ChangeCounts {
  return { create: 0, update: 0, replace: 0, delete: 0 };
}

/** Sets a condition, keeping lastTransitionTime when the status did not flip. */
export function setCondition(conditions: Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): void {
  const index = conditions.findIndex((c) => c.type === next.type);
  const prior = index >= 0 ? conditions[index] : undefined;
  const lastTransitionTime = prior && prior.status === next.status ? prior.lastTransitionTime : now.toISOString();
  const condition: Condition = { ...next, lastTransitionTime };
  if (index >= 0) conditions[index] = condition;
  else conditions.push(condition);
}

export function condition(status: SourceStatus, type: ConditionType): Condition | undefined {
  return status.conditions.find((c) => c.type === type);
}
