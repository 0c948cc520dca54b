// Immutable fields: reading the API server's 422 answer to a dry run, and saying what to do.
//
// The server is the only authority on which fields cannot change in place (built-in rules such as
// a Deployment's spec.selector, a Job's spec.template, a PVC's spec; a CRD's CEL rules), so trueup
// keeps no list of them: a dry-run apply answering 422 Invalid whose every cause is an
// immutability rule means "this object can only change by being deleted and created again".

import type { DesiredObject, JsonObject, JsonValue } from '../../src/sdk/index.ts';
import { diffValues } from '../../src/sdk/index.ts';
import { RECREATE_KEY } from './identity.ts';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What the API server says when a field cannot change in place: "field is immutable" (most
 * rules, CEL's usual message), "may not change once set" (a Service's clusterIPs), "spec is
 * immutable after creation…" (PVCs), "updates to statefulset spec for fields other than … are
 * forbidden", "updates to parameters are forbidden." (StorageClasses). */
const IMMUTABLE = /\bimmutable\b|may not change once set|updates to .+ are forbidden/i;

export interface ImmutableCause {
  /** As the server names it: `spec.selector`, `spec.clusterIPs[0]`, `data`. */
  field: string;
  message: string;
}

/** The causes of a 422 Invalid Status when all of them are immutability rules; undefined when the
 * answer is something else (an invalid value: re-creating would not help). */
export function immutableCauses(status: number, body: JsonValue): ImmutableCause[] | undefined {
  if (status !== 422 || !isObject(body) || body.reason !== 'Invalid') return undefined;
  const details = isObject(body.details) ? body.details : {};
  const causes = Array.isArray(details.causes) ? details.causes.filter(isObject) : [];
  if (causes.length === 0) return undefined;
  const out = causes.map((c) => ({ field: typeof c.field === 'string' ? c.field : '', message: typeof c.message === 'string' ? c.message : '' }));
  return out.every((c) => c.field !== '' && IMMUTABLE.test(c.message)) ? out : undefined;
}

export function recreateEnabled(d: DesiredObject): boolean {
  return d.resource.metadata.annotations?.[RECREATE_KEY] === 'enabled';
}

/** `spec.clusterIPs[0]` → ['spec', 'clusterIPs', 0], to locate the field in the YAML. */
export function fieldPath(field: string): (string | number)[] {
  return field.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * The plan-time refusal for an object whose immutable fields changed and whose manifest does not
 * allow re-creation: file:line of what changed, the fields, and what Git changed under them (paths
 * only: values, a Secret's among them, never reach an error).
 */
export function immutableRefusal(d: DesiredObject, causes: readonly ImmutableCause[], liveValue: JsonValue): string {
  const fields = [...new Set(causes.map((c) => c.field))];
  const under = (path: string) => fields.some((f) => path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`));
  const changed = diffValues(liveValue, d.value).map((diff) => diff.path).filter((p) => under(p) && !fields.includes(p));
  // The narrowest place: what changed (a PVC's storageClassName) rather than the rule's field (spec).
  const at = d.resource.locate(fieldPath(changed[0] ?? fields[0] ?? ''));
  const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? `, … (${changed.length - 5} more)` : '');
  const what = fields.length === 1 ? `field ${fields[0] ?? ''} is immutable` : `fields ${fields.join(', ')} are immutable`;
  return `${at.file}:${at.line}: ${d.resource.kind}/${d.resource.metadata.name}: ${what}${shown ? ` (changed: ${shown})` : ''}; ` +
    `set the annotation ${RECREATE_KEY}: enabled to delete and re-create it`;
}
