// After a merge: is what trueup applied what was reviewed? Both plans are reduced to their
// changes (action, provider, key, before, after) and checksummed without the revision — the
// preview planned GitHub's test merge commit, the branch then gets the real one — so equal
// checksums mean the same writes against the same live state.

import { planChecksum } from '../../plan/checksum.ts';
import { canonicalJson, printable as t, type PlannedChange } from '../../sdk/index.ts';

export function changesChecksum(source: string, changes: readonly PlannedChange[]): string {
  return planChecksum(source, 'pull-request-preview', changes);
}

export interface Comparison {
  same: boolean;
  /** What differs, one line each, at most `max` (then a count). */
  lines: string[];
}

/** Compare the applied changes with the previewed ones (undefined when only the checksum of
 * the preview is known, e.g. after a restart). */
export function compareApplied(previewed: readonly PlannedChange[] | undefined, previewedChecksum: string, applied: readonly PlannedChange[], source: string, max = 10): Comparison {
  if (changesChecksum(source, applied) === previewedChecksum) return { same: true, lines: [] };
  if (!previewed) return { same: false, lines: ['the preview is no longer in memory (the daemon restarted): only its checksum could be compared'] };
  const key = (c: PlannedChange) => `${c.provider}\u0000${c.key}`;
  const before = new Map(previewed.map((c) => [key(c), c]));
  const after = new Map(applied.map((c) => [key(c), c]));
  const lines: string[] = [];
  for (const [k, c] of after) {
    const p = before.get(k);
    if (!p) lines.push(`applied but not previewed: ${c.action} ${t(c.display)}`);
    else if (p.action !== c.action) lines.push(`${t(c.display)}: previewed ${p.action}, applied ${c.action}`);
    else if (canonicalJson(p.before ?? null) !== canonicalJson(c.before ?? null)) lines.push(`${t(c.display)}: live state changed between the preview and the apply`);
    else if (canonicalJson(p.after ?? null) !== canonicalJson(c.after ?? null)) lines.push(`${t(c.display)}: the declared value changed after the preview (a later commit)`);
  }
  for (const [k, p] of before) if (!after.has(k)) lines.push(`previewed but not applied: ${p.action} ${t(p.display)} (already done, or no longer declared)`);
  const shown = lines.slice(0, max);
  if (lines.length > max) shown.push(`… and ${lines.length - max} more`);
  return { same: false, lines: shown };
}
