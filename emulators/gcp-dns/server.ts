// The HTTP side of the emulator: Cloud DNS v1 REST routes under /dns/v1/projects/{project}/...,
// JSON bodies, Google's error shape, paging with maxResults/pageToken/nextPageToken, and a log
// of every request (tests assert how many calls a client made; `log` prints them while
// developing against a new client, e.g. to see what gcloud sends).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CloudDnsApiError, invalid, notFound } from './errors.ts';
import type { FaultInjector } from './faults.ts';
import { presentRrset, type Json, type JsonRecord, type Rrset } from './records.ts';
import { type CloudDnsState, presentChange, presentZone } from './state.ts';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  operation: string;
  status: number;
  /** The request body, parsed (JSON) — absent for bodiless requests. */
  body?: unknown;
}

export interface ServerOptions {
  state: CloudDnsState;
  faults: FaultInjector;
  requests: RequestLogEntry[];
  /** Largest page the server returns, whatever maxResults asks (the real API decides too). */
  maxPageSize: number;
  log?: (line: string) => void;
}

interface Reply { status: number; body?: Json }

const PREFIX = '/dns/v1/projects/';

export function createEmulatorServer(options: ServerOptions): Server {
  return createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.log?.(`emulator error: ${String(error)}`);
      if (!res.headersSent) send(res, 500, { error: { code: 500, message: 'Internal Error', errors: [{ domain: 'global', reason: 'internalError', message: 'Internal Error' }], status: 'INTERNAL' } });
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  const query = Object.fromEntries(url.searchParams);
  const text = await readBody(req);
  const entry: RequestLogEntry = { method, path: url.pathname, query, operation: 'unknown', status: 0 };
  let reply: Reply;
  try {
    const route = matchRoute(method, url.pathname);
    entry.operation = route.operation;
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new CloudDnsApiError(400, 'parseError', 'Parse Error');
      }
      entry.body = body;
    }
    const fault = options.faults.decide(method, route.operation);
    if (fault.delayMs > 0) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.error && !fault.afterApplying) throw fault.error;
    reply = route.run(options, query, body);
    if (fault.error) throw fault.error;
  } catch (error) {
    if (!(error instanceof CloudDnsApiError)) throw error;
    reply = { status: error.code, body: error.body() };
  }
  entry.status = reply.status;
  options.requests.push(entry);
  options.log?.(`${method} ${url.pathname}${url.search} ${text ? `${text.length}B ` : ''}→ ${reply.status} [${entry.operation}]`);
  send(res, reply.status, reply.body);
}

function send(res: ServerResponse, status: number, body: Json | undefined): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface Route {
  operation: string;
  run(options: ServerOptions, query: Record<string, string>, body: unknown): Reply;
}

