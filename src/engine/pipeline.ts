// One reconcile as a straight line: load → bind → expand → observe → plan → (apply → verify).
// The CLI, the daemon and the conformance kit all go through here.

import type { Logger } from 'pino';
import type {
  ApplyChange, DesiredObject, JsonValue, ObservedObject, ProviderContext, ProviderInstance, Resource, ResourceIssue,
} from '../sdk/index.ts';
import { mapLimit, maskSensitive, pathMatches, scopeMatcher, toErrorInfo, type PlannedChange, type SensitiveValues } from '../sdk/index.ts';
import type { SafetyPolicy } from '../config/schema.ts';
import { bindResources } from '../bind/bind.ts';
import { InvalidRevisionError, formatPath, type LoadIssue } from '../load/issues.ts';
import { loadResources } from '../load/load.ts';
import type { KindCatalog } from '../load/catalog.ts';
import { planInstance } from '../plan/plan-objects.ts';
import { safetyRefusals } from '../plan/safety.ts';
import { planChecksum } from '../plan/checksum.ts';
import { ACTION_ORDER, PLAN_FORMAT_VERSION, type Plan, type PlanConflict, type PlanError, type PlanWarning } from '../plan/types.ts';
import { executeChanges, type ChangeReport, type InstanceHandle } from '../apply/execute.ts';
import { orderChanges } from '../apply/order.ts';
import type { Revision } from '../source/types.ts';
import type { InstanceEntry } from './instances.ts';

export interface EngineHooks {
  recordApiCall?(instance: string, providerType: string, operation: string, outcome: 'ok' | 'error' | 'throttled', ms: number): void;
  progress?(message: string): void;
  /** The write fence behind every ProviderContext.beforeWrite: throws WriteFencedError when this
   * process may no longer write for this source (the daemon's lease checks; none elsewhere). */
  beforeWrite?(instance: string, operation: string): void;
}

export interface PlanRequest {
  source: string;
  ownerId: string;
  revision: Revision;
  catalog: KindCatalog;
  /** Every configured instance; the source may use those named in `scopes`. */
  instances: ReadonlyMap<string, InstanceEntry>;
  scopes: Readonly<Record<string, readonly string[]>>;
  safety: SafetyPolicy;
  force?: boolean;
  log: Logger;
  signal?: AbortSignal;
  hooks?: EngineHooks;
  now?: () => Date;
  /** Passed to every observe (see ObserveRequest.freshness); the daemon's passes say `steady`. */
  freshness?: 'exact' | 'steady';
}

export interface PreparedPlan {
  plan: Plan;
  /** The plan's changes with what apply needs (desired and observed objects). */
  changes: ApplyChange[];
  handles: Map<string, InstanceHandle>;
  resources: Resource[];
  sensitive?: SensitiveValues;
}

/** Load and validate a revision without touching any API. Throws InvalidRevisionError. */
export function validateRevision(request: Pick<PlanRequest, 'revision' | 'catalog' | 'instances' | 'scopes' | 'ownerId'> ): {
  resources: Resource[];
  desired: Map<string, DesiredObject[]>;
  /** Values decrypted from SOPS files (src/load/sops), masked in everything shown. */
  sensitive?: SensitiveValues;
} {
  const loaded = loadResources(request.revision.files, request.catalog, request.revision.vars ? { vars: request.revision.vars } : {});
  const issues: LoadIssue[] = [...loaded.issues];
  const usable = new Map<string, string>();
  for (const name of Object.keys(request.scopes)) {
    const entry = request.instances.get(name);
    if (entry) usable.set(name, entry.definition.type);
  }
  const bound = bindResources({ resources: loaded.resources, catalog: request.catalog, instances: usable });
  issues.push(...bound.issues);
  const desired = new Map<string, DesiredObject[]>();
  for (const [name, resources] of bound.byInstance) {
    const entry = request.instances.get(name);
    if (!entry) continue;
    const expanded = expandFor(entry.instance, name, resources, request.ownerId);
    issues.push(...expanded.issues);
    desired.set(name, expanded.objects);
  }
  const sensitive = loaded.sensitive;
  if (issues.length > 0) {
    throw new InvalidRevisionError(sensitive ? issues.map((i) => ({ ...i, message: sensitive.scrub(i.message) })) : issues, `revision ${request.revision.description}`);
  }
  return sensitive ? { resources: loaded.resources, desired, sensitive } : { resources: loaded.resources, desired };
}

