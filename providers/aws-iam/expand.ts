// expand: declared IAM resources → one object per entity, with references resolved to ARNs
// (or names) and dependencies recorded so creates run before dependents and deletes after.
// Pure: no I/O. An account id not yet known is written as ACCOUNT_PLACEHOLDER and filled in by
// observe (from the ARNs it reads) or apply (from the ARNs creates return).

import type { DesiredObject, ExpandContext, JsonObject, JsonValue, Resource, ResourceIssue } from '../../src/sdk/index.ts';
import { normalizeDocument } from './document.ts';
import { GROUP_OWNER_MARK } from './owner-mark.ts';
import {
  ACCOUNT_PLACEHOLDER, TYPES, arnOf, arnResource, isServiceLinkedPath, issuerOf, objectKey, oidcScope, parseArn, pathScope,
  type ObjectType,
} from './model.ts';
import type {
  GroupSpec, InstanceProfileSpec, OidcProviderSpec, PolicySpec, Ref, RefKind, RoleSpec, UserSpec,
} from './schema.ts';

type Path = (string | number)[];

interface Declared {
  kind: RefKind;
  type: ObjectType;
  /** The IAM name (or issuer for OIDC providers). */
  name: string;
  key: string;
  arnResource: string;
}

const TYPE_OF: Record<RefKind, ObjectType> = {
  Role: TYPES.role, Policy: TYPES.policy, User: TYPES.user, Group: TYPES.group,
  InstanceProfile: TYPES.instanceProfile, OpenIDConnectProvider: TYPES.oidcProvider,
};

function declare(r: Resource): Declared | undefined {
  const kind = r.kind as RefKind;
  const type = TYPE_OF[kind];
  if (!type) return undefined;
  if (kind === 'OpenIDConnectProvider') {
    const issuer = issuerOf((r.spec as OidcProviderSpec).url);
    return { kind, type, name: issuer, key: objectKey(type, issuer), arnResource: arnResource(type, '', issuer) };
  }
  const spec = r.spec as { name?: string; path: string };
  const name = spec.name ?? r.metadata.name;
  return { kind, type, name, key: objectKey(type, name), arnResource: arnResource(type, spec.path, name) };
}

/** IAM's documented name limits: 64 characters for roles and users, 128 for policies, groups
 * and instance profiles; letters, digits and + = , . @ _ - only. */
const MAX_NAME: Partial<Record<RefKind, number>> = { Role: 64, User: 64, Policy: 128, Group: 128, InstanceProfile: 128 };

function nameProblem(kind: RefKind, name: string): string | undefined {
  const max = MAX_NAME[kind];
  if (max === undefined) return undefined;
  if (name.length > max) return `an IAM ${kind} name is at most ${max} characters; "${name.slice(0, 20)}…" has ${name.length}`;
  if (!/^[\w+=,.@-]+$/.test(name)) return `an IAM ${kind} name holds letters, digits and + = , . @ _ - only ("${name}")`;
  return undefined;
}

