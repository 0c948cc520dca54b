// Sources spread over replicas (`trueup run --shard`), with Kubernetes Leases as the only
// coordination: no messages between replicas, no state of our own.
//
//   membership  each replica holds a Lease of its own (`<base>-member-<identity>`, labelled
//               trueup.dev/shard-group=<base>, shard-role=member) and renews it; the live members
//               are the ones whose holder renewed within the lease duration.
//   placement   each source goes to its rendezvous-hash preferred live member, loads bounded
//               (placement.ts): every replica computes the same answer from the same LIST.
//   ownership   each source has a Lease (`<base>-source-<name>`, shard-role=source). A replica
//               reconciles a source only while it holds that Lease, and takes one only when it is
//               the preferred member and the Lease is free: never created, released (empty
//               holder), or expired — not renewed for leaseDuration as measured on our own clock
//               from when we saw the record change (clock skew between nodes does not matter).
//               Every write carries the resourceVersion read, so of two replicas racing for one
//               Lease one wins and the other gets 409.
//   handover    a holder that is no longer preferred (a member joined) soft-stops that source
//               (in-flight provider batches finish; aborted after the shutdown timeout), keeps
//               renewing meanwhile, and only then releases the Lease, so the new owner starts at
//               once. A replica that dies stops renewing: its membership expires, the others
//               rehash, and the new preferred member takes each source when its Lease expires:
//               within the lease duration plus one retry period of the death.
//
// Never two writers for one source. A holder renews every leaseDuration/4 (each request bounded
// at leaseDuration/5, so a hung renewal is retried before the deadline); when a renewal has not
// succeeded for 2/3 of the lease duration, counted from when the last successful renewal was
// *sent*, a timer aborts that source's work (every request in flight, writes included, through
// the AbortSignal each provider call carries) and the replica stops treating the source as its
// own. Another replica can take the Lease only after seeing it unchanged for a full lease
// duration on its own clock, starting no earlier than the server stored that renewal — so at
// least leaseDuration/3 after our abort began. That margin must cover the abort settling (an
// aborted request settles at once; one already at the API server finishes there) and timer
// lateness. This is client-go's renewDeadline rule (leaderelection.go), applied per source.
// A timer cannot fire while the event loop is blocked (a pass doing seconds of synchronous work, a
// GC pause, the process stopped), and after a block I/O callbacks and the microtasks they start
// run before timers: a pass could send its next write first. So the timer is not the guard of
// last resort: `fence` checks the same deadline synchronously, on our clock, just before every
// mutating request (ProviderContext.beforeWrite; the engine also before each batch), and refuses
// the write once the deadline passed. What is left is the gap between that check and the bytes
// leaving (microtasks), covered by the leaseDuration/3 margin.
//
// Requests: one LIST per retry period (leaseDuration/5) finds members and source holders; one
// PUT per renewal period (leaseDuration/4) renews the membership and each held source (held
// sources on a loop of their own, so a slow LIST never delays a renewal); acquisitions and
// releases are one write each. With N replicas and S sources that is about 5·N LISTs and
// 4·(N+S) PUTs per lease duration across the group.

import type { Logger } from 'pino';
import { WriteFencedError } from '../sdk/index.ts';
import { LEADER_URL_ANNOTATION, LeaseApi, microTime, statusMessage, type Lease, type LeaseResponse } from './lease-api.ts';
import { GROUP_LABEL, ROLE_LABEL, SOURCE_ANNOTATION, memberLeaseName, placeSources, sourceLeaseName } from './placement.ts';
import { Sleeper } from './sleeper.ts';

export interface ShardingOptions {
  namespace: string;
  /** Base name of the group's Leases (`--lease NS/NAME`). */
  name: string;
  identity: string;
  leaseDurationMs: number;
  kubeconfig?: string;
  log: Logger;
  sources: readonly string[];
  work: ShardWork;
  /** Told after each round: why it failed, or undefined when the Leases could be read and written. */
  onAttempt?(error: string | undefined): void;
  /** Told whenever this replica starts or stops holding a source. */
  onHeldChange?(source: string, held: boolean): void;
}

/** What the sharder drives: the per-source controllers. */
export interface ShardWork {
  start(source: string): void;
  /** Soft stop, then abort after the shutdown timeout; `writesStopped`: every pass ended. */
  stop(source: string): Promise<{ clean: boolean; writesStopped: boolean }>;
  /** Abort every request in flight now; resolves when every pass ended. */
  abort(source: string, reason: string): Promise<void>;
}

/** Who holds a source as last read (undefined: nobody, or its Lease expired). */
export interface SourceHolder {
  identity: string;
  url?: string;
}

