// RBAC for the emulator's opt-in mode, evaluated as the API server's RBAC authorizer does:
// request attributes from the URL alone (RequestInfoFactory: verb, API group, resource,
// subresource, namespace, name), then every ClusterRoleBinding and — for namespaced requests —
// every RoleBinding of that namespace whose subjects match the user, and the rules of the roles they
// reference. `system:masters` is always allowed (the privileged-group authorizer before RBAC). A
// denial is the server's 403 Status, word for word (responsewriters.forbiddenMessage).

import { ADMIN_USER, type Authenticator, type UserInfo } from './auth.ts';
import type { KubeState } from './state.ts';
import { ApiError, isMap, type Json, type JsonMap, type KubeObject, type ResourceType } from './types.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** What the authorizer is asked: `authorizer.Attributes` as the API server builds them. */
export interface Attributes {
  verb: string;
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** One authorization decision, for tests that check which permissions a client used. */
export interface Decision extends Attributes {
  user: string;
  allowed: boolean;
}

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const strings = (v: Json | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** RequestInfoFactory.NewRequestInfo, for the prefixes `api` (groupless) and `apis`. */
export function requestAttributes(method: string, path: string, query: URLSearchParams): Attributes {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const out: Attributes = { verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return out;
  let rest = parts.slice(1);
  if (parts[0] === 'apis') {
    if (rest.length < 3) return out;
    out.apiGroup = rest[0] ?? '';
    rest = rest.slice(1);
  }
  out.resourceRequest = true;
  out.apiVersion = rest[0] ?? '';
  rest = rest.slice(1);
  const verbs: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  out.verb = verbs[method] ?? method.toLowerCase();
  if (rest[0] === 'namespaces' && rest.length > 1) {
    out.namespace = rest[1] ?? '';
    // `namespaces/NAME/status` and `/finalize` are the namespace's own subresources.
    if (rest.length > 2 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  }
  out.resource = rest[0] ?? '';
  if (rest.length >= 2) out.name = rest[1] ?? '';
  if (rest.length >= 3) out.subresource = rest[2] ?? '';
  if (!out.name && out.verb === 'get') {
    out.verb = query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    // A list or watch of one object by field selector is authorized for that name.
    const m = /^metadata\.name==?([^,]+)$/.exec(query.get('fieldSelector') ?? '');
    if (m) out.name = m[1] ?? '';
  }
  if (!out.name && out.verb === 'delete') out.verb = 'deletecollection';
  return out;
}

function rulesOf(role: KubeObject | undefined): Rule[] {
  const raw = role?.rules;
  return (Array.isArray(raw) ? raw.filter(isMap) : []).map((r) => ({
    verbs: strings(r.verbs), apiGroups: strings(r.apiGroups), resources: strings(r.resources),
    resourceNames: strings(r.resourceNames), nonResourceURLs: strings(r.nonResourceURLs),
  }));
}

/** rbac/v1 helpers: VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches, NonResourceURLMatches. */
export function ruleAllows(rule: Rule, a: Attributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!a.resourceRequest) {
    return rule.nonResourceURLs.some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = rule.resources.some((r) => r === '*' || r === combined || (a.subresource !== '' && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(a.name);
}

function subjectMatches(subject: JsonMap, user: UserInfo, bindingNamespace: string): boolean {
  const name = typeof subject.name === 'string' ? subject.name : '';
  switch (subject.kind) {
    case 'User': return name === user.name;
    case 'Group': return user.groups.includes(name);
    case 'ServiceAccount': {
      const ns = typeof subject.namespace === 'string' && subject.namespace ? subject.namespace : bindingNamespace;
      return user.name === `system:serviceaccount:${ns}:${name}`;
    }
    default: return false;
  }
}

/** The bootstrap policy an RBAC cluster starts with that matters here: cluster-admin for
 * `system:masters`, discovery and self-reviews for every authenticated user, version and health
 * for everyone. */
function bootstrap(): KubeObject[] {
  const role = (name: string, rules: JsonMap[]): KubeObject => ({ apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, rules });
  const binding = (name: string, groups: string[]): KubeObject => ({
    apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name }, subjects: groups.map((g) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name: g })),
  });
  return [
    role('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]),
    binding('cluster-admin', ['system:masters']),
    role('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    binding('system:discovery', ['system:authenticated']),
    role('system:basic-user', [{ apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] }]),
    binding('system:basic-user', ['system:authenticated']),
    role('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}

export class RbacAuthorizer {
  private readonly state: KubeState;
  /** Every decision, in order. */
  readonly decisions: Decision[] = [];

  constructor(state: KubeState) {
    this.state = state;
    for (const object of bootstrap()) {
      const type = this.type(object.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings');
      this.state.create(type, 'v1', undefined, object, { manager: 'kube-apiserver', dryRun: false });
    }
  }

  private type(plural: string): ResourceType {
    const type = this.state.findType(RBAC_GROUP, 'v1', plural);
    if (!type) throw new Error(`the emulator does not serve ${plural}.${RBAC_GROUP}`);
    return type;
  }

  private find(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.state.list(this.type(plural), 'v1', namespace).find((o) => o.metadata.name === name);
  }

  /** The rules that apply to the user in the namespace ('' = cluster-wide only), and the
   * evaluation errors (a binding naming a missing role), as RBAC's rule visitor collects them. */
  rulesFor(user: UserInfo, namespace: string): { rules: Rule[]; errors: string[] } {
    const rules: Rule[] = [];
    const errors: string[] = [];
    const bindings: { binding: KubeObject; namespace: string }[] = this.state.list(this.type('clusterrolebindings'), 'v1', undefined).map((binding) => ({ binding, namespace: '' }));
    if (namespace) for (const binding of this.state.list(this.type('rolebindings'), 'v1', namespace)) bindings.push({ binding, namespace });
    for (const { binding, namespace: ns } of bindings) {
      const subjects = Array.isArray(binding.subjects) ? binding.subjects.filter(isMap) : [];
      if (!subjects.some((s) => subjectMatches(s, user, ns))) continue;
      const ref = isMap(binding.roleRef) ? binding.roleRef : {};
      const name = typeof ref.name === 'string' ? ref.name : '';
      const cluster = ref.kind === 'ClusterRole';
      const role = cluster ? this.find('clusterroles', undefined, name) : this.find('roles', ns, name);
      if (!role) {
        errors.push(`${cluster ? 'clusterrole' : 'role'}.${RBAC_GROUP} "${name}" not found`);
        continue;
      }
      rules.push(...rulesOf(role));
    }
    return { rules, errors };
  }

  allowed(user: UserInfo, a: Attributes): { allowed: boolean; reason: string } {
    if (user.groups.includes(ADMIN_USER.groups[0] ?? 'system:masters')) return { allowed: true, reason: '' };
    const { rules, errors } = this.rulesFor(user, a.namespace);
    if (rules.some((r) => ruleAllows(r, a))) return { allowed: true, reason: '' };
    // utilerrors.NewAggregate: one error as itself, several in brackets.
    const reason = errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`;
    return { allowed: false, reason };
  }

  /** Allow the request or throw the API server's 403. */
  authorize(user: UserInfo, a: Attributes): void {
    const { allowed, reason } = this.allowed(user, a);
    this.decisions.push({ ...a, user: user.name, allowed });
    if (!allowed) throw forbidden(user, a, reason);
  }

  /** A server-side apply (or PUT) that would create the object needs `create` too, checked once the
   * handler knows the object is missing (handlers.withAuthorization). Its 403 carries only the
   * authorizer's reason — often nothing — after `<resource> "<name>" is forbidden: `. */
  authorizeCreateOnUpdate(user: UserInfo, a: Attributes): void {
    const create = { ...a, verb: 'create' };
    const { allowed, reason } = this.allowed(user, create);
    this.decisions.push({ ...create, user: user.name, allowed });
    if (!allowed) throw new ApiError(403, 'Forbidden', `${qualified(a)} "${a.name}" is forbidden: ${reason}`, details(a));
  }

  /** POST selfsubjectaccessreviews (what `kubectl auth can-i` sends): the answer in its status. */
  selfSubjectAccessReview(user: UserInfo, body: Json): JsonMap {
    const spec = isMap(body) && isMap(body.spec) ? body.spec : {};
    const r = isMap(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    const n = isMap(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
    const s = (v: Json | undefined) => (typeof v === 'string' ? v : '');
    const a: Attributes = r
      ? { verb: s(r.verb), resourceRequest: true, path: '', apiGroup: s(r.group), apiVersion: s(r.version), resource: s(r.resource), subresource: s(r.subresource), namespace: s(r.namespace), name: s(r.name) }
      : { verb: s(n?.verb), resourceRequest: false, path: s(n?.path), apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
    const { allowed, reason } = this.allowed(user, a);
    const status: JsonMap = { allowed };
    if (reason) status.reason = reason;
    return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status };
  }
}

const qualified = (a: Attributes) => (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource);

function details(a: Attributes): JsonMap {
  const out: JsonMap = {};
  if (a.name) out.name = a.name;
  if (a.apiGroup) out.group = a.apiGroup;
  if (a.resource) out.kind = a.resource;
  return out;
}

/** responsewriters.Forbidden: `<resource>.<group> "<name>" is forbidden: User "…" cannot <verb> resource "<resource[/sub]>" in API group "<group>" in the namespace "<ns>"`. */
export function forbidden(user: UserInfo, a: Attributes, reason: string): ApiError {
  let message: string;
  if (!a.resourceRequest) message = `User "${user.name}" cannot ${a.verb} path "${a.path}"`;
  else {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
    message = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${where}`;
  }
  if (reason) message = `${message}: ${reason}`;
  const prefix = !a.resourceRequest ? 'forbidden' : a.name ? `${qualified(a)} "${a.name}" is forbidden` : `${qualified(a)} is forbidden`;
  return new ApiError(403, 'Forbidden', `${prefix}: ${message}`, a.resourceRequest ? details(a) : {});
}

/** The request's attributes and user once authenticated and authorized, for the handler's later
 * checks (create on update). */
export interface Access {
  user: UserInfo;
  attributes: Attributes;
}

/** Authentication, then RBAC: what the server's filter chain does before any handler runs. */
export class AccessControl {
  readonly authenticator: Authenticator;
  readonly authorizer: RbacAuthorizer;

  constructor(authenticator: Authenticator, authorizer: RbacAuthorizer) {
    this.authenticator = authenticator;
    this.authorizer = authorizer;
  }

  check(method: string, url: URL, authorization: string | undefined): Access {
    const user = this.authenticator.authenticate(authorization);
    const attributes = requestAttributes(method, url.pathname, url.searchParams);
    this.authorizer.authorize(user, attributes);
    return { user, attributes };
  }

  /** Answers the request itself (a self review); undefined when the request is the store's. */
  serve(access: Access, body: () => Json): JsonMap | undefined {
    const a = access.attributes;
    if (a.apiGroup !== 'authorization.k8s.io' || a.resource !== 'selfsubjectaccessreviews' || a.verb !== 'create') return undefined;
    return this.authorizer.selfSubjectAccessReview(access.user, body());
  }

  createOnUpdate(access: Access): void {
    this.authorizer.authorizeCreateOnUpdate(access.user, access.attributes);
  }
}