export function expandResources(resources: Resource[], ctx: ExpandContext, accountId: string | undefined): { objects: DesiredObject[]; issues: ResourceIssue[] } {
  const account = accountId ?? ACCOUNT_PLACEHOLDER;
  const issues: ResourceIssue[] = [];
  const objects: DesiredObject[] = [];
  void ctx;

  // Index what the repository declares, for references by metadata.name, by IAM name and by ARN.
  const byMetaName = new Map<string, Declared[]>();
  const byIamName = new Map<string, Declared>();
  const byArnResource = new Map<string, Declared>();
  const declared = new Map<Resource, Declared>();
  for (const r of resources) {
    const d = declare(r);
    if (!d) continue;
    const invalid = (r.spec as { name?: string }).name === undefined ? nameProblem(d.kind, d.name) : undefined;
    if (invalid) {
      // The IAM name defaults to metadata.name, which allows more than IAM does.
      issues.push({ resource: r, path: ['metadata', 'name'], message: `${invalid}; set spec.name to a valid IAM name` });
      continue;
    }
    declared.set(r, d);
    byMetaName.set(r.metadata.name, [...(byMetaName.get(r.metadata.name) ?? []), d]);
    byIamName.set(`${d.type}/${d.name}`, d);
    byArnResource.set(d.arnResource, d);
  }

  for (const r of resources) {
    const d = declared.get(r);
    if (!d) continue;
    const deps = new Set<string>();
    const issue = (path: Path, message: string) => issues.push({ resource: r, path, message });

    const resolve = (ref: Ref, allowed: readonly RefKind[], path: Path): Declared | undefined => {
      const candidates = (byMetaName.get(ref.ref) ?? []).filter((c) => (ref.kind ? c.kind === ref.kind : allowed.includes(c.kind)));
      if (candidates.length === 0) {
        issue(path, `reference "${ref.ref}" does not name a ${ref.kind ?? allowed.join(' or ')} declared in this repository`);
        return undefined;
      }
      if (candidates.length > 1) {
        issue(path, `reference "${ref.ref}" is ambiguous (${candidates.map((c) => c.kind).join(', ')}); add kind: to choose`);
        return undefined;
      }
      const target = candidates[0] as Declared;
      if (target.key !== d.key) deps.add(target.key);
      return target;
    };
    /** A plain ARN naming something declared here (any account we may be in) orders the apply too. */
    const noteArn = (arn: string) => {
      const parsed = parseArn(arn);
      if (!parsed) return;
      if (accountId && parsed.account !== accountId) return;
      const target = byArnResource.get(parsed.resource);
      if (target && target.key !== d.key) deps.add(target.key);
    };
    const policyArn = (value: string | Ref, path: Path): string | undefined => {
      if (typeof value === 'string') {
        noteArn(value);
        return value;
      }
      const target = resolve(value, ['Policy'], path);
      return target ? arnOf(account, target.arnResource) : undefined;
    };
    const nameOf = (value: string | Ref, kind: RefKind, path: Path): string | undefined => {
      if (typeof value === 'string') {
        const target = byIamName.get(`${TYPE_OF[kind]}/${value}`);
        if (target) deps.add(target.key);
        return value;
      }
      return resolve(value, [kind], path)?.name;
    };
    const document = (doc: unknown, path: Path): JsonObject => normalizeDocument(resolveDocumentRefs(doc as JsonObject, path));
    const resolveDocumentRefs = (doc: JsonObject, path: Path): JsonObject => {
      const visit = (v: JsonValue, p: Path): JsonValue => {
        if (Array.isArray(v)) return v.map((x, i) => visit(x, [...p, i]));
        if (v !== null && typeof v === 'object') {
          if (typeof v.ref === 'string' && Object.keys(v).every((k) => k === 'ref' || k === 'kind')) {
            const target = resolve(v as unknown as Ref, ['Role', 'User', 'Group', 'Policy', 'OpenIDConnectProvider', 'InstanceProfile'], p);
            return target ? arnOf(account, target.arnResource) : '';
          }
          const out: JsonObject = {};
          for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = visit(x, [...p, k]);
          return out;
        }
        if (typeof v === 'string') noteArn(v);
        return v;
      };
      return visit(doc, path) as JsonObject;
    };
    const inline = (policies: Record<string, unknown>, path: Path): Record<string, JsonObject> => {
      const out: Record<string, JsonObject> = {};
      for (const [name, doc] of Object.entries(policies)) out[name] = document(doc, [...path, name]);
      return out;
    };
    const managed = (list: (string | Ref)[], path: Path): string[] =>
      [...new Set(list.map((p, i) => policyArn(p, [...path, i])).filter((a): a is string => a !== undefined))].sort();

    let value: JsonObject;
    let scope: string;
    let display: string;
    switch (r.kind) {
      case 'Role': {
        const spec = r.spec as RoleSpec;
        if (isServiceLinkedPath(spec.path)) {
          issue(['spec', 'path'], 'service-linked and reserved roles (/aws-service-role/, /aws-reserved/) belong to AWS services; trueup never manages them');
          continue;
        }
        const v: JsonObject = {
          path: spec.path,
          assumeRolePolicy: document(spec.assumeRolePolicy, ['spec', 'assumeRolePolicy']),
          maxSessionDuration: spec.maxSessionDuration,
          tags: { ...spec.tags },
          inlinePolicies: inline(spec.inlinePolicies, ['spec', 'inlinePolicies']),
          managedPolicies: managed(spec.managedPolicies, ['spec', 'managedPolicies']),
        };
        if (spec.description) v.description = spec.description;
        if (spec.permissionsBoundary !== undefined) {
          const arn = policyArn(spec.permissionsBoundary, ['spec', 'permissionsBoundary']);
          if (arn) v.permissionsBoundary = arn;
        }
        value = v;
        scope = pathScope(spec.path);
        display = `role ${spec.path}${d.name}`;
        break;
      }
      case 'Policy': {
        const spec = r.spec as PolicySpec;
        const v: JsonObject = { path: spec.path, document: document(spec.document, ['spec', 'document']), tags: { ...spec.tags } };
        if (spec.description) v.description = spec.description;
        value = v;
        scope = pathScope(spec.path);
        display = `policy ${spec.path}${d.name}`;
        break;
      }
      case 'User': {
        const spec = r.spec as UserSpec;
        const v: JsonObject = {
          path: spec.path,
          groups: [...new Set(spec.groups.map((g, i) => nameOf(g, 'Group', ['spec', 'groups', i])).filter((g): g is string => g !== undefined))].sort(),
          tags: { ...spec.tags },
          inlinePolicies: inline(spec.inlinePolicies, ['spec', 'inlinePolicies']),
          managedPolicies: managed(spec.managedPolicies, ['spec', 'managedPolicies']),
        };
        if (spec.permissionsBoundary !== undefined) {
          const arn = policyArn(spec.permissionsBoundary, ['spec', 'permissionsBoundary']);
          if (arn) v.permissionsBoundary = arn;
        }
        value = v;
        scope = pathScope(spec.path);
        display = `user ${spec.path}${d.name}`;
        break;
      }
      case 'Group': {
        const spec = r.spec as GroupSpec;
        if (GROUP_OWNER_MARK in spec.inlinePolicies) {
          issue(['spec', 'inlinePolicies', GROUP_OWNER_MARK], `the inline policy name ${GROUP_OWNER_MARK} is reserved: trueup writes it on the groups it creates as its proof of ownership`);
          continue;
        }
        value = {
          path: spec.path,
          inlinePolicies: inline(spec.inlinePolicies, ['spec', 'inlinePolicies']),
          managedPolicies: managed(spec.managedPolicies, ['spec', 'managedPolicies']),
        };
        scope = pathScope(spec.path);
        display = `group ${spec.path}${d.name}`;
        break;
      }
      case 'InstanceProfile': {
        const spec = r.spec as InstanceProfileSpec;
        const v: JsonObject = { path: spec.path, tags: { ...spec.tags } };
        if (spec.role !== undefined) {
          const role = nameOf(spec.role, 'Role', ['spec', 'role']);
          if (role) v.role = role;
        }
        value = v;
        scope = pathScope(spec.path);
        display = `instance profile ${spec.path}${d.name}`;
        break;
      }
      case 'OpenIDConnectProvider': {
        const spec = r.spec as OidcProviderSpec;
        const v: JsonObject = {
          url: `https://${d.name}`,
          clientIds: [...new Set(spec.clientIds)].sort(),
          tags: { ...spec.tags },
        };
        // Left out: IAM manages the thumbprints itself and observe does not compare them.
        if (spec.thumbprints) v.thumbprints = [...new Set(spec.thumbprints.map((t) => t.toLowerCase()))].sort();
        value = v;
        scope = oidcScope(d.name);
        display = `OIDC provider ${d.name}`;
        break;
      }
      default:
        continue;
    }
    const object: DesiredObject = { key: d.key, type: d.type, display, scope, value, resource: r };
    if (deps.size > 0) object.dependsOn = [...deps].sort();
    objects.push(object);
  }
  return { objects, issues };
}
