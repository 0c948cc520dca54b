// The public provider contract. Built-in providers and third-party plugins import only from
// `trueup/sdk` (src/sdk/index.ts); nothing here may depend on engine internals.
//
// Vocabulary
//   Resource   what a person declares in Git: one YAML document (apiVersion/kind/metadata/spec).
//   Object     what the planner diffs: one thing with an identity in a cloud API (a hosted zone, a
//              record set, an IAM role, a Kubernetes Deployment). A provider expands each resource
//              into one or more objects (a Zone resource → the hosted zone + its record sets).
//   Scope      a string naming where an object lives (`zone/example.com.`, `path/teams/a/`,
//              `namespace/web`). The engine config lists which scopes each source may touch.
//   Owner id   the string trueup writes onto live objects (tag, TXT registry record, annotation)
//              to prove later that it created them. There is no state file.

import type { Logger } from 'pino';
import type { z } from 'zod';

export const SDK_VERSION = '1.0.0';
/** Plugins declare the SDK major they were built for; a different major is refused at load time. */
export const SDK_MAJOR = 1;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Where something was declared: used by every error message that concerns a resource. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One declared document after the envelope and the kind's spec schema have validated. */
export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ResourceMetadata;
  spec: Spec;
  /** The whole document as written (Kubernetes manifests are sent verbatim). */
  raw: JsonObject;
  location: SourceLocation;
  /** Locates a field path inside this document (for errors found after schema validation). */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
}

export interface ResourceMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Provider instance(s) this resource goes to, when more than one could take it. */
  provider?: string | string[];
}

/** A declared kind. Several provider types may accept the same KindDefinition (a DNS Zone). */
export interface KindDefinition<Spec = unknown> {
  apiVersion: string;
  kind: string;
  description: string;
  /** Schema of `spec`. For kinds that take the whole document (Kubernetes), see `wholeDocument`. */
  schema: z.ZodType<Spec>;
  /** True when the schema validates the whole document, not only `spec`. */
  wholeDocument?: boolean;
  /** Resource identity beyond apiVersion/kind/name (default: kind + namespace + name). */
  identity?(resource: Resource<Spec>): string;
  /** Adds to the JSON Schema generated from `schema` for editors what zod cannot express there
   * (checks done in refinements: value formats per DNS record type; the provider blocks allowed
   * at each place, given as JSON Schemas by place and block name). Called once per generated
   * sub-schema with the zod schema it came from; edits `jsonSchema` in place. */
  refineJsonSchema?(zodSchema: unknown, jsonSchema: Record<string, unknown>, blocks: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>): void;
  /**
   * The namespaced provider blocks in a validated spec (`route53:` on a record set, `gcp:` on a
   * zone), with where each sits (`on`, a name the kind chooses: `zone`, `recordSet`). The engine
   * accepts only blocks that a registered provider taking this kind declares for that place
   * (`ProviderDefinition.blocks`), and validates each against that provider's schema, so a
   * misspelt block (`gpc:`, `route_53:`) or field (`wieght:`) is an error, never ignored.
   */
  blocks?(spec: Spec): BlockSite[];
}

/** One namespaced provider block inside a spec. */
export interface BlockSite {
  /** Block name (`route53`). */
  name: string;
  /** Where it sits, as the kind names it (`zone`, `recordSet`). */
  on: string;
  /** Path of the block inside `spec` (`['records', 'www', 0, 'route53']`). */
  path: (string | number)[];
  value: unknown;
}

/** Capabilities are data, so the engine and the docs can read them without calling anything. */
export interface ProviderCapabilities {
  /** The provider implements `import`. */
  import: boolean;
  /** What `import` changes in the live API, in a few words for a person to confirm (IAM: the owner
   * tag it writes on untagged entities); absent when import only reads. `trueup import` asks for
   * confirmation on a terminal, and for --yes otherwise, when this is set. */
  importWrites?: string;
  /** Objects are observed with a server-side dry run of the desired state (Kubernetes). */
  serverSideDryRun?: boolean;
  /** Largest number of changes the provider wants in one `apply` call (default: unbounded). */
  maxBatch?: number;
  /** The provider accepts any apiVersion no other provider claims (Kubernetes custom resources). */
  acceptsUnclaimedApiVersions?: boolean;
}

