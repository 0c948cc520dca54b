// trueup run's HTTP surface, on one port:
//   GET  /healthz (= /livez), /readyz           probes
//   GET  /metrics                               Prometheus
//   GET  /  (HTML), /api/v1/sources[/NAME]      status (open, or server.readToken)
//   POST /api/v1/sources/NAME/{approve,suspend,resume,reconcile}   bearer token required
//   GET  /previews/SOURCE/PR                    a pull request's preview (as the status page)
//   POST /hooks/RECEIVER                        Git host webhooks (signature required): pushes
//                                               reconcile, pull/merge requests and their comments
//                                               go to the preview lane
// Responses never carry a secret: the token and webhook secrets are only ever compared.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ApprovalError } from '../controller/source-controller.ts';
import { UnknownSourceNameError, type Controller } from '../controller/controller.ts';
import type { Condition, SourceStatus } from '../controller/status.ts';
import type { Metrics } from '../report/metrics.ts';
import { requireReader, requireToken } from './auth.ts';
import { FORWARDED_HEADER, forwardBody, forwardToLeader } from './forward.ts';
import { HttpError, parseJsonBody, readBody, sendError, sendJson, sendText } from './http.ts';
import { renderStatusPage } from './page.ts';
import { renderPreviewPage } from './preview-page.ts';
import { parseReviewEvent } from '../report/preview/events.ts';
import { DeliveryLog, verifyWebhook, type WebhookReceiver } from './webhooks.ts';

export interface ServerOptions {
  controller: Controller;
  metrics: Metrics;
  log: Logger;
  /** Bearer token for mutating endpoints; undefined disables them (403). */
  token?: string;
  /** Token required for reads (status page, JSON API); undefined leaves them open. */
  readToken?: string;
  webhooks: WebhookReceiver[];
  maxBodyBytes: number;
  version: string;
  /** With leader election: this replica's role, for /readyz and for forwarding to the leader. */
  leadership?: () => Leadership;
  /** With --shard: which sources this replica holds, and who holds the others. */
  shards?: ShardView;
}

/** Sharding, as the server needs it: readiness, and where each source is reconciled. */
export interface ShardView {
  identity: string;
  /** /readyz: the group's Leases can be read and written. */
  ready(): { ready: boolean; message: string };
  /** This replica reconciles the source. */
  holds(source: string): boolean;
  /** The replica holding a source elsewhere (undefined: nobody yet, or a hand-over is under way). */
  holder(source: string): { identity: string; url?: string } | undefined;
  /** Live members, as last read. */
  members(): string[];
  /** When this replica last started or stopped holding the source (ISO; undefined: never held it). */
  heldChangedAt(source: string): string | undefined;
}

export interface Leadership {
  role: 'leader' | 'standby';
  /** /readyz: a leader that runs its loops, a standby that can read and write the Lease. */
  ready: boolean;
  /** The /readyz text: `ready: leader of lease trueup/trueup`, `ready: standby, …`, or why not. */
  message: string;
  /** Where the leader serves, as it wrote into the Lease (standbys forward there). */
  leaderUrl?: string;
  /** This replica's identity, marked on forwarded requests. */
  identity: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `127.0.0.1:8080`, `:8080`, `0.0.0.0:9000`, `[::1]:8080`, `8080` → host and port. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`cannot parse listen address "${listen}" (expected host:port, e.g. 127.0.0.1:8080)`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port: Number(m[3]) };
}

export async function startServer(options: ServerOptions, listen: string): Promise<RunningServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      req.resume(); // drain whatever body was not read, so the connection can answer
      if (error instanceof HttpError) sendError(res, error.status, error.message, error.headers);
      else {
        options.log.error({ err: (error as Error).message, path: req.url }, 'HTTP handler failed');
        if (!res.headersSent) sendError(res, 500, 'internal error');
        else res.end();
      }
    });
  });
  // Slow-loris bounds: a client must send its headers and body in reasonable time.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`,
    port: address.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

