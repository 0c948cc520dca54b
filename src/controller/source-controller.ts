// The reconcile loop of one source. Two lanes run side by side:
//
//   git lane    every `interval` (±5%): a cheap remote ref check (`peek`); only when the ref moved
//               (or the last pass failed, or someone asked for a full pass) does it fetch, plan and
//               act. An unchanged remote costs one request and no plan.
//   drift lane  every `driftInterval`: re-plans the revision in force against live state even
//               when Git did not move, and corrects (apply) or reports (detect / approve) drift.
//
// The lanes never apply at the same time (one apply lock per source), and a new revision aborts
// an in-flight drift check instead of queueing behind it: a fresh commit never waits for a slow
// drift check (Config Connector's lesson). A drift plan made against an older revision is thrown
// away rather than applied.
//
// Stopping has two strengths. A soft stop (SIGTERM) stops work at safe points: observing is
// aborted freely (it changes nothing), but once applying has started the in-flight provider batch
// finishes — only new dependency waves are stopped — so no batch is cut in half. Its bound is the
// shutdown timeout. A hard stop (the pass `timeout`, the shutdown timeout running out) aborts
// every request in flight, writes included, through the signal every provider call carries: a
// write cut off this way has an unknown outcome, and the next pass observes what happened.

import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import { applyPrepared, preparePlan, type PreparedPlan } from '../engine/pipeline.ts';
import type { SourceConfig } from '../config/schema.ts';
import { formatDuration } from '../config/duration.ts';
import { InvalidRevisionError, formatIssue } from '../load/issues.ts';
import type { Metrics, PassLane } from '../report/metrics.ts';
import type { Plan } from '../plan/types.ts';
import { SourceError, type Revision, type Source } from '../source/types.ts';
import type { ControllerEvent } from './events.ts';
import { Mutex } from './mutex.ts';
import { Wakeable, backoff, jittered } from './schedule.ts';
import {
  HISTORY_LENGTH, condition, emptyCounts, setCondition,
  type DependencyWait, type PassRecord, type PassResult, type PendingPlan, type SourceStatus,
} from './status.ts';
import { changeView, countChanges, describeCounts, observeErrors, planId, planView, reportErrors } from './views.ts';

export interface SourceControllerDeps {
  engine: Engine;
  log: Logger;
  metrics: Metrics;
  emit(event: ControllerEvent): void;
  /** How to reach the approve endpoint, for status messages. */
  approveHint?(source: string, planId: string, force: boolean): string;
  random?: () => number;
  /** The `dependsOn` sources not Ready at their current revision (empty: go ahead). */
  unreadyDependencies?(): DependencyWait[];
  /** The write fence (leader election, sharding): throws WriteFencedError when this replica's
   * lease for the source may have expired; called just before every write the source sends. */
  fence?(source: string, operation: string): void;
}

/** Approving failed: the plan is not (or no longer) the pending one, or needs force. */
export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  readonly status: 404 | 409;
  constructor(message: string, status: 404 | 409) {
    super(message);
    this.status = status;
  }
}

interface PassOutcome {
  record: PassRecord;
  /** Schedule a retry with backoff instead of the regular interval. */
  retry: boolean;
}

interface Pending {
  view: PendingPlan;
  revision: Revision;
  checksum: string;
}

/** One pass's cancellation. `plan` is the signal of every provider call of the pass (observe
 * and apply); `waves` stops new apply waves. */
class PassControl {
  readonly plan = new AbortController();
  readonly waves = new AbortController();
  phase: 'plan' | 'apply' = 'plan';
  reason: string | undefined;
  /** Resolves when the pass has ended (runPass's frame is done with it). */
  readonly ended: Promise<void>;
  end: () => void = () => undefined;

  constructor() {
    this.ended = new Promise<void>((resolve) => {
      this.end = resolve;
    });
  }

  /** Soft: abort observing; while applying, let the batch in flight finish. */
  stop(reason: string): void {
    this.reason ??= reason;
    if (this.phase === 'plan') this.plan.abort(new Error(reason));
    this.waves.abort(new Error(reason));
  }

  /** Hard: abort every request in flight, writes included. */
  abort(reason: string): void {
    this.reason ??= reason;
    this.plan.abort(new Error(reason));
    this.waves.abort(new Error(reason));
  }

  get stopped(): boolean {
    return this.reason !== undefined;
  }
}

export class SourceController {
  readonly name: string;
  readonly config: SourceConfig;
  readonly status: SourceStatus;
  private readonly deps: SourceControllerDeps;
  private readonly log: Logger;
  private source: Source | undefined;

