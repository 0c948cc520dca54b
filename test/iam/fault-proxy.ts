// A loopback HTTP proxy in front of moto that can answer the next N requests with IAM's
// throttling error (the documented wire format: HTTP 400, <ErrorResponse><Error><Code>Throttling),
// so tests see what the SDK and trueup do when AWS pushes back.

import { createServer, request as httpRequest, type Server } from 'node:http';
import { freePort } from '../support/ports.ts';

export interface FaultProxy {
  endpoint: string;
  /** Answer the next `n` requests with Throttling. */
  throttleNext(n: number): void;
  stop(): Promise<void>;
}

const THROTTLING = '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>';

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const port = await freePort();
  const upstream = new URL(target);
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(400, { 'content-type': 'text/xml' }).end(THROTTLING);
        return;
      }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', (e) => res.writeHead(502).end(String(e)));
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    throttleNext: (n) => {
      failures = n;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
