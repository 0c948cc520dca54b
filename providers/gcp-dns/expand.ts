// Zone resources → desired objects for Cloud DNS: the managed zone itself and one object per
// record set (Cloud DNS has one set per name and type; a routing policy lives inside it).
// Pure: no I/O. Validates this provider's `gcp:` blocks and ignores other providers' blocks.

import type { DesiredObject, ExpandContext, JsonObject, Resource, ResourceIssue } from '../../src/sdk/index.ts';
import {
  RECORDSET_OBJECT_TYPE, ZONE_OBJECT_TYPE, readZone, recordSetDisplay, recordSetKey, recordSetValue, zoneKey, zoneScope, type Management,
} from '../../src/sdk/dns/index.ts';
import { prefixLabel } from './labels.ts';
import { MAX_NAMESERVERS_PER_DELEGATION, MAX_RRDATA_BYTES_PER_CHANGE, rrdataBytes } from './limits.ts';
import { canonicalPolicy, networkUrl, policyToWire, recordGcpSchema, zoneGcpSchema, type ZoneGcp } from './policy.ts';

/** The zone block of a Zone resource, parsed (defaults applied). Undefined when invalid. */
export function zoneSettings(resource: Resource): ZoneGcp | undefined {
  const spec = resource.spec as { gcp?: unknown };
  const parsed = zoneGcpSchema.safeParse(spec.gcp ?? {});
  return parsed.success ? parsed.data : undefined;
}

/**
 * The canonical value of a managed zone object: what is declared, nothing more, plus the marks
 * its labels carry once trueup owns it (`management`, and `registryPrefix` when not the default),
 * so a Zone switched between full and shared updates the label that tells later passes how to
 * read the zone after it leaves Git. Observe drops the marks from the desired value of a zone
 * trueup does not own (made by hand, or another owner's): those zones are never labelled.
 */
export function zoneValue(dnsName: string, gcp: ZoneGcp, project: string, marks: { management: Management; registryPrefix: string }): JsonObject {
  const value: JsonObject = { dnsName, visibility: gcp.visibility };
  if (gcp.description !== undefined) value.description = gcp.description;
  if (gcp.visibility === 'private') value.networks = [...new Set((gcp.networks ?? []).map((n) => networkUrl(project, n)))].sort();
  value.management = marks.management;
  const prefix = prefixLabel(marks.registryPrefix);
  if (prefix !== undefined) value.registryPrefix = prefix;
  return value;
}

/** The zone value without the ownership marks (for zones trueup does not own). */
export function withoutMarks(value: JsonObject): JsonObject {
  const { management: _m, registryPrefix: _r, ...rest } = value;
  return rest;
}

/** A record set's canonical value: `{ name, type, ttl, values }`, or with a routing policy
 * `{ name, type, ttl, gcp: { routingPolicy } }` (no empty `values` to clutter plans). */
export function recordValue(name: string, type: string, ttl: number | undefined, values: readonly string[], policy?: JsonObject): JsonObject {
  const base = { name, type, ...(ttl !== undefined ? { ttl } : {}) };
  if (!policy) return recordSetValue({ ...base, values });
  const value = recordSetValue({ ...base, values: [] }, policy);
  delete value.values;
  return value;
}

export function expandZones(resources: Resource[], _ctx: ExpandContext, project: string): { objects: DesiredObject[]; issues: ResourceIssue[] } {
  const objects: DesiredObject[] = [];
  const issues: ResourceIssue[] = [];
  for (const resource of resources) {
    const read = readZone(resource);
    issues.push(...read.issues);
    const zone = read.zone;
    if (!zone) continue;
    const spec = resource.spec as { gcp?: unknown };
    const zoneBlock = zoneGcpSchema.safeParse(spec.gcp ?? {});
    if (!zoneBlock.success) {
      for (const issue of zoneBlock.error.issues) issues.push({ resource, path: ['spec', 'gcp', ...(issue.path as (string | number)[])], message: issue.message });
      continue;
    }
    const scope = zoneScope(zone.name);
    const zoneObjectKey = zoneKey(zone.name);
    objects.push({
      key: zoneObjectKey, type: ZONE_OBJECT_TYPE, display: `zone ${zone.name}`, scope,
      value: zoneValue(zone.name, zoneBlock.data, project, zone), resource, path: ['metadata', 'name'],
    });
    for (const set of zone.records) {
      let extra: JsonObject = {};
      const block = set.extensions.gcp;
      if (block !== undefined) {
        const parsed = recordGcpSchema.safeParse(block);
        if (!parsed.success) {
          for (const issue of parsed.error.issues) issues.push({ resource, path: [...set.path, 'gcp', ...(issue.path as (string | number)[])], message: issue.message });
          continue;
        }
        if (parsed.data.routingPolicy) {
          const policy = canonicalPolicy(set.type, parsed.data.routingPolicy);
          if (!policy.policy) {
            for (const issue of policy.issues) issues.push({ resource, path: [...set.path, 'gcp', 'routingPolicy', ...issue.path], message: issue.message });
            continue;
          }
          extra = { gcp: { routingPolicy: policy.policy } };
        }
      }
      if (extra.gcp === undefined && set.values.length === 0) {
        issues.push({ resource, path: set.path,
          message: `${set.name} ${set.type} has no values Cloud DNS can serve (another provider's block, such as a Route 53 alias, does not apply here): give it values or a gcp.routingPolicy` });
        continue;
      }
      const policy = (extra.gcp as JsonObject | undefined)?.routingPolicy as JsonObject | undefined;
      const bytes = rrdataBytes(policy ? { name: set.name, type: set.type, routingPolicy: policyToWire(policy) } : { name: set.name, type: set.type, rrdatas: set.values });
      if (bytes > MAX_RRDATA_BYTES_PER_CHANGE) {
        issues.push({ resource, path: [...set.path, policy ? 'gcp' : 'values'],
          message: `${set.name} ${set.type} holds ${bytes} bytes of rrdata; one Cloud DNS change carries at most ${MAX_RRDATA_BYTES_PER_CHANGE} (quota totalRrdataSizePerChange), so the set can never be created: split it` });
        continue;
      }
      if (set.type === 'NS' && set.name !== zone.name && set.values.length > MAX_NAMESERVERS_PER_DELEGATION) {
        issues.push({ resource, path: [...set.path, 'values'],
          message: `the delegation ${set.name} names ${set.values.length} name servers; Cloud DNS allows at most ${MAX_NAMESERVERS_PER_DELEGATION} per delegation (quota nameserversPerDelegation)` });
        continue;
      }
      // With a routing policy the policy's values are what Cloud DNS serves; `values` on the same
      // set stay what other providers of a multi-provider zone serve.
      objects.push({
        key: recordSetKey(zone.name, set.name, set.type),
        type: RECORDSET_OBJECT_TYPE,
        display: recordSetDisplay(set.name, set.type),
        scope,
        value: recordValue(set.name, set.type, set.ttl, set.values, extra.gcp === undefined ? undefined : extra),
        dependsOn: [zoneObjectKey],
        resource,
        path: set.path,
      });
    }
  }
  return { objects, issues };
}
