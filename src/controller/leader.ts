// Leader election on a Kubernetes Lease (coordination.k8s.io/v1), the way client-go's
// leaderelection package does it, so several replicas can run and exactly one reconciles:
//   - acquire: create the Lease, or take it over when its holder has not renewed it for
//     leaseDuration (measured on our own clock from when we last saw it change, so clock skew
//     between nodes does not matter); every write carries resourceVersion, so two candidates
//     racing for it cannot both win (the API server answers 409 to the loser);
//   - renew every leaseDuration/3; a leader that cannot renew within 2/3 of leaseDuration stops
//     (it must assume another replica took over);
//   - release on shutdown (empty holder), so a standby takes over at once instead of waiting;
//   - the leader writes the URL it serves on into the Lease (annotation trueup.dev/leader-url), so
//     standbys, which are Ready too, can forward webhooks and API calls to it.
// Requests go out raw through lease-api.ts with the kubeconfig's TLS and credentials (no generated
// client models for one small object). Sharding (sharding.ts) uses the same rules per source.

import type { Logger } from 'pino';
import { WriteFencedError } from '../sdk/index.ts';
import { LEADER_URL_ANNOTATION, LeaseApi, microTime, statusMessage, type Lease, type LeaseSpec } from './lease-api.ts';
import { Sleeper } from './sleeper.ts';

export { LEADER_URL_ANNOTATION } from './lease-api.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  log: Logger;
  /** Where other replicas reach this one's HTTP server (written into the Lease while leading). */
  advertiseUrl?: string;
  /** Told after each attempt: why it failed (the API refused, no answer), or undefined when the
   * Lease could be read and written (held by another replica is not a failure). */
  onAttempt?(error: string | undefined): void;
}

/** Bound on one Lease request: a third of the lease duration (at most 10 s), so a hung request
 * ends well before the renew deadline (2/3 of the duration). */
export function leaseRequestTimeoutMs(leaseDurationMs: number): number {
  return Math.min(10_000, Math.max(200, Math.round(leaseDurationMs / 3)));
}

/** The replica holding the Lease as last read, and the URL it advertised. */
export interface ObservedLeader {
  identity: string;
  url?: string;
}

export class LeaderElector {
  private readonly o: LeaderElectionOptions;
  private readonly api: LeaseApi;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  /** When the last successful acquire or renewal was sent (our clock). */
  private renewedAt = 0;
  private readonly renewDeadlineMs: number;
  private stopped = false;
  private readonly sleeper = new Sleeper();
  /** The current holder as of the last read (undefined: none, or its lease expired). */
  leader: ObservedLeader | undefined;

  constructor(options: LeaderElectionOptions) {
    this.o = { ...options };
    this.api = new LeaseApi({ namespace: options.namespace, kubeconfig: options.kubeconfig, timeoutMs: leaseRequestTimeoutMs(options.leaseDurationMs) });
    this.renewDeadlineMs = Math.round((options.leaseDurationMs * 2) / 3);
  }

  /** Known once the HTTP server listens (after construction). */
  setAdvertiseUrl(url: string): void {
    this.o.advertiseUrl = url;
  }