  /** The revision in force: the last one accepted for applying (apply/approve, even if the apply
   * failed part-way) or the last valid one planned (detect). Drift checks hold live state to it. */
  private inForce: Revision | undefined;
  /** What the last completed git pass saw (peek ref and revision id): unchanged ⇒ skip. */
  private seenRef: string | undefined;
  private seenRevision: string | undefined;
  private failures = 0;
  private fullPassRequested = true;
  /** Bumped whenever a new revision starts planning; stale drift plans are discarded. */
  private generation = 0;
  private pending: Pending | undefined;
  private approving = false;
  private readonly applyLock = new Mutex();
  private readonly gitWake = new Wakeable();
  private readonly driftWake = new Wakeable();
  private readonly active = new Set<PassControl>();
  private driftPass: PassControl | undefined;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly appliedListeners: ((revision: Revision, plan: Plan) => void)[] = [];

  constructor(config: SourceConfig, deps: SourceControllerDeps) {
    this.name = config.name;
    this.config = config;
    this.deps = deps;
    this.log = deps.log.child({ source: config.name });
    this.status = {
      name: config.name, mode: config.mode, suspended: config.suspended, kind: config.git ? 'git' : 'local',
      conditions: [], errors: [], history: [], nextRun: {},
    };
    const now = new Date();
    setCondition(this.status.conditions, { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'no pass has finished yet' }, now);
    setCondition(this.status.conditions, { type: 'Reconciling', status: 'False', reason: 'Waiting', message: '' }, now);
    setCondition(this.status.conditions, { type: 'Stalled', status: 'False', reason: 'None', message: '' }, now);
    // Source health is its own fact: a drift pass that succeeds must not hide a Git outage.
    setCondition(this.status.conditions, { type: 'SourceAvailable', status: 'Unknown', reason: 'Progressing', message: 'not fetched yet' }, now);
    if (config.suspended) this.markSuspended();
    this.publishConditions();
  }

  /** Start the lanes. Also after a stop (sharding hands a source back and forth): the new run
   * trusts nothing it saw before, since another replica may have applied meanwhile — it plans
   * afresh and drops a pending plan that may be stale. */
  start(): void {
    if (this.loops.length > 0) {
      this.stopping = false;
      this.seenRef = undefined;
      this.seenRevision = undefined;
      this.fullPassRequested = true;
      this.pending = undefined;
      this.status.pendingPlan = undefined;
    }
    this.loops = [this.gitLoop(), this.driftLoop()];
  }

  /** Stop taking work, abort observing, let in-flight provider batches finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.gitWake.cancel();
    this.driftWake.cancel();
    for (const pass of this.active) pass.stop('shutting down');
    // The lanes, and a pass outside them (an approval from the API): the caller may release a
    // Lease once this resolves, so nothing of this source may still be writing.
    await Promise.all([...this.loops, ...[...this.active].map((p) => p.ended)]);
  }

  /** The shutdown timeout ran out: abort every request in flight (writes included) and resolve
   * once every pass has ended. */
  async abort(reason: string): Promise<void> {
    this.stopping = true;
    this.gitWake.cancel();
    this.driftWake.cancel();
    for (const pass of this.active) pass.abort(reason);
    await Promise.all([...this.loops, ...[...this.active].map((p) => p.ended)]);
  }

  /** Reconcile now. `full`: plan even when the remote did not move (reconcile-now); a webhook
   * only needs the ref check, which then sees the new commit. */
  trigger(full: boolean): void {
    if (full) this.fullPassRequested = true;
    this.gitWake.wake();
  }

  /** Run a drift check now instead of at the next `driftInterval` (if one is running, the next
   * starts when it ends). */
  checkDrift(): void {
    this.driftWake.wake();
  }

  suspend(): void {
    this.status.suspended = true;
    this.markSuspended();
    this.publishConditions();
    this.log.info('suspended: no passes until resumed');
  }

  resume(): void {
    if (!this.status.suspended) return;
    this.status.suspended = false;
    setCondition(this.status.conditions, { type: 'Ready', status: 'Unknown', reason: 'Resumed', message: 'resumed; reconciling' }, new Date());
    this.publishConditions();
    this.log.info('resumed');
    this.trigger(true);
  }

  /** One full git-lane pass, for `trueup run --once`. */
  async once(): Promise<PassRecord> {
    const outcome = await this.gitPass(true);
    this.finishPass(outcome, 'git', undefined);
    return outcome.record;
  }

