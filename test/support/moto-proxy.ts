// A loopback HTTP proxy in front of moto's server (or an emulator), for the behaviours the
// server cannot show: it answers matching requests with AWS's documented error bodies
// (throttling, InvalidChangeBatch), never answers them (hang), resets the connection before
// forwarding (reset) or after the server applied them (drop: the answer is lost), holds requests
// for a while (to land a SIGTERM mid-apply), and records what passes through.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
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
}

export type Fault = 'answer' | 'hang' | 'reset' | 'drop';

export interface FaultRule {
  match(req: ProxiedRequest): boolean;
  /** answer (default): reply with `status` and `body` instead of forwarding. hang: never answer
   * (until the client gives up or the proxy stops). reset: close the connection without
   * forwarding. drop: forward, let the server finish, then close the connection unanswered. */
  fault?: Fault;
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
        const entry: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body, at: Date.now() };
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
