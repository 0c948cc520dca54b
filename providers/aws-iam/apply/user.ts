// Users: no credentials (access keys, passwords stay out of Git). Path is updatable in place
// (UpdateUser NewPath); group membership, inline policies and attachments are exclusive.
// Delete removes it from its groups and its policies first, as IAM requires.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { JUST_CREATED, NO_SUCH_ENTITY } from '../client.ts';
import { ownerOf, tagMap, type UserValue } from '../model.ts';
import {
  adoption, alreadyExists, deleteInline, detach, nameOf, resolvedAfter, syncPolicies, syncTags, tagList, type ApplyEnv,
} from './common.ts';

type User = UserValue & { permissionsBoundary?: string };

export async function applyUser(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  switch (change.action) {
    case 'create':
      return createUser(env, change, name);
    case 'update':
      return updateUser(env, change, name);
    case 'delete':
      return deleteUser(env, change.display, name, change.before as User);
    case 'replace':
      await deleteUser(env, change.display, name, change.before as User);
      return createUser(env, change, name);
  }
}

async function createUser(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const after = resolvedAfter<User>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreateUser', change.display, (m, c) => c.send(new m.CreateUserCommand({
    UserName: name, Path: after.path, Tags: tagList(after.tags, ctx.ownerId),
    ...(after.permissionsBoundary ? { PermissionsBoundary: after.permissionsBoundary } : {}),
  })), { retryOn: JUST_CREATED, doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false) });
  if (exists) {
    const live = (await api.read(ctx, 'GetUser', change.display, (m, c) => c.send(new m.GetUserCommand({ UserName: name })))).User;
    const owner = ownerOf(live?.Tags);
    if (!live || owner !== ctx.ownerId) throw alreadyExists(change.display, 'CreateUser', owner, ctx.ownerId, `user/${name}`, live?.Path);
    api.learnAccount(live.Arn);
    const before: JsonObject = { path: live.Path ?? '/', groups: [], tags: tagMap(live.Tags), inlinePolicies: {}, managedPolicies: [] };
    if (live.PermissionsBoundary?.PermissionsBoundaryArn) before.permissionsBoundary = live.PermissionsBoundary.PermissionsBoundaryArn;
    return updateUser(env, adoption(env, change, before), name);
  }
  api.learnAccount(created?.User?.Arn);
  await syncGroups(env, change.display, name, [], after.groups);
  await syncPolicies(env, 'user', name, change.display, undefined, after);
}

async function updateUser(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const before = change.before as User;
  const after = resolvedAfter<User>(env, change);
  const subject = change.display;
  if (before.path !== after.path) {
    await api.write(ctx, 'UpdateUser', subject, (m, c) => c.send(new m.UpdateUserCommand({ UserName: name, NewPath: after.path })));
  }
  if (before.permissionsBoundary !== after.permissionsBoundary) {
    const boundary = after.permissionsBoundary;
    if (boundary) {
      await api.write(ctx, 'PutUserPermissionsBoundary', subject, (m, c) => c.send(new m.PutUserPermissionsBoundaryCommand({ UserName: name, PermissionsBoundary: boundary })), { retryOn: JUST_CREATED });
    } else {
      await api.write(ctx, 'DeleteUserPermissionsBoundary', subject, (m, c) => c.send(new m.DeleteUserPermissionsBoundaryCommand({ UserName: name })), { doneOn: NO_SUCH_ENTITY });
    }
  }
  await syncTags(env, subject, before.tags, after.tags, change.observed?.ownership.state !== 'owned',
    (Tags) => api.write(ctx, 'TagUser', subject, (m, c) => c.send(new m.TagUserCommand({ UserName: name, Tags }))),
    (TagKeys) => api.write(ctx, 'UntagUser', subject, (m, c) => c.send(new m.UntagUserCommand({ UserName: name, TagKeys }))));
  await syncGroups(env, subject, name, before.groups, after.groups);
  await syncPolicies(env, 'user', name, subject, before, after);
}

async function syncGroups(env: ApplyEnv, subject: string, name: string, before: string[], after: string[]): Promise<void> {
  const { api, ctx } = env;
  for (const group of after) {
    if (before.includes(group)) continue;
    await api.write(ctx, 'AddUserToGroup', `${subject} group ${group}`, (m, c) => c.send(new m.AddUserToGroupCommand({ UserName: name, GroupName: group })), { retryOn: JUST_CREATED });
  }
  for (const group of before) {
    if (after.includes(group)) continue;
    await api.write(ctx, 'RemoveUserFromGroup', `${subject} group ${group}`, (m, c) => c.send(new m.RemoveUserFromGroupCommand({ UserName: name, GroupName: group })), { doneOn: NO_SUCH_ENTITY });
  }
}

async function deleteUser(env: ApplyEnv, subject: string, name: string, before: User): Promise<void> {
  await syncGroups(env, subject, name, before.groups, []);
  for (const arn of before.managedPolicies) await detach(env, 'user', name, subject, arn);
  for (const policy of Object.keys(before.inlinePolicies)) await deleteInline(env, 'user', name, subject, policy);
  await env.api.write(env.ctx, 'DeleteUser', subject, (m, c) => c.send(new m.DeleteUserCommand({ UserName: name })), {
    doneOn: NO_SUCH_ENTITY,
    retryOn: (e) => e.code === 'DeleteConflict',
    hint: (e) => (e.code === 'DeleteConflict'
      ? 'the user still has credentials or devices trueup does not manage (access keys, password, MFA, SSH keys, signing certificates); remove them first'
      : undefined),
  });
}
