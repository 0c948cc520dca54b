// The `scale` subresource of Deployments and StatefulSets: an autoscaling/v1 Scale over the
// object's spec.replicas (what `kubectl scale` and an HPA read and write). GET answers the Scale;
// PUT and PATCH (merge, JSON, strategic) change spec.replicas only, refuse a negative count (422)
// and a stale resourceVersion (409), and answer the Scale after the write.

import { jsonMergePatch, jsonPatch } from './merge.ts';
import type { KubeState, PatchType, WriteOptions } from './state.ts';
import { ApiError, isMap, type Json, type JsonMap, type KubeObject, type ResourceType } from './types.ts';

/** `app=api,tier=web`: the label selector as a string, as Scale.status.selector carries it. */
function selectorText(object: KubeObject): string {
  const selector = isMap(object.spec) && isMap(object.spec.selector) ? object.spec.selector : {};
  const labels = isMap(selector.matchLabels) ? Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${String(v)}`) : [];
  const expressions = (Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isMap) : []).map((e) => {
    const values = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
    return e.operator === 'In' ? `${String(e.key)} in (${values})` : e.operator === 'NotIn' ? `${String(e.key)} notin (${values})`
      : e.operator === 'Exists' ? String(e.key) : `!${String(e.key)}`;
  });
  return [...labels.sort(), ...expressions].join(',');
}

export function scaleOf(object: KubeObject): JsonMap {
  const md = object.metadata;
  const metadata: JsonMap = { name: md.name, namespace: md.namespace ?? '', uid: md.uid ?? '', resourceVersion: md.resourceVersion ?? '', creationTimestamp: md.creationTimestamp ?? null };
  const spec = isMap(object.spec) ? object.spec : {};
  const status = isMap(object.status) ? object.status : {};
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1', metadata,
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorText(object) },
  };
}

export function writeScale(state: KubeState, type: ResourceType, version: string, namespace: string | undefined, name: string,
  method: string, patchType: PatchType | undefined, body: Json, opts: WriteOptions): JsonMap {
  const current = scaleOf(state.get(type, version, namespace, name));
  if (method === 'GET') return current;
  let next: Json;
  if (method === 'PUT') next = body;
  else if (method === 'PATCH' && (patchType === 'merge' || patchType === 'strategic')) next = jsonMergePatch(current, body);
  else if (method === 'PATCH' && patchType === 'json') next = jsonPatch(current, body);
  else throw new ApiError(405, 'MethodNotAllowed', `${method}${patchType ? ` (${patchType} patch)` : ''} is not supported on the scale subresource`);
  if (!isMap(next)) throw new ApiError(400, 'BadRequest', 'the request body must be a Scale object');
  const md = isMap(next.metadata) ? next.metadata : {};
  if (md.name !== undefined && md.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${String(md.name)}) does not match the name on the URL (${name})`);
  const currentVersion = (current.metadata as JsonMap).resourceVersion;
  if (method === 'PUT' && md.resourceVersion !== undefined && md.resourceVersion !== '' && md.resourceVersion !== currentVersion) {
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
  }
  const replicas = isMap(next.spec) ? next.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const message = `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`;
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: ${message}`,
      { name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message, field: 'spec.replicas' }] });
  }
  const updated = state.patch(type, version, namespace, name, 'merge', { spec: { replicas } }, opts);
  return scaleOf(updated);
}
