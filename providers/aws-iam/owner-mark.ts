// The proof that trueup created an IAM group. Groups take no tags (CreateGroup has no `Tags`,
// and there is no TagGroup), so trueup writes, right after CreateGroup, an inline group policy
// with a reserved name whose document grants and denies nothing and carries the owner id:
//
//   trueup.dev-owner: { "Version": "2012-10-17", "Statement": [{ "Sid": "TrueupOwnerMark",
//     "Effect": "Deny", "NotAction": "*", "Resource": "arn:aws:iam::*:group/trueup.dev/owner/<owner id>" }] }
//
// - The name fits PutGroupPolicy's PolicyName pattern `[\w+=,.@-]+` (1-128); a declared inline
//   policy may not use it (expand refuses it), so only trueup writes it.
// - `NotAction: "*"` matches every action except all of them, i.e. none: a Deny over no action
//   changes no decision (IAM JSON policy elements: NotAction). Sid is alphanumeric, as IAM wants.
// - The owner id (1-63 of [A-Za-z0-9._-]) is an ARN path segment of the Resource, so it parses back.
// - It costs about 150 of the 5,120 characters IAM allows a group's inline policies in total.
//
// The mark is not part of the group's value: observe leaves it out of `inlinePolicies`, so it is
// never a diff and never removed by exclusive management. It is deleted last, right before
// DeleteGroup (IAM refuses to delete a group that still has inline policies).

import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';

export const GROUP_OWNER_MARK = 'trueup.dev-owner';
const SID = 'TrueupOwnerMark';
const RESOURCE_PREFIX = 'group/trueup.dev/owner/';

export function ownerMarkDocument(ownerId: string): JsonObject {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: SID, Effect: 'Deny', NotAction: '*', Resource: `arn:aws:iam::*:${RESOURCE_PREFIX}${ownerId}` }],
  };
}

const RESOURCE = /^arn:aws[\w-]*:iam::\*:group\/trueup\.dev\/owner\/([A-Za-z0-9._-]{1,63})$/;

/** The owner id a mark document carries, or undefined when it is not a mark trueup wrote (a
 * policy someone else put under the reserved name proves nothing). */
export function ownerOfMark(document: JsonObject | undefined): string | undefined {
  const statements = document?.Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? [] : [statements];
  if (list.length !== 1) return undefined;
  const s = list[0] as JsonObject | null;
  if (!s || s.Sid !== SID || String(s.Effect).toLowerCase() !== 'deny' || single(s.NotAction) !== '*' || s.Action !== undefined) return undefined;
  const resource = single(s.Resource);
  return typeof resource === 'string' ? RESOURCE.exec(resource)?.[1] : undefined;
}

/** A value or a one-element list of it (normalised documents hold lists). */
const single = (v: JsonValue | undefined): JsonValue | undefined => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v);
