// The `gcp:` blocks of a Zone document, Cloud DNS's own settings:
//
//   spec.gcp:                    { visibility: public|private, networks: [vpc, ...], description, name }
//   spec.records.<name>[i].gcp:  { routingPolicy: { wrr | geo | primaryBackup, geoFencing, healthCheck } }
//
// Each block is validated here (zod, errors at the block's path), brought to one canonical form
// (the form plans compare and `import` writes), and converted to and from the API's
// `routingPolicy`, which replaces `rrdatas` on a record set.

import { z } from 'zod';
import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';
import { canonicalJson } from '../../src/sdk/index.ts';
import { canonicalValues, DnsValueError } from '../../src/sdk/dns/index.ts';

const ip = z.string().min(1);
/** The forms RRSetRoutingPolicy.healthCheck takes: a Compute health check's URL (either host) or
 * its relative path, global or regional. */
const HEALTH_CHECK = /^(https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9.:]{0,62}\/(global|regions\/[a-z]+-[a-z]+\d+)\/healthChecks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const loadBalancer = z.object({
  ipAddress: ip,
  port: z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d{1,5}$/)]).transform(String),
  ipProtocol: z.string().transform((p) => p.toLowerCase()).pipe(z.enum(['tcp', 'udp'], { error: 'ipProtocol is tcp or udp' })),
  networkUrl: z.string().min(1),
  project: z.string().min(1),
  region: z.string().min(1).optional(),
  loadBalancerType: z.enum(['regionalL4ilb', 'regionalL7ilb', 'globalL7ilb']).optional(),
}).strict();

const targets = z.object({
  externalEndpoints: z.array(ip).min(1).optional(),
  internalLoadBalancers: z.array(loadBalancer).min(1).optional(),
}).strict().refine((t) => (t.externalEndpoints === undefined) !== (t.internalLoadBalancers === undefined), {
  message: 'health-checked targets are either externalEndpoints or internalLoadBalancers (exactly one)',
});

const values = z.array(z.string()).min(1, 'values must not be empty');

const wrrItem = z.object({
  weight: z.number({ error: 'weight is a non-negative number' }).min(0, 'weight is a non-negative number'),
  values: values.optional(),
  healthChecked: targets.optional(),
}).strict();

const geoItem = z.object({
  location: z.string().min(1, 'location is a Google Cloud region, e.g. us-east1'),
  values: values.optional(),
  healthChecked: targets.optional(),
}).strict();

export const routingPolicySchema = z.object({
  wrr: z.array(wrrItem).min(1).optional(),
  geo: z.array(geoItem).min(1).optional(),
  /** Geo: answer only from the caller's region's healthy targets (no fail-over to others). */
  geoFencing: z.boolean().optional(),
  primaryBackup: z.object({
    primary: targets,
    backup: z.array(geoItem).min(1),
    backupGeoFencing: z.boolean().optional(),
    /** Share of traffic (0-1) sent to the backup even while the primary is healthy. */
    trickleTraffic: z.number().min(0).max(1).optional(),
  }).strict().optional(),
  /** Health check (URL or `projects/…/global/healthChecks/…`) for external endpoints. */
  healthCheck: z.string().trim().regex(HEALTH_CHECK, {
    error: 'a healthCheck is the URL of a Compute Engine health check (https://www.googleapis.com/compute/v1/projects/PROJECT/global/healthChecks/NAME) or its projects/PROJECT/global/healthChecks/NAME path; Cloud DNS refuses anything else',
  }).optional(),
}).strict();

export const recordGcpSchema = z.object({
  routingPolicy: routingPolicySchema.optional(),
}).strict();

export const zoneGcpSchema = z.object({
  visibility: z.enum(['public', 'private']).default('public'),
  /** VPC networks a private zone is visible from: names (in the provider's project) or URLs. */
  networks: z.array(z.string().min(1)).optional(),
  description: z.string().max(1024).optional(),
  /** The managed zone's resource name (default: from the DNS name, `example.com.` → `example-com`). */
  name: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a managed zone name is lower-case letters, digits and dashes, starting with a letter').optional(),
}).strict().superRefine((g, ctx) => {
  if (g.networks && g.visibility !== 'private') ctx.addIssue({ code: 'custom', path: ['networks'], message: 'networks are only for private zones (visibility: private)' });
});

