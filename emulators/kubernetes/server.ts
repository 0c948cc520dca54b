// The HTTP face of the emulator: the REST paths, content types and query parameters kubectl
// and trueup use (discovery, GET/LIST/WATCH, POST, PUT, PATCH in four flavours, DELETE, the
// status subresource), answering with the API server's JSON shapes and Status errors.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { jsonMergePatch, jsonPatch, strategicMergePatch } from './merge.ts';
import { decodeProtobuf } from './protobuf.ts';
import { writeScale } from './scale.ts';
import type { AccessControl } from './rbac.ts';
import { fieldValidationOf } from './schema.ts';
import type { KubeState, PatchType } from './state.ts';
import { ApiError, apiVersionOf, clone, isMap, type Json, type JsonMap, type KubeObject, type ResourceType } from './types.ts';

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  contentType?: string;
  userAgent?: string;
  /** The Authorization scheme the client sent (never the credential). */
  auth?: string;
  /** When the request arrived and when its answer was sent (ms since the epoch): the store
   * changed in between. */
  at: number;
  doneAt?: number;
  /** The answer's status code. */
  status?: number;
  /** RBAC mode: the authenticated user, and its token's uid when it has one. */
  user?: string;
  uid?: string;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Injected failures: the next `count` API requests answer `code` (429 or 5xx) before any work. */
export interface FailureInjection {
  count: number;
  code: number;
}

export function createKubeServer(state: KubeState, requests: RequestRecord[], failures: FailureInjection = { count: 0, code: 503 }, forbidden: Set<string> = new Set(), access?: AccessControl): Server {
  const server = createServer((req, res) => {
    if (failures.count > 0 && (req.url ?? '').startsWith('/api')) {
      failures.count -= 1;
      req.resume();
      const reason = failures.code === 429 ? 'TooManyRequests' : 'ServiceUnavailable';
      send(res, failures.code, new ApiError(failures.code, reason, failures.code === 429 ? 'too many requests, please try again later' : 'the server is currently unable to handle the request').status());
      return;
    }
    void handle(state, requests, req, res, forbidden, access).catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'InternalError', `emulator error: ${(error as Error).message}`);
      send(res, apiError.code, apiError.status());
    });
  });
  return server;
}

/** `warnings` become one `Warning: 299 - "text"` header each, as the API server sends them
 * (RFC 7234 warn-code 299, agent "-", the text quoted like Go's strconv.Quote). */