/** One instance's expand, with every problem located, and objects declared twice refused.
 * `raised[i]` is the provider's issue behind `issues[i]` (which resource, which path). */
export function expandFor(instance: ProviderInstance, name: string, resources: Resource[], ownerId: string): { objects: DesiredObject[]; issues: LoadIssue[]; raised: ResourceIssue[] } {
  const raised: ResourceIssue[] = [];
  const expanded = instance.expand(resources, { instance: name, ownerId });
  raised.push(...expanded.issues);
  const seen = new Map<string, DesiredObject>();
  for (const object of expanded.objects) {
    const prior = seen.get(object.key);
    if (prior) {
      const p = prior.resource.locate(prior.path ?? []);
      raised.push({ resource: object.resource, path: object.path ?? [],
        message: `${object.display} is declared twice (also at ${p.file}:${p.line}:${p.column})` });
      continue;
    }
    seen.set(object.key, object);
  }
  const issues = raised.map((i): LoadIssue => ({ ...i.resource.locate(i.path), field: formatPath(i.path), message: i.message }));
  return { objects: [...seen.values()], issues, raised };
}

export function providerContext(entry: InstanceEntry, request: Pick<PlanRequest, 'log' | 'ownerId' | 'signal' | 'hooks'>): ProviderContext {
  const log = request.log.child({ provider: entry.definition.type, instance: entry.name });
  return {
    log,
    ownerId: request.ownerId,
    instance: entry.name,
    signal: request.signal ?? new AbortController().signal,
    beforeWrite: (operation) => request.hooks?.beforeWrite?.(entry.name, operation),
    recordApiCall: (operation, outcome, ms) => request.hooks?.recordApiCall?.(entry.name, entry.definition.type, operation, outcome, ms),
    progress: (message) => {
      log.info({ progress: true }, message);
      request.hooks?.progress?.(`${entry.name}: ${message}`);
    },
  };
}

