// observe: live state in bulk, then a server-side dry run of every declared object.
//
//   1. discovery: every listable resource type (one call per API group version);
//   2. LIST each type with trueup's owner label selector — per allowed namespace when the scopes
//      name namespaces, cluster-wide (filtered here) when they use wildcards; cluster-scoped types
//      only when the source may touch `cluster`;
//   3. GET only the declared objects the lists did not return (unmarked or another owner's), or
//      one unfiltered LIST per type and namespace when many are missing (a first apply);
//   4. PATCH ?dryRun=All with each declared manifest whose object exists: what the object becomes
//      after defaults and admission, returned as `refinedDesired` so the planner compares like
//      with like. Objects that do not exist yet are planned as written. A dry run refused because
//      Git changed immutable fields makes the object a replace (trueup.dev/recreate: enabled) or
//      fails the plan naming the field (see immutable.ts). In the daemon (`steady` observes) a
//      dry run of an unchanged manifest against an unchanged object is answered from the last
//      pass (dry-run-cache.ts): a no-op pass costs discovery and one LIST per type.

import type { DesiredObject, JsonObject, ObserveRequest, ObserveResult, ObservedObject, ProviderContext, ScopeMatcher } from '../../src/sdk/index.ts';
import { TerminalError, TransientError } from '../../src/sdk/index.ts';
import { Discovery, resourcePath, type ApiResource } from './discovery.ts';
import { apiError, type KubeClient } from './client.ts';
import { comparable, declaredCrds, manifestFor, refOf, type DeclaredCrd } from './expand.ts';
import { OWNER_KEY, crdKey, isBuiltinGroup, namespaceKey, objectDisplay, objectKey, objectScope, objectTypeOf, recreateTypeOf, splitApiVersion, type ObjectRef } from './identity.ts';
import { immutableCauses, immutableRefusal, recreateEnabled } from './immutable.ts';
import { compareShape, handleOf, isProtected, metadataOf, ownershipOf, pruned, undeclaredValue } from './objects.ts';
import type { KubernetesSettings } from './settings.ts';
import { isUndeclaredFieldError, refusalLines, refusalOf } from './validation.ts';
import { mapLimit } from './util.ts';
import type { DryRunCache, DryRunKey } from './dry-run-cache.ts';

/** Above this many missing objects of one type in one namespace, one LIST beats GETs. */
const LIST_INSTEAD_OF_GETS = 10;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Namespaces to list one by one, or undefined when a wildcard pattern needs a cluster-wide list. */
export function namespacesToList(scopes: ScopeMatcher): string[] | undefined {
  const out: string[] = [];
  for (const p of scopes.patterns) {
    if (p === 'cluster') continue;
    if (p.includes('*')) {
      if (p === '*' || p.startsWith('namespace/') || 'namespace/'.startsWith(p.slice(0, p.indexOf('*')))) return undefined;
      continue;
    }
    if (p.startsWith('namespace/')) out.push(p.slice('namespace/'.length));
  }
  return out;
}

interface Live {
  object: JsonObject;
  resource: ApiResource;
}

export interface ObserveEnv {
  client: KubeClient;
  settings: KubernetesSettings;
  /** Dry-run answers kept across passes of this instance (read only by `steady` observes). */
  dryRuns?: DryRunCache;
}

