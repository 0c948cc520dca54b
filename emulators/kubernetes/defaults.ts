// Server-side defaulting and validation for a few built-ins: enough that a dry run returns more
// than was sent (so trueup's plan must prune to the manifest's fields) and that bad objects are
// refused with 422 Invalid like the real API server.

import { defaultKind, kindCauses } from './kinds.ts';
import { ApiError, isMap, type Json, type JsonMap, type KubeObject } from './types.ts';

const fill = (target: JsonMap, key: string, value: Json) => {
  if (target[key] === undefined) target[key] = value;
};
const mapAt = (target: JsonMap, key: string): JsonMap => {
  const v = target[key];
  if (isMap(v)) return v;
  const created: JsonMap = {};
  target[key] = created;
  return created;
};

function defaultPodSpec(spec: JsonMap): void {
  fill(spec, 'restartPolicy', 'Always');
  fill(spec, 'terminationGracePeriodSeconds', 30);
  fill(spec, 'dnsPolicy', 'ClusterFirst');
  fill(spec, 'schedulerName', 'default-scheduler');
  fill(spec, 'securityContext', {});
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    if (!isMap(c)) continue;
    const image = typeof c.image === 'string' ? c.image : '';
    fill(c, 'imagePullPolicy', image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent');
    fill(c, 'terminationMessagePath', '/dev/termination-log');
    fill(c, 'terminationMessagePolicy', 'File');
    fill(c, 'resources', {});
    for (const p of Array.isArray(c.ports) ? c.ports : []) if (isMap(p)) fill(p, 'protocol', 'TCP');
  }
}

let nextClusterIp = 10;

