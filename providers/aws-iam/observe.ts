// observe: read the account in bulk and turn it into the same normalised objects expand makes.
//
//   GetAccountAuthorizationDetails  roles, users, groups, local managed policies, their inline
//                                   policies, attachments, tags (roles/users), group membership
//   ListRoles                       what GAAD leaves out: description, max session duration
//   ListPolicyTags                  per local policy in scope (no bulk call returns policy tags);
//                                   in the daemon only for policies changed or due a refresh
//                                   (policy-tags.ts)
//   ListInstanceProfiles + Get      instance profiles (also those without a role); tags per profile in scope
//   ListOpenIDConnectProviders/Get  per OIDC provider in scope (no bulk call exists)
//
// For 1,000 roles that is a handful of pages, not 3+N calls per role (see docs/iam.md).
//
// Ownership: the owner tag on roles, users, policies, instance profiles and OIDC providers; the
// owner mark (owner-mark.ts) on groups, which take no tags. Nothing is owned by its path.

import type {
  DesiredObject, JsonObject, ObserveRequest, ObserveResult, ObservedObject, Ownership, ProviderContext, ScopeMatcher,
} from '../../src/sdk/index.ts';
import { TerminalError, mapLimit } from '../../src/sdk/index.ts';
import type {
  GetAccountAuthorizationDetailsCommandOutput, InstanceProfile, ManagedPolicyDetail, RoleDetail,
} from '@aws-sdk/client-iam';
import type { IamApi } from './client.ts';
import { policyFingerprint, type PolicyTagCache, type Tag } from './policy-tags.ts';
import { parseDocument } from './document.ts';
import { GROUP_OWNER_MARK, ownerOfMark } from './owner-mark.ts';
import {
  TYPES, hasPlaceholder, isServiceLinkedPath, issuerOf, objectKey, oidcScope, ownerOf, parseArn, pathScope, tagMap,
  withAccount,
} from './model.ts';

export interface RoleHandle { kind: 'role'; arn: string; instanceProfiles: string[] }
export interface PolicyHandle {
  kind: 'policy';
  arn: string;
  /** Its tags (so its ownership) came from an earlier pass: apply re-reads them before writing. */
  tagsCached?: true;
  versions: { id: string; isDefault: boolean; created: number }[];
  attachedTo: { roles: string[]; users: string[]; groups: string[] };
}
export interface UserHandle { kind: 'user'; arn: string }
export interface GroupHandle { kind: 'group'; arn: string; members: string[] }
export interface InstanceProfileHandle { kind: 'instance-profile'; arn: string }
export interface OidcHandle { kind: 'oidc-provider'; arn: string }
export type Handle = RoleHandle | PolicyHandle | UserHandle | GroupHandle | InstanceProfileHandle | OidcHandle;

const PAGE = 1000;

function ownership(owner: string | undefined, ownerId: string): Ownership {
  if (owner === undefined) return { state: 'unowned' };
  return owner === ownerId ? { state: 'owned' } : { state: 'foreign', owner };
}

export async function observe(api: IamApi, request: ObserveRequest, ctx: ProviderContext, concurrency: number, tagCache?: PolicyTagCache): Promise<ObserveResult> {
  const tags = tagCache ? { cache: tagCache, reuse: request.freshness === 'steady' } : undefined;
  const objects = await readAccount(api, ctx, request.allowedScopes, concurrency, request.desired, tags);
  const result: ObserveResult = { objects };
  // References written before the account id was known resolve now.
  const account = api.account;
  if (account && request.desired.some((d) => hasPlaceholder(d.value))) {
    result.refinedDesired = request.desired.map((d) => (hasPlaceholder(d.value) ? { ...d, value: withAccount(d.value, account) } : d));
  }
  return result;
}

