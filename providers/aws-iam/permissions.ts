// The IAM policy the aws-iam provider itself needs for a repository (`trueup permissions`): writes
// only on the ARNs of the paths (and OIDC issuers) in scope, only for the entity types the
// repository declares; the account-wide reads IAM cannot scope are listed with the reason.
// Statement by statement from the calls observe.ts and apply/*.ts make.

import type { JsonObject, PermissionRequest, PermissionSet } from '../../src/sdk/index.ts';
import { TYPES, type ObjectType } from './model.ts';
import type { IamSettings } from './schema.ts';

/** Write actions per declared entity type, on that type's ARNs. */
const WRITES: Record<ObjectType, string[]> = {
  [TYPES.role]: ['CreateRole', 'DeleteRole', 'UpdateRole', 'UpdateAssumeRolePolicy', 'TagRole', 'UntagRole', 'PutRolePolicy', 'DeleteRolePolicy',
    'AttachRolePolicy', 'DetachRolePolicy', 'PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary'],
  [TYPES.policy]: ['CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'TagPolicy', 'UntagPolicy'],
  [TYPES.user]: ['CreateUser', 'DeleteUser', 'UpdateUser', 'TagUser', 'UntagUser', 'PutUserPolicy', 'DeleteUserPolicy', 'AttachUserPolicy', 'DetachUserPolicy',
    'PutUserPermissionsBoundary', 'DeleteUserPermissionsBoundary', 'AddUserToGroup', 'RemoveUserFromGroup'],
  [TYPES.group]: ['CreateGroup', 'DeleteGroup', 'UpdateGroup', 'PutGroupPolicy', 'DeleteGroupPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy', 'AddUserToGroup', 'RemoveUserFromGroup'],
  [TYPES.instanceProfile]: ['CreateInstanceProfile', 'DeleteInstanceProfile', 'AddRoleToInstanceProfile', 'RemoveRoleFromInstanceProfile', 'TagInstanceProfile', 'UntagInstanceProfile'],
  [TYPES.oidcProvider]: ['CreateOpenIDConnectProvider', 'DeleteOpenIDConnectProvider', 'AddClientIDToOpenIDConnectProvider', 'RemoveClientIDFromOpenIDConnectProvider',
    'UpdateOpenIDConnectProviderThumbprint', 'TagOpenIDConnectProvider', 'UntagOpenIDConnectProvider'],
};

/** What removing an owned entity of a type takes, kept when Git no longer declares any of that
 * type: otherwise the apply that removes the last one from Git would fail. */
const PRUNES: Record<ObjectType, string[]> = {
  [TYPES.role]: ['DeleteRole', 'DeleteRolePolicy', 'DetachRolePolicy', 'DeleteRolePermissionsBoundary'],
  [TYPES.policy]: ['DeletePolicy', 'DeletePolicyVersion'],
  [TYPES.user]: ['DeleteUser', 'DeleteUserPolicy', 'DetachUserPolicy', 'DeleteUserPermissionsBoundary', 'RemoveUserFromGroup'],
  [TYPES.group]: ['DeleteGroup', 'DeleteGroupPolicy', 'DetachGroupPolicy', 'RemoveUserFromGroup'],
  [TYPES.instanceProfile]: ['DeleteInstanceProfile', 'RemoveRoleFromInstanceProfile'],
  [TYPES.oidcProvider]: ['DeleteOpenIDConnectProvider'],
};

/** Scoped reads per type (an entity read back after EntityAlreadyExists, policy tags, versions). */
const READS: Record<ObjectType, string[]> = {
  [TYPES.role]: ['GetRole'],
  [TYPES.policy]: ['GetPolicy', 'GetPolicyVersion', 'ListPolicyVersions', 'ListPolicyTags', 'ListEntitiesForPolicy'],
  [TYPES.user]: ['GetUser'],
  // Groups are read only in bulk (GetAccountAuthorizationDetails).
  [TYPES.group]: [],
  [TYPES.instanceProfile]: ['GetInstanceProfile'],
  [TYPES.oidcProvider]: ['GetOpenIDConnectProvider'],
};

/** Account-wide reads: GetAccountAuthorizationDetails is the bulk read; the List calls find
 * instance profiles, OIDC providers and entities that appeared after it. */
const ACCOUNT_READS = ['GetAccountAuthorizationDetails', 'ListRoles', 'ListPolicies', 'ListInstanceProfiles', 'ListOpenIDConnectProviders'];

const ARN_TYPE: Record<ObjectType, string> = {
  [TYPES.role]: 'role', [TYPES.policy]: 'policy', [TYPES.user]: 'user', [TYPES.group]: 'group',
  [TYPES.instanceProfile]: 'instance-profile', [TYPES.oidcProvider]: 'oidc-provider',
};

/** `path/trueup/*` → arn:aws:iam::ACCOUNT:role/trueup/*; OIDC providers by issuer. */
export function arnsInScope(type: ObjectType, scopes: readonly string[], account: string): string[] {
  const arns = new Set<string>();
  for (const scope of scopes) {
    if (type === TYPES.oidcProvider) {
      if (scope.startsWith('oidc-provider/')) arns.add(`arn:aws:iam::${account}:${scope}`);
      continue;
    }
    if (!scope.startsWith('path/')) continue;
    // An IAM path is part of the ARN (role/trueup/name); `*` in an ARN also spans `/`.
    const path = scope.slice('path'.length);
    arns.add(`arn:aws:iam::${account}:${ARN_TYPE[type]}${path.endsWith('*') ? path : `${path}*`}`);
  }
  return [...arns].sort();
}

const iam = (actions: readonly string[]) => [...new Set(actions)].sort().map((a) => `iam:${a}`);

export function iamPermissions(request: PermissionRequest<IamSettings>): PermissionSet {
  const account = request.settings.accountId ?? '*';
  const notes = [`${ACCOUNT_READS.join(', ')} cannot be scoped: IAM allows them on "*" only (they read names, paths and tags; writes stay scoped).`];
  if (!request.settings.accountId) notes.push('No accountId in the instance settings: ARNs name any account (*); set accountId to pin them.');
  if (request.scopes.some((s) => s.startsWith('path/') && !s.endsWith('*'))) {
    notes.push('An exact path scope (path/trueup/) is granted as path/trueup/*: IAM ARNs cannot stop at one path level.');
  }
  const statements: JsonObject[] = [{ Sid: 'ReadAccount', Effect: 'Allow', Action: iam(ACCOUNT_READS), Resource: '*' }];
  // Observe reads every entity in scope, declared or not (an owned one removed from Git is
  // deleted), so the scoped reads cover every type; writes only the types Git declares.
  const allTypes = Object.values(TYPES);
  const readArns = [...new Set(allTypes.flatMap((t) => (READS[t].length > 0 ? arnsInScope(t, request.scopes, account) : [])))].sort();
  if (readArns.length > 0) {
    statements.push({ Sid: 'ReadEntitiesInScope', Effect: 'Allow', Action: iam(allTypes.flatMap((t) => READS[t])), Resource: readArns });
  }
  const declared = new Set(request.desired.map((d) => d.type as ObjectType).filter((t) => t in WRITES));
  const sid = (type: ObjectType) => type.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  for (const type of allTypes) {
    if (request.readOnly) continue;
    const resources = arnsInScope(type, request.scopes, account);
    if (resources.length === 0) continue;
    // A type Git does not declare can still hold owned entities in scope: they are deleted.
    if (declared.has(type)) statements.push({ Sid: `Manage${sid(type)}s`, Effect: 'Allow', Action: iam(WRITES[type]), Resource: resources });
    else statements.push({ Sid: `Prune${sid(type)}s`, Effect: 'Allow', Action: iam(PRUNES[type]), Resource: resources });
  }
  if (!request.readOnly && declared.has(TYPES.instanceProfile)) {
    // AddRoleToInstanceProfile needs iam:PassRole on the role it puts in the profile.
    const roles = arnsInScope(TYPES.role, request.scopes, account);
    if (roles.length > 0) statements.push({ Sid: 'PassRolesToInstanceProfiles', Effect: 'Allow', Action: ['iam:PassRole'], Resource: roles });
  }
  const missing = allTypes.filter((t) => !declared.has(t));
  if (!request.readOnly && missing.length > 0) {
    notes.push(`Nothing declared of ${missing.join(', ')}: only what deleting an owned one takes (no create or update).`);
  }
  return { format: 'aws-iam-policy', document: { Version: '2012-10-17', Statement: statements }, notes };
}
