// Building blocks shared by the per-kind apply modules: inline policies, managed-policy
// attachments and tags of roles, users and groups are managed exclusively (what Git does not
// list is removed), always adding before removing so permissions never have a gap.

import type { ApplyChange, JsonObject, JsonValue, ProviderContext } from '../../../src/sdk/index.ts';
import { ADOPT_ANNOTATION, TerminalError, TransientError, canonicalJson, deepEqual } from '../../../src/sdk/index.ts';
import { JUST_CREATED, NO_SUCH_ENTITY, type IamApi } from '../client.ts';
import { serializeDocument } from '../document.ts';
import { hasPlaceholder, nameOfKey, withAccount } from '../model.ts';
import { OWNER_TAG } from '../schema.ts';

export interface ApplyEnv {
  api: IamApi;
  ctx: ProviderContext;
}

export type Principal = 'role' | 'user' | 'group';

export interface EntityValue extends JsonObject {
  inlinePolicies: Record<string, JsonObject>;
  managedPolicies: string[];
}

const EMPTY: EntityValue = { inlinePolicies: {}, managedPolicies: [] };

/** The desired value with the account id filled in; refuses to send a placeholder. */
export function resolvedAfter<T extends JsonValue>(env: ApplyEnv, change: ApplyChange): T {
  const after = change.after as T;
  if (!hasPlaceholder(after)) return after;
  if (!env.api.account) {
    throw new TransientError('the AWS account id is not known yet (nothing in the account names it); set settings.accountId, or apply again once what it references exists', {
      subject: change.display, operation: 'resolve references',
    });
  }
  return withAccount(after, env.api.account);
}

export const nameOf = (change: ApplyChange): string => nameOfKey(change.key);

export function tagList(tags: Record<string, string>, ownerId?: string): { Key: string; Value: string }[] {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  if (ownerId !== undefined) list.push({ Key: OWNER_TAG, Value: ownerId });
  return list;
}

/** Put new and changed inline policies, then delete the ones Git no longer lists. */
export async function syncInline(env: ApplyEnv, kind: Principal, name: string, subject: string, before: EntityValue, after: EntityValue): Promise<void> {
  const { api, ctx } = env;
  for (const [policy, doc] of Object.entries(after.inlinePolicies)) {
    if (deepEqual(before.inlinePolicies[policy], doc)) continue;
    const PolicyDocument = serializeDocument(doc);
    const op = `Put${cap(kind)}Policy`;
    await api.write(ctx, op, `${subject} inline policy ${policy}`, (m, c) => {
      if (kind === 'role') return c.send(new m.PutRolePolicyCommand({ RoleName: name, PolicyName: policy, PolicyDocument }));
      if (kind === 'user') return c.send(new m.PutUserPolicyCommand({ UserName: name, PolicyName: policy, PolicyDocument }));
      return c.send(new m.PutGroupPolicyCommand({ GroupName: name, PolicyName: policy, PolicyDocument }));
    }, { retryOn: JUST_CREATED });
  }
  for (const policy of Object.keys(before.inlinePolicies)) {
    if (policy in after.inlinePolicies) continue;
    await deleteInline(env, kind, name, subject, policy);
  }
}

export async function deleteInline(env: ApplyEnv, kind: Principal, name: string, subject: string, policy: string): Promise<void> {
  await env.api.write(env.ctx, `Delete${cap(kind)}Policy`, `${subject} inline policy ${policy}`, (m, c) => {
    if (kind === 'role') return c.send(new m.DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy }));
    if (kind === 'user') return c.send(new m.DeleteUserPolicyCommand({ UserName: name, PolicyName: policy }));
    return c.send(new m.DeleteGroupPolicyCommand({ GroupName: name, PolicyName: policy }));
  }, { doneOn: NO_SUCH_ENTITY });
}

/** Attach what Git adds, then detach what it dropped. */
export async function syncAttachments(env: ApplyEnv, kind: Principal, name: string, subject: string, before: EntityValue, after: EntityValue): Promise<void> {
  const had = new Set(before.managedPolicies);
  const wants = new Set(after.managedPolicies);
  for (const arn of wants) if (!had.has(arn)) await attach(env, kind, name, subject, arn);
  for (const arn of had) if (!wants.has(arn)) await detach(env, kind, name, subject, arn);
}

