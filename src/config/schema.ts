// The engine config (`trueup.yaml`): provider instances, sources, their scopes and the safety
// policy. It never holds secrets: cloud credentials come from the SDKs' standard chains, Git
// tokens from environment variables or files named here.

import { z } from 'zod';
import { parseDuration } from './duration.ts';

const duration = (fallback: string) =>
  z.string().default(fallback).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration (e.g. 30s, 5m, 1h)` });
      return z.NEVER;
    }
    return ms;
  });

const instanceName = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lower-case letters, digits and -');

export const safetySchema = z.object({
  /** Share of managed objects (per provider instance and scope) one plan may update. */
  maxUpdateShare: z.number().min(0).max(1).default(0.3),
  /** Share of managed objects one plan may delete. */
  maxDeleteShare: z.number().min(0).max(1).default(0.3),
  /** Thresholds apply only where at least this many objects are managed. */
  minExisting: z.number().int().min(0).default(10),
  /** Take over existing objects that carry no owner mark (Kubernetes objects applied by kubectl). */
  adoptUnowned: z.boolean().default(false),
}).strict();

export type SafetyPolicy = z.infer<typeof safetySchema>;

const gitAuthSchema = z.object({
  username: z.string().optional(),
  /** Environment variable holding the token or password. */
  tokenEnv: z.string().optional(),
  /** File holding the token or password (a mounted secret). */
  tokenFile: z.string().optional(),
}).strict();

export const gitSourceSchema = z.object({
  url: z.string().regex(/^https?:\/\//, 'only http(s) Git URLs are supported'),
  branch: z.string().optional(),
  tag: z.string().optional(),
  commit: z.string().regex(/^[0-9a-f]{40}$/, 'a commit is 40 hex digits').optional(),
  /** Folder inside the repository holding the resource files. */
  path: z.string().default(''),
  auth: gitAuthSchema.optional(),
  /** Give up on a Git request when the server sends nothing for this long (headers or the
   * next chunk of a pack). */
  requestTimeout: duration('30s'),
  verify: z.object({
    /** ASCII-armoured public keys whose signatures are trusted on the HEAD commit. */
    trustedKeysFile: z.string(),
  }).strict().optional(),
}).strict().refine((g) => [g.branch, g.tag, g.commit].filter(Boolean).length <= 1, {
  message: 'set at most one of branch, tag and commit',
});

export type GitSourceConfig = z.infer<typeof gitSourceSchema>;

/** A secret named, never written, in the config: an environment variable or a file (a mounted
 * Kubernetes Secret). Exactly one of the two. */
export const secretRefSchema = z.object({
  env: z.string().min(1).optional(),
  file: z.string().min(1).optional(),
}).strict().refine((s) => (s.env === undefined) !== (s.file === undefined), {
  message: 'name exactly one of env (an environment variable) and file (a mounted secret)',
});

export type SecretRef = z.infer<typeof secretRefSchema>;

/** Pull-request previews: the daemon plans every pull request (merge request) of the source's
 * repository against live state, never applies from one, and keeps one comment and a commit
 * status on it current. See docs/pull-requests.md. */
export const previewsSchema = z.object({
  provider: z.enum(['github', 'gitlab']),
  /** GitHub: owner/name. GitLab: the project's path (group/sub/project) or numeric id. */
  repository: z.string().regex(/^(?:[^/\s]+(?:\/[^/\s]+)+|\d+)$/, 'owner/name (GitLab: group/project or the numeric project id)'),
  /** API token: GitHub needs pull requests + issues (comments) read/write and commit statuses
   * write; GitLab the `api` scope (Developer role). Only from the environment or a file. */
  token: secretRefSchema,
  /** API base URL (default https://api.github.com or https://gitlab.com/api/v4). */
  apiUrl: z.string().regex(/^https?:\/\//, 'an http(s) URL').optional(),
  /** Previews of this source planned at the same time; more wait their turn (newest push wins). */
  maxConcurrent: z.number().int().min(1).max(16).default(2),
  /** Preview pull requests from forks. Sensitive values are masked in every plan, but the
   * plan still shows the live values of what the changed files declare within the source's
   * scopes: on a public repository, anyone who can fork it reads them. */
  forks: z.boolean().default(true),
  /** Commit status context / name (default trueup/<source>). */
  context: z.string().min(1).max(255).optional(),
}).strict();

export type PreviewsConfig = z.infer<typeof previewsSchema>;

// Stages, variables and ordering (issue 17; docs/stages.md), kept together in one block.
const varName = z.string().regex(/^[_A-Za-z][_A-Za-z0-9]*$/, 'a variable name holds letters, digits and _ and does not start with a digit');
const stageFields = {
  /** Base folders the source's own folder (its stage) is laid over, relative to the same root as
   * its path (the config's folder for `path`, the repository for `git.path`). */
  bases: z.array(z.string().min(1)).min(1).optional(),
  /** `${name}` substitution in the source's files; these win over `varsFrom`. */
  vars: z.record(varName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  /** YAML files of `name: value` for substitution, relative to the same root as `bases`. */
  varsFrom: z.array(z.string().min(1)).min(1).optional(),
  /** Sources that must be Ready at their current revision before this one applies. */
  dependsOn: z.array(instanceName).min(1).optional(),
  /** Keys for SOPS-encrypted files besides those in the environment (SOPS_AGE_KEY,
   * SOPS_AGE_KEY_FILE): a mounted file of age identities, relative to this config. */
  decryption: z.object({ ageKeyFile: z.string().min(1) }).strict().optional(),
};

export const sourceSchema = z.object({
  ...stageFields,
  name: instanceName,
  /** Owner id written on everything this source creates (default: the source name). */
  owner: z.string().regex(/^[A-Za-z0-9._-]{1,63}$/, 'owner ids are 1-63 letters, digits, . _ -').optional(),
  path: z.string().optional(),
  git: gitSourceSchema.optional(),
  interval: duration('5m'),
  retryInterval: duration('30s'),
  driftInterval: duration('30m'),
  timeout: duration('10m'),
  mode: z.enum(['apply', 'detect', 'approve']).default('apply'),
  suspended: z.boolean().default(false),
  /** Provider instance → scope patterns this source may touch. Instances not listed are off limits. */
  scopes: z.record(instanceName, z.array(z.string().min(1)).min(1)),
  safety: safetySchema.partial().optional(),
  previews: previewsSchema.optional(),
}).strict().refine((s) => (s.path === undefined) !== (s.git === undefined), {
  message: 'a source needs exactly one of path (a local directory) and git',
}).refine((s) => s.previews === undefined || s.git !== undefined, {
  message: 'previews need a git source (pull requests are fetched from its repository)',
  path: ['previews'],
});

export type SourceConfig = z.infer<typeof sourceSchema>;

export const providerInstanceSchema = z.object({
  type: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).default({}),
}).strict();

export const webhookReceiverSchema = z.object({
  /** Path segment: the receiver answers on POST /hooks/<name>. */
  name: instanceName,
  /** github: X-Hub-Signature-256 HMAC; gitlab: X-Gitlab-Token; hmac: generic HMAC-SHA256 of the body. */
  type: z.enum(['github', 'gitlab', 'hmac']),
  secret: secretRefSchema,
  /** Header carrying `sha256=<hex>` for type hmac (default X-Signature-256). */
  header: z.string().min(1).optional(),
  /** Sources to reconcile when it fires (default: every source). */
  sources: z.array(instanceName).optional(),
}).strict();

export const serverSchema = z.object({
  listen: z.string().default('127.0.0.1:8080'),
  /** Bearer token required by mutating endpoints (approve, suspend, resume, reconcile). */
  token: secretRefSchema.optional(),
  /** Bearer token required to read the status page and JSON API, which show plan diffs (IAM
   * policies, record values); `token` is accepted for reads too. Unset: reads are open. */
  readToken: secretRefSchema.optional(),
  webhooks: z.array(webhookReceiverSchema).default([]),
  /** Address reviewers open the status page at (links from pull-request comments and commit
   * statuses), e.g. https://trueup.example.com. Default: the address the server listens on. */
  publicUrl: z.string().regex(/^https?:\/\//, 'an http(s) URL').optional(),
  /** Largest request body accepted (webhooks, API), in bytes. */
  maxBodyBytes: z.number().int().positive().default(1_048_576),
}).strict();

/** The status page's address as people open it (https://trueup.example.com): messages link to
 * the source there, a GitHub status's target_url opens it. */
const notificationLink = z.string().regex(/^https?:\/\//, 'an http(s) URL').optional();

const notificationEvents = z.array(z.enum(['applied', 'drift', 'failure', 'pending-approval'])).min(1).default(['applied', 'drift', 'failure', 'pending-approval']);

export const notificationSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('slack'),
    /** The incoming-webhook URL is itself the secret: only from env or file. */
    url: secretRefSchema,
    events: notificationEvents,
    sources: z.array(instanceName).optional(),
    link: notificationLink,
  }).strict(),
  z.object({
    type: z.literal('webhook'),
    url: secretRefSchema,
    /** HMAC-SHA256 key; the body's signature is sent as X-Trueup-Signature-256: sha256=<hex>. */
    secret: secretRefSchema.optional(),
    events: notificationEvents,
    sources: z.array(instanceName).optional(),
    link: notificationLink,
  }).strict(),
  z.object({
    type: z.literal('github-status'),
    token: secretRefSchema,
    /** owner/name of the repository the sources' commits live in. */
    repository: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name'),
    apiUrl: z.string().regex(/^https?:\/\//, 'an http(s) URL').default('https://api.github.com'),
    /** Status context (default trueup/<source>). */
    context: z.string().min(1).optional(),
    events: notificationEvents,
    sources: z.array(instanceName).optional(),
    link: notificationLink,
  }).strict(),
]);

export type NotificationConfig = z.infer<typeof notificationSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;

export const engineConfigSchema = z.object({
  apiVersion: z.literal('trueup.dev/v1', { error: 'apiVersion must be trueup.dev/v1' }),
  kind: z.literal('EngineConfig', { error: 'kind must be EngineConfig' }),
  /** npm package names or paths (relative to this file) of provider plugins. */
  plugins: z.array(z.string().min(1)).default([]),
  providers: z.record(instanceName, providerInstanceSchema),
  safety: safetySchema.default(safetySchema.parse({})),
  sources: z.array(sourceSchema).min(1),
  server: serverSchema.prefault({}),
  /** Where `trueup run` reports applied changes, drift and failures. */
  notifications: z.array(notificationSchema).default([]),
}).strict();

export type EngineConfig = z.infer<typeof engineConfigSchema>;
