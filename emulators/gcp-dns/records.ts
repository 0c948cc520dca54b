// Resource record sets as the Cloud DNS v1 API accepts and returns them: validation of a set
// sent by a client (names, types, TTL, rrdatas per type, routing policies) and the canonical form
// the emulator stores. Equality of two sets (a deletion must match the live set exactly) is done
// on this canonical form, so `kind` fields and key order never matter but every value does.

import { isIPv4, isIPv6 } from 'node:net';
import { CloudDnsApiError, invalid, required } from './errors.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonRecord = { [key: string]: Json };

/** A record set in canonical form (no `kind` fields anywhere). */
export interface Rrset {
  name: string;
  type: string;
  ttl: number;
  rrdatas?: string[];
  signatureRrdatas?: string[];
  routingPolicy?: JsonRecord;
}

/** The record types Cloud DNS serves. */
export const SUPPORTED_TYPES = new Set([
  'A', 'AAAA', 'CAA', 'CNAME', 'DNSKEY', 'DS', 'HTTPS', 'IPSECKEY', 'MX', 'NAPTR', 'NS', 'PTR',
  'SOA', 'SPF', 'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT',
]);

/** Health-checked routing targets (load balancers, external endpoints) only make sense for addresses. */
const HEALTH_CHECKED_TYPES = new Set(['A', 'AAAA']);

export interface RrsetLimits {
  rrdatasPerRrset: number;
  nameserversPerDelegation: number;
}

/** Regions a geo item may name (the real API knows the live list; this is Google Cloud's, 2026). */
export const GCP_REGIONS = new Set([
  'africa-south1', 'asia-east1', 'asia-east2', 'asia-northeast1', 'asia-northeast2', 'asia-northeast3', 'asia-south1',
  'asia-south2', 'asia-southeast1', 'asia-southeast2', 'australia-southeast1', 'australia-southeast2', 'europe-central2',
  'europe-north1', 'europe-north2', 'europe-southwest1', 'europe-west1', 'europe-west2', 'europe-west3', 'europe-west4',
  'europe-west6', 'europe-west8', 'europe-west9', 'europe-west10', 'europe-west12', 'me-central1', 'me-central2',
  'me-west1', 'northamerica-northeast1', 'northamerica-northeast2', 'northamerica-south1', 'southamerica-east1',
  'southamerica-west1', 'us-central1', 'us-east1', 'us-east4', 'us-east5', 'us-south1', 'us-west1', 'us-west2',
  'us-west3', 'us-west4',
]);

const LABEL = /^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/;

export function isObject(value: unknown): value is JsonRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Lower-case, fully qualified; throws when the name is not a DNS name. */
export function checkDnsName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw required(field);
  if (!value.endsWith('.')) throw invalid(`Invalid value for '${field}': '${value}' (a DNS name must be fully qualified and end with a dot)`);
  const name = value.toLowerCase();
  if (name === '.') return name;
  const labels = name.slice(0, -1).split('.');
  if (name.length > 254 || labels.some((l, i) => !LABEL.test(l) || (l === '*' && i !== 0))) {
    throw invalid(`Invalid value for '${field}': '${value}'`);
  }
  return name;
}

export function isWithin(name: string, zoneDnsName: string): boolean {
  return name === zoneDnsName || zoneDnsName === '.' || name.endsWith(`.${zoneDnsName}`);
}

