// The `kubernetes` provider: any manifest whose apiVersion no other provider claims (core, apps,
// rbac, CRDs, custom resources…) goes to a cluster through server-side apply. Cheap to import:
// `@kubernetes/client-node` is loaded only when an instance first talks to a cluster.

import { z } from 'zod';
import { SDK_MAJOR, defineKind, defineProvider, type ObjectTypeDefinition, type PlannedChange } from '../../src/sdk/index.ts';
import { applyChanges } from './apply.ts';
import { KubeClient } from './client.ts';
import { DryRunCache } from './dry-run-cache.ts';
import { expandResources } from './expand.ts';
import { verifyHealth } from './health.ts';
import { importNamespace } from './import.ts';
import { observeCluster } from './observe.ts';
import { kubernetesPermissions } from './permissions.ts';
import { settingsSchema } from './settings.ts';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Whole-document schema: apiVersion, kind and metadata.name are required; label syntax is
 * checked here (so the error names file and line); everything else passes through verbatim. */
const manifestSchema = z.object({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.object({
    name: z.string().min(1).max(253),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace is a lower-case RFC 1123 label').max(63).optional(),
    labels: z.record(
      z.string().max(316).regex(QUALIFIED_NAME, 'a label key is an optional DNS prefix and a name of letters, digits, - _ .'),
      z.string().max(63, 'label values are at most 63 characters').regex(LABEL_VALUE, 'label values are letters, digits, - _ . and start and end with a letter or digit'),
    ).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }).loose(),
}).loose();

export const manifestKind = defineKind({
  apiVersion: '*',
  kind: '*',
  description: 'Any Kubernetes manifest (core, apps, rbac, CRDs, custom resources), applied verbatim with server-side apply.',
  schema: manifestSchema,
  wholeDocument: true,
});

/** Deletes (and re-creations, which delete first) that need --force. */
function dangerous(change: PlannedChange): string | undefined {
  if (change.action !== 'delete' && change.action !== 'replace') return undefined;
  const verb = change.action === 'delete' ? 'deleting' : 're-creating';
  if (change.key.startsWith('apiextensions.k8s.io/CustomResourceDefinition/')) return `${verb} a CustomResourceDefinition deletes every custom resource of its kind`;
  if (change.key.startsWith('core/Namespace/')) return `${verb} a Namespace deletes everything in it`;
  if (change.action === 'replace' && change.scope === 'cluster') return 're-creating a cluster-scoped object deletes it first; what refers to it is without it until it is created again';
  return undefined;
}

// Values of Secrets never reach plans, logs or errors.
const SECRET_FIELDS = ['data.*', 'stringData.*'];

const objectTypes: Record<string, ObjectTypeDefinition> = {
  object: { dangerous },
  secret: { sensitive: SECRET_FIELDS, dangerous },
  // Objects the API server refused to change in place (a dry run answered 422 "field is
  // immutable") and whose manifest allows re-creation (trueup.dev/recreate: enabled). Which fields
  // are immutable is the server's knowledge — built-in rules, a CRD's `self == oldSelf` — so
  // observe moves such an object into one of these types rather than listing fields here: every
  // difference is a replace.
  'object-recreate': { replaceOn: ['*'], dangerous },
  'secret-recreate': { replaceOn: ['*'], sensitive: SECRET_FIELDS, dangerous },
};

export default defineProvider({
  type: 'kubernetes',
  sdkMajor: SDK_MAJOR,
  description: 'Kubernetes objects through server-side apply: dry-run plans, ordering, health checks and safe prune.',
  settings: settingsSchema,
  kinds: [manifestKind],
  objectTypes,
  capabilities: {
    import: true, serverSideDryRun: true, acceptsUnclaimedApiVersions: true,
    importWrites: 'removes the trueup owner marks of owned Secrets it leaves out (their values would be committed in clear text), so plans leave them alone instead of deleting them',
  },
  create(settings) {
    const client = new KubeClient(settings);
    const env = { client, settings, dryRuns: new DryRunCache(settings.dryRunCacheSeconds * 1000) };
    return {
      expand: (resources, ctx) => expandResources(resources, ctx, settings.defaultNamespace),
      observe: (request, ctx) => observeCluster(env, request, ctx),
      apply: (changes, ctx) => applyChanges(env, changes, ctx),
      verify: (applied, ctx) => verifyHealth(env, applied, ctx),
      import: (request, ctx) => importNamespace(env, request, ctx),
      close: () => client.close(),
    };
  },
  permissions: (request) => kubernetesPermissions(request),
});