  /** Approve the pending plan `id`: re-plan, and apply only if the plan is still exactly the
   * one approved (same checksum); otherwise the new plan becomes the pending one. */
  async approve(id: string, force: boolean): Promise<PassRecord> {
    const pending = this.pending;
    if (!pending) throw new ApprovalError(`source ${this.name} has no plan waiting for approval`, 404);
    if (pending.view.id !== id) {
      throw new ApprovalError(`plan ${id} is not the pending plan of source ${this.name}: it was superseded by plan ${pending.view.id} (revision ${pending.view.revision})`, 409);
    }
    if (pending.view.needsForce && !force) {
      throw new ApprovalError(`plan ${id} was refused by safety rules (${pending.view.refusals.join('; ')}); approve it with force to apply it anyway`, 409);
    }
    if (this.approving) throw new ApprovalError(`an approval of source ${this.name} is already running`, 409);
    const unready = this.deps.unreadyDependencies?.() ?? [];
    if (unready.length > 0) throw new ApprovalError(`source ${this.name} waits for ${unready.map((w) => `${w.source} (${w.reason})`).join(', ')}; approve once they are Ready`, 409);
    this.approving = true;
    const generation = this.generation;
    const outcome = await this.runPass('approve', async (control, record) => {
      record.revision = pending.revision.id;
      const prepared = await this.plan(pending.revision, control, force, 'exact');
      // The pending plan stays as it was when live state cannot be read.
      if (prepared.plan.errors.length > 0) return this.observeFailed(prepared, record, control);
      if (prepared.plan.changes.length === 0) {
        // Someone (or something) already made live state match: nothing left to approve.
        this.pending = undefined;
        this.status.pendingPlan = undefined;
        this.recordApplied(pending.revision);
        this.markInSync(pending.revision, 'nothing left to apply', 'approve');
        this.announceApplied(pending.revision, prepared.plan);
        return { result: 'in-sync', retry: false };
      }
      if (prepared.plan.checksum !== pending.checksum) {
        const result = this.setPending(prepared, 'approve', pending.view.reason, pending.revision);
        record.message = `live state changed since plan ${id} was made; the new plan ${result} needs approval`;
        return { result: 'pending-approval', retry: false };
      }
      this.pending = undefined;
      this.status.pendingPlan = undefined;
      return this.applyPlan(prepared, pending.revision, control, record, 'approve', generation);
    });
    this.approving = false;
    this.finishPass(outcome, 'approve', undefined);
    return outcome.record;
  }

  /** Plan `revision` (a pull request's merge result) against live state with this source's
   * scopes and safety rules, for a preview. Only the plan comes back, never what could apply it:
   * nothing is ever applied from a pull request. */
  async previewPlan(revision: Revision, signal: AbortSignal): Promise<Plan> {
    const control = new PassControl();
    const abort = () => control.abort(signal.reason instanceof Error ? signal.reason.message : 'aborted');
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      return (await this.plan(revision, control, false)).plan;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Called once live state matches a revision of the git or approve lane: with the plan that was
   * applied (no changes when it already matched). Previews compare it with what was reviewed. */
  onApplied(listener: (revision: Revision, plan: Plan) => void): void {
    this.appliedListeners.push(listener);
  }

  private announceApplied(revision: Revision, plan: Plan): void {
    for (const listener of this.appliedListeners) {
      try {
        listener(revision, plan);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'applied listener failed');
      }
    }
  }

  // ----- lanes -------------------------------------------------------------------------------

  private async gitLoop(): Promise<void> {
    while (!this.stopping) {
      let outcome: PassOutcome | undefined;
      if (!this.status.suspended) outcome = await this.gitPass(false);
      if (this.stopping) {
        if (outcome) this.finishPass(outcome, 'git', undefined);
        break;
      }
      const delay = outcome?.retry
        ? backoff(this.failures, this.config.retryInterval, this.config.interval)
        : jittered(this.config.interval, this.deps.random);
      if (outcome) this.finishPass(outcome, 'git', delay);
      this.status.nextRun.git = new Date(Date.now() + delay).toISOString();
      await this.gitWake.sleep(delay);
    }
  }

  private async driftLoop(): Promise<void> {
    let delay = jittered(this.config.driftInterval, this.deps.random);
    for (;;) {
      this.status.nextRun.drift = new Date(Date.now() + delay).toISOString();
      await this.driftWake.sleep(delay);
      if (this.stopping) break;
      delay = jittered(this.config.driftInterval, this.deps.random);
      if (this.status.suspended || !this.inForce) continue;
      const outcome = await this.driftCheck(this.inForce);
      if (outcome.record.result === 'failed') delay = Math.min(delay, backoff(1, this.config.retryInterval, this.config.driftInterval));
      this.finishPass(outcome, 'drift', delay);
    }
  }

  // ----- passes ------------------------------------------------------------------------------

