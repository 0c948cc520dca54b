// Tags of customer-managed policies, remembered across the daemon's passes.
//
// No bulk IAM call returns policy tags (GetAccountAuthorizationDetails leaves them out), so an
// exact observe costs one ListPolicyTags per policy. A `steady` observe (the daemon) reuses the
// tags it read for a policy whose GAAD entry is unchanged (UpdateDate, default version,
// attachment count) and that were read less than `policyTagsRefreshSeconds` ago (default 15
// minutes): tagging a policy changes none of those fields, so a tag edited by hand shows up
// within that refresh time, not at once.
//
// Ownership is never decided on these alone for a write: a change planned from cached tags
// carries `tagsCached` on its handle, and apply re-reads the policy's tags and refuses to touch a
// policy whose owner tag is no longer this source's (apply/proof.ts).

export interface Tag { Key?: string | undefined; Value?: string | undefined }

export class PolicyTagCache {
  private entries = new Map<string, { fingerprint: string; tags: Tag[]; at: number }>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.maxAgeMs = maxAgeMs;
    this.now = now;
  }

  get(arn: string, fingerprint: string): Tag[] | undefined {
    const e = this.entries.get(arn);
    if (!e || e.fingerprint !== fingerprint || this.now() - e.at > this.maxAgeMs) return undefined;
    return e.tags.map((t) => ({ ...t }));
  }

  /** Entries of the policies one pass saw (the others are dropped with `retain`). */
  set(arn: string, fingerprint: string, tags: Tag[]): void {
    this.entries.set(arn, { fingerprint, tags: tags.map((t) => ({ ...t })), at: this.now() });
  }

  retain(arns: ReadonlySet<string>): void {
    for (const arn of [...this.entries.keys()]) if (!arns.has(arn)) this.entries.delete(arn);
  }
}

/** What in a GAAD policy entry moves when the policy is written (not when it is tagged). */
export function policyFingerprint(p: { UpdateDate?: Date | undefined; DefaultVersionId?: string | undefined; AttachmentCount?: number | undefined }): string {
  return `${p.UpdateDate ? new Date(p.UpdateDate).getTime() : ''}|${p.DefaultVersionId ?? ''}|${p.AttachmentCount ?? ''}`;
}
