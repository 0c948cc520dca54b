// Settings and kind schemas of the aws-iam provider. Only zod and the SDK here: this module is
// loaded by `trueup validate`/`schema`, which must not pay for the AWS SDK.

import { z } from 'zod';
import { defineKind } from '../../src/sdk/index.ts';

export const API_VERSION = 'iam.aws.trueup.dev/v1';
export const OWNER_TAG = 'trueup.dev/owner';

export const settingsSchema = z.object({
  /** IAM endpoint override (an emulator). The standard AWS_ENDPOINT_URL_IAM works too. */
  endpoint: z.url().optional(),
  /** IAM is global; the region only picks the signing region (us-east-1 for the aws partition). */
  region: z.string().min(1).default('us-east-1'),
  /** Requests per second, shared by every instance that talks to the same account. */
  rateLimit: z.number().positive().default(10),
  /** Per HTTP attempt: give up when IAM sends no answer for this long (connecting included). A
   * write that times out has an unknown outcome: the next observe decides. */
  requestTimeoutMs: z.number().int().min(1).default(30_000),
  /** SDK attempts for read calls (throttling, 5xx). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** The account id, so references resolve to ARNs before anything exists in the account.
   * Otherwise it is read from ARNs the API returns. */
  accountId: z.string().regex(/^\d{12}$/, 'an AWS account id is 12 digits').optional(),
  /** Bounded retries for IAM's eventual consistency (a principal named right after it was
   * created, DeleteConflict while detaching, ConcurrentModification). */
  consistency: z.object({
    attempts: z.number().int().min(1).max(20).default(7),
    baseDelayMs: z.number().int().min(0).default(300),
    maxDelayMs: z.number().int().min(0).default(5000),
  }).strict().default({ attempts: 7, baseDelayMs: 300, maxDelayMs: 5000 }),
  /** How many IAM calls one apply batch may run at once (the rate limit still applies). */
  concurrency: z.number().int().min(1).max(32).default(4),
  /** How long the daemon reuses the tags of a policy that GAAD shows unchanged before reading
   * them again (ListPolicyTags); 0 reads them every pass. The CLI always reads them. Writes
   * re-read them first either way. */
  policyTagsRefreshSeconds: z.number().min(0).default(900),
}).strict();

export type IamSettings = z.infer<typeof settingsSchema>;

// --- names -------------------------------------------------------------------------------------

/** IAM names: letters, digits and + = , . @ _ - (1-64 for roles/users, 128 for policies/groups). */
const iamName = (max: number) => z.string().regex(/^[\w+=,.@-]+$/, 'IAM names hold letters, digits and + = , . @ _ - only').min(1).max(max);
/** `/` or `/a/b/`: starts and ends with a slash (IAM's path rule). */
export const iamPath = z.string().max(512).regex(/^\/(?:[\x21-\x7E]*\/)?$/, 'an IAM path starts and ends with / (e.g. /trueup/)').default('/');
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).refine((t) => !(OWNER_TAG in t), {
  message: `the ${OWNER_TAG} tag is written by trueup itself`,
}).optional();

// --- references --------------------------------------------------------------------------------

export const REF_KINDS = ['Role', 'Policy', 'User', 'Group', 'InstanceProfile', 'OpenIDConnectProvider'] as const;
export type RefKind = (typeof REF_KINDS)[number];
/** `{ ref: <metadata.name> }` names a resource declared in the same repository; it resolves to
 * its ARN (or name, where the API wants a name) and orders the apply. */
export const refSchema = z.object({ ref: z.string().min(1), kind: z.enum(REF_KINDS).optional() }).strict();
export type Ref = z.infer<typeof refSchema>;

