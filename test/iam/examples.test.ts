// examples/iam validates against the provider's schema and expands as documented.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { validateRevision } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import provider from '../../providers/aws-iam/index.ts';
import { settingsSchema } from '../../providers/aws-iam/schema.ts';

it('examples/iam/github-actions-oidc.yaml is valid and orders the role after what it names', async () => {
  const content = await readFile(new URL('../../examples/iam/github-actions-oidc.yaml', import.meta.url), 'utf8');
  const registry = new ProviderRegistry([provider as never]);
  const entry: InstanceEntry = { name: 'iam', definition: provider as never, instance: provider.create(settingsSchema.parse({ accountId: '123456789012' }), { instance: 'iam' }) };
  const { desired } = validateRevision({
    revision: { id: 'r', description: 'example', files: [{ path: 'github-actions-oidc.yaml', content }] },
    catalog: registry.catalog(), instances: new Map([['iam', entry]]), scopes: { iam: ['path/trueup/*'] }, ownerId: 'o',
  });
  const objects = desired.get('iam') ?? [];
  assert.deepEqual(objects.map((o) => o.key).sort(), ['oidc-provider/token.actions.githubusercontent.com', 'policy/web-deploy', 'role/web-deploy']);
  const role = objects.find((o) => o.key === 'role/web-deploy');
  assert.deepEqual(role?.dependsOn, ['oidc-provider/token.actions.githubusercontent.com', 'policy/web-deploy']);
  assert.match(JSON.stringify(role?.value), /arn:aws:iam::123456789012:oidc-provider\/token.actions.githubusercontent.com/);
});