/** One thing to plan: produced from resources by `Provider.expand`, and from the API by `observe`. */
export interface DesiredObject {
  /** Unique within the provider instance, stable across runs: e.g. `recordset/example.com./www.example.com./A`. */
  key: string;
  /** Object type name declared in `Provider.objectTypes`. */
  type: string;
  /** Human-readable name for plans (`www.example.com. A`). */
  display: string;
  scope: string;
  /** Normalised value: two values that the API treats the same must be deep-equal here. */
  value: JsonValue;
  /** Keys (same provider instance) that must exist before this object is created or updated. */
  dependsOn?: string[];
  /** The resource this object came from (for errors and plan output). */
  resource: Resource;
  /** The field path of the resource this object came from, when it is a part of it (a record). */
  path?: ReadonlyArray<string | number>;
}

/** The annotation (`metadata.annotations`) by which a person adopts, in Git, an existing object
 * that carries no owner mark: the plan updates it and writes the mark. */
export const ADOPT_ANNOTATION = 'trueup.dev/adopt';

export type Ownership =
  /** Carries this source's owner id (or lives in a scope this source fully manages). */
  | { state: 'owned' }
  /** Carries no owner mark at all. */
  | { state: 'unowned' }
  /** Carries another owner's mark. */
  | { state: 'foreign'; owner: string };

export interface ObservedObject {
  key: string;
  type: string;
  display: string;
  scope: string;
  value: JsonValue;
  ownership: Ownership;
  dependsOn?: string[];
  /** Opaque data the provider needs to change or delete exactly this live object (e.g. the live
   * record set for a Route 53 DELETE, a resourceVersion). Never shown in plans. */
  handle?: unknown;
  /** Never delete this object even when owned and undeclared (apex SOA, opted out of prune). */
  protected?: boolean;
  /** What deleting or replacing this live object does beyond the object itself, which only the
   * provider can see when observing (a managed policy is detached from every principal first).
   * The planner copies it onto a delete or replace of this object. */
  removal?: {
    /** Why the removal needs `--force` (it would change something this source does not own). */
    refuse?: string;
    /** Side effects shown with the change (`detaches it from role /ci/deploy`). */
    effects?: string[];
  };
  /** Shown instead of the planner's generic text when this object is declared but `unowned`:
   * why trueup cannot prove it owns it and how a person adopts it (a hand-made DNS zone). */
  unownedReason?: string;
}

/** How objects of one type are compared and shown. Defaults live in the planner. */
export interface ObjectTypeDefinition {
  /** Field paths (dot-joined, `*` matches one segment) whose change needs delete + create. */
  replaceOn?: string[];
  /** Field paths whose values are secret: masked in plans, logs and errors. */
  sensitive?: string[];
  /** Extra normalisation applied to desired and observed values before comparing. Must be pure. */
  normalize?(value: JsonValue): JsonValue;
  /** Is this change dangerous enough to need `--force` (an apex NS change)? */
  dangerous?(change: PlannedChange): string | undefined;
}

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete';

export interface FieldDiff {
  path: string;
  before?: JsonValue;
  after?: JsonValue;
}

export interface PlannedChange {
  action: ChangeAction;
  key: string;
  type: string;
  display: string;
  scope: string;
  /** Provider instance name. */
  provider: string;
  before?: JsonValue;
  after?: JsonValue;
  diffs: FieldDiff[];
  /** Why `--force` is needed, when it is. */
  dangerous?: string;
  /** What else the change does that its diffs do not show (attachments detached with a deleted
   * policy, an owner mark written when adopting). Shown with the change; covered by the checksum. */
  effects?: string[];
  dependsOn: string[];
  location?: SourceLocation;
}

/** What `apply` receives: the planned change plus what the provider returned when observing. */
export interface ApplyChange extends PlannedChange {
  desired?: DesiredObject;
  observed?: ObservedObject;
}

