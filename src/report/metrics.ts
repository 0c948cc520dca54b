// Prometheus metrics for `trueup run`. One registry per daemon (not prom-client's global one), so
// tests and embedders can run several side by side. Names follow Prometheus conventions
// (`_total` only on counters, `_seconds` durations, the standard `process_*` / `nodejs_*` names for
// the runtime, so stock dashboards and alerts work); every series a dashboard needs to see a stuck
// or silently looping source is here: results per pass, changes issued, drift, API calls.
//
// Labels mean one thing everywhere: `provider` is a provider type (aws-route53), `instance` a
// provider instance of the engine config (route53-prod), `source` a source.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type PassLane = 'git' | 'drift' | 'approve';

const TOTAL_NAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The `condition` label values of trueup_source_condition (source-controller.ts publishes them). */
export const SOURCE_CONDITIONS = ['ready', 'reconciling', 'stalled', 'sourceavailable', 'suspended'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly reconcileDuration: Histogram<'source' | 'lane'>;
  readonly reconcileTotal: Counter<'source' | 'lane' | 'result'>;
  readonly apiRequests: Counter<'provider' | 'instance' | 'operation' | 'outcome'>;
  readonly apiRequestDuration: Histogram<'provider' | 'operation'>;
  readonly changesApplied: Counter<'source' | 'instance' | 'action' | 'outcome'>;
  readonly updatesIssued: Counter<'source' | 'instance'>;
  readonly driftDetected: Counter<'source' | 'instance'>;
  readonly resourcesManaged: Gauge<'source'>;
  readonly revisionInfo: Gauge<'source' | 'revision'>;
  readonly sourceCondition: Gauge<'source' | 'condition'>;
  readonly sourceRequests: Counter<'source' | 'operation'>;
  readonly previews: Counter<'source' | 'outcome'>;
  readonly previewDuration: Histogram<'source'>;
  readonly leader: Gauge<'lease'>;
  readonly sourceLeaseHeld: Gauge<'source'>;
  readonly shardMembers: Gauge;
  private readonly revisions = new Map<string, string>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // prom-client exports these three counts as gauges named `_total`, which Prometheus
      // reserves for counters; their per-type siblings (nodejs_active_handles{type=…}) stay.
      for (const name of TOTAL_NAMED_GAUGES) this.registry.removeSingleMetric(name);
    }
    this.reconcileDuration = new Histogram({
      name: 'trueup_reconcile_duration_seconds', help: 'Duration of reconcile passes per source and lane (git: new revisions; drift: re-observe live state)',
      labelNames: ['source', 'lane'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    });
    this.reconcileTotal = new Counter({
      name: 'trueup_reconcile_total', help: 'Reconcile passes by result (unchanged, applied, in-sync, drift, pending-approval, failed, stalled, refused, aborted)',
      labelNames: ['source', 'lane', 'result'], registers,
    });
    this.apiRequests = new Counter({
      name: 'trueup_cloud_api_requests_total', help: 'Cloud API requests made by providers, by operation and outcome',
      labelNames: ['provider', 'instance', 'operation', 'outcome'], registers,
    });
    this.apiRequestDuration = new Histogram({
      name: 'trueup_cloud_api_request_duration_seconds', help: 'Cloud API request duration',
      labelNames: ['provider', 'operation'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.changesApplied = new Counter({
      name: 'trueup_changes_applied_total', help: 'Changes sent to providers, by provider instance, action and outcome (applied, failed, skipped)',
      labelNames: ['source', 'instance', 'action', 'outcome'], registers,
    });
    this.updatesIssued = new Counter({
      name: 'trueup_updates_issued_total', help: 'Updates and replaces issued to providers; a rate that never falls to zero is an update loop',
      labelNames: ['source', 'instance'], registers,
    });
    this.driftDetected = new Counter({
      name: 'trueup_drift_detected_total', help: 'Objects found differing from the applied revision by a drift check',
      labelNames: ['source', 'instance'], registers,
    });
    this.resourcesManaged = new Gauge({
      name: 'trueup_resources_managed', help: 'Objects the source manages after its last plan', labelNames: ['source'], registers,
    });
    this.revisionInfo = new Gauge({
      name: 'trueup_last_applied_revision_info', help: 'The revision last applied per source (value is always 1)',
      labelNames: ['source', 'revision'], registers,
    });
    this.sourceCondition = new Gauge({
      name: 'trueup_source_condition', help: 'Source conditions (1 true, 0 false): ready, reconciling, stalled, suspended',
      labelNames: ['source', 'condition'], registers,
    });
    this.leader = new Gauge({
      name: 'trueup_leader_election_leader', help: 'With --leader-elect: 1 on the replica holding the lease (it reconciles), 0 on standbys',
      labelNames: ['lease'], registers,
    });
    this.sourceLeaseHeld = new Gauge({
      name: 'trueup_source_lease_held', help: 'With --shard: 1 for each source whose Lease this replica holds (it reconciles it), 0 for the others',
      labelNames: ['source'], registers,
    });
    this.shardMembers = new Gauge({
      name: 'trueup_shard_members', help: 'With --shard: live replicas of the shard group as this replica last saw them', registers,
    });
    this.sourceRequests = new Counter({
      name: 'trueup_source_requests_total', help: 'Source operations (peek: remote ref check; fetch: revision download)',
      labelNames: ['source', 'operation'], registers,
    });
    this.previews = new Counter({
      name: 'trueup_previews_total', help: 'Pull-request previews by outcome (ready, empty, refused, invalid, failed; unposted: the platform API failed)',
      labelNames: ['source', 'outcome'], registers,
    });
    this.previewDuration = new Histogram({
      name: 'trueup_preview_duration_seconds', help: 'Duration of pull-request previews, from the first status to the last',
      labelNames: ['source'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    });
  }

  /** Info metric: exactly one series per source, carrying the current revision as a label. */
  setRevision(source: string, revision: string): void {
    const previous = this.revisions.get(source);
    if (previous !== undefined && previous !== revision) this.revisionInfo.remove({ source, revision: previous });
    this.revisions.set(source, revision);
    this.revisionInfo.set({ source, revision }, 1);
  }

  /**
   * Sharding: this replica no longer reconciles `source` (it moved to another replica). Its
   * per-source gauges go, so a sum over replicas counts each source once, at its holder;
   * trueup_source_lease_held stays (0). Counters stay: they are totals of what this replica did.
   */
  forgetSource(source: string): void {
    const revision = this.revisions.get(source);
    if (revision !== undefined) this.revisionInfo.remove({ source, revision });
    this.revisions.delete(source);
    this.resourcesManaged.remove({ source });
    for (const condition of SOURCE_CONDITIONS) this.sourceCondition.remove({ source, condition });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
