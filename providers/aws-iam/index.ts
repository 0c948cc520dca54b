// The aws-iam provider: roles, customer-managed policies, users, groups, instance profiles and
// OIDC providers, read in bulk and compared by IAM's own semantics (docs/iam.md).
// Cheap to import: the AWS SDK is loaded by the instance on first use.

import { SDK_MAJOR, defineProvider, type PlannedChange, type ProviderInstance } from '../../src/sdk/index.ts';
import { expandResources } from './expand.ts';
import { TYPES } from './model.ts';
import { OWNER_TAG, kinds, settingsSchema, type IamSettings } from './schema.ts';

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
  capabilities: { import: true, importWrites: `writes the owner tag ${OWNER_TAG} on each imported role, policy, user, instance profile and OIDC provider that has none` },
  create: (settings) => lazyInstance(settings),
});

/** `validate` and `schema` only expand: the instance's observe/apply code (and through it the
 * AWS SDK) loads on the first call that needs the API. */
function lazyInstance(settings: IamSettings): ProviderInstance {
  let loaded: Promise<ProviderInstance> | undefined;
  const load = () => (loaded ??= import('./instance.ts').then((m) => new m.IamInstance(settings)));
  return {
    expand: (resources, ctx) => expandResources(resources, ctx, settings.accountId),
    observe: async (request, ctx) => (await load()).observe(request, ctx),
    apply: async (changes, ctx) => (await load()).apply(changes, ctx),
    import: async (request, ctx) => {
      const instance = await load();
      if (!instance.import) throw new Error('aws-iam import is not available');
      return instance.import(request, ctx);
    },
    close: async () => {
      if (loaded) await (await loaded).close?.();
    },
  };
}