export function applyDefaults(object: KubeObject): void {
  const spec = isMap(object.spec) ? object.spec : undefined;
  switch (object.kind) {
    case 'Namespace': {
      const labels = mapAt(object.metadata, 'labels');
      labels['kubernetes.io/metadata.name'] = object.metadata.name;
      fill(mapAt(object, 'spec'), 'finalizers', ['kubernetes']);
      fill(mapAt(object, 'status'), 'phase', 'Active');
      break;
    }
    case 'Deployment': {
      if (!spec) break;
      fill(spec, 'replicas', 1);
      fill(spec, 'revisionHistoryLimit', 10);
      fill(spec, 'progressDeadlineSeconds', 600);
      fill(spec, 'strategy', { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
      const template = isMap(spec.template) ? spec.template : undefined;
      if (template && isMap(template.spec)) defaultPodSpec(template.spec);
      break;
    }
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job': {
      if (!spec) break;
      if (object.kind === 'StatefulSet') fill(spec, 'replicas', 1);
      if (object.kind === 'Job') fill(spec, 'backoffLimit', 6);
      const template = isMap(spec.template) ? spec.template : undefined;
      if (template && isMap(template.spec)) defaultPodSpec(template.spec);
      break;
    }
    case 'Service': {
      const s = mapAt(object, 'spec');
      fill(s, 'type', 'ClusterIP');
      fill(s, 'sessionAffinity', 'None');
      // An admission-time mutation a manifest never sets: the allocated cluster IP.
      if (s.clusterIP === undefined) {
        nextClusterIp += 1;
        s.clusterIP = `10.96.${Math.floor(nextClusterIp / 250)}.${nextClusterIp % 250}`;
        s.clusterIPs = [s.clusterIP];
      }
      for (const p of Array.isArray(s.ports) ? s.ports : []) {
        if (!isMap(p)) continue;
        fill(p, 'protocol', 'TCP');
        if (p.targetPort === undefined && p.port !== undefined) p.targetPort = p.port;
      }
      break;
    }
    case 'CronJob':
    case 'HorizontalPodAutoscaler':
      defaultKind(object);
      break;
    case 'Secret': {
      fill(object, 'type', 'Opaque');
      // stringData is write-only: the server folds it into data (base64) and never returns it.
      if (isMap(object.stringData)) {
        const data = mapAt(object, 'data');
        for (const [k, v] of Object.entries(object.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        delete object.stringData;
      }
      break;
    }
    default:
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** 422 Invalid with the field causes, as the API server reports them. */
export function validate(object: KubeObject): void {
  const causes: { field: string; message: string }[] = [];
  const name = object.metadata.name;
  const labelOnly = object.kind === 'Namespace' || object.kind === 'Service';
  if (typeof name !== 'string' || name.length === 0) causes.push({ field: 'metadata.name', message: 'Required value: name or generateName is required' });
  else if (object.apiVersion.startsWith('rbac.authorization.k8s.io/')) {
    // RBAC objects are named by path segments (ValidateRBACName): `system:discovery` is valid.
    if (name === '.' || name === '..' || /[/%]/.test(name)) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": may not be '.' or '..' and may not contain '/' or '%'` });
  } else if (name.length > 253 || !(labelOnly ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) {
    causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 ${labelOnly ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
  }
  for (const section of ['labels', 'annotations'] as const) {
    const m = object.metadata[section];
    if (m !== undefined && (!isMap(m) || Object.values(m).some((v) => typeof v !== 'string'))) {
      causes.push({ field: `metadata.${section}`, message: 'Invalid value: values must be strings' });
    }
  }
  if (object.kind === 'ConfigMap') {
    for (const section of ['data', 'binaryData'] as const) {
      const m = object[section];
      if (m !== undefined && (!isMap(m) || Object.values(m).some((v) => typeof v !== 'string'))) {
        causes.push({ field: section, message: 'Invalid value: values must be strings' });
      }
    }
  }
  if (['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'].includes(object.kind)) {
    // apps validation (ValidatePodTemplateSpecForReplicaSet): the selector must select the pods
    // the template makes, or the controller would adopt nothing and create pods forever.
    const spec = isMap(object.spec) ? object.spec : {};
    const template = isMap(spec.template) ? spec.template : {};
    const labels = isMap(template.metadata) && isMap(template.metadata.labels) ? template.metadata.labels : {};
    if (isMap(spec.selector)) {
      const empty = !isMap(spec.selector.matchLabels) || Object.keys(spec.selector.matchLabels).length === 0;
      if (empty && !(Array.isArray(spec.selector.matchExpressions) && spec.selector.matchExpressions.length > 0)) {
        causes.push({ field: 'spec.selector', message: `Invalid value: ${JSON.stringify(spec.selector)}: empty selector is invalid for ${object.kind.toLowerCase()}` });
      } else if (!selects(spec.selector, labels)) {
        causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\`` });
      }
    }
  }
  if (object.kind === 'Deployment') {
    const spec = isMap(object.spec) ? object.spec : {};
    if (!isMap(spec.selector)) causes.push({ field: 'spec.selector', message: 'Required value' });
    const template = isMap(spec.template) ? spec.template : undefined;
    const podSpec = template && isMap(template.spec) ? template.spec : undefined;
    if (!podSpec || !Array.isArray(podSpec.containers) || podSpec.containers.length === 0) {
      causes.push({ field: 'spec.template.spec.containers', message: 'Required value' });
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) causes.push({ field: 'spec.replicas', message: 'Invalid value: must be greater than or equal to 0' });
  }
  causes.push(...kindCauses(object));
  if (causes.length > 0) {
    const what = `${object.kind} "${name}"`;
    throw new ApiError(422, 'Invalid', `${what} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
      { name, kind: object.kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })) });
  }
}

/** A LabelSelector (matchLabels and matchExpressions: In, NotIn, Exists, DoesNotExist) against labels. */
function selects(selector: JsonMap, labels: JsonMap): boolean {
  const matchLabels = isMap(selector.matchLabels) ? selector.matchLabels : {};
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions.filter(isMap) : []) {
    const value = labels[String(e.key)];
    const values = Array.isArray(e.values) ? e.values : [];
    const ok = e.operator === 'In' ? value !== undefined && values.includes(value)
      : e.operator === 'NotIn' ? value === undefined || !values.includes(value)
        : e.operator === 'Exists' ? value !== undefined
          : e.operator === 'DoesNotExist' ? value === undefined : false;
    if (!ok) return false;
  }
  return true;
}
