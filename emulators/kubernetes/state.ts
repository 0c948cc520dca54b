// The emulated cluster: resource types (built-ins and those CRDs register), stored objects, and
// every write path (create, update, server-side apply, patches, delete) with managedFields kept
// per manager the way the API server does: an Apply manager owns exactly what it last applied; an
// Update manager owns what it changed; a forced apply takes conflicting fields from others.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { builtinTypes } from './builtins.ts';
import { validateCustomResource } from './crd-validation.ts';
import { applyDefaults, validate } from './defaults.ts';
import { keepAllocated, validateUpdate } from './immutable.ts';
import { canonical, describePath, fieldsOf, fromFieldsV1, getAt, removeAt, toFieldsV1, type FieldSet } from './fieldset.ts';
import { jsonMergePatch, jsonPatch, mergeApplied, strategicMergePatch } from './merge.ts';
import { decodingPath, dropFields, hasBuiltinSchema, typedPath, undeclaredBuiltin, undeclaredCustom, type FieldPath, type FieldValidation } from './schema.ts';
import { ApiError, apiVersionOf, clone, groupOf, isMap, type Json, type JsonMap, type KubeObject, type ResourceType } from './types.ts';

export interface StateOptions {
  /** Delay before a new CRD is Established and its resources are served (default 0). */
  crdEstablishDelayMs?: number;
  /** How long after a CRD is Established its resources stay missing from discovery (default 0):
   * real API servers' discovery lags behind the condition for a moment. */
  discoveryLagMs?: number;
  /** Act as the workload controllers: mark Deployments/StatefulSets/DaemonSets rolled out and
   * Jobs complete as soon as they are written (default false: tests move status themselves). */
  controllers?: boolean;
  /** How long an object deleted with `propagationPolicy: Foreground` stays, with a
   * deletionTimestamp and the `foregroundDeletion` finalizer, before it is gone (default 50): the
   * garbage collector removes its dependents first on a real cluster. 0 deletes at once. */
  foregroundDeletionMs?: number;
  /** How long the namespace controller takes per sweep of a deleted namespace (default 100): the
   * namespace stays Terminating until its contents — and their finalizers — are gone. */
  namespaceDeletionMs?: number;
}

export interface WatchEvent {
  rv: number;
  event: 'ADDED' | 'MODIFIED' | 'DELETED';
  type: ResourceType;
  object: KubeObject;
}

interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: FieldSet;
  subresource?: string;
}

export type PatchType = 'apply' | 'merge' | 'strategic' | 'json';

export interface WriteOptions {
  manager: string;
  dryRun: boolean;
  force?: boolean;
  /** What to do with fields the kind's schema does not declare (create, update, patches; server-side
   * apply always refuses them). Default Warn, as the API server's. */
  fieldValidation?: FieldValidation;
  /** Receives the `Warning` header texts of the answer. */
  warnings?: string[];
}

const SERVER_SET = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp'];

export class KubeState {
  readonly types: ResourceType[] = builtinTypes();
  /** `group/plural/namespace/name` → object. */
  readonly objects = new Map<string, KubeObject>();
  /** CRD id (group/plural) → when it was Established. */
  private readonly established = new Map<string, number>();
  private resourceVersion = 100;
  private readonly options: StateOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Watch events: `change` with (type: ADDED | MODIFIED | DELETED, resource type, object). */
  readonly events = new EventEmitter();

