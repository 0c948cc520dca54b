// import: YAML for what lives under an IAM path prefix (`/teams/web/`), or for named entities
// (`role/deploy`, `policy/deploy`, `oidc-provider/token.actions.githubusercontent.com`), written
// from the same normalised values observe compares, so import → commit → plan is empty.
//
// Importing is how a person hands an existing entity to trueup, and it writes nothing: an entity
// without an owner mark is written with the `trueup.dev/adopt` annotation, so committing the file
// is the adoption and the first plan shows the owner mark being written, for review. (Tagging at
// import time would make the entities this source's before the YAML is in Git: a daemon running
// the same source would then prune them as owned and undeclared.) Entities owned by another source
// are left out.

import { ADOPT_ANNOTATION, type ImportRequest, type JsonObject, type ObservedObject, type ProviderContext } from '../../src/sdk/index.ts';
import type { IamApi } from './client.ts';
import { TYPES, nameOfKey } from './model.ts';
import { GROUP_OWNER_MARK } from './owner-mark.ts';
import { readAccount } from './observe.ts';
import { API_VERSION } from './schema.ts';

const KIND: Record<string, string> = {
  [TYPES.role]: 'Role', [TYPES.policy]: 'Policy', [TYPES.user]: 'User', [TYPES.group]: 'Group',
  [TYPES.instanceProfile]: 'InstanceProfile', [TYPES.oidcProvider]: 'OpenIDConnectProvider',
};

export function selects(selector: string, o: ObservedObject): boolean {
  if (selector.startsWith('/')) {
    const path = (o.value as JsonObject).path;
    return typeof path === 'string' && path.startsWith(selector);
  }
  return o.key === selector || (selector.endsWith('/') && o.key.startsWith(selector));
}

export async function importEntities(api: IamApi, request: ImportRequest, ctx: ProviderContext, concurrency: number): Promise<JsonObject[]> {
  if (!request.selector.startsWith('/') && !Object.keys(KIND).some((t) => request.selector.startsWith(`${t}/`))) {
    throw new Error(`IAM import selector "${request.selector}": use a path prefix (/teams/web/) or a name such as role/deploy, policy/deploy, user/ci, group/admins, instance-profile/web, oidc-provider/token.actions.githubusercontent.com`);
  }
  // Read everything the source may touch; oidc-provider/ scopes are only read when named.
  const all = await readAccount(api, ctx, request.allowedScopes, concurrency);
  const chosen = all.filter((o) => selects(request.selector, o)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const documents: JsonObject[] = [];
  for (const o of chosen) {
    if (o.ownership.state === 'foreign') {
      ctx.log.warn({ key: o.key, owner: o.ownership.owner }, 'not imported: owned by another trueup source');
      request.onSkipped?.({ subject: o.display, reason: `owned by another trueup source (${o.ownership.owner})` });
      continue;
    }
    const document = toDocument(o.type === TYPES.group ? withoutMark(o) : o);
    if (o.ownership.state === 'unowned') (document.metadata as JsonObject).annotations = { [ADOPT_ANNOTATION]: 'true' };
    documents.push(document);
  }
  return documents;
}

/** A group's policy under the reserved name is not declarable: adopting the group overwrites it with the mark. */
function withoutMark(o: ObservedObject): ObservedObject {
  const value = o.value as JsonObject;
  const { [GROUP_OWNER_MARK]: _replaced, ...inlinePolicies } = value.inlinePolicies as JsonObject;
  return { ...o, value: { ...value, inlinePolicies } };
}

const META_NAME = /^[A-Za-z0-9]([A-Za-z0-9._:/@*-]*[A-Za-z0-9.*])?$/;

function toDocument(o: ObservedObject): JsonObject {
  const value = o.value as JsonObject;
  const iamName = nameOfKey(o.key);
  const spec: JsonObject = {};
  let metaName = iamName;
  if (o.type === TYPES.oidcProvider) {
    metaName = iamName.replace(/[^A-Za-z0-9.-]+/g, '-');
  } else if (!META_NAME.test(iamName)) {
    metaName = iamName.replace(/[^A-Za-z0-9._@-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9.]+$/g, '') || 'imported';
    spec.name = iamName;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (isEmpty(v)) continue;
    if (k === 'maxSessionDuration' && v === 3600) continue;
    spec[k] = v;
  }
  return { apiVersion: API_VERSION, kind: KIND[o.type] ?? o.type, metadata: { name: metaName }, spec };
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
