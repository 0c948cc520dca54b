// A real Git smart-HTTP server for tests and the demo: a small Node HTTP server that runs git's own
// `git http-backend` as a CGI program, so clients talk to exactly what a Git host speaks on the
// wire. Optional HTTP basic auth, optional TLS (HTTPS with a test CA's certificate), a request log
// tests can count, and a fault hook to make the server answer with an error status or hang.

import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface GitServerRequest {
  method: string;
  /** Path below the server root, e.g. `/repo.git/info/refs`. */
  path: string;
  /** Query string without `?` (`service=git-upload-pack`). */
  query: string;
  /** Status the server answered with. */
  status: number;
  /** `gzip` when the client compressed the request body (the git CLI does for large POSTs). */
  contentEncoding?: string;
}

/** Decide per request whether to misbehave: a status to answer with, `'hang'` to never answer,
 * or undefined to serve normally. */
export type GitServerFault = (request: { method: string; path: string; query: string }) => number | 'hang' | undefined;

export interface GitServer {
  /** Base URL of a repository below `root`: `url('demo.git')` → `http://127.0.0.1:PORT/demo.git`
   * (`https://…` in TLS mode). */
  url(repo: string): string;
  readonly port: number;
  /** Every request received, in order (including refused ones). */
  readonly requests: GitServerRequest[];
  /** Set to make the server fail on purpose; unset to heal. */
  fault: GitServerFault | undefined;
  stop(): Promise<void>;
}

export interface GitServerOptions {
  /** Folder holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Require HTTP basic auth with exactly these credentials. */
  auth?: { username: string; password: string };
  /** Port to listen on (default: any free loopback port). */
  port?: number;
  /** Serve HTTPS with this PEM key and certificate (chain) instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const requests: GitServerRequest[] = [];
  const state: { fault: GitServerFault | undefined } = { fault: undefined };

  const handler: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const query = url.search.replace(/^\?/, '');
    const entry: GitServerRequest = { method: req.method ?? 'GET', path, query, status: 0 };
    if (req.headers['content-encoding']) entry.contentEncoding = req.headers['content-encoding'];
    requests.push(entry);
    const reply = (status: number, body: string, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(body);
    };

    const fault = state.fault?.({ method: entry.method, path, query });
    if (fault === 'hang') return; // the client's timeout or abort has to deal with it
    if (fault !== undefined) {
      req.resume();
      reply(fault, `fault injected: ${fault}\n`);
      return;
    }

    let user: string | undefined;
    if (options.auth) {
      user = checkBasicAuth(req, options.auth);
      if (user === undefined) {
        req.resume();
        reply(401, 'authentication required\n', { 'www-authenticate': 'Basic realm="git"' });
        return;
      }
    }
    runBackend(options.root, req, res, path, query, user, (status) => {
      entry.status = status;
    });
  };
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createServer(handler);
  const scheme = options.tls ? 'https' : 'http';

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    requests,
    get fault() {
      return state.fault;
    },
    set fault(value: GitServerFault | undefined) {
      state.fault = value;
    },
    url: (repo) => `${scheme}://127.0.0.1:${port}/${repo.replace(/^\/+/, '')}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung (fault) and keep-alive connections would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function checkBasicAuth(req: IncomingMessage, expected: { username: string; password: string }): string | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return username === expected.username && password === expected.password ? username : undefined;
}

/** Run `git http-backend` as CGI (RFC 3875): request meta-variables in the environment, the body on
 * stdin, a header block (with `Status:`) then the body on stdout. */
function runBackend(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  user: string | undefined,
  onStatus: (status: number) => void,
): void {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // Hermetic: no global or system git config of the machine changes what the server does.
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: path,
    QUERY_STRING: query,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  if (user !== undefined) env.REMOTE_USER = user;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {
    // The backend may exit before reading the whole body (e.g. on a bad request); its answer counts.
  });
  res.on('close', () => {
    if (child.exitCode === null) child.kill();
  });

  let head: Buffer = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (!end) return;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString('latin1'));
    onStatus(status);
    res.writeHead(status, headers);
    headersSent = true;
    const rest = head.subarray(end.index + end.length);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersSent) {
      onStatus(500);
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited with ${code}: ${stderr}\n`);
      return;
    }
    res.end();
  });
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