export type ChangeOutcome =
  | { key: string; status: 'applied'; detail?: string }
  | { key: string; status: 'failed'; error: ProviderErrorInfo };

export interface ProviderErrorInfo {
  message: string;
  transient: boolean;
  code?: string;
  operation?: string;
}

/** The request passed to `observe`. */
export interface ObserveRequest {
  /** Everything this source declares for this instance (already expanded). */
  desired: DesiredObject[];
  /** The scopes the source may touch; observe at least the scopes `desired` names, and any
   * allowed scope where owned objects may live (so an undeclared owned object can be deleted). */
  allowedScopes: ScopeMatcher;
  /**
   * How fresh the answer must be. `exact` (the default: the CLI, approvals): everything is asked
   * of the API now. `steady` (the daemon's reconcile and drift passes, on a long-lived instance):
   * the instance may reuse what it learnt in earlier passes where the API proves it is unchanged
   * (a Kubernetes dry run of the same manifest against the same resourceVersion), and refresh
   * slow-moving facts on a slower cadence it documents (IAM policy tags). Never a licence to write
   * on a stale proof: apply re-reads whatever ownership it relies on before changing anything.
   */
  freshness?: 'exact' | 'steady';
}

export interface ObserveResult {
  objects: ObservedObject[];
  /** Providers that must ask the server what the desired state becomes (Kubernetes dry run)
   * return the refined desired objects here; the planner uses them instead of the expanded ones. */
  refinedDesired?: DesiredObject[];
  /** What the API warned about declared objects while observing them (Kubernetes `Warning`
   * headers on dry runs), by desired object key: the plan shows each with the object's file:line. */
  warnings?: { key: string; message: string }[];
}

export interface ScopeMatcher {
  allows(scope: string): boolean;
  /** The patterns as configured, for providers that enumerate (e.g. list zones by pattern). */
  readonly patterns: readonly string[];
}

/** Metrics hook: one call per cloud API request. The engine turns it into Prometheus counters. */
export interface ApiCallRecorder {
  (operation: string, outcome: 'ok' | 'error' | 'throttled', durationMs: number): void;
}

export interface ProviderContext {
  /** pino child logger with `provider` and `instance` fields. */
  log: Logger;
  /** The owner id to write on created objects and to recognise as ours. */
  ownerId: string;
  /** Instance name from the engine config (`route53-prod`). */
  instance: string;
  signal: AbortSignal;
  /**
   * The write fence. Call it synchronously, just before sending each request that changes
   * anything (after any wait: rate limit, backoff), with the API call's name. It throws
   * WriteFencedError when this process may no longer write (its lease was not renewed in time:
   * the event loop was blocked, the process paused); no await may come between it and the send.
   * The engine also calls it before each batch, so a provider that forgets is fenced per batch only.
   */
  beforeWrite(operation: string): void;
  recordApiCall: ApiCallRecorder;
  /** Reports progress on long work (`applied 300/1200 records in zone example.com.`). */
  progress(message: string): void;
}

export interface ImportRequest {
  /** Provider-specific selector: a zone name, an IAM path prefix, a namespace. */
  selector: string;
  allowedScopes: ScopeMatcher;
  /** Told about each live object under the selector that the import leaves out, and why (a
   * Secret's values, another owner's object, a controller's child). The CLI lists them in the
   * output's header and on stderr, so a person knows what the imported YAML does not declare. */
  onSkipped?(skipped: ImportSkipped): void;
  /** When set, the caller writes secret documents encrypted (`import --encrypt-to`): a provider
   * hands each document holding secret values (a Kubernetes Secret) here instead of leaving it
   * out, and does not return it. */
  onSecret?(document: JsonObject): void;
}

export interface ImportSkipped {
  /** As plans show it: `Secret web/db`, `role/deploy`. */
  subject: string;
  reason: string;
}

/** The instance created from the engine config's `settings` for this provider type. */
export interface ProviderInstance {
  /**
   * Expand validated resources into objects. Pure: no I/O. Returns per-resource problems (bad
   * provider-specific extension blocks, references that do not resolve) as `issues`.
   */
  expand(resources: Resource[], ctx: ExpandContext): { objects: DesiredObject[]; issues: ResourceIssue[] };