  /** The Lease's metadata with this replica's URL, as the leader writes it (a release drops it). */
  private metadata(lease: Lease): Lease['metadata'] {
    const { [LEADER_URL_ANNOTATION]: _old, ...annotations } = lease.metadata.annotations ?? {};
    if (this.o.advertiseUrl) annotations[LEADER_URL_ANNOTATION] = this.o.advertiseUrl;
    return { ...lease.metadata, annotations };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * The write fence, called synchronously just before each write is sent: the process may write
   * only while its last successful renewal was sent less than the renew deadline ago on its own
   * clock. The renewal loop finds a lost lease only when its timer runs; after the event loop was
   * blocked (a long synchronous pass, the process stopped), a write would go out first.
   */
  fence(operation: string): void {
    if (!this.leading) throw new WriteFencedError(`lease ${this.o.namespace}/${this.o.name} not held by ${this.o.identity}; another replica may hold it`, { operation, code: 'WriteFenced' });
    if (Date.now() < this.renewedAt + this.renewDeadlineMs) return;
    throw new WriteFencedError(`lease ${this.o.namespace}/${this.o.name} not renewed since ${new Date(this.renewedAt).toISOString()}; another replica may hold it`, { operation, code: 'WriteFenced' });
  }

  /**
   * Campaign until elected, call `onElected`, then keep renewing; resolves when leadership is
   * lost (`lost: true`) or `stop()` was called (`lost: false`).
   */
  async run(onElected: () => void): Promise<{ lost: boolean }> {
    const retryMs = Math.max(200, Math.round(this.o.leaseDurationMs / 5));
    const renewMs = Math.max(200, Math.round(this.o.leaseDurationMs / 3));
    const renewDeadlineMs = this.renewDeadlineMs;
    this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'leader election: campaigning');
    while (!this.stopped && !this.leading) {
      const sent = Date.now();
      if (await this.tryAcquireOrRenew()) {
        this.renewedAt = sent;
        this.leading = true;
        this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'leader election: elected, reconciling');
        onElected();
        break;
      }
      await this.sleep(retryMs);
    }
    while (!this.stopped && this.leading) {
      await this.sleep(renewMs);
      if (this.stopped) break;
      const sent = Date.now();
      if (await this.tryAcquireOrRenew()) {
        this.renewedAt = sent;
      } else if (Date.now() - this.renewedAt > renewDeadlineMs) {
        this.leading = false;
        this.o.log.error({ lease: `${this.o.namespace}/${this.o.name}` }, 'leader election: lost the lease; stopping');
        return { lost: true };
      }
    }
    return { lost: false };
  }

  /** Stop campaigning or renewing. */
  stop(): void {
    this.stopped = true;
    this.sleeper.wake();
  }

  /** Give the lease up so a standby takes over now (call after the work stopped). */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.get(this.o.name);
      if (!lease || lease.spec.holderIdentity !== this.o.identity) return;
      const problem = await this.api.release(lease, this.o.identity);
      if (problem !== undefined) throw new Error(problem);
      this.o.log.info({ lease: `${this.o.namespace}/${this.o.name}` }, 'leader election: lease released');
    } catch (error) {
      this.o.log.warn({ err: (error as Error).message }, 'leader election: could not release the lease; a standby takes over when it expires');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const seconds = Math.max(1, Math.round(this.o.leaseDurationMs / 1000));
    try {
      const lease = await this.api.get(this.o.name);
      if (!lease) {
        const created = await this.api.create({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace, ...(this.o.advertiseUrl ? { annotations: { [LEADER_URL_ANNOTATION]: this.o.advertiseUrl } } : {}) },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: seconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        if (created.status >= 300 && created.status !== 409) this.refused('create', created);
        else this.o.onAttempt?.(undefined);
        if (created.status < 300) this.leader = { identity: this.o.identity, ...(this.o.advertiseUrl ? { url: this.o.advertiseUrl } : {}) };
        return created.status < 300;
      }
      const spec = lease.spec;
      const record = `${spec.holderIdentity ?? ''}\u0000${spec.renewTime ?? ''}`;
      if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
      const holder = spec.holderIdentity ?? '';
      const duration = (spec.leaseDurationSeconds ?? seconds) * 1000;
      const expired = this.observed.at + duration < Date.now();
      const url = lease.metadata.annotations?.[LEADER_URL_ANNOTATION];
      this.leader = holder !== '' && !expired ? { identity: holder, ...(url ? { url } : {}) } : undefined;
      if (holder !== '' && holder !== this.o.identity && !expired) {
        this.o.onAttempt?.(undefined);
        return false;
      }
      const next: LeaseSpec = { ...spec, holderIdentity: this.o.identity, leaseDurationSeconds: seconds, renewTime: microTime(now) };
      if (holder !== this.o.identity) {
        next.acquireTime = microTime(now);
        next.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
      }
      const updated = await this.api.update({ ...lease, metadata: this.metadata(lease), spec: next });
      if (updated.status >= 300) {
        if (updated.status !== 409) this.refused('update', updated); // 409: someone else wrote it first
        else this.o.onAttempt?.(undefined);
        return false;
      }
      this.o.onAttempt?.(undefined);
      this.leader = { identity: this.o.identity, ...(this.o.advertiseUrl ? { url: this.o.advertiseUrl } : {}) };
      this.observed = { record: `${this.o.identity}\u0000${next.renewTime ?? ''}`, at: Date.now() };
      return true;
    } catch (error) {
      this.o.log.warn({ err: (error as Error).message }, 'leader election: lease request failed');
      this.o.onAttempt?.(`lease request failed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Say why the API refused (RBAC 403, missing namespace 404): the Status message, no secrets. */
  private refused(what: string, res: { status: number; body: string }): void {
    const message = statusMessage(res.body);
    this.o.log.warn({ status: res.status, lease: `${this.o.namespace}/${this.o.name}` }, `leader election: cannot ${what} the lease: HTTP ${res.status} ${message}`);
    this.o.onAttempt?.(`cannot ${what} the lease: HTTP ${res.status} ${message}`);
  }

  private sleep(ms: number): Promise<void> {
    return this.sleeper.sleep(ms);
  }
}