export async function attach(env: ApplyEnv, kind: Principal, name: string, subject: string, PolicyArn: string): Promise<void> {
  await env.api.write(env.ctx, `Attach${cap(kind)}Policy`, `${subject} attachment ${PolicyArn}`, (m, c) => {
    if (kind === 'role') return c.send(new m.AttachRolePolicyCommand({ RoleName: name, PolicyArn }));
    if (kind === 'user') return c.send(new m.AttachUserPolicyCommand({ UserName: name, PolicyArn }));
    return c.send(new m.AttachGroupPolicyCommand({ GroupName: name, PolicyArn }));
  }, {
    // An AWS-managed policy that does not exist is a typo, not IAM catching up: fail at once.
    retryOn: (e) => JUST_CREATED(e) && !(PolicyArn.includes(':iam::aws:policy/') && e.message.includes(PolicyArn)),
  });
}

export async function detach(env: ApplyEnv, kind: Principal, name: string, subject: string, PolicyArn: string): Promise<void> {
  await env.api.write(env.ctx, `Detach${cap(kind)}Policy`, `${subject} attachment ${PolicyArn}`, (m, c) => {
    if (kind === 'role') return c.send(new m.DetachRolePolicyCommand({ RoleName: name, PolicyArn }));
    if (kind === 'user') return c.send(new m.DetachUserPolicyCommand({ UserName: name, PolicyArn }));
    return c.send(new m.DetachGroupPolicyCommand({ GroupName: name, PolicyArn }));
  }, { doneOn: NO_SUCH_ENTITY });
}

export async function syncPolicies(env: ApplyEnv, kind: Principal, name: string, subject: string, before: EntityValue | undefined, after: EntityValue): Promise<void> {
  await syncInline(env, kind, name, subject, before ?? EMPTY, after);
  await syncAttachments(env, kind, name, subject, before ?? EMPTY, after);
}

/** Tag changed or new keys (and the owner tag when adopting), then untag removed ones. The
 * owner tag is never removed. */
export async function syncTags(
  env: ApplyEnv, subject: string, before: Record<string, string>, after: Record<string, string>, addOwner: boolean,
  tag: (tags: { Key: string; Value: string }[]) => Promise<unknown>, untag: (keys: string[]) => Promise<unknown>,
): Promise<void> {
  void subject;
  const changed: Record<string, string> = {};
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) changed[k] = v;
  const list = tagList(changed, addOwner ? env.ctx.ownerId : undefined);
  if (list.length > 0) await tag(list);
  const removed = Object.keys(before).filter((k) => !(k in after) && k !== OWNER_TAG);
  if (removed.length > 0) await untag(removed);
}

export const changed = (a: JsonValue | undefined, b: JsonValue | undefined): boolean => canonicalJson(a) !== canonicalJson(b);

/** EntityAlreadyExists on a create, for an entity trueup cannot adopt: one without this
 * source's owner tag (or mark, for groups), or one of ours that lives under another (immutable) path. */
export function alreadyExists(subject: string, operation: string, owner: string | undefined, ownerId: string, importName: string, livePath?: string, mark = 'owner tag'): Error {
  if (owner === ownerId) {
    return new TerminalError(`already exists with this source's ${mark} but under path ${livePath ?? '(another path)'}, which IAM cannot change in place; declare that path, or delete the old one (it is outside this source's scopes or was left by an earlier revision)`, {
      subject, operation, code: 'EntityAlreadyExists',
    });
  }
  const whose = owner === undefined ? `carries no trueup ${mark}` : `is owned by "${owner}"`;
  const where = livePath ? ` It lives under path ${livePath}: declare that path, within this source's scopes.` : '';
  const adopt = owner === undefined ? `To manage it, adopt it explicitly: run \`trueup import\` with selector ${importName} and commit the result, or add the annotation ${ADOPT_ANNOTATION}: "true" to its metadata in Git; then plan again.${where} Otherwise remove it from Git, or delete it in AWS` : 'Remove it from Git, or choose another name';
  return new TerminalError(`already exists and ${whose}; trueup never takes over what it cannot prove it owns. ${adopt}`, {
    subject, operation, code: 'EntityAlreadyExists',
  });
}

/** An entity found by EntityAlreadyExists that carries this source's owner tag (an earlier apply
 * was interrupted, or IAM had not caught up when observed) is adopted: the create becomes an
 * update from what was read of it. Lists not read (inline policies, attachments) start empty:
 * adding is idempotent, and the next pass removes anything extra. */
export function adoption(env: ApplyEnv, change: ApplyChange, before: JsonObject): ApplyChange {
  env.ctx.log.info({ key: change.key }, 'adopting an existing entity that carries this source\'s owner tag');
  return {
    ...change, action: 'update', before,
    observed: { key: change.key, type: change.type, display: change.display, scope: change.scope, value: before, ownership: { state: 'owned' } },
  };
}

function cap(kind: Principal): string {
  return kind === 'role' ? 'Role' : kind === 'user' ? 'User' : 'Group';
}