export async function preparePlan(request: PlanRequest): Promise<PreparedPlan> {
  const { resources, desired, sensitive } = validateRevision(request);
  const conflicts: PlanConflict[] = [];
  const errors: PlanError[] = [];
  const warnings: PlanWarning[] = [];
  const handles = new Map<string, InstanceHandle>();
  const changes: ApplyChange[] = [];
  const managed = new Map<string, number>();
  let unchanged = 0;
  let managedCount = 0;

  const names = Object.keys(request.scopes).filter((n) => request.instances.has(n)).sort();
  await mapLimit(names, 4, async (name) => {
    const entry = request.instances.get(name) as InstanceEntry;
    const ctx = providerContext(entry, request);
    const handle: InstanceHandle = { instance: entry.instance, ctx };
    if (entry.definition.capabilities.maxBatch !== undefined) handle.maxBatch = entry.definition.capabilities.maxBatch;
    handles.set(name, handle);
    const allowed = scopeMatcher(request.scopes[name] ?? []);
    let wanted = desired.get(name) ?? [];
    const inScope: DesiredObject[] = [];
    for (const object of wanted) {
      if (allowed.allows(object.scope)) inScope.push(object);
      else conflicts.push({ provider: name, key: object.key, display: object.display, location: object.resource.locate(object.path ?? []),
        reason: `scope ${object.scope} is not allowed for source ${request.source} (allowed: ${allowed.patterns.join(', ')})` });
    }
    wanted = inScope;
    let observed: ObservedObject[];
    try {
      const result = await entry.instance.observe({ desired: wanted, allowedScopes: allowed, freshness: request.freshness ?? 'exact' }, ctx);
      observed = result.objects.filter((o) => allowed.allows(o.scope));
      if (result.refinedDesired) wanted = result.refinedDesired;
      const byKey = new Map(wanted.map((d) => [d.key, d]));
      for (const w of result.warnings ?? []) {
        const d = byKey.get(w.key);
        warnings.push({ provider: name, key: w.key, display: d?.display ?? w.key, message: w.message, ...(d ? { location: d.resource.locate(d.path ?? []) } : {}) });
      }
    } catch (error) {
      const info = toErrorInfo(error, 'observe');
      errors.push({ provider: name, message: info.message, transient: info.transient });
      return;
    }
    const planned = planInstance({
      instance: name, desired: wanted, observed, objectTypes: entry.definition.objectTypes, adoptUnowned: request.safety.adoptUnowned,
    });
    conflicts.push(...planned.conflicts);
    unchanged += planned.unchanged;
    for (const [scope, count] of planned.ownedByScope) {
      managed.set(`${name} ${scope}`, count);
    }
    const desiredByKey = new Map(wanted.map((d) => [d.key, d]));
    const observedByKey = new Map(observed.map((o) => [o.key, o]));
    for (const change of planned.changes) {
      const full: ApplyChange = { ...change };
      const d = desiredByKey.get(change.key);
      const o = observedByKey.get(change.key);
      if (d) full.desired = d;
      if (o) full.observed = o;
      changes.push(full);
    }
    managedCount += wanted.length - planned.conflicts.filter((c) => desiredByKey.has(c.key)).length;
  });

  // Show changes in the order apply will make them: per provider, dependency wave first (a hosted
  // zone before its records, a policy attachment removed before its policy), then action, then key.
  // Keyed by the change itself: an id built per comparison cost two string concatenations each.
  const wave = new Map<ApplyChange, number>();
  orderChanges(changes).waves.forEach((w, i) => { for (const c of w) wave.set(c, i); });
  changes.sort((a, b) => (a.provider === b.provider
    ? ((wave.get(a) ?? 0) - (wave.get(b) ?? 0)) || (ACTION_ORDER[a.action] - ACTION_ORDER[b.action]) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    : a.provider < b.provider ? -1 : 1));
  conflicts.sort((a, b) => (a.provider + a.key < b.provider + b.key ? -1 : 1));

  const refusals = safetyRefusals({ changes, managed, emptyRevision: resources.length === 0, policy: request.safety });
  const count = (action: string) => changes.filter((c) => c.action === action).length;
  const publicChanges = changes.map(({ desired: _d, observed: _o, ...rest }) => rest);
  const checksum = planChecksum(request.source, request.revision.id, publicChanges);
  // Secrets never reach plan output: mask after the checksum, which covers the real values.
  const shown = publicChanges.map((c) => maskChange(maskValues(c, sensitive), request.instances.get(c.provider)?.definition.objectTypes[c.type]?.sensitive ?? []));
  if (sensitive) {
    for (const c of conflicts) c.reason = sensitive.scrub(c.reason);
    for (const e of errors) e.message = sensitive.scrub(e.message);
  }
  const plan: Plan = {
    formatVersion: PLAN_FORMAT_VERSION,
    source: request.source,
    revision: request.revision.id,
    createdAt: (request.now?.() ?? new Date()).toISOString(),
    changes: shown,
    conflicts,
    errors,
    ...(warnings.length > 0 ? { warnings: warnings.sort((a, b) => (a.provider + a.key + a.message < b.provider + b.key + b.message ? -1 : 1)) } : {}),
    refusals,
    forced: request.force === true,
    summary: { create: count('create'), update: count('update'), replace: count('replace'), delete: count('delete'), unchanged, managed: managedCount },
    checksum,
  };
  return sensitive ? { plan, changes, handles, resources, sensitive } : { plan, changes, handles, resources };
}

export class PlanRefusedError extends Error {
  override readonly name = 'PlanRefusedError';
  readonly refusals: string[];
  constructor(refusals: string[]) {
    super(`plan refused by safety rules:\n${refusals.map((r) => `  - ${r}`).join('\n')}\nre-run with --force if this is intended`);
    this.refusals = refusals;
  }
}

export interface ApplyResult {
  reports: ChangeReport[];
  applied: number;
  failed: number;
  skipped: number;
}

