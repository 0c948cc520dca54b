// What the API server refuses in a (dry-run) server-side apply, turned into plan errors that name
// the file, line and field of the manifest.
//
// The answers, as a real API server gives them (kubernetes/kubernetes: staging/src/k8s.io/apimachinery
// pkg/util/managedfields/internal/structuredmerge.go, apiserver pkg/endpoints/handlers/patch.go):
//   a field the kind's schema does not declare (`replicsa`)  — server-side apply converts the patch
//     to a typed value whatever fieldValidation says, and that fails with a plain error the server
//     answers as HTTP 500 without a reason (kubernetes#122480):
//       failed to create typed patch object (web/api; apps/v1, Kind=Deployment): .spec.replicsa: field not declared in schema
//     (several: "errors:\n  .a: …\n  .b: …"; list items as [name="api"] or [0]). It is not
//     transient: retrying sends the same manifest.
//   fieldValidation=Strict on other verbs — 400 BadRequest "… strict decoding error: unknown field
//     \"spec.replicsa\"" (duplicate fields likewise).
//   an invalid value — 422 Invalid with details.causes[].field (`spec.template.spec.containers[0].image`).

import type { DesiredObject, JsonObject, JsonValue } from '../../src/sdk/index.ts';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

const TYPED_PATCH = /failed to create typed (?:patch|live) object/;
const NOT_DECLARED = /(?:^|\s)(\.\S+): field not declared in schema/gm;
const UNKNOWN_FIELD = /unknown field "((?:[^"\\]|\\.)*)"/g;
/** A dry run an admission webhook cannot take part in (sideEffects Unknown/Some): not a verdict on the object. */
const NO_DRY_RUN = /does not support dry run/i;

const messageOf = (body: JsonValue): string => (isObject(body) && typeof body.message === 'string' ? body.message : '');

/** The API server's 500 for an apply whose fields its schema does not declare: terminal, not a server fault. */
export function isUndeclaredFieldError(status: number, body: JsonValue): boolean {
  return status === 500 && TYPED_PATCH.test(messageOf(body));
}

export interface Refusal {
  /** Field paths as the server wrote them (`.spec.replicsa`, `spec.template.spec.containers[0].image`); may be empty. */
  fields: string[];
  /** One message per field (or one for the whole object). */
  messages: string[];
}

/** The server's verdict that the object itself is wrong, or undefined for other answers. */
export function refusalOf(status: number, body: JsonValue): Refusal | undefined {
  const message = messageOf(body);
  if (isUndeclaredFieldError(status, body)) {
    const fields = [...message.matchAll(NOT_DECLARED)].map((m) => m[1] ?? '');
    return fields.length > 0
      ? { fields, messages: fields.map((f) => `${f}: field not declared in schema`) }
      : { fields: [], messages: [message] };
  }
  if (status === 400 && !NO_DRY_RUN.test(message)) {
    const fields = [...message.matchAll(UNKNOWN_FIELD)].map((m) => (m[1] ?? '').replace(/\\"/g, '"'));
    return fields.length > 0
      ? { fields, messages: fields.map((f) => `unknown field "${f}"`) }
      : { fields: [], messages: [message || 'BadRequest'] };
  }
  if (status === 422 && isObject(body)) {
    const details = isObject(body.details) ? body.details : {};
    const causes = Array.isArray(details.causes) ? details.causes.filter(isObject) : [];
    const withField = causes.filter((c) => typeof c.field === 'string' && c.field !== '');
    if (withField.length === 0) return { fields: [], messages: [message || 'Invalid'] };
    return {
      fields: withField.map((c) => String(c.field)),
      messages: withField.map((c) => `${String(c.field)}: ${typeof c.message === 'string' ? c.message : String(c.reason ?? 'Invalid')}`),
    };
  }
  return undefined;
}

/**
 * A server field path → the manifest path to locate: `.spec.containers[name="api"].image` (list
 * items by key, as server-side apply names them) and `spec.containers[0].image` (by index) alike.
 */
export function manifestPath(manifest: JsonValue, field: string): (string | number)[] {
  const out: (string | number)[] = [];
  let value: JsonValue | undefined = manifest;
  const tokens = field.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
  for (const token of tokens) {
    if (!token.startsWith('[')) {
      out.push(token);
      value = isObject(value) ? value[token] : undefined;
      continue;
    }
    const inner = token.slice(1, -1);
    const items: JsonValue[] = Array.isArray(value) ? value : [];
    let index = /^\d+$/.test(inner) ? Number(inner) : -1;
    if (index < 0) {
      // k="v",k2=1 → the item whose key fields have those values
      const keys = [...inner.matchAll(/([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]*)/g)].map((m) => [m[1] ?? '', parseKey(m[2] ?? '')] as const);
      index = items.findIndex((item) => isObject(item) && keys.every(([k, v]) => item[k] === v));
      if (index < 0) break;
    }
    out.push(index);
    value = items[index];
  }
  return out;
}

function parseKey(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** `app.yaml:9: Deployment/api: .spec.replicsa: field not declared in schema`, one line per field. */
export function refusalLines(d: DesiredObject, refusal: Refusal): string[] {
  const where = (field: string | undefined) => {
    const at = d.resource.locate(field === undefined ? [] : manifestPath(d.resource.raw, field));
    return `${at.file}:${at.line}: ${d.resource.kind}/${d.resource.metadata.name}`;
  };
  if (refusal.fields.length === 0) return refusal.messages.map((m) => `${where(undefined)}: ${m}`);
  return refusal.messages.map((m, i) => `${where(refusal.fields[i])}: ${m}`);
}
