// Groups: cannot be tagged, so trueup owns a group by its path (docs/iam.md). Path is updatable
// in place (UpdateGroup NewPath). Delete removes members, policies and attachments first.

import type { ApplyChange } from '../../../src/sdk/index.ts';
import { TerminalError } from '../../../src/sdk/index.ts';
import { NO_SUCH_ENTITY } from '../client.ts';
import type { GroupValue } from '../model.ts';
import type { GroupHandle } from '../observe.ts';
import { deleteInline, detach, nameOf, resolvedAfter, syncPolicies, type ApplyEnv } from './common.ts';

export async function applyGroup(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  const handle = change.observed?.handle as GroupHandle | undefined;
  switch (change.action) {
    case 'create':
      return createGroup(env, change, name);
    case 'update': {
      const before = change.before as GroupValue;
      const after = resolvedAfter<GroupValue>(env, change);
      if (before.path !== after.path) {
        await env.api.write(env.ctx, 'UpdateGroup', change.display, (m, c) => c.send(new m.UpdateGroupCommand({ GroupName: name, NewPath: after.path })));
      }
      return syncPolicies(env, 'group', name, change.display, before, after);
    }
    case 'delete':
      return deleteGroup(env, change.display, name, change.before as GroupValue, handle);
    case 'replace':
      await deleteGroup(env, change.display, name, change.before as GroupValue, handle);
      return createGroup(env, change, name);
  }
}

async function createGroup(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const after = resolvedAfter<GroupValue>(env, change);
  let exists = false;
  const created = await env.api.write(env.ctx, 'CreateGroup', change.display, (m, c) => c.send(new m.CreateGroupCommand({ GroupName: name, Path: after.path })), {
    doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false),
  });
  if (exists) {
    // Groups under this source's paths are observed as owned; one that exists anyway lives
    // under a path this source may not touch, so it is someone else's.
    throw new TerminalError(`already exists under a path this source does not manage; groups cannot carry an owner tag, so trueup owns only the groups under its allowed paths. Move the group there (aws iam update-group --new-path), or remove it from Git`, {
      subject: change.display, operation: 'CreateGroup', code: 'EntityAlreadyExists',
    });
  }
  env.api.learnAccount(created?.Group?.Arn);
  await syncPolicies(env, 'group', name, change.display, undefined, after);
}

async function deleteGroup(env: ApplyEnv, subject: string, name: string, before: GroupValue, handle: GroupHandle | undefined): Promise<void> {
  const { api, ctx } = env;
  for (const user of handle?.members ?? []) {
    await api.write(ctx, 'RemoveUserFromGroup', `${subject} member ${user}`, (m, c) => c.send(new m.RemoveUserFromGroupCommand({ GroupName: name, UserName: user })), { doneOn: NO_SUCH_ENTITY });
  }
  for (const arn of before.managedPolicies) await detach(env, 'group', name, subject, arn);
  for (const policy of Object.keys(before.inlinePolicies)) await deleteInline(env, 'group', name, subject, policy);
  await api.write(ctx, 'DeleteGroup', subject, (m, c) => c.send(new m.DeleteGroupCommand({ GroupName: name })), {
    doneOn: NO_SUCH_ENTITY, retryOn: (e) => e.code === 'DeleteConflict',
  });
}
