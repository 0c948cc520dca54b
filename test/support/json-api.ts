// The HTTP plumbing shared by the platform API stand-ins (github-api.ts, gitlab-api.ts): a loopback
// server that records every call, reads the JSON body (400 when it is not JSON) and answers JSON.

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiCall {
  method: string;
  path: string;
  status: number;
  body?: Record<string, unknown>;
  /** Who the token belongs to. */
  as?: string;
}

export type Send = (status: number, value: unknown, headers?: Record<string, string>) => void;

export interface JsonRequest {
  req: IncomingMessage;
  call: ApiCall;
  body: Record<string, unknown>;
  send: Send;
}

export async function serveJson(calls: ApiCall[], handle: (r: JsonRequest) => Promise<void> | void): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const call: ApiCall = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', status: 0 };
    calls.push(call);
    const send: Send = (status, value, headers = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(value));
    };
    const run = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      let body: Record<string, unknown> = {};
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          return send(400, { message: 'Problems parsing JSON' });
        }
        call.body = body;
      }
      await handle({ req, call, body, send });
    };
    run().catch(() => {
      call.status = 500;
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
