// Pull-request previews: the daemon plans every pull request (GitLab: merge request) of a source's
// repository against live state, with the source's own scopes and safety rules, and keeps one
// comment and a commit status on it current. Nothing is ever applied from a pull request: a
// preview gets a plan from `SourceController.previewPlan`, never the prepared plan that applies.
//
//   push      commit status pending → fetch the merge result (refs/pull/N/merge; GitLab
//             refs/merge-requests/N/merge, then …/head) → plan → the source's section of the
//             comment → status success (plan ready, or nothing to do) / failure (refused,
//             invalid) / error (could not plan).
//   merged    the section says so and the source is woken; when live state next matches a
//             revision (applied, or already in sync), the section says at which revision and
//             whether the applied changes are the previewed ones (checksums, src/plan/checksum.ts).
//   comment   `/trueup approve <plan-id>` approves the source's pending plan when the commenter
//             may write to the repository and the plan is for the revision this PR's merge made.
//
// Lanes: every source has its own preview lane with at most `maxConcurrent` previews at a time.
// A newer push to a PR replaces its queued one. The lane shares nothing with the source's git
// and drift lanes (not the Git cache, not the apply lock), so a storm of pull-request pushes
// never delays a reconcile of the branch.

import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import type { Metrics } from '../report/metrics.ts';
import type { PreviewsConfig } from '../config/schema.ts';
import { InvalidRevisionError, formatIssue } from '../load/issues.ts';
import type { Plan } from '../plan/types.ts';
import { changesChecksum, compareApplied } from '../report/preview/compare.ts';
import {
  OUTCOME_STATE as STATE, planDescription, planOutcome, renderPlanSection, sectionChecksum, sectionHead, withMergeNote, type PreviewOutcome, type SectionHead,
} from '../report/preview/comment.ts';
import { parseApproveCommand, type PullRequestPush, type ReviewEvent } from '../report/preview/events.ts';
import type { CommitStatus, ReviewPlatform, StatusState } from '../report/preview/platform.ts';
import { editComment, sectionBudget } from '../report/preview/post.ts';
import { printable as t } from '../sdk/index.ts';
import { SourceError, type Revision, type Source } from '../source/types.ts';
import type { ControllerEvent } from './events.ts';
import { Mutex } from './mutex.ts';
import { PreviewLane } from './preview-lane.ts';
import { ApprovalError, type SourceController } from './source-controller.ts';
import { countChanges, describeCounts } from './views.ts';

export interface PreviewSetup {
  source: SourceController;
  config: PreviewsConfig;
  platform: ReviewPlatform;
}

/** What the status page shows for one pull request of one source. */
export interface PreviewRecord {
  source: string;
  pr: number;
  headSha: string;
  fork: boolean;
  outcome: PreviewOutcome | 'running';
  at: string;
  planned?: SectionHead['planned'];
  plan?: Plan;
  message?: string;
  checksum?: string;
  mergeSha?: string;
}

type Push = PullRequestPush;

const MERGE_REF_ATTEMPTS = 4;
/** Previews kept for the status page (and merge comparisons) before the oldest are dropped. */
const MAX_RECORDS = 1_000;
const MERGE_REF_RETRY_MS = 500;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const done = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}


export class Previews {
  private readonly setups: PreviewSetup[];
  private readonly engine: Engine;
  private readonly log: Logger;
  private readonly lanes = new Map<string, PreviewLane>();
  private readonly records = new Map<string, PreviewRecord>();
  /** Merge commits of merged PRs waiting for their source to apply them, by `source#pr`. */
  private readonly awaiting = new Map<string, string>();
  /** Merge commit of each merged PR, by `source#pr` (approvals check it). */
  private readonly merges = new Map<string, string>();
  private readonly commentLocks = new Map<string, Mutex>();
  private readonly sources = new Map<string, Source>();
  private readonly stopping = new AbortController();
  private readonly background = new Set<Promise<void>>();
  /** Base URL of the status page for links (server.publicUrl, else where it listens). */
  publicUrl: string | undefined;

  private readonly metrics: Metrics;

  constructor(setups: PreviewSetup[], options: { engine: Engine; log: Logger; metrics: Metrics }) {
    this.setups = setups;
    this.engine = options.engine;
    this.metrics = options.metrics;
    this.log = options.log.child({ lane: 'preview' });
    for (const setup of setups) {
      this.lanes.set(setup.source.name, new PreviewLane(setup.config.maxConcurrent, (push) => this.preview(setup, push), this.log));
      setup.source.onApplied((revision, plan) => this.track(this.applied(setup, revision, plan)));
    }
  }

