// Customer-managed policies. A document change is a new default version (CreatePolicyVersion
// SetAsDefault), deleting the oldest non-default version first when the five IAM allows exist.
// Delete follows real AWS semantics even where an emulator is laxer: detach from every role,
// user and group (ListEntitiesForPolicy), delete non-default versions, then DeletePolicy. It
// detaches only from the principals the plan listed (observe's attachments, refused unless
// forced when one is not this source's): one attached since is a DeleteConflict, as in IAM.
// Path, name and description are immutable: a replace re-attaches the new policy wherever the
// old one was attached when its ARN stays the same.

import type { ApplyChange, JsonObject } from '../../../src/sdk/index.ts';
import { TerminalError } from '../../../src/sdk/index.ts';
import { NO_SUCH_ENTITY, type AwsError } from '../client.ts';
import { parseDocument, serializeDocument } from '../document.ts';
import { arnOf, arnResource, ownerOf, tagMap, TYPES, type PolicyValue } from '../model.ts';
import type { PolicyHandle } from '../observe.ts';
import { listAll } from '../observe.ts';
import { adoption, alreadyExists, attach, changed, detach, nameOf, resolvedAfter, syncTags, tagList, type ApplyEnv, type Principal } from './common.ts';

type Policy = PolicyValue & { description?: string };

/** IAM keeps at most five versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;

export async function applyPolicy(env: ApplyEnv, change: ApplyChange): Promise<void> {
  const name = nameOf(change);
  const handle = change.observed?.handle as PolicyHandle | undefined;
  switch (change.action) {
    case 'create':
      await createPolicy(env, change, name);
      return;
    case 'update':
      return updatePolicy(env, change, handle?.arn ?? policyArn(env, change, name));
    case 'delete':
      await deletePolicy(env, change.display, handle?.arn ?? policyArn(env, change, name), handle?.attachedTo);
      return;
    case 'replace': {
      const oldArn = handle?.arn ?? policyArn(env, change, name);
      const attachedTo = await deletePolicy(env, change.display, oldArn, handle?.attachedTo);
      const newArn = await createPolicy(env, change, name);
      if (newArn === oldArn) {
        for (const [kind, entity] of attachedTo) await attach(env, kind, entity, change.display, newArn);
      }
    }
  }
}

function policyArn(env: ApplyEnv, change: ApplyChange, name: string): string {
  const value = (change.before ?? change.after) as Policy;
  return arnOf(env.api.account ?? '', arnResource(TYPES.policy, value.path, name));
}

async function createPolicy(env: ApplyEnv, change: ApplyChange, name: string): Promise<string> {
  const { api, ctx } = env;
  const after = resolvedAfter<Policy>(env, change);
  let exists = false;
  const created = await api.write(ctx, 'CreatePolicy', change.display, (m, c) => c.send(new m.CreatePolicyCommand({
    PolicyName: name,
    Path: after.path,
    PolicyDocument: serializeDocument(after.document),
    Tags: tagList(after.tags, ctx.ownerId),
    ...(after.description ? { Description: after.description } : {}),
  })), { doneOn: (e) => (e.code === 'EntityAlreadyExists' ? (exists = true) : false) });
  if (exists) {
    // Names are unique per account; the ARN holds the declared path only if it lives there.
    if (!api.account) {
      // Nothing has named the account yet: find the policy by listing the declared path.
      const found = await listAll(api, ctx, 'ListPolicies', change.display, (m, c, marker) =>
        c.send(new m.ListPoliciesCommand({ Scope: 'Local', PathPrefix: after.path, ...(marker ? { Marker: marker } : {}) }))
          .then((o) => ({ items: o.Policies ?? [], marker: o.IsTruncated ? o.Marker : undefined })));
      api.learnAccount(found.find((p) => p.PolicyName === name)?.Arn);
    }
    const arn = api.account ? arnOf(api.account, arnResource(TYPES.policy, after.path, name)) : undefined;
    const live = arn ? await api.read(ctx, 'GetPolicy', change.display, (m, c) => c.send(new m.GetPolicyCommand({ PolicyArn: arn }))).then((o) => o.Policy).catch(() => undefined) : undefined;
    const owner = ownerOf(live?.Tags);
    if (!arn || !live || owner !== ctx.ownerId || (live.Description ?? '') !== (after.description ?? '')) {
      throw alreadyExists(change.display, 'CreatePolicy', owner, ctx.ownerId, `policy/${name}`, live?.Path);
    }
    const version = await api.read(ctx, 'GetPolicyVersion', change.display, (m, c) => c.send(new m.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: live.DefaultVersionId })));
    const before: JsonObject = { path: after.path, document: parseDocument(version.PolicyVersion?.Document ?? '{}'), tags: tagMap(live.Tags) };
    if (live.Description) before.description = live.Description;
    await updatePolicy(env, adoption(env, change, before), arn);
    return arn;
  }
  const arn = created?.Policy?.Arn ?? '';
  api.learnAccount(arn);
  return arn;
}

async function updatePolicy(env: ApplyEnv, change: ApplyChange, arn: string): Promise<void> {
  const { api, ctx } = env;
  const before = change.before as Policy;
  const after = resolvedAfter<Policy>(env, change);
  const subject = change.display;
  if (changed(before.document, after.document)) {
    // Read the versions now, not from observe: another writer may have added one since.
    const versions = await listVersions(env, subject, arn);
    const nonDefault = versions.filter((v) => !v.isDefault).sort((a, b) => a.created - b.created || versionNumber(a.id) - versionNumber(b.id));
    for (let i = 0; versions.length - i >= MAX_POLICY_VERSIONS && i < nonDefault.length; i++) {
      const oldest = nonDefault[i];
      if (!oldest) break;
      await api.write(ctx, 'DeletePolicyVersion', `${subject} version ${oldest.id}`, (m, c) =>
        c.send(new m.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.id })), { doneOn: NO_SUCH_ENTITY });
    }
    await api.write(ctx, 'CreatePolicyVersion', subject, (m, c) => c.send(new m.CreatePolicyVersionCommand({
      PolicyArn: arn, PolicyDocument: serializeDocument(after.document), SetAsDefault: true,
    })), { hint: (e) => (e.code === 'LimitExceeded' ? 'the policy already has five versions; the next pass deletes the oldest non-default one first' : undefined) });
  }
  await syncTags(env, subject, before.tags, after.tags, change.observed?.ownership.state !== 'owned',
    (Tags) => api.write(ctx, 'TagPolicy', subject, (m, c) => c.send(new m.TagPolicyCommand({ PolicyArn: arn, Tags }))),
    (TagKeys) => api.write(ctx, 'UntagPolicy', subject, (m, c) => c.send(new m.UntagPolicyCommand({ PolicyArn: arn, TagKeys }))));
}

async function listVersions(env: ApplyEnv, subject: string, arn: string): Promise<{ id: string; isDefault: boolean; created: number }[]> {
  const versions = await listAll(env.api, env.ctx, 'ListPolicyVersions', subject, (m, c, marker) =>
    c.send(new m.ListPolicyVersionsCommand({ PolicyArn: arn, ...(marker ? { Marker: marker } : {}) }))
      .then((o) => ({ items: o.Versions ?? [], marker: o.IsTruncated ? o.Marker : undefined })));
  return versions.map((v) => ({ id: v.VersionId ?? '', isDefault: v.IsDefaultVersion === true, created: v.CreateDate ? new Date(v.CreateDate).getTime() : 0 }));
}

const versionNumber = (id: string): number => Number(id.replace(/^v/, '')) || 0;

/** Every prerequisite IAM documents for DeletePolicy, in order. Returns where it was attached.
 * `planned` are the attachments the plan showed; any other is refused before anything changes. */
