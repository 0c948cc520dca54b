// What the server's dry run made of a manifest, remembered across the daemon's passes.
//
// A server-side dry run of the same manifest against the same live object (same resourceVersion)
// answers the same, except where the server's own rules moved: a CRD's schema or defaults
// changed, an admission webhook was added. So a `steady` observe (ObserveRequest.freshness: the
// daemon) reuses the refined value when
//   - the manifest sent would be byte-for-byte the same (sha256 of its JSON),
//   - the live object's resourceVersion is the one the dry run saw (any write to the object,
//     by anyone, bumps it: kubectl edit, a controller's status update, trueup's own apply),
//   - the CRD serving the kind, when trueup manages it, has the resourceVersion it had then, and
//   - the entry is younger than `maxAgeMs` (catches webhook and defaulting changes the key cannot
//     see; Argo CD's cluster cache resyncs in full on a timer for the same reason).
// Only answers worth repeating are kept: a 2xx dry run of an object that exists. Refusals,
// immutable-field answers and creates are asked again every pass. `exact` observes (the CLI,
// approvals) never read the cache, but refresh it.
//
// Entries are per owner id (sources sharing an instance do not see each other's manifests) and
// only for the objects the last pass declared, so the cache is as large as the revision.

import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';

export interface DryRunKey {
  manifest: JsonObject;
  resourceVersion: string;
  /** resourceVersion of the live CRD serving the kind ('' for built-in kinds or unmanaged CRDs). */
  schemaVersion: string;
}

interface Entry {
  digest: string;
  value: JsonValue;
  at: number;
}

export class DryRunCache {
  private readonly byOwner = new Map<string, Map<string, Entry>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  /** The refined value of a dry run still valid for `key`, or undefined. */
  get(owner: string, objectKey: string, key: DryRunKey): JsonValue | undefined {
    const entry = this.byOwner.get(owner)?.get(objectKey);
    if (!entry || this.now() - entry.at > this.maxAgeMs) return undefined;
    // A copy: the planner's normalisation must not reach the next pass's answer.
    return entry.digest === digestOf(key) ? structuredClone(entry.value) : undefined;
  }

  /** Start a pass: entries for objects it does not declare are dropped at `commit`. */
  pass(owner: string): DryRunPass {
    const previous = this.byOwner.get(owner) ?? new Map<string, Entry>();
    const next = new Map<string, Entry>();
    return {
      keep: (objectKey) => {
        const e = previous.get(objectKey);
        if (e) next.set(objectKey, e);
      },
      remember: (objectKey, key, value) => {
        next.set(objectKey, { digest: digestOf(key), value, at: this.now() });
      },
      commit: () => {
        this.byOwner.set(owner, next);
      },
    };
  }
}

export interface DryRunPass {
  /** The pass reused this object's entry: keep it. */
  keep(objectKey: string): void;
  /** The pass dry-ran this object and may reuse the answer next time. */
  remember(objectKey: string, key: DryRunKey, value: JsonValue): void;
  /** The pass completed: what it kept and remembered replaces the owner's entries. */
  commit(): void;
}

function digestOf(key: DryRunKey): string {
  return createHash('sha256').update(JSON.stringify(key.manifest)).update('\0').update(key.resourceVersion).update('\0').update(key.schemaVersion).digest('hex');
}
