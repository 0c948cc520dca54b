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
  const byId = new Map(changes.map((c) => [changeId(c), c]));
  const prerequisites = new Map<string, string[]>();
  for (const c of changes) prerequisites.set(changeId(c), []);
  for (const c of changes) {
    for (const depKey of c.dependsOn) {
      const depId = changeId({ provider: c.provider, key: depKey });
      const dep = byId.get(depId);
      if (!dep) continue;
      if (c.action === 'delete' && dep.action === 'delete') {
        prerequisites.get(depId)?.push(changeId(c)); // delete the dependent first
      } else if (c.action !== 'delete' && dep.action !== 'delete') {
        prerequisites.get(changeId(c))?.push(depId);
      }
    }
  }
  const waves: C[][] = [];
  const done = new Set<string>();
  let remaining = [...changes];
  while (remaining.length > 0) {
    const wave = remaining.filter((c) => (prerequisites.get(changeId(c)) ?? []).every((id) => done.has(id)));
    if (wave.length === 0) {
      // A cycle: declared data is wrong, but apply the rest in a stable order rather than hang.
      waves.push(remaining);
      break;
    }
    for (const c of wave) done.add(changeId(c));
    waves.push(wave);
    const inWave = new Set(wave);
    remaining = remaining.filter((c) => !inWave.has(c));
  }
  return { waves, prerequisites };
}