  constructor(options: StateOptions = {}) {
    this.options = options;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Recent watch events, so a watch started from a list's resourceVersion misses nothing that
   * happened in between (as the API server's watch cache guarantees). */
  readonly history: WatchEvent[] = [];

  private emit(event: WatchEvent['event'], type: ResourceType, object: KubeObject): void {
    const entry: WatchEvent = { rv: Number(object.metadata.resourceVersion ?? this.resourceVersion), event, type, object: clone(object) };
    this.history.push(entry);
    if (this.history.length > 2000) this.history.splice(0, this.history.length - 2000);
    this.events.emit('change', entry.event, entry.type, entry.object);
  }

  /** Types served now (a CRD's types appear once it is Established). */
  served(): ResourceType[] {
    const lag = this.options.discoveryLagMs ?? 0;
    const now = Date.now();
    return this.types.filter((t) => {
      if (!t.crd) return true;
      const at = this.established.get(t.crd);
      return at !== undefined && now - at >= lag;
    });
  }

  findType(group: string, version: string, plural: string): ResourceType | undefined {
    return this.served().find((t) => t.group === group && t.plural === plural && t.versions.includes(version));
  }

  typeOf(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = groupOf(apiVersion);
    return this.served().find((t) => t.group === group && t.kind === kind && t.versions.includes(version));
  }

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    return `${type.group}/${type.plural}/${type.namespaced ? namespace ?? '' : ''}/${name}`;
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  currentVersion(): string {
    return String(this.resourceVersion);
  }

  /** The object as a client of `version` sees it. */
  private view(type: ResourceType, version: string, object: KubeObject): KubeObject {
    const out = clone(object);
    out.apiVersion = apiVersionOf(type.group, version);
    return out;
  }

  get(type: ResourceType, version: string, namespace: string | undefined, name: string): KubeObject {
    const object = this.objects.get(this.key(type, namespace, name));
    if (!object) throw notFound(type, name);
    return this.view(type, version, object);
  }

  list(type: ResourceType, version: string, namespace: string | undefined, labelSelector?: string, fieldSelector?: string): KubeObject[] {
    const labels = parseLabelSelector(labelSelector ?? '');
    const fields = parseFieldSelector(fieldSelector ?? '');
    const prefix = `${type.group}/${type.plural}/`;
    const out: KubeObject[] = [];
    for (const [key, object] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (namespace !== undefined && type.namespaced && object.metadata.namespace !== namespace) continue;
      if (!labels(isMap(object.metadata.labels) ? object.metadata.labels as Record<string, string> : {})) continue;
      if (!fields(object)) continue;
      out.push(this.view(type, version, object));
    }
    return out.sort((a, b) => (`${a.metadata.namespace ?? ''}/${a.metadata.name}` < `${b.metadata.namespace ?? ''}/${b.metadata.name}` ? -1 : 1));
  }

  private requireNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced) return;
    if (!namespace) throw new ApiError(400, 'BadRequest', `the ${type.kind} needs a namespace`);
    const ns = this.objects.get(`/namespaces//${namespace}`);
    if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  create(type: ResourceType, version: string, namespace: string | undefined, body: Json, opts: WriteOptions): KubeObject {
    const object = this.checkBody(type, version, namespace, body, undefined);
    this.decodeFields(type, version, object, opts);
    this.requireNamespace(type, namespace);
    if (type.status) delete object.status;
    for (const f of SERVER_SET) delete object.metadata[f];
    if (this.objects.has(this.key(type, namespace, object.metadata.name))) {
      throw new ApiError(409, 'AlreadyExists', `${type.plural}${type.group ? `.${type.group}` : ''} "${object.metadata.name}" already exists`, { name: object.metadata.name, group: type.group, kind: type.plural });
    }
    const entries = [this.entry(opts.manager, 'Update', type, version, fieldsOf(object, !type.crd))];
    return this.commit(type, version, undefined, object, entries, opts.dryRun);
  }

  update(type: ResourceType, version: string, namespace: string | undefined, name: string, body: Json, opts: WriteOptions): KubeObject {
    const old = this.objects.get(this.key(type, namespace, name));
    if (!old) throw notFound(type, name);
    const object = this.checkBody(type, version, namespace, body, name);
    this.decodeFields(type, version, object, opts);
    const rv = (body as JsonMap & { metadata?: JsonMap }).metadata?.resourceVersion;
    if (rv !== undefined && rv !== old.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const explicit = (body as { metadata?: JsonMap }).metadata?.managedFields;
    return this.commitUpdate(type, version, old, object, opts, explicit);
  }

  patch(type: ResourceType, version: string, namespace: string | undefined, name: string, patchType: PatchType, body: Json, opts: WriteOptions): KubeObject {
    const old = this.objects.get(this.key(type, namespace, name));
    if (patchType === 'apply') return this.apply(type, version, namespace, name, old, body, opts);
    if (!old) throw notFound(type, name);
    const base = clone(old) as Json;
    let next: Json;
    if (patchType === 'merge') next = jsonMergePatch(base, body);
    else if (patchType === 'strategic') {
      if (type.crd) throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources; use a JSON merge patch');
      next = strategicMergePatch(base, body, true);
    } else next = jsonPatch(base, body);
    const explicit = isMap(body) && isMap(body.metadata) ? body.metadata.managedFields : undefined;
    const object = this.checkBody(type, version, namespace, next, name);
    this.decodeFields(type, version, object, opts);
    return this.commitUpdate(type, version, old, object, opts, patchType === 'json' ? (object.metadata.managedFields as Json | undefined) : explicit);
  }

  private apply(type: ResourceType, version: string, namespace: string | undefined, name: string, old: KubeObject | undefined, body: Json, opts: WriteOptions): KubeObject {
    const applied = this.checkBody(type, version, namespace, body, name);
    this.typePatch(type, version, applied);
    if (!old) this.requireNamespace(type, namespace);
    const builtin = !type.crd;
    for (const f of SERVER_SET) delete applied.metadata[f];
    if (type.status) delete applied.status;
    const mine = fieldsOf(applied, builtin);
    const entries = old ? readEntries(old) : [];
    const conflicts: { entry: ManagedEntry; path: string }[] = [];
    for (const entry of entries) {
      if (entry.manager === opts.manager && entry.operation === 'Apply') continue;
      if (entry.subresource) continue;
      for (const path of entry.fields) {
        if (!mine.has(path) || path.endsWith('"."]')) continue;
        if (old && canonical(getAt(old, path)) !== canonical(getAt(applied, path))) conflicts.push({ entry, path });
      }
    }
    if (conflicts.length > 0 && !opts.force) {
      const lines = conflicts.map((c) => `conflict with "${c.entry.manager}"${c.entry.operation === 'Update' ? ` using ${c.entry.apiVersion}` : ''}: ${describePath(c.path)}`);
      throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${lines.join('\n')}`, {
        causes: conflicts.map((c, i) => ({ reason: 'FieldManagerConflict', message: lines[i] ?? '', field: describePath(c.path) })),
      });
    }
    for (const c of conflicts) c.entry.fields.delete(c.path);
    const own = entries.find((e) => e.manager === opts.manager && e.operation === 'Apply' && !e.subresource);
    const others = new Set(entries.filter((e) => e !== own).flatMap((e) => [...e.fields]));
    const next: KubeObject = old ? clone(old) : { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name } };
    if (type.namespaced && namespace) next.metadata.namespace = namespace;
    for (const path of own?.fields ?? []) {
      if (!mine.has(path) && !others.has(path)) removeAt(next, path);
    }
    const merged = mergeApplied(next, applied as unknown as Json, builtin) as unknown as KubeObject;
    const updated = entries.filter((e) => e !== own);
    const entry = this.entry(opts.manager, 'Apply', type, version, mine);
    if (own && own.fields.size === mine.size && [...mine].every((p) => own.fields.has(p))) entry.time = own.time;
    updated.push(entry);
    return this.commit(type, version, old, merged, updated, opts.dryRun);
  }

  /** An Update operation: the manager owns the fields it changed, which other managers lose.
   * When the request sets metadata.managedFields itself, that list replaces the tracked one. */
  private commitUpdate(type: ResourceType, version: string, old: KubeObject, object: KubeObject, opts: WriteOptions, explicit: Json | undefined): KubeObject {
    const builtin = !type.crd;
    let entries = readEntries(old);
    if (Array.isArray(explicit) && explicit.length > 0) {
      entries = readEntries({ ...object, metadata: { ...object.metadata, managedFields: explicit } });
    }
    if (type.status) object.status = clone(old.status ?? null);
    if (object.status === null) delete object.status;
    const before = fieldsOf(old, builtin);
    const after = fieldsOf(object, builtin);
    const changed = new Set<string>();
    for (const path of after) {
      const isItem = path.endsWith('"."]');
      if (isItem ? !before.has(path) : canonical(getAt(old, path)) !== canonical(getAt(object, path))) changed.add(path);
    }
    for (const entry of entries) {
      for (const path of [...entry.fields]) {
        if (!after.has(path) || (changed.has(path) && !(entry.manager === opts.manager && entry.operation === 'Update'))) entry.fields.delete(path);
      }
    }
    if (changed.size > 0) {
      let mine = entries.find((e) => e.manager === opts.manager && e.operation === 'Update' && !e.subresource);
      if (!mine) {
        mine = this.entry(opts.manager, 'Update', type, version, new Set());
        entries.push(mine);
      }
      for (const p of changed) mine.fields.add(p);
      mine.time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    }
    return this.commit(type, version, old, object, entries, opts.dryRun);
  }

  private entry(manager: string, operation: 'Apply' | 'Update', type: ResourceType, version: string, fields: FieldSet): ManagedEntry {
    return { manager, operation, apiVersion: apiVersionOf(type.group, version), time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), fields };
  }

  /** Fields the schema of this kind does not declare (see schema.ts). */
  private undeclared(type: ResourceType, version: string, object: KubeObject): FieldPath[] {
    if (!type.crd) return hasBuiltinSchema(version, type.kind) ? undeclaredBuiltin(object as unknown as Json, version, type.kind) : [];
    return undeclaredCustom(object, this.crdSchema(type, version));
  }

  /** The openAPIV3Schema of a custom resource's version, from its CRD. */
  private crdSchema(type: ResourceType, version: string): Json | undefined {
    const crd = this.objects.get(`apiextensions.k8s.io/customresourcedefinitions//${type.plural}.${type.group}`);
    const versions = crd && isMap(crd.spec) && Array.isArray(crd.spec.versions) ? crd.spec.versions.filter(isMap) : [];
    const entry = versions.find((v) => v.name === version);
    return entry && isMap(entry.schema) ? entry.schema.openAPIV3Schema : undefined;
  }

  /** Create, update and patches decode the body into the kind's type: undeclared fields are
   * refused (Strict), dropped with a warning (Warn) or dropped (Ignore). */
  private decodeFields(type: ResourceType, version: string, object: KubeObject, opts: WriteOptions): void {
    const paths = this.undeclared(type, version, object);
    if (paths.length === 0) return;
    const texts = paths.map((p) => `unknown field "${decodingPath(p)}"`);
    const mode = opts.fieldValidation ?? 'Warn';
    if (mode === 'Strict') {
      throw new ApiError(400, 'BadRequest', `${type.kind} in version "${version}" cannot be handled as a ${type.kind}: strict decoding error: ${texts.join(', ')}`);
    }
    if (mode === 'Warn') opts.warnings?.push(...texts);
    dropFields(object, paths);
  }

  /** Server-side apply converts the patch to a typed value, which fails on any undeclared field
   * whatever fieldValidation says; the API server answers that error as a 500 without a reason. */
  private typePatch(type: ResourceType, version: string, applied: KubeObject): void {
    const paths = this.undeclared(type, version, applied);
    if (paths.length === 0) return;
    const errors = paths.map((p) => `${typedPath(applied as unknown as Json, p, !type.crd)}: field not declared in schema`);
    const gvk = `${type.group}/${version}, Kind=${type.kind}`;
    const detail = errors.length === 1 ? errors[0] ?? '' : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
    throw new ApiError(500, '', `failed to create typed patch object (${applied.metadata.namespace ?? ''}/${applied.metadata.name}; ${gvk}): ${detail}`);
  }

  /** Validate identity fields of a request body and return it as an object. */
  private checkBody(type: ResourceType, version: string, namespace: string | undefined, body: Json, name: string | undefined): KubeObject {
    if (!isMap(body)) throw new ApiError(400, 'BadRequest', 'the request body must be an object');
    const object = clone(body) as unknown as KubeObject;
    const apiVersion = apiVersionOf(type.group, version);
    if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
      throw new ApiError(400, 'BadRequest', `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw new ApiError(400, 'BadRequest', `the kind in the data (${String(object.kind)}) does not match the expected kind (${type.kind})`);
    }
    object.apiVersion = apiVersion;
    object.kind = type.kind;
    if (!isMap(object.metadata)) object.metadata = { name: name ?? '' };
    if (name !== undefined) {
      if (object.metadata.name !== undefined && object.metadata.name !== name) {
        throw new ApiError(400, 'BadRequest', `the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${name})`);
      }
      object.metadata.name = name;
    }
    if (type.namespaced) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
        throw new ApiError(400, 'BadRequest', `the namespace of the provided object (${String(object.metadata.namespace)}) does not match the namespace sent on the request (${namespace ?? ''})`);
      }
      if (namespace) object.metadata.namespace = namespace;
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }

  private commit(type: ResourceType, version: string, old: KubeObject | undefined, object: KubeObject, entries: ManagedEntry[], dryRun: boolean): KubeObject {
    validate(object);
    if (type.crd) validateCustomResource(object, this.crdSchema(type, version), type.kind, type.group);
    if (old) keepAllocated(old, object);
    applyDefaults(object);
    if (old) validateUpdate(type, old, object);
    const md = object.metadata;
    if (old?.metadata.deletionTimestamp !== undefined) {
      // Being deleted: the mark stays, and finalizers may only go (ValidateObjectMetaUpdate).
      md.deletionTimestamp = old.metadata.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) md.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      const before = new Set(finalizersOf(old));
      const added = finalizersOf(object).filter((f) => !before.has(f));
      if (added.length > 0) {
        throw new ApiError(422, 'Invalid', `${type.kind} "${md.name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          { name: md.name, kind: type.kind, causes: [{ reason: 'FieldValueForbidden', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, field: 'metadata.finalizers' }] });
      }
    }
    if (old) {
      md.uid = old.metadata.uid ?? randomUUID();
      md.creationTimestamp = old.metadata.creationTimestamp ?? null;
      const strip = (o: KubeObject) => {
        const { metadata: _m, status: _s, ...rest } = o;
        return canonical(rest);
      };
      const generation = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
      md.generation = strip(old) === strip(object) ? generation : generation + 1;
      if (type.status && old.status !== undefined && object.status === undefined) object.status = clone(old.status);
    } else {
      md.uid = randomUUID();
      md.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      md.generation = 1;
    }
    const kept = entries.filter((e) => e.fields.size > 0);
    if (kept.length > 0) {
      md.managedFields = kept.map((e) => {
        const out: JsonMap = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(e.fields) };
        if (e.subresource) out.subresource = e.subresource;
        return out;
      });
    } else delete md.managedFields;
    if (old && canonical(old) === canonical({ ...object, metadata: { ...md, resourceVersion: old.metadata.resourceVersion ?? null } })) {
      md.resourceVersion = old.metadata.resourceVersion ?? null; // a no-op write does not bump resourceVersion
    } else {
      md.resourceVersion = dryRun ? (old?.metadata.resourceVersion ?? null) : this.nextVersion();
    }
    if (dryRun) {
      if (md.resourceVersion === null) delete md.resourceVersion;
      return this.view(type, version, object);
    }
    const key = this.key(type, md.namespace, md.name);
    const existed = this.objects.has(key);
    // (A Namespace is kept by its spec.finalizers until the namespace controller has emptied it.)
    if (md.deletionTimestamp !== undefined && finalizersOf(object).length === 0 && !(type.kind === 'Namespace' && type.group === '')) {
      // The last finalizer went: the deletion that waited for it completes.
      this.objects.set(key, object);
      this.emit('MODIFIED', type, object);
      this.remove(type, key, object);
      return this.view(type, version, object);
    }
    this.objects.set(key, object);
    this.afterWrite(type, object);
    this.emit(existed ? 'MODIFIED' : 'ADDED', type, object);
    return this.view(type, version, object);
  }

