// apply: server-side apply of each manifest as written (fixed field manager, force — a change only
// reaches apply for objects trueup owns or may adopt), takeover of kubectl's field ownership when
// adopting, waiting for a CRD to be Established before its custom resources, deletes guarded by the
// live object's uid, and re-creation (a replace: foreground delete, wait until gone, apply).

import type { ApplyChange, ChangeOutcome, JsonObject, JsonValue, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError, TransientError, toErrorInfo } from '../../src/sdk/index.ts';
import { apiError, type KubeClient } from './client.ts';
import { Discovery, resourcePath, type ApiResource } from './discovery.ts';
import { manifestFor, refOf } from './expand.ts';
import { TAKEOVER_MANAGERS, type KubeHandle } from './objects.ts';
import type { KubernetesSettings } from './settings.ts';
import { mapLimit, sleep } from './util.ts';

const CRD_KEY_PREFIX = 'apiextensions.k8s.io/CustomResourceDefinition/';

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface ApplyEnv {
  client: KubeClient;
  settings: KubernetesSettings;
}

export async function applyChanges(env: ApplyEnv, changes: ApplyChange[], ctx: ProviderContext): Promise<ChangeOutcome[]> {
  const discovery = new Discovery(env.client);
  const outcomes: ChangeOutcome[] = [];
  await mapLimit(changes, env.settings.concurrency, async (change) => {
    try {
      const detail = change.action === 'delete' ? await remove(env, change, ctx)
        : change.action === 'replace' ? await recreate(env, discovery, change, ctx)
          : await applyOne(env, discovery, change, ctx);
      outcomes.push(detail ? { key: change.key, status: 'applied', detail } : { key: change.key, status: 'applied' });
    } catch (error) {
      outcomes.push({ key: change.key, status: 'failed', error: toErrorInfo(error, change.action) });
    }
  });
  return outcomes;
}

/** `fresh`: the object was just deleted (a re-creation), so there is nothing to take over. */
async function applyOne(env: ApplyEnv, discovery: Discovery, change: ApplyChange, ctx: ProviderContext, fresh = false): Promise<string | undefined> {
  if (!change.desired) throw new TerminalError('no desired object for a create/update', { subject: change.display, operation: change.action });
  const manifest = manifestFor(change.desired.resource, change.scope !== 'cluster', { ownerId: ctx.ownerId, defaultNamespace: env.settings.defaultNamespace });
  const ref = refOf(manifest);
  let resource = await discovery.resourceFor(String(manifest.apiVersion), ref.kind, ctx);
  if (!resource && change.dependsOn.some((k) => k.startsWith(CRD_KEY_PREFIX))) {
    // Its CRD was applied in an earlier wave and is Established, but a real API server's
    // discovery can lag behind by a moment.
    const deadline = Date.now() + env.settings.crdTimeoutSeconds * 1000;
    for (let wait = 100; !resource && Date.now() < deadline && !ctx.signal.aborted; wait = Math.min(wait * 2, 2000)) {
      await sleep(wait, ctx.signal);
      resource = await discovery.resourceFor(String(manifest.apiVersion), ref.kind, ctx);
    }
  }
  if (!resource) {
    throw new TerminalError(`the API server does not serve ${String(manifest.apiVersion)} ${ref.kind} (is its CustomResourceDefinition installed?)`, { subject: change.display, operation: 'discovery' });
  }
  const handle = change.observed?.handle as KubeHandle | undefined;
  let detail: string | undefined;
  if (handle?.takeover && !fresh) {
    await takeOver(env, resource, ref.namespace, ref.name, handle, change.display, ctx);
    detail = 'adopted: field ownership taken over from kubectl';
  }
  const spec = {
    method: 'PATCH' as const, path: resourcePath(resource, ref.namespace, ref.name),
    // Strict: a field the server would drop is an error, never a silent loss (observe's dry run
    // sends the same, so such a manifest fails at plan already).
    query: { fieldManager: env.settings.fieldManager, force: 'true', fieldValidation: 'Strict' },
    body: JSON.stringify(manifest), contentType: 'application/apply-patch+yaml', operation: 'apply', subject: change.display,
    at: `${change.desired.resource.location.file}:${change.desired.resource.location.line}`,
  };
  const response = await env.client.request(spec, ctx);
  if (response.status === 403 && !/ cannot /.test(JSON.stringify(response.body))) {
    // An apply that would create is authorized for create as well, and the API server's refusal of
    // that second check names no verb ("configmaps \"x\" is forbidden: "): say which.
    const where = ref.namespace ? `in the namespace "${ref.namespace}"` : 'at the cluster scope';
    const error = apiError(response, spec);
    throw new TerminalError(`${error.message.trimEnd()} creating it by server-side apply needs the create verb on resource "${resource.plural}" in API group "${resource.group}" ${where} (see trueup permissions)`, { subject: change.display, operation: 'apply', code: 'Forbidden' });
  }
  if (response.status >= 300) throw apiError(response, spec);
  if (resource.kind === 'CustomResourceDefinition' && resource.group === 'apiextensions.k8s.io') {
    await waitEstablished(env, resource, ref.name, change.display, ctx);
  }
  return detail;
}

