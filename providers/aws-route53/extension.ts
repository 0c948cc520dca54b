// The `route53:` blocks of a Zone document: on a record set (alias, routing policy, health
// check) and on the zone (private VPCs, comment, all-or-nothing batches). Validated here, in
// `expand`, with paths into the document; other providers' blocks (`gcp:`) are ignored.

import { z } from 'zod';

export const NAMESPACE = 'route53';

const upper = (values: readonly [string, ...string[]]) => z.string().transform((s) => s.toUpperCase()).pipe(z.enum(values));

export const aliasSchema = z.object({
  /** DNS name of the target: a record in this zone, an ELB, CloudFront, S3 website endpoint… */
  target: z.string().min(1),
  /** Hosted zone id of the target. Omit for a target in this zone; CloudFront's is filled in. */
  hostedZoneId: z.string().min(1).optional(),
  evaluateTargetHealth: z.boolean().default(false),
}).strict();

export const recordExtensionSchema = z.object({
  setIdentifier: z.string().min(1).max(128).optional(),
  weight: z.number().int().min(0).max(255).optional(),
  /** Latency routing: the AWS region of the resource. */
  region: z.string().min(1).optional(),
  failover: upper(['PRIMARY', 'SECONDARY']).optional(),
  geolocation: z.object({
    continent: z.string().length(2).optional(),
    country: z.string().min(1).max(2).optional(),
    subdivision: z.string().min(1).max(3).optional(),
  }).strict().refine((g) => g.continent !== undefined || g.country !== undefined, 'geolocation needs continent or country ("*" is the default location)').optional(),
  geoproximity: z.object({
    awsRegion: z.string().min(1).optional(),
    localZoneGroup: z.string().min(1).optional(),
    coordinates: z.object({ latitude: z.string().regex(/^-?\d{1,2}(\.\d{1,2})?$/), longitude: z.string().regex(/^-?\d{1,3}(\.\d{1,2})?$/) }).strict().optional(),
    bias: z.number().int().min(-99).max(99).optional(),
  }).strict().refine((g) => [g.awsRegion, g.localZoneGroup, g.coordinates].filter((v) => v !== undefined).length === 1,
    'geoproximity needs exactly one of awsRegion, localZoneGroup and coordinates').optional(),
  multivalue: z.literal(true, { error: 'multivalue is true or absent' }).optional(),
  cidr: z.object({ collectionId: z.string().min(1), locationName: z.string().min(1) }).strict().optional(),
  healthCheckId: z.string().min(1).optional(),
  alias: aliasSchema.optional(),
}).strict();

export type RecordExtension = z.infer<typeof recordExtensionSchema>;

export const zoneExtensionSchema = z.object({
  /** A private hosted zone, associated with these VPCs. */
  private: z.object({
    vpcs: z.array(z.object({ id: z.string().regex(/^vpc-[0-9a-z]+$/, 'a VPC id looks like vpc-0abc123'), region: z.string().min(1) }).strict()).min(1),
  }).strict().optional(),
  /** Hosted zone comment, set when trueup creates the zone. */
  comment: z.string().max(256).optional(),
  /** Apply each batch whole or not at all, instead of isolating rejected changes. */
  allOrNothing: z.boolean().default(false),
}).strict();

export type ZoneExtension = z.infer<typeof zoneExtensionSchema>;

export const ROUTING_POLICIES = ['simple', 'weighted', 'latency', 'failover', 'geolocation', 'geoproximity', 'multivalue', 'cidr'] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

/** The routing policies a set declares (a valid set declares at most one). */
export function routingPolicies(ext: RecordExtension): RoutingPolicy[] {
  const found: RoutingPolicy[] = [];
  if (ext.weight !== undefined) found.push('weighted');
  if (ext.region !== undefined) found.push('latency');
  if (ext.failover !== undefined) found.push('failover');
  if (ext.geolocation !== undefined) found.push('geolocation');
  if (ext.geoproximity !== undefined) found.push('geoproximity');
  if (ext.multivalue !== undefined) found.push('multivalue');
  if (ext.cidr !== undefined) found.push('cidr');
  return found;
}

/** CloudFront distributions all live in this hosted zone (documented by AWS). */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';

/** Types Route 53 accepts as alias records. */
export const ALIAS_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'NAPTR', 'PTR']);
