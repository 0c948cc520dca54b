// The kinds a Kubernetes API server serves out of the box (v1.32, the kubectl installed here;
// `kubectl api-resources` on a kind cluster lists the same), by apiVersion. Used only where no
// cluster can be asked (`trueup validate DIR` without an engine config), so that an apiVersion or
// kind no server serves is an error there, as kubeconform reports a kind it has no schema for.
// Custom resources are known from the CustomResourceDefinitions declared beside them.
//
// This table describes the Kubernetes provider's world and would sit better in that provider as
// declared data; it lives here until the provider declares it.

const TABLE: Record<string, string> = {
  v1: 'Binding ComponentStatus ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount List',
  'apps/v1': 'ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet',
  'batch/v1': 'CronJob Job',
  'autoscaling/v1': 'HorizontalPodAutoscaler',
  'autoscaling/v2': 'HorizontalPodAutoscaler',
  'policy/v1': 'PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1': 'ClusterRole ClusterRoleBinding Role RoleBinding',
  'networking.k8s.io/v1': 'Ingress IngressClass NetworkPolicy',
  'networking.k8s.io/v1beta1': 'IPAddress ServiceCIDR',
  'storage.k8s.io/v1': 'CSIDriver CSINode CSIStorageCapacity StorageClass VolumeAttachment',
  'storage.k8s.io/v1beta1': 'VolumeAttributesClass',
  'scheduling.k8s.io/v1': 'PriorityClass',
  'node.k8s.io/v1': 'RuntimeClass',
  'apiextensions.k8s.io/v1': 'CustomResourceDefinition',
  'apiregistration.k8s.io/v1': 'APIService',
  'admissionregistration.k8s.io/v1': 'MutatingWebhookConfiguration ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1beta1': 'ValidatingAdmissionPolicy ValidatingAdmissionPolicyBinding',
  'coordination.k8s.io/v1': 'Lease',
  'discovery.k8s.io/v1': 'EndpointSlice',
  'events.k8s.io/v1': 'Event',
  'certificates.k8s.io/v1': 'CertificateSigningRequest',
  'flowcontrol.apiserver.k8s.io/v1': 'FlowSchema PriorityLevelConfiguration',
  'flowcontrol.apiserver.k8s.io/v1beta3': 'FlowSchema PriorityLevelConfiguration',
  'resource.k8s.io/v1beta1': 'DeviceClass ResourceClaim ResourceClaimTemplate ResourceSlice',
};

export const BUILTIN_KINDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(TABLE).map(([apiVersion, kinds]) => [apiVersion, new Set(kinds.split(' '))]),
);

/** Groups only Kubernetes itself defines: an unknown version or kind in them is never a CRD. */
export function isBuiltinKubernetesGroup(group: string): boolean {
  return group === '' || group.endsWith('.k8s.io') || ['apps', 'batch', 'autoscaling', 'policy'].includes(group);
}
