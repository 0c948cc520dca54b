// Limits of one Cloud DNS change and one record set that trueup checks before the API does
// (Quota in the Cloud DNS v1 reference: rrsetAdditionsPerChange, rrsetDeletionsPerChange,
// totalRrdataSizePerChange, nameserversPerDelegation; the defaults every project starts with).

import type { ApiRrset } from './client.ts';

export const MAX_ADDITIONS = 1000;
export const MAX_DELETIONS = 1000;
/** Bytes of rrdata in one change, deletions and additions together. */
export const MAX_RRDATA_BYTES_PER_CHANGE = 100_000;
/** Name servers in one NS record set below the apex. */
export const MAX_NAMESERVERS_PER_DELEGATION = 8;

/** Bytes of rrdata a set carries: its rrdatas, or those of every routing policy item. */
export function rrdataBytes(rrset: ApiRrset): number {
  let bytes = 0;
  const walk = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) {
        if (key === 'rrdatas' && typeof item === 'string') bytes += Buffer.byteLength(item, 'utf8');
        else walk(item);
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(rrset.rrdatas, 'rrdatas');
  walk(rrset.routingPolicy);
  return bytes;
}