export type RoutingPolicy = z.infer<typeof routingPolicySchema>;
export type ZoneGcp = z.infer<typeof zoneGcpSchema>;

/** Problems found while canonicalising, with the path inside the block. */
export interface BlockIssue { path: (string | number)[]; message: string }

const HEALTH_CHECKED_TYPES = new Set(['A', 'AAAA']);

/** Canonical routing policy (sorted items and values, defaults dropped) or issues. */
export function canonicalPolicy(type: string, policy: RoutingPolicy): { policy?: JsonObject; issues: BlockIssue[] } {
  const issues: BlockIssue[] = [];
  const kinds = (['wrr', 'geo', 'primaryBackup'] as const).filter((k) => policy[k] !== undefined);
  if (kinds.length !== 1) {
    issues.push({ path: [], message: 'a routing policy has exactly one of wrr, geo and primaryBackup' });
    return { issues };
  }
  if (policy.geoFencing !== undefined && policy.geo === undefined) issues.push({ path: ['geoFencing'], message: 'geoFencing applies to a geo policy' });
  const canonValues = (list: string[] | undefined, path: (string | number)[]): string[] | undefined => {
    if (list === undefined) return undefined;
    try {
      return canonicalValues(type, list);
    } catch (error) {
      if (!(error instanceof DnsValueError)) throw error;
      issues.push({ path, message: error.message });
      return undefined;
    }
  };
  const canonTargets = (t: z.infer<typeof targets> | undefined, path: (string | number)[]): JsonObject | undefined => {
    if (t === undefined) return undefined;
    if (!HEALTH_CHECKED_TYPES.has(type)) {
      issues.push({ path, message: `health-checked targets are only for A and AAAA record sets, not ${type}` });
      return undefined;
    }
    if (t.externalEndpoints) {
      if (policy.healthCheck === undefined) issues.push({ path: ['healthCheck'], message: 'external endpoints need a healthCheck (the health check that probes them)' });
      const eps = canonValues(t.externalEndpoints, [...path, 'externalEndpoints']);
      return eps ? { externalEndpoints: eps } : undefined;
    }
    const lbs = (t.internalLoadBalancers ?? []).map((lb) => {
      const o: JsonObject = { ipAddress: lb.ipAddress, port: lb.port, ipProtocol: lb.ipProtocol, networkUrl: lb.networkUrl, project: lb.project };
      if (lb.region) o.region = lb.region;
      if (lb.loadBalancerType) o.loadBalancerType = lb.loadBalancerType;
      return o;
    });
    return { internalLoadBalancers: sortByJson(lbs) };
  };
  const item = (it: { weight?: number; location?: string; values?: string[]; healthChecked?: z.infer<typeof targets> }, path: (string | number)[]): JsonObject => {
    const o: JsonObject = {};
    if (it.weight !== undefined) o.weight = it.weight;
    if (it.location !== undefined) o.location = it.location;
    const v = canonValues(it.values, [...path, 'values']);
    if (v) o.values = v;
    const h = canonTargets(it.healthChecked, [...path, 'healthChecked']);
    if (h) o.healthChecked = h;
    if (it.values === undefined && it.healthChecked === undefined) issues.push({ path, message: 'an item needs values or healthChecked targets' });
    return o;
  };
  const out: JsonObject = {};
  if (policy.wrr) out.wrr = sortByJson(policy.wrr.map((it, i) => item(it, ['wrr', i])));
  if (policy.geo) {
    const seen = new Set<string>();
    policy.geo.forEach((it, i) => {
      if (seen.has(it.location)) issues.push({ path: ['geo', i, 'location'], message: `location ${it.location} appears twice` });
      seen.add(it.location);
    });
    out.geo = policy.geo.map((it, i) => item(it, ['geo', i])).sort(byLocation);
    if (policy.geoFencing) out.geoFencing = true;
  }
  if (policy.primaryBackup) {
    const pb = policy.primaryBackup;
    if (!HEALTH_CHECKED_TYPES.has(type)) issues.push({ path: ['primaryBackup'], message: `primary-backup policies are only for A and AAAA record sets, not ${type}` });
    const o: JsonObject = {};
    const primary = canonTargets(pb.primary, ['primaryBackup', 'primary']);
    if (primary) o.primary = primary;
    o.backup = pb.backup.map((it, i) => item(it, ['primaryBackup', 'backup', i])).sort(byLocation);
    if (pb.backupGeoFencing) o.backupGeoFencing = true;
    if (pb.trickleTraffic) o.trickleTraffic = pb.trickleTraffic;
    out.primaryBackup = o;
  }
  if (policy.healthCheck) out.healthCheck = healthCheckUrl(policy.healthCheck);
  return issues.length > 0 ? { issues } : { policy: out, issues };
}

