// Defaults and validation of CronJob (batch/v1), HorizontalPodAutoscaler (autoscaling/v2) and
// EndpointSlice (discovery.k8s.io/v1), as pkg/apis/{batch,autoscaling,discovery}/validation in
// kubernetes/kubernetes check their key fields, with the same field paths and wording:
//   CronJob    name ≤ 52 characters (the Job names it makes add 11); spec.schedule required and a
//              standard 5-field cron expression or @descriptor (robfig/cron's ParseStandard), no
//              TZ=/CRON_TZ= prefix; concurrencyPolicy Allow|Forbid|Replace; the job template's pod
//              needs containers and a restartPolicy of OnFailure or Never
//   HPA        scaleTargetRef kind and name required; minReplicas ≥ 1; maxReplicas > 0 and
//              ≥ minReplicas
//   Slice      addressType required, IPv4|IPv6|FQDN; every endpoint has 1-100 addresses valid for
//              the type; ports 0-65535

import { isIPv4, isIPv6 } from 'node:net';
import { isMap, type Json, type JsonMap, type KubeObject } from './types.ts';

export interface Cause { field: string; message: string }

const mapOf = (v: Json | undefined): JsonMap => (isMap(v) ? v : {});
const fill = (target: JsonMap, key: string, value: Json) => {
  if (target[key] === undefined) target[key] = value;
};

