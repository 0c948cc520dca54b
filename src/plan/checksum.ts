import { createHash } from 'node:crypto';
import { canonicalJson, type PlannedChange } from '../sdk/index.ts';

/** Identifies what a plan would do: same source, revision and changes ⇒ same checksum. */
export function planChecksum(source: string, revision: string, changes: readonly PlannedChange[]): string {
  const material = changes.map((c) => ({ action: c.action, provider: c.provider, key: c.key, before: c.before, after: c.after }));
  return createHash('sha256').update(canonicalJson({ source, revision, material })).digest('hex');
}
