// Who owns a live record set. There is no state file, so ownership is read from the zone:
//
//   full zone    trueup owns every record set, except the apex SOA and NS, which it owns only to
//                update them when declared and never deletes (they belong to the DNS host).
//   shared zone  trueup owns a record set only when a registry TXT record marks it (external-dns's
//                idea). The registry record for `www.example.com. A` is `_trueup.a.www.example.com.`:
//                its own name, so it never clashes with a CNAME at `www` (a CNAME may not share its
//                name with a TXT), and the prefix and type are whole labels of their own, so no label
//                grows past 63 bytes (external-dns's `prefix-www` can). A wildcard's `*` becomes the
//                label `_wildcard` (a `*` inside a name is not a wildcard). The registry is per name
//                and type: every set of a weighted/failover group at that name and type shares it.
//
// Registry records are written in the same change batch as the record they mark, and are not
// objects of their own: plans show the record set, providers add the registry change beside it.
//
// The zone itself is trueup's only when trueup can prove it created it: its owner tag/label, or a
// mark left in the create call (Route 53's CallerReference; Cloud DNS labels are part of the
// create). A zone without such proof (made by hand, or before trueup) is read as shared whatever
// Git declares: `full` would make every hand-made record set trueup's to delete. A person adopts
// it explicitly with the `trueup.dev/adopt: "true"` annotation on the Zone (the plan then shows
// the zone update that writes the owner mark) or with `trueup import`.

import { ADOPT_ANNOTATION, type Ownership } from '../types.ts';
import { DnsValueError } from './errors.ts';
import { checkName } from './names.ts';
import { chunkQuoted, txtBytes } from './text.ts';

export type Management = 'full' | 'shared';

export const HERITAGE = 'trueup';
// A Zone document adopts a live zone trueup did not create with the SDK's adopt annotation.
export { ADOPT_ANNOTATION };
const WILDCARD_LABEL = '_wildcard';

/** Registry TXT name marking `name`/`type` in `zone` (all canonical). Throws DnsValueError when too long. */
export function registryName(name: string, type: string, prefix: string): string {
  const marked = name.startsWith('*.') ? `${WILDCARD_LABEL}.${name.slice(2)}` : name;
  const out = `${prefix.toLowerCase()}.${type.toLowerCase()}.${marked}`;
  checkName(out, `registry record name for ${name} ${type}`);
  return out;
}

/** The record name and type a registry TXT name marks, or undefined when it is not one. */
export function parseRegistryName(name: string, prefix: string): { name: string; type: string } | undefined {
  const p = `${prefix.toLowerCase()}.`;
  if (!name.startsWith(p)) return undefined;
  const rest = name.slice(p.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return undefined;
  const type = rest.slice(0, dot).toUpperCase();
  let marked = rest.slice(dot + 1);
  if (marked === '') return undefined;
  if (marked.startsWith(`${WILDCARD_LABEL}.`)) marked = `*.${marked.slice(WILDCARD_LABEL.length + 1)}`;
  return { name: marked, type };
}

/** Canonical TXT value of a registry record for an owner id. */
export function registryValue(ownerId: string): string {
  return chunkQuoted(Buffer.from(`heritage=${HERITAGE},trueup/owner=${ownerId}`));
}

/** The owner a registry TXT value names (canonical or not), or undefined when it is not trueup's. */
export function parseRegistryValue(value: string): string | undefined {
  let text: string;
  try {
    text = txtBytes(value).toString('utf8');
  } catch (error) {
    if (error instanceof DnsValueError) return undefined;
    throw error;
  }
  const fields = new Map(text.split(',').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? [part.trim(), ''] as const : [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
  }));
  if (fields.get('heritage') !== HERITAGE) return undefined;
  const owner = fields.get('trueup/owner');
  return owner ? owner : undefined;
}