/** Give trueup's field manager the fields kubectl's client-side apply owned (and drop kubectl's
 * entries), so fields removed from Git are removed from the object, as Flux does on adoption. */
async function takeOver(env: ApplyEnv, resource: ApiResource, namespace: string | undefined, name: string, handle: KubeHandle, display: string, ctx: ProviderContext): Promise<void> {
  const entries = handle.managedFields.filter(isObject);
  const taken = entries.filter((e) => TAKEOVER_MANAGERS.has(String(e.manager)) && e.subresource === undefined);
  if (taken.length === 0) return;
  const mine = entries.find((e) => e.manager === env.settings.fieldManager && e.operation === 'Apply' && e.subresource === undefined);
  let fields: JsonValue = mine && isObject(mine.fieldsV1) ? mine.fieldsV1 : {};
  for (const e of taken) fields = mergeFields(fields, e.fieldsV1 ?? {});
  const kept = entries.filter((e) => e !== mine && !taken.includes(e));
  const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
  const managedFields = [...kept, { manager: env.settings.fieldManager, operation: 'Apply', apiVersion, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fieldsType: 'FieldsV1', fieldsV1: fields }];
  await env.client.call({
    method: 'PATCH', path: resourcePath(resource, namespace, name), query: { fieldManager: env.settings.fieldManager },
    body: JSON.stringify({ metadata: { managedFields, resourceVersion: handle.resourceVersion } }),
    contentType: 'application/merge-patch+json', operation: 'take over field managers', subject: display,
  }, ctx);
}

function mergeFields(a: JsonValue, b: JsonValue): JsonValue {
  if (!isObject(a) || !isObject(b)) return isObject(a) ? a : b;
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeFields(out[k] as JsonValue, v) : v;
  return out;
}

