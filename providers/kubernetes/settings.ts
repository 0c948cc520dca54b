// Settings of a `kubernetes` provider instance in the engine config. No secrets here: credentials
// come from the kubeconfig or the pod's service account, as for kubectl.

import { z } from 'zod';

export const settingsSchema = z.object({
  /** Path of a kubeconfig file (default: $KUBECONFIG or ~/.kube/config). */
  kubeconfig: z.string().min(1).optional(),
  /** Context of the kubeconfig to use (default: its current-context). */
  context: z.string().min(1).optional(),
  /** Use the service account of the pod trueup runs in. */
  inCluster: z.boolean().default(false),
  /** API server URL overriding the kubeconfig's (an emulator, a port-forward). */
  server: z.string().regex(/^https?:\/\//, 'server must be an http(s) URL').optional(),
  /** Field manager of trueup's server-side applies. */
  fieldManager: z.string().min(1).max(128).default('trueup'),
  /** Namespace for namespaced manifests that name none. */
  defaultNamespace: z.string().min(1).default('default'),
  /** How long verify waits for applied objects to become healthy (rolled out, Ready…). */
  healthTimeoutSeconds: z.number().positive().default(300),
  /** How long apply waits for a new CRD to be Established before its custom resources. */
  crdTimeoutSeconds: z.number().positive().default(60),
  /** How long re-creating an object (trueup.dev/recreate) waits for the old one to be gone:
   * a foreground deletion lasts until the garbage collector removed its dependents (pods). */
  deleteTimeoutSeconds: z.number().positive().default(300),
  requestTimeoutSeconds: z.number().positive().default(30),
  /** Retries of throttled / 5xx / network-failed requests inside one call. */
  retries: z.number().int().min(0).max(10).default(2),
  retryDelayMs: z.number().int().min(0).default(200),
  /** Client-side rate limit: requests per second and burst (client-go's QPS/burst; Flux's
   * controllers default to 50/300 too). */
  qps: z.number().positive().default(50),
  burst: z.number().int().min(1).default(300),
  /** How long the daemon reuses a dry run of an unchanged manifest against an unchanged object
   * (same resourceVersion) before asking the server again; 0 asks every pass. See
   * docs/kubernetes.md (steady state). The CLI always asks. */
  dryRunCacheSeconds: z.number().min(0).default(3600),
  /** Requests in flight at once (dry runs, lists). */
  concurrency: z.number().int().min(1).max(64).default(8),
}).strict().refine((s) => !(s.inCluster && s.kubeconfig), { message: 'set either inCluster or kubeconfig, not both' });

export type KubernetesSettings = z.infer<typeof settingsSchema>;
