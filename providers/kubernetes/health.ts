// Health after apply, kstatus-style: is the object current (its controller has seen the latest
// generation and finished acting on it), still in progress, or failed?
//
// Each round reads the pending objects of one type in one namespace with one LIST (selected by
// trueup's owner label, which every applied manifest carries), or a GET when only one is pending:
// 200 Deployments rolling out cost one request per round, not 200.

import type { ApplyChange, ChangeOutcome, JsonObject, ProviderContext } from '../../src/sdk/index.ts';
import { toErrorInfo } from '../../src/sdk/index.ts';
import type { KubeClient } from './client.ts';
import type { ApiResource } from './discovery.ts';
import { resourcePath } from './discovery.ts';
import type { KubeHandle } from './objects.ts';
import { Discovery } from './discovery.ts';
import { manifestFor, refOf } from './expand.ts';
import { OWNER_KEY } from './identity.ts';
import { metadataOf } from './objects.ts';
import type { KubernetesSettings } from './settings.ts';
import { mapLimit, sleep } from './util.ts';

export type Health = { state: 'current' } | { state: 'progressing'; reason: string } | { state: 'failed'; reason: string };

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);

function conditions(object: JsonObject): JsonObject[] {
  const status = isObject(object.status) ? object.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
}

function condition(object: JsonObject, type: string): JsonObject | undefined {
  return conditions(object).find((c) => c.type === type);
}

const why = (c: JsonObject | undefined) => (c ? [c.reason, c.message].filter((s) => typeof s === 'string' && s).join(': ') : '');

export function healthOf(object: JsonObject): Health {
  const md = isObject(object.metadata) ? object.metadata : {};
  const spec = isObject(object.spec) ? object.spec : {};
  const status = isObject(object.status) ? object.status : undefined;
  if (md.deletionTimestamp !== undefined) return { state: 'progressing', reason: 'it is being deleted' };
  const generation = num(md.generation, 0);
  const observed = status?.observedGeneration;
  const behind = (): Health | undefined => {
    if (typeof observed !== 'number') return undefined;
    return observed < generation ? { state: 'progressing', reason: `its controller has observed generation ${observed}, not ${generation} yet` } : undefined;
  };
  const waitingForController = (): Health | undefined =>
    typeof observed === 'number' ? behind() : { state: 'progressing', reason: 'its controller has not reported status yet' };
  switch (object.kind) {
    case 'Deployment': {
      const pending = waitingForController();
      if (pending) return pending;
      const progressing = condition(object, 'Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') return { state: 'failed', reason: `rollout stalled: ${why(progressing)}` };
      const replicas = num(spec.replicas, 1);
      const updated = num(status?.updatedReplicas);
      const total = num(status?.replicas);
      const available = num(status?.availableReplicas);
      if (updated < replicas) return { state: 'progressing', reason: `${updated} of ${replicas} replicas updated` };
      if (total > updated) return { state: 'progressing', reason: `${total - updated} old replicas are pending termination` };
      if (available < replicas) return { state: 'progressing', reason: `${available} of ${replicas} updated replicas available` };
      return { state: 'current' };
    }
    case 'StatefulSet': {
      const pending = waitingForController();
      if (pending) return pending;
      const replicas = num(spec.replicas, 1);
      const ready = num(status?.readyReplicas);
      if (ready < replicas) return { state: 'progressing', reason: `${ready} of ${replicas} replicas ready` };
      const rolling = !isObject(spec.updateStrategy) || spec.updateStrategy.type !== 'OnDelete';
      if (rolling && num(status?.updatedReplicas) < replicas) return { state: 'progressing', reason: `${num(status?.updatedReplicas)} of ${replicas} replicas updated` };
      if (rolling && status?.currentRevision !== status?.updateRevision) return { state: 'progressing', reason: `revision ${String(status?.updateRevision)} is rolling out` };
      return { state: 'current' };
    }
    case 'DaemonSet': {
      const pending = waitingForController();
      if (pending) return pending;
      const desired = num(status?.desiredNumberScheduled);
      if (num(status?.updatedNumberScheduled) < desired) return { state: 'progressing', reason: `${num(status?.updatedNumberScheduled)} of ${desired} pods updated` };
      if (num(status?.numberAvailable) < desired) return { state: 'progressing', reason: `${num(status?.numberAvailable)} of ${desired} pods available` };
      return { state: 'current' };
    }
    case 'Job': {
      const failed = condition(object, 'Failed');
      if (failed?.status === 'True') return { state: 'failed', reason: `job failed: ${why(failed)}` };
      if (condition(object, 'Complete')?.status === 'True') return { state: 'current' };
      return { state: 'progressing', reason: `job not complete yet (${num(status?.succeeded)} succeeded, ${num(status?.active)} active)` };
    }
    case 'CustomResourceDefinition':
      return condition(object, 'Established')?.status === 'True' ? { state: 'current' } : { state: 'progressing', reason: 'not Established' };
    case 'Namespace':
      return isObject(status) && status.phase === 'Terminating' ? { state: 'progressing', reason: 'it is terminating' } : { state: 'current' };
    default: {
      const pending = behind();
      if (pending) return pending;
      const stalled = condition(object, 'Stalled');
      if (stalled?.status === 'True') return { state: 'failed', reason: `stalled: ${why(stalled)}` };
      const ready = condition(object, 'Ready');
      if (ready && ready.status !== 'True') return { state: 'progressing', reason: `Ready is ${String(ready.status)}${why(ready) ? ` (${why(ready)})` : ''}` };
      return { state: 'current' };
    }
  }
}