interface Held {
  /** The Lease as our last successful write returned it (its resourceVersion is current). */
  lease: Lease;
  /** When the last successful write was sent (our clock). */
  renewedAt: number;
  state: 'running' | 'stopping';
  deadline: NodeJS.Timeout | undefined;
  /** A renewal in flight (a release waits for it, so the two do not race on one resourceVersion). */
  renewal?: Promise<void>;
}

export class Sharder {
  private readonly o: ShardingOptions;
  private readonly api: LeaseApi;
  private readonly group: string;
  private readonly memberName: string;
  private readonly retryMs: number;
  private readonly renewMs: number;
  private readonly renewDeadlineMs: number;
  private readonly seconds: number;
  private advertiseUrl: string | undefined;
  /** Per Lease name: the (holder, renewTime) record last seen and when (our clock). */
  private readonly observed = new Map<string, { record: string; at: number }>();
  private readonly held = new Map<string, Held>();
  /** Sources whose work is being aborted after a lost renewal: not taken again until it ended. */
  private readonly aborting = new Set<string>();
  private readonly handovers = new Set<Promise<void>>();
  private readonly holderOf = new Map<string, SourceHolder>();
  private member: { lease: Lease; renewedAt: number } | undefined;
  private draining = false;
  private stopped = false;
  /** When the first Lease that matters to us (a member, a source we would take) expires. */
  private soonest = Infinity;
  private readonly sleeper = new Sleeper();
  private loop: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  /** The live members as of the last LIST (sorted). */
  members: string[] = [];
  /** Each source's preferred member among them (placement.ts). */
  private placement = new Map<string, string>();

  constructor(options: ShardingOptions) {
    this.o = options;
    this.api = new LeaseApi({ namespace: options.namespace, kubeconfig: options.kubeconfig, timeoutMs: Math.min(10_000, Math.max(200, Math.round(options.leaseDurationMs / 5))) });
    this.group = options.name;
    this.memberName = memberLeaseName(options.name, options.identity);
    this.retryMs = Math.max(200, Math.round(options.leaseDurationMs / 5));
    // Renew at a quarter of the duration: with requests bounded at a fifth, a renewal that hangs
    // still leaves time for a retry before the deadline at two thirds.
    this.renewMs = Math.max(200, Math.round(options.leaseDurationMs / 4));
    this.renewDeadlineMs = Math.round((options.leaseDurationMs * 2) / 3);
    this.seconds = Math.max(1, Math.round(options.leaseDurationMs / 1000));
  }

  setAdvertiseUrl(url: string): void {
    this.advertiseUrl = url;
  }

  /** Sources this replica holds (reconciles), sorted. */
  heldSources(): string[] {
    return [...this.held.keys()].sort();
  }

  holds(source: string): boolean {
    return this.held.get(source)?.state === 'running';
  }

  /** The replica holding `source` as last read (this one included). */
  holder(source: string): SourceHolder | undefined {
    if (this.held.has(source)) return { identity: this.o.identity, ...(this.advertiseUrl ? { url: this.advertiseUrl } : {}) };
    return this.holderOf.get(source);
  }

  get identity(): string {
    return this.o.identity;
  }

  /**
   * The write fence, called synchronously just before each write of `source` is sent. The renew
   * deadline's timer alone cannot keep the rule when the event loop was blocked past it (a long
   * synchronous pass, a GC pause, the process stopped): after the block, I/O callbacks run before
   * timers, so the next write of a batch would go out first. This check needs no timer: the Lease
   * is ours only while its last successful renewal was sent less than the renew deadline ago on
   * our own clock. Otherwise the source is lost (its work aborted) and the write refused.
   */
  fence(source: string, operation: string): void {
    const held = this.held.get(source);
    if (!held) {
      throw new WriteFencedError(`lease of source ${source} not held by ${this.o.identity}; another replica may hold it`, { operation, code: 'WriteFenced' });
    }
    if (Date.now() < held.renewedAt + this.renewDeadlineMs) return;
    const since = new Date(held.renewedAt).toISOString();
    this.lose(source, `not renewed since ${since} (fenced a write)`);
    throw new WriteFencedError(`lease of source ${source} not renewed since ${since}; another replica may hold it`, { operation, code: 'WriteFenced' });
  }

  start(): void {
    this.o.log.info({ group: `${this.o.namespace}/${this.group}`, identity: this.o.identity, sources: this.o.sources.length }, 'sharding: joining the group');
    this.loop = (async () => {
      while (!this.stopped) {
        this.soonest = Infinity;
        await this.round();
        // Wake at the retry period, or just after a Lease we would take expires, whichever is
        // first: a dead replica's sources then move at its lease duration, not up to a retry later.
        await this.sleep(Math.max(20, Math.min(this.retryMs, this.soonest - Date.now())));
      }
    })();
    this.renewing = this.renewLoop();
  }