/** Apply a prepared plan. Refuses a plan with safety refusals unless it was planned with force. */
export async function applyPrepared(prepared: PreparedPlan, options: { concurrency?: number; signal?: AbortSignal; onReport?: (r: ChangeReport) => void } = {}): Promise<ApplyResult> {
  if (prepared.plan.refusals.length > 0 && !prepared.plan.forced) throw new PlanRefusedError(prepared.plan.refusals);
  const applyOptions: Parameters<typeof executeChanges>[0] = { changes: prepared.changes, instances: prepared.handles };
  if (options.concurrency !== undefined) applyOptions.concurrency = options.concurrency;
  if (options.signal) applyOptions.signal = options.signal;
  if (options.onReport) applyOptions.onReport = options.onReport;
  const reports = await executeChanges(applyOptions);
  const sensitive = prepared.sensitive;
  if (sensitive) for (const r of reports) if (r.error) r.error = { ...r.error, message: sensitive.scrub(r.error.message) };
  // verify: providers that can wait for changes to be live do so for what they applied.
  const appliedByInstance = new Map<string, ApplyChange[]>();
  for (const r of reports) {
    if (r.status !== 'applied') continue;
    const list = appliedByInstance.get(r.change.provider) ?? [];
    list.push(r.change);
    appliedByInstance.set(r.change.provider, list);
  }
  for (const [name, applied] of appliedByInstance) {
    const handle = prepared.handles.get(name);
    if (!handle?.instance.verify) continue;
    try {
      const outcomes = await handle.instance.verify(applied, handle.ctx);
      const failed = new Map(outcomes.filter((o) => o.status === 'failed').map((o) => [o.key, o]));
      for (const r of reports) {
        const f = r.change.provider === name ? failed.get(r.change.key) : undefined;
        if (f && f.status === 'failed') {
          r.status = 'failed';
          r.error = f.error;
        }
      }
    } catch (error) {
      handle.ctx.log.warn({ err: toErrorInfo(error, 'verify') }, 'verify failed; changes were applied but are not confirmed live');
    }
  }
  return {
    reports,
    applied: reports.filter((r) => r.status === 'applied').length,
    failed: reports.filter((r) => r.status === 'failed').length,
    skipped: reports.filter((r) => r.status === 'skipped').length,
  };
}

/** Decrypted values, wherever they are in a change (a Secret's data, an env var holding one).
 * Where the desired value holds one, the live value at the same place is masked too (it is the
 * secret's previous value, which this revision no longer knows); the new side of a diff reads
 * "(sensitive, changed, hmac:…)", so a change stays visible. */
function maskValues(change: PlannedChange, sensitive: SensitiveValues | undefined): PlannedChange {
  if (!sensitive) return change;
  const paths = change.after === undefined ? [] : sensitivePaths(change.after, sensitive);
  const at = (path: string) => paths.some((p) => pathMatches(path, p) || pathMatches(p, path));
  const masked: PlannedChange = { ...change, diffs: change.diffs.map((d) => {
    const out = { ...d };
    const hit = at(d.path);
    const mask = (v: JsonValue, changed: boolean) => (hit ? `(sensitive${changed ? ', changed' : ''}, ${sensitive.tag(v)})` : sensitive.mask(v, changed) ?? null);
    if (d.before !== undefined) out.before = mask(d.before, false);
    if (d.after !== undefined) out.after = mask(d.after, d.before !== undefined);
    return out;
  }) };
  if (change.before !== undefined) masked.before = sensitive.mask(maskPaths(change.before, paths, sensitive)) ?? null;
  if (change.after !== undefined) masked.after = sensitive.mask(change.after) ?? null;
  return masked;
}

/** Diff-style paths (`value.password`, `env[2].value`) of the strings that show a sensitive value. */
function sensitivePaths(value: JsonValue, sensitive: SensitiveValues, path = '', out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (sensitive.hides(value)) out.push(path || '.');
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => sensitivePaths(v, sensitive, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) sensitivePaths(v, sensitive, path ? `${path}.${k}` : k, out);
  }
  return out;
}

function maskPaths(value: JsonValue, paths: readonly string[], sensitive: SensitiveValues, path = ''): JsonValue {
  if (paths.includes(path || '.') && value !== null && typeof value !== 'object') return `(sensitive, ${sensitive.tag(value)})`;
  if (Array.isArray(value)) return value.map((v, i) => maskPaths(v, paths, sensitive, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskPaths(v, paths, sensitive, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

function maskChange(change: PlannedChange, sensitive: readonly string[]): PlannedChange {
  if (sensitive.length === 0) return change;
  const masked: PlannedChange = { ...change, diffs: change.diffs.map((d) => {
    const hit = sensitive.some((p) => pathMatches(d.path, p) || pathMatches(p, d.path));
    if (!hit) return d;
    const out = { ...d };
    // A decrypted value already carries its keyed-hash mask (maskValues): keep it.
    const keep = (v: unknown) => typeof v === 'string' && v.startsWith('(sensitive');
    if (d.before !== undefined && !keep(d.before)) out.before = '(sensitive)';
    if (d.after !== undefined && !keep(d.after)) out.after = '(sensitive)';
    return out;
  }) };
  if (change.before !== undefined) masked.before = maskSensitive(change.before, sensitive) ?? null;
  if (change.after !== undefined) masked.after = maskSensitive(change.after, sensitive) ?? null;
  return masked;
}
