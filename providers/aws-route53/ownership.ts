// How a hosted zone proves it is trueup's. The owner tag (`trueup.dev/owner`) is written by a
// second call (ChangeTagsForResource) after CreateHostedZone: a process killed in between, a lost
// create response or a hanging tag call leaves a zone without it. So the create call itself
// carries the proof: the CallerReference, which Route 53 keeps for the zone's life (it cannot be
// changed) and returns in ListHostedZones / GetHostedZone:
//
//   trueup:<owner>:<uuid>      <owner> is the owner id, or `sha256-<40 hex>` of it when too long
//
// CallerReference is at most 128 characters (Route 53 API reference, HostedZone; older references
// say "less than 128 bytes", so stay at 127); owner ids are `[A-Za-z0-9._-]`, which never contain
// the `:` separator. A zone whose CallerReference names this owner is ours even without tags, and
// the next plan shows the update that writes the missing tags. The Comment is not used: a person may
// edit it (UpdateHostedZoneComment) and Git declares it (`route53.comment`).

import { createHash, randomUUID } from 'node:crypto';

const PREFIX = 'trueup:';
const MAX_CALLER_REFERENCE = 127;
const UUID_LENGTH = 36;

/** The owner as written in a CallerReference: the id itself, or a hash when it would not fit. */
export function callerOwner(ownerId: string): string {
  const room = MAX_CALLER_REFERENCE - PREFIX.length - 1 - UUID_LENGTH;
  if (Buffer.byteLength(ownerId) <= room && !ownerId.includes(':')) return ownerId;
  return `sha256-${createHash('sha256').update(ownerId).digest('hex').slice(0, 40)}`;
}

/** A fresh CallerReference for CreateHostedZone (unique per attempt, as Route 53 requires). */
export function callerReference(ownerId: string): string {
  return `${PREFIX}${callerOwner(ownerId)}:${randomUUID()}`;
}

/** The owner a CallerReference names, or undefined when trueup did not write it. */
export function ownerFromCallerReference(reference: string | undefined): string | undefined {
  if (!reference?.startsWith(PREFIX)) return undefined;
  const rest = reference.slice(PREFIX.length);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return rest.slice(0, colon);
}