  /**
   * Renewals run on their own loop, apart from the LIST round: a slow LIST or acquisition must
   * never delay the renewal of a Lease we hold. Each held Lease is renewed once renewMs passed
   * since its last successful write, retried every tick until it succeeds or its deadline aborts it.
   */
  private async renewLoop(): Promise<void> {
    const tick = Math.max(100, Math.round(this.retryMs / 2));
    while (!this.stopped) {
      for (const [source, held] of this.held) {
        // One renewal in flight per Lease; a slow one never holds up the others.
        if (held.renewal || Date.now() - held.renewedAt < this.renewMs) continue;
        held.renewal = this.renew(source, held).finally(() => {
          held.renewal = undefined;
        });
      }
      await new Promise((r) => setTimeout(r, tick));
    }
    await Promise.all([...this.held.values()].flatMap((h) => (h.renewal ? [h.renewal] : [])));
  }

  private async renew(source: string, held: Held): Promise<void> {
    const sent = Date.now();
    const name = sourceLeaseName(this.group, source);
    const res = await this.write(held.lease, name, this.sourceLabels(), this.sourceAnnotations(source));
    if (this.held.get(source) !== held) return;
    if (res.lease) {
      this.renewed(source, held, res.lease, sent);
      return;
    }
    if (res.error !== undefined) {
      this.o.log.warn({ source, err: res.error }, 'sharding: renewal failed; retrying until the renew deadline');
      return;
    }
    // 409: written since our last write. Ours still (we hold it), or taken: read it to know.
    try {
      const now = await this.api.get(name);
      if (this.held.get(source) !== held) return;
      if (now?.spec.holderIdentity === this.o.identity) held.lease = now;
      else this.lose(source, `lease taken by ${now?.spec.holderIdentity || 'nobody'}`);
    } catch {
      // Retried next tick; the deadline bounds it.
    }
  }

  /**
   * Shutdown: take no more sources, stop the held ones (each released as soon as its writes
   * stopped; renewals go on meanwhile), leave the group. `writesStopped` false: some source's
   * work did not end even when aborted; its Lease is left to expire, never released under a writer.
   */
  async drain(): Promise<{ clean: boolean; writesStopped: boolean }> {
    this.draining = true;
    let clean = true;
    let writesStopped = true;
    await Promise.all([...this.handovers]);
    await Promise.all([...this.held.keys()].map(async (source) => {
      const result = await this.stopAndRelease(source);
      clean &&= result.clean;
      writesStopped &&= result.writesStopped;
    }));
    this.stopped = true;
    this.sleeper.wake();
    await Promise.all([this.loop, this.renewing]);
    await this.leave();
    return { clean, writesStopped };
  }

  // ----- one round ---------------------------------------------------------------------------

  private async round(): Promise<void> {
    let leases: Lease[];
    try {
      leases = await this.api.list(`${GROUP_LABEL}=${this.group}`);
    } catch (error) {
      this.failed(`cannot list the group's leases: ${(error as Error).message}`);
      return;
    }
    const byName = new Map(leases.map((l) => [l.metadata.name, l]));
    let error: string | undefined;
    if (!this.draining) error = await this.renewMembership(byName.get(this.memberName));
    this.members = this.liveMembers(leases);
    this.placement = placeSources(this.o.sources, this.members);
    // Concurrently: a slow answer for one source must not delay the renewal of another.
    const problems = await Promise.all(this.o.sources.map((source) => this.reconcileSource(source, byName.get(sourceLeaseName(this.group, source)))));
    error ??= problems.find((p) => p !== undefined);
    this.o.onAttempt?.(error);
  }

  private liveMembers(leases: Lease[]): string[] {
    const out = new Set<string>();
    if (!this.draining) out.add(this.o.identity);
    for (const lease of leases) {
      if (lease.metadata.labels?.[ROLE_LABEL] !== 'member' || lease.metadata.name === this.memberName) continue;
      const holder = lease.spec.holderIdentity ?? '';
      if (holder !== '' && !this.expired(lease)) out.add(holder);
      else this.collect(lease);
    }
    return [...out].sort();
  }

