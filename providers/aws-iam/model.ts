// The objects this provider plans: one per IAM entity, keyed by what IAM keeps unique in an
// account (names; the issuer for OIDC providers). Their values are plain JSON in normalised form:
// the same shape is produced from Git (expand) and from the API (observe), so the planner's
// field-level diff points at exactly what changed.

import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';
import { OWNER_TAG } from './schema.ts';

export const TYPES = {
  role: 'role',
  policy: 'policy',
  user: 'user',
  group: 'group',
  instanceProfile: 'instance-profile',
  oidcProvider: 'oidc-provider',
} as const;
export type ObjectType = (typeof TYPES)[keyof typeof TYPES];

/** Stands for the account id in ARNs until it is known (from settings or any ARN the API
 * returns); replaced before anything is sent. Reads well in a plan. */
export const ACCOUNT_PLACEHOLDER = '<account>';

export interface RoleValue extends JsonObject {
  path: string;
  assumeRolePolicy: JsonObject;
  maxSessionDuration: number;
  tags: Record<string, string>;
  inlinePolicies: Record<string, JsonObject>;
  managedPolicies: string[];
}
// description?: string; permissionsBoundary?: string — optional keys are absent when unset.

export interface PolicyValue extends JsonObject {
  path: string;
  document: JsonObject;
  tags: Record<string, string>;
}

export interface UserValue extends JsonObject {
  path: string;
  groups: string[];
  tags: Record<string, string>;
  inlinePolicies: Record<string, JsonObject>;
  managedPolicies: string[];
}

export interface GroupValue extends JsonObject {
  path: string;
  inlinePolicies: Record<string, JsonObject>;
  managedPolicies: string[];
}

export interface InstanceProfileValue extends JsonObject {
  path: string;
  tags: Record<string, string>;
}

export interface OidcProviderValue extends JsonObject {
  url: string;
  clientIds: string[];
  tags: Record<string, string>;
}

export const objectKey = (type: ObjectType, name: string): string => `${type}/${name}`;
export const nameOfKey = (key: string): string => key.slice(key.indexOf('/') + 1);
export const pathScope = (path: string): string => `path${path}`;
/** OIDC providers have no IAM path; they are scoped by issuer (`oidc-provider/token.actions.githubusercontent.com`). */
export const oidcScope = (issuer: string): string => `oidc-provider/${issuer}`;
/** `https://token.actions.githubusercontent.com/` → `token.actions.githubusercontent.com` (IAM's form). */
export const issuerOf = (url: string): string => url.replace(/^https:\/\//i, '').replace(/\/+$/, '');

/** The part of an ARN after `arn:aws:iam::<account>:` (e.g. `role/trueup/deploy`). */
export function arnResource(type: ObjectType, path: string, name: string): string {
  if (type === TYPES.oidcProvider) return `oidc-provider/${name}`;
  return `${type}${path}${name}`;
}

export function arnOf(account: string, resource: string): string {
  return `arn:aws:iam::${account}:${resource}`;
}

const ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws)?:(.+)$/;
export function parseArn(arn: string): { account: string; resource: string } | undefined {
  const m = ARN.exec(arn);
  return m ? { account: m[1] ?? '', resource: m[2] ?? '' } : undefined;
}

export function accountOfArn(arn: string | undefined): string | undefined {
  const account = arn ? parseArn(arn)?.account : undefined;
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** Replace the account placeholder in every string of a value. */
export function withAccount<T extends JsonValue>(value: T, account: string): T {
  const visit = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') return v.includes(ACCOUNT_PLACEHOLDER) ? v.split(ACCOUNT_PLACEHOLDER).join(account) : v;
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = visit(x);
      return out;
    }
    return v;
  };
  return visit(value) as T;
}

export function hasPlaceholder(value: JsonValue): boolean {
  return JSON.stringify(value).includes(ACCOUNT_PLACEHOLDER);
}

/** Tags as a map, minus trueup's owner tag (ownership is not part of the value). */
export function tagMap(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined && t.Key !== OWNER_TAG) out[t.Key] = t.Value ?? '';
  return out;
}

export function ownerOf(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): string | undefined {
  return tags?.find((t) => t.Key === OWNER_TAG)?.Value;
}

/** Service-linked roles (and IAM Identity Center's reserved roles) belong to AWS services:
 * never observed, never changed. */
export const isServiceLinkedPath = (path: string): boolean => path.startsWith('/aws-service-role/') || path.startsWith('/aws-reserved/');