  /** Gone for good (no finalizer left). */
  private remove(type: ResourceType, key: string, object: KubeObject): void {
    this.objects.delete(key);
    object.metadata.resourceVersion = this.nextVersion();
    this.emit('DELETED', type, object);
    if (type.kind === 'CustomResourceDefinition') this.unregisterCrd(object);
  }

  /** Mark an object deleted; it stays until its finalizers are gone. */
  private markDeleted(type: ResourceType, object: KubeObject): void {
    if (object.metadata.deletionTimestamp !== undefined) return;
    object.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    object.metadata.deletionGracePeriodSeconds = 0;
    object.metadata.resourceVersion = this.nextVersion();
    this.emit('MODIFIED', type, object);
  }

  private afterWrite(type: ResourceType, object: KubeObject): void {
    if (type.group === 'apiextensions.k8s.io' && type.kind === 'CustomResourceDefinition') this.registerCrd(object);
    if (this.options.controllers && ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(type.kind)) {
      markReady(object);
    }
  }

  delete(type: ResourceType, version: string, namespace: string | undefined, name: string, body: Json | undefined, dryRun: boolean): KubeObject {
    const key = this.key(type, namespace, name);
    const object = this.objects.get(key);
    if (!object) throw notFound(type, name);
    const pre = isMap(body) && isMap(body.preconditions) ? body.preconditions : {};
    if ((pre.uid !== undefined && pre.uid !== object.metadata.uid) || (pre.resourceVersion !== undefined && pre.resourceVersion !== object.metadata.resourceVersion)) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural} "${name}": Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${String(object.metadata.uid)}`);
    }
    if (dryRun) return this.view(type, version, object);
    const foregroundMs = this.options.foregroundDeletionMs ?? 50;
    if (isMap(body) && body.propagationPolicy === 'Foreground' && foregroundMs > 0 && !(type.kind === 'Namespace' && type.group === '')) {
      // Foreground cascading deletion: the object stays, marked, until the garbage collector has
      // removed its dependents (the emulator has none: it waits a moment), then it is gone.
      if (object.metadata.deletionTimestamp === undefined) {
        object.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        object.metadata.deletionGracePeriodSeconds = 0;
        const finalizers = Array.isArray(object.metadata.finalizers) ? object.metadata.finalizers : [];
        object.metadata.finalizers = [...finalizers.filter((f) => f !== 'foregroundDeletion'), 'foregroundDeletion'];
        object.metadata.resourceVersion = this.nextVersion();
        this.emit('MODIFIED', type, object);
        const uid = object.metadata.uid;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          const current = this.objects.get(key);
          if (!current || current.metadata.uid !== uid) return;
          // The garbage collector removes its finalizer once the dependents are gone; other
          // finalizers keep the object until their controllers remove them.
          const left = finalizersOf(current).filter((f) => f !== 'foregroundDeletion');
          if (left.length > 0) {
            current.metadata.finalizers = left;
            current.metadata.resourceVersion = this.nextVersion();
            this.emit('MODIFIED', type, current);
            return;
          }
          delete current.metadata.finalizers;
          this.remove(type, key, current);
        }, foregroundMs);
        this.timers.add(timer);
      }
      return this.view(type, version, object);
    }
    if (type.kind === 'Namespace' && type.group === '') {
      // Like the namespace controller: Terminating at once; then every object in it is deleted
      // (those with finalizers stay, marked, until their finalizers are gone) and the namespace
      // goes when it is empty — never before its contents.
      if (object.metadata.deletionTimestamp === undefined) {
        object.status = { phase: 'Terminating' };
        this.markDeleted(type, object);
        this.drainNamespace(type, key, name);
      }
      return this.view(type, version, object);
    }
    if (finalizersOf(object).length > 0) {
      this.markDeleted(type, object);
      return this.view(type, version, object);
    }
    this.remove(type, key, object);
    return this.view(type, version, object);
  }

  /** One sweep of the namespace controller every `namespaceDeletionMs` until the namespace is empty. */
  private drainNamespace(nsType: ResourceType, nsKey: string, namespace: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const ns = this.objects.get(nsKey);
      if (!ns) return;
      let left = 0;
      for (const [k, o] of [...this.objects]) {
        if (o.metadata.namespace !== namespace || k === nsKey) continue;
        const t = this.types.find((candidate) => k.startsWith(`${candidate.group}/${candidate.plural}/`) && candidate.namespaced);
        if (!t) continue;
        if (finalizersOf(o).length > 0) {
          this.markDeleted(t, o);
          left += 1;
        } else this.remove(t, k, o);
      }
      if (left === 0) this.remove(nsType, nsKey, ns);
      else this.drainNamespace(nsType, nsKey, namespace);
    }, this.options.namespaceDeletionMs ?? 100);
    this.timers.add(timer);
  }

  private registerCrd(crd: KubeObject): void {
    const spec = isMap(crd.spec) ? crd.spec : {};
    const names = isMap(spec.names) ? spec.names : {};
    const group = String(spec.group ?? '');
    const plural = String(names.plural ?? '');
    const id = `${group}/${plural}`;
    const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter((v) => isMap(v) && v.served !== false).map((v) => String((v as JsonMap).name));
    const storageFirst = (Array.isArray(spec.versions) ? spec.versions : []).filter(isMap).sort((a, b) => Number(b.storage === true) - Number(a.storage === true)).map((v) => String(v.name)).filter((v) => versions.includes(v));
    const hasStatus = (Array.isArray(spec.versions) ? spec.versions : []).some((v) => isMap(v) && isMap(v.subresources) && v.subresources.status !== undefined);
    const existing = this.types.findIndex((t) => t.crd === id);
    const type: ResourceType = {
      group, versions: storageFirst, kind: String(names.kind ?? ''), plural, singular: String(names.singular ?? String(names.kind ?? '').toLowerCase()),
      namespaced: spec.scope !== 'Cluster', status: hasStatus, crd: id,
    };
    if (Array.isArray(names.shortNames)) type.shortNames = names.shortNames.map(String);
    if (existing >= 0) this.types[existing] = type;
    else this.types.push(type);
    const establish = () => {
      if (!this.established.has(id)) this.established.set(id, Date.now());
      const stored = this.objects.get(`apiextensions.k8s.io/customresourcedefinitions//${crd.metadata.name}`);
      if (!stored) return;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      stored.status = {
        acceptedNames: clone(names),
        storedVersions: storageFirst.slice(0, 1),
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
        ],
      };
      stored.metadata.resourceVersion = this.nextVersion();
      const crdType = this.types.find((t) => t.kind === 'CustomResourceDefinition' && !t.crd);
      if (crdType) this.emit('MODIFIED', crdType, stored);
    };
    if (this.established.has(id)) establish();
    else if ((this.options.crdEstablishDelayMs ?? 0) > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        establish();
      }, this.options.crdEstablishDelayMs);
      this.timers.add(timer);
    } else establish();
  }

  private unregisterCrd(crd: KubeObject): void {
    const spec = isMap(crd.spec) ? crd.spec : {};
    const id = `${String(spec.group ?? '')}/${String(isMap(spec.names) ? spec.names.plural ?? '' : '')}`;
    this.established.delete(id);
    const i = this.types.findIndex((t) => t.crd === id);
    if (i >= 0) this.types.splice(i, 1);
    for (const k of [...this.objects.keys()]) if (k.startsWith(`${id}/`)) this.objects.delete(k);
  }

  /** Tests move status directly, as a controller would through the status subresource. */
  setStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: JsonMap | ((object: KubeObject) => JsonMap)): KubeObject {
    const type = this.types.find((t) => t.kind === kind && t.group === groupOf(apiVersion).group);
    if (!type) throw new Error(`no type ${apiVersion} ${kind}`);
    const object = this.objects.get(this.key(type, namespace, name));
    if (!object) throw new Error(`no ${kind} ${namespace ?? ''}/${name}`);
    object.status = typeof status === 'function' ? status(object) : status;
    object.metadata.resourceVersion = this.nextVersion();
    this.emit('MODIFIED', type, object);
    return clone(object);
  }
}

