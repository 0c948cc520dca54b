// expand: each manifest becomes one object, sent verbatim except for trueup's own marks. Pure (no
// discovery): what is namespaced comes from the built-in table, from a CRD declared in the same
// revision, or from whether the manifest names a namespace; observe checks it against the server.

import type { DesiredObject, ExpandContext, JsonObject, JsonValue, Resource, ResourceIssue } from '../../src/sdk/index.ts';
import {
  OWNER_KEY, PROVIDER_KEY, RECREATE_KEY, builtinNamespaced, crdKey, namespaceKey, objectDisplay, objectKey, objectScope, objectTypeOf,
  splitApiVersion, tierOf, type ObjectRef,
} from './identity.ts';

export interface ManifestOptions {
  ownerId: string;
  defaultNamespace: string;
}

/** A CRD declared in the revision: which group/kind (and versions) it serves and whether it is namespaced. */
export interface DeclaredCrd {
  key: string;
  group: string;
  kind: string;
  versions: string[];
  namespaced: boolean;
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export function declaredCrds(resources: readonly Resource[]): DeclaredCrd[] {
  const out: DeclaredCrd[] = [];
  for (const r of resources) {
    if (r.kind !== 'CustomResourceDefinition' || splitApiVersion(r.apiVersion).group !== 'apiextensions.k8s.io') continue;
    const spec = isObject(r.raw.spec) ? r.raw.spec : {};
    const names = isObject(spec.names) ? spec.names : {};
    const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(isObject).filter((v) => v.served !== false).map((v) => String(v.name));
    out.push({ key: crdKey(r.metadata.name), group: String(spec.group ?? ''), kind: String(names.kind ?? ''), versions, namespaced: spec.scope !== 'Cluster' });
  }
  return out;
}

/** Namespaced or not, as far as can be told without the server. */
export function isNamespaced(resource: Resource, crds: readonly DeclaredCrd[]): boolean {
  const { group } = splitApiVersion(resource.apiVersion);
  const builtin = builtinNamespaced(group, resource.kind);
  if (builtin !== undefined) return builtin;
  const crd = crds.find((c) => c.group === group && c.kind === resource.kind);
  if (crd) return crd.namespaced;
  return resource.metadata.namespace !== undefined;
}

/** The manifest trueup sends: the document as written, plus the owner label and annotation,
 * minus trueup's routing fields (metadata.provider, the trueup.dev/provider annotation), and with
 * the default namespace filled in for namespaced kinds. */
export function manifestFor(resource: Resource, namespaced: boolean, options: ManifestOptions): JsonObject {
  const manifest = structuredClone(resource.raw);
  const metadata: JsonObject = isObject(manifest.metadata) ? manifest.metadata : {};
  manifest.metadata = metadata;
  delete metadata.provider;
  const labels: JsonObject = isObject(metadata.labels) ? metadata.labels : {};
  const annotations: JsonObject = isObject(metadata.annotations) ? metadata.annotations : {};
  delete annotations[PROVIDER_KEY];
  labels[OWNER_KEY] = options.ownerId;
  annotations[OWNER_KEY] = options.ownerId;
  metadata.labels = labels;
  metadata.annotations = annotations;
  if (namespaced && metadata.namespace === undefined) metadata.namespace = options.defaultNamespace;
  return manifest;
}

export function refOf(manifest: JsonObject): ObjectRef {
  const metadata = isObject(manifest.metadata) ? manifest.metadata : {};
  return {
    group: splitApiVersion(String(manifest.apiVersion)).group,
    kind: String(manifest.kind),
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    name: String(metadata.name),
  };
}

/** What the planner compares before the server refines it: the manifest minus apiVersion/kind
 * (both are in the key; the version is not part of the object's identity). */
export function comparable(manifest: JsonObject): JsonValue {
  const { apiVersion: _a, kind: _k, ...rest } = manifest;
  return rest;
}

export function expandResources(resources: Resource[], ctx: ExpandContext, defaultNamespace: string): { objects: DesiredObject[]; issues: ResourceIssue[] } {
  const crds = declaredCrds(resources);
  const issues: ResourceIssue[] = [];
  if (!LABEL_VALUE.test(ctx.ownerId)) {
    // The owner id becomes a label value; the API server would refuse every object.
    for (const resource of resources) {
      issues.push({ resource, path: ['metadata'], message: `the owner id "${ctx.ownerId}" cannot be a Kubernetes label value (at most 63 letters, digits, - _ . starting and ending with a letter or digit); change the source's owner` });
    }
    return { objects: [], issues };
  }
  const prepared: { resource: Resource; manifest: JsonObject; ref: ObjectRef }[] = [];
  for (const resource of resources) {
    const { group } = splitApiVersion(resource.apiVersion);
    const recreate = resource.metadata.annotations?.[RECREATE_KEY];
    if (recreate !== undefined && recreate !== 'enabled' && recreate !== 'disabled') {
      issues.push({ resource, path: ['metadata', 'annotations', RECREATE_KEY], message: `${RECREATE_KEY} is "enabled" (re-create the object when an immutable field changes) or "disabled", not "${recreate}"` });
      continue;
    }
    const namespaced = isNamespaced(resource, crds);
    if (!namespaced && resource.metadata.namespace !== undefined && builtinNamespaced(group, resource.kind) === false) {
      issues.push({ resource, path: ['metadata', 'namespace'], message: `${resource.kind} is cluster-scoped: remove metadata.namespace` });
      continue;
    }
    const crd = crds.find((c) => c.group === group && c.kind === resource.kind);
    if (crd && !crd.namespaced && resource.metadata.namespace !== undefined) {
      issues.push({ resource, path: ['metadata', 'namespace'], message: `${resource.kind} is cluster-scoped (its CRD says scope: Cluster): remove metadata.namespace` });
      continue;
    }
    const manifest = manifestFor(resource, namespaced, { ownerId: ctx.ownerId, defaultNamespace });
    prepared.push({ resource, manifest, ref: refOf(manifest) });
  }

  // Ordering, as dependencies (the executor applies in waves and deletes in reverse):
  //   CRDs, Namespaces, cluster-wide classes/RBAC  → no prerequisites
  //   ServiceAccounts, Roles, RoleBindings          → their Namespace, cluster classes
  //   everything else                               → its Namespace, its CRD, the namespace's
  //                                                   ServiceAccounts/RBAC, cluster classes
  //   webhook configurations                        → everything else (last: a webhook whose
  //                                                   service is not there yet blocks all writes)
  const keys = new Set(prepared.map((p) => objectKey(p.ref)));
  const classes = prepared.filter((p) => tierOf(p.ref.group, p.ref.kind) === 'class').map((p) => objectKey(p.ref));
  const firstByNamespace = new Map<string, string[]>();
  for (const p of prepared) {
    if (tierOf(p.ref.group, p.ref.kind) !== 'namespace-first' || !p.ref.namespace) continue;
    const first = firstByNamespace.get(p.ref.namespace);
    if (first) first.push(objectKey(p.ref));
    else firstByNamespace.set(p.ref.namespace, [objectKey(p.ref)]);
  }
  const objects: DesiredObject[] = [];
  for (const p of prepared) {
    const key = objectKey(p.ref);
    const tier = tierOf(p.ref.group, p.ref.kind);
    const deps = new Set<string>();
    if (p.ref.namespace && keys.has(namespaceKey(p.ref.namespace))) deps.add(namespaceKey(p.ref.namespace));
    const crd = crds.find((c) => c.group === p.ref.group && c.kind === p.ref.kind);
    if (crd) deps.add(crd.key);
    if (tier === 'namespace-first' || tier === 'other') for (const c of classes) deps.add(c);
    if (tier === 'other' && p.ref.namespace) for (const k of firstByNamespace.get(p.ref.namespace) ?? []) deps.add(k);
    if (tier === 'webhook') for (const k of keys) if (tierOf(...groupKindOfKey(k)) !== 'webhook') deps.add(k);
    deps.delete(key);
    const object: DesiredObject = {
      key, type: objectTypeOf(p.ref.group, p.ref.kind), display: objectDisplay(p.ref), scope: objectScope(p.ref),
      value: comparable(p.manifest), resource: p.resource,
    };
    if (deps.size > 0) object.dependsOn = [...deps].sort();
    objects.push(object);
  }
  return { objects, issues };
}

function groupKindOfKey(key: string): [string, string] {
  const [g = '', kind = ''] = key.split('/');
  return [g === 'core' ? '' : g, kind];
}
