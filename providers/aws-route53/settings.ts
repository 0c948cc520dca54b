// Instance settings from the engine config. No credentials: the AWS SDK's default chain
// (environment, profile, IRSA / EKS Pod Identity, instance role) supplies them.

import { z } from 'zod';

export const route53SettingsSchema = z.object({
  /** Signing region (Route 53 is global; the SDK defaults to us-east-1 for it). */
  region: z.string().min(1).optional(),
  /** Endpoint override (an emulator, a VPC endpoint). `AWS_ENDPOINT_URL_ROUTE_53` also works. */
  endpoint: z.url().optional(),
  /** Client-side requests per second, shared by every instance using the same account and endpoint.
   * Route 53 allows about 5 requests/s per account for most calls. */
  rateLimit: z.number().positive().max(1000).default(5),
  /** SDK attempts per request (throttling and 5xx are retried with backoff). Default: the SDK's (3). */
  maxAttempts: z.number().int().min(1).max(20).optional(),
  /** Per HTTP attempt: give up when Route 53 sends no answer for this long (connecting
   * included). A write that times out is retried by the SDK; its outcome is unknown until the
   * next observe. */
  requestTimeoutMs: z.number().int().min(1).default(30_000),
  /** After applying, wait until Route 53 reports the changes INSYNC (GetChange). */
  waitForSync: z.boolean().default(false),
  /** Give up waiting for INSYNC after this many seconds (the change stays applied). */
  syncTimeoutSeconds: z.number().positive().default(300),
  /** Poll interval for GetChange, in milliseconds. */
  syncPollMs: z.number().int().min(10).default(5000),
}).strict();

export type Route53Settings = z.infer<typeof route53SettingsSchema>;