async function waitEstablished(env: ApplyEnv, resource: ApiResource, name: string, display: string, ctx: ProviderContext): Promise<void> {
  const deadline = Date.now() + env.settings.crdTimeoutSeconds * 1000;
  let wait = 50;
  for (;;) {
    const crd = await env.client.call({ method: 'GET', path: resourcePath(resource, undefined, name), operation: 'get customresourcedefinitions', subject: display }, ctx);
    const conditions = isObject(crd) && isObject(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions.filter(isObject) : [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline || ctx.signal.aborted) {
      const names = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
      throw new TransientError(`not Established after ${env.settings.crdTimeoutSeconds}s${names ? `: ${String(names.message)}` : ''}`, { subject: display, operation: 'wait for CRD' });
    }
    await sleep(wait, ctx.signal);
    wait = Math.min(wait * 2, 1000);
  }
}

async function remove(env: ApplyEnv, change: ApplyChange, ctx: ProviderContext): Promise<string | undefined> {
  const handle = change.observed?.handle as KubeHandle | undefined;
  if (!handle) throw new TerminalError('no live object to delete', { subject: change.display, operation: 'delete' });
  const [, , ...rest] = change.key.split('/');
  const name = rest[rest.length - 1] ?? '';
  const namespace = handle.resource.namespaced ? rest[0] : undefined;
  // The uid precondition makes sure the object deleted is the one observed, not a re-creation.
  const response = await env.client.request({
    method: 'DELETE', path: resourcePath(handle.resource, namespace, name),
    body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: handle.uid } }),
    operation: 'delete', subject: change.display,
  }, ctx);
  if (response.status === 404) return 'already gone';
  if (response.status >= 300) {
    throw apiError(response, { method: 'DELETE', path: '', operation: 'delete', subject: change.display });
  }
  return undefined;
}

/**
 * A replace (immutable fields changed, trueup.dev/recreate: enabled): delete exactly the observed
 * object (uid precondition), in the foreground so its dependents (a Job's pods, a Deployment's
 * ReplicaSets) go before it, wait until it is gone, then server-side apply creates it anew. If
 * the create fails the object stays deleted and the next plan shows a create: the failure
 * contract holds (what failed is finished by the next pass).
 */
async function recreate(env: ApplyEnv, discovery: Discovery, change: ApplyChange, ctx: ProviderContext): Promise<string | undefined> {
  const handle = change.observed?.handle as KubeHandle | undefined;
  if (!handle || !change.desired) throw new TerminalError('no live object to re-create', { subject: change.display, operation: 'replace' });
  const ref = refOf(manifestFor(change.desired.resource, change.scope !== 'cluster', { ownerId: ctx.ownerId, defaultNamespace: env.settings.defaultNamespace }));
  const path = resourcePath(handle.resource, handle.resource.namespaced ? ref.namespace : undefined, ref.name);
  const spec = {
    method: 'DELETE' as const, path,
    body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: handle.uid } }),
    operation: 'delete (to re-create)', subject: change.display,
  };
  const response = await env.client.request(spec, ctx);
  if (response.status !== 404 && response.status >= 300) throw apiError(response, spec);
  await waitGone(env, path, handle.uid, change.display, ctx);
  ctx.progress(`${change.display}: deleted (uid ${handle.uid}); creating it again`);
  await applyOne(env, discovery, change, ctx, true);
  return 'deleted and re-created';
}

/** Until a GET of the object answers 404. Another object under the same name (someone re-created
 * it meanwhile) is not trueup's to overwrite: the next pass observes it afresh. */
async function waitGone(env: ApplyEnv, path: string, uid: string, display: string, ctx: ProviderContext): Promise<void> {
  const deadline = Date.now() + env.settings.deleteTimeoutSeconds * 1000;
  let wait = 25;
  for (;;) {
    const live = await env.client.call({ method: 'GET', path, operation: 'wait for deletion', subject: display }, ctx, true);
    if (live === undefined) return;
    const md = isObject(live) && isObject(live.metadata) ? live.metadata : {};
    if (md.uid !== uid) {
      throw new TransientError('was created again by someone else while trueup waited for its deletion; the next pass looks at it afresh', { subject: display, operation: 'replace' });
    }
    if (Date.now() > deadline || ctx.signal.aborted) {
      const finalizers = Array.isArray(md.finalizers) ? md.finalizers.map(String) : [];
      throw new TransientError(`still being deleted after ${env.settings.deleteTimeoutSeconds}s${finalizers.length > 0 ? ` (finalizers: ${finalizers.join(', ')})` : ''}; the next pass creates it once it is gone`, { subject: display, operation: 'replace' });
    }
    await sleep(wait, ctx.signal);
    wait = Math.min(wait * 2, 1000);
  }
}
