// Safety rules that refuse a whole plan unless forced (octoDNS's thresholds, per provider
// instance and scope): too many updates or deletes of what is managed, dangerous changes, and
// deletions from a revision that declares nothing.

import type { PlannedChange } from '../sdk/index.ts';
import type { SafetyPolicy } from '../config/schema.ts';

export interface SafetyInput {
  changes: readonly PlannedChange[];
  /** Owned objects that exist now, keyed by `instance scope`. */
  managed: ReadonlyMap<string, number>;
  /** The revision declares no resource at all. */
  emptyRevision: boolean;
  policy: Pick<SafetyPolicy, 'maxUpdateShare' | 'maxDeleteShare' | 'minExisting'>;
}

export function safetyRefusals(input: SafetyInput): string[] {
  const refusals: string[] = [];
  const deletes = input.changes.filter((c) => c.action === 'delete');
  if (input.emptyRevision && deletes.length > 0) {
    refusals.push(`the revision declares no resources but the plan deletes ${deletes.length} object${deletes.length === 1 ? '' : 's'}; an empty revision is treated as a mistake, force required`);
  }
  const groups = new Map<string, { updates: number; deletes: number }>();
  for (const change of input.changes) {
    if (change.action === 'create') continue;
    const group = `${change.provider} ${change.scope}`;
    const counts = groups.get(group) ?? { updates: 0, deletes: 0 };
    if (change.action === 'delete') counts.deletes += 1;
    else counts.updates += 1; // update and replace both change something that exists
    groups.set(group, counts);
  }
  for (const [group, counts] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const existing = input.managed.get(group) ?? 0;
    if (existing < input.policy.minExisting) continue;
    const check = (what: string, n: number, max: number) => {
      const share = n / existing;
      if (share > max) {
        refusals.push(`${group}: too many ${what}, ${(share * 100).toFixed(2)}% is over ${(max * 100).toFixed(2)}% (${n}/${existing}), force required`);
      }
    };
    check('updates', counts.updates, input.policy.maxUpdateShare);
    check('deletes', counts.deletes, input.policy.maxDeleteShare);
  }
  for (const change of input.changes) {
    if (change.dangerous) refusals.push(`${change.provider} ${change.display}: ${change.dangerous}, force required`);
  }
  return refusals;
}