/** Validate a record set sent by a client and return its canonical form. */
export function parseRrset(input: unknown, field: string, zoneDnsName: string, limits: RrsetLimits): Rrset {
  if (!isObject(input)) throw required(field);
  const name = checkDnsName(input.name, `${field}.name`);
  if (!isWithin(name, zoneDnsName)) {
    throw invalid(`The resource record set '${field}' is invalid because the DNS name '${name}' is not within the zone '${zoneDnsName}'.`);
  }
  if (typeof input.type !== 'string' || input.type === '') throw required(`${field}.type`);
  const type = input.type.toUpperCase();
  if (!SUPPORTED_TYPES.has(type)) throw invalid(`Invalid value for '${field}.type': '${input.type}'`);
  if (input.ttl === undefined || input.ttl === null) throw required(`${field}.ttl`);
  const ttl = typeof input.ttl === 'string' ? Number(input.ttl) : input.ttl;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw invalid(`Invalid value for '${field}.ttl': '${String(input.ttl)}'`);
  }
  const hasData = Array.isArray(input.rrdatas) && input.rrdatas.length > 0;
  const hasPolicy = input.routingPolicy !== undefined && input.routingPolicy !== null;
  if (hasData === hasPolicy) {
    throw invalid(`The resource record set '${field}' must have exactly one of 'rrdatas' and 'routingPolicy'.`);
  }
  const rrset: Rrset = { name, type, ttl };
  if (hasData) {
    rrset.rrdatas = parseRrdatas(input.rrdatas, `${field}.rrdata`, type, limits);
    // Quota.nameserversPerDelegation: an NS set below the apex delegates a subdomain.
    if (type === 'NS' && name !== zoneDnsName && rrset.rrdatas.length > limits.nameserversPerDelegation) {
      throw new CloudDnsApiError(403, 'quotaExceeded',
        `The resource record set '${field}' would exceed quota for nameservers per delegation (${rrset.rrdatas.length} name servers, limit ${limits.nameserversPerDelegation}).`, 'usageLimits');
    }
  } else {
    if (type === 'SOA' || (type === 'NS' && name === zoneDnsName)) {
      throw invalid(`The resource record set '${field}' of type ${type} at the zone apex cannot have a routing policy.`);
    }
    rrset.routingPolicy = parseRoutingPolicy(input.routingPolicy, `${field}.routingPolicy`, type, limits);
  }
  if (Array.isArray(input.signatureRrdatas) && input.signatureRrdatas.length > 0) {
    rrset.signatureRrdatas = input.signatureRrdatas.map((s, i) => {
      if (typeof s !== 'string') throw invalid(`Invalid value for '${field}.signatureRrdatas[${i}]'`);
      return s;
    });
  }
  return rrset;
}

function parseRrdatas(value: unknown, field: string, type: string, limits: RrsetLimits): string[] {
  if (!Array.isArray(value) || value.length === 0) throw required(field);
  if (value.length > limits.rrdatasPerRrset) {
    throw new CloudDnsApiError(413, 'quotaExceeded', `Quota exceeded for quota metric 'resourceRecordsPerRrset' (limit ${limits.rrdatasPerRrset}).`, 'usageLimits');
  }
  if ((type === 'CNAME' || type === 'SOA') && value.length > 1) {
    throw invalid(`The resource record set '${field.replace(/\.rrdata$/, '')}' of type ${type} may hold only one rrdata.`);
  }
  const out = value.map((v, i) => {
    if (typeof v !== 'string') throw invalid(`Invalid value for '${field}[${i}]': '${String(v)}'`);
    return canonicalRrdata(v, type, `${field}[${i}]`);
  });
  const seen = new Set<string>();
  for (const [i, v] of out.entries()) {
    if (seen.has(v)) throw invalid(`Invalid value for '${field}[${i}]': '${v}' is a duplicate`);
    seen.add(v);
  }
  return out;
}

