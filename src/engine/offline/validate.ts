// Validation with no engine config (`trueup validate DIR`, the natural CI check: the engine
// config lives with the deployment). Every check that needs no live API runs, for every
// registered provider type: load (syntax, envelopes, kind schemas, provider blocks), each
// provider's expand over all the files at once (so references across folders resolve), objects
// declared twice, and Kubernetes kinds against the built-in table and the CRDs declared beside
// them. What needs the engine config or a live API is listed in `notChecked`, never passed over
// in silence.

import type { Resource, ResourceIssue } from '../../sdk/index.ts';
import type { KindCatalog } from '../../load/catalog.ts';
import { formatIssue, type LoadIssue } from '../../load/issues.ts';
import { loadResources, type SourceFile } from '../../load/load.ts';
import { didYouMean } from '../../load/suggest.ts';
import { expandFor } from '../pipeline.ts';
import type { ProviderRegistry } from '../registry.ts';
import { BUILTIN_KINDS, isBuiltinKubernetesGroup } from './kubernetes-kinds.ts';

export interface OfflineResult {
  resources: Resource[];
  issues: LoadIssue[];
  /** Checks that could not run, one sentence each. */
  notChecked: string[];
}

const NEEDS_CONFIG = [
  'bindings to provider instances (metadata.provider) and the scopes a source may touch: they need the engine config (trueup validate --config FILE)',
  'what only the live APIs know: ownership of existing objects, Kubernetes server-side validation and the kinds a cluster serves, references to objects not declared in these files (trueup plan checks them)',
];

export async function validateOffline(files: Iterable<SourceFile>, registry: ProviderRegistry): Promise<OfflineResult> {
  const catalog = registry.catalog();
  const loaded = loadResources(files, catalog);
  const issues: LoadIssue[] = [...loaded.issues];
  const notChecked = [...NEEDS_CONFIG];

  // Without instances to bind to, every resource goes to every provider type that takes its kind.
  const byType = new Map<string, Resource[]>();
  const candidates = new Map<Resource, string[]>();
  for (const resource of loaded.resources) {
    const types = catalog.lookup(resource.apiVersion, resource.kind)?.providerTypes ?? [];
    candidates.set(resource, types);
    for (const type of types) {
      const list = byType.get(type);
      if (list) list.push(resource);
      else byType.set(type, [resource]);
    }
  }

  const found = new Map<string, { issue: LoadIssue; raised: ResourceIssue; types: Set<string> }>();
  for (const [type, resources] of [...byType].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const definition = registry.get(type);
    const settings = definition?.settings.safeParse(definition.validateSettings ?? {});
    if (!definition || !settings?.success) {
      notChecked.push(`${type}: its provider-specific checks (its settings need an engine config)`);
      continue;
    }
    const instance = definition.create(settings.data, { instance: type });
    try {
      const out = expandFor(instance, type, resources, 'validate');
      out.issues.forEach((issue, i) => {
        const key = formatIssue(issue);
        const prior = found.get(key);
        if (prior) prior.types.add(type);
        else found.set(key, { issue, raised: out.raised[i] as ResourceIssue, types: new Set([type]) });
      });
    } finally {
      await instance.close?.();
    }
  }

  // A kind several provider types take (a Zone: Route 53, Cloud DNS) goes to the ones the config
  // names. Without it, a finding counts when every candidate makes it, when it lies in the
  // reporting provider's own block, or when the resource uses only that provider's blocks.
  let undecided = 0;
  for (const { issue, raised, types } of found.values()) {
    const all = candidates.get(raised.resource) ?? [];
    if (all.length <= 1 || all.every((t) => types.has(t)) || inOwnBlock(raised, types, registry) || onlyBlocksOf(raised.resource, types, catalog, registry)) {
      issues.push(issue);
    } else {
      undecided += 1;
    }
  }
  if (undecided > 0) {
    notChecked.push(`${undecided} finding${undecided === 1 ? '' : 's'} that hold only for some of the providers a resource could go to (which ones is up to the engine config and metadata.provider)`);
  }
  issues.push(...kubernetesKinds(loaded.resources, catalog));
  return { resources: loaded.resources, issues, notChecked };
}

function inOwnBlock(raised: ResourceIssue, types: Set<string>, registry: ProviderRegistry): boolean {
  return [...types].some((t) => {
    const blocks = registry.get(t)?.blocks ?? {};
    return raised.path.some((part) => typeof part === 'string' && part in blocks);
  });
}

function onlyBlocksOf(resource: Resource, types: Set<string>, catalog: KindCatalog, registry: ProviderRegistry): boolean {
  const sites = catalog.lookup(resource.apiVersion, resource.kind)?.definition.blocks?.(resource.spec) ?? [];
  if (sites.length === 0) return false;
  return sites.every((site) => [...types].some((t) => site.name in (registry.get(t)?.blocks ?? {})));
}

/** Manifests for the Kubernetes provider (any apiVersion no other provider claims): a kind the
 * built-in API does not serve and no CRD in these files declares is an error. */
function kubernetesKinds(resources: readonly Resource[], catalog: KindCatalog): LoadIssue[] {
  const declared = new Set<string>();
  for (const r of resources) {
    if (r.apiVersion !== 'apiextensions.k8s.io/v1' || r.kind !== 'CustomResourceDefinition') continue;
    const spec = (r.raw.spec ?? {}) as { group?: unknown; names?: { kind?: unknown }; versions?: { name?: unknown }[] };
    for (const v of Array.isArray(spec.versions) ? spec.versions : []) declared.add(`${String(spec.group)}/${String(v?.name)} ${String(spec.names?.kind)}`);
  }
  const issues: LoadIssue[] = [];
  for (const r of resources) {
    if (catalog.lookup(r.apiVersion, r.kind)?.definition.apiVersion !== '*') continue;
    const slash = r.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : r.apiVersion.slice(0, slash);
    const at = (field: 'apiVersion' | 'kind', message: string) => issues.push({ ...r.locate([field]), field, message });
    const kinds = BUILTIN_KINDS.get(r.apiVersion);
    if (kinds) {
      if (!kinds.has(r.kind)) at('kind', `Kubernetes serves no kind ${r.kind} in ${r.apiVersion}${didYouMean(r.kind, kinds)}`);
    } else if (isBuiltinKubernetesGroup(group)) {
      const versions = [...BUILTIN_KINDS.keys()].filter((v) => (v.includes('/') ? v.slice(0, v.indexOf('/')) : '') === group);
      at('apiVersion', `Kubernetes serves no apiVersion ${r.apiVersion}${versions.length > 0 ? ` (served: ${versions.join(', ')})` : ''}`);
    } else if (!declared.has(`${r.apiVersion} ${r.kind}`)) {
      at('apiVersion', `unknown apiVersion/kind ${r.apiVersion} ${r.kind}: no provider claims it, it is not a built-in Kubernetes kind, and no CustomResourceDefinition in these files serves it (validate with the engine config if the cluster installs it; plan then asks the cluster)`);
    }
  }
  return issues;
}
