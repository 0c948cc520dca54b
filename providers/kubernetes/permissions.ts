// The RBAC objects the kubernetes provider needs (`trueup permissions`): a Role per namespace the
// repository declares objects in and a ClusterRole for its cluster-scoped kinds, each listing only
// the declared kinds, bound to trueup's service account.
//
// Verbs: get/list for observe, prune and health checks (which poll with GET: no watch), patch for
// server-side apply, create for server-side apply of new objects (the API server checks create
// too when an apply would create), delete for prune. Read-only is get/list alone: RBAC authorizes
// a dry run like the write itself, so a plan with read-only credentials cannot dry-run and
// compares the manifests as written (observe says so once), but nothing it holds can write.
// Plurals come from CRDs declared in the same repository, else from the kind as Kubernetes'
// own fallback (UnsafeGuessKindToResource) derives them; discovery is not available offline.

import type { JsonObject, PermissionRequest, PermissionSet } from '../../src/sdk/index.ts';
import type { KubernetesSettings } from './settings.ts';

export interface ServiceAccountRef { namespace: string; name: string }

export function guessPlural(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

export function kubernetesPermissions(request: PermissionRequest<KubernetesSettings>, serviceAccount: ServiceAccountRef = { namespace: 'trueup', name: 'trueup' }): PermissionSet {
  // Plurals of custom kinds from CRDs in the same repository.
  const plurals = new Map<string, string>();
  for (const d of request.desired) {
    if (!d.key.startsWith('apiextensions.k8s.io/CustomResourceDefinition/')) continue;
    const spec = (d.resource.raw as { spec?: { group?: string; names?: { kind?: string; plural?: string } } }).spec;
    if (spec?.group && spec.names?.kind && spec.names.plural) plurals.set(`${spec.group}/${spec.names.kind}`, spec.names.plural);
  }
  const verbs = request.readOnly ? ['get', 'list'] : ['create', 'delete', 'get', 'list', 'patch'];
  // namespace ('' = cluster) → apiGroup → resources
  const rules = new Map<string, Map<string, Set<string>>>();
  for (const d of request.desired) {
    // Keys are group/Kind/[namespace/]name (objectKey), `core` for the core group.
    const [keyGroup = '', kind = ''] = d.key.split('/');
    const group = keyGroup === 'core' ? '' : keyGroup;
    const resource = plurals.get(`${group}/${kind}`) ?? guessPlural(kind);
    const where = d.scope.startsWith('namespace/') ? d.scope.slice('namespace/'.length) : '';
    const groups = rules.get(where) ?? new Map<string, Set<string>>();
    groups.set(group, (groups.get(group) ?? new Set()).add(resource));
    rules.set(where, groups);
  }
  const toRules = (groups: Map<string, Set<string>>) => [...groups].sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: [...verbs] }));
  const subject = { kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace };
  const name = request.readOnly ? `trueup-${request.instance}-read` : `trueup-${request.instance}`;
  const objects: JsonObject[] = [];
  for (const [namespace, groups] of [...rules].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const cluster = namespace === '';
    const meta: JsonObject = cluster ? { name } : { name, namespace };
    objects.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: cluster ? 'ClusterRole' : 'Role', metadata: meta, rules: toRules(groups) });
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: cluster ? 'ClusterRoleBinding' : 'RoleBinding', metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: cluster ? 'ClusterRole' : 'Role', name }, subjects: [subject],
    });
  }
  const notes = [
    'Plurals of built-in kinds are derived from the kind (Kubernetes\' fallback rule); check irregular ones (Endpoints) against `kubectl api-resources`.',
    'Roles exist only in namespaces that already exist: apply the ClusterRole (it covers Namespaces) first, or create the namespaces with it.',
    `Leader election (--leader-elect) needs get/create/update on coordination.k8s.io leases in ${serviceAccount.namespace}; sharding (--shard) also list and delete (deploy/kubernetes/rbac.yaml grants both).`,
  ];
  notes.push('An object whose kind the repository no longer declares is pruned only while its kind is still granted: apply the narrower RBAC after the revision that removes the kind.');
  if (request.readOnly) notes.push('Read-only grants no patch, so plans cannot run server-side dry runs (RBAC authorizes them like writes): they compare the manifests as written, and what admission would refuse shows only at apply.');
  return { format: 'kubernetes-rbac', document: objects, notes };
}