const HOST = /^(\.|(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+)$/i;
const UINT = /^\d+$/;
const HEX = /^[0-9a-f]+$/i;

/** One rrdata in the form the API stores; throws `invalid` naming the field when malformed. */
export function canonicalRrdata(raw: string, type: string, field: string): string {
  const bad = (why?: string) => invalid(`Invalid value for '${field}': '${raw}'${why ? ` (${why})` : ''}`);
  const value = raw.trim();
  if (value === '') throw bad();
  if (type === 'TXT' || type === 'SPF') return canonicalTxt(value, bad);
  const f = value.split(/\s+/);
  const uint = (s: string | undefined, max: number) => s !== undefined && UINT.test(s) && Number(s) <= max;
  const host = (s: string | undefined) => s !== undefined && HOST.test(s);
  let ok: boolean;
  switch (type) {
    case 'A': ok = f.length === 1 && isIPv4(value); break;
    case 'AAAA': ok = f.length === 1 && isIPv6(value); break;
    case 'CNAME': case 'NS': case 'PTR': ok = f.length === 1 && host(f[0]) && f[0] !== '.'; break;
    case 'MX': ok = f.length === 2 && uint(f[0], 65535) && host(f[1]); break;
    case 'SRV': ok = f.length === 4 && uint(f[0], 65535) && uint(f[1], 65535) && uint(f[2], 65535) && host(f[3]); break;
    case 'CAA': ok = f.length >= 3 && uint(f[0], 255) && /^[a-z0-9]+$/i.test(f[1] ?? ''); break;
    case 'SOA': ok = f.length === 7 && host(f[0]) && host(f[1]) && f.slice(2).every((n) => uint(n, 4294967295)); break;
    case 'DS': ok = f.length >= 4 && uint(f[0], 65535) && uint(f[1], 255) && uint(f[2], 255) && f.slice(3).every((h) => HEX.test(h)); break;
    case 'SSHFP': ok = f.length >= 3 && uint(f[0], 255) && uint(f[1], 255) && f.slice(2).every((h) => HEX.test(h)); break;
    case 'TLSA': ok = f.length >= 4 && uint(f[0], 255) && uint(f[1], 255) && uint(f[2], 255) && f.slice(3).every((h) => HEX.test(h)); break;
    case 'NAPTR': ok = f.length === 6 && uint(f[0], 65535) && uint(f[1], 65535) && host(f[5]); break;
    case 'HTTPS': case 'SVCB': ok = f.length >= 2 && uint(f[0], 65535) && host(f[1]); break;
    default: ok = true;
  }
  if (!ok) throw bad();
  return f.join(' ');
}

/** TXT data is a list of character-strings of at most 255 bytes each. Unquoted words are
 * separate strings (zone-file semantics); the API returns every string quoted. */
function canonicalTxt(value: string, bad: (why?: string) => CloudDnsApiError): string {
  const strings: string[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (/\s/.test(c)) { i += 1; continue; }
    let text = '';
    if (c === '"') {
      i += 1;
      let closed = false;
      while (i < value.length) {
        const d = value[i] as string;
        if (d === '\\' && i + 1 < value.length) { text += d + (value[i + 1] as string); i += 2; continue; }
        if (d === '"') { closed = true; i += 1; break; }
        text += d;
        i += 1;
      }
      if (!closed) throw bad('unterminated quoted string');
    } else {
      while (i < value.length && !/\s/.test(value[i] as string)) {
        const d = value[i] as string;
        if (d === '"') text += '\\"';
        else text += d;
        i += 1;
      }
    }
    const bytes = Buffer.byteLength(text.replace(/\\(\d{3}|.)/g, 'x'));
    if (bytes > 255) throw bad(`a TXT character-string is at most 255 bytes, this one has ${bytes}; split it into several quoted strings`);
    strings.push(`"${text}"`);
  }
  if (strings.length === 0) throw bad();
  return strings.join(' ');
}

// Routing policies (v1): exactly one of wrr, geo, primaryBackup; items carry rrdatas or
// health-checked targets. The stored form keeps only the fields the API defines.

function parseRoutingPolicy(value: unknown, field: string, type: string, limits: RrsetLimits): JsonRecord {
  if (!isObject(value)) throw invalid(`Invalid value for '${field}'`);
  const kinds = ['wrr', 'geo', 'primaryBackup'].filter((k) => value[k] !== undefined && value[k] !== null);
  if (kinds.length !== 1) throw invalid(`Invalid value for '${field}': exactly one of 'wrr', 'geo' and 'primaryBackup' must be set.`);
  const out: JsonRecord = {};
  let usesExternal = false;
  const targets = (v: unknown, f: string): JsonRecord => {
    if (!isObject(v)) throw invalid(`Invalid value for '${f}'`);
    if (!HEALTH_CHECKED_TYPES.has(type)) throw invalid(`Invalid value for '${f}': health-checked targets are only supported for A and AAAA record sets.`);
    const t: JsonRecord = {};
    if (Array.isArray(v.internalLoadBalancers) && v.internalLoadBalancers.length > 0) {
      t.internalLoadBalancers = v.internalLoadBalancers.map((lb, i) => parseLoadBalancer(lb, `${f}.internalLoadBalancers[${i}]`));
    }
    if (Array.isArray(v.externalEndpoints) && v.externalEndpoints.length > 0) {
      usesExternal = true;
      t.externalEndpoints = v.externalEndpoints.map((ip, i) => {
        if (typeof ip !== 'string' || !(type === 'A' ? isIPv4(ip) : isIPv6(ip))) throw invalid(`Invalid value for '${f}.externalEndpoints[${i}]': '${String(ip)}'`);
        return ip;
      });
    }
    if (t.internalLoadBalancers && t.externalEndpoints) throw invalid(`Invalid value for '${f}': use either internal load balancers or external endpoints, not both.`);
    if (!t.internalLoadBalancers && !t.externalEndpoints) throw required(`${f}.externalEndpoints`);
    return t;
  };
  const item = (v: unknown, f: string, key: 'weight' | 'location'): JsonRecord => {
    if (!isObject(v)) throw invalid(`Invalid value for '${f}'`);
    const o: JsonRecord = {};
    if (key === 'weight') {
      const w = v.weight;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw invalid(`Invalid value for '${f}.weight': '${String(w)}' (a non-negative number)`);
      o.weight = w;
    } else {
      if (typeof v.location !== 'string' || !GCP_REGIONS.has(v.location)) throw invalid(`Invalid value for '${f}.location': '${String(v.location)}' (not a Google Cloud region, e.g. us-east1)`);
      o.location = v.location;
    }
    const hasData = Array.isArray(v.rrdatas) && v.rrdatas.length > 0;
    if (hasData) o.rrdatas = parseRrdatas(v.rrdatas, `${f}.rrdatas`, type, limits);
    // gcloud sends `healthCheckedTargets: {}` on items without targets: an empty one is absent
    if (v.healthCheckedTargets !== undefined && v.healthCheckedTargets !== null && !isEmptyTargets(v.healthCheckedTargets)) {
      o.healthCheckedTargets = targets(v.healthCheckedTargets, `${f}.healthCheckedTargets`);
    }
    if (!o.rrdatas && !o.healthCheckedTargets) throw required(`${f}.rrdatas`);
    if (Array.isArray(v.signatureRrdatas) && v.signatureRrdatas.length > 0) o.signatureRrdatas = v.signatureRrdatas.filter((s) => typeof s === 'string');
    return o;
  };
  const items = (v: unknown, f: string, key: 'weight' | 'location'): Json[] => {
    if (!isObject(v) || !Array.isArray(v.items) || v.items.length === 0) throw required(`${f}.items`);
    const list = v.items.map((it, i) => item(it, `${f}.items[${i}]`, key));
    if (key === 'location') {
      const seen = new Set<string>();
      for (const [i, it] of list.entries()) {
        if (seen.has(it.location as string)) throw invalid(`Invalid value for '${f}.items[${i}].location': '${String(it.location)}' appears twice`);
        seen.add(it.location as string);
      }
    }
    return list;
  };
  const kind = kinds[0] as string;
  if (kind === 'wrr') {
    out.wrr = { items: items(value.wrr, `${field}.wrr`, 'weight') };
  } else if (kind === 'geo') {
    const geo: JsonRecord = { items: items(value.geo, `${field}.geo`, 'location') };
    if (isObject(value.geo) && value.geo.enableFencing === true) geo.enableFencing = true;
    out.geo = geo;
  } else {
    const pb = value.primaryBackup;
    const f = `${field}.primaryBackup`;
    if (!isObject(pb)) throw invalid(`Invalid value for '${f}'`);
    if (!HEALTH_CHECKED_TYPES.has(type)) throw invalid(`Invalid value for '${f}': primary-backup policies are only supported for A and AAAA record sets.`);
    const o: JsonRecord = { primaryTargets: targets(pb.primaryTargets, `${f}.primaryTargets`) };
    if (!isObject(pb.backupGeoTargets)) throw required(`${f}.backupGeoTargets`);
    const backup: JsonRecord = { items: items(pb.backupGeoTargets, `${f}.backupGeoTargets`, 'location') };
    if (pb.backupGeoTargets.enableFencing === true) backup.enableFencing = true;
    o.backupGeoTargets = backup;
    if (pb.trickleTraffic !== undefined && pb.trickleTraffic !== null) {
      const t = pb.trickleTraffic;
      if (typeof t !== 'number' || t < 0 || t > 1) throw invalid(`Invalid value for '${f}.trickleTraffic': '${String(t)}' (between 0 and 1)`);
      if (t > 0) o.trickleTraffic = t;
    }
    out.primaryBackup = o;
  }
  if (value.healthCheck !== undefined && value.healthCheck !== null && value.healthCheck !== '') out.healthCheck = parseHealthCheck(value.healthCheck, `${field}.healthCheck`);
  if (usesExternal && out.healthCheck === undefined) {
    throw required(`${field}.healthCheck`);
  }
  return out;
}

/**
 * RRSetRoutingPolicy.healthCheck names a Compute Engine health check: the API documents the full
 * URL (https://www.googleapis.com/compute/v1/projects/{project}/global/healthChecks/{name}) and
 * accepts the relative `projects/…/global/healthChecks/…` form gcloud and the docs' examples use,
 * on either Compute host, global or regional. Anything else is refused.
 */
const HEALTH_CHECK = /^(https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9.:]{0,62}\/(global|regions\/[a-z]+-[a-z]+\d+)\/healthChecks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function parseHealthCheck(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEALTH_CHECK.test(value)) {
    throw invalid(`Invalid value for '${field}': '${String(value)}' (the URL of a health check, e.g. https://www.googleapis.com/compute/v1/projects/my-project/global/healthChecks/my-check)`);
  }
  return value;
}

