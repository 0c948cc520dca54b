// The provider-neutral Zone kind (`dns.trueup.dev/v1`). One KindDefinition object is shared by
// every DNS provider (Route 53, Cloud DNS, plugins): the engine sees the same kind and lets one
// Zone document go to several provider instances (`metadata.provider: [route53, clouddns]`).
//
// Records are a map from name to a list of record sets, octoDNS-style, with values in
// presentation format (what Route 53's ResourceRecord.Value and Cloud DNS's rrdatas hold).
// Provider-specific settings live in namespaced blocks (`route53:`, `gcp:`) on a record set or
// on the zone. This schema only checks that such blocks are objects; each provider validates
// its own block in `expand` and ignores the others.

import { z } from 'zod';
import { defineKind, type BlockSite } from '../types.ts';
import { DnsValueError } from './errors.ts';
import { addBlocks, addRecordSetRules } from './json-schema.ts';
import { canonicalRdata, RECORD_TYPES } from './rdata.ts';

export const DNS_API_VERSION = 'dns.trueup.dev/v1';
export const DEFAULT_TTL = 300;
export const DEFAULT_REGISTRY_PREFIX = '_trueup';

const namespaceBlock = z.record(z.string(), z.unknown(), {
  error: 'unknown field: provider-specific settings go in a namespaced block that is a mapping (e.g. route53: {...}, gcp: {...})',
});

/** RFC 2181 §8: 0 to 2^31 - 1 seconds; Route 53 and Cloud DNS document the same range. */
const ttl = z.number({ error: 'ttl is a number of seconds' }).int('ttl is a whole number of seconds')
  .min(0, 'ttl is at least 0 seconds').max(2147483647, 'ttl is at most 2147483647 seconds (2^31 - 1)');

export const recordSetSchema = z.object({
  type: z.string().transform((t) => t.toUpperCase()).pipe(z.enum(RECORD_TYPES, {
    error: (issue) => `unsupported record type ${String(issue.input)}; supported: ${RECORD_TYPES.join(', ')}`,
  })),
  ttl: ttl.optional(),
  value: z.string().optional(),
  values: z.array(z.string()).min(1, 'values must not be empty').optional(),
}).catchall(namespaceBlock).superRefine((set, ctx) => {
  if (set.value !== undefined && set.values !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['values'], message: 'set either value or values, not both' });
    return;
  }
  const namespaced = Object.keys(set).some((k) => !['type', 'ttl', 'value', 'values'].includes(k));
  if (set.value === undefined && set.values === undefined && !namespaced) {
    ctx.addIssue({ code: 'custom', path: ['values'], message: `a ${set.type} record set needs value or values` });
    return;
  }
  const check = (v: string, path: (string | number)[]) => {
    try {
      canonicalRdata(set.type, v);
    } catch (error) {
      if (!(error instanceof DnsValueError)) throw error;
      ctx.addIssue({ code: 'custom', path, message: error.message });
    }
  };
  if (set.value !== undefined) check(set.value, ['value']);
  set.values?.forEach((v, i) => check(v, ['values', i]));
});

export type RecordSetSpec = z.infer<typeof recordSetSchema>;

export const zoneSpecSchema = z.object({
  /** `full`: trueup owns every record set in the zone (apex SOA and NS excepted unless declared).
   * `shared`: trueup owns only what its registry TXT records mark; everything else is left alone. */
  management: z.enum(['full', 'shared']).default('full'),
  /** Default TTL of record sets that do not set one. */
  ttl: ttl.default(DEFAULT_TTL),
  /** First label of registry TXT names in shared zones (`_trueup.a.www.example.com.`). */
  registryPrefix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'registryPrefix is one label of letters, digits, _ and -').default(DEFAULT_REGISTRY_PREFIX),
  records: z.record(z.string(), z.array(recordSetSchema, { error: 'a name maps to a list of record sets, e.g. www: [{ type: A, value: 192.0.2.1 }]' })).default({}),
}).catchall(namespaceBlock);

export type ZoneSpec = z.infer<typeof zoneSpecSchema>;

export const zoneKind = defineKind<ZoneSpec>({
  apiVersion: DNS_API_VERSION,
  kind: 'Zone',
  description: 'A DNS zone and its record sets, provider-neutral (Route 53, Cloud DNS, DNS plugins).',
  schema: zoneSpecSchema as unknown as z.ZodType<ZoneSpec>,
  // metadata.name is the zone's domain: `example.com` and `example.com.` are the same zone.
  identity: (resource) => resource.metadata.name.toLowerCase().replace(/\.?$/, '.'),
  refineJsonSchema: (zodSchema, jsonSchema, blocks) => {
    if (zodSchema === recordSetSchema) addRecordSetRules(jsonSchema, blocks.recordSet ?? {});
    if (zodSchema === zoneSpecSchema) addBlocks(jsonSchema, blocks.zone ?? {});
  },
  blocks: zoneBlocks,
});

const ZONE_FIELDS = new Set(['management', 'ttl', 'registryPrefix', 'records']);
const SET_FIELDS = new Set(['type', 'ttl', 'value', 'values']);

/** Provider blocks of a Zone: on the zone (`spec.gcp`) and on record sets (`spec.records.www[0].route53`). */
export function zoneBlocks(spec: ZoneSpec): BlockSite[] {
  const sites: BlockSite[] = [];
  for (const [name, value] of Object.entries(spec)) {
    if (!ZONE_FIELDS.has(name)) sites.push({ name, on: 'zone', path: [name], value });
  }
  for (const [written, sets] of Object.entries(spec.records)) {
    sets.forEach((set, index) => {
      for (const [name, value] of Object.entries(set)) {
        if (!SET_FIELDS.has(name)) sites.push({ name, on: 'recordSet', path: ['records', written, index, name], value });
      }
    });
  }
  return sites;
}
