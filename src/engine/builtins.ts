// The providers that ship with trueup. Each is registered exactly like a plugin.
// Provider modules keep cloud SDK imports lazy, so listing them here costs little at start-up.

import type { ProviderDefinition } from '../sdk/index.ts';

export async function builtinProviders(): Promise<ProviderDefinition[]> {
  const modules = await Promise.all([
    import('../../providers/aws-iam/index.ts'),
    import('../../providers/aws-route53/index.ts'),
    import('../../providers/gcp-dns/index.ts'),
    import('../../providers/kubernetes/index.ts'),
  ]);
  return modules.map((m: { default: ProviderDefinition }) => m.default);
}
