// Ownership marks on managed zones. Cloud DNS has no tags, so trueup writes labels on the zones
// it creates, as the Route 53 provider writes hosted-zone tags:
//
//   managed-by: trueup
//   trueup-owner: <owner id, label-safe>       only a zone carrying this source's owner may be deleted
//   trueup-management: full | shared           how to read its records once the Zone leaves Git
//   trueup-registry-prefix: <prefix>           only when not the default `_trueup`
//
// Label values are lower-case `[a-z0-9_-]{0,63}`; owner ids are `[A-Za-z0-9._-]{1,63}`, so an owner
// id is lower-cased and `.` becomes `_`, the same way when writing and when comparing. Two owner ids
// that differ only in case or in `.` against `_` therefore share a zone mark: give sources owner ids
// that differ otherwise. Registry prefixes are compared lower-case everywhere, so lower-casing the
// prefix loses nothing.

import { DEFAULT_REGISTRY_PREFIX, type Management } from '../../src/sdk/dns/index.ts';

export const MANAGED_BY_LABEL = 'managed-by';
export const OWNER_LABEL = 'trueup-owner';
export const MANAGEMENT_LABEL = 'trueup-management';
export const REGISTRY_PREFIX_LABEL = 'trueup-registry-prefix';

/** An owner id (or any mark) as a label value: lower-case, `[a-z0-9_-]`, at most 63 characters. */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, '_').slice(0, 63);
}

/** The registry prefix label value, or undefined for the default prefix (not written). */
export function prefixLabel(registryPrefix: string): string | undefined {
  const value = labelValue(registryPrefix);
  return value === DEFAULT_REGISTRY_PREFIX ? undefined : value;
}

/** Labels a zone created by `ownerId` carries. */
export function ownerLabels(ownerId: string, management: Management, registryPrefix: string): Record<string, string> {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: 'trueup', [OWNER_LABEL]: labelValue(ownerId), [MANAGEMENT_LABEL]: management };
  const prefix = prefixLabel(registryPrefix);
  if (prefix !== undefined) labels[REGISTRY_PREFIX_LABEL] = prefix;
  return labels;
}

export interface ZoneMarks {
  /** The owner label as written (undefined: the zone carries no owner mark, e.g. made by hand). */
  owner?: string;
  /** Carries this source's owner mark. */
  ours: boolean;
  management?: Management;
  registryPrefix?: string;
}

/** Read the ownership labels of a live zone for `ownerId`. */
export function zoneMarks(labels: Readonly<Record<string, string>> | undefined, ownerId: string): ZoneMarks {
  const raw = labels?.[OWNER_LABEL];
  const owner = raw === undefined || raw === '' ? undefined : raw;
  const marks: ZoneMarks = { ours: owner !== undefined && owner === labelValue(ownerId) };
  if (owner !== undefined) marks.owner = owner;
  const management = labels?.[MANAGEMENT_LABEL];
  if (management === 'full' || management === 'shared') marks.management = management;
  const prefix = labels?.[REGISTRY_PREFIX_LABEL];
  if (prefix !== undefined && prefix !== '') marks.registryPrefix = prefix;
  return marks;
}
