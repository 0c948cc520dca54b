// Custom resources checked against their CRD's structural openAPIV3Schema, as the API server's
// apiextensions validator does on create, update and patches (dry runs included), after pruning:
// type (integer, number, string, boolean, object, array; x-kubernetes-int-or-string), nullable,
// required, enum, pattern, minimum/maximum (and exclusive), minLength/maxLength,
// minItems/maxItems, minProperties/maxProperties. A violation is 422 Invalid with one cause per
// field, in the words of k8s.io/kube-openapi's validate package as the API server reports them:
//   spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1
//   spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"
//   spec.mode: Unsupported value: "x": supported values: "a", "b"
//   spec.image: Required value
// Nulls in fields that are not `nullable` are dropped first (the server prunes them too).
// Not modelled: `format`, CEL rules (x-kubernetes-validations), defaults.

import { ApiError, isMap, type Json, type JsonMap, type KubeObject } from './types.ts';

interface Cause { reason: string; field: string; message: string }

/** Validate a custom resource (metadata excluded: ObjectMeta is checked as for any object). */
export function validateCustomResource(object: KubeObject, schema: Json | undefined, kind: string, group: string): void {
  if (!isMap(schema)) return;
  const causes: Cause[] = [];
  const root = object as unknown as JsonMap;
  const properties = isMap(schema.properties) ? schema.properties : {};
  for (const [key, value] of Object.entries(root)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    const child = properties[key];
    if (value === null && !(isMap(child) && child.nullable === true)) delete root[key];
    else if (isMap(child)) check(value, child, key, causes);
  }
  for (const name of requiredOf(schema)) {
    if (!['apiVersion', 'kind', 'metadata'].includes(name) && root[name] === undefined) causes.push({ reason: 'FieldValueRequired', field: name, message: 'Required value' });
  }
  if (causes.length === 0) return;
  const lines = causes.map((c) => `${c.field}: ${c.message}`);
  const what = `${kind}.${group} "${object.metadata.name}"`;
  throw new ApiError(422, 'Invalid', `${what} is invalid: ${lines.length === 1 ? lines[0] ?? '' : `[${lines.join(', ')}]`}`,
    { name: object.metadata.name, group, kind, causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })) });
}

const requiredOf = (schema: JsonMap): string[] => (Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);

/** How kube-openapi prints a value in an error: strings quoted, the rest as JSON. */
const shown = (value: Json): string => JSON.stringify(value);

function typeOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(value: Json, schema: JsonMap): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  const actual = typeOf(value);
  switch (schema.type) {
    case undefined: return true;
    case 'number': return actual === 'number' || actual === 'integer';
    default: return actual === schema.type;
  }
}

function check(value: Json, schema: JsonMap, path: string, causes: Cause[]): void {
  const invalid = (message: string) => causes.push({ reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${shown(value)}: ${path} in body ${message}` });
  if (value === null) {
    if (schema.nullable !== true) causes.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "null": ${path} in body must be of type ${String(schema.type ?? 'object')}: "null"` });
    return;
  }
  if (!typeMatches(value, schema)) {
    causes.push({ reason: 'FieldValueTypeInvalid', field: path, message: `Invalid value: "${typeOf(value)}": ${path} in body must be of type ${String(schema.type)}: "${typeOf(value)}"` });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push({ reason: 'FieldValueNotSupported', field: path, message: `Unsupported value: ${shown(value)}: supported values: ${schema.enum.map(shown).join(', ')}` });
  }
  if (typeof value === 'number') {
    const num = (k: string) => (typeof schema[k] === 'number' ? schema[k] : undefined);
    const min = num('minimum');
    const max = num('maximum');
    if (min !== undefined && (schema.exclusiveMinimum === true ? value <= min : value < min)) invalid(`should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${min}`);
    if (max !== undefined && (schema.exclusiveMaximum === true ? value >= max : value > max)) invalid(`should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${max}`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) causes.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${schema.maxLength} bytes` });
    if (typeof schema.minLength === 'number' && length < schema.minLength) invalid(`should be at least ${schema.minLength} chars long`);
    if (typeof schema.pattern === 'string' && !patternMatches(schema.pattern, value)) invalid(`should match '${schema.pattern}'`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) causes.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) invalid(`should have at least ${schema.minItems} items`);
    if (isMap(schema.items)) {
      const items = schema.items;
      value.forEach((item, i) => check(item, items, `${path}[${i}]`, causes));
    }
    return;
  }
  if (!isMap(value)) return;
  const count = Object.keys(value).length;
  if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) causes.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${count}: must have at most ${schema.maxProperties} items` });
  if (typeof schema.minProperties === 'number' && count < schema.minProperties) invalid(`should have at least ${schema.minProperties} properties`);
  const properties = isMap(schema.properties) ? schema.properties : undefined;
  const additional = isMap(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value)) {
    const sub = properties?.[key] ?? additional;
    if (child === null && !(isMap(sub) && sub.nullable === true)) {
      delete value[key];
      continue;
    }
    if (isMap(sub)) check(child, sub, `${path}.${key}`, causes);
  }
  for (const name of requiredOf(schema)) {
    if (value[name] === undefined) causes.push({ reason: 'FieldValueRequired', field: `${path}.${name}`, message: 'Required value' });
  }
}

/** CRD patterns are ECMA-262 regular expressions (the API server checks them with Go's RE2 at
 * CRD creation; the common subset behaves the same). Unanchored, as JSON Schema says. */
function patternMatches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return true;
  }
}
