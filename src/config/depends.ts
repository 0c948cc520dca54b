// `dependsOn` between sources, checked on the config as written: every name must be another
// source of this config, and the graph must have no cycle (a cycle would wait forever). Each
// problem points at the dependsOn entry that closes it.

import type { LoadIssue } from '../load/issues.ts';
import { didYouMean } from '../load/suggest.ts';

type Locate = (path: ReadonlyArray<string | number>) => { file: string; line: number; column: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function dependsOnIssues(sources: readonly unknown[], locate: Locate): LoadIssue[] {
  const issues: LoadIssue[] = [];
  const index = new Map<string, number>();
  sources.forEach((s, i) => { if (isObject(s) && typeof s.name === 'string' && !index.has(s.name)) index.set(s.name, i); });
  const edges = new Map<string, { to: string; at: number }[]>();
  sources.forEach((s, i) => {
    if (!isObject(s) || typeof s.name !== 'string' || !Array.isArray(s.dependsOn)) return;
    const list: { to: string; at: number }[] = [];
    s.dependsOn.forEach((to: unknown, j) => {
      if (typeof to !== 'string') return;
      const field = `sources[${i}].dependsOn[${j}]`;
      if (to === s.name) issues.push({ ...locate(['sources', i, 'dependsOn', j]), field, message: `source "${to}" cannot depend on itself` });
      else if (!index.has(to)) issues.push({ ...locate(['sources', i, 'dependsOn', j]), field, message: `no source "${to}"; sources: ${[...index.keys()].join(', ')}${didYouMean(to, [...index.keys()])}` });
      else list.push({ to, at: j });
    });
    edges.set(s.name, list);
  });
  // Depth-first search; a back edge closes a cycle, reported once at that edge.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const { to, at } of edges.get(name) ?? []) {
      if (state.get(to) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        const i = index.get(name) as number;
        issues.push({ ...locate(['sources', i, 'dependsOn', at]), field: `sources[${i}].dependsOn[${at}]`, message: `dependsOn cycle: ${cycle.join(' → ')} (each would wait for the other forever)` });
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of index.keys()) if (!state.has(name)) visit(name);
  return issues;
}
