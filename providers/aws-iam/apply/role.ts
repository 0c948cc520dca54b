// Roles: create (owner tag in CreateRole itself), update field by field, delete with its
// prerequisites (out of instance profiles, managed policies detached, inline ones deleted), and
// replace (path and name are immutable) as delete + create, putting it back into the instance
// profiles it was in.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { JUST_CREATED, NO_SUCH_ENTITY, isInvalidPrincipal, type AwsError } from '../client.ts';
import { parseDocument, serializeDocument } from '../document.ts';
import type { RoleValue } from '../model.ts';
import { ownerOf, tagMap } from '../model.ts';
import type { RoleHandle } from '../observe.ts';
import {
  adoption, alreadyExists, changed, deleteInline, detach, nameOf, resolvedAfter, syncPolicies, syncTags, tagList, type ApplyEnv,
} from './common.ts';

type Role = RoleValue & { description?: string; permissionsBoundary?: string };

const DELETE_CONFLICT = (e: AwsError) => e.code === 'DeleteConflict';

export async function applyRole(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  const handle = change.observed?.handle as RoleHandle | undefined;
  switch (change.action) {
    case 'create':
      return createRole(env, change, name);
    case 'update':
      return updateRole(env, change, name);
    case 'delete':
      return deleteRole(env, change.display, name, change.before as Role, handle);
    case 'replace': {
      await deleteRole(env, change.display, name, change.before as Role, handle);
      await createRole(env, change, name);
      // Instance profiles that held the old role hold the new one (same name).
      for (const profile of handle?.instanceProfiles ?? []) {
        await env.api.write(env.ctx, 'AddRoleToInstanceProfile', `${change.display} instance profile ${profile}`, (m, c) =>
          c.send(new m.AddRoleToInstanceProfileCommand({ InstanceProfileName: profile, RoleName: name })), { retryOn: JUST_CREATED });
      }
    }
  }
}

async function createRole(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const after = resolvedAfter<Role>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreateRole', change.display, (m, c) => c.send(new m.CreateRoleCommand({
    RoleName: name,
    Path: after.path,
    AssumeRolePolicyDocument: serializeDocument(after.assumeRolePolicy),
    MaxSessionDuration: after.maxSessionDuration,
    Tags: tagList(after.tags, ctx.ownerId),
    ...(after.description ? { Description: after.description } : {}),
    ...(after.permissionsBoundary ? { PermissionsBoundary: after.permissionsBoundary } : {}),
  })), {
    // A trust policy naming a role or OIDC provider created a moment ago: IAM needs a while.
    retryOn: (e) => isInvalidPrincipal(e) || e.code === 'NoSuchEntity',
    doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false),
  });
  if (exists) {
    const live = (await api.read(ctx, 'GetRole', change.display, (m, c) => c.send(new m.GetRoleCommand({ RoleName: name })))).Role;
    const owner = ownerOf(live?.Tags);
    if (!live || owner !== ctx.ownerId || live.Path !== after.path) throw alreadyExists(change.display, 'CreateRole', owner, ctx.ownerId, `role/${name}`, live?.Path);
    api.learnAccount(live.Arn);
    const before: JsonObject = {
      path: live.Path, assumeRolePolicy: parseDocument(live.AssumeRolePolicyDocument ?? '{}'), maxSessionDuration: live.MaxSessionDuration ?? 3600,
      tags: tagMap(live.Tags), inlinePolicies: {}, managedPolicies: [],
    };
    if (live.Description) before.description = live.Description;
    if (live.PermissionsBoundary?.PermissionsBoundaryArn) before.permissionsBoundary = live.PermissionsBoundary.PermissionsBoundaryArn;
    return updateRole(env, adoption(env, change, before), name);
  }
  api.learnAccount(created?.Role?.Arn);
  await syncPolicies(env, 'role', name, change.display, undefined, after);
}

async function updateRole(env: ApplyEnv, change: ApplyChange, name: string): Promise<void> {
  const { api, ctx } = env;
  const before = change.before as Role;
  const after = resolvedAfter<Role>(env, change);
  const subject = change.display;
  if (changed(before.assumeRolePolicy, after.assumeRolePolicy)) {
    await api.write(ctx, 'UpdateAssumeRolePolicy', subject, (m, c) => c.send(new m.UpdateAssumeRolePolicyCommand({
      RoleName: name, PolicyDocument: serializeDocument(after.assumeRolePolicy),
    })), { retryOn: JUST_CREATED });
  }
  if ((before.description ?? '') !== (after.description ?? '') || before.maxSessionDuration !== after.maxSessionDuration) {
    await api.write(ctx, 'UpdateRole', subject, (m, c) => c.send(new m.UpdateRoleCommand({
      RoleName: name, Description: after.description ?? '', MaxSessionDuration: after.maxSessionDuration,
    })));
  }
  if (before.permissionsBoundary !== after.permissionsBoundary) {
    const boundary = after.permissionsBoundary;
    if (boundary) {
      await api.write(ctx, 'PutRolePermissionsBoundary', subject, (m, c) => c.send(new m.PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: boundary })), { retryOn: JUST_CREATED });
    } else {
      await api.write(ctx, 'DeleteRolePermissionsBoundary', subject, (m, c) => c.send(new m.DeleteRolePermissionsBoundaryCommand({ RoleName: name })), { doneOn: NO_SUCH_ENTITY });
    }
  }
  await syncTags(env, subject, before.tags, after.tags, change.observed?.ownership.state !== 'owned',
    (Tags) => api.write(ctx, 'TagRole', subject, (m, c) => c.send(new m.TagRoleCommand({ RoleName: name, Tags }))),
    (TagKeys) => api.write(ctx, 'UntagRole', subject, (m, c) => c.send(new m.UntagRoleCommand({ RoleName: name, TagKeys }))));
  await syncPolicies(env, 'role', name, subject, before, after);
}

/** IAM refuses DeleteRole while the role is in an instance profile or has policies. */
export async function deleteRole(env: ApplyEnv, subject: string, name: string, before: Role, handle: RoleHandle | undefined): Promise<void> {
  const { api, ctx } = env;
  for (const profile of handle?.instanceProfiles ?? []) {
    await api.write(ctx, 'RemoveRoleFromInstanceProfile', `${subject} instance profile ${profile}`, (m, c) =>
      c.send(new m.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profile, RoleName: name })), { doneOn: NO_SUCH_ENTITY });
  }
  for (const arn of before.managedPolicies) await detach(env, 'role', name, subject, arn);
  for (const policy of Object.keys(before.inlinePolicies)) await deleteInline(env, 'role', name, subject, policy);
  await api.write(ctx, 'DeleteRole', subject, (m, c) => c.send(new m.DeleteRoleCommand({ RoleName: name })), {
    doneOn: NO_SUCH_ENTITY,
    retryOn: DELETE_CONFLICT,
    hint: (e) => (e.code === 'DeleteConflict' ? 'something attached to the role appeared after it was read; the next pass retries' : undefined),
  });
}
