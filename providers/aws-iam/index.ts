// The aws-iam provider: roles, customer-managed policies, users, groups, instance profiles and
// OIDC providers, read in bulk and compared by IAM's own semantics (docs/iam.md).
// Cheap to import: the AWS SDK is loaded by the instance on first use.

import { SDK_MAJOR, defineProvider, type PlannedChange } from '../../src/sdk/index.ts';
import { IamInstance } from './instance.ts';
import { TYPES } from './model.ts';
import { kinds, settingsSchema } from './schema.ts';

/** A role replaced gets a new unique id: trust policies elsewhere (other accounts) that named
 * it stop matching and its sessions end. Worth a --force; the renderer marks every replace. */
const roleReplace = (change: PlannedChange): string | undefined =>
  change.action === 'replace' ? 'replaces the role (IAM cannot change its path in place): it gets a new unique id, so trust policies that named it elsewhere stop matching' : undefined;

export default defineProvider({
  type: 'aws-iam',
  sdkMajor: SDK_MAJOR,
  description: 'AWS IAM: roles, policies, users, groups, instance profiles and OIDC providers, without perpetual policy diffs.',
  settings: settingsSchema,
  kinds: Object.values(kinds),
  objectTypes: {
    [TYPES.role]: { replaceOn: ['path'], dangerous: roleReplace },
    // A managed policy's description is fixed at creation.
    [TYPES.policy]: { replaceOn: ['path', 'description'] },
    [TYPES.user]: {},
    [TYPES.group]: {},
    [TYPES.instanceProfile]: { replaceOn: ['path'] },
    [TYPES.oidcProvider]: {},
  },
  capabilities: { import: true },
  create: (settings) => new IamInstance(settings),
});