export interface VerifyEnv {
  client: KubeClient;
  settings: KubernetesSettings;
}

/** Wait until every applied (non-deleted) object is current, or report which is not and why. */
export async function verifyHealth(env: VerifyEnv, applied: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]> {
  const discovery = new Discovery(env.client);
  const outcomes: ChangeOutcome[] = [];
  const pending = new Map<string, Pending>();
  for (const change of applied) {
    if (change.action === 'delete' || !change.desired) {
      outcomes.push({ key: change.key, status: 'applied' });
      continue;
    }
    try {
      const manifest = manifestFor(change.desired.resource, change.scope !== 'cluster', { ownerId: ctx.ownerId, defaultNamespace: env.settings.defaultNamespace });
      const ref = refOf(manifest);
      const resource = (change.observed?.handle as KubeHandle | undefined)?.resource ?? await discovery.resourceFor(String(manifest.apiVersion), ref.kind, ctx);
      if (!resource) {
        outcomes.push({ key: change.key, status: 'applied' });
        continue;
      }
      pending.set(change.key, { change, resource, namespace: ref.namespace, name: ref.name, last: { state: 'progressing', reason: 'not read yet' } });
    } catch (error) {
      outcomes.push({ key: change.key, status: 'failed', error: toErrorInfo(error, 'verify') });
    }
  }
  const timeout = env.settings.healthTimeoutSeconds;
  const deadline = Date.now() + timeout * 1000;
  let wait = 100;
  while (pending.size > 0) {
    await mapLimit(collections(pending), env.settings.concurrency, (group) => readRound(env, group, ctx));
    for (const [key, p] of pending) {
      if (p.last.state === 'current') {
        outcomes.push({ key, status: 'applied' });
        pending.delete(key);
      } else if (p.last.state === 'failed') {
        outcomes.push({ key, status: 'failed', error: { message: `${p.change.display} is not healthy: ${p.last.reason}`, transient: false, operation: 'verify', code: 'Unhealthy' } });
        pending.delete(key);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() >= deadline || ctx.signal.aborted) {
      for (const [key, p] of pending) {
        const reason = p.last.state === 'current' ? '' : p.last.reason;
        outcomes.push({ key, status: 'failed', error: { message: `${p.change.display} is not healthy after ${timeout}s: ${reason}`, transient: true, operation: 'verify', code: 'HealthTimeout' } });
      }
      break;
    }
    ctx.progress(`waiting for ${pending.size} object${pending.size === 1 ? '' : 's'} to become healthy: ${[...pending.values()].slice(0, 3).map((p) => p.change.display).join(', ')}`);
    await sleep(Math.min(wait, Math.max(0, deadline - Date.now())), ctx.signal);
    wait = Math.min(wait * 2, 2000);
  }
  return outcomes;
}

interface Pending {
  change: ApplyChange;
  resource: ApiResource;
  namespace: string | undefined;
  name: string;
  last: Health;
}

/** The pending objects grouped by collection (type and namespace). */
function collections(pending: ReadonlyMap<string, Pending>): Pending[][] {
  const groups = new Map<string, Pending[]>();
  for (const p of pending.values()) {
    const path = resourcePath(p.resource, p.namespace);
    const group = groups.get(path);
    if (group) group.push(p);
    else groups.set(path, [p]);
  }
  return [...groups.values()];
}

/** One round for one collection: a GET for a single object, else one LIST by the owner label. */
async function readRound(env: VerifyEnv, group: Pending[], ctx: ProviderContext): Promise<void> {
  const first = group[0];
  if (!first) return;
  const read = (object: unknown): Health => (isObject(object) ? healthOf(object) : { state: 'progressing', reason: 'it does not exist' });
  try {
    if (group.length === 1) {
      const object = await env.client.call({ method: 'GET', path: resourcePath(first.resource, first.namespace, first.name), operation: 'get (health)', subject: first.change.display }, ctx, true);
      first.last = read(object);
      return;
    }
    const body = await env.client.call({
      method: 'GET', path: resourcePath(first.resource, first.namespace), query: { labelSelector: `${OWNER_KEY}=${ctx.ownerId}` }, operation: 'list (health)',
    }, ctx, true);
    const items = isObject(body) && Array.isArray(body.items) ? body.items.filter(isObject) : [];
    const byName = new Map(items.map((item) => [String(metadataOf(item).name), item]));
    for (const p of group) {
      const item = byName.get(p.name);
      // Lists may leave out kind on items; health is decided by kind.
      if (item) item.kind ??= p.resource.kind;
      p.last = read(item);
    }
  } catch (error) {
    const reason = toErrorInfo(error).message;
    for (const p of group) p.last = { state: 'progressing', reason };
  }
}