export async function deletePolicy(env: ApplyEnv, subject: string, arn: string, planned: PolicyHandle['attachedTo'] | undefined): Promise<[Principal, string][]> {
  const { api, ctx } = env;
  const attachedTo: [Principal, string][] = [];
  const entities = await listAll(api, ctx, 'ListEntitiesForPolicy', subject, (m, c, marker) =>
    c.send(new m.ListEntitiesForPolicyCommand({ PolicyArn: arn, ...(marker ? { Marker: marker } : {}) }))
      .then((o) => ({ items: [o], marker: o.IsTruncated ? o.Marker : undefined })))
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === 'NoSuchEntity') return [];
      throw error;
    });
  for (const page of entities) {
    for (const r of page.PolicyRoles ?? []) if (r.RoleName) attachedTo.push(['role', r.RoleName]);
    for (const u of page.PolicyUsers ?? []) if (u.UserName) attachedTo.push(['user', u.UserName]);
    for (const g of page.PolicyGroups ?? []) if (g.GroupName) attachedTo.push(['group', g.GroupName]);
  }
  const shown = new Set([...(planned?.roles ?? []).map((n) => `role/${n}`), ...(planned?.users ?? []).map((n) => `user/${n}`), ...(planned?.groups ?? []).map((n) => `group/${n}`)]);
  const unplanned = attachedTo.filter(([kind, entity]) => !shown.has(`${kind}/${entity}`));
  if (unplanned.length > 0) {
    throw new TerminalError(`is attached to ${unplanned.map(([kind, entity]) => `${kind} ${entity}`).join(', ')}, which the plan did not show; trueup detaches a policy it deletes only from the principals the plan listed. Plan again`, {
      subject, operation: 'ListEntitiesForPolicy', code: 'DeleteConflict',
    });
  }
  for (const [kind, entity] of attachedTo) await detach(env, kind, entity, subject, arn);
  const versions = await listVersions(env, subject, arn).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'NoSuchEntity') return [];
    throw error;
  });
  for (const v of versions.filter((x) => !x.isDefault)) {
    await api.write(ctx, 'DeletePolicyVersion', `${subject} version ${v.id}`, (m, c) =>
      c.send(new m.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.id })), { doneOn: NO_SUCH_ENTITY });
  }
  await api.write(ctx, 'DeletePolicy', subject, (m, c) => c.send(new m.DeletePolicyCommand({ PolicyArn: arn })), {
    doneOn: NO_SUCH_ENTITY,
    retryOn: (e: AwsError) => e.code === 'DeleteConflict',
    hint: (e) => (e.code === 'DeleteConflict' ? 'it is still attached somewhere or used as a permissions boundary' : undefined),
  });
  return attachedTo;
}
