// import: YAML-ready documents for the objects of one namespace — the Namespace itself included —
// as someone would have written them, such that committing them plans nothing but the adoption
// of what trueup does not own yet. Fields nobody manages (server defaults, admission mutations)
// are dropped using managedFields: what no field manager owns was not written by a person.
// Server-set metadata, status and kubectl's bookkeeping go too.
//
// Ownership decides what is written (never a location: an object in the namespace is not
// trueup's because it is there):
//   this source's owner mark       → written as is (the plan finds it unchanged)
//   no owner mark                  → written with `trueup.dev/adopt: "true"`: committing the file
//                                    is the explicit adoption (the plan shows the marks added)
//   another source's owner mark    → left out (the plan would refuse it as a conflict)
// and some objects are left out whatever their marks, each reported through `onSkipped`:
//   Secrets                        their values would be committed in clear text (declare them
//                                  through a sealed or external secret). A Secret this source
//                                  owns is released — import removes trueup's owner marks from it
//                                  — because the YAML no longer declares it and the next plan
//                                  would otherwise delete it. Releasing is the one write import
//                                  makes; it can only make trueup touch less.
//                                  Unless the caller encrypts them (request.onSecret, `import
//                                  --encrypt-to`): then Secrets follow the ownership rules above
//                                  and go to onSecret, nothing is released.
//   children of controllers        ownerReferences, unless this source owns them (then a person
//                                  declared them, ownerReferences and all)
//   automatic objects              kube-root-ca.crt and the default ServiceAccount
//   the Namespace                  when the source may not touch `cluster` (it cannot declare it)

import type { ImportRequest, JsonObject, JsonValue, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError } from '../../src/sdk/index.ts';
import type { KubeClient } from './client.ts';
import { Discovery, resourcePath, type ApiResource } from './discovery.ts';
import { ADOPT_KEY, LAST_APPLIED, OWNER_KEY, objectDisplay } from './identity.ts';
import { annotationsOf, metadataOf } from './objects.ts';
import { mergeShapes, prune, shapeOfFieldsV1, type Shape } from './shape.ts';
import type { KubernetesSettings } from './settings.ts';
import { mapLimit } from './util.ts';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const isSecret = (resource: Pick<ApiResource, 'group' | 'kind'>) => resource.group === '' && resource.kind === 'Secret';
const AUTOMATIC = new Set(['/ConfigMap/kube-root-ca.crt', '/ServiceAccount/default']);
/** Set by the API server on every Namespace (its name); never written by a person. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface ImportEnv {
  client: KubeClient;
  settings: KubernetesSettings;
}

/** What import does with one live object. */
export type ImportVerdict =
  | { write: true; adopt: boolean }
  | { write: false; reason: string; release?: boolean };

/** The rules above, for one object. Pure. */
export function importVerdict(object: JsonObject, resource: Pick<ApiResource, 'group' | 'kind'>, ownerId: string, clusterAllowed: boolean, encryptsSecrets = false): ImportVerdict {
  const md = metadataOf(object);
  const owner = annotationsOf(object)[OWNER_KEY];
  const owned = owner === ownerId;
  if (owner !== undefined && owner !== '' && !owned) {
    return { write: false, reason: `owned by another trueup source ("${owner}"); import it there` };
  }
  if (isSecret(resource) && !encryptsSecrets) {
    const reason = 'a Secret\'s values would be committed in clear text; declare it through a sealed or external secret';
    return owned
      ? { write: false, release: true, reason: `${reason}. It carried this source's owner marks: import removed them, so plans leave it alone instead of deleting it` }
      : { write: false, reason: `${reason}; plans leave it alone` };
  }
  const refs = Array.isArray(md.ownerReferences) ? md.ownerReferences.filter(isObject) : [];
  if (refs.length > 0 && !owned) {
    return { write: false, reason: `made by a controller (owned by ${refs.map((r) => `${String(r.kind)} ${String(r.name)}`).join(', ')}); it follows its owner` };
  }
  if (AUTOMATIC.has(`${resource.group}/${resource.kind}/${String(md.name)}`) && !owned) {
    return { write: false, reason: 'created in every namespace by Kubernetes' };
  }
  if (resource.group === '' && resource.kind === 'Namespace' && !clusterAllowed) {
    return { write: false, reason: 'cluster-scoped, and this source\'s scopes do not include `cluster`: declare the Namespace where it is managed' };
  }
  return { write: true, adopt: !owned };
}