  /** A review event for the repository of some sources (only those named, when `names` is set).
   * Returns the sources that take it. */
  handle(event: ReviewEvent, names?: readonly string[]): string[] {
    const matching = this.setups.filter((s) => (!names || names.includes(s.source.name)) && sameRepository(s.config, event)
      && !(event.type === 'push' && event.fork && !s.config.forks));
    if (matching.length === 0 || this.stopping.signal.aborted) return [];
    if (event.type === 'push') {
      for (const setup of matching) this.lanes.get(setup.source.name)?.enqueue(event);
    } else if (event.type === 'merged') {
      for (const setup of matching) this.track(this.merged(setup, event.number, event.mergeSha));
    } else if (event.type === 'comment') {
      if (!parseApproveCommand(event.body)) return [];
      this.track(this.approve(matching, event));
    } else {
      // Closed without merging: nothing will be applied; forget its fetch state.
      for (const setup of matching) {
        this.awaiting.delete(`${setup.source.name}#${event.number}`);
        this.forgetRefs(setup, event.number);
      }
    }
    return matching.map((s) => s.source.name);
  }

  /** Controller events: a merged PR's revision waiting for approval is announced on the PR. */
  onControllerEvent(event: ControllerEvent): void {
    if (event.type !== 'pending-approval') return;
    for (const setup of this.setups.filter((s) => s.source.name === event.source)) {
      for (const [key, mergeSha] of this.awaiting) {
        const [source, pr] = key.split('#');
        if (source !== event.source || mergeSha !== event.revision) continue;
        const note = `Merged as \`${mergeSha.slice(0, 12)}\`. Plan \`${event.planId}\` (${describeCounts(event.counts)}) waits for approval: a person with write permission comments \`/trueup approve ${event.planId}\` here.`;
        this.track(this.updateNote(setup, Number(pr), note));
      }
    }
  }

  get(source: string, pr: number): PreviewRecord | undefined {
    return this.records.get(`${source}#${pr}`);
  }

  previewUrl(source: string, pr: number): string | undefined {
    return this.publicUrl ? `${this.publicUrl.replace(/\/+$/, '')}/previews/${source}/${pr}` : undefined;
  }

