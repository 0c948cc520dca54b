// Identity of Kubernetes objects in trueup's terms: key, display name, scope, and what is known
// about built-in kinds without asking the server (expand is pure: no discovery).
//
// Keys leave the version out (`apps/Deployment/web/api`): the API server serves one object under
// every version of its group, so moving a manifest from v1beta1 to v1 is an update of the same
// object, not a delete + create.

export const OWNER_KEY = 'trueup.dev/owner';
export const PRUNE_KEY = 'trueup.dev/prune';
/** The SDK's adopt annotation, read on manifests as on every other kind. */
export { ADOPT_ANNOTATION as ADOPT_KEY } from '../../src/sdk/index.ts';
export const PROVIDER_KEY = 'trueup.dev/provider';
/** `enabled` on a manifest: an object whose immutable fields changed may be deleted and created
 * again (Flux's `kustomize.toolkit.fluxcd.io/force`). Read from Git; kept on the object, like
 * `trueup.dev/adopt`, so kubectl users see that trueup may re-create it. */
export const RECREATE_KEY = 'trueup.dev/recreate';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Built-in cluster-scoped kinds (group/kind). Anything else built-in is namespaced. */
const CLUSTER_SCOPED = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode', 'storage.k8s.io/VolumeAttachment',
  'scheduling.k8s.io/PriorityClass', 'networking.k8s.io/IngressClass', 'node.k8s.io/RuntimeClass',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy', 'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest', 'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
]);

/** Groups served by every API server; kinds in any other group are custom resources. */
const BUILTIN_GROUPS = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'rbac.authorization.k8s.io', 'networking.k8s.io', 'storage.k8s.io',
  'scheduling.k8s.io', 'node.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'admissionregistration.k8s.io',
  'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'certificates.k8s.io', 'flowcontrol.apiserver.k8s.io',
  'authentication.k8s.io', 'authorization.k8s.io', 'resource.k8s.io',
]);

/** Cluster-wide kinds that other objects may need first (classes and cluster RBAC). */
const CLUSTER_CLASSES = new Set([
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding', 'storage.k8s.io/StorageClass',
  'scheduling.k8s.io/PriorityClass', 'networking.k8s.io/IngressClass', 'node.k8s.io/RuntimeClass',
]);

const NAMESPACE_FIRST = new Set(['/ServiceAccount', 'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding']);
const WEBHOOKS = new Set(['admissionregistration.k8s.io/ValidatingWebhookConfiguration', 'admissionregistration.k8s.io/MutatingWebhookConfiguration']);

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function isBuiltinGroup(group: string): boolean {
  return BUILTIN_GROUPS.has(group) || group.endsWith('.k8s.io');
}

/** true / false for built-ins, undefined when only the server (or a CRD) can tell. */
export function builtinNamespaced(group: string, kind: string): boolean | undefined {
  if (!isBuiltinGroup(group)) return undefined;
  return !CLUSTER_SCOPED.has(`${group}/${kind}`);
}

export type Tier = 'crd' | 'namespace' | 'class' | 'namespace-first' | 'webhook' | 'other';

export function tierOf(group: string, kind: string): Tier {
  const gk = `${group}/${kind}`;
  if (gk === 'apiextensions.k8s.io/CustomResourceDefinition') return 'crd';
  if (gk === '/Namespace') return 'namespace';
  if (CLUSTER_CLASSES.has(gk)) return 'class';
  if (NAMESPACE_FIRST.has(gk)) return 'namespace-first';
  if (WEBHOOKS.has(gk)) return 'webhook';
  return 'other';
}

export interface ObjectRef {
  group: string;
  kind: string;
  namespace: string | undefined;
  name: string;
}

export function objectKey(ref: ObjectRef): string {
  const g = ref.group || 'core';
  return ref.namespace ? `${g}/${ref.kind}/${ref.namespace}/${ref.name}` : `${g}/${ref.kind}/${ref.name}`;
}

export function objectDisplay(ref: ObjectRef): string {
  const kind = ref.group && !isBuiltinGroup(ref.group) ? `${ref.kind}.${ref.group}` : ref.kind;
  return ref.namespace ? `${kind} ${ref.namespace}/${ref.name}` : `${kind} ${ref.name}`;
}

export function objectScope(ref: Pick<ObjectRef, 'namespace'>): string {
  return ref.namespace ? `namespace/${ref.namespace}` : 'cluster';
}

export function namespaceKey(namespace: string): string {
  return objectKey({ group: '', kind: 'Namespace', namespace: undefined, name: namespace });
}

export function crdKey(name: string): string {
  return objectKey({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', namespace: undefined, name });
}

export type ObjectType = 'object' | 'secret' | 'object-recreate' | 'secret-recreate';

/** Object types of the provider: Secrets get their own so `data`/`stringData` are masked. */
export function objectTypeOf(group: string, kind: string): 'secret' | 'object' {
  return group === '' && kind === 'Secret' ? 'secret' : 'object';
}

/** The type of an object that may only change by being re-created (see observe's dry run). */
export function recreateTypeOf(type: string): ObjectType {
  return type === 'secret' || type === 'secret-recreate' ? 'secret-recreate' : 'object-recreate';
}
