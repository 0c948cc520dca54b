// Strategic merge of a stage document onto a base document, keeping where every value came from.
//
// The rules are kustomize's strategic-merge patch, generalised beyond Kubernetes so DNS records
// and IAM statements merge the same way:
//   - mappings merge key by key; `key: null` removes the key;
//   - a list whose items (in base and patch) are all mappings carrying one identity field with
//     unique values merges item by item on that field, tried in MERGE_KEYS order: `name`
//     (containers, env, volumes), `Sid` (IAM statements), `type` (the record sets of a DNS name),
//     `containerPort`, `mountPath`; new items are appended. Any other list is replaced whole
//     (kustomize does the same for lists without a patch strategy);
//   - `$patch: delete` in a mapping removes that mapping (an item of a merged list, or the whole
//     resource at the document root); `$patch: replace` replaces instead of merging;
//   - any other value replaces.
//
// Provenance: beside the merged value we build an origin tree. A node without children means
// "this whole subtree is, verbatim, the value at `path` in `doc`"; a merged node lists the origin
// of each child. `locate` walks it, so an error or a plan line points at the stage file that set
// the value and at the base file for everything the stage left alone.

import type { JsonObject, JsonValue, SourceLocation } from '../sdk/index.ts';
import { isPlainObject, type ParsedDocument } from './yaml-documents.ts';

type Key = string | number;
type Path = ReadonlyArray<Key>;

export const MERGE_KEYS = ['name', 'Sid', 'type', 'containerPort', 'mountPath'] as const;
export const PATCH_DIRECTIVE = '$patch';

interface Origin {
  doc: ParsedDocument;
  path: Key[];
  /** Set on merged nodes only. */
  children?: Map<Key, Origin>;
  /** On merged nodes: where the patch wrote to this node. A path that ends here (a record set, a
   * container) locates there: the stage is where the node was last changed. */
  patched?: Origin;
}

const DELETE = Symbol('delete');

/** A problem with a patch, at a path of the patch document. */
export interface MergeProblem {
  path: Key[];
  message: string;
}

export interface Merged {
  /** Undefined when the patch deleted the whole document. */
  value: JsonObject | undefined;
  locate(path: Path): SourceLocation;
  problems: MergeProblem[];
}

export function mergeDocuments(base: ParsedDocument, patch: ParsedDocument): Merged {
  const problems: MergeProblem[] = [];
  const [value, origin] = merge(base.value as JsonValue, { doc: base, path: [] }, patch.value as JsonValue, { doc: patch, path: [] }, problems);
  return {
    value: value === DELETE ? undefined : (value as JsonObject),
    locate: (path) => locateIn(origin, path),
    problems,
  };
}

function locateIn(root: Origin, path: Path): SourceLocation {
  let node = root;
  let used = 0;
  while (used < path.length && node.children) {
    const next = node.children.get(path[used] as Key);
    if (!next) break;
    node = next;
    used += 1;
  }
  if (used === path.length && node.patched) return node.patched.doc.locate(node.patched.path);
  return node.doc.locate([...node.path, ...path.slice(used)]);
}

function child(origin: Origin, key: Key): Origin {
  return origin.children?.get(key) ?? { doc: origin.doc, path: [...origin.path, key] };
}

function merge(base: JsonValue | undefined, bo: Origin, patch: JsonValue, po: Origin, problems: MergeProblem[]): [JsonValue | typeof DELETE, Origin] {
  if (isPlainObject(patch)) {
    const directive = patch[PATCH_DIRECTIVE];
    if (directive !== undefined && directive !== 'delete' && directive !== 'replace') {
      problems.push({ path: [...po.path, PATCH_DIRECTIVE], message: `unknown $patch directive ${JSON.stringify(directive)}: use delete or replace` });
    }
    if (directive === 'delete') return [DELETE, po];
    if (directive === 'replace' || !isPlainObject(base)) return [clean(patch), po];
    const out: JsonObject = {};
    const children = new Map<Key, Origin>();
    for (const [key, value] of Object.entries(base)) {
      out[key] = value;
      children.set(key, child(bo, key));
    }
    for (const [key, value] of Object.entries(patch)) {
      if (key === PATCH_DIRECTIVE) continue;
      if (value === null) {
        delete out[key];
        children.delete(key);
        continue;
      }
      const [merged, origin] = key in base
        ? merge(base[key], child(bo, key), value, child(po, key), problems)
        : [clean(value), child(po, key)] as const;
      if (merged === DELETE) {
        delete out[key];
        children.delete(key);
      } else {
        out[key] = merged;
        children.set(key, origin);
      }
    }
    return [out, { ...bo, children, patched: po }];
  }
  if (Array.isArray(patch) && Array.isArray(base)) {
    const key = mergeKey(base, patch);
    if (key) return mergeList(base, bo, patch, po, key, problems);
  }
  return [clean(patch), po];
}

function mergeList(base: JsonValue[], bo: Origin, patch: JsonValue[], po: Origin, key: string, problems: MergeProblem[]): [JsonValue[], Origin] {
  const patchByKey = new Map<unknown, number>();
  patch.forEach((item, i) => patchByKey.set((item as JsonObject)[key], i));
  const out: JsonValue[] = [];
  const children = new Map<Key, Origin>();
  const used = new Set<number>();
  base.forEach((item, i) => {
    const id = (item as JsonObject)[key];
    const p = patchByKey.get(id);
    let value: JsonValue | typeof DELETE = item;
    let origin = child(bo, i);
    if (p !== undefined) {
      used.add(p);
      [value, origin] = merge(item, origin, patch[p] as JsonValue, child(po, p), problems);
    }
    if (value === DELETE) return;
    children.set(out.length, origin);
    out.push(value);
  });
  patch.forEach((item, i) => {
    if (used.has(i)) return;
    if ((item as JsonObject)[PATCH_DIRECTIVE] === 'delete') {
      problems.push({ path: [...po.path, i], message: `$patch: delete names ${key} ${JSON.stringify((item as JsonObject)[key])}, which the base does not have` });
      return;
    }
    children.set(out.length, child(po, i));
    out.push(clean(item));
  });
  return [out, { ...bo, children, patched: po }];
}

/** The identity field both lists' items share, or undefined (the patch list replaces). */
function mergeKey(base: JsonValue[], patch: JsonValue[]): string | undefined {
  const items = [...base, ...patch];
  if (items.length === 0 || !items.every(isPlainObject)) return undefined;
  for (const key of MERGE_KEYS) {
    const unique = (list: JsonValue[]) => {
      const seen = new Set<unknown>();
      for (const item of list) {
        const id = (item as JsonObject)[key];
        if (id === undefined || id === null || typeof id === 'object' || seen.has(id)) return false;
        seen.add(id);
      }
      return true;
    };
    if (unique(base) && unique(patch)) return key;
  }
  return undefined;
}

/** A value taken from a patch as is: drop any `$patch` directives it carries (nothing to patch). */
function clean(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(clean);
  if (!isPlainObject(value)) return value;
  if (!(PATCH_DIRECTIVE in value) && !Object.values(value).some((v) => typeof v === 'object' && v !== null)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (k !== PATCH_DIRECTIVE) out[k] = clean(v);
  return out;
}
