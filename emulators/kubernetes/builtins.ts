// The built-in resource types the emulator serves: the kinds trueup's tests and the examples
// use, with the discovery facts kubectl relies on (plural, namespaced, short names).

import type { ResourceType } from './types.ts';

const t = (group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType => ({
  group, versions: [version], kind, plural, singular: kind.toLowerCase(), namespaced, status: false, ...extra,
});

export function builtinTypes(): ResourceType[] {
  return [
    t('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], status: true }),
    t('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
    t('', 'v1', 'Secret', 'secrets', true),
    t('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], status: true }),
    t('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
    t('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], status: true }),
    t('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], status: true }),
    t('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], status: true }),
    t('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], status: true, scale: true }),
    t('apps', 'v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], status: true, scale: true }),
    t('apps', 'v1', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], status: true }),
    t('apps', 'v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], status: true }),
    t('batch', 'v1', 'Job', 'jobs', true, { status: true }),
    t('batch', 'v1', 'CronJob', 'cronjobs', true, { shortNames: ['cj'], status: true }),
    // autoscaling/v2 only: the emulator converts no versions (a real server also serves v1)
    t('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, { shortNames: ['hpa'], status: true }),
    t('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
    t('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
    t('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
    t('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
    t('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
    t('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, { shortNames: ['ing'], status: true }),
    t('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
    t('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
    t('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], status: true }),
    t('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
    t('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, { shortNames: ['pc'] }),
    t('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, { shortNames: ['crd', 'crds'], status: true }),
    t('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
    t('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
    t('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  ];
}

/** Lists whose items are matched by key fields when merging (a strategic-merge / SSA "map" list),
 * by field name. Everything else is atomic (replaced whole), as for CRDs without list-type markers. */
export const ASSOCIATIVE_LISTS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  // container ports are keyed by containerPort, service ports by port.
  ports: ['containerPort', 'port'],
};

/** Key fields of an item of an associative list: the configured fields the item carries. */
export function itemKey(listField: string, item: unknown, builtin: boolean): Record<string, unknown> | undefined {
  if (!builtin) return undefined;
  const fields = ASSOCIATIVE_LISTS[listField];
  if (!fields || item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const key: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (item as Record<string, unknown>)[f];
    if (v !== undefined) {
      key[f] = v;
      if (listField === 'ports') break; // one of containerPort / port
    }
  }
  return Object.keys(key).length > 0 ? key : undefined;
}
