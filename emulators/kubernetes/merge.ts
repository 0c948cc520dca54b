// The ways a client changes an object: server-side apply merge, strategic merge patch (what
// kubectl's client-side apply and `kubectl patch` send), JSON merge patch (RFC 7386) and JSON
// patch (RFC 6902). Associative lists (containers by name…) merge by key for built-in kinds;
// every other list is replaced whole, as for custom resources without list-type markers.

import { itemKey } from './builtins.ts';
import { canonical } from './fieldset.ts';
import { ApiError, clone, isMap, type Json, type JsonMap } from './types.ts';

function sameKey(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  return a !== undefined && b !== undefined && canonical(a) === canonical(b);
}

/** Server-side apply: the applied configuration's fields win; everything else stays. */
export function mergeApplied(live: Json | undefined, applied: Json, builtin: boolean, field = ''): Json {
  if (isMap(applied)) {
    const out: JsonMap = isMap(live) ? clone(live) : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, builtin, k);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const keys = applied.map((item) => itemKey(field, item, builtin));
    if (applied.length > 0 && keys.every((k) => k !== undefined)) {
      const out = clone(live);
      applied.forEach((item, i) => {
        const at = out.findIndex((l) => sameKey(itemKey(field, l, builtin), keys[i]));
        if (at >= 0) out[at] = mergeApplied(out[at], item, builtin, field);
        else out.push(clone(item));
      });
      return out;
    }
  }
  return clone(applied);
}

/** RFC 7386 JSON merge patch. */
export function jsonMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isMap(patch)) return clone(patch);
  const out: JsonMap = isMap(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch, with the directives kubectl sends ($patch, $setElementOrder,
 * $retainKeys, $deleteFromPrimitiveList). */
export function strategicMergePatch(target: Json | undefined, patch: Json, builtin: boolean, field = ''): Json {
  if (Array.isArray(patch)) {
    const live = Array.isArray(target) ? target : [];
    const keys = patch.map((item) => itemKey(field, item, builtin));
    if (patch.length > 0 && keys.every((k) => k !== undefined)) {
      const out = clone(live);
      patch.forEach((item, i) => {
        const at = out.findIndex((l) => sameKey(itemKey(field, l, builtin), keys[i]));
        if (isMap(item) && item.$patch === 'delete') {
          if (at >= 0) out.splice(at, 1);
          return;
        }
        if (at >= 0) out[at] = strategicMergePatch(out[at], item, builtin, field);
        else out.push(strip(clone(item)));
      });
      return out;
    }
    return strip(clone(patch));
  }
  if (!isMap(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return strip(clone(rest));
  }
  if (patch.$patch === 'delete') return {};
  const out: JsonMap = isMap(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const list = out[name];
      if (Array.isArray(list) && Array.isArray(v)) out[name] = list.filter((x) => !v.some((d) => canonical(d) === canonical(x)));
      continue;
    }
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, builtin, k);
  }
  return out;
}

function strip(value: Json): Json {
  if (Array.isArray(value)) return value.map(strip);
  if (!isMap(value)) return value;
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = strip(v);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

/** RFC 6902 JSON patch (add, remove, replace, test, copy, move). */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
  let doc = clone(target);
  const pointer = (path: string) => path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const get = (parts: string[]): Json | undefined => {
    let node: Json | undefined = doc;
    for (const p of parts) {
      if (Array.isArray(node)) node = node[Number(p)];
      else if (isMap(node)) node = node[p];
      else return undefined;
    }
    return node;
  };
  const parentOf = (parts: string[], op: string): { parent: JsonMap | Json[]; last: string } => {
    const parent = get(parts.slice(0, -1));
    const last = parts[parts.length - 1];
    if (last === undefined || (!isMap(parent) && !Array.isArray(parent))) {
      throw new ApiError(422, 'Invalid', `the JSON patch ${op} path /${parts.join('/')} does not exist`);
    }
    return { parent, last };
  };
  const add = (parts: string[], value: Json, op: string) => {
    if (parts.length === 0) {
      doc = value;
      return;
    }
    const { parent, last } = parentOf(parts, op);
    if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, value);
    else parent[last] = value;
  };
  const remove = (parts: string[], op: string): Json => {
    const { parent, last } = parentOf(parts, op);
    const old = Array.isArray(parent) ? parent[Number(last)] : parent[last];
    if (old === undefined) throw new ApiError(422, 'Invalid', `the JSON patch ${op} path /${parts.join('/')} does not exist`);
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
    return old;
  };
  for (const raw of ops) {
    const op = raw as unknown as JsonPatchOp;
    const parts = pointer(op.path);
    switch (op.op) {
      case 'add': add(parts, clone(op.value ?? null), 'add'); break;
      case 'remove': remove(parts, 'remove'); break;
      case 'replace': remove(parts, 'replace'); add(parts, clone(op.value ?? null), 'replace'); break;
      case 'test':
        if (canonical(get(parts)) !== canonical(op.value)) throw new ApiError(422, 'Invalid', `the JSON patch test at ${op.path} failed`);
        break;
      case 'copy': add(parts, clone(get(pointer(op.from ?? '')) ?? null), 'copy'); break;
      case 'move': add(parts, remove(pointer(op.from ?? ''), 'move'), 'move'); break;
      default: throw new ApiError(400, 'BadRequest', `unknown JSON patch operation ${op.op}`);
    }
  }
  return doc;
}