  /** A replica killed without leaving leaves its membership Lease behind (and a Deployment's pods
   * get new names on every rollout): once it has been unchanged for two lease durations, delete
   * it — only if unchanged since we read it (a member that was only cut off recreates its own at
   * its next renewal: membership steers placement, never ownership). */
  private collect(lease: Lease): void {
    const seen = this.observed.get(lease.metadata.name);
    const durationMs = (lease.spec.leaseDurationSeconds ?? this.seconds) * 1000;
    if (!seen || seen.at + 2 * Math.max(durationMs, this.o.leaseDurationMs) > Date.now()) return;
    this.observed.delete(lease.metadata.name);
    void this.api.delete(lease).then((res) => {
      if (res.status < 300) this.o.log.info({ lease: lease.metadata.name, holder: lease.spec.holderIdentity }, 'sharding: deleted the membership lease of a replica silent for two lease durations');
    }, () => undefined);
  }

  /** Has this Lease gone unchanged for its duration, on our clock? (Also records what we saw.) */
  private expired(lease: Lease): boolean {
    const record = `${lease.spec.holderIdentity ?? ''}\u0000${lease.spec.renewTime ?? ''}`;
    const seen = this.observed.get(lease.metadata.name);
    const now = Date.now();
    const durationMs = (lease.spec.leaseDurationSeconds ?? this.seconds) * 1000;
    const at = seen?.record === record ? seen.at : now;
    if (seen?.record !== record) this.observed.set(lease.metadata.name, { record, at });
    if (at + durationMs < now) return true;
    this.soonest = Math.min(this.soonest, at + durationMs + 10);
    return false;
  }

  private async renewMembership(lease: Lease | undefined): Promise<string | undefined> {
    if (this.member && Date.now() - this.member.renewedAt < this.renewMs && lease?.metadata.resourceVersion === this.member.lease.metadata.resourceVersion) return undefined;
    const sent = Date.now();
    const res = await this.write(lease, this.memberName, { [GROUP_LABEL]: this.group, [ROLE_LABEL]: 'member' }, {});
    if (res.lease) {
      this.member = { lease: res.lease, renewedAt: sent };
      return undefined;
    }
    return res.error;
  }

  private async reconcileSource(source: string, lease: Lease | undefined): Promise<string | undefined> {
    const holder = lease?.spec.holderIdentity ?? '';
    const free = !lease || holder === '' || holder === this.o.identity || this.expired(lease);
    const url = lease?.metadata.annotations?.[LEADER_URL_ANNOTATION];
    if (lease && holder !== '' && holder !== this.o.identity && !free) this.holderOf.set(source, { identity: holder, ...(url ? { url } : {}) });
    else this.holderOf.delete(source);
    const held = this.held.get(source);
    if (held) {
      if (!lease || holder !== this.o.identity) {
        // Someone else wrote it: only possible once our renewals failed past the deadline, whose
        // timer has already aborted the work. Make sure.
        this.lose(source, `lease taken by ${holder || 'nobody'}`);
        return undefined;
      }
      if (held.state === 'running' && !this.draining && this.placement.get(source) !== this.o.identity) this.handOver(source);
      return undefined;
    }
    if (this.draining || this.aborting.has(source) || !free) return undefined;
    if (this.placement.get(source) !== this.o.identity) return undefined;
    const sent = Date.now();
    const res = await this.write(lease, sourceLeaseName(this.group, source), this.sourceLabels(), this.sourceAnnotations(source));
    if (!res.lease) return res.error;
    if (this.draining || this.stopped) {
      // Shutdown began while we were asking: give it straight back.
      await this.release(res.lease);
      return undefined;
    }
    const entry: Held = { lease: res.lease, renewedAt: sent, state: 'running', deadline: undefined };
    this.held.set(source, entry);
    this.renewed(source, entry, res.lease, sent);
    this.o.log.info({ source, lease: res.lease.metadata.name, members: this.members.length }, 'sharding: acquired the source lease; reconciling it');
    this.o.onHeldChange?.(source, true);
    this.o.work.start(source);
    return undefined;
  }

  private sourceLabels(): Record<string, string> {
    return { [GROUP_LABEL]: this.group, [ROLE_LABEL]: 'source' };
  }

  private sourceAnnotations(source: string): Record<string, string> {
    return { [SOURCE_ANNOTATION]: source, ...(this.advertiseUrl ? { [LEADER_URL_ANNOTATION]: this.advertiseUrl } : {}) };
  }

  /** A successful write: push the renew deadline out to 2/3 of the lease duration from `sent`. */
  private renewed(source: string, held: Held, lease: Lease, sent: number): void {
    held.lease = lease;
    held.renewedAt = sent;
    clearTimeout(held.deadline);
    held.deadline = setTimeout(() => this.lose(source, `could not renew its lease for ${this.renewDeadlineMs} ms`), Math.max(0, sent + this.renewDeadlineMs - Date.now()));
  }

