// Settings of a `gcp-dns` provider instance (engine config `providers.<name>.settings`). No
// secrets: credentials come from Application Default Credentials (GKE Workload Identity, a
// mounted key file named by GOOGLE_APPLICATION_CREDENTIALS, gcloud's user login).

import { z } from 'zod';

export const settingsSchema = z.object({
  /** The Google Cloud project that holds the managed zones. */
  project: z.string().regex(/^[a-z][-a-z0-9.:]{0,62}$/, 'a Google Cloud project id, e.g. my-project-123'),
  /** Endpoint override. `http://…` is an emulator (`http://127.0.0.1:8085`): a dummy token is
   * sent and no real credential is looked up. `https://…` is a private endpoint, with ADC. */
  apiEndpoint: z.url({ protocol: /^https?$/, error: 'apiEndpoint is an http(s) URL, e.g. http://127.0.0.1:8085' }).optional(),
  /** Client-side limit in requests per second, shared by every instance using this project. */
  rateLimit: z.number().positive().default(10),
  /** After apply, wait until Cloud DNS reports each change `done`. */
  waitForDone: z.boolean().default(false),
  /** How long `waitForDone` waits per apply, and how often it polls. */
  waitTimeoutMs: z.number().int().positive().default(120_000),
  pollIntervalMs: z.number().int().positive().default(1_000),
  /** Retries of throttled (429, rateLimitExceeded) and failed (5xx, network) requests. */
  retry: z.object({
    attempts: z.number().int().min(1).max(20).default(5),
    baseDelayMs: z.number().int().min(0).default(500),
    maxDelayMs: z.number().int().min(0).default(20_000),
  }).strict().default({ attempts: 5, baseDelayMs: 500, maxDelayMs: 20_000 }),
  /** Page size asked of rrsets.list and managedZones.list (the server may return less). */
  pageSize: z.number().int().min(1).max(1000).default(1000),
  /** Per request: give up when Cloud DNS sends no answer for this long (retried like a network
   * failure). A change that times out has an unknown outcome: the next observe decides. */
  timeoutMs: z.number().int().positive().default(30_000),
}).strict();

export type GcpDnsSettings = z.infer<typeof settingsSchema>;
