// Reading live objects: ownership marks, the handle apply needs, and the value the planner
// compares (pruned to the manifest's fields ∪ the fields trueup's field manager owns).

import type { JsonObject, JsonValue, Ownership } from '../../src/sdk/index.ts';
import type { ApiResource } from './discovery.ts';
import { ADOPT_KEY, LAST_APPLIED, OWNER_KEY, PRUNE_KEY } from './identity.ts';
import { mergeShapes, prune, shapeOf, shapeOfFieldsV1, type Shape } from './shape.ts';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Managers whose fields trueup takes over when it adopts an object (kubectl client-side apply
 * and what the API server records for objects older than managedFields), as Flux does. */
export const TAKEOVER_MANAGERS = new Set(['kubectl-client-side-apply', 'before-first-apply', 'kubectl']);

/** What apply needs to change or delete exactly this live object. */
export interface KubeHandle {
  resource: ApiResource;
  uid: string;
  resourceVersion: string;
  /** Adopting: rewrite kubectl's field ownership to trueup's before applying. */
  takeover: boolean;
  managedFields: JsonValue[];
}

export function metadataOf(object: JsonObject): JsonObject {
  return isObject(object.metadata) ? object.metadata : {};
}

export function annotationsOf(object: JsonObject): Record<string, string> {
  const a = metadataOf(object).annotations;
  return isObject(a) ? (a as Record<string, string>) : {};
}

/** Owned only through the annotation: operators copy labels onto the objects they create, so a
 * label alone proves nothing. A manifest may opt in to adopting an unmarked object. */
export function ownershipOf(live: JsonObject, ownerId: string, manifest: JsonObject | undefined): Ownership {
  const owner = annotationsOf(live)[OWNER_KEY];
  if (owner === ownerId) return { state: 'owned' };
  if (owner !== undefined && owner !== '') return { state: 'foreign', owner };
  if (manifest && annotationsOf(manifest)[ADOPT_KEY] === 'true') return { state: 'owned' };
  return { state: 'unowned' };
}

export function isProtected(live: JsonObject): boolean {
  return annotationsOf(live)[PRUNE_KEY] === 'disabled';
}

function managedEntries(live: JsonObject): JsonObject[] {
  const mf = metadataOf(live).managedFields;
  return Array.isArray(mf) ? mf.filter(isObject) : [];
}

/** The fields trueup's manager applied last time, as a shape. */
export function managedShape(live: JsonObject, fieldManager: string): Shape | undefined {
  const entry = managedEntries(live).find((e) => e.manager === fieldManager && e.operation === 'Apply' && e.subresource === undefined);
  return entry ? shapeOfFieldsV1(entry.fieldsV1) : undefined;
}

export function handleOf(live: JsonObject, resource: ApiResource, ownership: Ownership): KubeHandle {
  const md = metadataOf(live);
  const entries = managedEntries(live);
  const fromKubectl = entries.some((e) => TAKEOVER_MANAGERS.has(String(e.manager)));
  return {
    resource,
    uid: String(md.uid ?? ''),
    resourceVersion: String(md.resourceVersion ?? ''),
    takeover: annotationsOf(live)[OWNER_KEY] === undefined && ownership.state !== 'foreign' && (fromKubectl || annotationsOf(live)[LAST_APPLIED] !== undefined),
    managedFields: entries,
  };
}

/** An object as compared: no apiVersion/kind (they are in the key), no kubectl bookkeeping (the
 * last-applied annotation duplicates the object — and for a Secret, its values). */
export function comparableLive(object: JsonObject): JsonObject {
  const { apiVersion: _a, kind: _k, ...rest } = structuredClone(object);
  const md = isObject(rest.metadata) ? rest.metadata : undefined;
  if (md && isObject(md.annotations)) {
    delete md.annotations[LAST_APPLIED];
    if (Object.keys(md.annotations).length === 0) delete md.annotations;
  }
  return rest;
}

/** The shape compared for a declared object. For a Secret, `stringData` keys are compared as the
 * `data` keys the server turns them into. */
export function compareShape(manifestValue: JsonValue, live: JsonObject | undefined, fieldManager: string, kind: string): Shape {
  let shape = shapeOf(manifestValue);
  if (kind === 'Secret' && isObject(manifestValue) && isObject(manifestValue.stringData)) {
    const keys = Object.keys(manifestValue.stringData);
    shape = mergeShapes(shape, { fields: new Map([['data', { fields: new Map(keys.map((k) => [k, true as Shape])) }]]) });
  }
  // status is written by controllers through its subresource; an apply never changes it.
  if (shape !== true && 'fields' in shape && shape.fields.has('status')) {
    const fields = new Map(shape.fields);
    fields.delete('status');
    shape = { fields };
  }
  const owned = live ? managedShape(live, fieldManager) : undefined;
  return owned ? mergeShapes(shape, owned) : shape;
}

export function pruned(object: JsonObject, shape: Shape): JsonValue {
  return prune(comparableLive(object), shape) ?? {};
}

/** The value shown for an owned object that Git no longer declares: what trueup applied. */
export function undeclaredValue(live: JsonObject, fieldManager: string): JsonValue {
  const md = metadataOf(live);
  const shape = managedShape(live, fieldManager) ?? { fields: new Map([['metadata', { fields: new Map([['name', true], ['namespace', true]]) } as Shape]]) };
  const value = prune(comparableLive(live), shape);
  if (isObject(value)) {
    const vmd = isObject(value.metadata) ? value.metadata : {};
    vmd.name = md.name ?? null;
    if (md.namespace !== undefined) vmd.namespace = md.namespace;
    value.metadata = vmd;
  }
  return value ?? {};
}
