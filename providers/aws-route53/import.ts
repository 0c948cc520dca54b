// import: the Zone document of a live hosted zone, alias and routing-policy records included, so
// adopting a zone is: import, commit, a plan that shows only the adoption (owner tags written),
// then nothing. The apex SOA and NS stay with Route 53
// (a full zone never deletes them undeclared), and registry TXT records are not user data.

import { TerminalError, type ImportRequest, type JsonObject, type JsonValue, type ProviderContext } from '../../src/sdk/index.ts';
import {
  ADOPT_ANNOTATION, canonicalName, DEFAULT_REGISTRY_PREFIX, parseRegistryName, parseRegistryValue, zoneDocument, zoneScope, type ImportedRecordSet,
} from '../../src/sdk/dns/index.ts';
import type { Route53Api } from './client.ts';
import { NAMESPACE } from './extension.ts';
import { listRecordSets, zoneProof } from './observe.ts';
import { bareZoneId, fromResourceRecordSet } from './wire.ts';

export async function importZone(api: Route53Api, request: ImportRequest, ctx: ProviderContext): Promise<JsonObject[]> {
  const name = canonicalName(request.selector);
  if (!request.allowedScopes.allows(zoneScope(name))) {
    throw new TerminalError(`scope ${zoneScope(name)} is not allowed for this source`, { subject: `hosted zone ${name}`, operation: 'import' });
  }
  const res = await api.call(ctx, 'ListHostedZonesByName', { DNSName: name, MaxItems: 10 }, `hosted zone ${name}`);
  const zones = (res.HostedZones ?? []).filter((z) => canonicalName(z.Name ?? '') === name);
  const zone = zones.find((z) => z.Config?.PrivateZone !== true) ?? zones[0];
  if (!zone?.Id) throw new TerminalError('no hosted zone with this name', { subject: `hosted zone ${name}`, operation: 'ListHostedZonesByName' });
  const id = bareZoneId(zone.Id);
  const zoneExt: JsonObject = {};
  if (zone.Config?.PrivateZone) {
    const detail = await api.call(ctx, 'GetHostedZone', { Id: id }, `hosted zone ${name}`);
    zoneExt.private = { vpcs: (detail.VPCs ?? []).map((v) => ({ id: v.VPCId ?? '', region: v.VPCRegion ?? '' })) };
  }
  const sets = await listRecordSets(api, ctx, id, name);
  const records: ImportedRecordSet[] = [];
  const seen = new Set<string>();
  for (const set of sets) {
    const value = fromResourceRecordSet(set, id);
    if (value.name === name && (value.type === 'SOA' || value.type === 'NS')) continue;
    if (value.type === 'TXT' && parseRegistryName(value.name, DEFAULT_REGISTRY_PREFIX) && value.values.some((v) => parseRegistryValue(v) !== undefined)) continue;
    const id2 = `${value.name} ${value.type} ${value.route53.setIdentifier ?? ''}`;
    if (seen.has(id2)) continue;
    seen.add(id2);
    const { routing: _routing, aliased: _aliased, ...block } = value.route53;
    const record: ImportedRecordSet = { name: value.name, type: value.type, values: value.values };
    if (value.ttl !== undefined) record.ttl = value.ttl;
    if (Object.keys(block).length > 0) record.extensions = { [NAMESPACE]: block as unknown as JsonValue };
    records.push(record);
  }
  // A zone trueup cannot prove it created is adopted by committing this document: it carries the
  // adopt annotation, so the plan shows the update that writes the owner tags (import itself only
  // reads: tags written here would make the zone ours before anyone reviewed or committed it).
  const tags = await api.call(ctx, 'ListTagsForResources', { ResourceType: 'hostedzone', ResourceIds: [id] }, `hosted zone ${name}`);
  const proof = zoneProof(zone, tags.ResourceTagSets?.[0]?.Tags, ctx.ownerId);
  const doc = zoneDocument({
    zone: name, management: 'full', records,
    ...(Object.keys(zoneExt).length > 0 ? { zoneExtensions: { [NAMESPACE]: zoneExt } } : {}),
    // (Another owner's zone gets no annotation: adoption never takes it over; the plan says so.)
    ...(proof.owner === undefined ? { metadata: { annotations: { [ADOPT_ANNOTATION]: 'true' } } } : {}),
  });
  return [doc];
}