function sortByJson(list: JsonObject[]): JsonObject[] {
  return [...list].sort((a, b) => (canonicalJson(a) < canonicalJson(b) ? -1 : canonicalJson(a) > canonicalJson(b) ? 1 : 0));
}

function byLocation(a: JsonObject, b: JsonObject): number {
  return String(a.location) < String(b.location) ? -1 : String(a.location) > String(b.location) ? 1 : 0;
}

// --- the API's routingPolicy ------------------------------------------------------------------

type Wire = Record<string, unknown>;

/** Canonical policy → the API's `routingPolicy`. */
export function policyToWire(policy: JsonObject): Wire {
  const targetsToWire = (t: JsonValue | undefined): Wire | undefined => {
    if (t === undefined) return undefined;
    const o = t as JsonObject;
    return o.externalEndpoints ? { externalEndpoints: o.externalEndpoints } : { internalLoadBalancers: o.internalLoadBalancers };
  };
  const itemToWire = (it: JsonValue): Wire => {
    const o = it as JsonObject;
    const w: Wire = {};
    if (o.weight !== undefined) w.weight = o.weight;
    if (o.location !== undefined) w.location = o.location;
    if (o.values !== undefined) w.rrdatas = o.values;
    const h = targetsToWire(o.healthChecked);
    if (h) w.healthCheckedTargets = h;
    return w;
  };
  const out: Wire = {};
  if (policy.wrr) out.wrr = { items: (policy.wrr as JsonValue[]).map(itemToWire) };
  if (policy.geo) out.geo = { items: (policy.geo as JsonValue[]).map(itemToWire), enableFencing: policy.geoFencing === true };
  if (policy.primaryBackup) {
    const pb = policy.primaryBackup as JsonObject;
    const w: Wire = {
      primaryTargets: targetsToWire(pb.primary),
      backupGeoTargets: { items: (pb.backup as JsonValue[]).map(itemToWire), enableFencing: pb.backupGeoFencing === true },
    };
    if (pb.trickleTraffic !== undefined) w.trickleTraffic = pb.trickleTraffic;
    out.primaryBackup = w;
  }
  if (policy.healthCheck) out.healthCheck = policy.healthCheck;
  return out;
}

/** The API's `routingPolicy` (as listed, `kind` fields and all) → canonical policy. Values that
 * do not parse are kept as listed, so the plan shows them instead of failing the observe. */
