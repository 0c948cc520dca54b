// Instance profiles: one role each. Path is immutable (replace); the role is swapped with
// RemoveRoleFromInstanceProfile + AddRoleToInstanceProfile.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { JUST_CREATED, NO_SUCH_ENTITY } from '../client.ts';
import { ownerOf, tagMap, type InstanceProfileValue } from '../model.ts';
import { adoption, alreadyExists, nameOf, resolvedAfter, syncTags, tagList, type ApplyEnv } from './common.ts';

type Profile = InstanceProfileValue & { role?: string };

export async function applyInstanceProfile(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  switch (change.action) {
    case 'create':
      return createProfile(env, change, name);
    case 'update':
      return updateProfile(env, change, name);
    case 'delete':
      return deleteProfile(env, change.display, name, change.before as Profile);
    case 'replace':
      await deleteProfile(env, change.display, name, change.before as Profile);
      return createProfile(env, change, name);
  }
}

async function createProfile(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const after = resolvedAfter<Profile>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreateInstanceProfile', change.display, (m, c) => c.send(new m.CreateInstanceProfileCommand({
    InstanceProfileName: name, Path: after.path, Tags: tagList(after.tags, ctx.ownerId),
  })), { doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false) });
  if (exists) {
    const live = (await api.read(ctx, 'GetInstanceProfile', change.display, (m, c) => c.send(new m.GetInstanceProfileCommand({ InstanceProfileName: name })))).InstanceProfile;
    const owner = ownerOf(live?.Tags);
    if (!live || owner !== ctx.ownerId || live.Path !== after.path) throw alreadyExists(change.display, 'CreateInstanceProfile', owner, ctx.ownerId, `instance-profile/${name}`, live?.Path);
    const before: JsonObject = { path: live.Path, tags: tagMap(live.Tags) };
    const role = live.Roles?.[0]?.RoleName;
    if (role) before.role = role;
    return updateProfile(env, adoption(env, change, before), name);
  }
  api.learnAccount(created?.InstanceProfile?.Arn);
  if (after.role) await addRole(env, change.display, name, after.role);
}

async function updateProfile(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const before = change.before as Profile;
  const after = resolvedAfter<Profile>(env, change);
  const subject = change.display;
  if (before.role !== after.role) {
    if (before.role) await removeRole(env, subject, name, before.role);
    if (after.role) await addRole(env, subject, name, after.role);
  }
  await syncTags(env, subject, before.tags, after.tags, change.observed?.ownership.state !== 'owned',
    (Tags) => api.write(ctx, 'TagInstanceProfile', subject, (m, c) => c.send(new m.TagInstanceProfileCommand({ InstanceProfileName: name, Tags }))),
    (TagKeys) => api.write(ctx, 'UntagInstanceProfile', subject, (m, c) => c.send(new m.UntagInstanceProfileCommand({ InstanceProfileName: name, TagKeys }))));
}

async function addRole(env: ApplyEnv, subject: string, name: string, role: string): Promise<void> {
  await env.api.write(env.ctx, 'AddRoleToInstanceProfile', `${subject} role ${role}`, (m, c) =>
    c.send(new m.AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })), { retryOn: JUST_CREATED });
}

async function removeRole(env: ApplyEnv, subject: string, name: string, role: string): Promise<void> {
  await env.api.write(env.ctx, 'RemoveRoleFromInstanceProfile', `${subject} role ${role}`, (m, c) =>
    c.send(new m.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })), { doneOn: NO_SUCH_ENTITY });
}

async function deleteProfile(env: ApplyEnv, subject: string, name: string, before: Profile): Promise<void> {
  if (before.role) await removeRole(env, subject, name, before.role);
  await env.api.write(env.ctx, 'DeleteInstanceProfile', subject, (m, c) => c.send(new m.DeleteInstanceProfileCommand({ InstanceProfileName: name })), {
    doneOn: NO_SUCH_ENTITY, retryOn: (e) => e.code === 'DeleteConflict',
  });
}
