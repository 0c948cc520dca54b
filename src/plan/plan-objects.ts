// The diff at the heart of trueup: a pure function from desired and observed objects of one
// provider instance to changes. No I/O, no clock.
//
//   desired | observed              | ownership | result
//   --------+-----------------------+-----------+-------------------------------------------
//   yes     | no                    | -         | create
//   yes     | yes, equal            | owned     | unchanged
//   yes     | yes, differs          | owned     | update (replace when a replaceOn field differs)
//   yes     | yes                   | unowned   | conflict (update writing the owner mark when adopted:
//           |                       |           | safety.adoptUnowned, or trueup.dev/adopt on the resource)
//   yes     | yes                   | foreign   | conflict: another owner's object is never taken
//   no      | yes                   | owned     | delete (unless protected)
//   no      | yes                   | other     | left alone

import type {
  DesiredObject, FieldDiff, JsonValue, ObjectTypeDefinition, ObservedObject, PlannedChange,
} from '../sdk/index.ts';
import { ADOPT_ANNOTATION, deepEqual, diffValues, pathMatches } from '../sdk/index.ts';
import type { PlanConflict } from './types.ts';

export interface InstancePlanInput {
  instance: string;
  desired: readonly DesiredObject[];
  observed: readonly ObservedObject[];
  objectTypes: Readonly<Record<string, ObjectTypeDefinition>>;
  adoptUnowned: boolean;
}

export interface InstancePlan {
  changes: PlannedChange[];
  conflicts: PlanConflict[];
  unchanged: number;
  /** Owned objects that exist now (threshold denominator), per scope. */
  ownedByScope: Map<string, number>;
}

export function planInstance(input: InstancePlanInput): InstancePlan {
  const observedByKey = new Map(input.observed.map((o) => [o.key, o]));
  const desiredKeys = new Set<string>();
  const changes: PlannedChange[] = [];
  const conflicts: PlanConflict[] = [];
  let unchanged = 0;
  const ownedByScope = new Map<string, number>();
  for (const o of input.observed) {
    if (o.ownership.state === 'owned') ownedByScope.set(o.scope, (ownedByScope.get(o.scope) ?? 0) + 1);
  }

  for (const d of input.desired) {
    desiredKeys.add(d.key);
    const typeDef = input.objectTypes[d.type] ?? {};
    const after = normalize(typeDef, d.value);
    const o = observedByKey.get(d.key);
    // Locating a field in the YAML costs a tree walk: do it only for what the plan will show.
    const base = () => ({
      key: d.key, type: d.type, display: d.display, scope: d.scope, provider: input.instance,
      dependsOn: [...(d.dependsOn ?? [])].sort(), location: d.resource.locate(d.path ?? []),
    });
    if (!o) {
      changes.push({ ...base(), action: 'create', after, diffs: diffValues(undefined, after) });
      continue;
    }
    if (o.ownership.state === 'foreign') {
      conflicts.push({ provider: input.instance, key: d.key, display: d.display, location: base().location,
        reason: `exists and is owned by "${o.ownership.owner}"; trueup never takes over another owner's object` });
      continue;
    }
    const adopting = o.ownership.state === 'unowned';
    if (adopting && !input.adoptUnowned && d.resource.metadata.annotations?.[ADOPT_ANNOTATION] !== 'true') {
      conflicts.push({ provider: input.instance, key: d.key, display: d.display, location: base().location,
        reason: o.unownedReason ?? `exists but carries no trueup owner mark; import it (trueup import) or allow adoption (safety.adoptUnowned) to manage it, or adopt this one with the annotation ${ADOPT_ANNOTATION}: "true" on its resource` });
      continue;
    }
    const before = normalize(typeDef, o.value);
    if (deepEqual(before, after) && !adopting) {
      unchanged += 1;
      continue;
    }
    const diffs: FieldDiff[] = diffValues(before, after);
    const replace = diffs.some((diff) => (typeDef.replaceOn ?? []).some((p) => pathMatches(diff.path, p)));
    const change: PlannedChange = { ...base(), action: replace ? 'replace' : 'update', before, after, diffs };
    if (adopting) change.effects = ['adopts it: writes this source\'s owner mark on an object trueup did not create'];
    if (replace) removal(change, o);
    changes.push(change);
  }

  for (const o of input.observed) {
    if (desiredKeys.has(o.key) || o.ownership.state !== 'owned' || o.protected) continue;
    const typeDef = input.objectTypes[o.type] ?? {};
    const before = normalize(typeDef, o.value);
    const change: PlannedChange = {
      action: 'delete', key: o.key, type: o.type, display: o.display, scope: o.scope,
      provider: input.instance, before, diffs: diffValues(before, undefined), dependsOn: [...(o.dependsOn ?? [])].sort(),
    };
    removal(change, o);
    changes.push(change);
  }

  for (const change of changes) {
    const reason = input.objectTypes[change.type]?.dangerous?.(change);
    if (reason) change.dangerous = change.dangerous ? `${change.dangerous}; ${reason}` : reason;
  }
  return { changes, conflicts, unchanged, ownedByScope };
}

/** What the provider said removing the live object also does (and whether that needs --force). */
function removal(change: PlannedChange, o: ObservedObject): void {
  if (o.removal?.effects?.length) change.effects = [...(change.effects ?? []), ...o.removal.effects];
  if (o.removal?.refuse) change.dangerous = o.removal.refuse;
}

function normalize(def: ObjectTypeDefinition, value: JsonValue): JsonValue {
  return def.normalize ? def.normalize(value) : value;
}