export function defaultKind(object: KubeObject): void {
  const spec = isMap(object.spec) ? object.spec : undefined;
  if (!spec) return;
  if (object.kind === 'CronJob') {
    fill(spec, 'concurrencyPolicy', 'Allow');
    fill(spec, 'suspend', false);
    fill(spec, 'successfulJobsHistoryLimit', 3);
    fill(spec, 'failedJobsHistoryLimit', 1);
  } else if (object.kind === 'HorizontalPodAutoscaler') {
    fill(spec, 'minReplicas', 1);
    fill(spec, 'metrics', [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  }
}

export function kindCauses(object: KubeObject): Cause[] {
  switch (object.kind) {
    case 'CronJob': return cronJob(object);
    case 'HorizontalPodAutoscaler': return hpa(object);
    case 'EndpointSlice': return endpointSlice(object);
    default: return [];
  }
}

function cronJob(object: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const name = object.metadata.name;
  if (typeof name === 'string' && name.length > 52) causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": must be no more than 52 characters` });
  const spec = mapOf(object.spec);
  const schedule = spec.schedule;
  if (typeof schedule !== 'string' || schedule === '') causes.push({ field: 'spec.schedule', message: 'Required value' });
  else {
    const problem = /^(CRON_)?TZ=/.test(schedule.trim()) ? 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead' : cronProblem(schedule);
    if (problem) causes.push({ field: 'spec.schedule', message: `Invalid value: ${JSON.stringify(schedule)}: ${problem}` });
  }
  const policy = spec.concurrencyPolicy;
  if (policy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(String(policy))) {
    causes.push({ field: 'spec.concurrencyPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Allow", "Forbid", "Replace"` });
  }
  for (const k of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit', 'startingDeadlineSeconds']) {
    const v = spec[k];
    if (typeof v === 'number' && v < 0) causes.push({ field: `spec.${k}`, message: `Invalid value: ${v}: must be greater than or equal to 0` });
  }
  const pod = mapOf(mapOf(mapOf(mapOf(spec.jobTemplate).spec).template).spec);
  const at = 'spec.jobTemplate.spec.template.spec';
  if (!Array.isArray(pod.containers) || pod.containers.length === 0) causes.push({ field: `${at}.containers`, message: 'Required value' });
  if (pod.restartPolicy === undefined) causes.push({ field: `${at}.restartPolicy`, message: 'Required value: valid values: "OnFailure", "Never"' });
  else if (!['OnFailure', 'Never'].includes(String(pod.restartPolicy))) {
    causes.push({ field: `${at}.restartPolicy`, message: `Unsupported value: ${JSON.stringify(pod.restartPolicy)}: supported values: "OnFailure", "Never"` });
  }
  return causes;
}

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const FIELDS: { min: number; max: number; names?: string[] }[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** robfig/cron ParseStandard's verdict on a schedule, in its words; undefined when it parses. */
export function cronProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text.startsWith('@')) {
    if (DESCRIPTORS.has(text)) return undefined;
    if (/^@every \S+$/.test(text)) return /^@every (\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text) ? undefined : `failed to parse duration ${text}`;
    return `unrecognized descriptor: ${text}`;
  }
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (const [i, field] of fields.entries()) {
    const spec = FIELDS[i] as (typeof FIELDS)[number];
    for (const part of field.split(',')) {
      const problem = rangeProblem(part, spec, i === 2 || i === 4);
      if (problem) return problem;
    }
  }
  return undefined;
}

function rangeProblem(part: string, spec: (typeof FIELDS)[number], questionMark: boolean): string | undefined {
  const [range = '', step, extra] = part.split('/');
  if (extra !== undefined) return `too many slashes: ${part}`;
  const value = (s: string): number | string => {
    const named = spec.names?.indexOf(s.toLowerCase()) ?? -1;
    if (named >= 0) return named + spec.min;
    if (!/^\d+$/.test(s)) return `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
    return Number(s);
  };
  let start = spec.min;
  let end = spec.max;
  if (range !== '*' && !(questionMark && range === '?')) {
    const [a = '', b, more] = range.split('-');
    if (more !== undefined) return `too many hyphens: ${part}`;
    const first = value(a);
    if (typeof first === 'string') return first;
    start = first;
    end = first;
    if (b !== undefined) {
      const last = value(b);
      if (typeof last === 'string') return last;
      end = last;
    }
  }
  if (step !== undefined) {
    const s = value(step);
    if (typeof s === 'string') return s;
    if (s === 0) return `step of range should be a positive number: ${part}`;
  }
  if (start < spec.min) return `beginning of range (${start}) below minimum (${spec.min}): ${part}`;
  if (end > spec.max) return `end of range (${end}) above maximum (${spec.max}): ${part}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${part}`;
  return undefined;
}

function hpa(object: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const spec = mapOf(object.spec);
  const target = mapOf(spec.scaleTargetRef);
  if (typeof target.kind !== 'string' || target.kind === '') causes.push({ field: 'spec.scaleTargetRef.kind', message: 'Required value' });
  if (typeof target.name !== 'string' || target.name === '') causes.push({ field: 'spec.scaleTargetRef.name', message: 'Required value' });
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : undefined;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (min !== undefined && min < 1) causes.push({ field: 'spec.minReplicas', message: `Invalid value: ${min}: must be greater than or equal to 1` });
  if (max < 1) causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${max}: must be greater than 0` });
  if (min !== undefined && max < min) causes.push({ field: 'spec.maxReplicas', message: `Invalid value: ${max}: must be greater than or equal to \`minReplicas\`` });
  return causes;
}

function endpointSlice(object: KubeObject): Cause[] {
  const causes: Cause[] = [];
  const root = object as unknown as JsonMap;
  const type = root.addressType;
  if (type === undefined || type === '') causes.push({ field: 'addressType', message: 'Required value' });
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(String(type))) causes.push({ field: 'addressType', message: `Unsupported value: ${JSON.stringify(type)}: supported values: "FQDN", "IPv4", "IPv6"` });
  const valid = type === 'IPv4' ? isIPv4 : type === 'IPv6' ? isIPv6 : (a: string) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(a) && a.length <= 253;
  const what = type === 'FQDN' ? 'must be a valid FQDN' : `must be a valid ${String(type)} address`;
  (Array.isArray(root.endpoints) ? root.endpoints : []).forEach((e, i) => {
    const addresses = isMap(e) && Array.isArray(e.addresses) ? e.addresses : [];
    if (addresses.length === 0) causes.push({ field: `endpoints[${i}].addresses`, message: 'Required value: must contain at least 1 address' });
    if (addresses.length > 100) causes.push({ field: `endpoints[${i}].addresses`, message: `Too many: ${addresses.length}: must have at most 100 items` });
    addresses.forEach((a, j) => {
      if (typeof a !== 'string' || !valid(a)) causes.push({ field: `endpoints[${i}].addresses[${j}]`, message: `Invalid value: ${JSON.stringify(a)}: ${what}` });
    });
  });
  (Array.isArray(root.ports) ? root.ports : []).forEach((p, i) => {
    const port = isMap(p) ? p.port : undefined;
    if (typeof port === 'number' && (port < 0 || port > 65535 || !Number.isInteger(port))) {
      causes.push({ field: `ports[${i}].port`, message: `Invalid value: ${port}: must be between 0 and 65535, inclusive` });
    }
  });
  return causes;
}
