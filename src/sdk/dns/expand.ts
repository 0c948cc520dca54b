// From a validated Zone resource to canonical record sets, with every problem reported at the
// record's path (`spec.records.www[0].values[1]`). Providers build their objects from the result
// and validate their own namespaced block (`route53:`, `gcp:`), ignoring the others.

import type { JsonObject, JsonValue, Resource, ResourceIssue } from '../types.ts';
import { DnsValueError } from './errors.ts';
import { absoluteName, canonicalZoneName, relativeName } from './names.ts';
import { registryName, type Management } from './ownership.ts';
import { canonicalValues, type RecordType } from './rdata.ts';
import type { ZoneSpec } from './schema.ts';

const CORE_FIELDS = new Set(['type', 'ttl', 'value', 'values']);
const ZONE_FIELDS = new Set(['management', 'ttl', 'registryPrefix', 'records']);

export interface DeclaredRecordSet {
  /** Canonical absolute name (`www.example.com.`). */
  name: string;
  type: RecordType;
  /** The set's TTL, or the zone default. */
  ttl: number;
  ttlDeclared: boolean;
  /** Canonical values, sorted; empty when only a provider block supplies the data (an alias). */
  values: string[];
  /** Namespaced provider blocks on this set, by namespace (`route53`, `gcp`). */
  extensions: Record<string, JsonObject>;
  /** `['spec', 'records', <name as written>, <index>]`. */
  path: (string | number)[];
}

export interface DeclaredZone {
  resource: Resource;
  /** Canonical zone name (`example.com.`). */
  name: string;
  management: Management;
  ttl: number;
  registryPrefix: string;
  /** Namespaced provider blocks on the zone. */
  extensions: Record<string, JsonObject>;
  records: DeclaredRecordSet[];
}

/** Read a Zone resource. Returns the zone (when its name is usable) and every problem found. */
export function readZone(resource: Resource): { zone?: DeclaredZone; issues: ResourceIssue[] } {
  const issues: ResourceIssue[] = [];
  const issue = (path: (string | number)[], message: string) => issues.push({ resource, path, message });
  const spec = resource.spec as ZoneSpec;
  let zoneName: string;
  try {
    zoneName = canonicalZoneName(resource.metadata.name);
  } catch (error) {
    if (!(error instanceof DnsValueError)) throw error;
    issue(['metadata', 'name'], error.message);
    return { issues };
  }
  const extensions: Record<string, JsonObject> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (!ZONE_FIELDS.has(k)) extensions[k] = v as JsonObject;
  }
  const zone: DeclaredZone = {
    resource, name: zoneName, management: spec.management, ttl: spec.ttl, registryPrefix: spec.registryPrefix,
    extensions, records: [],
  };
  const typesByName = new Map<string, { types: Set<string>; path: (string | number)[] }>();
  for (const [written, sets] of Object.entries(spec.records)) {
    const base: (string | number)[] = ['spec', 'records', written];
    let name: string;
    try {
      name = absoluteName(written, zoneName);
    } catch (error) {
      if (!(error instanceof DnsValueError)) throw error;
      issue(base, error.message);
      continue;
    }
    sets.forEach((set, index) => {
      const path = [...base, index];
      let values: string[];
      try {
        values = canonicalValues(set.type, set.values ?? (set.value === undefined ? [] : [set.value]));
      } catch (error) {
        if (!(error instanceof DnsValueError)) throw error;
        issue([...path, set.value === undefined ? 'values' : 'value'], error.message);
        return;
      }
      if (set.type === 'CNAME' && name === zoneName) {
        issue([...path, 'type'], `a CNAME is not allowed at the zone apex (${zoneName}); use an alias or another name`);
        return;
      }
      if (set.type === 'CNAME' && values.length > 1) {
        issue([...path, 'values'], 'a CNAME record set holds exactly one value');
        return;
      }
      const setExt: Record<string, JsonObject> = {};
      for (const [k, v] of Object.entries(set)) {
        if (!CORE_FIELDS.has(k)) setExt[k] = v as JsonObject;
      }
      const entry = typesByName.get(name) ?? { types: new Set<string>(), path };
      entry.types.add(set.type);
      typesByName.set(name, entry);
      if (entry.types.has('CNAME') && entry.types.size > 1) {
        issue([...path, 'type'], `${name} has a CNAME and other record types (${[...entry.types].filter((t) => t !== 'CNAME').join(', ')}); a CNAME must be alone at its name`);
        return;
      }
      if (zone.management === 'shared') {
        try {
          registryName(name, set.type, zone.registryPrefix);
        } catch (error) {
          if (!(error instanceof DnsValueError)) throw error;
          issue(path, `${error.message}: shorten the name or the registryPrefix (shared zones mark each record set with a TXT record)`);
          return;
        }
      }
      zone.records.push({
        name, type: set.type, ttl: set.ttl ?? zone.ttl, ttlDeclared: set.ttl !== undefined, values, extensions: setExt, path,
      });
    });
  }
  if (zone.management === 'shared') {
    const prefix = `${zone.registryPrefix.toLowerCase()}.`;
    for (const r of zone.records) {
      if (r.type === 'TXT' && r.name.startsWith(prefix)) {
        issue(r.path, `${r.name} lies in the registry namespace of this shared zone (names starting with ${prefix}); pick another name or registryPrefix`);
      }
    }
  }
  return { zone, issues };
}

