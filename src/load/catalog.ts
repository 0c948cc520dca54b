// Which kinds exist, and which provider types accept each. Built from the registered provider
// definitions; a kind shared by several provider types (dns.trueup.dev Zone) appears once.

import type { z } from 'zod';
import type { KindDefinition, ProviderDefinition } from '../sdk/index.ts';

export interface KindEntry {
  definition: KindDefinition;
  providerTypes: string[];
  /** Provider blocks accepted in this kind's spec: block name → place → schema and the
   * provider type that declared it. */
  blocks: Map<string, Map<string, { schema: z.ZodType; providerType: string }>>;
}

export class KindCatalog {
  private readonly byKey = new Map<string, KindEntry>();
  private readonly claimedGroups = new Set<string>();
  private readonly fallback: KindEntry | undefined;

  constructor(providers: readonly ProviderDefinition[]) {
    let fallback: KindEntry | undefined;
    for (const provider of providers) {
      for (const kind of provider.kinds) {
        if (kind.apiVersion === '*') {
          fallback ??= { definition: kind, providerTypes: [], blocks: new Map() };
          fallback.providerTypes.push(provider.type);
          continue;
        }
        const key = `${kind.apiVersion} ${kind.kind}`;
        const entry = this.byKey.get(key);
        if (entry) {
          if (entry.definition !== kind && entry.definition.schema !== kind.schema) {
            throw new Error(`provider ${provider.type} redefines ${key} with another schema (declared by ${entry.providerTypes.join(', ')}); share the KindDefinition object`);
          }
          entry.providerTypes.push(provider.type);
          addBlocks(entry, provider);
        } else {
          const created: KindEntry = { definition: kind, providerTypes: [provider.type], blocks: new Map() };
          addBlocks(created, provider);
          this.byKey.set(key, created);
        }
        this.claimedGroups.add(groupOf(kind.apiVersion));
      }
    }
    this.fallback = fallback;
  }

  lookup(apiVersion: string, kind: string): KindEntry | undefined {
    const entry = this.byKey.get(`${apiVersion} ${kind}`);
    if (entry) return entry;
    if (this.fallback && !this.claimedGroups.has(groupOf(apiVersion))) return this.fallback;
    return undefined;
  }

  /** `apiVersion Kind` of every known kind, sorted, for "unknown kind" messages. */
  known(): string[] {
    return [...this.byKey.keys()].sort();
  }

  entries(): KindEntry[] {
    return [...this.byKey.values()];
  }
}

function addBlocks(entry: KindEntry, provider: ProviderDefinition): void {
  if (!entry.definition.blocks) return;
  for (const [name, places] of Object.entries(provider.blocks ?? {})) {
    const byPlace = entry.blocks.get(name) ?? new Map<string, { schema: z.ZodType; providerType: string }>();
    for (const [on, schema] of Object.entries(places)) {
      const prior = byPlace.get(on);
      if (prior && prior.schema !== schema) {
        throw new Error(`provider ${provider.type} declares the ${name}: block of ${entry.definition.kind} (${on}) already declared by ${prior.providerType}`);
      }
      byPlace.set(on, { schema, providerType: provider.type });
    }
    entry.blocks.set(name, byPlace);
  }
}

/** `dns.trueup.dev/v1` → `dns.trueup.dev`; core Kubernetes `v1` → ``. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