/** Bytes of rrdata a set carries (its rrdatas, or the rrdatas of every routing policy item):
 * what the `totalRrdataSizePerChange` quota counts. */
export function rrdataBytes(rrset: Rrset): number {
  let bytes = 0;
  const walk = (v: Json | undefined, key?: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) {
        if (key === 'rrdatas' && typeof x === 'string') bytes += Buffer.byteLength(x, 'utf8');
        else walk(x);
      }
    } else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(rrset.rrdatas, 'rrdatas');
  walk(rrset.routingPolicy);
  return bytes;
}

function isEmptyTargets(value: unknown): boolean {
  if (!isObject(value)) return false;
  const empty = (v: Json | undefined) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  return empty(value.internalLoadBalancers) && empty(value.externalEndpoints);
}

function parseLoadBalancer(value: unknown, field: string): JsonRecord {
  if (!isObject(value)) throw invalid(`Invalid value for '${field}'`);
  const out: JsonRecord = {};
  for (const key of ['loadBalancerType', 'ipAddress', 'port', 'ipProtocol', 'networkUrl', 'project', 'region']) {
    const v = value[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  for (const key of ['ipAddress', 'port', 'ipProtocol', 'networkUrl', 'project']) {
    if (out[key] === undefined) throw required(`${field}.${key}`);
  }
  if (!isIPv4(out.ipAddress as string) && !isIPv6(out.ipAddress as string)) throw invalid(`Invalid value for '${field}.ipAddress': '${String(out.ipAddress)}'`);
  return out;
}

/** Sort keys so two canonical sets compare by their JSON text. */
export function rrsetFingerprint(rrset: Rrset): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(rrset));
}