export function policyFromWire(type: string, wire: unknown): JsonObject {
  const w = (wire ?? {}) as Wire;
  const vals = (list: unknown): string[] | undefined => {
    if (!Array.isArray(list) || list.length === 0) return undefined;
    const strings = list.filter((s): s is string => typeof s === 'string');
    try {
      return canonicalValues(type, strings);
    } catch (error) {
      if (!(error instanceof DnsValueError)) throw error;
      return [...strings].sort();
    }
  };
  const targetsFrom = (t: unknown): JsonObject | undefined => {
    const o = (t ?? {}) as Wire;
    const eps = vals(o.externalEndpoints);
    if (eps) return { externalEndpoints: eps };
    if (Array.isArray(o.internalLoadBalancers) && o.internalLoadBalancers.length > 0) {
      return {
        internalLoadBalancers: sortByJson(o.internalLoadBalancers.map((lb: Wire) => {
          const x: JsonObject = {};
          for (const k of ['ipAddress', 'port', 'ipProtocol', 'networkUrl', 'project', 'region', 'loadBalancerType']) {
            const v = lb[k];
            if (typeof v === 'string' && v !== '') x[k] = k === 'ipProtocol' ? v.toLowerCase() : v;
            else if (typeof v === 'number') x[k] = String(v);
          }
          return x;
        })),
      };
    }
    return undefined;
  };
  const itemFrom = (it: unknown): JsonObject => {
    const o = (it ?? {}) as Wire;
    const x: JsonObject = {};
    if (typeof o.weight === 'number') x.weight = o.weight;
    if (typeof o.location === 'string') x.location = o.location;
    const v = vals(o.rrdatas);
    if (v) x.values = v;
    const h = targetsFrom(o.healthCheckedTargets);
    if (h) x.healthChecked = h;
    return x;
  };
  const items = (p: unknown): unknown[] => (Array.isArray((p as Wire | undefined)?.items) ? (p as { items: unknown[] }).items : []);
  const out: JsonObject = {};
  if (w.wrr) out.wrr = sortByJson(items(w.wrr).map(itemFrom));
  if (w.geo) {
    out.geo = items(w.geo).map(itemFrom).sort(byLocation);
    if ((w.geo as Wire).enableFencing === true) out.geoFencing = true;
  }
  if (w.primaryBackup) {
    const pb = w.primaryBackup as Wire;
    const o: JsonObject = {};
    const primary = targetsFrom(pb.primaryTargets);
    if (primary) o.primary = primary;
    o.backup = items(pb.backupGeoTargets).map(itemFrom).sort(byLocation);
    if ((pb.backupGeoTargets as Wire | undefined)?.enableFencing === true) o.backupGeoFencing = true;
    if (typeof pb.trickleTraffic === 'number' && pb.trickleTraffic > 0) o.trickleTraffic = pb.trickleTraffic;
    out.primaryBackup = o;
  }
  if (typeof w.healthCheck === 'string' && w.healthCheck !== '') out.healthCheck = healthCheckUrl(w.healthCheck);
  return out;
}

/** Canonical values read from the API; data that does not parse is kept as listed. */
export function valuesFromWire(type: string, rrdatas: unknown): string[] {
  const strings = Array.isArray(rrdatas) ? rrdatas.filter((s): s is string => typeof s === 'string') : [];
  try {
    return canonicalValues(type, strings);
  } catch (error) {
    if (!(error instanceof DnsValueError)) throw error;
    return [...strings].sort();
  }
}

/**
 * A health check in the one form the API documents for RRSetRoutingPolicy.healthCheck, the full
 * URL `https://www.googleapis.com/compute/v1/projects/P/global/healthChecks/H` (also what
 * `projects/P/global/healthChecks/H`, the form gcloud and examples use, and the
 * compute.googleapis.com host stand for), so declared and listed forms compare equal.
 */
export function healthCheckUrl(healthCheck: string): string {
  const h = healthCheck.trim();
  if (h.startsWith('projects/')) return `https://www.googleapis.com/compute/v1/${h}`;
  return h.replace(/^https:\/\/compute\.googleapis\.com\//, 'https://www.googleapis.com/');
}

/** Full network URL for a private zone network given by name or URL. */
export function networkUrl(project: string, network: string): string {
  if (/^https:\/\//.test(network)) return network.replace(/^https:\/\/compute\.googleapis\.com\//, 'https://www.googleapis.com/');
  if (network.startsWith('projects/')) return `https://www.googleapis.com/compute/v1/${network}`;
  return `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${network}`;
}

/** Managed zone resource name derived from a DNS name: `example.com.` → `example-com`. */
export function defaultZoneName(dnsName: string): string {
  let name = dnsName.replace(/\.$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  if (!/^[a-z]/.test(name)) name = `zone-${name}`;
  return name.slice(0, 63).replace(/-+$/, '') || 'zone-root';
}