export async function observeCluster(env: ObserveEnv, request: ObserveRequest, ctx: ProviderContext): Promise<ObserveResult> {
  const discovery = new Discovery(env.client);
  const resources = await discovery.all(ctx);
  const namespaces = namespacesToList(request.allowedScopes);
  const clusterAllowed = request.allowedScopes.allows('cluster');
  const selector = `${OWNER_KEY}=${ctx.ownerId}`;

  // 2. owned objects, by label (ownership itself is then decided by the annotation)
  const lists: { resource: ApiResource; namespace?: string }[] = [];
  for (const r of resources) {
    if (!r.namespaced) {
      if (clusterAllowed) lists.push({ resource: r });
    } else if (namespaces === undefined) lists.push({ resource: r });
    else for (const ns of namespaces) lists.push({ resource: r, namespace: ns });
  }
  const live = new Map<string, Live>();
  const skipped = new Set<string>();
  const declaredTypes = new Set(request.desired.map((d) => `${splitApiVersion(d.resource.apiVersion).group}/${d.resource.kind}`));
  await mapLimit(lists, env.settings.concurrency, async ({ resource, namespace }) => {
    const spec = { method: 'GET' as const, path: resourcePath(resource, namespace), query: { labelSelector: selector }, operation: `list ${resource.plural}` };
    const response = await env.client.request(spec, ctx);
    if (response.status === 404) return;
    if (response.status === 403 && !declaredTypes.has(`${resource.group}/${resource.kind}`)) {
      // trueup's credentials may be scoped to the kinds it manages (least privilege): a type it
      // may not read and does not declare cannot hold anything it would prune.
      skipped.add(resource.group ? `${resource.plural}.${resource.group}` : resource.plural);
      return;
    }
    if (response.status >= 300) throw apiError(response, spec);
    const body = response.body;
    for (const item of isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : []) {
      item.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : resource.version;
      item.kind ??= resource.kind;
      const md = metadataOf(item);
      const ref: ObjectRef = { group: resource.group, kind: resource.kind, namespace: resource.namespaced ? String(md.namespace) : undefined, name: String(md.name) };
      live.set(objectKey(ref), { object: item, resource });
    }
  });

  if (skipped.size > 0) {
    // Expected with least-privilege RBAC (`trueup permissions`): one line per pass, not one per type.
    ctx.log.info({ resources: [...skipped].sort() }, `not allowed to list ${skipped.size} kinds the repository does not declare; skipped (prune cannot see objects of these kinds)`);
  }

  // 3. declared objects the lists did not return: a GET each, or — when many of one type in one
  //    namespace are missing (a first apply, an adoption) — one unfiltered LIST of that type there.
  const declared = request.desired.map((d) => ({ d, manifest: manifestFor(d.resource, d.scope !== 'cluster', { ownerId: ctx.ownerId, defaultNamespace: env.settings.defaultNamespace }) }));
  const resourceOf = new Map<string, ApiResource>();
  const missing = new Map<string, { resource: ApiResource; namespace: string | undefined; refs: { key: string; ref: ObjectRef; display: string }[] }>();
  // Problems with declared objects that the server would refuse (unserved kinds, invalid objects,
  // immutable fields): collected, then the plan fails for the instance naming each file:line.
  const problems: string[] = [];
  let onlyImmutable = true;
  const crds = declaredCrds(request.desired.map((d) => d.resource));
  await mapLimit(declared, env.settings.concurrency, async ({ d, manifest }) => {
    const resource = await discovery.resourceFor(String(manifest.apiVersion), String(manifest.kind), ctx);
    if (!resource) {
      // Fine only when this revision declares the CRD that will serve it (applied first).
      const problem = unserved(d, crds, resources);
      if (problem) {
        problems.push(problem);
        onlyImmutable = false;
      }
      return;
    }
    const ref = refOf(manifest);
    // Located only for the error.
    const at = () => d.resource.locate(['metadata']);
    if (resource.namespaced && !ref.namespace) {
      throw new TerminalError(`${at().file}:${at().line}: ${d.resource.kind} "${ref.name}" is namespaced on the server: set metadata.namespace`, { subject: d.display, operation: 'discovery' });
    }
    if (!resource.namespaced && ref.namespace) {
      throw new TerminalError(`${at().file}:${at().line}: ${d.resource.kind} "${ref.name}" is cluster-scoped on the server: remove metadata.namespace`, { subject: d.display, operation: 'discovery' });
    }
    resourceOf.set(d.key, resource);
    if (live.has(d.key)) return;
    const group = `${resource.group}/${resource.plural}/${ref.namespace ?? ''}`;
    const entry = missing.get(group) ?? { resource, namespace: ref.namespace, refs: [] };
    entry.refs.push({ key: d.key, ref, display: d.display });
    missing.set(group, entry);
  });
  const fetches: (() => Promise<void>)[] = [];
  for (const { resource, namespace, refs } of missing.values()) {
    if (refs.length > LIST_INSTEAD_OF_GETS) {
      fetches.push(async () => {
        const body = await env.client.call({ method: 'GET', path: resourcePath(resource, namespace), operation: `list ${resource.plural}` }, ctx, true);
        const byName = new Map((isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : []).map((item) => [String(metadataOf(item).name), item]));
        for (const { key, ref } of refs) {
          const item = byName.get(ref.name);
          if (!item) continue;
          item.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : resource.version;
          item.kind ??= resource.kind;
          live.set(key, { object: item, resource });
        }
      });
    } else {
      for (const { key, ref, display } of refs) {
        fetches.push(async () => {
          const body = await env.client.call({ method: 'GET', path: resourcePath(resource, ref.namespace, ref.name), operation: `get ${resource.plural}`, subject: display }, ctx, true);
          if (isObject(body)) live.set(key, { object: body, resource });
        });
      }
    }
  }
  await mapLimit(fetches, env.settings.concurrency, (fetch) => fetch());

  // Observed objects: every declared one that exists, and every undeclared one trueup owns.
  const manifests = new Map(declared.map(({ d, manifest }) => [d.key, { d, manifest }]));
  const crdByGroupKind = new Map<string, string>();
  for (const [, l] of live) {
    if (l.resource.kind !== 'CustomResourceDefinition') continue;
    const spec = isObject(l.object.spec) ? l.object.spec : {};
    const names = isObject(spec.names) ? spec.names : {};
    crdByGroupKind.set(`${String(spec.group)}/${String(names.kind)}`, crdKey(String(metadataOf(l.object).name)));
  }
  const objects: ObservedObject[] = [];
  for (const [key, l] of live) {
    const md = metadataOf(l.object);
    const ref: ObjectRef = { group: l.resource.group, kind: l.resource.kind, namespace: l.resource.namespaced ? String(md.namespace) : undefined, name: String(md.name) };
    const scope = objectScope(ref);
    if (!request.allowedScopes.allows(scope)) continue;
    const wanted = manifests.get(key);
    const ownership = ownershipOf(l.object, ctx.ownerId, wanted?.manifest);
    if (!wanted && ownership.state !== 'owned') continue; // look-alikes (a copied label) are not ours
    const value = wanted
      ? pruned(l.object, compareShape(comparable(wanted.manifest), l.object, env.settings.fieldManager, ref.kind))
      : undeclaredValue(l.object, env.settings.fieldManager);
    const o: ObservedObject = {
      key, type: objectTypeOf(ref.group, ref.kind), display: objectDisplay(ref), scope, value, ownership,
      handle: handleOf(l.object, l.resource, ownership),
    };
    if (isProtected(l.object)) o.protected = true;
    const deps = [ref.namespace ? namespaceKey(ref.namespace) : undefined, crdByGroupKind.get(`${ref.group}/${ref.kind}`)].filter((k): k is string => k !== undefined && k !== key);
    if (deps.length > 0) o.dependsOn = deps;
    objects.push(o);
  }

  // 4. dry runs — of creates too, so what the server would refuse (a typo, an invalid value) fails
  //    the plan with file:line instead of the apply
  const refined: DesiredObject[] = [];
  const warnings: { key: string; message: string }[] = [];
  const notAllowedDryRuns: string[] = [];
  const dryRuns = env.dryRuns?.pass(ctx.ownerId);
  const steady = request.freshness === 'steady';
  const observedByKey = new Map(objects.map((o) => [o.key, o]));
  const declaredKeys = new Set(request.desired.map((d) => d.key));
  await mapLimit(declared, env.settings.concurrency, async ({ d, manifest }) => {
    const resource = resourceOf.get(d.key);
    // Not served yet (its CRD is in this revision): nothing to ask; planned as written.
    if (!resource) {
      refined.push(d);
      return;
    }
    const ref = refOf(manifest);
    if (resource.namespaced && ref.namespace && declaredKeys.has(namespaceKey(ref.namespace)) && !live.has(namespaceKey(ref.namespace))) {
      // Its namespace is created by this revision: a dry run could only answer 404 (apply checks it).
      refined.push(d);
      return;
    }
    const current = live.get(d.key)?.object;
    const cacheKey = current ? dryRunKey(manifest, current, live, crdByGroupKind.get(`${ref.group}/${ref.kind}`)) : undefined;
    const cached = steady && cacheKey ? env.dryRuns?.get(ctx.ownerId, d.key, cacheKey) : undefined;
    if (cached !== undefined) {
      dryRuns?.keep(d.key);
      refined.push({ ...d, value: cached });
      return;
    }
    const response = await env.client.request({
      method: 'PATCH', path: resourcePath(resource, ref.namespace, ref.name),
      query: { dryRun: 'All', fieldManager: env.settings.fieldManager, force: 'true', fieldValidation: 'Strict' },
      body: JSON.stringify(manifest), contentType: 'application/apply-patch+yaml', operation: 'apply (dry run)', subject: d.display,
      at: `${d.resource.location.file}:${d.resource.location.line}`,
    }, ctx);
    if (response.status === 429 || (response.status >= 500 && !isUndeclaredFieldError(response.status, response.body))) {
      throw new TransientError(`dry run answered HTTP ${response.status}`, { subject: d.display, operation: 'apply (dry run)' });
    }
    for (const message of response.warnings) warnings.push({ key: d.key, message });
    const immutable = immutableCauses(response.status, response.body);
    const observed = observedByKey.get(d.key);
    if (immutable && observed?.ownership.state === 'owned') {
      // Git changed a field the server will not change in place. With the manifest's consent the
      // object is planned in a type whose every difference is a replace (delete, then create);
      // without it the plan fails now, naming the field, rather than at apply. Objects trueup does
      // not own are left to the planner's conflict (never deleted to be re-created).
      if (recreateEnabled(d)) {
        observed.type = recreateTypeOf(observed.type);
        refined.push({ ...d, type: recreateTypeOf(d.type) });
      } else {
        problems.push(immutableRefusal(d, immutable, observed.value));
        refined.push(d);
      }
      return;
    }
    const refusal = immutable ? undefined : refusalOf(response.status, response.body);
    if (refusal) {
      problems.push(...refusalLines(d, refusal));
      onlyImmutable = false;
      refined.push(d);
      return;
    }
    if (response.status >= 300 || !isObject(response.body)) {
      // The namespace does not exist yet (it is created in this revision), or the server refuses
      // the object: plan with the manifest; apply reports the server's reason against the object.
      // 403: read-only credentials (`trueup permissions --read-only`): RBAC authorizes a dry run
      // like the write, so such plans compare manifests as written; said once per pass below.
      if (response.status === 403) notAllowedDryRuns.push(d.display);
      else if (response.status !== 404) ctx.log.warn({ object: d.display, status: response.status }, 'dry run refused; planning with the manifest as written');
      refined.push(d);
      return;
    }
    // A create is shown as written (what Git says); the dry run only had to accept it.
    if (!current) {
      refined.push(d);
      return;
    }
    const shape = compareShape(comparable(manifest), current, env.settings.fieldManager, ref.kind);
    const value = pruned(response.body, shape);
    if (cacheKey) dryRuns?.remember(d.key, cacheKey, value);
    refined.push({ ...d, value });
  });
  if (notAllowedDryRuns.length > 0) {
    ctx.log.info({ objects: notAllowedDryRuns.length, first: notAllowedDryRuns.sort()[0] }, `not allowed to dry-run ${notAllowedDryRuns.length} objects (read-only credentials?): planned from the manifests as written, without the server's defaults and admission checks`);
  }
  if (problems.length > 0) {
    // Terminal for the whole instance, as Flux fails a Kustomization whose dry run fails: applying
    // the rest while Git and the cluster disagree on an object would hide the problem.
    throw new TerminalError(problems.sort().join('\n'), { operation: 'apply (dry run)', code: onlyImmutable ? 'FieldImmutable' : 'Invalid' });
  }
  dryRuns?.commit();
  const order = new Map(request.desired.map((d, i) => [d.key, i]));
  refined.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
  return { objects, refinedDesired: refined, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** What a dry run's answer depends on besides the server's rules: the manifest, the live object's
 * resourceVersion, and the resourceVersion of the CRD serving its kind when trueup manages it. */
function dryRunKey(manifest: JsonObject, current: JsonObject, live: ReadonlyMap<string, Live>, crd: string | undefined): DryRunKey | undefined {
  const resourceVersion = metadataOf(current).resourceVersion;
  if (typeof resourceVersion !== 'string' || resourceVersion === '') return undefined;
  const schema = crd ? metadataOf(live.get(crd)?.object ?? {}).resourceVersion : undefined;
  return { manifest, resourceVersion, schemaVersion: typeof schema === 'string' ? schema : '' };
}

/** Why a declared kind the server does not serve cannot be planned, or undefined when this
 * revision declares the CustomResourceDefinition that will serve it. */
function unserved(d: DesiredObject, crds: readonly DeclaredCrd[], served: readonly ApiResource[]): string | undefined {
  const { group, version } = splitApiVersion(d.resource.apiVersion);
  const kind = d.resource.kind;
  const at = d.resource.locate(['apiVersion']);
  const where = `${at.file}:${at.line}: ${kind}/${d.resource.metadata.name}`;
  const crd = crds.find((c) => c.group === group && c.kind === kind);
  if (crd) {
    if (crd.versions.length === 0 || crd.versions.includes(version)) return undefined;
    return `${where}: the CustomResourceDefinition in this revision serves ${kind} as ${crd.versions.map((v) => `${group}/${v}`).join(', ')}, not ${d.resource.apiVersion}`;
  }
  const elsewhere = served.filter((r) => r.group === group && r.kind === kind).map((r) => (r.group ? `${r.group}/${r.version}` : r.version));
  if (elsewhere.length > 0) return `${where}: the cluster does not serve ${d.resource.apiVersion} ${kind}; it serves ${kind} as ${elsewhere.join(', ')}`;
  const hint = isBuiltinGroup(group)
    ? 'the API is not enabled on this cluster, or this Kubernetes version does not have it'
    : 'install its CustomResourceDefinition first, or declare the CustomResourceDefinition in this revision';
  return `${where}: the cluster does not serve ${d.resource.apiVersion} ${kind} (${hint})`;
}
