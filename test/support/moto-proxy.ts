// A loopback HTTP proxy in front of moto's server (or an emulator), for the behaviours the
// server cannot show: it answers matching requests with AWS's documented error bodies
// (throttling, InvalidChangeBatch), never answers them (hang), resets the connection before
// forwarding (reset) or after the server applied them (drop: the answer is lost), sends the
// server's answer a few bytes at a time (drip: every gap shorter than a client's idle timeout,
// the whole answer longer than its request timeout), holds requests for a while (to land a
// SIGTERM mid-apply), and records what passes through.

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './ports.ts';

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
  /** When the proxy received it (ms since the epoch). */
  at: number;
  /** Status the client got (the fault's or the upstream's). */
  status?: number;
  /** The fault applied to it, if any. */
  fault?: Fault;
  /** The request's headers (which credentials signed it: `authorization`, `x-amz-security-token`). */
  headers?: Record<string, string | string[] | undefined>;
}

export type Fault = 'answer' | 'hang' | 'reset' | 'drop' | 'drip';

export interface FaultRule {
  match(req: ProxiedRequest): boolean;
  /** answer (default): reply with `status` and `body` instead of forwarding. hang: never answer
   * (until the client gives up or the proxy stops). reset: close the connection without
   * forwarding. drop: forward, let the server finish, then close the connection unanswered.
   * drip: forward, then send the server's status and headers at once and its body `dripBytes`
   * at a time every `dripMs` (the change is applied; the answer takes as long as it takes). */
  fault?: Fault;
  /** drip: bytes per write (default 4) and milliseconds between writes (default 40). */
  dripBytes?: number;
  dripMs?: number;
  status?: number;
  /** The answer's body, or a function of the request (to name what it carries). */
  body?: string | ((req: ProxiedRequest) => string);
  /** How many matching requests to answer (default: every one). */
  times?: number;
}

export class MotoProxy {
  endpoint = '';
  readonly seen: ProxiedRequest[] = [];
  readonly rules: FaultRule[] = [];
  /** Milliseconds to hold a request before forwarding it (0: at once). */
  hold: ((req: ProxiedRequest) => number) | undefined;
  /** Called with every request as it arrives (before any fault rule). */
  onRequest: ((req: ProxiedRequest) => void) | undefined;
  private server: Server | undefined;

  async start(target: string): Promise<void> {
    const port = await freePort();
    const upstream = new URL(target);
    this.server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body, at: Date.now(), headers: req.headers };
        this.seen.push(entry);
        this.onRequest?.(entry);
        const rule = this.rules.find((r) => r.match(entry) && (r.times === undefined || r.times > 0));
        const fault = rule?.fault ?? 'answer';
        if (rule) {
          if (rule.times !== undefined) rule.times -= 1;
          entry.fault = fault;
          if (fault === 'hang') return;
          if (fault === 'reset') {
            req.socket.destroy();
            return;
          }
          if (fault === 'answer') {
            entry.status = rule.status ?? 500;
            res.writeHead(entry.status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'proxy-fault' });
            res.end(typeof rule.body === 'function' ? rule.body(entry) : rule.body ?? '');
            return;
          }
        }
        setTimeout(() => {
          const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
            entry.status = up.statusCode;
            if (fault === 'drop') {
              // The server has answered (the change is applied); the client never hears it.
              up.resume();
              up.on('end', () => req.socket.destroy());
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            if (fault === 'drip') {
              void readBytes(up).then((bytes) => drip(res, bytes, rule?.dripBytes ?? 4, rule?.dripMs ?? 40));
              return;
            }
            up.pipe(res);
          });
          forward.on('error', (e) => {
            res.writeHead(502);
            res.end(String(e));
          });
          forward.end(body);
        }, this.hold?.(entry) ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', () => resolve()));
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Write `body` a few bytes at a time; stops when the client goes away (it gave up waiting). */
function drip(res: ServerResponse, body: Buffer, bytes: number, ms: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (res.destroyed || at >= body.length) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(at, at + bytes));
    at += bytes;
  }, ms);
  res.on('close', () => clearInterval(timer));
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}