export async function importNamespace(env: ImportEnv, request: ImportRequest, ctx: ProviderContext): Promise<JsonObject[]> {
  const namespace = request.selector.replace(/^namespace\//, '');
  if (!request.allowedScopes.allows(`namespace/${namespace}`)) {
    throw new TerminalError(`namespace/${namespace} is not in the allowed scopes (${request.allowedScopes.patterns.join(', ')})`, { operation: 'import' });
  }
  const clusterAllowed = request.allowedScopes.allows('cluster');
  const all = await new Discovery(env.client).all(ctx);
  const nsResource = all.find((r) => r.group === '' && r.kind === 'Namespace');
  const nsObject = nsResource ? await env.client.call({ method: 'GET', path: resourcePath(nsResource, undefined, namespace), operation: 'get namespaces', subject: `Namespace ${namespace}` }, ctx, true) : undefined;
  if (!nsResource || !isObject(nsObject)) throw new TerminalError(`namespace ${namespace} does not exist`, { subject: `Namespace ${namespace}`, operation: 'get namespaces' });
  const live: { object: JsonObject; resource: ApiResource }[] = [{ object: nsObject, resource: nsResource }];
  await mapLimit(all.filter((r) => r.namespaced), env.settings.concurrency, async (resource) => {
    const body = await env.client.call({ method: 'GET', path: resourcePath(resource, namespace), operation: `list ${resource.plural}` }, ctx, true);
    for (const item of isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : []) live.push({ object: item, resource });
  });

  const out: JsonObject[] = [];
  const releases: { object: JsonObject; resource: ApiResource; display: string }[] = [];
  for (const { object, resource } of live) {
    const md = metadataOf(object);
    const display = objectDisplay({ group: resource.group, kind: resource.kind, namespace: resource.namespaced ? namespace : undefined, name: String(md.name) });
    const verdict = importVerdict(object, resource, ctx.ownerId, clusterAllowed, request.onSecret !== undefined);
    if (!verdict.write) {
      request.onSkipped?.({ subject: display, reason: verdict.reason });
      ctx.log.debug({ object: display, reason: verdict.reason }, 'left out of the import');
      if (verdict.release) releases.push({ object, resource, display });
      continue;
    }
    const doc = cleanForGit(object, resource.group ? `${resource.group}/${resource.version}` : resource.version, resource.kind);
    if (verdict.adopt) {
      const docMd = metadataOf(doc);
      docMd.annotations = { ...(isObject(docMd.annotations) ? docMd.annotations : {}), [ADOPT_KEY]: 'true' };
    }
    if (request.onSecret && isSecret(resource)) request.onSecret(doc);
    else out.push(doc);
  }
  await mapLimit(releases, env.settings.concurrency, ({ object, resource, display }) => release(env, object, resource, namespace, display, ctx));
  // The Namespace first (it is applied first), then by kind and name.
  const name = (o: JsonObject) => `${o.kind === 'Namespace' ? '' : String(o.kind)}/${String(metadataOf(o).name)}`;
  return out.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

/** Remove this source's owner marks (label and annotation) from an object import leaves out,
 * guarded by its resourceVersion: only the object import looked at is released. */
async function release(env: ImportEnv, object: JsonObject, resource: ApiResource, namespace: string, display: string, ctx: ProviderContext): Promise<void> {
  const md = metadataOf(object);
  const labels = isObject(md.labels) && md.labels[OWNER_KEY] !== undefined ? { labels: { [OWNER_KEY]: null } } : {};
  await env.client.call({
    method: 'PATCH', path: resourcePath(resource, namespace, String(md.name)), query: { fieldManager: env.settings.fieldManager },
    body: JSON.stringify({ metadata: { ...labels, annotations: { [OWNER_KEY]: null }, resourceVersion: md.resourceVersion ?? null } }),
    contentType: 'application/merge-patch+json', operation: 'release (remove owner marks)', subject: display,
  }, ctx);
}

/** The object as a person would declare it. */
export function cleanForGit(object: JsonObject, apiVersion: string, kind: string): JsonObject {
  const md = metadataOf(object);
  let shape: Shape | undefined;
  for (const e of Array.isArray(md.managedFields) ? md.managedFields.filter(isObject) : []) {
    if (e.subresource !== undefined) continue;
    const s = shapeOfFieldsV1(e.fieldsV1);
    if (s) shape = shape ? mergeShapes(shape, s) : s;
  }
  const { apiVersion: _a, kind: _k, status: _s, ...rest } = structuredClone(object);
  let body: JsonValue = rest;
  if (shape) body = prune(rest, shape) ?? {};
  const cleaned = isObject(body) ? body : {};
  const metadata: JsonObject = isObject(cleaned.metadata) ? cleaned.metadata : {};
  for (const f of SERVER_METADATA) delete metadata[f];
  metadata.name = md.name ?? null;
  if (md.namespace !== undefined) metadata.namespace = md.namespace;
  for (const section of ['labels', 'annotations'] as const) {
    const m = metadata[section];
    if (!isObject(m)) continue;
    delete m[OWNER_KEY];
    if (section === 'labels' && kind === 'Namespace') delete m[NAMESPACE_NAME_LABEL];
    if (section === 'annotations') delete m[LAST_APPLIED];
    if (Object.keys(m).length === 0) delete metadata[section];
  }
  const { metadata: _m, ...fields } = cleaned;
  const { name: _n, namespace: _ns, ...otherMetadata } = metadata;
  const ordered: JsonObject = { name: md.name ?? null };
  if (md.namespace !== undefined) ordered.namespace = md.namespace;
  return { apiVersion, kind, metadata: { ...ordered, ...otherMetadata }, ...fields };
}
