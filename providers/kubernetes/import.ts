// import: YAML-ready documents for the objects of one namespace, as someone would have written
// them. Fields nobody manages (server defaults, admission mutations) are dropped using
// managedFields: what no field manager owns was not written by a person. Server-set metadata,
// status and kubectl's bookkeeping go too. Objects made by controllers (with ownerReferences) and
// the namespace's automatic objects are skipped; Secrets are skipped because their values do not
// belong in Git (declare them through a sealed or external secret instead).

import type { ImportRequest, JsonObject, JsonValue, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError } from '../../src/sdk/index.ts';
import type { KubeClient } from './client.ts';
import { Discovery, resourcePath } from './discovery.ts';
import { LAST_APPLIED, OWNER_KEY } from './identity.ts';
import { metadataOf } from './objects.ts';
import { mergeShapes, prune, shapeOfFieldsV1, type Shape } from './shape.ts';
import type { KubernetesSettings } from './settings.ts';
import { mapLimit } from './util.ts';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];
const AUTOMATIC = new Set(['/ConfigMap/kube-root-ca.crt', '/ServiceAccount/default']);

export interface ImportEnv {
  client: KubeClient;
  settings: KubernetesSettings;
}

export async function importNamespace(env: ImportEnv, request: ImportRequest, ctx: ProviderContext): Promise<JsonObject[]> {
  const namespace = request.selector.replace(/^namespace\//, '');
  if (!request.allowedScopes.allows(`namespace/${namespace}`)) {
    throw new TerminalError(`namespace/${namespace} is not in the allowed scopes (${request.allowedScopes.patterns.join(', ')})`, { operation: 'import' });
  }
  const resources = (await new Discovery(env.client).all(ctx)).filter((r) => r.namespaced);
  const out: JsonObject[] = [];
  let secrets = 0;
  await mapLimit(resources, env.settings.concurrency, async (resource) => {
    const body = await env.client.call({ method: 'GET', path: resourcePath(resource, namespace), operation: `list ${resource.plural}` }, ctx, true);
    for (const item of isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : []) {
      const md = metadataOf(item);
      if (Array.isArray(md.ownerReferences) && md.ownerReferences.length > 0) continue;
      if (AUTOMATIC.has(`${resource.group}/${resource.kind}/${String(md.name)}`)) continue;
      if (resource.group === '' && resource.kind === 'Secret') {
        secrets += 1;
        continue;
      }
      out.push(cleanForGit(item, resource.group ? `${resource.group}/${resource.version}` : resource.version, resource.kind));
    }
  });
  if (secrets > 0) ctx.log.warn({ namespace, secrets }, 'Secrets were not imported: their values do not belong in Git');
  const name = (o: JsonObject) => `${String(o.kind)}/${String(metadataOf(o).name)}`;
  return out.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
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
    if (section === 'annotations') delete m[LAST_APPLIED];
    if (Object.keys(m).length === 0) delete metadata[section];
  }
  const { metadata: _m, ...fields } = cleaned;
  const { name: _n, namespace: _ns, ...otherMetadata } = metadata;
  const ordered: JsonObject = { name: md.name ?? null };
  if (md.namespace !== undefined) ordered.namespace = md.namespace;
  return { apiVersion, kind, metadata: { ...ordered, ...otherMetadata }, ...fields };
}
