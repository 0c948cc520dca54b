// Before changing or deleting a policy whose ownership was judged on tags from an earlier pass
// (policy-tags.ts), read its tags again: a write never rests on a stale proof. A policy whose
// owner tag is no longer this source's (removed or changed by hand since) is left alone.

import type { ApplyChange } from '../../../src/sdk/index.ts';
import { TerminalError } from '../../../src/sdk/index.ts';
import { ownerOf, TYPES } from '../model.ts';
import { listAll, type PolicyHandle } from '../observe.ts';
import type { ApplyEnv } from './common.ts';

export async function confirmPolicyOwner(env: ApplyEnv, change: ApplyChange): Promise<void> {
  if (change.type !== TYPES.policy || change.action === 'create') return;
  const handle = change.observed?.handle as PolicyHandle | undefined;
  if (!handle?.tagsCached || change.observed?.ownership.state !== 'owned') return;
  const tags = await listAll(env.api, env.ctx, 'ListPolicyTags', change.display, (m, c, marker) =>
    c.send(new m.ListPolicyTagsCommand({ PolicyArn: handle.arn, MaxItems: 100, ...(marker ? { Marker: marker } : {}) })).then((o) => ({ items: o.Tags ?? [], marker: o.IsTruncated ? o.Marker : undefined })));
  const owner = ownerOf(tags);
  if (owner !== env.ctx.ownerId) {
    throw new TerminalError(`${change.display} no longer carries this source's owner tag (${owner === undefined ? 'none' : `owner ${owner}`}); left alone, the next pass plans it again`, { subject: change.display, operation: 'ListPolicyTags', code: 'OwnershipChanged' });
  }
}