  /** Stop taking previews, abort those in flight, wait for them. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('shutting down'));
    for (const lane of this.lanes.values()) lane.clear();
    await Promise.all([...this.lanes.values()].map((l) => l.drain()));
    await Promise.all([...this.background]);
  }

  /** Resolves when nothing is queued or running (tests, `--once`). */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...this.lanes.values()].map((l) => l.drain()));
      if (this.background.size === 0) return;
      await Promise.all([...this.background]);
    }
  }

  // ----- preview ---------------------------------------------------------------------------

  private async preview(setup: PreviewSetup, push: Push): Promise<void> {
    const name = setup.source.name;
    const record: PreviewRecord = { source: name, pr: push.number, headSha: push.headSha, fork: push.fork, outcome: 'running', at: new Date().toISOString() };
    const key = `${name}#${push.number}`;
    // Insertion order is age order: a long-lived daemon keeps the latest previews only.
    this.records.delete(key);
    this.records.set(key, record);
    for (const old of this.records.keys()) {
      if (this.records.size <= MAX_RECORDS) break;
      this.records.delete(old);
    }
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(setup.source.config.timeout)]);
    const fullPlanUrl = this.previewUrl(name, push.number);
    const status = (state: StatusState, description: string): CommitStatus => ({
      state, description, context: setup.config.context ?? `trueup/${name}`, ...(fullPlanUrl ? { targetUrl: fullPlanUrl } : {}),
    });
    const started = Date.now();
    try {
      await setup.platform.setStatus(push.headSha, status('pending', 'trueup is planning the merge result (nothing is applied from a pull request)'), signal);
      const { section, outcome, description } = await this.planSection(setup, push, record, fullPlanUrl, signal);
      if (this.stopping.signal.aborted) return;
      await this.writeComment(setup, push.number, (sections) => sections.set(name, section), signal);
      await setup.platform.setStatus(push.headSha, status(STATE[outcome], description), signal);
      this.log.info({ source: name, pr: push.number, head: push.headSha, outcome }, `preview of pull request #${push.number}: ${description}`);
      this.metrics.previews.inc({ source: name, outcome });
      this.metrics.previewDuration.observe({ source: name }, (Date.now() - started) / 1000);
    } catch (error) {
      this.metrics.previews.inc({ source: name, outcome: 'unposted' });
      record.message = (error as Error).message;
      // A status left at pending would read as "still planning" forever.
      if (!this.stopping.signal.aborted) {
        await setup.platform.setStatus(push.headSha, status('error', `preview could not be posted: ${record.message}`), AbortSignal.timeout(10_000)).catch(() => undefined);
      }
      this.log.warn({ source: name, pr: push.number, err: record.message }, `preview of pull request #${push.number} could not be posted`);
    }
  }

  private async planSection(setup: PreviewSetup, push: Push, record: PreviewRecord, fullPlanUrl: string | undefined, signal: AbortSignal): Promise<{ section: string; outcome: PreviewOutcome; description: string }> {
    const name = setup.source.name;
    const head: SectionHead = { source: name, outcome: 'failed', headSha: push.headSha, planned: { sha: push.headSha, ref: '', mergeResult: false }, fork: push.fork };
    if (fullPlanUrl) head.fullPlanUrl = fullPlanUrl;
    let body: string;
    let description: string;
    try {
      const { revision, ref, mergeResult } = await this.fetch(setup, push, signal);
      head.planned = { sha: revision.id, ref, mergeResult };
      record.planned = head.planned;
      const plan = await setup.source.previewPlan(revision, signal);
      record.plan = plan;
      head.checksum = changesChecksum(name, plan.changes);
      record.checksum = head.checksum;
      head.outcome = planOutcome(plan);
      const share = this.setups.filter((s) => s.config.provider === setup.config.provider && s.config.repository.toLowerCase() === setup.config.repository.toLowerCase()).length;
      const options: Parameters<typeof renderPlanSection>[1] = { maxChars: sectionBudget(setup.platform, share), title: `trueup · ${name}` };
      if (fullPlanUrl) options.fullPlanUrl = fullPlanUrl;
      const link = fileLink(push.webUrl, setup.config.provider, push.headSha, setup.source.config.git?.path ?? '');
      if (link) options.fileLink = link;
      body = renderPlanSection(plan, options);
      description = planDescription(plan);
    } catch (error) {
      if (error instanceof InvalidRevisionError) {
        head.outcome = 'invalid';
        const issues = error.issues.map(formatIssue);
        body = ['The revision is invalid: it would not be applied.', '', ...issues.slice(0, 50).map((i) => `- \`${i}\``), issues.length > 50 ? `- … and ${issues.length - 50} more` : ''].join('\n');
        description = `invalid: ${issues[0] ?? ''}`;
      } else {
        head.outcome = 'failed';
        body = `The preview failed: ${t((error as Error).message)}`;
        description = `preview failed: ${(error as Error).message.split('\n')[0] ?? ''}`;
      }
      record.message = description;
    }
    record.outcome = head.outcome;
    return { section: `${sectionHead(head)}\n${body}`, outcome: head.outcome, description };
  }

  /** The PR's merge result, or its head when the platform made no merge result (conflicts).
   * The platforms rebuild the merge ref in the background after a push: a merge result whose
   * parents do not include the pushed head is the previous push's, so it is fetched again a few
   * times (about 6 s in all) before the head itself is planned. */
  private async fetch(setup: PreviewSetup, push: Push, signal: AbortSignal): Promise<{ revision: Revision; ref: string; mergeResult: boolean }> {
    const prefix = setup.config.provider === 'github' ? `refs/pull/${push.number}` : `refs/merge-requests/${push.number}`;
    for (let attempt = 0; attempt < MERGE_REF_ATTEMPTS; attempt += 1) {
      let revision: Revision;
      try {
        revision = await this.open(setup, `${prefix}/merge`).fetch(signal);
      } catch (error) {
        if (!(error instanceof SourceError) || error.transient || !/not found/.test(error.message)) throw error;
        break;
      }
      if (!revision.parents || revision.parents.includes(push.headSha)) return { revision, ref: `${prefix}/merge`, mergeResult: true };
      this.log.debug({ source: setup.source.name, pr: push.number, merge: revision.id, head: push.headSha, attempt }, 'merge result not rebuilt for this head yet');
      await abortableSleep(MERGE_REF_RETRY_MS * (attempt + 1), signal);
    }
    return { revision: await this.open(setup, `${prefix}/head`).fetch(signal), ref: `${prefix}/head`, mergeResult: false };
  }

  private open(setup: PreviewSetup, ref: string): Source {
    const key = `${setup.source.name}\u0000${ref}`;
    let source = this.sources.get(key);
    if (!source) {
      source = this.engine.openSource(setup.source.name, { ref });
      this.sources.set(key, source);
    }
    return source;
  }

  // ----- the comment -----------------------------------------------------------------------

  /** Read-modify-write of the PR's comment, one writer at a time per comment (several sources
   * of one repository share it). */
  private async writeComment(setup: PreviewSetup, pr: number, edit: (sections: Map<string, string>) => void, signal: AbortSignal): Promise<void> {
    const key = `${setup.config.provider}:${setup.config.repository.toLowerCase()}#${pr}`;
    let lock = this.commentLocks.get(key);
    if (!lock) {
      lock = new Mutex();
      this.commentLocks.set(key, lock);
    }
    const release = await lock.acquire();
    try {
      await editComment(setup.platform, pr, edit, signal);
    } finally {
      release();
    }
  }

  private async updateNote(setup: PreviewSetup, pr: number, note: string): Promise<void> {
    try {
      await this.writeComment(setup, pr, (sections) => {
        const current = sections.get(setup.source.name);
        sections.set(setup.source.name, withMergeNote(current ?? `### trueup · \`${setup.source.name}\``, note));
      }, AbortSignal.any([this.stopping.signal, AbortSignal.timeout(60_000)]));
    } catch (error) {
      this.log.warn({ source: setup.source.name, pr, err: (error as Error).message }, 'could not update the pull-request comment');
    }
  }

  // ----- merge and apply -------------------------------------------------------------------

  private async merged(setup: PreviewSetup, pr: number, mergeSha: string): Promise<void> {
    const key = `${setup.source.name}#${pr}`;
    this.awaiting.set(key, mergeSha);
    this.merges.set(key, mergeSha);
    for (const map of [this.awaiting, this.merges]) {
      for (const old of map.keys()) {
        if (map.size <= MAX_RECORDS) break;
        map.delete(old);
      }
    }
    const record = this.records.get(key);
    if (record) record.mergeSha = mergeSha;
    this.forgetRefs(setup, pr);
    await this.updateNote(setup, pr, `Merged as \`${mergeSha.slice(0, 12)}\`: waiting for trueup to reconcile it (${setup.source.config.mode} mode).`);
    setup.source.trigger(false);
  }

  private forgetRefs(setup: PreviewSetup, pr: number): void {
    for (const k of [...this.sources.keys()]) if (k.startsWith(`${setup.source.name}\u0000`) && new RegExp(`/${pr}/(merge|head)$`).test(k)) this.sources.delete(k);
  }

  private async applied(setup: PreviewSetup, revision: Revision, plan: Plan): Promise<void> {
    const name = setup.source.name;
    for (const [key, mergeSha] of [...this.awaiting]) {
      const [source, prText] = key.split('#');
      // A pass that was already under way when the merge arrived applies an older commit: only the
      // merge commit itself, or a commit made on top of it, says what happened to this merge.
      if (source !== name || (revision.id !== mergeSha && !revision.parents?.includes(mergeSha))) continue;
      this.awaiting.delete(key);
      const pr = Number(prText);
      const record = this.records.get(key);
      await this.writeComment(setup, pr, (sections) => {
        const section = sections.get(name) ?? `### trueup · \`${name}\``;
        const checksum = record?.checksum ?? sectionChecksum(section);
        const at = revision.id === mergeSha ? `the merge commit \`${mergeSha.slice(0, 12)}\`` : `\`${revision.id.slice(0, 12)}\` (a commit made on top of the merge \`${mergeSha.slice(0, 12)}\`)`;
        const counts = describeCounts(countChanges(plan.changes));
        let note: string;
        if (!checksum) note = `Applied at revision ${at} (${counts}). No preview of this pull request was found to compare with.`;
        else {
          const c = compareApplied(record?.plan?.changes, checksum, plan.changes, name);
          note = c.same
            ? `✅ Applied at revision ${at} (${counts}): exactly the previewed changes (checksum \`${checksum.slice(0, 12)}\`).`
            : [`⚠️ Applied at revision ${at} (${counts}): **not** the previewed changes (preview checksum \`${checksum.slice(0, 12)}\`, applied \`${changesChecksum(name, plan.changes).slice(0, 12)}\`).`, '', ...c.lines.map((l) => `- ${l}`)].join('\n');
        }
        sections.set(name, withMergeNote(section, note));
      }, AbortSignal.any([this.stopping.signal, AbortSignal.timeout(60_000)])).catch((error: unknown) => {
        this.log.warn({ source: name, pr, err: (error as Error).message }, 'could not update the pull-request comment after the merge');
      });
    }
  }

  // ----- approvals -------------------------------------------------------------------------

  private async approve(setups: PreviewSetup[], event: Extract<ReviewEvent, { type: 'comment' }>): Promise<void> {
    const command = parseApproveCommand(event.body);
    const first = setups[0];
    if (!command || !first) return;
    const id = command.planId;
    const who = `@${t(event.user.login)}`;
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(10 * 60_000)]);
    const setup = setups.find((s) => s.source.status.pendingPlan?.id === id);
    const reply = async (text: string) => {
      await (setup ?? first).platform.createComment(event.number, `**trueup:** ${text}`, signal);
    };
    try {
      if (!setup) {
        const waiting = setups.flatMap((s) => (s.source.status.pendingPlan ? [`\`${s.source.name}\`: \`${s.source.status.pendingPlan.id}\``] : []));
        await reply(`no source of this repository has plan \`${id}\` waiting for approval (${waiting.length > 0 ? `waiting: ${waiting.join(', ')}` : 'nothing waits'}).`);
        return;
      }
      const name = setup.source.name;
      const permission = await setup.platform.permission(event.user, signal);
      if (!permission.canWrite) {
        this.log.warn({ source: name, pr: event.number, user: event.user.login, level: permission.level }, 'approval by comment refused: no write permission');
        await reply(`${who} cannot approve plan \`${id}\` of source \`${name}\`: approving needs write permission on ${t(setup.config.repository)} (${who} has ${t(permission.level)}). Nothing was applied.`);
        return;
      }
      const pending = setup.source.status.pendingPlan;
      const mergeSha = this.merges.get(`${name}#${event.number}`);
      if (!pending || pending.revision !== mergeSha) {
        await reply(`plan \`${id}\` of source \`${name}\` is for revision \`${(pending?.revision ?? '').slice(0, 12)}\`, which is not this pull request's merge${mergeSha ? ` (\`${mergeSha.slice(0, 12)}\`)` : ' (trueup saw no merge of it)'}: approve it on the pull request that produced it. Nothing was applied.`);
        return;
      }
      this.log.info({ source: name, pr: event.number, user: event.user.login, plan: id }, 'plan approved by a pull-request comment');
      const record = await setup.source.approve(id, false);
      await reply(`${who} (${t(permission.level)}) approved plan \`${id}\` of source \`${name}\` at revision \`${pending.revision.slice(0, 12)}\`: ${record.result}, ${describeCounts(record.changes)}${record.message ? ` — ${t(record.message)}` : ''}.`);
    } catch (error) {
      if (error instanceof ApprovalError) await reply(`${who} could not approve plan \`${id}\`: ${t(error.message)}`).catch(() => undefined);
      else this.log.warn({ pr: event.number, err: (error as Error).message }, 'approval by comment failed');
    }
  }

  private track(work: Promise<void>): void {
    const task = work.catch((error: unknown) => {
      this.log.warn({ err: (error as Error).message }, 'preview task failed');
    });
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }
}

function sameRepository(config: PreviewsConfig, event: ReviewEvent): boolean {
  if (config.provider !== event.provider) return false;
  if (/^\d+$/.test(config.repository)) return event.projectId === Number(config.repository);
  return config.repository.toLowerCase() === event.repository.toLowerCase();
}

function fileLink(webUrl: string | undefined, provider: 'github' | 'gitlab', sha: string, path: string): ((file: string, line: number) => string) | undefined {
  if (!webUrl) return undefined;
  const base = `${webUrl.replace(/\/+$/, '')}${provider === 'github' ? '/blob' : '/-/blob'}/${sha}/`;
  const folder = path.replace(/^\/+|\/+$/g, '');
  return (file, line) => `${base}${[folder, file].filter(Boolean).map((p) => p.split('/').map(encodeURIComponent).join('/')).join('/')}#L${line}`;
}
