// Dependency order for a set of changes, as waves: every change in a wave depends only on
// changes in earlier waves. Creates and updates go after what they depend on; deletes go before
// what they depended on (a policy attachment is removed before the policy).

import type { PlannedChange } from '../sdk/index.ts';

export function changeId(change: Pick<PlannedChange, 'provider' | 'key'>): string {
  return `${change.provider}\u0000${change.key}`;
}

export interface Ordered<C extends PlannedChange> {
  waves: C[][];
  /** id → ids of changes that must succeed first. */
  prerequisites: Map<string, string[]>;
}

export function orderChanges<C extends PlannedChange>(changes: readonly C[]): Ordered<C> {
  const ids = changes.map(changeId);
  const byId = new Map<string, C>();
  ids.forEach((id, i) => byId.set(id, changes[i] as C));
  const prerequisites = new Map<string, string[]>();
  for (const id of ids) prerequisites.set(id, []);
  changes.forEach((c, i) => {
    for (const depKey of c.dependsOn) {
      const depId = changeId({ provider: c.provider, key: depKey });
      const dep = byId.get(depId);
      if (!dep) continue;
      if (c.action === 'delete' && dep.action === 'delete') {
        prerequisites.get(depId)?.push(ids[i] as string); // delete the dependent first
      } else if (c.action !== 'delete' && dep.action !== 'delete') {
        prerequisites.get(ids[i] as string)?.push(depId);
      }
    }
  });
  // Layers of a topological sort (Kahn): a change joins the wave after its last prerequisite's.
  // Each change and edge is visited once, where re-filtering what remains per wave was
  // O(waves × changes) and recomputed every id each time.
  const waiting = ids.map((id) => prerequisites.get(id)?.length ?? 0);
  const dependents = new Map<string, number[]>();
  ids.forEach((id, i) => {
    for (const pre of prerequisites.get(id) ?? []) {
      const list = dependents.get(pre);
      if (list) list.push(i);
      else dependents.set(pre, [i]);
    }
  });
  const waves: C[][] = [];
  const placed = new Array<boolean>(changes.length).fill(false);
  const done = new Set<string>();
  let next: number[] = [];
  waiting.forEach((n, i) => { if (n === 0) next.push(i); });
  let count = 0;
  while (next.length > 0) {
    next.sort((a, b) => a - b); // input order within a wave
    waves.push(next.map((i) => changes[i] as C));
    const ready: number[] = [];
    for (const i of next) {
      placed[i] = true;
      count += 1;
      const id = ids[i] as string;
      if (done.has(id)) continue;
      done.add(id);
      for (const d of dependents.get(id) ?? []) {
        waiting[d] = (waiting[d] ?? 0) - 1;
        if (waiting[d] === 0 && !placed[d]) ready.push(d);
      }
    }
    next = ready;
  }
  // A cycle: declared data is wrong, but apply the rest in a stable order rather than hang.
  if (count < changes.length) waves.push(changes.filter((_, i) => !placed[i]));
  return { waves, prerequisites };
}