function send(res: ServerResponse, code: number, body: unknown, warnings: readonly string[] = []): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  const headers: Record<string, string | number | string[]> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' };
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(raw: Buffer, contentType: string): Json {
  if (raw.length === 0) return null;
  // kubectl sends protobuf for built-in kinds (`kubectl create namespace`); see protobuf.ts.
  if (contentType.includes('application/vnd.kubernetes.protobuf')) return decodeProtobuf(raw);
  if (contentType.includes('protobuf') || contentType.includes('cbor')) {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`);
  }
  const text = raw.toString('utf8');
  if (!text.trim()) return null;
  try {
    return (contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text)) as Json;
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `cannot parse the request body as ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
}

async function handle(state: KubeState, requests: RequestRecord[], req: IncomingMessage, res: ServerResponse, forbidden: Set<string>, access?: AccessControl): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  const contentType = req.headers['content-type'] ?? '';
  const record: RequestRecord = { method, path: url.pathname, query: url.search, at: Date.now() };
  res.on('finish', () => {
    record.doneAt = Date.now();
    record.status = res.statusCode;
  });
  if (contentType) record.contentType = contentType;
  if (req.headers['user-agent']) record.userAgent = req.headers['user-agent'];
  if (req.headers.authorization) record.auth = req.headers.authorization.split(' ')[0] ?? '';
  requests.push(record);
  const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  // Opt-in RBAC mode (rbac.ts): authenticate and authorize before any handler, as the filter chain does.
  if (access) {
    try {
      const user = access.authenticator.authenticate(req.headers.authorization);
      record.user = user.name;
      if (user.uid) record.uid = user.uid;
    } catch {
      // Unknown credentials: check() answers 401 below.
    }
  }
  const allowed = access?.check(method, url, req.headers.authorization);
  const review = allowed && access?.serve(allowed, () => parseBody(body, contentType));
  if (review) {
    send(res, 201, review);
    return;
  }

  if (url.pathname === '/version') {
    send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-trueup-emulator', gitCommit: '0000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
    return;
  }
  if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (segments[0] === 'openapi' && segments[1] === 'v3') {
    send(res, 200, openApiV3(state, segments.slice(2)));
    return;
  }
  if (segments[0] === 'openapi') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (segments[0] === 'api' && segments.length === 1) {
    send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }] });
    return;
  }
  if (segments[0] === 'apis' && segments.length === 1) {
    send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(state) });
    return;
  }
  if (segments[0] === 'apis' && segments.length === 2) {
    const group = groups(state).find((g) => g.name === segments[1]);
    if (!group) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
    return;
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1]) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments[1] && segments[2]) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (rest.length === 0) {
    const resources = state.served().filter((t) => t.group === group && t.versions.includes(version));
    if (resources.length === 0) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: resources.flatMap(resourceEntries) });
    return;
  }

  // /namespaces/{ns}/{plural}[/{name}[/{sub}]] or /{plural}[/{name}[/{sub}]]
  let namespace: string | undefined;
  let plural: string;
  let name: string | undefined;
  let sub: string | undefined;
  const nsType = rest[0] === 'namespaces' && rest.length >= 3 ? state.findType(group, version, rest[2] ?? '') : undefined;
  if (nsType?.namespaced) {
    namespace = rest[1];
    [, , plural = '', name, sub] = rest;
  } else {
    [plural = '', name, sub] = rest;
  }
  const type = state.findType(group, version, plural);
  if (!type) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (forbidden.has(type.plural)) {
    // RBAC as the API server words it, for clients whose credentials do not cover this resource.
    const verb = method === 'GET' ? (name === undefined ? 'list' : 'get') : method.toLowerCase();
    throw new ApiError(403, 'Forbidden', `${type.plural}${type.group ? `.${type.group}` : ''} is forbidden: User "system:serviceaccount:trueup:trueup" cannot ${verb} resource "${type.plural}" in API group "${type.group}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}`, { kind: type.plural, group: type.group });
  }
  if (sub !== undefined && sub !== 'status' && !(sub === 'scale' && type.scale)) throw new ApiError(404, 'NotFound', `the server does not serve the ${sub} subresource`);
  if (sub === 'status' && !type.status) throw new ApiError(404, 'NotFound', `${type.plural} has no status subresource`);
  const dryRun = q.getAll('dryRun').includes('All');
  const userAgent = req.headers['user-agent'] ?? '';
  const manager = q.get('fieldManager') ?? (userAgent.split('/')[0] || 'unknown');
  const warnings: string[] = [];
  const fieldValidation = method === 'GET' || method === 'DELETE' ? 'Warn' : fieldValidationOf(q.get('fieldValidation'));
  const table = (req.headers.accept ?? '').includes('as=Table');

  if (sub === 'scale' && name !== undefined) {
    const patchType = method === 'PATCH' ? patchTypeOf(contentType) : undefined;
    send(res, 200, writeScale(state, type, version, namespace, name, method, patchType, parseBody(body, contentType), { manager, dryRun, fieldValidation, warnings }), warnings);
    return;
  }
  if (method === 'GET' && name === undefined) {
    const items = state.list(type, version, namespace, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined);
    if (q.get('watch') === 'true' || q.get('watch') === '1') {
      watch(state, type, version, namespace, q, req, res);
      return;
    }
    if (table) {
      send(res, 200, asTable(type, items, state.currentVersion()));
      return;
    }
    send(res, 200, {
      kind: `${type.kind}List`, apiVersion: apiVersionOf(group, version), metadata: { resourceVersion: state.currentVersion() },
      // Built-in list items carry no apiVersion/kind on the wire; custom resources do.
      items: type.crd ? items : items.map(({ apiVersion: _a, kind: _k, ...item }) => item),
    });
    return;
  }
  if (method === 'GET' && name !== undefined) {
    const object = state.get(type, version, namespace, name);
    send(res, 200, table ? asTable(type, [object], state.currentVersion()) : object);
    return;
  }
  if (method === 'POST' && name === undefined) {
    const created = state.create(type, version, namespace, parseBody(body, contentType), { manager, dryRun, fieldValidation, warnings });
    send(res, dryRun ? 200 : 201, created, [...warnings, ...finalizerWarnings(created)]);
    return;
  }
  if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
  if (sub === 'status') {
    send(res, 200, writeStatus(state, type, version, namespace, name, method, contentType, parseBody(body, contentType)));
    return;
  }
  if (method === 'PUT') {
    const updated = state.update(type, version, namespace, name, parseBody(body, contentType), { manager, dryRun, fieldValidation, warnings });
    send(res, 200, updated, [...warnings, ...finalizerWarnings(updated)]);
    return;
  }
  if (method === 'PATCH') {
    const patchType = patchTypeOf(contentType);
    if (patchType === 'apply' && !q.get('fieldManager')) {
      throw new ApiError(400, 'BadRequest', 'PATCH with application/apply-patch+yaml requires the fieldManager query parameter');
    }
    const force = q.get('force') === 'true';
    const existed = (() => {
      try {
        state.get(type, version, namespace, name);
        return true;
      } catch {
        return false;
      }
    })();
    if (!existed && patchType === 'apply' && allowed) access?.createOnUpdate(allowed);
    const result = state.patch(type, version, namespace, name, patchType, parseBody(body, contentType), { manager, dryRun, force, fieldValidation, warnings });
    send(res, existed || dryRun ? 200 : 201, result, [...warnings, ...finalizerWarnings(result)]);
    return;
  }
  if (method === 'DELETE') {
    send(res, 200, state.delete(type, version, namespace, name, parseBody(body, contentType || 'application/json'), dryRun));
    return;
  }
  throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
}