/** Registry marks found in a zone: `name type` → owner id, and the names that are registry records. */
export class RegistryIndex {
  private readonly owners = new Map<string, string[]>();
  private readonly names = new Set<string>();
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Feed every observed TXT record set; returns true when it is a registry record (hide it). */
  add(name: string, type: string, values: readonly string[]): boolean {
    if (type !== 'TXT') return false;
    const target = parseRegistryName(name, this.prefix);
    if (!target) return false;
    const owners = values.map(parseRegistryValue).filter((o): o is string => o !== undefined);
    if (owners.length === 0) return false;
    this.names.add(name);
    this.owners.set(`${target.name} ${target.type}`, owners);
    return true;
  }

  /** The record a registry name marks (undefined when `name` is not in the registry namespace). */
  targetOf(name: string): { name: string; type: string } | undefined {
    return parseRegistryName(name, this.prefix);
  }

  isRegistry(name: string, type: string): boolean {
    return type === 'TXT' && this.names.has(name);
  }

  /** Owner ids marking `name`/`type` (empty when unmarked). */
  ownersOf(name: string, type: string): readonly string[] {
    return this.owners.get(`${name} ${type}`) ?? [];
  }
}

export interface OwnershipVerdict {
  ownership: Ownership;
  /** Never delete when undeclared (apex SOA and NS). */
  protected?: boolean;
}

/** Ownership of one observed record set. `registry` is required for shared zones. */
export function recordOwnership(input: {
  management: Management;
  zone: string;
  name: string;
  type: string;
  ownerId: string;
  registry?: RegistryIndex;
}): OwnershipVerdict {
  const apexHost = input.name === input.zone && (input.type === 'SOA' || input.type === 'NS');
  if (input.management === 'full') {
    return apexHost ? { ownership: { state: 'owned' }, protected: true } : { ownership: { state: 'owned' } };
  }
  const owners = input.registry?.ownersOf(input.name, input.type) ?? [];
  const verdict: OwnershipVerdict = owners.includes(input.ownerId)
    ? { ownership: { state: 'owned' } }
    : owners.length > 0 ? { ownership: { state: 'foreign', owner: owners[0] as string } } : { ownership: { state: 'unowned' } };
  if (apexHost) verdict.protected = true;
  return verdict;
}

/** `dangerous` hook for record set object types: apex NS changes re-delegate the whole zone. */
export function apexNsDanger(change: { action: string; scope: string; before?: unknown; after?: unknown }): string | undefined {
  const v = (change.after ?? change.before) as { name?: unknown; type?: unknown } | undefined;
  const zone = change.scope.startsWith('zone/') ? change.scope.slice(5) : undefined;
  if (v && v.type === 'NS' && v.name === zone) return `${change.action} of the apex NS records of ${zone} changes the zone's delegation`;
  return undefined;
}

/** Does this Zone document ask to adopt a live zone trueup did not create? */
export function adoptRequested(resource: { metadata: { annotations?: Record<string, string> } } | undefined): boolean {
  return resource?.metadata.annotations?.[ADOPT_ANNOTATION] === 'true';
}

/**
 * What the plan says, once per zone, about a zone declared `management: full` that trueup cannot
 * prove it created: why its record sets are left alone and the two ways to adopt it. `mark` names
 * the missing proof (`trueup.dev/owner tag`), `importHint` the import command line for this zone.
 */
/** Why a record set of such a zone is left alone: adopting is done on the zone, so the record's
 * line points there instead of repeating how to adopt. */
export const UNPROVEN_ZONE_RECORD_REASON = 'exists but carries no trueup owner mark, in a zone trueup cannot prove it created: left alone until the zone is adopted (see the zone)';

export function unprovenZoneReason(input: { mark: string; importHint: string }): string {
  return `exists but trueup cannot prove it created it (no ${input.mark}), so it is read as a shared zone whatever Git declares: `
    + 'only record sets trueup\'s registry records mark are managed, the others are left alone. '
    + `To adopt the zone (trueup then owns it and, with management: full, every record set in it), add metadata.annotations: { ${ADOPT_ANNOTATION}: "true" } `
    + `to this Zone, or write the Zone from the live zone with: ${input.importHint}`;
}