function matchRoute(method: string, pathname: string): Route {
  if (!pathname.startsWith(PREFIX)) throw notFound('path', pathname);
  const parts = pathname.slice(PREFIX.length).split('/').map((p) => decodeURIComponent(p));
  const [project, collection, zone, sub, a, b] = parts;
  if (!project) throw notFound('parameters.project', '');
  const n = parts.length;
  const unsupported = () => new CloudDnsApiError(405, 'httpMethodNotAllowed', `HTTP method ${method} is not supported by this URL`);

  if (n === 1) {
    if (method !== 'GET') throw unsupported();
    return { operation: 'projects.get', run: ({ state }) => ({ status: 200, body: {
      kind: 'dns#project', id: project, number: '123456789012',
      quota: { kind: 'dns#quota', managedZones: state.quotas.managedZones, rrsetAdditionsPerChange: state.quotas.rrsetAdditionsPerChange,
        rrsetDeletionsPerChange: state.quotas.rrsetDeletionsPerChange, resourceRecordsPerRrset: state.quotas.rrdatasPerRrset,
        rrsetsPerManagedZone: state.quotas.rrsetsPerManagedZone, totalRrdataSizePerChange: state.quotas.totalRrdataSizePerChange,
        nameserversPerDelegation: state.quotas.nameserversPerDelegation },
    } }) };
  }
  if (collection !== 'managedZones') throw notFound('path', pathname);
  if (n === 2) {
    if (method === 'GET') {
      return { operation: 'managedZones.list', run: ({ state, maxPageSize }, q) => {
        let zones = state.zones(project).map((z) => z.zone);
        if (q.dnsName) {
          const wanted = q.dnsName.toLowerCase().endsWith('.') ? q.dnsName.toLowerCase() : `${q.dnsName.toLowerCase()}.`;
          zones = zones.filter((z) => z.dnsName === wanted);
        }
        const page = paginate(zones, (z) => z.name, q, maxPageSize);
        return { status: 200, body: withToken({ kind: 'dns#managedZonesListResponse', managedZones: page.items.map(presentZone) }, page.next) };
      } };
    }
    if (method === 'POST') {
      return { operation: 'managedZones.create', run: ({ state }, _q, body) => ({ status: 200, body: presentZone(state.createZone(project, body).zone) }) };
    }
    throw unsupported();
  }
  if (!zone) throw notFound('parameters.managedZone', '');
  if (n === 3) {
    if (method === 'GET') return { operation: 'managedZones.get', run: ({ state }) => ({ status: 200, body: presentZone(state.zone(project, zone).zone) }) };
    if (method === 'PATCH' || method === 'PUT') {
      return { operation: method === 'PATCH' ? 'managedZones.patch' : 'managedZones.update', run: ({ state }, _q, body) => {
        const { before, after } = state.patchZone(project, zone, body);
        return { status: 200, body: {
          kind: 'dns#operation', id: String(Date.now()), startTime: new Date().toISOString(), status: 'done', type: 'UPDATE', user: 'emulator',
          zoneContext: { kind: 'dns#operationManagedZoneContext', oldValue: presentZone(before), newValue: presentZone(after) },
        } };
      } };
    }
    if (method === 'DELETE') return { operation: 'managedZones.delete', run: ({ state }) => { state.deleteZone(project, zone); return { status: 204 }; } };
    throw unsupported();
  }
  if (sub === 'rrsets') {
    if (n === 4) {
      if (method === 'GET') {
        return { operation: 'resourceRecordSets.list', run: ({ state, maxPageSize }, q) => {
          if (q.type && !q.name) throw invalid(`Invalid value for 'type': the 'name' parameter must be present when 'type' is`);
          let list: Rrset[] = state.rrsets(project, zone);
          if (q.name) list = list.filter((r) => r.name === q.name?.toLowerCase());
          if (q.type) list = list.filter((r) => r.type === q.type?.toUpperCase());
          const page = paginate(list, (r) => `${r.name} ${r.type}`, q, maxPageSize);
          return { status: 200, body: withToken({ kind: 'dns#resourceRecordSetsListResponse', rrsets: page.items.map(presentRrset) }, page.next) };
        } };
      }
      if (method === 'POST') return { operation: 'resourceRecordSets.create', run: ({ state }, _q, body) => ({ status: 200, body: presentRrset(state.createRrset(project, zone, body)) }) };
      throw unsupported();
    }
    if (n === 6 && a && b) {
      if (method === 'GET') return { operation: 'resourceRecordSets.get', run: ({ state }) => ({ status: 200, body: presentRrset(state.getRrset(project, zone, a, b)) }) };
      if (method === 'PATCH') return { operation: 'resourceRecordSets.patch', run: ({ state }, _q, body) => ({ status: 200, body: presentRrset(state.patchRrset(project, zone, a, b, body)) }) };
      if (method === 'DELETE') return { operation: 'resourceRecordSets.delete', run: ({ state }) => { state.deleteRrset(project, zone, a, b); return { status: 200, body: {} }; } };
      throw unsupported();
    }
  }
  if (sub === 'changes') {
    if (n === 4) {
      if (method === 'POST') return { operation: 'changes.create', run: ({ state }, _q, body) => ({ status: 200, body: presentChange(state.applyChange(project, zone, body), true) }) };
      if (method === 'GET') {
        return { operation: 'changes.list', run: ({ state, maxPageSize }, q) => {
          const list = [...state.changes(project, zone)];
          if (q.sortOrder === 'descending') list.reverse();
          const page = paginate(list, (c) => c.id.padStart(12, '0'), q, maxPageSize, q.sortOrder === 'descending');
          return { status: 200, body: withToken({ kind: 'dns#changesListResponse', changes: page.items.map((c) => presentChange(c)) }, page.next) };
        } };
      }
      throw unsupported();
    }
    if (n === 5 && a) {
      if (method === 'GET') return { operation: 'changes.get', run: ({ state }) => ({ status: 200, body: presentChange(state.change(project, zone, a)) }) };
      throw unsupported();
    }
  }
  throw notFound('path', pathname);
}

function withToken(body: JsonRecord, next: string | undefined): JsonRecord {
  if (next) body.nextPageToken = next;
  return body;
}

/** Pages over a sorted list. The token names the last key served, so a page boundary stays
 * right even when sets are added or removed between calls. */
function paginate<T>(items: T[], keyOf: (item: T) => string, q: Record<string, string>, maxPageSize: number, descending = false): { items: T[]; next?: string } {
  let size = maxPageSize;
  if (q.maxResults !== undefined) {
    const asked = Number(q.maxResults);
    if (!Number.isInteger(asked) || asked < 0) throw invalid(`Invalid value for 'maxResults': '${q.maxResults}'`);
    if (asked > 0) size = Math.min(asked, maxPageSize);
  }
  let start = 0;
  if (q.pageToken) {
    let after: string;
    try {
      const decoded = JSON.parse(Buffer.from(q.pageToken, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof decoded.after !== 'string') throw new Error('no key');
      after = decoded.after;
    } catch {
      throw invalid(`Invalid value for 'pageToken': '${q.pageToken}'`);
    }
    start = items.findIndex((item) => (descending ? keyOf(item) < after : keyOf(item) > after));
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + size);
  const last = slice.at(-1);
  if (start + size < items.length && last !== undefined) {
    return { items: slice, next: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64url') };
  }
  return { items: slice };
}
