// Which replica should reconcile a source, and what its Leases are called. Pure functions.
//
// Placement is rendezvous (highest-random-weight) hashing: every replica scores each
// (source, member) pair with the same hash and the source goes to the member with the highest
// score. Every replica that sees the same members computes the same answer with no messages
// between them; when a member joins it takes about 1/N of the sources, from every other member
// alike, and nothing else moves; when one leaves only its own sources move, spread over the
// rest. (A consistent-hash ring needs virtual nodes to be this even; a modulo assignment moves
// almost everything when N changes.) The score is the first 8 bytes of SHA-256, so identities
// that differ in one character score independently. Loads are bounded (placeSources) so few
// sources on few replicas are spread evenly too.

import { createHash } from 'node:crypto';

function score(source: string, member: string): bigint {
  return createHash('sha256').update(source).update('\u0000').update(member).digest().readBigUInt64BE(0);
}

/** The member a source should live on (undefined when there are none). Ties (never seen with a
 * 64-bit score) go to the smaller identity so every replica agrees. */
export function preferredMember(source: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const member of members) {
    const s = score(source, member);
    if (s > bestScore || (s === bestScore && best !== undefined && member < best)) {
      best = member;
      bestScore = s;
    }
  }
  return best;
}

/** How far above the mean a member's share may go (bounded loads): 1.25 → at most 25% more. */
export const LOAD_SLACK = 1.25;

/**
 * Every source's member. Pure rendezvous hashing is even only on average: 30 sources on 3
 * members can come out 15/9/6. So loads are bounded (consistent hashing with bounded loads,
 * Mirrokni, Thorup and Zadimoghaddam 2018): sources are placed in name order, each on the
 * highest-scoring member that has fewer than ceil(slack × sources / members). Every replica still
 * computes the same answer from the same (sources, members); a join or leave moves a little more
 * than the minimum (sources cascading off members that would go over the bound), measured in
 * test/controller/placement.test.ts.
 */
export function placeSources(sources: readonly string[], members: readonly string[], slack = LOAD_SLACK): Map<string, string> {
  const out = new Map<string, string>();
  if (members.length === 0) return out;
  const cap = Math.max(1, Math.ceil((slack * sources.length) / members.length));
  const load = new Map<string, number>(members.map((m) => [m, 0]));
  for (const source of [...sources].sort()) {
    const ranked = [...members].sort((a, b) => {
      const sa = score(source, a);
      const sb = score(source, b);
      return sa === sb ? (a < b ? -1 : 1) : sa > sb ? -1 : 1;
    });
    const member = ranked.find((m) => (load.get(m) ?? 0) < cap) ?? ranked[0] ?? '';
    load.set(member, (load.get(member) ?? 0) + 1);
    out.set(source, member);
  }
  return out;
}

// ----- lease names ---------------------------------------------------------------------------

/** Lease names are DNS-1123 subdomains: at most 253 characters; we keep them to 63 (a label) so
 * they also fit where names are used as label values. */
const MAX_NAME = 63;

function dnsSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
}

/** `base-part`, DNS-1123-safe; when it had to be changed or shortened, a hash of the original
 * keeps different inputs apart (`base-part-1a2b3c4d`). */
export function boundedName(base: string, part: string): string {
  const raw = `${base}-${part}`;
  const safe = dnsSafe(raw);
  if (safe === raw && safe.length <= MAX_NAME) return safe;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  const room = MAX_NAME - hash.length - 1;
  const head = safe.slice(0, room).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** The Lease that says which replica reconciles `source`. */
export function sourceLeaseName(base: string, source: string): string {
  return boundedName(base, `source-${source}`);
}

/** The Lease a replica holds while it is alive and taking sources. */
export function memberLeaseName(base: string, identity: string): string {
  return boundedName(base, `member-${identity}`);
}

/** Labels on every Lease of one shard group: one LIST finds them all. */
export const GROUP_LABEL = 'trueup.dev/shard-group';
/** `member` (one per replica) or `source` (one per source). */
export const ROLE_LABEL = 'trueup.dev/shard-role';
/** On a source Lease: the source's name as configured (names may be longer than a label value:
 * kept in an annotation instead). */
export const SOURCE_ANNOTATION = 'trueup.dev/source';
