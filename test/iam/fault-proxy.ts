// A loopback HTTP proxy in front of moto that can answer the next N requests with IAM's
// throttling error (the documented wire format: HTTP 400, <ErrorResponse><Error><Code>Throttling),
// or with any other IAM error, so tests see what the SDK and trueup do when AWS pushes back.

import { createServer, request as httpRequest, type Server } from 'node:http';
import { freePort } from '../support/ports.ts';

export interface Fault {
  code: string;
  message: string;
  status?: number;
  /** Only requests for this IAM action (the Action= form field) fail. */
  action?: string;
}

export interface FaultProxy {
  endpoint: string;
  /** Answer the next `n` requests with Throttling. */
  throttleNext(n: number): void;
  /** Answer the next `n` matching requests with an IAM error. */
  failNext(n: number, fault: Fault): void;
  /** IAM actions of every request that reached the proxy, in order. */
  actions: string[];
  /** The form parameters of every request, in order. */
  requests: URLSearchParams[];
  stop(): Promise<void>;
}

const errorXml = (f: Fault) => `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${f.code}</Code><Message>${f.message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const port = await freePort();
  const upstream = new URL(target);
  let failures = 0;
  let fault: Fault = { code: 'Throttling', message: 'Rate exceeded' };
  const actions: string[] = [];
  const requests: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString());
      const action = form.get('Action') ?? '';
      actions.push(action);
      requests.push(form);
      if (failures > 0 && (!fault.action || fault.action === action)) {
        failures -= 1;
        res.writeHead(fault.status ?? 400, { 'content-type': 'text/xml' }).end(errorXml(fault));
        return;
      }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    actions,
    requests,
    throttleNext: (n) => {
      failures = n;
      fault = { code: 'Throttling', message: 'Rate exceeded' };
    },
    failNext: (n, f) => {
      failures = n;
      fault = f;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