/** The API server warns on every write of an object whose finalizers are not domain-qualified
 * paths (`example.com/cleanup`): another writer may pick the same bare name. */
function finalizerWarnings(object: KubeObject): string[] {
  const finalizers = Array.isArray(object.metadata.finalizers) ? object.metadata.finalizers : [];
  return finalizers.filter((f): f is string => typeof f === 'string' && !f.includes('/') && !['orphan', 'foregroundDeletion'].includes(f))
    .map((f) => `metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`);
}

function patchTypeOf(contentType: string): PatchType {
  if (contentType.startsWith('application/apply-patch+yaml')) return 'apply';
  if (contentType.startsWith('application/merge-patch+json')) return 'merge';
  if (contentType.startsWith('application/strategic-merge-patch+json')) return 'strategic';
  if (contentType.startsWith('application/json-patch+json')) return 'json';
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType || 'none'})`);
}

function writeStatus(state: KubeState, type: ResourceType, version: string, namespace: string | undefined, name: string, method: string, contentType: string, body: Json): KubeObject {
  const current = state.get(type, version, namespace, name);
  let next: Json;
  if (method === 'PUT') next = body;
  else if (method === 'PATCH') {
    const patchType = patchTypeOf(contentType);
    if (patchType === 'json') next = jsonPatch(current as unknown as Json, body);
    else if (patchType === 'strategic') next = strategicMergePatch(current as unknown as Json, body, !type.crd);
    else next = jsonMergePatch(current as unknown as Json, body);
  } else throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on status`);
  const status = isMap(next) && isMap(next.status) ? next.status : {};
  return state.setStatus(apiVersionOf(type.group, version), type.kind, namespace, name, status);
}