/** The set as the API returns it, with the `kind` fields the real service adds. */
export function presentRrset(rrset: Rrset): JsonRecord {
  const out: JsonRecord = { kind: 'dns#resourceRecordSet', name: rrset.name, type: rrset.type, ttl: rrset.ttl };
  if (rrset.rrdatas) out.rrdatas = [...rrset.rrdatas];
  if (rrset.signatureRrdatas) out.signatureRrdatas = [...rrset.signatureRrdatas];
  if (rrset.routingPolicy) out.routingPolicy = presentPolicy(rrset.routingPolicy);
  return out;
}

function presentPolicy(policy: JsonRecord): JsonRecord {
  const withKind = (kind: string, v: Json): JsonRecord => ({ kind, ...(v as JsonRecord) });
  const targets = (t: Json): JsonRecord => {
    const o = withKind('dns#rRSetRoutingPolicyHealthCheckTargets', t);
    if (Array.isArray(o.internalLoadBalancers)) o.internalLoadBalancers = o.internalLoadBalancers.map((lb) => withKind('dns#rRSetRoutingPolicyLoadBalancerTarget', lb));
    return o;
  };
  const items = (list: Json, kind: string): Json[] => (list as JsonRecord[]).map((it) => {
    const o = withKind(kind, it);
    if (o.healthCheckedTargets) o.healthCheckedTargets = targets(o.healthCheckedTargets);
    return o;
  });
  const out: JsonRecord = { kind: 'dns#rRSetRoutingPolicy' };
  if (policy.wrr) out.wrr = { kind: 'dns#rRSetRoutingPolicyWrrPolicy', items: items((policy.wrr as JsonRecord).items as Json, 'dns#rRSetRoutingPolicyWrrPolicyWrrPolicyItem') };
  if (policy.geo) out.geo = { ...(policy.geo as JsonRecord), kind: 'dns#rRSetRoutingPolicyGeoPolicy', items: items((policy.geo as JsonRecord).items as Json, 'dns#rRSetRoutingPolicyGeoPolicyGeoPolicyItem') };
  if (policy.primaryBackup) {
    const pb = policy.primaryBackup as JsonRecord;
    const backup = pb.backupGeoTargets as JsonRecord;
    out.primaryBackup = {
      ...pb,
      kind: 'dns#rRSetRoutingPolicyPrimaryBackupPolicy',
      primaryTargets: targets(pb.primaryTargets as Json),
      backupGeoTargets: { ...backup, kind: 'dns#rRSetRoutingPolicyGeoPolicy', items: items(backup.items as Json, 'dns#rRSetRoutingPolicyGeoPolicyGeoPolicyItem') },
    };
  }
  if (policy.healthCheck) out.healthCheck = policy.healthCheck;
  return out;
}