  private async gitPass(full: boolean): Promise<PassOutcome> {
    const forceFull = full || this.fullPassRequested || this.failures > 0;
    this.fullPassRequested = false;
    return this.runPass('git', async (control, record) => {
      const source = this.openSource();
      let ref: string | undefined;
      if (source.peek && !forceFull) {
        this.deps.metrics.sourceRequests.inc({ source: this.name, operation: 'peek' });
        ref = await source.peek(control.plan.signal);
        this.sourceAvailable();
        if (ref === this.seenRef) {
          record.revision = this.seenRevision ?? ref;
          return { result: 'unchanged', retry: false };
        }
      } else if (source.peek) {
        // A full pass still records the ref so the next idle pass can compare against it.
        this.deps.metrics.sourceRequests.inc({ source: this.name, operation: 'peek' });
        ref = await source.peek(control.plan.signal);
      }
      this.deps.metrics.sourceRequests.inc({ source: this.name, operation: 'fetch' });
      let revision: Revision;
      try {
        revision = await source.fetch(control.plan.signal);
        this.sourceAvailable();
      } catch (error) {
        if (error instanceof SourceError && !error.transient && ref !== undefined) {
          // A commit that cannot be used (bad signature) is not fetched again until the remote moves.
          record.revision = ref;
          this.status.lastAttemptedRevision = ref;
          this.seenRef = ref;
          this.seenRevision = ref;
        }
        throw error;
      }
      record.revision = revision.id;
      if (!forceFull && revision.id === this.seenRevision) {
        this.seenRef = ref;
        return { result: 'unchanged', retry: false };
      }
      if (revision.id !== this.seenRevision) this.newRevision();
      this.status.lastAttemptedRevision = revision.id;
      const outcome = await this.planAndAct(revision, control, record, 'git');
      // A terminal problem of this revision is not retried until the remote moves.
      if (!outcome.retry) {
        this.seenRef = ref;
        this.seenRevision = revision.id;
      }
      return outcome;
    });
  }

