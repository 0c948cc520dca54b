// Groups take no tags: trueup proves it created a group with an inline owner-mark policy
// written right after CreateGroup (owner-mark.ts). Path is updatable in place (UpdateGroup
// NewPath). Delete removes members, policies and attachments first, and the mark last.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { JUST_CREATED, NO_SUCH_ENTITY } from '../client.ts';
import { parseDocument, serializeDocument } from '../document.ts';
import type { GroupValue } from '../model.ts';
import type { GroupHandle } from '../observe.ts';
import { GROUP_OWNER_MARK, ownerMarkDocument, ownerOfMark } from '../owner-mark.ts';
import { adoption, alreadyExists, deleteInline, detach, nameOf, resolvedAfter, syncPolicies, type ApplyEnv } from './common.ts';

export async function applyGroup(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  const handle = change.observed?.handle as GroupHandle | undefined;
  switch (change.action) {
    case 'create':
      return createGroup(env, change, name);
    case 'update':
      return updateGroup(env, change, name);
    case 'delete':
      return deleteGroup(env, change.display, name, change.before as GroupValue, handle);
    case 'replace':
      await deleteGroup(env, change.display, name, change.before as GroupValue, handle);
      return createGroup(env, change, name);
  }
}

/** Write this source's owner mark on a group (after CreateGroup, when adopting, on import). */
export async function writeOwnerMark(env: ApplyEnv, subject: string, name: string): Promise<void> {
  const PolicyDocument = serializeDocument(ownerMarkDocument(env.ctx.ownerId));
  await env.api.write(env.ctx, 'PutGroupPolicy', `${subject} owner mark ${GROUP_OWNER_MARK}`, (m, c) =>
    c.send(new m.PutGroupPolicyCommand({ GroupName: name, PolicyName: GROUP_OWNER_MARK, PolicyDocument })), { retryOn: JUST_CREATED });
}

async function createGroup(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const after = resolvedAfter<GroupValue>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreateGroup', change.display, (m, c) => c.send(new m.CreateGroupCommand({ GroupName: name, Path: after.path })), {
    doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false),
  });
  if (exists) {
    // Observe did not see it: it appeared since, or lives under a path this source does not
    // read. Ours only when it carries this source's mark (an earlier apply wrote it).
    const live = (await api.read(ctx, 'GetGroup', change.display, (m, c) => c.send(new m.GetGroupCommand({ GroupName: name, MaxItems: 1 })))).Group;
    const owner = await readOwnerMark(env, change.display, name);
    if (!live || owner !== ctx.ownerId) throw alreadyExists(change.display, 'CreateGroup', owner, ctx.ownerId, `group/${name}`, live?.Path, 'owner mark');
    api.learnAccount(live.Arn);
    const before: JsonObject = { path: live.Path ?? '/', inlinePolicies: {}, managedPolicies: [] };
    return updateGroup(env, adoption(env, change, before), name);
  }
  api.learnAccount(created?.Group?.Arn);
  // A crash before this call leaves a group without the mark: unowned, and the next plan says
  // how to adopt it. Nothing else is written to the group before its mark.
  await writeOwnerMark(env, change.display, name);
  await syncPolicies(env, 'group', name, change.display, undefined, after);
}

async function updateGroup(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  let before = change.before as GroupValue;
  const after = resolvedAfter<GroupValue>(env, change);
  // Adopting (trueup.dev/adopt, safety.adoptUnowned): the mark comes first. It overwrites a
  // policy someone put under the reserved name, which the plan showed as removed.
  if (change.observed?.ownership.state !== 'owned') {
    await writeOwnerMark(env, change.display, name);
    const { [GROUP_OWNER_MARK]: _replaced, ...inlinePolicies } = before.inlinePolicies;
    before = { ...before, inlinePolicies };
  }
  if (before.path !== after.path) {
    await env.api.write(env.ctx, 'UpdateGroup', change.display, (m, c) => c.send(new m.UpdateGroupCommand({ GroupName: name, NewPath: after.path })));
  }
  return syncPolicies(env, 'group', name, change.display, before, after);
}

/** The owner id of a group's mark, or undefined when it has none. */
async function readOwnerMark(env: ApplyEnv, subject: string, name: string): Promise<string | undefined> {
  try {
    const got = await env.api.read(env.ctx, 'GetGroupPolicy', subject, (m, c) => c.send(new m.GetGroupPolicyCommand({ GroupName: name, PolicyName: GROUP_OWNER_MARK })));
    return ownerOfMark(parseDocument(got.PolicyDocument ?? '{}'));
  } catch (error) {
    if ((error as { code?: string }).code === 'NoSuchEntity') return undefined;
    throw error;
  }
}

async function deleteGroup(env: ApplyEnv, subject: string, name: string, before: GroupValue, handle: GroupHandle | undefined): Promise<void> {
  const { api, ctx } = env;
  for (const user of handle?.members ?? []) {
    await api.write(ctx, 'RemoveUserFromGroup', `${subject} member ${user}`, (m, c) => c.send(new m.RemoveUserFromGroupCommand({ GroupName: name, UserName: user })), { doneOn: NO_SUCH_ENTITY });
  }
  for (const arn of before.managedPolicies) await detach(env, 'group', name, subject, arn);
  for (const policy of Object.keys(before.inlinePolicies)) await deleteInline(env, 'group', name, subject, policy);
  // The mark goes last, just before DeleteGroup: a delete interrupted earlier leaves a group that
  // is still provably ours, and the next pass finishes it.
  await deleteInline(env, 'group', name, subject, GROUP_OWNER_MARK);
  await api.write(ctx, 'DeleteGroup', subject, (m, c) => c.send(new m.DeleteGroupCommand({ GroupName: name })), {
    doneOn: NO_SUCH_ENTITY, retryOn: (e) => e.code === 'DeleteConflict',
  });
}