function finalizersOf(object: KubeObject): string[] {
  return Array.isArray(object.metadata.finalizers) ? object.metadata.finalizers.filter((f): f is string => typeof f === 'string') : [];
}

/** What the workload controllers report once a rollout finished. */
export function markReady(object: KubeObject): void {
  const spec = isMap(object.spec) ? object.spec : {};
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const generation = object.metadata.generation ?? 1;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  switch (object.kind) {
    case 'Deployment':
      object.status = {
        observedGeneration: generation, replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', lastTransitionTime: now },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastTransitionTime: now },
        ],
      };
      break;
    case 'StatefulSet':
      object.status = { observedGeneration: generation, replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas, currentRevision: 'r1', updateRevision: 'r1' };
      break;
    case 'DaemonSet':
      object.status = { observedGeneration: generation, desiredNumberScheduled: 1, currentNumberScheduled: 1, updatedNumberScheduled: 1, numberAvailable: 1, numberReady: 1 };
      break;
    case 'Job':
      object.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now }] };
      break;
    default:
  }
}

function readEntries(object: KubeObject): ManagedEntry[] {
  const raw = object.metadata.managedFields;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isMap).map((e) => {
    const entry: ManagedEntry = {
      manager: String(e.manager ?? ''), operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(e.apiVersion ?? ''), time: String(e.time ?? ''), fields: fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === 'string') entry.subresource = e.subresource;
    return entry;
  });
}