/** A managed policy: an ARN (AWS-managed or any account's) or a reference to a Policy here. */
const policyRef = z.union([z.string().regex(/^arn:aws[\w-]*:iam::(\d{12}|aws):policy\//, 'a policy ARN (arn:aws:iam::<account or aws>:policy/...)'), refSchema]);
/** A group or role: its IAM name or a reference. */
const nameRef = z.union([iamName(128), refSchema]);

// --- policy documents --------------------------------------------------------------------------

const stringOrRef = z.union([z.string(), refSchema]);
const stringsOrRefs = z.union([stringOrRef, z.array(stringOrRef).min(1)]);
const strings = z.union([z.string(), z.array(z.string()).min(1)]);
const conditionValue = z.union([z.string(), z.number(), z.boolean()]);
const statementSchema = z.object({
  Sid: z.string().optional(),
  // Character classes, not the i flag: JSON Schema (trueup schema, editors) has no regex flags.
  Effect: z.string().regex(/^([Aa][Ll][Ll][Oo][Ww]|[Dd][Ee][Nn][Yy])$/, 'Effect is Allow or Deny'),
  Principal: z.union([z.literal('*'), z.record(z.string(), stringsOrRefs)]).optional(),
  NotPrincipal: z.union([z.literal('*'), z.record(z.string(), stringsOrRefs)]).optional(),
  Action: strings.optional(),
  NotAction: strings.optional(),
  Resource: stringsOrRefs.optional(),
  NotResource: stringsOrRefs.optional(),
  Condition: z.record(z.string(), z.record(z.string(), z.union([conditionValue, z.array(conditionValue)]))).optional(),
}).strict().refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), {
  message: 'a statement needs exactly one of Action and NotAction',
});

export const documentSchema = z.object({
  Version: z.enum(['2012-10-17', '2008-10-17']).optional(),
  Id: z.string().optional(),
  Statement: z.union([statementSchema, z.array(statementSchema).min(1)]),
}).strict();
export type PolicyDocumentSpec = z.infer<typeof documentSchema>;

const inlinePolicies = z.record(iamName(128), documentSchema).default({});
const managedPolicies = z.array(policyRef).default([]);

// --- kinds -------------------------------------------------------------------------------------

export const roleSchema = z.object({
  /** The IAM role name (default: metadata.name). */
  name: iamName(64).optional(),
  path: iamPath,
  assumeRolePolicy: documentSchema,
  description: z.string().max(1000).optional(),
  maxSessionDuration: z.number().int().min(3600).max(43200).default(3600),
  permissionsBoundary: policyRef.optional(),
  tags,
  inlinePolicies,
  managedPolicies,
}).strict();
export type RoleSpec = z.infer<typeof roleSchema>;

export const policySchema = z.object({
  name: iamName(128).optional(),
  path: iamPath,
  /** Fixed at creation by IAM: changing it replaces the policy. */
  description: z.string().max(1000).optional(),
  document: documentSchema,
  tags,
}).strict();
export type PolicySpec = z.infer<typeof policySchema>;

export const userSchema = z.object({
  name: iamName(64).optional(),
  path: iamPath,
  groups: z.array(nameRef).default([]),
  permissionsBoundary: policyRef.optional(),
  tags,
  inlinePolicies,
  managedPolicies,
}).strict();
export type UserSpec = z.infer<typeof userSchema>;

export const groupSchema = z.object({
  name: iamName(128).optional(),
  /** Groups cannot be tagged: trueup marks the groups it creates with a reserved inline policy
   * (see docs/iam.md, Ownership). */
  path: iamPath,
  inlinePolicies,
  managedPolicies,
}).strict();
export type GroupSpec = z.infer<typeof groupSchema>;

export const instanceProfileSchema = z.object({
  name: iamName(128).optional(),
  path: iamPath,
  role: nameRef.optional(),
  tags,
}).strict();
export type InstanceProfileSpec = z.infer<typeof instanceProfileSchema>;

export const oidcProviderSchema = z.object({
  /** Issuer URL, e.g. https://token.actions.githubusercontent.com */
  url: z.string().regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an https:// issuer URL without query or fragment').max(255),
  clientIds: z.array(z.string().min(1).max(255)).min(1),
  /** SHA-1 thumbprints of the issuer's certificate. Leave out to let IAM manage them. */
  thumbprints: z.array(z.string().regex(/^[0-9a-fA-F]{40}$/, 'a thumbprint is 40 hex digits')).max(5).optional(),
  tags,
}).strict();
export type OidcProviderSpec = z.infer<typeof oidcProviderSchema>;

export const kinds = {
  Role: defineKind({ apiVersion: API_VERSION, kind: 'Role', description: 'An IAM role with its trust policy, inline policies and managed-policy attachments.', schema: roleSchema }),
  Policy: defineKind({ apiVersion: API_VERSION, kind: 'Policy', description: 'A customer-managed IAM policy.', schema: policySchema }),
  User: defineKind({ apiVersion: API_VERSION, kind: 'User', description: 'An IAM user (no credentials: those stay out of Git), its groups and policies.', schema: userSchema }),
  Group: defineKind({ apiVersion: API_VERSION, kind: 'Group', description: 'An IAM group with its inline policies and attachments.', schema: groupSchema }),
  InstanceProfile: defineKind({ apiVersion: API_VERSION, kind: 'InstanceProfile', description: 'An EC2 instance profile holding one role.', schema: instanceProfileSchema }),
  OpenIDConnectProvider: defineKind({ apiVersion: API_VERSION, kind: 'OpenIDConnectProvider', description: 'An OIDC identity provider (GitHub Actions, EKS IRSA).', schema: oidcProviderSchema }),
};
