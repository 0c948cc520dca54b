// Before changing or deleting a policy whose ownership was judged on tags from an earlier pass
// (policy-tags.ts), read its tags again: a write never rests on a stale proof. A policy whose
// owner tag is no longer this source's (removed or changed by hand since) is left alone.

import type { ApplyChange } from '../../../src/sdk/index.ts';
import { TerminalError } from '../../../src/sdk/index.ts';
import { ownerOf, TYPES } from '../model.ts';
import { readPolicyTags, type PolicyHandle } from '../observe.ts';
import type { ApplyEnv } from './common.ts';

export async function confirmPolicyOwner(env: ApplyEnv, change: ApplyChange): Promise<void> {
  if (change.type !== TYPES.policy || change.action === 'create') return;
  const handle = change.observed?.handle as PolicyHandle | undefined;
  if (!handle?.tagsCached || change.observed?.ownership.state !== 'owned') return;
  const owner = ownerOf(await readPolicyTags(env.api, env.ctx, handle.arn, change.display));
  if (owner !== env.ctx.ownerId) {
    throw new TerminalError(`${change.display} no longer carries this source's owner tag (${owner === undefined ? 'none' : `owner ${owner}`}); left alone, the next pass plans it again`, { subject: change.display, operation: 'ListPolicyTags', code: 'OwnershipChanged' });
  }
}