function notFound(type: ResourceType, name: string): ApiError {
  const resource = type.group ? `${type.plural}.${type.group}` : type.plural;
  return new ApiError(404, 'NotFound', `${resource} "${name}" not found`, { name, group: type.group, kind: type.plural });
}

/** `a=b,c!=d,e,!f,g in (x,y),h notin (z)` → predicate over labels. */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const tests: ((l: Record<string, string>) => boolean)[] = [];
  const parts = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, k = '', op, list = ''] = m;
      const values = list.split(',').map((s) => s.trim());
      tests.push(op === 'in' ? (l) => l[k] !== undefined && values.includes(l[k]) : (l) => l[k] === undefined || !values.includes(l[k]));
    } else if ((m = part.match(/^([^!=\s]+)\s*!=\s*(\S*)$/))) {
      const [, k = '', v] = m;
      tests.push((l) => l[k] !== v);
    } else if ((m = part.match(/^([^!=\s]+)\s*==?\s*(\S*)$/))) {
      const [, k = '', v] = m;
      tests.push((l) => l[k] === v);
    } else if ((m = part.match(/^!(\S+)$/))) {
      const k = m[1] ?? '';
      tests.push((l) => l[k] === undefined);
    } else if (/^\S+$/.test(part)) {
      tests.push((l) => l[part] !== undefined);
    } else {
      throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${part}`);
    }
  }
  return (labels) => tests.every((t) => t(labels));
}

function parseFieldSelector(selector: string): (object: KubeObject) => boolean {
  const tests = selector.split(',').filter(Boolean).map((part) => {
    const m = part.match(/^([^!=]+)(!=|==|=)(.*)$/);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector: ${part}`);
    const [, field = '', op, value] = m;
    const read = (o: KubeObject) => String(getAt(o as unknown as Json, JSON.stringify(field.split('.').map((f) => `f:${f}`))) ?? '');
    return op === '!=' ? (o: KubeObject) => read(o) !== value : (o: KubeObject) => read(o) === value;
  });
  return (object) => tests.every((t) => t(object));
}