  private async driftCheck(revision: Revision): Promise<PassOutcome> {
    const generation = this.generation;
    return this.runPass('drift', async (control, record) => {
      this.driftPass = control;
      record.revision = revision.id;
      try {
        const prepared = await this.plan(revision, control, false);
        if (generation !== this.generation) return { result: 'aborted', retry: false, message: 'superseded by a new revision' };
        const plan = prepared.plan;
        if (plan.errors.length > 0) return this.observeFailed(prepared, record, control);
        const changes = plan.changes;
        const now = new Date().toISOString();
        this.status.drift = { checkedAt: now, revision: revision.id, changes: changes.slice(0, 200).map(changeView), corrected: false };
        if (changes.length === 0) {
          this.markInSync(revision, 'no drift', 'drift');
          return { result: 'in-sync', retry: false };
        }
        for (const c of changes) this.deps.metrics.driftDetected.inc({ source: this.name, instance: c.provider });
        record.changes = countChanges(changes);
        this.status.lastPlan = planView(plan, 'drift');
        const summary = `${changes.length} object${changes.length === 1 ? '' : 's'} drifted from revision ${short(revision.id)}: ${changes.slice(0, 5).map((c) => `${c.action} ${c.display}`).join(', ')}${changes.length > 5 ? ', …' : ''}`;
        if (this.config.mode === 'apply' && (plan.refusals.length === 0 || plan.forced)) {
          this.driftPass = undefined;
          const outcome = await this.applyPlan(prepared, revision, control, record, 'drift', generation);
          if (outcome.result === 'applied') {
            this.status.drift.corrected = true;
            this.deps.emit({ type: 'drift', source: this.name, revision: revision.id, corrected: true, changes: this.status.drift.changes, message: `${summary}; corrected` });
          }
          return outcome;
        }
        if (this.config.mode === 'apply') return this.refused(prepared, revision, record, 'drift');
        this.deps.emit({ type: 'drift', source: this.name, revision: revision.id, corrected: false, changes: this.status.drift.changes, message: summary });
        if (this.config.mode === 'approve') this.setPending(prepared, 'drift', plan.refusals.length > 0 && !plan.forced ? 'safety-refused' : 'approve-mode', revision);
        setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'DriftDetected', message: `${summary} (${this.config.mode} mode: reported, not corrected)` }, new Date());
        return { result: 'drift', retry: false };
      } finally {
        this.driftPass = undefined;
      }
    });
  }

  /** Common frame of every pass: conditions, timeout, error mapping, metrics, history. */
  private async runPass(
    lane: PassLane,
    body: (control: PassControl, record: PassRecord) => Promise<{ result: PassResult; retry: boolean; message?: string }>,
  ): Promise<PassOutcome> {
    const control = new PassControl();
    this.active.add(control);
    if (this.stopping) control.stop('shutting down');
    const started = Date.now();
    const record: PassRecord = { lane, result: 'failed', startedAt: new Date(started).toISOString(), durationMs: 0, changes: emptyCounts() };
    // The deadline aborts everything in flight: a pass never outlives its timeout by more than
    // the time a provider takes to notice its aborted signal.
    const timer = setTimeout(() => control.abort(`timed out after ${formatDuration(this.config.timeout)}`), this.config.timeout);
    setCondition(this.status.conditions, { type: 'Reconciling', status: 'True', reason: 'Progressing', message: `${lane} pass running` }, new Date());
    this.publishConditions();
    let retry: boolean;
    try {
      const out = await body(control, record);
      record.result = out.result;
      retry = out.retry;
      if (out.message) record.message = out.message;
    } catch (error) {
      ({ retry } = this.passFailed(error, control, record));
    } finally {
      clearTimeout(timer);
      this.active.delete(control);
      control.end();
    }
    if (control.stopped && record.result !== 'applied' && record.result !== 'unchanged') {
      record.result = 'aborted';
      record.message = control.reason ?? 'aborted';
      // A timed-out pass is a failure (retried with backoff); shutdown and supersession are not.
      retry = !this.stopping && record.message.startsWith('timed out');
      if (retry) {
        setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'TimedOut', message: `${lane} pass ${record.message}` }, new Date());
        this.emitFailure('TimedOut', `${lane} pass ${record.message}`, record.revision);
      }
    }
    record.durationMs = Date.now() - started;
    setCondition(this.status.conditions, { type: 'Reconciling', status: 'False', reason: 'Waiting', message: '' }, new Date());
    this.publishConditions();
    this.deps.metrics.reconcileDuration.observe({ source: this.name, lane }, record.durationMs / 1000);
    this.deps.metrics.reconcileTotal.inc({ source: this.name, lane, result: record.result });
    // Idle passes (remote unchanged, drift check finding nothing) would crowd the last-10 list;
    // metrics count them, and the drift section shows when live state was last checked.
    if (record.result !== 'unchanged' && !(lane === 'drift' && record.result === 'in-sync')) {
      this.status.history.unshift(record);
      this.status.history.length = Math.min(this.status.history.length, HISTORY_LENGTH);
    }
    if (lane !== 'drift') this.failures = retry ? this.failures + 1 : 0;
    return { record, retry };
  }

  /** Map anything a pass threw to a result, a condition and (for the first occurrence) an event. */
  private passFailed(error: unknown, control: PassControl, record: PassRecord): { retry: boolean } {
    const now = new Date();
    if (control.stopped) return { retry: true };
    if (error instanceof InvalidRevisionError) {
      const issues = error.issues.map(formatIssue);
      const message = `revision ${short(record.revision)} is invalid and was not applied (${issues.length} problem${issues.length === 1 ? '' : 's'}); ${this.inForceText()}:\n${issues.join('\n')}`;
      record.result = 'stalled';
      record.message = message;
      // The problems are the errors of this source, each where it is (status JSON `errors`).
      this.status.errors = error.issues.map((issue) => {
        const at = `${issue.file}:${issue.line}:${issue.column}`;
        return { provider: 'revision', display: at, key: at, message: issue.field ? `${issue.field}: ${issue.message}` : issue.message, transient: false, location: at };
      });
      this.stall('InvalidRevision', message, record.revision);
      return { retry: false };
    }
    if (error instanceof SourceError && !error.transient) {
      const message = `${error.message}; ${this.inForceText()}`;
      record.result = 'stalled';
      record.message = message;
      setCondition(this.status.conditions, { type: 'SourceAvailable', status: 'False', reason: 'SourceFailed', message }, now);
      this.stall('SourceFailed', message, record.revision);
      return { retry: false };
    }
    const message = error instanceof Error ? error.message : String(error);
    record.result = 'failed';
    record.message = message;
    if (error instanceof SourceError) setCondition(this.status.conditions, { type: 'SourceAvailable', status: 'False', reason: 'SourceUnavailable', message }, now);
    setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: error instanceof SourceError ? 'SourceUnavailable' : 'ReconcileFailed', message }, now);
    this.emitFailure(error instanceof SourceError ? 'SourceUnavailable' : 'ReconcileFailed', message, record.revision);
    return { retry: true };
  }

  // ----- plan and act ------------------------------------------------------------------------

  private newRevision(): void {
    this.generation += 1;
    // A fresh commit does not wait for a drift check of the old one.
    this.driftPass?.stop('superseded by a new revision');
  }

  /** Approvals plan `exact` (what is applied must match what was reviewed, asked of the APIs
   * now); the git and drift lanes plan `steady`, letting long-lived instances skip what the APIs
   * prove unchanged since the last pass. */
  private plan(revision: Revision, control: PassControl, force: boolean, freshness: 'exact' | 'steady' = 'steady'): Promise<PreparedPlan> {
    const engine = this.deps.engine;
    const metrics = this.deps.metrics;
    return preparePlan({
      source: this.name,
      ownerId: engine.ownerId(this.config),
      revision,
      catalog: engine.registry.catalog(),
      instances: engine.instances,
      scopes: this.config.scopes,
      safety: engine.safety(this.config),
      force,
      freshness,
      log: this.log,
      signal: control.plan.signal,
      hooks: {
        recordApiCall: (instance, provider, operation, outcome, ms) => {
          metrics.apiRequests.inc({ provider, instance, operation, outcome });
          metrics.apiRequestDuration.observe({ provider, operation }, ms / 1000);
        },
        beforeWrite: (instance, operation) => this.deps.fence?.(this.name, `${instance}: ${operation}`),
      },
    });
  }

  private async planAndAct(revision: Revision, control: PassControl, record: PassRecord, lane: PassLane): Promise<{ result: PassResult; retry: boolean }> {
    const prepared = await this.plan(revision, control, false);
    const plan = prepared.plan;
    if (plan.errors.length > 0) return this.observeFailed(prepared, record, control);
    this.status.lastPlan = planView(plan, lane);
    record.changes = countChanges(plan.changes);
    this.deps.metrics.resourcesManaged.set({ source: this.name }, plan.summary.managed);
    this.status.managed = plan.summary.managed;
    if (this.pending && this.pending.revision.id !== revision.id) {
      // A new commit supersedes the plan that was waiting for approval.
      this.log.info({ superseded: this.pending.view.id }, 'pending plan superseded by a new revision');
      this.pending = undefined;
      this.status.pendingPlan = undefined;
    }
    if (plan.changes.length === 0) {
      this.pending = undefined;
      this.status.pendingPlan = undefined;
      this.status.errors = [];
      if (this.config.mode !== 'detect') this.recordApplied(revision);
      else this.inForce = revision;
      this.markInSync(revision, 'no changes', lane);
      if (lane !== 'drift' && this.config.mode !== 'detect') this.announceApplied(revision, plan);
      return { result: 'in-sync', retry: false };
    }
    if (plan.refusals.length > 0 && !plan.forced) return this.refused(prepared, revision, record, lane);
    if (this.config.mode === 'detect') {
      this.inForce = revision;
      this.status.errors = [];
      const message = `revision ${short(revision.id)} differs from live state: ${describeCounts(record.changes)} (detect mode: reported, not applied)`;
      setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'DriftDetected', message }, new Date());
      setCondition(this.status.conditions, { type: 'Stalled', status: 'False', reason: 'None', message: '' }, new Date());
      this.deps.emit({ type: 'drift', source: this.name, revision: revision.id, corrected: false, changes: this.status.lastPlan.changes, message });
      return { result: 'drift', retry: false };
    }
    if (this.config.mode === 'approve') {
      this.setPending(prepared, lane, 'approve-mode', revision);
      return { result: 'pending-approval', retry: false };
    }
    return this.applyPlan(prepared, revision, control, record, lane);
  }

  private async applyPlan(
    prepared: PreparedPlan, revision: Revision, control: PassControl, record: PassRecord, lane: PassLane, generation?: number,
  ): Promise<{ result: PassResult; retry: boolean; message?: string }> {
    const release = await this.applyLock.acquire();
    try {
      if (generation !== undefined && generation !== this.generation) {
        return { result: 'aborted', retry: false, message: 'superseded by a new revision before applying' };
      }
      if (control.stopped) return { result: 'aborted', retry: true };
      const waiting = this.waitForDependencies(revision);
      if (waiting) return waiting;
      control.phase = 'apply';
      // From the first change on, this revision is what live state is held to: if the apply
      // fails part-way, drift checks must finish it, not revert it to the previous revision.
      this.inForce = revision;
      const metrics = this.deps.metrics;
      const result = await applyPrepared(prepared, {
        signal: control.waves.signal,
        onReport: (r) => {
          metrics.changesApplied.inc({ source: this.name, instance: r.change.provider, action: r.change.action, outcome: r.status });
          if (r.status === 'applied' && (r.change.action === 'update' || r.change.action === 'replace')) {
            metrics.updatesIssued.inc({ source: this.name, instance: r.change.provider });
          }
        },
      });
      const applied = result.reports.filter((r) => r.status === 'applied');
      record.changes = countChanges(applied.map((r) => r.change));
      this.status.errors = reportErrors(result.reports);
      if (result.failed + result.skipped > 0) {
        const message = `${result.applied} applied, ${result.failed} failed, ${result.skipped} skipped: ${this.status.errors.slice(0, 3).map((e) => `${e.display}${e.location ? ` (${e.location})` : ''}: ${e.message}`).join('; ')}`;
        record.message = message;
        if (control.stopped) return { result: 'aborted', retry: true, message };
        setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'ApplyFailed', message }, new Date());
        this.emitFailure('ApplyFailed', message, revision.id);
        return { result: 'failed', retry: true, message };
      }
      this.recordApplied(revision);
      const message = `applied revision ${short(revision.id)}: ${describeCounts(record.changes)}`;
      this.markInSync(revision, message, lane);
      // A drift correction is announced once, as a corrected `drift` event (see driftCheck).
      if (lane !== 'drift') this.deps.emit({ type: 'applied', source: this.name, revision: revision.id, counts: record.changes, message });
      if (lane !== 'drift') this.announceApplied(revision, prepared.plan);
      return { result: 'applied', retry: false };
    } finally {
      control.phase = 'plan';
      release();
    }
  }

  private observeFailed(prepared: PreparedPlan, record: PassRecord, control: PassControl): { result: PassResult; retry: boolean; message: string } {
    // Observing was aborted on purpose (shutdown, timeout, a newer revision): runPass reports it.
    if (control.stopped) return { result: 'aborted', retry: true, message: control.reason ?? 'aborted' };
    this.status.errors = observeErrors(prepared.plan.errors);
    const message = `reading live state failed: ${prepared.plan.errors.map((e) => `${e.provider ?? ''}: ${e.message}`).join('; ')}`;
    record.message = message;
    setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'ObserveFailed', message }, new Date());
    this.emitFailure('ObserveFailed', message, record.revision);
    return { result: 'failed', retry: true, message };
  }

  private refused(prepared: PreparedPlan, revision: Revision, record: PassRecord, lane: PassLane): { result: PassResult; retry: boolean; message: string } {
    const id = this.setPending(prepared, lane, 'safety-refused', revision);
    const message = `plan ${id} for revision ${short(revision.id)} refused by safety rules: ${prepared.plan.refusals.join('; ')}. Nothing was changed. To apply it anyway: ${this.hint(id, true)}`;
    record.message = message;
    this.stall('SafetyRefused', message, revision.id);
    return { result: 'refused', retry: false, message };
  }

  private setPending(prepared: PreparedPlan, lane: PassLane, reason: PendingPlan['reason'], revision: Revision): string {
    const plan = prepared.plan;
    const id = planId(plan);
    const needsForce = plan.refusals.length > 0 && !plan.forced;
    this.pending = {
      view: { ...planView(plan, lane), reason, needsForce, howToApprove: this.hint(id, needsForce) },
      revision,
      checksum: plan.checksum,
    };
    this.status.pendingPlan = this.pending.view;
    const counts = countChanges(plan.changes);
    const waiting = `plan ${id} for revision ${short(revision.id)} (${describeCounts(counts)}) waits for approval${needsForce ? ' with force' : ''}`;
    this.deps.emit({ type: 'pending-approval', source: this.name, revision: revision.id, planId: id, counts, message: waiting });
    if (reason === 'approve-mode') {
      const message = `${waiting}: ${this.hint(id, needsForce)}`;
      setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'AwaitingApproval', message }, new Date());
      setCondition(this.status.conditions, { type: 'Stalled', status: 'False', reason: 'None', message: '' }, new Date());
    }
    return id;
  }

  private hint(id: string, force: boolean): string {
    return this.deps.approveHint?.(this.name, id, force)
      ?? `trueup approve ${this.name} --plan ${id}${force ? ' --force' : ''} (or POST /api/v1/sources/${this.name}/approve {"plan":"${id}"${force ? ',"force":true' : ''}})`;
  }

  /** The dependsOn gate (Flux's "dependency not ready"): nothing is applied while a dependency
   * is not Ready at its current revision. The plan stays on the status page; the source retries
   * with backoff and is woken when a dependency becomes Ready (Controller). */
  private waitForDependencies(revision: Revision): { result: PassResult; retry: boolean; message: string } | undefined {
    const waiting = this.deps.unreadyDependencies?.() ?? [];
    if (waiting.length === 0) {
      delete this.status.waitingFor;
      return undefined;
    }
    this.status.waitingFor = waiting;
    const message = `revision ${short(revision.id)} waits for ${waiting.map((w) => `${w.source} (${w.reason})`).join(', ')}; nothing applied`;
    setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'DependencyNotReady', message }, new Date());
    return { result: 'waiting', retry: true, message };
  }

  // ----- status ------------------------------------------------------------------------------

  private recordApplied(revision: Revision): void {
    this.inForce = revision;
    this.status.lastAppliedRevision = revision.id;
    this.status.lastAppliedAt = new Date().toISOString();
    this.deps.metrics.setRevision(this.name, revision.id);
  }

  private markInSync(revision: Revision, detail: string, lane: PassLane): void {
    const now = new Date();
    if (this.pending && this.status.pendingPlan) return; // still waiting for someone
    // A drift check of the revision in force must not hide that a newer one is stalled.
    if (lane === 'drift' && condition(this.status, 'Stalled')?.status === 'True') return;
    // Nor that Git cannot be reached: live state matching the revision in force says nothing
    // about whether a newer one is waiting. Ready stays False until the git lane succeeds.
    const source = condition(this.status, 'SourceAvailable');
    if (lane === 'drift' && source?.status === 'False') {
      setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: source.reason,
        message: `${source.message}; live state still matches revision ${short(revision.id)} (${detail})` }, now);
      return;
    }
    this.status.errors = [];
    delete this.status.waitingFor;
    // Declared objects trueup may not touch (not owned, out of scope) must not hide behind "Ready".
    const leftAlone = this.status.lastPlan?.conflicts.length ?? 0;
    const alone = leftAlone > 0 ? `; ${leftAlone} declared object${leftAlone === 1 ? '' : 's'} left alone (not owned or out of scope: see the last plan)` : '';
    const message = this.config.mode === 'detect'
      ? `live state matches revision ${short(revision.id)} (${detail})${alone}`
      : `revision ${short(revision.id)} applied and live state matches (${detail})${alone}`;
    setCondition(this.status.conditions, { type: 'Ready', status: 'True', reason: 'Succeeded', message }, now);
    setCondition(this.status.conditions, { type: 'Stalled', status: 'False', reason: 'None', message: '' }, now);
    this.deps.emit({ type: 'in-sync', source: this.name, revision: revision.id });
  }

  private stall(reason: string, message: string, revision: string | undefined): void {
    const now = new Date();
    setCondition(this.status.conditions, { type: 'Stalled', status: 'True', reason, message }, now);
    setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason, message }, now);
    this.emitFailure(reason, message, revision);
  }

  private emitFailure(reason: string, message: string, revision: string | undefined): void {
    const event: ControllerEvent = { type: 'failure', source: this.name, reason, message };
    if (revision) event.revision = revision;
    this.deps.emit(event);
  }

  private sourceAvailable(): void {
    setCondition(this.status.conditions, { type: 'SourceAvailable', status: 'True', reason: 'Succeeded', message: '' }, new Date());
  }

  private markSuspended(): void {
    setCondition(this.status.conditions, { type: 'Ready', status: 'False', reason: 'Suspended', message: 'suspended: no passes until resumed' }, new Date());
  }

  private inForceText(): string {
    return this.inForce ? `revision ${short(this.inForce.id)} stays in force` : 'nothing was changed';
  }

  private publishConditions(): void {
    const m = this.deps.metrics.sourceCondition;
    for (const type of ['Ready', 'Reconciling', 'Stalled', 'SourceAvailable'] as const) {
      m.set({ source: this.name, condition: type.toLowerCase() }, condition(this.status, type)?.status === 'True' ? 1 : 0);
    }
    m.set({ source: this.name, condition: 'suspended' }, this.status.suspended ? 1 : 0);
  }

  private finishPass(outcome: PassOutcome, lane: PassLane, nextMs: number | undefined): void {
    const r = outcome.record;
    const fields = { lane, revision: r.revision, result: r.result, durationMs: r.durationMs, changes: r.changes, ...(r.message ? { detail: r.message } : {}) };
    const what = lane === 'drift' ? 'Drift check' : lane === 'approve' ? 'Approved apply' : 'Reconciliation';
    const next = nextMs === undefined ? '' : `, next ${lane === 'drift' ? 'check' : 'run'} in ${formatDuration(nextMs)}`;
    const detail = r.result === 'unchanged' ? 'revision unchanged' : `${r.result}, ${describeCounts(r.changes)}`;
    const line = `${what} finished in ${formatDuration(r.durationMs)} (${detail}${r.revision ? ` at ${short(r.revision)}` : ''})${next}`;
    if (r.result === 'failed' || r.result === 'stalled' || r.result === 'refused') this.log.warn(fields, line);
    else this.log.info(fields, line);
  }

  private openSource(): Source {
    this.source ??= this.deps.engine.openSource(this.name);
    return this.source;
  }
}

function short(revision: string | undefined): string {
  if (!revision) return '(none)';
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 12) : revision;
}
