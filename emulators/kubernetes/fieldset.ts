// Field sets, as the API server tracks them in `metadata.managedFields` (FieldsV1): a simplified
// but faithful model. A set holds leaf paths; a path is a list of segments
//   f:<field>          a map field
//   k:<json key>       an item of an associative list, matched by its key fields
//   .                  the list item itself (owning it means removing it when no longer applied)
// Scalars, atomic lists and empty maps are leaves. Server-set metadata and status are never owned.

import { itemKey } from './builtins.ts';
import { isMap, type Json, type JsonMap } from './types.ts';

export type FieldSet = Set<string>;

const SERVER_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields',
  'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds',
]);

export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (isMap(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(value));
}

/** The leaf paths an object (or an applied configuration) sets. */
export function fieldsOf(object: JsonMap, builtin: boolean): FieldSet {
  const out: FieldSet = new Set();
  const leaf = (path: string[]) => out.add(JSON.stringify(path));
  const walk = (value: Json, path: string[], field: string): void => {
    if (isMap(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0) {
        leaf(path);
        return;
      }
      for (const k of keys) walk(value[k] as Json, [...path, `f:${k}`], k);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const keys = value.map((item) => itemKey(field, item, builtin));
      if (keys.every((k) => k !== undefined)) {
        value.forEach((item, i) => {
          const itemPath = [...path, `k:${canonical(keys[i])}`];
          leaf([...itemPath, '.']);
          for (const [f, v] of Object.entries(item as JsonMap)) walk(v, [...itemPath, `f:${f}`], f);
        });
        return;
      }
    }
    leaf(path);
  };
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata' && isMap(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!SERVER_METADATA.has(mk)) walk(mv, ['f:metadata', `f:${mk}`], mk);
      }
      continue;
    }
    walk(v, [`f:${k}`], k);
  }
  return out;
}

export function toFieldsV1(set: FieldSet): JsonMap {
  const root: JsonMap = {};
  for (const encoded of [...set].sort()) {
    let node = root;
    for (const segment of JSON.parse(encoded) as string[]) {
      const next = node[segment];
      if (isMap(next)) node = next;
      else {
        const created: JsonMap = {};
        node[segment] = created;
        node = created;
      }
    }
  }
  return root;
}

export function fromFieldsV1(tree: Json | undefined): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: Json, path: string[]) => {
    const keys = isMap(node) ? Object.keys(node) : [];
    if (keys.length === 0) {
      if (path.length > 0) out.add(JSON.stringify(path));
      return;
    }
    for (const k of keys) walk((node as JsonMap)[k] as Json, [...path, k]);
  };
  if (tree !== undefined) walk(tree, []);
  return out;
}

/** `.spec.replicas`, `.spec.template.spec.containers[name="web"].image`: for conflict messages. */
export function describePath(encoded: string): string {
  return (JSON.parse(encoded) as string[]).map((s) => {
    if (s.startsWith('f:')) return `.${s.slice(2)}`;
    if (s.startsWith('k:')) {
      const key = JSON.parse(s.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
    return s === '.' ? '' : `[${s}]`;
  }).join('');
}

function findItem(list: Json[], segment: string): number {
  const key = JSON.parse(segment.slice(2)) as Record<string, unknown>;
  return list.findIndex((item) => isMap(item) && Object.entries(key).every(([k, v]) => canonical(item[k]) === canonical(v)));
}

/** The value at a path, or undefined when absent. */
export function getAt(object: Json, encoded: string): Json | undefined {
  let node: Json | undefined = object;
  for (const segment of JSON.parse(encoded) as string[]) {
    if (node === undefined) return undefined;
    if (segment === '.') return node;
    if (segment.startsWith('f:')) node = isMap(node) ? node[segment.slice(2)] : undefined;
    else if (segment.startsWith('k:')) node = Array.isArray(node) ? node[findItem(node, segment)] : undefined;
    else return undefined;
  }
  return node;
}

/** Remove the field at a path (or the list item, for a `.` path). Empty maps left behind go too. */
export function removeAt(object: JsonMap, encoded: string): void {
  const segments = JSON.parse(encoded) as string[];
  const trail: { parent: JsonMap | Json[]; at: string | number }[] = [];
  let node: Json = object;
  for (const segment of segments) {
    if (segment === '.') break;
    if (segment.startsWith('f:') && isMap(node)) {
      trail.push({ parent: node, at: segment.slice(2) });
      const next: Json | undefined = node[segment.slice(2)];
      if (next === undefined) return;
      node = next;
    } else if (segment.startsWith('k:') && Array.isArray(node)) {
      const i = findItem(node, segment);
      if (i < 0) return;
      trail.push({ parent: node, at: i });
      node = node[i] as Json;
    } else return;
  }
  const last = trail.pop();
  if (!last) return;
  if (Array.isArray(last.parent)) last.parent.splice(last.at as number, 1);
  else delete last.parent[last.at as string];
  // Drop maps emptied by the removal (not lists: an empty list may be meaningful).
  for (let i = trail.length - 1; i >= 0; i -= 1) {
    const { parent, at } = trail[i] as { parent: JsonMap | Json[]; at: string | number };
    const child = Array.isArray(parent) ? parent[at as number] : parent[at as string];
    if (isMap(child) && Object.keys(child).length === 0 && !Array.isArray(parent)) delete parent[at as string];
    else break;
  }
}
