// Which kinds exist, and which provider types accept each. Built from the registered provider
// definitions; a kind shared by several provider types (dns.trueup.dev Zone) appears once.

import type { KindDefinition, ProviderDefinition } from '../sdk/index.ts';

export interface KindEntry {
  definition: KindDefinition;
  providerTypes: string[];
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
          fallback ??= { definition: kind, providerTypes: [] };
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
        } else {
          this.byKey.set(key, { definition: kind, providerTypes: [provider.type] });
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

/** `dns.trueup.dev/v1` → `dns.trueup.dev`; core Kubernetes `v1` → ``. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
