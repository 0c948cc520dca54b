// A standby replica is Ready (so a PodDisruptionBudget can evict the leader's pod and a rolling
// update can proceed), so the Service sends it webhooks, API calls and page views too. It does not
// reconcile: it passes each such request to the leader, at the URL the leader wrote into the
// Lease, byte for byte (credentials and webhook signatures are checked by the leader). Probes and
// /metrics stay local: they describe this replica.

import { request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

/** Set on forwarded requests: a replica never forwards a request twice (two standbys that each
 * think the other leads, for the moment of a hand-over). */
export const FORWARDED_HEADER = 'x-trueup-forwarded-by';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const TIMEOUT_MS = 30_000;

function sendUnavailable(res: ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
  res.end(`${message}\n`);
}

export function forwardToLeader(req: IncomingMessage, res: ServerResponse, leaderUrl: string | undefined, self: string): void {
  if (!leaderUrl) return sendUnavailable(res, 'standby: no leader to forward to yet (leader election in progress)');
  if (req.headers[FORWARDED_HEADER] !== undefined) return sendUnavailable(res, 'standby: the replica this was forwarded to is not the leader either (a hand-over is in progress)');
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers[FORWARDED_HEADER] = self;
  const target = new URL(req.url ?? '/', leaderUrl);
  const upstream = request(target, { method: req.method, headers, timeout: TIMEOUT_MS }, (answer) => {
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
  upstream.on('error', (error) => sendUnavailable(res, `standby: cannot reach the leader at ${target.origin}: ${error.message}`));
  req.pipe(upstream);
}

/**
 * Sharding: a webhook names sources that live on several replicas. The replica that received
 * it (and checked its signature) passes the same bytes, headers included, to each other holder;
 * that one checks the signature again and wakes the sources it holds. Resolves with the answer's
 * status, or the reason it could not be delivered (bounded by the same timeout).
 */
export function forwardBody(req: IncomingMessage, body: Buffer, holderUrl: string, self: string): Promise<{ status: number } | { error: string }> {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers[FORWARDED_HEADER] = self;
  headers['content-length'] = String(body.length);
  const target = new URL(req.url ?? '/', holderUrl);
  return new Promise((resolve) => {
    const upstream = request(target, { method: req.method, headers, timeout: TIMEOUT_MS }, (answer) => {
      answer.resume();
      answer.on('end', () => resolve({ status: answer.statusCode ?? 502 }));
      answer.on('error', (error) => resolve({ error: error.message }));
    });
    upstream.on('timeout', () => upstream.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    upstream.on('error', (error) => resolve({ error: `cannot reach ${target.origin}: ${error.message}` }));
    upstream.end(body);
  });
}
