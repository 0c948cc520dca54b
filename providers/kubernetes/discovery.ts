// Discovery: which REST resource serves a kind, and whether it is namespaced. Cached per pass
// (observe or apply), refreshed when a kind is missing (a CRD applied a moment ago).

import type { JsonObject, ProviderContext } from '../../src/sdk/index.ts';
import type { KubeClient } from './client.ts';
import { splitApiVersion } from './identity.ts';

export interface ApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export function resourcePath(r: Pick<ApiResource, 'group' | 'version' | 'plural' | 'namespaced'>, namespace?: string, name?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export class Discovery {
  private readonly client: KubeClient;
  private readonly byGroupVersion = new Map<string, Promise<ApiResource[]>>();

  constructor(client: KubeClient) {
    this.client = client;
  }

  invalidate(): void {
    this.byGroupVersion.clear();
  }

  private groupVersion(group: string, version: string, ctx: ProviderContext): Promise<ApiResource[]> {
    const gv = group ? `${group}/${version}` : version;
    let pending = this.byGroupVersion.get(gv);
    if (!pending) {
      pending = (async () => {
        const body = await this.client.call({ method: 'GET', path: group ? `/apis/${gv}` : `/api/${gv}`, operation: 'discovery' }, ctx, true);
        const list = isObject(body) && Array.isArray(body.resources) ? body.resources : [];
        return list.filter(isObject).filter((r) => typeof r.name === 'string' && !r.name.includes('/')).map((r) => ({
          group, version, kind: String(r.kind), plural: String(r.name), namespaced: r.namespaced === true,
          verbs: Array.isArray(r.verbs) ? r.verbs.map(String) : [],
        }));
      })();
      pending.catch(() => this.byGroupVersion.delete(gv));
      this.byGroupVersion.set(gv, pending);
    }
    return pending;
  }

  /** The resource serving apiVersion/kind; one refresh when missing (a CRD just established). */
  async resourceFor(apiVersion: string, kind: string, ctx: ProviderContext): Promise<ApiResource | undefined> {
    const { group, version } = splitApiVersion(apiVersion);
    const find = async () => (await this.groupVersion(group, version, ctx)).find((r) => r.kind === kind);
    const found = await find();
    if (found) return found;
    this.byGroupVersion.delete(group ? `${group}/${version}` : version);
    return find();
  }

  /** Every listable, deletable resource at each group's preferred version. */
  async all(ctx: ProviderContext): Promise<ApiResource[]> {
    const core = await this.client.call({ method: 'GET', path: '/api', operation: 'discovery' }, ctx);
    const apis = await this.client.call({ method: 'GET', path: '/apis', operation: 'discovery' }, ctx);
    const gvs: [string, string][] = [];
    const coreVersions = isObject(core) && Array.isArray(core.versions) ? core.versions.map(String) : ['v1'];
    gvs.push(['', coreVersions.includes('v1') ? 'v1' : coreVersions[0] ?? 'v1']);
    for (const g of isObject(apis) && Array.isArray(apis.groups) ? apis.groups.filter(isObject) : []) {
      const preferred = isObject(g.preferredVersion) ? String(g.preferredVersion.version) : undefined;
      const first = Array.isArray(g.versions) && isObject(g.versions[0]) ? String(g.versions[0].version) : undefined;
      const version = preferred ?? first;
      if (typeof g.name === 'string' && version) gvs.push([g.name, version]);
    }
    const lists = await Promise.all(gvs.map(([g, v]) => this.groupVersion(g, v, ctx)));
    const seen = new Set<string>();
    const out: ApiResource[] = [];
    for (const r of lists.flat()) {
      if (!r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
      // Events are reported under two groups and are never trueup's to prune.
      if (r.kind === 'Event') continue;
      const id = `${r.group}/${r.kind}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(r);
    }
    return out;
  }
}