/** Every IAM object under the allowed scopes, normalised. Shared by observe and import. */
export async function readAccount(api: IamApi, ctx: ProviderContext, allowed: ScopeMatcher, concurrency: number, desired: readonly DesiredObject[] = [], policyTags?: { cache: PolicyTagCache; reuse: boolean }): Promise<ObservedObject[]> {
  const gaad = await readAuthorizationDetails(api, ctx);
  const objects: ObservedObject[] = [];
  const decode = (text: string | undefined, subject: string, what: string): JsonObject => {
    try {
      return parseDocument(text ?? '{}');
    } catch (error) {
      throw new TerminalError(`${what} is not a readable policy document: ${(error as Error).message}`, { subject, operation: 'GetAccountAuthorizationDetails', cause: error });
    }
  };
  const inlineOf = (list: { PolicyName?: string | undefined; PolicyDocument?: string | undefined }[] | undefined, subject: string) => {
    const out: Record<string, JsonObject> = {};
    for (const p of list ?? []) if (p.PolicyName) out[p.PolicyName] = decode(p.PolicyDocument, subject, `inline policy ${p.PolicyName}`);
    return out;
  };
  const attachedOf = (list: { PolicyArn?: string | undefined }[] | undefined) =>
    [...new Set((list ?? []).map((p) => p.PolicyArn).filter((a): a is string => !!a))].sort();

  // Local policies first: attachments name them, and their keys become dependencies.
  const localPolicyKey = new Map<string, string>();
  for (const p of gaad.policies) {
    const name = policyName(p);
    if (p.Arn && name) localPolicyKey.set(p.Arn, objectKey(TYPES.policy, name));
  }
  const attachedTo = new Map<string, { roles: string[]; users: string[]; groups: string[] }>();
  const noteAttachment = (arns: string[], kind: 'roles' | 'users' | 'groups', name: string) => {
    for (const arn of arns) {
      const entry = attachedTo.get(arn) ?? { roles: [], users: [], groups: [] };
      entry[kind].push(name);
      attachedTo.set(arn, entry);
    }
  };
  const policyDeps = (arns: string[]) => arns.map((a) => localPolicyKey.get(a)).filter((k): k is string => !!k);
  // Every role, user and group, in scope or not: deleting a managed policy detaches it from all.
  const principals = new Map<string, Principal>();
  const notePrincipal = (type: 'role' | 'user' | 'group', path: string, name: string, owner: string | undefined, inScope: boolean) =>
    principals.set(objectKey(type, name), { display: `${type} ${path}${name}`, ownership: ownership(owner, ctx.ownerId), inScope });

  // ListRoles for description and max session duration (GAAD omits both).
  const roleExtras = new Map<string, { description?: string | undefined; maxSessionDuration?: number | undefined }>();
  if (gaad.roles.some((r) => allowed.allows(pathScope(r.Path ?? '/')))) {
    let marker: string | undefined;
    do {
      const page = await api.read(ctx, 'ListRoles', 'roles', (m, c) => c.send(new m.ListRolesCommand({ MaxItems: PAGE, ...(marker ? { Marker: marker } : {}) })));
      for (const r of page.Roles ?? []) if (r.RoleName) roleExtras.set(r.RoleName, { description: r.Description, maxSessionDuration: r.MaxSessionDuration });
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  }

  const groupMembers = new Map<string, string[]>();
  // push, not spread: copying the list on every member is quadratic in a large group
  for (const u of gaad.users) {
    for (const g of u.GroupList ?? []) {
      const members = groupMembers.get(g);
      if (members) members.push(u.UserName ?? '');
      else groupMembers.set(g, [u.UserName ?? '']);
    }
  }

  for (const r of gaad.roles) {
    const path = r.Path ?? '/';
    const name = r.RoleName ?? '';
    const managed = attachedOf(r.AttachedManagedPolicies);
    noteAttachment(managed, 'roles', name);
    const inScope = !isServiceLinkedPath(path) && allowed.allows(pathScope(path));
    notePrincipal(TYPES.role, path, name, ownerOf(r.Tags), inScope);
    if (!inScope) continue;
    const subject = `role ${path}${name}`;
    const extras = roleExtras.get(name) ?? {};
    const value: JsonObject = {
      path,
      assumeRolePolicy: decode(r.AssumeRolePolicyDocument, subject, 'trust policy'),
      maxSessionDuration: extras.maxSessionDuration ?? 3600,
      tags: tagMap(r.Tags),
      inlinePolicies: inlineOf(r.RolePolicyList, subject),
      managedPolicies: managed,
    };
    if (extras.description) value.description = extras.description;
    const boundary = r.PermissionsBoundary?.PermissionsBoundaryArn;
    if (boundary) value.permissionsBoundary = boundary;
    const deps = new Set(policyDeps(boundary ? [...managed, boundary] : managed));
    for (const federated of federatedPrincipals(value.assumeRolePolicy as JsonObject)) {
      const resource = parseArn(federated)?.resource;
      if (resource?.startsWith('oidc-provider/')) deps.add(objectKey(TYPES.oidcProvider, resource.slice('oidc-provider/'.length)));
    }
    const handle: RoleHandle = { kind: 'role', arn: r.Arn ?? '', instanceProfiles: (r.InstanceProfileList ?? []).map((p) => p.InstanceProfileName ?? '').filter(Boolean) };
    objects.push(withDeps({
      key: objectKey(TYPES.role, name), type: TYPES.role, display: subject, scope: pathScope(path), value,
      ownership: ownership(ownerOf(r.Tags), ctx.ownerId), handle,
    }, deps));
  }

  for (const u of gaad.users) {
    const path = u.Path ?? '/';
    const name = u.UserName ?? '';
    const managed = attachedOf(u.AttachedManagedPolicies);
    noteAttachment(managed, 'users', name);
    notePrincipal(TYPES.user, path, name, ownerOf(u.Tags), allowed.allows(pathScope(path)));
    if (!allowed.allows(pathScope(path))) continue;
    const subject = `user ${path}${name}`;
    const groups = [...new Set(u.GroupList ?? [])].sort();
    const value: JsonObject = { path, groups, tags: tagMap(u.Tags), inlinePolicies: inlineOf(u.UserPolicyList, subject), managedPolicies: managed };
    const boundary = u.PermissionsBoundary?.PermissionsBoundaryArn;
    if (boundary) value.permissionsBoundary = boundary;
    const deps = new Set([...policyDeps(boundary ? [...managed, boundary] : managed), ...groups.map((g) => objectKey(TYPES.group, g))]);
    const handle: UserHandle = { kind: 'user', arn: u.Arn ?? '' };
    objects.push(withDeps({
      key: objectKey(TYPES.user, name), type: TYPES.user, display: subject, scope: pathScope(path), value,
      ownership: ownership(ownerOf(u.Tags), ctx.ownerId), handle,
    }, deps));
  }

  for (const g of gaad.groups) {
    const path = g.Path ?? '/';
    const name = g.GroupName ?? '';
    const managed = attachedOf(g.AttachedManagedPolicies);
    noteAttachment(managed, 'groups', name);
    const subject = `group ${path}${name}`;
    // The owner mark is trueup's proof of creation, not part of the group's value. A policy under
    // the reserved name that is not a mark proves nothing and stays visible (adopting replaces it).
    const found = g.GroupPolicyList?.find((p) => p.PolicyName === GROUP_OWNER_MARK);
    const owner = found ? ownerOfMark(decode(found.PolicyDocument, subject, `inline policy ${GROUP_OWNER_MARK}`)) : undefined;
    const mark = owner === undefined ? undefined : found;
    notePrincipal(TYPES.group, path, name, owner, allowed.allows(pathScope(path)));
    if (!allowed.allows(pathScope(path))) continue;
    const handle: GroupHandle = { kind: 'group', arn: g.Arn ?? '', members: (groupMembers.get(name) ?? []).sort() };
    const group = withDeps({
      key: objectKey(TYPES.group, name), type: TYPES.group, display: subject, scope: pathScope(path),
      value: { path, inlinePolicies: inlineOf(g.GroupPolicyList?.filter((p) => p !== mark), subject), managedPolicies: managed },
      ownership: ownership(owner, ctx.ownerId), handle,
    }, new Set(policyDeps(managed)));
    // Users are read before groups, so every member is known here.
    const members = handle.members.map((u) => principals.get(objectKey(TYPES.user, u)) ?? { display: `user ${u}`, ownership: { state: 'unowned' }, inScope: false } satisfies Principal);
    const removal = removalOf(members, (d) => `removes ${d} from it`, (list) =>
      `has members this source does not own or may not touch: ${list}. IAM refuses DeleteGroup while it has members (DeleteConflict); deleting it means removing them from it`);
    if (removal) group.removal = removal;
    objects.push(group);
  }

  // Local managed policies in scope: their tags need one call each.
  const policies = gaad.policies.filter((p) => allowed.allows(pathScope(p.Path ?? '/')));
  const policyObjects: ObservedObject[] = new Array<ObservedObject>(policies.length);
  await mapLimit(policies.map((p, i) => [p, i] as const), concurrency, async ([p, i]) => {
    const path = p.Path ?? '/';
    const name = policyName(p) ?? '';
    const subject = `policy ${path}${name}`;
    const fingerprint = policyFingerprint(p);
    const cached = policyTags?.reuse ? policyTags.cache.get(p.Arn ?? '', fingerprint) : undefined;
    const tags = cached ?? await readPolicyTags(api, ctx, p.Arn ?? '', subject);
    if (!cached) policyTags?.cache.set(p.Arn ?? '', fingerprint, tags);
    const versions = (p.PolicyVersionList ?? []).map((v) => ({ id: v.VersionId ?? '', isDefault: v.IsDefaultVersion === true, created: v.CreateDate ? new Date(v.CreateDate).getTime() : 0 }));
    const defaultVersion = (p.PolicyVersionList ?? []).find((v) => v.IsDefaultVersion) ?? (p.PolicyVersionList ?? []).find((v) => v.VersionId === p.DefaultVersionId);
    const value: JsonObject = { path, document: decode(defaultVersion?.Document, subject, `default version ${p.DefaultVersionId ?? '?'}`), tags: tagMap(tags) };
    if (p.Description) value.description = p.Description;
    const handle: PolicyHandle = { kind: 'policy', arn: p.Arn ?? '', versions, attachedTo: attachedTo.get(p.Arn ?? '') ?? { roles: [], users: [], groups: [] } };
    if (cached) handle.tagsCached = true;
    policyObjects[i] = {
      key: objectKey(TYPES.policy, name), type: TYPES.policy, display: subject, scope: pathScope(path), value,
      ownership: ownership(ownerOf(tags), ctx.ownerId), handle,
    };
    const removal = policyRemoval(handle.attachedTo, principals);
    if (removal) policyObjects[i].removal = removal;
  });
  objects.push(...policyObjects);
  policyTags?.cache.retain(new Set(policies.map((p) => p.Arn ?? '')));

  const profiles = await readInstanceProfiles(api, ctx, allowed, concurrency);
  objects.push(...profiles);
  // A role leaves its instance profiles before DeleteRole; profiles are read last, so their
  // ownership is joined to the roles here (a profile not read is outside the scopes).
  const profileByName = new Map(profiles.map((p) => [p.key, p]));
  for (const o of objects) {
    if (o.type !== TYPES.role) continue;
    const ties = (o.handle as RoleHandle).instanceProfiles.map((name): Principal => {
      const p = profileByName.get(objectKey(TYPES.instanceProfile, name));
      // Outside the scopes its tags are not read; being outside is reason enough.
      return p ? { display: p.display, ownership: p.ownership, inScope: true } : { display: `instance profile ${name}`, ownership: { state: 'owned' }, inScope: false };
    });
    const removal = removalOf(ties, (d) => `removes it from ${d}`, (list) =>
      `is in instance profiles this source does not own or may not touch: ${list}. IAM refuses DeleteRole while the role is in an instance profile (DeleteConflict); deleting it means removing it from them`);
    if (removal) o.removal = removal;
  }
  objects.push(...await readOidcProviders(api, ctx, allowed, concurrency, desired));
  return objects;
}

/** The other side of a tie an entity's removal breaks: whose it is, and whether this source may touch it. */
interface Principal { display: string; ownership: Ownership; inScope: boolean }

/** Removing an IAM entity first breaks its ties to others, as IAM requires (DeleteConflict
 * otherwise): a managed policy is detached from every principal, a group loses its members, a
 * role leaves its instance profiles. Each tie is listed with the change; one whose other side is
 * not this source's (unowned, another owner's, outside the scopes) makes the removal need --force. */
export function removalOf(ties: readonly Principal[], effect: (display: string) => string, refusal: (list: string) => string): ObservedObject['removal'] | undefined {
  const effects: string[] = [];
  const foreign: string[] = [];
  for (const p of ties) {
    const why: string[] = [];
    if (p.ownership.state === 'unowned') why.push('carries no trueup owner mark');
    if (p.ownership.state === 'foreign') why.push(`owned by "${p.ownership.owner}"`);
    if (!p.inScope) why.push('outside this source\'s scopes');
    if (why.length === 0) {
      effects.push(effect(p.display));
    } else {
      effects.push(`${effect(p.display)} (not this source's: ${why.join(', ')})`);
      foreign.push(`${p.display} (${why.join(', ')})`);
    }
  }
  if (effects.length === 0) return undefined;
  const removal: NonNullable<ObservedObject['removal']> = { effects };
  if (foreign.length > 0) removal.refuse = refusal(foreign.join('; '));
  return removal;
}

export function policyRemoval(attachedTo: PolicyHandle['attachedTo'], principals: ReadonlyMap<string, Principal>): ObservedObject['removal'] | undefined {
  const ties: Principal[] = [];
  const kinds = [[TYPES.role, attachedTo.roles], [TYPES.user, attachedTo.users], [TYPES.group, attachedTo.groups]] as const;
  for (const [type, names] of kinds) {
    for (const name of [...names].sort()) ties.push(principals.get(objectKey(type, name)) ?? { display: `${type} ${name}`, ownership: { state: 'unowned' }, inScope: false });
  }
  const count = ties.filter((p) => p.ownership.state !== 'owned' || !p.inScope).length;
  return removalOf(ties, (d) => `detaches it from ${d}`, (list) =>
    `attached to ${count === 1 ? 'a principal' : `${count} principals`} this source does not own or may not touch: ${list}. IAM refuses DeletePolicy while a policy is attached (DeleteConflict); deleting it means detaching it from them`);
}

interface AuthorizationDetails {
  roles: RoleDetail[];
  users: NonNullable<GetAccountAuthorizationDetailsCommandOutput['UserDetailList']>;
  groups: NonNullable<GetAccountAuthorizationDetailsCommandOutput['GroupDetailList']>;
  policies: ManagedPolicyDetail[];
}

/** Every page of GetAccountAuthorizationDetails. A page may hold fewer than MaxItems even when
 * more follow: only IsTruncated says whether to go on. */
async function readAuthorizationDetails(api: IamApi, ctx: ProviderContext): Promise<AuthorizationDetails> {
  const out: AuthorizationDetails = { roles: [], users: [], groups: [], policies: [] };
  let marker: string | undefined;
  let pages = 0;
  do {
    const page = await api.read(ctx, 'GetAccountAuthorizationDetails', 'account', (m, c) => c.send(new m.GetAccountAuthorizationDetailsCommand({
      Filter: ['Role', 'User', 'Group', 'LocalManagedPolicy'], MaxItems: PAGE, ...(marker ? { Marker: marker } : {}),
    })));
    out.roles.push(...(page.RoleDetailList ?? []));
    out.users.push(...(page.UserDetailList ?? []));
    out.groups.push(...(page.GroupDetailList ?? []));
    out.policies.push(...(page.Policies ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
    pages += 1;
    if (page.IsTruncated && !page.Marker) {
      throw new TerminalError('the response is truncated but carries no Marker', { subject: 'account', operation: 'GetAccountAuthorizationDetails' });
    }
  } while (marker);
  ctx.log.debug({ pages, roles: out.roles.length, policies: out.policies.length }, 'read account authorization details');
  for (const list of [out.roles, out.users, out.groups, out.policies]) {
    for (const item of list) {
      api.learnAccount(item.Arn);
      if (api.account) break;
    }
  }
  return out;
}

async function readInstanceProfiles(api: IamApi, ctx: ProviderContext, allowed: ScopeMatcher, concurrency: number): Promise<ObservedObject[]> {
  const profiles: InstanceProfile[] = await listAll(api, ctx, 'ListInstanceProfiles', 'instance profiles', (m, c, marker) =>
    c.send(new m.ListInstanceProfilesCommand({ MaxItems: PAGE, ...(marker ? { Marker: marker } : {}) })).then((o) => ({ items: o.InstanceProfiles ?? [], marker: o.IsTruncated ? o.Marker : undefined })));
  const inScope = profiles.filter((p) => allowed.allows(pathScope(p.Path ?? '/')));
  const out: ObservedObject[] = [];
  await mapLimit(inScope, concurrency, async (p) => {
    api.learnAccount(p.Arn);
    const path = p.Path ?? '/';
    const name = p.InstanceProfileName ?? '';
    const subject = `instance profile ${path}${name}`;
    // List calls do not return tags on AWS (whatever an emulator does); GetInstanceProfile
    // returns them together with the role.
    const got = await api.read(ctx, 'GetInstanceProfile', subject, (m, c) => c.send(new m.GetInstanceProfileCommand({ InstanceProfileName: name })));
    const tags = got.InstanceProfile?.Tags ?? [];
    const value: JsonObject = { path, tags: tagMap(tags) };
    const role = (got.InstanceProfile?.Roles ?? p.Roles)?.[0]?.RoleName;
    if (role) value.role = role;
    const handle: InstanceProfileHandle = { kind: 'instance-profile', arn: p.Arn ?? '' };
    out.push(withDeps({
      key: objectKey(TYPES.instanceProfile, name), type: TYPES.instanceProfile, display: subject, scope: pathScope(path), value,
      ownership: ownership(ownerOf(tags), ctx.ownerId), handle,
    }, new Set(role ? [objectKey(TYPES.role, role)] : [])));
  });
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function readOidcProviders(api: IamApi, ctx: ProviderContext, allowed: ScopeMatcher, concurrency: number, desired: readonly DesiredObject[]): Promise<ObservedObject[]> {
  const list = await api.read(ctx, 'ListOpenIDConnectProviders', 'OIDC providers', (m, c) => c.send(new m.ListOpenIDConnectProvidersCommand({})));
  const arns = (list.OpenIDConnectProviderList ?? []).map((p) => p.Arn).filter((a): a is string => !!a);
  const desiredByKey = new Map(desired.map((d) => [d.key, d]));
  const out: ObservedObject[] = [];
  await mapLimit(arns.filter((arn) => allowed.allows(oidcScope(issuerFromArn(arn)))), concurrency, async (arn) => {
    api.learnAccount(arn);
    const issuer = issuerFromArn(arn);
    const subject = `OIDC provider ${issuer}`;
    const p = await api.read(ctx, 'GetOpenIDConnectProvider', subject, (m, c) => c.send(new m.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })));
    const key = objectKey(TYPES.oidcProvider, issuer);
    const value: JsonObject = {
      url: `https://${issuerOf(p.Url ?? issuer)}`,
      clientIds: [...new Set(p.ClientIDList ?? [])].sort(),
      tags: tagMap(p.Tags),
    };
    // Thumbprints are compared only when Git states them; otherwise IAM manages them.
    const wanted = desiredByKey.get(key)?.value as JsonObject | undefined;
    if (!wanted || wanted.thumbprints !== undefined) value.thumbprints = [...new Set((p.ThumbprintList ?? []).map((t) => t.toLowerCase()))].sort();
    const handle: OidcHandle = { kind: 'oidc-provider', arn };
    out.push({ key, type: TYPES.oidcProvider, display: subject, scope: oidcScope(issuer), value, ownership: ownership(ownerOf(p.Tags), ctx.ownerId), handle });
  });
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

const issuerFromArn = (arn: string): string => (parseArn(arn)?.resource ?? '').replace(/^oidc-provider\//, '');

/** GAAD leaves PolicyName out on some implementations; the ARN always carries it. */
function policyName(p: ManagedPolicyDetail): string | undefined {
  if (p.PolicyName) return p.PolicyName;
  const resource = p.Arn ? parseArn(p.Arn)?.resource : undefined;
  return resource ? resource.slice(resource.lastIndexOf('/') + 1) : undefined;
}

function federatedPrincipals(doc: JsonObject): string[] {
  const out: string[] = [];
  for (const s of Array.isArray(doc.Statement) ? doc.Statement : []) {
    const principal = (s as JsonObject | null)?.Principal;
    if (principal && typeof principal === 'object' && !Array.isArray(principal)) {
      const f = principal.Federated;
      for (const v of Array.isArray(f) ? f : f === undefined ? [] : [f]) if (typeof v === 'string') out.push(v);
    }
  }
  return out;
}

function withDeps(o: ObservedObject, deps: Set<string>): ObservedObject {
  deps.delete(o.key);
  if (deps.size > 0) o.dependsOn = [...deps].sort();
  return o;
}

/** Every page of a Marker-paged IAM list call. */
/** Every tag of a managed policy (ListPolicyTags, paged). */
export function readPolicyTags(api: IamApi, ctx: ProviderContext, arn: string, subject: string): Promise<Tag[]> {
  return listAll(api, ctx, 'ListPolicyTags', subject, (m, c, marker) =>
    c.send(new m.ListPolicyTagsCommand({ PolicyArn: arn, MaxItems: 100, ...(marker ? { Marker: marker } : {}) })).then((o) => ({ items: o.Tags ?? [], marker: o.IsTruncated ? o.Marker : undefined })));
}

export async function listAll<T>(
  api: IamApi, ctx: ProviderContext, operation: string, subject: string,
  page: (m: Parameters<Parameters<IamApi['read']>[3]>[0], c: Parameters<Parameters<IamApi['read']>[3]>[1], marker: string | undefined) => Promise<{ items: T[]; marker: string | undefined }>,
): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const current = marker;
    const result = await api.read(ctx, operation, subject, (m, c) => page(m, c, current));
    items.push(...result.items);
    marker = result.marker;
  } while (marker);
  return items;
}
