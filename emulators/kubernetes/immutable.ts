// Update validation: fields the real API server refuses to change once an object exists, with the
// same 422 Invalid Status (reason, causes, field paths, messages) — for writes and dry runs alike.
// Only what GitOps users trip over is covered:
//   Deployment, ReplicaSet, DaemonSet, StatefulSet   spec.selector
//   StatefulSet                                      spec fields other than replicas, ordinals,
//                                                    template, updateStrategy, minReadySeconds,
//                                                    persistentVolumeClaimRetentionPolicy
//   Job                                              spec.selector, spec.template
//   Service                                          spec.clusterIP (once allocated)
//   PersistentVolumeClaim                            spec, except resources.requests and
//                                                    volumeAttributesClassName (and a first
//                                                    storageClassName)
//   StorageClass                                     provisioner, parameters, reclaimPolicy,
//                                                    volumeBindingMode
//   ConfigMap, Secret with `immutable: true`         data, binaryData, immutable (Secret: type always)

import { canonical } from './fieldset.ts';
import { ApiError, clone, isMap, type Json, type JsonMap, type KubeObject, type ResourceType } from './types.ts';

interface Cause {
  reason: 'FieldValueInvalid' | 'FieldValueForbidden';
  field: string;
  message: string;
}

const same = (a: Json | undefined, b: Json | undefined) => canonical(a ?? null) === canonical(b ?? null);
const specOf = (o: KubeObject): JsonMap => (isMap(o.spec) ? o.spec : {});

/** The API server prints the rejected value with Go's %#v; JSON says the same to a reader. */
function invalidImmutable(field: string, value: Json | undefined): Cause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value ?? null)}: field is immutable` };
}

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

/** Allocated values an update that omits them keeps (the API server's PrepareForUpdate), so
 * that `kubectl replace` without a Service's clusterIP is not a change of it. */
export function keepAllocated(old: KubeObject, next: KubeObject): void {
  if (next.kind !== 'Service' || !isMap(next.spec) || !isMap(old.spec)) return;
  if (next.spec.type === 'ExternalName') return;
  if (next.spec.clusterIP === undefined && old.spec.clusterIP !== undefined) {
    next.spec.clusterIP = clone(old.spec.clusterIP);
    if (next.spec.clusterIPs === undefined && old.spec.clusterIPs !== undefined) next.spec.clusterIPs = clone(old.spec.clusterIPs);
  }
}

function causesOf(old: KubeObject, next: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const o = specOf(old);
  const n = specOf(next);
  switch (next.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      if (!same(o.selector, n.selector)) causes.push(invalidImmutable('spec.selector', n.selector));
      break;
    case 'StatefulSet': {
      if (!same(o.selector, n.selector)) causes.push(invalidImmutable('spec.selector', n.selector));
      const rest = (s: JsonMap) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'selector' && !STATEFULSET_MUTABLE.includes(k)));
      if (!same(rest(o), rest(n))) {
        causes.push({ reason: 'FieldValueForbidden', field: 'spec', message: `Forbidden: updates to statefulset spec for fields other than ${STATEFULSET_MUTABLE.slice(0, -1).map((f) => `'${f}'`).join(', ')} and '${STATEFULSET_MUTABLE.at(-1) ?? ''}' are forbidden` });
      }
      break;
    }
    case 'Job':
      if (!same(o.selector, n.selector)) causes.push(invalidImmutable('spec.selector', n.selector));
      if (!same(o.template, n.template)) causes.push(invalidImmutable('spec.template', n.template));
      break;
    case 'Service':
      if (o.type !== 'ExternalName' && typeof o.clusterIP === 'string' && o.clusterIP !== '' && !same(o.clusterIP, n.clusterIP)) {
        causes.push(invalidImmutable('spec.clusterIP', n.clusterIP));
      }
      break;
    case 'PersistentVolumeClaim': {
      const comparable = (s: JsonMap, other: JsonMap) => {
        const c = clone(s);
        delete c.volumeAttributesClassName;
        if (isMap(c.resources)) delete c.resources.requests;
        // A claim without a class may be given one once (the beta annotation's successor).
        if (c.storageClassName === undefined && other.storageClassName !== undefined) c.storageClassName = other.storageClassName;
        return c;
      };
      if (!same(comparable(o, n), comparable(n, o))) {
        causes.push({ reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' });
      }
      break;
    }
    case 'StorageClass':
      for (const field of ['provisioner', 'parameters', 'reclaimPolicy']) {
        if (!same(old[field], next[field])) causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: updates to ${field} are forbidden.` });
      }
      if (!same(old.volumeBindingMode, next.volumeBindingMode)) causes.push(invalidImmutable('volumeBindingMode', next.volumeBindingMode));
      break;
    case 'ConfigMap':
    case 'Secret': {
      if (next.kind === 'Secret' && (old.type ?? 'Opaque') !== (next.type ?? 'Opaque')) causes.push(invalidImmutable('type', next.type));
      if (old.immutable !== true) break;
      const forbidden = (field: string) => causes.push({ reason: 'FieldValueForbidden', field, message: 'Forbidden: field is immutable when `immutable` is set' });
      if (next.immutable !== true) forbidden('immutable');
      if (!same(old.data, next.data)) forbidden('data');
      if (next.kind === 'ConfigMap' && !same(old.binaryData, next.binaryData)) forbidden('binaryData');
      break;
    }
    default:
  }
  return causes;
}

/** 422 Invalid when `next` changes a field that cannot change in place. */
export function validateUpdate(type: ResourceType, old: KubeObject, next: KubeObject): void {
  const causes = causesOf(old, next);
  if (causes.length === 0) return;
  const name = next.metadata.name;
  const qualified = type.group ? `${type.kind}.${type.group}` : type.kind;
  throw new ApiError(422, 'Invalid', `${qualified} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
    name, group: type.group, kind: type.kind, causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}