/** The canonical JSON value of a record set object: `{ name, type, ttl, values, ...extra }`. */
export function recordSetValue(set: { name: string; type: string; ttl?: number; values: readonly string[] }, extra: JsonObject = {}): JsonObject {
  const value: JsonObject = { name: set.name, type: set.type };
  if (set.ttl !== undefined) value.ttl = set.ttl;
  value.values = [...set.values];
  for (const [k, v] of Object.entries(extra)) value[k] = v;
  return value;
}

export interface ImportedRecordSet {
  name: string;
  type: string;
  /** Omitted for sets without a TTL (Route 53 aliases). */
  ttl?: number;
  values: readonly string[];
  /** Provider blocks to write on the set (`{ route53: { alias: … } }`). */
  extensions?: Record<string, JsonValue>;
}

/**
 * A Zone document (as a JSON object) for `trueup import`. The most common TTL becomes the zone
 * default; sets are grouped by relative name in a stable order so re-imports diff cleanly.
 */
export function zoneDocument(input: {
  zone: string;
  management?: Management;
  records: readonly ImportedRecordSet[];
  zoneExtensions?: Record<string, JsonValue>;
  metadata?: JsonObject;
}): JsonObject {
  const counts = new Map<number, number>();
  for (const r of input.records) if (r.ttl !== undefined) counts.set(r.ttl, (counts.get(r.ttl) ?? 0) + 1);
  let ttl = 300;
  let best = -1;
  for (const [t, n] of counts) if (n > best || (n === best && t < ttl)) [ttl, best] = [t, n];
  const records: JsonObject = {};
  const sorted = [...input.records].sort((a, b) => {
    const an = relativeName(a.name, input.zone);
    const bn = relativeName(b.name, input.zone);
    return an === bn ? (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) : an === '@' ? -1 : bn === '@' ? 1 : an < bn ? -1 : 1;
  });
  for (const r of sorted) {
    const rel = relativeName(r.name, input.zone);
    const set: JsonObject = { type: r.type };
    if (r.ttl !== undefined && r.ttl !== ttl) set.ttl = r.ttl;
    if (r.values.length === 1) set.value = r.values[0] as string;
    else if (r.values.length > 1) set.values = [...r.values];
    for (const [k, v] of Object.entries(r.extensions ?? {})) set[k] = v;
    const list = (records[rel] ?? []) as JsonValue[];
    list.push(set);
    records[rel] = list;
  }
  const spec: JsonObject = { management: input.management ?? 'full', ttl };
  for (const [k, v] of Object.entries(input.zoneExtensions ?? {})) spec[k] = v;
  spec.records = records;
  return { apiVersion: 'dns.trueup.dev/v1', kind: 'Zone', metadata: { name: input.zone, ...(input.metadata ?? {}) }, spec };
}