  /** Renewal failed past the deadline (or the Lease changed hands): abort now, never release. */
  private lose(source: string, reason: string): void {
    const held = this.held.get(source);
    if (!held) return;
    clearTimeout(held.deadline);
    this.held.delete(source);
    this.aborting.add(source);
    this.o.onHeldChange?.(source, false);
    this.o.log.error({ source, reason }, 'sharding: lost the source lease; aborting its work (another replica may take it over)');
    void this.o.work.abort(source, `lost the source lease: ${reason}`).finally(() => this.aborting.delete(source));
  }

  /** No longer the preferred member: stop the source, then release its Lease. */
  private handOver(source: string): void {
    const preferred = this.placement.get(source);
    this.o.log.info({ source, to: preferred }, 'sharding: handing the source over to its preferred member; stopping it first');
    const done = this.stopAndRelease(source).then(() => undefined);
    this.handovers.add(done);
    void done.finally(() => this.handovers.delete(done));
  }

  private async stopAndRelease(source: string): Promise<{ clean: boolean; writesStopped: boolean }> {
    const held = this.held.get(source);
    if (!held) return { clean: true, writesStopped: true };
    held.state = 'stopping';
    this.o.onHeldChange?.(source, false);
    const result = await this.o.work.stop(source);
    if (this.held.get(source) !== held) return result; // lost meanwhile: aborted, not ours to release
    await held.renewal;
    if (this.held.get(source) !== held) return result;
    clearTimeout(held.deadline);
    this.held.delete(source);
    // Only once writes stopped may the next owner start; otherwise let the Lease expire.
    if (result.writesStopped) await this.release(held.lease);
    else this.o.log.warn({ source }, 'sharding: the source\'s work did not stop when aborted; leaving its lease to expire instead of releasing it');
    return result;
  }

  /** Empty holder and a 1 s duration: the next owner may take it at once. */
  /** Called only once the source's writes stopped (LeaseApi.release retries on that ground). */
  private async release(lease: Lease): Promise<void> {
    const problem = await this.api.release(lease, this.o.identity);
    if (problem === undefined) this.o.log.info({ lease: lease.metadata.name }, 'sharding: lease released');
    else this.o.log.warn({ lease: lease.metadata.name, err: problem }, 'sharding: could not release the lease; it expires instead');
  }

  /** Leave the group: delete our membership Lease (if nobody wrote it since), so the others
   * rehash at once and no dead member's Lease is left behind. */
  private async leave(): Promise<void> {
    if (!this.member) return;
    try {
      const res = await this.api.delete(this.member.lease);
      if (res.status >= 300 && res.status !== 404) throw new Error(`HTTP ${res.status} ${statusMessage(res.body)}`);
      this.o.log.info({ lease: this.memberName }, 'sharding: left the group');
    } catch (error) {
      this.o.log.warn({ lease: this.memberName, err: (error as Error).message }, 'sharding: could not delete the membership lease; the others drop it when it expires');
    }
  }

  /**
   * Create the Lease or take it / renew it with the resourceVersion we read. Returns the Lease as
   * written, or why not (a 409 is not an error: someone else wrote first, we read again next round).
   */
  private async write(lease: Lease | undefined, name: string, labels: Record<string, string>, annotations: Record<string, string>): Promise<{ lease?: Lease; error?: string }> {
    const now = microTime(new Date());
    let res: LeaseResponse;
    try {
      if (!lease) {
        res = await this.api.create({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name, namespace: this.o.namespace, labels, annotations },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: this.seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
      } else {
        const ours = lease.spec.holderIdentity === this.o.identity;
        const { [LEADER_URL_ANNOTATION]: _old, ...kept } = lease.metadata.annotations ?? {};
        res = await this.api.update({
          ...lease,
          metadata: { ...lease.metadata, labels: { ...lease.metadata.labels, ...labels }, annotations: { ...kept, ...annotations } },
          spec: {
            ...lease.spec, holderIdentity: this.o.identity, leaseDurationSeconds: this.seconds, renewTime: now,
            ...(ours ? {} : { acquireTime: now, leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 }),
          },
        });
      }
    } catch (error) {
      return { error: `lease ${name}: request failed: ${(error as Error).message}` };
    }
    if (res.status === 409) return {};
    if (res.status >= 300) return { error: `cannot ${lease ? 'update' : 'create'} lease ${name}: HTTP ${res.status} ${statusMessage(res.body)}` };
    return { lease: JSON.parse(res.body) as Lease };
  }

  private failed(error: string): void {
    this.o.log.warn({ err: error }, 'sharding: lease round failed');
    this.o.onAttempt?.(error);
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }
}
