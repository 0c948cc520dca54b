// The plan as people and machines see it. Serialisable: `plan --out` writes it, `apply --plan`
// reads it back and compares checksums.

import type { ChangeAction, PlannedChange, SourceLocation } from '../sdk/index.ts';

export const PLAN_FORMAT_VERSION = 1;

/** An object trueup will not touch in this plan, and why (not owned, out of scope). */
export interface PlanConflict {
  provider: string;
  key: string;
  display: string;
  reason: string;
  location?: SourceLocation;
}

/** Something that stopped part of the plan from being computed (observe failed). */
export interface PlanError {
  provider?: string;
  message: string;
  transient: boolean;
}

/** A warning the API gave about a declared object while planning (the object is still planned). */
export interface PlanWarning {
  provider: string;
  key: string;
  display: string;
  message: string;
  location?: SourceLocation;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  unchanged: number;
  /** Objects this source manages after the plan is applied. */
  managed: number;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  source: string;
  revision: string;
  createdAt: string;
  changes: PlannedChange[];
  conflicts: PlanConflict[];
  errors: PlanError[];
  /** The APIs' warnings about declared objects (absent from plans written before they existed). */
  warnings?: PlanWarning[];
  /** Safety rules that refuse this plan unless forced. */
  refusals: string[];
  forced: boolean;
  summary: PlanSummary;
  /** sha256 over source, revision and the changes: what was reviewed is what gets applied. */
  checksum: string;
}

export const ACTION_ORDER: Record<ChangeAction, number> = { delete: 0, replace: 1, update: 2, create: 3 };

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}
