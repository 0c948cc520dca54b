// bind: each resource goes to one or more provider instances. Candidates are the instances
// whose provider type accepts the kind and that the source may use (named in its scopes);
// `metadata.provider` picks among them (a Zone served by Route 53 and Cloud DNS names both).

import type { Resource } from '../sdk/index.ts';
import type { KindCatalog } from '../load/catalog.ts';
import type { LoadIssue } from '../load/issues.ts';

export interface BindInput {
  resources: readonly Resource[];
  catalog: KindCatalog;
  /** instance name → provider type, for the instances this source may use. */
  instances: ReadonlyMap<string, string>;
}

export function bindResources(input: BindInput): { byInstance: Map<string, Resource[]>; issues: LoadIssue[] } {
  const byInstance = new Map<string, Resource[]>();
  const issues: LoadIssue[] = [];
  for (const resource of input.resources) {
    const entry = input.catalog.lookup(resource.apiVersion, resource.kind);
    const types = new Set(entry?.providerTypes ?? []);
    const candidates = [...input.instances].filter(([, type]) => types.has(type)).map(([name]) => name).sort();
    const requested = resource.metadata.provider ?? resource.metadata.annotations?.['trueup.dev/provider']?.split(',').map((s) => s.trim());
    const fail = (field: string, message: string) => issues.push({ ...resource.locate(field === 'metadata.provider' ? ['metadata', 'provider'] : []), field, message });
    let chosen: string[];
    if (requested !== undefined) {
      chosen = Array.isArray(requested) ? requested : [requested];
      const bad = chosen.filter((c) => !candidates.includes(c));
      if (bad.length > 0) {
        fail('metadata.provider', `${bad.join(', ')} cannot take ${resource.kind} for this source; candidates: ${candidates.join(', ') || '(none)'}`);
        continue;
      }
    } else if (candidates.length === 1) {
      chosen = candidates;
    } else if (candidates.length === 0) {
      fail('', `no provider instance this source may use accepts ${resource.apiVersion} ${resource.kind} (provider types: ${[...types].join(', ')}); add one to the engine config and to the source's scopes`);
      continue;
    } else {
      fail('metadata.provider', `${resource.kind} "${resource.metadata.name}" could go to ${candidates.join(', ')}: set metadata.provider to one or more of them`);
      continue;
    }
    for (const name of chosen) {
      const list = byInstance.get(name) ?? [];
      list.push(resource);
      byInstance.set(name, list);
    }
  }
  return { byInstance, issues };
}
