// A stand-in for the real API in tests: the same wire format (JSON over HTTP on loopback), with a
// fault switch. Replace it with your API's emulator or a sandbox account.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExampleApi {
  url: string;
  items: Map<string, { name: string; value: string; owner?: string }>;
  /** Answer every request with this status until `fail(undefined)`. */
  fail(status: number | undefined): void;
  stop(): Promise<void>;
}

export async function startExampleApi(): Promise<ExampleApi> {
  const items: ExampleApi['items'] = new Map();
  let failing: number | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const send = (status: number, data?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(data === undefined ? '' : JSON.stringify(data));
      };
      if (failing !== undefined) return send(failing, { error: 'injected fault' });
      const name = decodeURIComponent((req.url ?? '').replace(/^\/items\/?/, ''));
      if (req.method === 'GET' && !name) return send(200, [...items.values()]);
      if (req.method === 'PUT' && name) {
        const item = JSON.parse(body) as { value: string; owner?: string };
        if (item.value === 'rejected') return send(400, { error: 'value "rejected" is not allowed' });
        items.set(name, { name, ...item });
        return send(200, items.get(name));
      }
      if (req.method === 'DELETE' && name) return send(items.delete(name) ? 204 : 404);
      return send(404, { error: 'no such route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    items,
    fail: (status) => { failing = status; },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