async function handle(o: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const get = method === 'GET' || method === 'HEAD';

  // Liveness: the process answers. Not tied to leadership or to the clouds: restarting a replica
  // helps neither.
  if ((path === '/healthz' || path === '/livez') && get) return sendText(res, 200, 'ok\n');
  const leadership = o.leadership?.();
  if (path === '/readyz' && get) {
    if (o.controller.shuttingDown) return sendText(res, 503, 'shutting down\n');
    if (leadership) return sendText(res, leadership.ready ? 200 : 503, `${leadership.message}\n`);
    if (o.shards) {
      const r = o.shards.ready();
      return sendText(res, r.ready ? 200 : 503, `${r.message}\n`);
    }
    const ready = o.controller.ready;
    return sendText(res, ready ? 200 : 503, ready ? 'ready\n' : `${o.controller.standby ?? 'starting'}\n`);
  }
  if (path === '/metrics' && get) return sendText(res, 200, await o.metrics.text(), o.metrics.contentType);
  // A standby is Ready (so a PodDisruptionBudget can evict the leader), so it receives webhooks
  // and API calls: the leader answers them.
  if (leadership?.role === 'standby') return forwardToLeader(req, res, leadership.leaderUrl, leadership.identity);
  if (path === '/' && get) {
    requireReader(req, o.readToken, o.token);
    return sendText(res, 200, renderStatusPage(o.shards ? shardStatuses(o.controller, o.shards) : o.controller.statuses(), { version: o.version, now: new Date(), ...(o.shards ? { shards: shardInfo(o.controller, o.shards) } : {}) }), 'text/html; charset=utf-8',
      { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' });
  }
  if (path === '/api/v1/sources' && get) {
    requireReader(req, o.readToken, o.token);
    if (o.shards) return sendJson(res, 200, { sources: shardStatuses(o.controller, o.shards), shards: shardInfo(o.controller, o.shards) });
    return sendJson(res, 200, { sources: o.controller.statuses() });
  }

  const preview = /^\/previews\/([a-z0-9-]+)\/(\d{1,9})$/.exec(path);
  if (preview && get) {
    requireReader(req, o.readToken, o.token);
    const record = o.controller.previews.get(preview[1] ?? '', Number(preview[2]));
    if (!record) throw new HttpError(404, `no preview of pull request #${preview[2]} for source "${preview[1]}" (previews are kept in memory until the daemon restarts)`);
    return sendText(res, 200, renderPreviewPage(record, { version: o.version }), 'text/html; charset=utf-8',
      { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' });
  }

  const hook = /^\/hooks\/([a-z0-9-]+)$/.exec(path);
  if (hook) {
    if (method !== 'POST') throw new HttpError(405, 'webhooks are POST');
    return webhook(o, hook[1] ?? '', req, res);
  }

  const api = /^\/api\/v1\/sources\/([a-z0-9-]+)(?:\/(approve|suspend|resume|reconcile))?$/.exec(path);
  if (api) {
    const name = api[1] ?? '';
    const action = api[2];
    // Sharding: a source reconciled elsewhere is answered by its holder (status and actions).
    if (o.shards && o.controller.sources.has(name) && !o.shards.holds(name)) {
      const holder = o.shards.holder(name);
      // Nobody, or this replica still stopping it before releasing its Lease: a hand-over.
      if (!holder?.url || holder.identity === o.shards.identity) throw new HttpError(503, `source "${name}" is held by no replica right now (its lease is being handed over); retry`, { 'retry-after': '1' });
      return forwardToLeader(req, res, holder.url, o.shards.identity);
    }
    if (!action) {
      if (!get) throw new HttpError(405, 'use GET');
      // Before the lookup: a 404 would tell an unauthenticated client which sources exist.
      requireReader(req, o.readToken, o.token);
      const status = lookup(o.controller, name).status;
      return sendJson(res, 200, o.shards ? withHolder(status, o.shards) : status);
    }
    const source = lookup(o.controller, name);
    if (method !== 'POST') throw new HttpError(405, `${action} is POST`);
    // Authenticate before reading the body: an unauthenticated client gets nothing from us.
    requireToken(req, o.token);
    const body = parseJsonBody(await readBody(req, Math.min(o.maxBodyBytes, 64 * 1024)));
    o.log.info({ source: name, action, remote: req.socket.remoteAddress }, `API: ${action}`);
    if (action === 'suspend') {
      source.suspend();
      return sendJson(res, 200, { source: name, suspended: true });
    }
    if (action === 'resume') {
      source.resume();
      return sendJson(res, 202, { source: name, suspended: false, reconciling: true });
    }
    if (action === 'reconcile') {
      source.trigger(true);
      return sendJson(res, 202, { source: name, reconciling: true });
    }
    const plan = body.plan;
    if (typeof plan !== 'string' || !/^[0-9a-f]{6,64}$/.test(plan)) throw new HttpError(400, 'body needs "plan": the id of the pending plan (see GET /api/v1/sources/NAME)');
    try {
      const record = await source.approve(plan, body.force === true);
      return sendJson(res, record.result === 'applied' || record.result === 'in-sync' ? 200 : 409, { source: name, plan, pass: record, pendingPlan: source.status.pendingPlan ?? null });
    } catch (error) {
      if (error instanceof ApprovalError) throw new HttpError(error.status, error.message);
      throw error;
    }
  }
  throw new HttpError(404, `no route ${method} ${path}`);
}

function lookup(controller: Controller, name: string) {
  try {
    return controller.get(name);
  } catch (error) {
    if (error instanceof UnknownSourceNameError) throw new HttpError(404, error.message);
    throw error;
  }
}

/** Events about pull (merge) requests and their comments: previews, never a branch reconcile. */
const REVIEW_EVENTS = new Set(['pull_request', 'issue_comment', 'Merge Request Hook', 'Note Hook']);

const deliveryLogs = new WeakMap<ServerOptions, DeliveryLog>();

/** One log of deliveries per server. */
function deliveries(o: ServerOptions): DeliveryLog {
  let log = deliveryLogs.get(o);
  if (!log) {
    log = new DeliveryLog();
    deliveryLogs.set(o, log);
  }
  return log;
}

async function webhook(o: ServerOptions, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const receiver = o.webhooks.find((w) => w.name === name);
  if (!receiver) throw new HttpError(404, `no webhook receiver "${name}"`);
  const body = await readBody(req, o.maxBodyBytes);
  const verdict = verifyWebhook(receiver, req, body);
  if (!verdict.ok) {
    o.log.warn({ receiver: name, remote: req.socket.remoteAddress, reason: verdict.reason }, 'webhook refused');
    throw new HttpError(401, verdict.reason);
  }
  if (verdict.delivery !== undefined && !deliveries(o).firstTime(name, verdict.delivery)) {
    o.log.warn({ receiver: name, event: verdict.event, delivery: verdict.delivery }, 'webhook replay ignored: this delivery was accepted before');
    sendJson(res, 200, { receiver: name, event: verdict.event, delivery: verdict.delivery, duplicate: true, triggered: [] });
    return;
  }
  if (receiver.type !== 'hmac' && REVIEW_EVENTS.has(verdict.event)) {
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'the webhook body is not JSON');
    }
    const event = parseReviewEvent(receiver.type, verdict.event, payload);
    const previews = event ? o.controller.review(event, receiver.sources) : [];
    o.log.info({ receiver: name, event: verdict.event, review: event?.type, pr: event?.number, sources: previews }, 'webhook accepted (pull request)');
    sendJson(res, 202, { receiver: name, event: verdict.event, triggered: [], previews });
    return;
  }
  const triggered = verdict.trigger ? o.controller.trigger(receiver.sources, false) : [];
  const forwarded = verdict.trigger && o.shards && req.headers[FORWARDED_HEADER] === undefined ? await forwardToHolders(o, o.shards, receiver, req, body) : undefined;
  o.log.info({ receiver: name, event: verdict.event, sources: triggered, ...(forwarded ? { forwarded } : {}) }, 'webhook accepted');
  sendJson(res, 202, { receiver: name, event: verdict.event, triggered, ...(forwarded ? { forwarded } : {}) });
}

/** Held conditions of sources this replica never held date from its start. */
const startedAt = new Date().toISOString();

/** Sharding: each status says who reconciles the source (`heldBy`, and a Held condition), so a
 * source that moved away is not read as this replica's present state. */
function shardStatuses(controller: Controller, shards: ShardView): SourceStatus[] {
  return controller.statuses().map((s) => withHolder(s, shards));
}

function withHolder(s: SourceStatus, shards: ShardView): SourceStatus {
  const here = shards.holds(s.name);
  const holder = here ? shards.identity : shards.holder(s.name)?.identity ?? null;
  const since = shards.heldChangedAt(s.name) ?? startedAt;
  const held: Condition = here
    ? { type: 'Held', status: 'True', reason: 'HeldHere', message: `reconciled by this replica (${shards.identity})`, lastTransitionTime: since }
    : holder
      ? { type: 'Held', status: 'False', reason: 'HeldElsewhere', message: `reconciled by ${holder}; the rest of this status is what ${shards.identity} last saw`, lastTransitionTime: since }
      : { type: 'Held', status: 'Unknown', reason: 'HeldByNobody', message: 'held by no replica right now (hand-over)', lastTransitionTime: since };
  return { ...s, heldBy: holder, conditions: [...s.conditions, held] };
}

/** Sharding: what this replica holds and who holds the rest, for the page and the JSON API. */
function shardInfo(controller: Controller, shards: ShardView): ShardInfo {
  const holders: Record<string, string | null> = {};
  const held: string[] = [];
  for (const name of controller.sources.keys()) {
    if (shards.holds(name)) {
      held.push(name);
      holders[name] = shards.identity;
    } else holders[name] = shards.holder(name)?.identity ?? null;
  }
  return { identity: shards.identity, members: shards.members(), held, holders };
}

export interface ShardInfo {
  identity: string;
  members: string[];
  held: string[];
  /** Source → the replica holding it (null: none right now). */
  holders: Record<string, string | null>;
}

/** Pass a verified webhook on to every other replica holding one of its sources, once each. */
async function forwardToHolders(o: ServerOptions, shards: ShardView, receiver: WebhookReceiver, req: IncomingMessage, body: Buffer): Promise<Record<string, string[]>> {
  const byUrl = new Map<string, { identity: string; sources: string[] }>();
  const unheld: string[] = [];
  for (const name of receiver.sources ?? [...o.controller.sources.keys()]) {
    if (shards.holds(name)) continue;
    const holder = shards.holder(name);
    if (!holder?.url || holder.identity === shards.identity) {
      unheld.push(name);
      continue;
    }
    const entry = byUrl.get(holder.url) ?? { identity: holder.identity, sources: [] };
    entry.sources.push(name);
    byUrl.set(holder.url, entry);
  }
  const out: Record<string, string[]> = {};
  await Promise.all([...byUrl].map(async ([url, entry]) => {
    const answer = await forwardBody(req, body, url, shards.identity);
    if ('error' in answer || answer.status >= 300) {
      o.log.warn({ holder: entry.identity, sources: entry.sources, err: 'error' in answer ? answer.error : `HTTP ${answer.status}` }, 'webhook: could not pass it on to the holder; its next interval picks the change up');
    } else out[entry.identity] = entry.sources;
  }));
  // A source in hand-over: its next owner does a full pass when it starts.
  if (unheld.length > 0) out[''] = unheld;
  return out;
}