/** Minimal OpenAPI v3: kubectl reads it only to learn that PATCH accepts `fieldValidation`
 * (then it leaves validation to the server and skips client-side schema checks). Schemas are
 * absent, so for strategic merge patches kubectl uses its compiled-in types. */
function openApiV3(state: KubeState, rest: string[]): JsonMap {
  const gvs = new Map<string, ResourceType[]>();
  for (const t of state.served()) {
    for (const v of t.versions) {
      const gv = t.group ? `apis/${t.group}/${v}` : `api/${v}`;
      gvs.set(gv, [...(gvs.get(gv) ?? []), t]);
    }
  }
  if (rest.length === 0) {
    return { paths: Object.fromEntries([...gvs.keys()].map((gv) => [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${state.currentVersion()}` }])) };
  }
  const gv = rest.join('/');
  const types = gvs.get(gv);
  if (!types) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const version = rest[rest.length - 1] ?? '';
  const paths: JsonMap = {};
  for (const t of types) {
    const path = `/${gv}/${t.namespaced ? 'namespaces/{namespace}/' : ''}${t.plural}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-group-version-kind': { group: t.group, version, kind: t.kind },
        'x-kubernetes-action': 'patch',
        parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({ name, in: 'query', schema: { type: 'string' }, uniqueItems: true })),
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

function resourceEntries(type: ResourceType): JsonMap[] {
  const main: JsonMap = { name: type.plural, singularName: type.singular, namespaced: type.namespaced, kind: type.kind, verbs: VERBS };
  if (type.shortNames) main.shortNames = type.shortNames;
  if (type.crd) main.categories = ['all'];
  const out = [main];
  if (type.status) out.push({ name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: ['get', 'patch', 'update'] });
  if (type.scale) out.push({ name: `${type.plural}/scale`, singularName: '', namespaced: type.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  return out;
}

function groups(state: KubeState): JsonMap[] {
  const byGroup = new Map<string, string[]>();
  for (const t of state.served()) {
    if (!t.group) continue;
    const versions = byGroup.get(t.group) ?? [];
    for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
    byGroup.set(t.group, versions);
  }
  return [...byGroup].map(([name, versions]) => ({
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0] ?? ''}`, version: versions[0] ?? '' },
  }));
}

function asTable(type: ResourceType, items: KubeObject[], resourceVersion: string): JsonMap {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
      { name: 'Created At', type: 'date', format: '', description: 'When the object was created', priority: 0 },
    ],
    rows: items.map((o) => ({
      cells: [o.metadata.name, o.metadata.creationTimestamp ?? null],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: clone(o.metadata) },
    })),
  };
}

function watch(state: KubeState, type: ResourceType, version: string, namespace: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders(); // clients wait for the headers before they consider the watch started
  const fieldSelector = q.get('fieldSelector') ?? '';
  const nameMatch = /metadata\.name=([^,]+)/.exec(fieldSelector)?.[1];
  const listener = (event: string, t: ResourceType, object: KubeObject) => {
    if (t !== type) return;
    if (namespace !== undefined && object.metadata.namespace !== namespace) return;
    if (nameMatch !== undefined && object.metadata.name !== nameMatch) return;
    res.write(`${JSON.stringify({ type: event, object: { ...object, apiVersion: apiVersionOf(type.group, version) } })}\n`);
  };
  const since = Number(q.get('resourceVersion') ?? '0');
  if (since > 0) for (const e of state.history) if (e.rv > since) listener(e.event, e.type, e.object);
  state.events.on('change', listener);
  const timeout = Math.min(Number(q.get('timeoutSeconds') ?? '30') || 30, 60);
  const timer = setTimeout(() => res.end(), timeout * 1000);
  const stop = () => {
    clearTimeout(timer);
    state.events.off('change', listener);
  };
  res.on('close', stop);
  req.on('close', stop);
}
