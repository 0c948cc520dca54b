// `trueup import <zone>`: the Zone document of a live managed zone, routing policies included,
// so adopting a zone is import, commit, a plan that shows only the adoption (owner labels
// written), then nothing. The apex SOA and NS
// (the DNS host's) and types a Zone cannot declare (SPF, DNSKEY…) are left out.

import type { ImportRequest, JsonObject, JsonValue, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError } from '../../src/sdk/index.ts';
import { ADOPT_ANNOTATION, canonicalName, isRecordType, zoneDocument, zoneScope, type ImportedRecordSet } from '../../src/sdk/dns/index.ts';
import { DEFAULT_DESCRIPTION } from './apply.ts';
import type { CloudDnsClient } from './client.ts';
import { zoneMarks } from './labels.ts';
import { liveRecordValue } from './observe.ts';
import { defaultZoneName, networkUrl } from './policy.ts';

export async function importZone(request: ImportRequest, ctx: ProviderContext, client: CloudDnsClient, project: string): Promise<JsonObject[]> {
  const zones = await client.listZones(ctx);
  const wanted = request.selector.trim();
  const byName = zones.filter((z) => z.name === wanted);
  const byDns = zones.filter((z) => z.dnsName?.toLowerCase() === canonicalName(wanted));
  const matches = byName.length > 0 ? byName : byDns;
  if (matches.length === 0) {
    throw new TerminalError(`no managed zone named or serving "${wanted}" in project ${project} (zones: ${zones.map((z) => `${z.name} (${z.dnsName})`).join(', ') || 'none'})`,
      { operation: 'managedZones.list' });
  }
  if (matches.length > 1) {
    throw new TerminalError(`"${wanted}" is served by several managed zones (${matches.map((z) => `${z.name}, ${z.visibility ?? 'public'}`).join('; ')}): import one by its managed zone name`,
      { operation: 'managedZones.list' });
  }
  const zone = matches[0] as (typeof matches)[number];
  const dnsName = zone.dnsName.toLowerCase();
  if (!request.allowedScopes.allows(zoneScope(dnsName))) {
    throw new TerminalError(`scope ${zoneScope(dnsName)} is not allowed (allowed: ${request.allowedScopes.patterns.join(', ')})`, { subject: `zone ${dnsName}` });
  }
  const rrsets = await client.listRrsets(ctx, zone.name, `zone ${dnsName}`);
  const records: ImportedRecordSet[] = [];
  for (const rrset of rrsets) {
    const value = liveRecordValue(rrset);
    const type = value.type as string;
    const name = value.name as string;
    if (type === 'SOA' || (type === 'NS' && name === dnsName)) continue;
    if (!isRecordType(type)) {
      ctx.log.warn({ name, type }, 'record type cannot be declared in a Zone; left out of the import');
      continue;
    }
    const record: ImportedRecordSet = { name, type, values: (value.values as string[] | undefined) ?? [] };
    if (typeof value.ttl === 'number') record.ttl = value.ttl;
    if (value.gcp !== undefined) record.extensions = { gcp: value.gcp };
    records.push(record);
  }
  const gcp: Record<string, JsonValue> = {};
  if (zone.name !== defaultZoneName(dnsName)) gcp.name = zone.name;
  if ((zone.visibility ?? 'public') === 'private') {
    gcp.visibility = 'private';
    gcp.networks = (zone.privateVisibilityConfig?.networks ?? []).map((n) => networkUrl(project, n.networkUrl ?? ''));
  }
  if (zone.description && zone.description !== DEFAULT_DESCRIPTION) gcp.description = zone.description;
  const input: Parameters<typeof zoneDocument>[0] = { zone: dnsName, records };
  if (Object.keys(gcp).length > 0) input.zoneExtensions = { gcp };
  // A zone nobody labelled is adopted by committing this document: it carries the adopt
  // annotation, so the plan shows the update that writes the owner labels (import itself only
  // reads: labels written here would make the zone ours before anyone reviewed or committed it).
  if (zoneMarks(zone.labels, ctx.ownerId).owner === undefined) input.metadata = { annotations: { [ADOPT_ANNOTATION]: 'true' } };
  return [zoneDocument(input)];
}
