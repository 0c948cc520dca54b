// Pruning objects to "the fields that matter" before the planner compares them.
//
// A dry-run result and a live object both carry defaults, admission mutations and fields other
// managers own; comparing them whole would show noise, comparing only the manifest's fields would
// miss a field trueup applied before and no longer declares (server-side apply removes it). So the
// shape compared is: the fields the manifest sets ∪ the fields trueup's field manager owns on the
// live object (from metadata.managedFields). After an apply the two coincide and the plan is empty.

import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';

/** `true` keeps a whole subtree; a map keeps the named fields; a list applies one shape to every item. */
export type Shape = true | { fields: Map<string, Shape> } | { item: Shape };

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The shape of a manifest: every field it sets. */
export function shapeOf(value: JsonValue): Shape {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return true;
    return { fields: new Map(keys.map((k) => [k, shapeOf(value[k] as JsonValue)])) };
  }
  if (Array.isArray(value) && value.length > 0 && value.every(isObject)) {
    return { item: value.map((v) => shapeOf(v)).reduce(mergeShapes) };
  }
  return true;
}

/** The shape of a FieldsV1 tree (`f:` fields, `k:`/`v:`/`i:` list items, `.` the item itself). */
export function shapeOfFieldsV1(tree: JsonValue | undefined): Shape | undefined {
  if (!isObject(tree)) return undefined;
  const keys = Object.keys(tree).filter((k) => k !== '.');
  if (keys.length === 0) return true;
  const fields = new Map<string, Shape>();
  let item: Shape | undefined;
  for (const k of keys) {
    const child = shapeOfFieldsV1(tree[k]) ?? true;
    if (k.startsWith('f:')) fields.set(k.slice(2), child);
    else item = item === undefined ? child : mergeShapes(item, child);
  }
  if (item !== undefined && fields.size === 0) return { item };
  return { fields };
}

export function mergeShapes(a: Shape, b: Shape): Shape {
  if (a === true || b === true) return true;
  if ('fields' in a && 'fields' in b) {
    const out = new Map(a.fields);
    for (const [k, v] of b.fields) {
      const prior = out.get(k);
      out.set(k, prior === undefined ? v : mergeShapes(prior, v));
    }
    return { fields: out };
  }
  if ('item' in a && 'item' in b) return { item: mergeShapes(a.item, b.item) };
  return true; // a map in one and a list in the other: keep it whole rather than guess
}

/** Keep only what `shape` names. Absent fields stay absent (a diff shows them added). */
export function prune(value: JsonValue | undefined, shape: Shape): JsonValue | undefined {
  if (value === undefined || shape === true) return value;
  if ('fields' in shape) {
    if (!isObject(value)) return value;
    const out: JsonObject = {};
    for (const k of Object.keys(value)) { // the object's own key order, for readable output
      const s = shape.fields.get(k);
      if (s === undefined) continue;
      const v = prune(value[k], s);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (!Array.isArray(value)) return value;
  return value.map((v) => prune(v, shape.item) ?? null);
}
