// expand and validation without any API: references resolve to ARNs and order the apply, and
// every mistake is reported with file, line and field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { validateRevision } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { InvalidRevisionError, formatIssue } from '../../src/load/issues.ts';
import provider from '../../providers/aws-iam/index.ts';
import { settingsSchema } from '../../providers/aws-iam/schema.ts';
import type { DesiredObject } from '../../src/sdk/index.ts';

function expand(yaml: string, settings: Record<string, unknown> = {}): DesiredObject[] {
  const registry = new ProviderRegistry([provider as never]);
  const entry: InstanceEntry = { name: 'iam', definition: provider as never, instance: provider.create(settingsSchema.parse(settings), { instance: 'iam' }) };
  const { desired } = validateRevision({
    revision: { id: 'r', description: 'r', files: [{ path: 'iam/roles.yaml', content: yaml }] },
    catalog: registry.catalog(), instances: new Map([['iam', entry]]), scopes: { iam: ['path/*'] }, ownerId: 'o',
  });
  return desired.get('iam') ?? [];
}

function problems(yaml: string): string[] {
  try {
    expand(yaml);
  } catch (error) {
    if (error instanceof InvalidRevisionError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

const trust = `
  assumeRolePolicy:
    Version: "2012-10-17"
    Statement:
      Effect: Allow
      Principal: { Service: ec2.amazonaws.com }
      Action: sts:AssumeRole`;

describe('aws-iam expand', () => {
  it('resolves references with the configured account id, and orders by them', () => {
    const objects = expand(`
apiVersion: iam.aws.trueup.dev/v1
kind: Policy
metadata: { name: deploy-policy }
spec:
  name: Deploy
  path: /trueup/
  document: { Version: "2012-10-17", Statement: { Effect: Allow, Action: "s3:*", Resource: "*" } }
---
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: deploy }
spec:
  path: /trueup/${trust}
  managedPolicies:
    - ref: deploy-policy
    - arn:aws:iam::aws:policy/ReadOnlyAccess
  permissionsBoundary: arn:aws:iam::123456789012:policy/trueup/Deploy
`, { accountId: '123456789012' });
    const role = objects.find((o) => o.key === 'role/deploy');
    assert.deepEqual((role?.value as { managedPolicies: string[] }).managedPolicies, ['arn:aws:iam::123456789012:policy/trueup/Deploy', 'arn:aws:iam::aws:policy/ReadOnlyAccess']);
    assert.deepEqual(role?.dependsOn, ['policy/Deploy']);
    assert.equal(role?.scope, 'path/trueup/');
    assert.equal(objects.find((o) => o.key === 'policy/Deploy')?.display, 'policy /trueup/Deploy');
  });

  it('a trust policy naming an OIDC provider by reference depends on it', () => {
    const objects = expand(`
apiVersion: iam.aws.trueup.dev/v1
kind: OpenIDConnectProvider
metadata: { name: github }
spec: { url: "https://token.actions.githubusercontent.com", clientIds: [sts.amazonaws.com] }
---
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: ci }
spec:
  assumeRolePolicy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Principal: { Federated: { ref: github } }
        Action: sts:AssumeRoleWithWebIdentity
`);
    const role = objects.find((o) => o.key === 'role/ci');
    assert.deepEqual(role?.dependsOn, ['oidc-provider/token.actions.githubusercontent.com']);
    const statement = ((role?.value as { assumeRolePolicy: { Statement: { Principal: unknown }[] } }).assumeRolePolicy.Statement[0]);
    assert.deepEqual(statement?.Principal, { Federated: ['arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com'] });
    const oidc = objects.find((o) => o.type === 'oidc-provider');
    assert.equal(oidc?.scope, 'oidc-provider/token.actions.githubusercontent.com');
  });

  it('reports every mistake with file, line and field', () => {
    const found = problems(`
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: a }
spec:
  path: /trueup/${trust}
  managedPolicies: [{ ref: missing }]
---
apiVersion: iam.aws.trueup.dev/v1
kind: Group
metadata: { name: g }
spec: { path: /, inlinePolicies: { trueup.dev-owner: { Statement: { Effect: Allow, Action: "s3:*", Resource: "*" } } } }
---
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: slr }
spec:
  path: /aws-service-role/${trust}
---
apiVersion: iam.aws.trueup.dev/v1
kind: Policy
metadata: { name: bad }
spec:
  path: trueup
  document: { Statement: { Effect: Permit, Action: "s3:*", Resource: "*" } }
  tags: { trueup.dev/owner: me }
`);
    assert.equal(found.length, 6, found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('iam/roles.yaml:13:21:') && p.includes('spec.managedPolicies[0]: reference "missing" does not name a Policy')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('iam/roles.yaml:18:54:') && p.includes('spec.inlinePolicies["trueup.dev-owner"]: the inline policy name trueup.dev-owner is reserved')), found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('iam/roles.yaml:24:9:') && p.includes('service-linked and reserved roles')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('spec.path: an IAM path starts and ends with /')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('spec.document.Statement') && p.includes('Effect is Allow or Deny')), found.join('\n'));
    assert.ok(found.some((p) => p.includes('spec.tags') && p.includes('written by trueup itself')), found.join('\n'));
  });

  it('an ambiguous reference asks for kind', () => {
    const found = problems(`
apiVersion: iam.aws.trueup.dev/v1
kind: Role
metadata: { name: x }
spec:${trust}
---
apiVersion: iam.aws.trueup.dev/v1
kind: User
metadata: { name: x }
spec: {}
---
apiVersion: iam.aws.trueup.dev/v1
kind: Policy
metadata: { name: p }
spec:
  document: { Version: "2012-10-17", Statement: { Effect: Allow, Action: "sts:AssumeRole", Resource: { ref: x } } }
`);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0] ?? '', /spec\.document\.Statement\.Resource: reference "x" is ambiguous \(Role, User\); add kind: to choose/);
  });
});
