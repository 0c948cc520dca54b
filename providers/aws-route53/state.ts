// What one instance remembers between observe and apply of the same reconcile: the hosted zones
// it saw (ids, management mode, registry records). Never persisted: every pass re-observes.

import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { Management } from '../../src/sdk/dns/index.ts';

export const OWNER_TAG = 'trueup.dev/owner';
export const MANAGEMENT_TAG = 'trueup.dev/management';
export const REGISTRY_PREFIX_TAG = 'trueup.dev/registry-prefix';

export interface ZoneState {
  /** Bare hosted zone id (`Z123…`). */
  id: string;
  name: string;
  private: boolean;
  management: Management;
  registryPrefix: string;
  /** TTL for registry records (the zone's default TTL). */
  registryTtl: number;
  /** Live registry TXT sets, by `name type` of the record they mark. */
  registryLive: Map<string, ResourceRecordSet>;
  /** Keys of owned record sets, by `name type` (sets of a weighted group share one registry record). */
  ownedGroups: Map<string, Set<string>>;
  /** Our zone was full until now and Git makes it shared: its sets were provably ours, so they
   * stay owned for this pass, and each one without a registry mark plans an update that writes it. */
  leavingFull?: boolean;
  /** Nobody's marks prove the zone trueup's and Git does not adopt it: its unowned sets say so. */
  unproven?: boolean;
}

export interface RecordHandle {
  zoneId: string;
  /** The live set exactly as listed: a DELETE must send exactly this. */
  live: ResourceRecordSet;
}

export interface ZoneHandle {
  zoneId: string;
  /** Carries this source's owner tag. */
  tagged: boolean;
  /** Proven ours: the owner tag, or a CallerReference trueup wrote for this owner (only then may
   * it be deleted). */
  ours: boolean;
  /** The next update writes the owner tags: on a zone being adopted, or on ours without them. */
  writeOwnerTags?: 'adopt' | 'repair';
}

export class InstanceState {
  readonly zones = new Map<string, ZoneState>();
  /** Change ids of applied record changes, by planned change key (for INSYNC waits). */
  readonly changeIds = new Map<string, string>();
}

export function groupKey(name: string, type: string): string {
  return `${name} ${type}`;
}
