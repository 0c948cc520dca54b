// Which fields an object may set: the schemas the real API server decodes with, so fields it
// would drop or refuse are dropped or refused here too.
//
//   built-in kinds     the Kubernetes OpenAPI models as @kubernetes/client-node generates them
//                      (`V1Deployment.attributeTypeMap`, release-1.36): the same field names and
//                      nesting as the API server's Go types
//   custom resources   their CRD's `openAPIV3Schema` (properties, items, additionalProperties,
//                      x-kubernetes-preserve-unknown-fields); no schema declares nothing unknown
//
// What the server does with an undeclared field depends on the verb (KEP-2885 and
// test/integration/apiserver/field_validation_test.go in kubernetes/kubernetes):
//   server-side apply          always refused, whatever fieldValidation says: converting the patch
//                              to a typed value fails ("failed to create typed patch object (ns/name;
//                              apps/v1, Kind=Deployment): .spec.replicsa: field not declared in
//                              schema"), answered as a 500 without a reason (kubernetes#122480)
//   create, update, patches    fieldValidation=Strict: 400 BadRequest "strict decoding error:
//                              unknown field \"spec.replicsa\""; Warn (the server's default): the
//                              field is dropped and a `Warning: 299 - "unknown field ..."` header
//                              says so; Ignore: dropped silently

import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { itemKey } from './builtins.ts';
import { ApiError, isMap, type Json, type JsonMap, type KubeObject } from './types.ts';

interface Attribute {
  baseName: string;
  type: string;
}

type Model = { getAttributeTypeMap?: () => Attribute[] };
const MODELS = models as unknown as Record<string, Model | undefined>;

/** One undeclared field: its path as segments (a number is a list index). */
export type FieldPath = (string | number)[];

/** `v1` → `V1`, `v1beta1` → `V1beta1`: how the generated models are named. */
const modelName = (version: string, kind: string) => `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;

export function hasBuiltinSchema(version: string, kind: string): boolean {
  return MODELS[modelName(version, kind)]?.getAttributeTypeMap !== undefined;
}

/** Undeclared fields of a built-in object, by its generated model. */
export function undeclaredBuiltin(object: Json, version: string, kind: string): FieldPath[] {
  const out: FieldPath[] = [];
  walkModel(object, modelName(version, kind), [], out);
  return out;
}

function walkModel(value: Json, type: string, path: FieldPath, out: FieldPath[]): void {
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (Array.isArray(value)) value.forEach((item, i) => walkModel(item, list[1] ?? 'any', [...path, i], out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (isMap(value)) for (const [k, v] of Object.entries(value)) walkModel(v, map[1] ?? 'any', [...path, k], out);
    return;
  }
  const attributes = MODELS[type]?.getAttributeTypeMap?.();
  if (!attributes || !isMap(value)) return; // a scalar, IntOrString, a raw extension (`any`)
  for (const [k, v] of Object.entries(value)) {
    const attribute = attributes.find((a) => a.baseName === k);
    if (!attribute) out.push([...path, k]);
    else walkModel(v, attribute.type, [...path, k], out);
  }
}

/** Undeclared fields of a custom resource, by its CRD's structural schema (metadata by ObjectMeta). */
export function undeclaredCustom(object: JsonMap, schema: Json | undefined): FieldPath[] {
  if (!isMap(schema)) return [];
  const out: FieldPath[] = [];
  for (const [k, v] of Object.entries(object)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'metadata') walkModel(v, 'V1ObjectMeta', ['metadata'], out);
    else walkSchema(v, isMap(schema.properties) ? schema.properties[k] : undefined, [k], out, schema);
  }
  return out;
}

function walkSchema(value: Json, schema: Json | undefined, path: FieldPath, out: FieldPath[], parent: JsonMap): void {
  if (schema === undefined) {
    if (parent['x-kubernetes-preserve-unknown-fields'] === true) return;
    const extra = parent.additionalProperties;
    if (extra === true || isMap(extra)) return;
    out.push(path);
    return;
  }
  if (!isMap(schema) || schema['x-kubernetes-preserve-unknown-fields'] === true && !isMap(schema.properties)) return;
  if (Array.isArray(value)) {
    if (isMap(schema.items)) value.forEach((item, i) => walkSchema(item, schema.items, [...path, i], out, schema));
    return;
  }
  if (!isMap(value)) return;
  const properties = isMap(schema.properties) ? schema.properties : undefined;
  const additional = isMap(schema.additionalProperties) ? schema.additionalProperties : undefined;
  if (!properties && !additional) return; // `type: object` alone: a free-form map
  for (const [k, v] of Object.entries(value)) {
    const child = properties?.[k] ?? additional;
    walkSchema(v, child, [...path, k], out, schema);
  }
}

/** `spec.template.spec.containers[0].foo`, as strict decoding names a field. */
export function decodingPath(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** `.spec.template.spec.containers[name="api"].foo`, as structured-merge-diff names a field: list
 * items by their key fields where the list is associative, by index where it is atomic. */
export function typedPath(object: Json, path: FieldPath, builtin: boolean): string {
  let out = '';
  let value: Json | undefined = object;
  let field = '';
  for (const p of path) {
    if (typeof p === 'number') {
      const item: Json | undefined = Array.isArray(value) ? value[p] : undefined;
      const key = itemKey(field, item, builtin);
      out += key ? `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]` : `[${p}]`;
      value = item;
    } else {
      out += `.${p}`;
      field = p;
      value = isMap(value) ? value[p] : undefined;
    }
  }
  return out;
}

/** Without the undeclared fields (what typed decoding or CRD pruning keeps). */
export function dropFields(object: KubeObject, paths: readonly FieldPath[]): void {
  // Deepest first, and list items from the end, so earlier removals do not shift later paths.
  for (const path of [...paths].sort((a, b) => b.length - a.length)) {
    let target: Json | undefined = object as unknown as Json;
    for (const p of path.slice(0, -1)) target = Array.isArray(target) && typeof p === 'number' ? target[p] : isMap(target) && typeof p === 'string' ? target[p] : undefined;
    const last = path[path.length - 1];
    if (isMap(target) && typeof last === 'string') delete target[last];
  }
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(value: string | null): FieldValidation {
  if (value === null || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Strict' || value === 'Ignore') return value;
  throw new ApiError(400, 'BadRequest', `fieldValidation parameter: "${value}" is not a valid value, must be one of Ignore, Warn, Strict`);
}