  /**
   * Read live state in bulk. Must not change anything. Throws ProviderError (transient when
   * retrying may help). Objects outside `allowedScopes` must not be returned.
   */
  observe(request: ObserveRequest, ctx: ProviderContext): Promise<ObserveResult>;

  /**
   * Apply a batch of changes whose dependencies are already applied. Returns one outcome per
   * change, in any order. Failure contract: a change reported `failed` has not happened, or has
   * happened only in a way the next observe + plan will finish (idempotent); a change must never
   * be reported `applied` unless the API accepted it. Throwing means every change in the batch
   * failed with that error.
   */
  apply(changes: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]>;

  /** Optional: wait until applied changes are live (Route 53 INSYNC, Kubernetes rollout). */
  verify?(applied: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]>;

  /** Optional: YAML documents (as JSON objects) that declare what lives under `selector`. */
  import?(request: ImportRequest, ctx: ProviderContext): Promise<JsonObject[]>;

  /** Optional: release clients, timers. */
  close?(): Promise<void>;
}

export interface ExpandContext {
  instance: string;
  ownerId: string;
}

export interface ResourceIssue {
  resource: Resource;
  path: ReadonlyArray<string | number>;
  message: string;
}

/** What a provider package exports (default export, or named `provider`). */
export interface ProviderDefinition<Settings = unknown> {
  /** e.g. `aws-route53`. Engine config provider instances name it in `type`. */
  type: string;
  /** SDK major this provider was built against. */
  sdkMajor: number;
  description: string;
  /** Schema of the instance `settings` in the engine config. Never holds secrets. */
  settings: z.ZodType<Settings>;
  /** Settings (input to `settings`) that let `expand` run with no engine config, for
   * `trueup validate DIR`: placeholders for what expand needs but cannot check (a project id).
   * Default `{}`; a provider whose settings do not parse from it is not expanded there. */
  validateSettings?: unknown;
  kinds: KindDefinition[];
  /** Namespaced blocks this provider reads in its kinds' specs: block name → place (`on`, see
   * `KindDefinition.blocks`) → schema of the block there. */
  blocks?: Readonly<Record<string, Readonly<Record<string, z.ZodType>>>>;
  objectTypes: Record<string, ObjectTypeDefinition>;
  capabilities: ProviderCapabilities;
  /** Create an instance. Must not do network I/O (clients connect lazily). */
  create(settings: Settings, info: { instance: string }): ProviderInstance;
  /** The least privilege an instance needs for what a repository declares and its scopes allow
   * (`trueup permissions`). Pure: no I/O. Optional; providers without it are listed as unknown. */
  permissions?(request: PermissionRequest<Settings>): PermissionSet;
}

/** What `permissions` is asked for: one provider instance, as every source that uses it sees it. */
export interface PermissionRequest<Settings = unknown> {
  instance: string;
  settings: Settings;
  /** Scope patterns the engine config allows, over every source that uses this instance. */
  scopes: string[];
  /** What the sources declare for this instance: object types and scopes say which calls apply needs. */
  desired: DesiredObject[];
  /** Only what observe and plan need (detect mode, pull-request previews): no writes. */
  readOnly: boolean;
}

/** Permissions in the form the cloud consumes, plus the reasons where they are broader than the scopes. */
export interface PermissionSet {
  /** How to use `document`: `aws-iam-policy` (a policy document), `gcp-custom-role` (a custom
   * role's fields), `kubernetes-rbac` (a list of Role/ClusterRole and binding objects), or a
   * plugin's own. */
  format: string;
  document: JsonValue;
  /** Where the document is broader than the scopes, and why (an action the API cannot scope). */
  notes: string[];
}

/** Helper that keeps the settings type flowing from schema to `create` for provider authors. */
export function defineProvider<Settings>(definition: ProviderDefinition<Settings>): ProviderDefinition<Settings> {
  return definition;
}

export function defineKind<Spec>(definition: KindDefinition<Spec>): KindDefinition<Spec> {
  return definition;
}
