// All sources of one engine, each on its own loops: a slow or failing source never delays
// another. This is what `trueup run` starts and what the HTTP server drives.

import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import type { Metrics } from '../report/metrics.ts';
import type { ReviewEvent } from '../report/preview/events.ts';
import type { ReviewPlatform } from '../report/preview/platform.ts';
import type { ControllerEvent, EventListener } from './events.ts';
import { Previews, type PreviewSetup } from './previews.ts';
import { SourceController } from './source-controller.ts';
import { condition, type DependencyWait, type PassRecord, type SourceStatus } from './status.ts';

export class UnknownSourceNameError extends Error {
  override readonly name = 'UnknownSourceNameError';
}

export interface ControllerOptions {
  engine: Engine;
  log: Logger;
  metrics: Metrics;
  random?: () => number;
  approveHint?(source: string, planId: string, force: boolean): string;
  /** The review platform of each source with previews (tokens read by the caller). */
  previewPlatforms?: ReadonlyMap<string, ReviewPlatform>;
}

export class Controller {
  readonly sources = new Map<string, SourceController>();
  /** Pull-request previews: their own lane, never applying. */
  readonly previews: Previews;
  private readonly listeners: EventListener[] = [];
  private readonly log: Logger;
  private started = false;
  private stopping = false;
  /** Why this replica does not reconcile yet (leader election), for /readyz. */
  standby: string | undefined;

  constructor(options: ControllerOptions) {
    this.log = options.log;
    for (const config of options.engine.loaded.config.sources) {
      const deps: ConstructorParameters<typeof SourceController>[1] = {
        engine: options.engine, log: options.log, metrics: options.metrics, emit: (e) => this.emit(e),
        fence: (source, operation) => this.fence?.(source, operation),
      };
      if (options.random) deps.random = options.random;
      if (options.approveHint) deps.approveHint = options.approveHint;
      if (config.dependsOn) deps.unreadyDependencies = () => this.unready(config.dependsOn ?? []);
      this.sources.set(config.name, new SourceController(config, deps));
    }
    const setups: PreviewSetup[] = [];
    for (const config of options.engine.loaded.config.sources) {
      const platform = options.previewPlatforms?.get(config.name);
      const source = this.sources.get(config.name);
      if (config.previews && platform && source) setups.push({ source, config: config.previews, platform });
    }
    this.previews = new Previews(setups, { engine: options.engine, log: options.log, metrics: options.metrics });
    this.listeners.push((event) => this.previews.onControllerEvent(event));
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.started = true;
    for (const source of this.sources.values()) source.start();
  }

  /** Sharding: start one source (this replica acquired its Lease). */
  startSource(name: string): void {
    this.started = true;
    this.get(name).start();
  }

  /** Sharding: soft stop of one source (its Lease is being handed over or released). */
  stopSource(name: string): Promise<void> {
    return this.get(name).stop();
  }

  /** Sharding: hard stop of one source (its Lease could not be renewed in time). */
  abortSource(name: string, reason: string): Promise<void> {
    return this.get(name).abort(reason);
  }

  /** Shutdown began (sharding drains source by source): /readyz says so at once. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Sharding: the daemon serves even while it holds no source yet. */
  markServing(): void {
    this.started = true;
  }

  /** Sharding: is this source reconciled here? (undefined: every source is.) */
  owns: ((name: string) => boolean) | undefined;

  /** The write fence of leader election or sharding (undefined: nothing fences, as in one process
   * without a lease): throws WriteFencedError before a write this replica may no longer send. */
  fence: ((source: string, operation: string) => void) | undefined;

  /** Ready to serve: started and not shutting down. */
  get ready(): boolean {
    return this.started && !this.stopping;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** One full pass of every source, concurrently (`trueup run --once`). */
  async once(): Promise<Map<string, PassRecord>> {
    this.started = true;
    const entries = await Promise.all([...this.sources.values()].map(async (s) => [s.name, await s.once()] as const));
    return new Map(entries);
  }

  private stopped: Promise<void> | undefined;

  /** Soft stop: no new work, observing aborted, in-flight provider batches finish. */
  stop(): Promise<void> {
    this.stopping = true;
    this.stopped ??= Promise.all([this.previews.stop(), ...[...this.sources.values()].map((s) => s.stop())]).then(() => undefined);
    return this.stopped;
  }

  /** Hard stop: abort every request in flight, writes included; resolves when every pass ended. */
  async abort(reason: string): Promise<void> {
    this.stopping = true;
    await Promise.all([this.previews.stop(), ...[...this.sources.values()].map((s) => s.abort(reason))]);
  }

  get(name: string): SourceController {
    const source = this.sources.get(name);
    if (!source) throw new UnknownSourceNameError(`no source "${name}"; sources: ${[...this.sources.keys()].join(', ')}`);
    return source;
  }

  statuses(): SourceStatus[] {
    return [...this.sources.values()].map((s) => s.status);
  }

  /** A pull-request event from a webhook: previews, comments, approvals. A replica that is not
   * reconciling (standby under leader election, shutting down) takes none: the leader does. */
  review(event: ReviewEvent, names: readonly string[] | undefined): string[] {
    if (!this.ready || this.standby !== undefined) return [];
    const owns = this.owns;
    if (!owns) return this.previews.handle(event, names);
    return this.previews.handle(event, (names ?? [...this.sources.keys()]).filter(owns));
  }

  /** Wake the named sources (all when undefined); unknown names are ignored. */
  trigger(names: readonly string[] | undefined, full: boolean): string[] {
    const owns = this.owns ?? (() => true);
    const targets = (names ? names.filter((n) => this.sources.has(n)) : [...this.sources.keys()]).filter(owns);
    for (const name of targets) this.sources.get(name)?.trigger(full);
    return targets;
  }

  /** Dependencies not Ready at their current revision: Ready=True and the revision last
   * attempted is the one applied (a newer commit still being applied does not count). */
  private unready(names: readonly string[]): DependencyWait[] {
    const waits: DependencyWait[] = [];
    for (const name of names) {
      const status = this.sources.get(name)?.status;
      if (!status) continue;
      const ready = condition(status, 'Ready');
      if (ready?.status !== 'True') waits.push({ source: name, reason: `not Ready: ${ready?.reason ?? 'Unknown'}` });
      else if (status.lastAppliedRevision === undefined) waits.push({ source: name, reason: `has applied no revision (${status.mode} mode)` });
      else if (status.lastAttemptedRevision !== undefined && status.lastAttemptedRevision !== status.lastAppliedRevision) {
        waits.push({ source: name, reason: `Ready at ${status.lastAppliedRevision.slice(0, 12)}, not at its current revision ${status.lastAttemptedRevision.slice(0, 12)}` });
      }
    }
    return waits;
  }

  private emit(event: ControllerEvent): void {
    // A source that became Ready wakes the sources waiting for it.
    if (event.type === 'in-sync') {
      for (const source of this.sources.values()) {
        if (source.status.waitingFor?.some((w) => w.source === event.source)) source.trigger(true);
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error instanceof Error ? error.message : String(error) }, 'event listener failed');
      }
    }
  }
}
